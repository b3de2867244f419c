/*
 * Reset entry for resetinfo. Unlike common/start.S, the first instructions only copy what QEMU's
 * reset ROM left behind, before anything can change it:
 *
 *   - mcycle, minstret, mtime (CLINT 0x0200_bff8) as the first instructions, then their high words
 *   - a0 (hart id), a1 (device tree address), a2 (0x1028, fw_dynamic_info), t0 (0x8000_0000)
 *   - the pc of the first instruction (auipc)
 *
 * into boot_info (in .data, so zeroing .bss does not wipe it). Then the usual set-up: gp, sp,
 * mtvec, .bss, main(), exit through the sifive_test finisher.
 *
 * The ELF's entry point is NOT _start: the program is linked with `--entry=elf_entry`, a stub
 * further on that reports "started at the ELF entry" and exits with status 2. QEMU's reset ROM
 * jumps to the start of RAM (0x8000_0000) whatever the ELF entry says, so on QEMU elf_entry never
 * runs.
 */
    .option norvc               /* fixed instruction sizes and counts */
    .option norelax

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    csrr    s2, mcycle          /* first instruction after the 6-instruction ROM */
    csrr    s3, minstret
    lui     s4, 0x200c          /* 0x0200_c000 */
    lw      s5, -8(s4)          /* mtime low word  (0x0200_bff8) */
    lw      s6, -4(s4)          /* mtime high word (0x0200_bffc) */
    csrr    s7, mcycleh
    csrr    s8, minstreth
.Lpc:
    auipc   s9, 0
    addi    s9, s9, -28         /* the pc _start ran at */
    .if .Lpc - _start != 28
    .error "auipc is not 28 bytes after _start"
    .endif
    la      s4, boot_info
    sw      a0, 0(s4)
    sw      a1, 4(s4)
    sw      a2, 8(s4)
    sw      t0, 12(s4)
    sw      s2, 16(s4)
    sw      s3, 20(s4)
    sw      s5, 24(s4)
    sw      s6, 28(s4)
    sw      s7, 32(s4)
    sw      s8, 36(s4)
    sw      s9, 40(s4)
    li      t1, 1
    sw      t1, 44(s4)          /* started at _start */

common_start:
    la      gp, __global_pointer$
    la      sp, __stack_top
    la      t0, trap_entry
    csrw    mtvec, t0
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    sw      zero, 4(t0)
    addi    t0, t0, 8
    j       1b
2:  call    main
    /* main exits through the finisher it found in the device tree; this is a fallback. */
    .globl  _exit
_exit:
    li      t0, 0x00100000
    li      t1, 0x5555
    beqz    a0, 3f
    slli    t1, a0, 16
    li      t2, 0x3333
    or      t1, t1, t2
3:  sw      t1, 0(t0)
4:  wfi
    j       4b

/*
 * The ELF's entry point. Only an emulator that starts at the ELF entry instead of running the
 * reset ROM gets here: say so and exit with status 2.
 */
    .text
    .balign 4
    .globl  elf_entry
elf_entry:
    la      t2, elf_entry_msg
    li      t0, 0x10000000
1:  lbu     t1, 0(t2)
    beqz    t1, 3f
2:  lbu     a0, 5(t0)           /* LSR.THRE */
    andi    a0, a0, 0x20
    beqz    a0, 2b
    sb      t1, 0(t0)
    addi    t2, t2, 1
    j       1b
3:  li      t0, 0x00100000
    li      t1, (2 << 16) | 0x3333
    sw      t1, 0(t0)
4:  wfi
    j       4b

/*
 * mtime_probe(uint32_t out[2 * PROBE_POINTS]): reads minstret and mtime's low word at points
 * separated by busy loops of exactly known instruction counts. Each point is the same 4
 * instructions (csrr, lw, sw, sw), so consecutive minstret readings differ by the busy count + 4.
 */
#define PROBE_POINTS 7

/* Exactly \n instructions (n >= 3): lui + addi + 2 per loop iteration + 0 or 1 nop. */
.macro BUSY n
    .if (\n - 2) % 2
    nop
    .endif
    lui     t3, %hi((\n - 2) / 2)
    addi    t3, t3, %lo((\n - 2) / 2)
1:  addi    t3, t3, -1
    bnez    t3, 1b
.endm

.macro POINT k
    csrr    t1, minstret
    lw      t2, -8(t0)
    sw      t1, (8 * \k)(a0)
    sw      t2, (8 * \k + 4)(a0)
.endm

    .globl  mtime_probe
    .balign 4
mtime_probe:
    lui     t0, 0x200c
    POINT   0
    BUSY    1000
    POINT   1
    BUSY    12345
    POINT   2
    BUSY    99
    POINT   3
    BUSY    100
    POINT   4
    BUSY    101
    POINT   5
    BUSY    250000
    POINT   6
    ret

/*
 * mtime_edges(uint32_t out[2 * EDGES]): for EDGES successive mtime ticks, waits in a 3-instruction
 * loop (lw mtime; csrr minstret; beq) until the lw sees mtime change, and stores the new mtime and
 * the minstret read right after that lw. This pins down at which instruction mtime ticks.
 */
#define EDGES 3
    .globl  mtime_edges
    .balign 4
mtime_edges:
    lui     t0, 0x200c
    li      t3, EDGES
    lw      t2, -8(t0)
1:  lw      t1, -8(t0)
    csrr    t4, minstret
    beq     t1, t2, 1b
    sw      t1, 0(a0)
    sw      t4, 4(a0)
    addi    a0, a0, 8
    mv      t2, t1
    addi    t3, t3, -1
    bnez    t3, 1b
    ret

    .section .rodata
elf_entry_msg:
    .asciz  "resetinfo: started at the ELF entry (elf_entry), not at 0x80000000 through the reset ROM\n"

    .data
    .balign 4
    .globl  boot_info
boot_info:
    .space  48
