#!/usr/bin/env bash
# gdb's source-level moves on QEMU: the oracle for Timescope's step/next/finish.
#
#   scripts/gdb-steps.sh FIRMWARE.elf LOCATION MOVE...
#
# Starts QEMU halted at reset (the machine options of qemu-run.sh, so the run is the one the
# other QEMU tests compare), attaches gdb-multiarch, runs to `break LOCATION` (a function or
# FILE:LINE; deleted once hit, so that it does not stop the moves), then makes each MOVE (next, step, finish, or any gdb command) and prints, after
# the break and after each move, one line:
#
#   @@ MOVE pc x1 x2 … x31          (hex)
#
# A move that ends the run (the firmware exits) prints nothing more. Exits non-zero when gdb
# or QEMU fails to start.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 FIRMWARE.elf LOCATION MOVE..." >&2; exit 2; }
elf=$1
location=$2
shift 2
dir=$(mktemp -d)
qemu_pid=
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
"${QEMU:-qemu-system-riscv32}" -M virt -bios none -nographic -icount shift=0,sleep=off \
    -semihosting-config enable=on,target=native,chardev=serial0 -kernel "$elf" -S \
    -chardev "socket,id=gdbstub,path=$dir/gdb.sock,server=on,wait=off" -gdb chardev:gdbstub \
    >"$dir/console" 2>"$dir/qemu.err" </dev/null &
qemu_pid=$!
for _ in $(seq 100); do [ -S "$dir/gdb.sock" ] && break; sleep 0.05; done
[ -S "$dir/gdb.sock" ] || { echo "QEMU did not start: $(cat "$dir/qemu.err")" >&2; exit 1; }

registers='$pc, $ra, $sp, $gp, $tp, $t0, $t1, $t2, $s0, $s1, $a0, $a1, $a2, $a3, $a4, $a5, $a6, $a7, $s2, $s3, $s4, $s5, $s6, $s7, $s8, $s9, $s10, $s11, $t3, $t4, $t5, $t6'
format=$(printf ' %%x%.0s' $(seq 32))
{
    echo "set pagination off"
    echo "set confirm off"
    echo "set width 0"
    echo "target remote $dir/gdb.sock"
    echo "break $location"
    echo "continue"
    echo "delete"
    echo "printf \"@@ start$format\\n\", $registers"
    for move in "$@"; do
        echo "$move"
        echo "printf \"@@ $move$format\\n\", $registers"
    done
    echo "kill"
} >"$dir/commands"
timeout -k 5 "${GDB_TIMEOUT:-60}" gdb-multiarch -nx -batch -x "$dir/commands" "$elf" 2>&1 | grep '^@@ ' || true
