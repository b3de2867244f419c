/*
 * One C-callable function per access, so that each is exactly one instruction of a known
 * encoding at a known label (the trap handler's mepc is compared with it).
 *
 *   uint32_t ld_X(uint32_t addr)              - the loaded value
 *   void     st_X(uint32_t addr, uint32_t v)
 *   uint32_t lr_w(uint32_t addr)              - the loaded value, or RD_UNTOUCHED if the
 *   uint32_t sc_w(uint32_t addr, uint32_t v)    instruction did not write rd (it trapped)
 *   uint32_t amoadd_w / amoswap_w(uint32_t addr, uint32_t v)
 *
 * The destination register is preset to RD_UNTOUCHED, so a trapping instruction (the handler
 * skips it) leaves that value behind. Everything is 32-bit encodings (norvc) except the c.lw and
 * c.sw functions.
 */
#define RD_UNTOUCHED 0x0badc0de

    .text
    .option norelax
    .option norvc

.macro LOAD name, insn
    .globl  \name, \name\()_insn
    .balign 4
\name:
    mv      t0, a0
    li      a0, RD_UNTOUCHED
\name\()_insn:
    \insn   a0, 0(t0)
    ret
.endm

.macro STORE name, insn
    .globl  \name, \name\()_insn
    .balign 4
\name:
\name\()_insn:
    \insn   a1, 0(a0)
    ret
.endm

.macro AMO name, insn
    .globl  \name, \name\()_insn
    .balign 4
\name:
    mv      t0, a0
    li      a0, RD_UNTOUCHED
\name\()_insn:
    \insn   a0, a1, (t0)
    ret
.endm

    LOAD    ld_w, lw
    LOAD    ld_h, lh
    LOAD    ld_hu, lhu
    STORE   st_w, sw
    STORE   st_h, sh
    AMO     sc_w, sc.w
    AMO     amoadd_w, amoadd.w
    AMO     amoswap_w, amoswap.w

    .globl  lr_w, lr_w_insn
    .balign 4
lr_w:
    mv      t0, a0
    li      a0, RD_UNTOUCHED
lr_w_insn:
    lr.w    a0, (t0)
    ret

/* lr.w at an aligned address (a reservation), then sc.w at another one (addr2, value). */
    .globl  lr_then_sc, lr_then_sc_insn
    .balign 4
lr_then_sc:
    lr.w    t1, (a0)
    mv      t0, a1
    li      a0, RD_UNTOUCHED
lr_then_sc_insn:
    sc.w    a0, a2, (t0)
    ret

    .option rvc
    .globl  ld_c_w, ld_c_w_insn
    .balign 4
ld_c_w:
    mv      a5, a0
    li      a0, RD_UNTOUCHED
ld_c_w_insn:
    c.lw    a0, 0(a5)
    ret

    .globl  st_c_w, st_c_w_insn
    .balign 4
st_c_w:
st_c_w_insn:
    c.sw    a1, 0(a0)
    ret
    .option norvc

/*
 * The trap handler: records mcause, mepc, mtval in trap_log (count, then 3 words per trap, up
 * to 256 traps) and returns past the trapping instruction (2 or 4 bytes). Uses mscratch to save
 * t0; saves t1..t3 below sp.
 */
    .globl  trap_entry
    .balign 4
trap_entry:
    csrw    mscratch, t0
    addi    sp, sp, -16
    sw      t1, 0(sp)
    sw      t2, 4(sp)
    sw      t3, 8(sp)
    la      t0, trap_log
    lw      t1, 0(t0)           /* count */
    addi    t2, t1, 1
    sw      t2, 0(t0)
    li      t2, 256             /* TRAP_LOG_SIZE in misaligned.c */
    bgeu    t1, t2, 1f          /* log full: only count */
    slli    t2, t1, 1
    add     t2, t2, t1          /* 3 * count */
    slli    t2, t2, 2
    add     t2, t2, t0
    csrr    t3, mcause
    sw      t3, 4(t2)
    csrr    t3, mepc
    sw      t3, 8(t2)
    csrr    t3, mtval
    sw      t3, 12(t2)
1:  csrr    t1, mepc
    lhu     t2, 0(t1)
    andi    t2, t2, 3
    li      t3, 3
    addi    t1, t1, 2
    bne     t2, t3, 2f          /* compressed: 2 bytes */
    addi    t1, t1, 2
2:  csrw    mepc, t1
    lw      t1, 0(sp)
    lw      t2, 4(sp)
    lw      t3, 8(sp)
    addi    sp, sp, 16
    csrr    t0, mscratch
    mret
