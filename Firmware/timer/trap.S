/*
 * Trap entry points for the timer program.
 *
 *   trap_direct    - mtvec in direct mode (MODE = 0): every trap lands here.
 *   vector_table   - mtvec in vectored mode (MODE = 1): exceptions land on entry 0 and
 *                    interrupt n on entry n (BASE + 4*n). Entries must be 4-byte jumps, so
 *                    the table is assembled without compressed instructions.
 *
 * Each path saves the caller-saved registers and calls
 *     void handle_trap(uint32_t mcause, uint32_t entry)
 * with entry = 0xffffffff for direct mode, or the vector table slot number.
 */

/* Save caller-saved registers, call handle_trap(mcause, \entry), restore, mret. */
.macro TRAP_STUB entry
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
    csrr    a0, mcause
    li      a1, \entry
    call    handle_trap
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
.endm

    .text
    .globl  trap_direct
    .balign 4
trap_direct:
    TRAP_STUB 0xffffffff

    .globl  vector_table
    .balign 64
    .option push
    .option norvc               /* every entry is a 4-byte jal */
    .option norelax             /* and the linker must not shrink it */
vector_table:
    j       vec_0               /* exceptions */
    j       vec_other           /* 1: supervisor software */
    j       vec_other           /* 2 */
    j       vec_3               /* 3: machine software (msip) */
    j       vec_other           /* 4 */
    j       vec_other           /* 5: supervisor timer */
    j       vec_other           /* 6 */
    j       vec_7               /* 7: machine timer */
    j       vec_other           /* 8 */
    j       vec_other           /* 9: supervisor external */
    j       vec_other           /* 10 */
    j       vec_11              /* 11: machine external */
    .option pop

vec_0:      TRAP_STUB 0
vec_3:      TRAP_STUB 3
vec_7:      TRAP_STUB 7
vec_11:     TRAP_STUB 11
vec_other:  TRAP_STUB 0xfffffffe
