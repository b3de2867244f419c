/*
 * Assembly for the traps program: the CSR probe chain, the trap stub, and one small function
 * per trapping instruction, each with a global label on the instruction (the handler's mepc is
 * compared with it).
 *
 * Everything is 32-bit encodings (norvc) except t_cebreak's c.ebreak.
 */
    .text
    .option norelax
    .option norvc

/*
 * probe_chain(uint32_t out[4 * PROBES]): the riscv-tests `p` environment start-up pattern,
 * repeated with no mret anywhere:
 *
 *     la t0, 1f; csrw mtvec, t0; <instruction that may trap>; .align 2; 1:
 *
 * A trap lands on the next instruction with mepc/mcause/mtval/mstatus updated; no trap just
 * falls through. Before each probe mepc, mcause and mtval are set to 0 (mepc 0 = "no trap");
 * after it, out gets mcause, mepc, mtval, mstatus. Runs with mstatus.MIE = 1 and mie = 0 (no
 * interrupt can be taken), so the first trap sets MPIE = 1 and later ones MPIE = 0.
 */
.macro PROBE n, insn:vararg
    csrw    mepc, zero
    csrw    mcause, zero
    csrw    mtval, zero
    la      t0, 1f
    csrw    mtvec, t0
    .globl  probe_\n
probe_\n:
    \insn
    .balign 4
1:  csrr    t1, mcause
    sw      t1, (16 * \n)(a0)
    csrr    t1, mepc
    sw      t1, (16 * \n + 4)(a0)
    csrr    t1, mtval
    sw      t1, (16 * \n + 8)(a0)
    csrr    t1, mstatus
    sw      t1, (16 * \n + 12)(a0)
.endm

    .globl  probe_chain
    .balign 4
probe_chain:
    csrw    mie, zero
    csrsi   mstatus, 8              /* MIE = 1: the first trap saves it in MPIE */
    PROBE   0, csrr t1, 0x7c0       /* custom M-mode read/write CSR: none here -> illegal */
    li      t2, 0x7fffffff
    PROBE   1, csrw pmpaddr0, t2    /* exists (riscv-tests: all memory, NAPOT) */
    li      t2, 0x1f
    PROBE   2, csrw pmpcfg0, t2     /* exists: NAPOT | X | W | R, not locked */
    PROBE   3, csrw tselect, zero   /* exists (riscv-tests probe for triggers) */
    PROBE   4, csrr t1, fcsr        /* no F, or F with mstatus.FS = Off -> illegal */
    PROBE   5, csrw mhartid, zero   /* read-only CSR -> illegal */
    PROBE   6, csrw mcounteren, zero /* exists */
    PROBE   7, csrr t1, 0x3c0       /* pmpaddr16: only with 64 PMP entries -> illegal */
    PROBE   8, ecall
    li      t2, 0x00200000
    PROBE   9, lw t1, 0(t2)         /* unmapped -> load access fault */
    PROBE   10, csrr t1, mscratch   /* exists */
    csrw    mstatus, zero
    ret

/*
 * trap_stub: the mtvec for everything else. Saves the caller-saved registers on the stack
 * (16 bytes-aligned frame), calls trap_dispatch() (traps.c), restores, mret. trap_dispatch
 * may itself trap (nested traps): each level has its own frame.
 */
    .globl  trap_stub
    .balign 4
trap_stub:
    addi    sp, sp, -64
    sw      ra, 0(sp)
    sw      t0, 4(sp)
    sw      t1, 8(sp)
    sw      t2, 12(sp)
    sw      t3, 16(sp)
    sw      t4, 20(sp)
    sw      t5, 24(sp)
    sw      t6, 28(sp)
    sw      a0, 32(sp)
    sw      a1, 36(sp)
    sw      a2, 40(sp)
    sw      a3, 44(sp)
    sw      a4, 48(sp)
    sw      a5, 52(sp)
    sw      a6, 56(sp)
    sw      a7, 60(sp)
    call    trap_dispatch
    lw      ra, 0(sp)
    lw      t0, 4(sp)
    lw      t1, 8(sp)
    lw      t2, 12(sp)
    lw      t3, 16(sp)
    lw      t4, 20(sp)
    lw      t5, 24(sp)
    lw      t6, 28(sp)
    lw      a0, 32(sp)
    lw      a1, 36(sp)
    lw      a2, 40(sp)
    lw      a3, 44(sp)
    lw      a4, 48(sp)
    lw      a5, 52(sp)
    lw      a6, 56(sp)
    lw      a7, 60(sp)
    addi    sp, sp, 64
    mret

/* ---- one trapping instruction each ------------------------------------------------------ */
.macro TRIGGER name, insn:vararg
    .globl  \name, \name\()_insn
    .balign 4
\name:
    li      a0, 0x600d
\name\()_insn:
    \insn
    ret
.endm

    TRIGGER t_illegal, .word 0xc0001073     /* unimp = csrrw x0, cycle, x0 (read-only CSR) */
    TRIGGER t_ecall, ecall
    TRIGGER t_ebreak, ebreak                /* not the semihosting sequence: li before it */

    .globl  t_load_fault, t_load_fault_insn
    .balign 4
t_load_fault:
    li      t0, 0x00200000                  /* an unmapped hole -> load access fault */
    li      a0, 0x600d
t_load_fault_insn:
    lw      a0, 0(t0)
    ret

    .globl  t_cebreak, t_cebreak_insn
    .balign 4
t_cebreak:
    li      a0, 0x600d
    .option push
    .option rvc
t_cebreak_insn:
    c.ebreak
    .option pop
    ret

/*
 * irq_window(): opens mstatus.MIE for one instruction. A pending, enabled interrupt is taken
 * right after the csrsi, with mepc = irq_point; mret comes back to irq_point.
 */
    .globl  irq_window, irq_point
    .balign 4
irq_window:
    csrsi   mstatus, 8
irq_point:
    nop
    csrci   mstatus, 8
    ret
