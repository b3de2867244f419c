/*
 * htif - exits with status 5 through the HTIF tohost mailbox and prints nothing.
 *
 * The riscv-tests convention: an odd value v written to the 64-bit `tohost` means
 * "exit with code v >> 1". On RV32 the low word is written first and the write to the high
 * word completes the command.
 *
 * QEMU's virt board has no HTIF, so tohost writes are ordinary stores there. After 1000
 * attempts main() returns 85 (0x55), which start.S turns into a sifive_test exit: on QEMU
 * (or any emulator ignoring tohost) the run ends with status 85 instead of hanging.
 */
    .text
    .globl  main
main:
    la      t0, tohost
    li      t1, (5 << 1) | 1
    li      t2, 1000
1:  sw      t1, 0(t0)           /* low word: payload */
    sw      zero, 4(t0)         /* high word: completes the command */
    addi    t2, t2, -1
    bnez    t2, 1b
    li      a0, 85              /* HTIF not honoured */
    ret

    .section .tohost, "aw", @progbits
    .balign 64
    .globl  tohost
tohost:
    .dword  0
    .balign 64
    .globl  fromhost
fromhost:
    .dword  0
