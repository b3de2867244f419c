#!/usr/bin/env bash
# Run a Timescope test firmware ELF on QEMU's riscv32 `virt` board, the differential oracle.
#
#   scripts/qemu-run.sh ELF [INPUT]
#
# INPUT (optional) is fed to the UART receiver through QEMU's stdin, expanded with
# `printf %b` (so "hello\nq" sends a newline). Without INPUT, stdin is /dev/null.
# The firmware's console output goes to stdout unchanged; the script exits with QEMU's exit
# status (the sifive_test / semihosting exit code), or 124 on timeout.
#
# Environment: QEMU_TIMEOUT (seconds, default 60), QEMU (binary, default qemu-system-riscv32),
#              QEMU_ICOUNT (the -icount argument, default "shift=0,sleep=off").
#
# Why sleep=off: with plain `-icount shift=0` (sleep=on) QEMU's virtual clock also advances in
# real time while the vCPU is not running (e.g. at start-up and in WFI), so mtime, mcycle and
# minstret differ from run to run (minstret at the same point of a program varied by ~40,000
# between runs). With sleep=off the clock jumps straight to the next timer deadline instead,
# runs repeat exactly, and minstret counts instructions (see Firmware/README.md for the
# remaining offsets against Timescope).
#
# Semihosting output is sent to the same console as the UART (chardev=serial0); without it QEMU
# writes semihosting output to its stderr.
#
# Notes on QEMU's -nographic console:
#  - QEMU adds no bytes of its own on stdout when the guest exits normally (no "\r", no
#    banner): the output is exactly what the firmware wrote to THR.
#  - stdin goes through QEMU's monitor multiplexer (`-serial mon:stdio`), so a Ctrl-A byte
#    (0x01) in INPUT is the escape character (Ctrl-A x quits, Ctrl-A c opens the monitor).
#    Don't put 0x01 in INPUT.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 ELF [INPUT]" >&2
    exit 2
fi
elf=$1
if [ ! -f "$elf" ]; then
    echo "$0: no such file: $elf" >&2
    exit 2
fi

qemu=${QEMU:-qemu-system-riscv32}
cmd=("$qemu" -M virt -bios none -nographic -icount "${QEMU_ICOUNT:-shift=0,sleep=off}"
     -semihosting-config enable=on,target=native,chardev=serial0 -kernel "$elf")

if [ $# -eq 2 ]; then
    printf '%b' "$2" | timeout --foreground -k 5 "${QEMU_TIMEOUT:-60}" "${cmd[@]}"
    status=${PIPESTATUS[1]}
else
    timeout --foreground -k 5 "${QEMU_TIMEOUT:-60}" "${cmd[@]}" </dev/null
    status=$?
fi
exit "$status"
