/*
 * start.S - the smallest possible start-up for the crash demo: a stack, a cleared .bss, and
 * main. Like much early firmware it installs no trap handler, so mtvec stays 0 (unmapped on
 * `virt`): the first exception is fatal, which is exactly what a post-mortem is for.
 */
    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  call main
    /* main returned: exit with its value through the sifive_test finisher. */
    li t0, 0x00100000
    beqz a0, 3f
    slli a0, a0, 16
    li t1, 0x3333
    or a0, a0, t1
    sw a0, 0(t0)
    j .
3:  li t1, 0x5555
    sw t1, 0(t0)
    j .
