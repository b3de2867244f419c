#!/usr/bin/env bash
# Single-step a firmware ELF on QEMU (through its gdbstub) and print the register state after
# every step, so a test can compare QEMU and Timescope instruction by instruction.
#
#   scripts/qemu-lockstep.sh [--start LOC] [--with-initial] [--console FILE] ELF N
#
# Output on stdout: one line per step, after the step, of 32 fields in 8-digit lowercase hex:
#     pc x1 x2 ... x31
# --with-initial  also print the state before the first step (so N+1 lines).
# --start LOC     run (at full speed) to LOC first: a symbol or *ADDRESS gdb understands.
#                 Default: reset, the first instruction of the reset ROM (see below).
# --console FILE  where the firmware's UART output goes (default: discarded).
# Fewer than N lines are printed if the firmware ends the run (finisher/semihosting exit)
# before N steps. Exit status: 0, or 1 on a setup error.
#
# What one QEMU "step" is (QEMU 7.2, checked on the exerciser's ex_traps):
#  - A step retires one instruction, EXCEPT when the instruction traps: then the step stops
#    at the first instruction of the trap handler (pc = mtvec) with mepc/mcause/mtval set and
#    none of the handler executed, i.e. "one retired instruction or one exception entry",
#    which is the definition Timescope uses.
#  - Asynchronous interrupts are never taken while stepping: QEMU's default gdbstub stepping
#    mode (qqemu.sstep=0x7: SSTEP_ENABLE|SSTEP_NOIRQ|SSTEP_NOTIMER) masks IRQs and timers
#    during a step. So lockstep comparisons are only meaningful for code without interrupts.
#  - WFI: the step that executes a WFI also executes the instruction after it (checked on the
#    timer program: wfi at pc, next line's pc is wfi+8), and the interrupt it waited for is
#    never taken. Avoid WFI in lockstep runs.
#  - gdb's own `stepi` is NOT used: on RISC-V gdb single-steps in software (a temporary
#    breakpoint at the next pc it computes, then continue), which runs a whole trap handler
#    inside one "stepi" and lets interrupts in. The script sends QEMU's step packet `s` and
#    reads registers with `g` through `maint packet` instead.
#
# Reset ROM: QEMU's virt board does not start at 0x8000_0000 but at 0x1000, a 6-instruction
# ROM (auipc t0; addi a2,t0,40; csrr a0,mhartid; lw a1,32(t0); lw t0,24(t0); jr t0) that jumps
# to the start of RAM with a0 = hartid (0), a1 = device-tree address, a2 = 0x1028 and
# t0 = 0x8000_0000. Timescope runs the same ROM as steps 1-6, so stepping starts at reset.
set -u

usage() {
    echo "usage: $0 [--start LOC] [--with-initial] [--console FILE] ELF N" >&2
    exit 1
}

start=""
initial=0
console=/dev/null
while [ $# -gt 0 ]; do
    case "$1" in
        --start) [ $# -ge 2 ] || usage; start=$2; shift 2 ;;
        --with-initial) initial=1; shift ;;
        --console) [ $# -ge 2 ] || usage; console=$2; shift 2 ;;
        --) shift; break ;;
        -*) usage ;;
        *) break ;;
    esac
done
[ $# -eq 2 ] || usage
elf=$1
steps=$2
[ -f "$elf" ] || { echo "$0: no such file: $elf" >&2; exit 1; }
case "$steps" in ''|*[!0-9]*) usage ;; esac

qemu=${QEMU:-qemu-system-riscv32}
gdb=${GDB:-gdb-multiarch}
tmp=$(mktemp -d)
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null
        wait "$qemu_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# Free TCP port: bind port 0 and read back what the kernel picked (tiny race, fine for tests).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$qemu" -M virt -bios none -nographic -icount "${QEMU_ICOUNT:-shift=0,sleep=off}" \
    -semihosting-config enable=on,target=native,chardev=serial0 \
    -kernel "$elf" -S -gdb "tcp:127.0.0.1:$port" </dev/null >"$console" 2>"$tmp/qemu.err" &
qemu_pid=$!

cat >"$tmp/lockstep.py" <<'EOF'
# Runs inside gdb. Stepping uses raw remote packets ("maint packet s" / "g") rather than gdb's
# stepi: gdb's RISC-V support single-steps in software (a temporary breakpoint on the
# computed next pc, then continue), which runs a whole trap handler inside one "stepi" and lets
# interrupts in. QEMU's own gdbstub step stops after exactly one instruction or trap entry.
import os
import re
import sys
import time

import gdb

steps = int(os.environ["LOCKSTEP_STEPS"])
port = os.environ["LOCKSTEP_PORT"]
start = os.environ.get("LOCKSTEP_START", "")
initial = os.environ.get("LOCKSTEP_INITIAL") == "1"


def fail(msg):
    sys.stderr.write("lockstep: %s\n" % msg)
    sys.stderr.flush()
    os._exit(1)


def packet(p):
    """Send one remote packet and return the reply payload."""
    text = gdb.execute("maint packet " + p, to_string=True)
    m = re.search(r'received: "(.*)"', text)
    if not m:
        raise gdb.error("no reply to %r: %r" % (p, text))
    return m.group(1)


def state():
    """ "pc x1 .. x31" from a 'g' reply: x0..x31 then pc, 8 hex digits each, little-endian."""
    g = packet("g")
    regs = [int.from_bytes(bytes.fromhex(g[8 * i: 8 * i + 8]), "little") for i in range(33)]
    return " ".join("%08x" % v for v in [regs[32]] + regs[1:32])


# QEMU may need a moment to open the gdb socket.
for attempt in range(50):
    try:
        gdb.execute("target remote 127.0.0.1:" + port, to_string=True)
        break
    except gdb.error:
        time.sleep(0.1)
else:
    fail("cannot connect to QEMU on port %s" % port)

if start and start != "*0x1000":
    loc = start
    gdb.execute("tbreak " + loc, to_string=True)
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        fail("the run ended before reaching %s" % loc)

# gdb prints stop locations on its stdout, so the lines go to their own file.
with open(os.environ["LOCKSTEP_OUT"], "w") as out:
    if initial:
        out.write(state() + "\n")
    for i in range(steps):
        try:
            reply = packet("s")
            if not reply.startswith("T"):  # W/X: the firmware ended the run
                break
            out.write(state() + "\n")
        except gdb.error:  # connection closed: QEMU exited
            break
try:
    gdb.execute("kill", to_string=True)
except gdb.error:
    pass
EOF

LOCKSTEP_OUT=$tmp/steps.txt LOCKSTEP_ELF=$elf LOCKSTEP_STEPS=$steps LOCKSTEP_PORT=$port LOCKSTEP_START=$start LOCKSTEP_INITIAL=$initial \
    "$gdb" -batch -nx -q \
    -ex 'set confirm off' -ex 'set pagination off' -ex 'set architecture riscv:rv32' \
    -ex "file $elf" -x "$tmp/lockstep.py" >"$tmp/gdb.log" 2>&1
status=$?
if [ $status -ne 0 ] || [ ! -f "$tmp/steps.txt" ]; then
    cat "$tmp/gdb.log" "$tmp/qemu.err" >&2
    exit 1
fi
cat "$tmp/steps.txt"
exit 0
