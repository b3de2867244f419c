# Every instruction form the Timescope disassembler knows, for DisassemblerTests.
#
# The test assembles this file with
#     riscv64-unknown-elf-as -march=rv32imac_zicsr_zifencei -mabi=ilp32
# links it at 0x80000000 (so targets print as absolute addresses with symbols), runs
# riscv64-unknown-elf-objdump -d on the result and compares each instruction line with
# Disassembler.disassemble. Add a line here when adding a form to the disassembler.
#
# Named .asm rather than .S so SwiftPM does not compile it into the test target. Plain GNU as
# input: no C preprocessor. `.option norvc` keeps the base section uncompressed; the
# compressed section below spells out `c.` mnemonics, and `.insn` supplies HINT, reserved and
# illegal encodings that the assembler would refuse to write as mnemonics.

    .option norelax
    .option norvc
    .text
    .globl _start
_start:

# ---- RV32I: upper immediates -------------------------------------------------------------
    lui     a0, 0
    lui     a1, 1
    lui     t6, 0x7ffff
    lui     s11, 0x80000
    lui     zero, 0xfffff
    auipc   ra, 0
    auipc   a0, 0x12345
    auipc   sp, 0xfffff

# ---- RV32I: register-immediate, with the pseudo-instructions objdump prefers --------------
immediates:
    nop
    addi    a0, a1, -4
    addi    a0, a1, 1
    addi    sp, sp, 2047
    addi    sp, sp, -2048
    addi    zero, a0, 1
    li      a0, 0
    li      t0, -1
    li      s1, 2047
    li      a7, -2048
    addi    zero, zero, 5
    mv      a0, a1
    mv      s0, sp
    addi    zero, a0, 0
    slti    a0, a1, -1
    slti    t1, t2, 2047
    sltiu   a0, a1, 2
    sltiu   a0, a1, -1
    seqz    a0, a1
    xori    a0, a1, 1
    xori    a0, a1, -2048
    not     t3, t4
    ori     a0, a1, 0
    ori     a0, a1, -1
    andi    a0, a1, 15
    andi    a0, a1, -16
    andi    a0, a1, 255
    andi    a0, a1, 256
    slli    a0, a1, 0
    slli    a0, a1, 1
    slli    t6, s11, 31
    srli    a0, a1, 1
    srli    a0, a1, 31
    srai    a0, a1, 1
    srai    a0, a1, 31

# ---- RV32I: register-register ---------------------------------------------------------------
registers:
    add     a0, a1, a2
    add     zero, zero, zero
    sub     a0, a1, a2
    neg     a0, a1
    sub     zero, zero, t6
    sll     s2, s3, s4
    slt     s5, s6, s7
    sltz    a0, a1
    sgtz    a0, a1
    slt     a0, zero, zero
    sltu    s8, s9, s10
    snez    a0, a1
    sltu    a0, a1, zero
    xor     t0, t1, t2
    srl     t3, t4, t5
    sra     gp, tp, ra
    or      a3, a4, a5
    and     a6, a7, s0

# ---- M extension -----------------------------------------------------------------------------
multiply:
    mul     a0, a1, a2
    mulh    a0, a1, a2
    mulhsu  a0, a1, a2
    mulhu   a0, a1, a2
    div     a0, a1, a2
    divu    a0, a1, a2
    rem     a0, a1, a2
    remu    t4, t5, t6

# ---- RV32I: loads and stores -----------------------------------------------------------------
memory:
    lb      a0, 0(a1)
    lh      a0, -1(a1)
    lw      a0, 2047(sp)
    lbu     a0, -2048(sp)
    lhu     zero, 4(zero)
    sb      a0, 0(a1)
    sh      a0, -1(a1)
    sw      ra, 2047(sp)
    sw      zero, -2048(t6)

# ---- RV32I: jumps ----------------------------------------------------------------------------
jumps:
    j       jumps
    jal     jumps
    jal     a0, jumps
    jal     zero, branches
    jal     ra, branches
    jal     t0, branches
    jalr    a0
    jalr    ra, 0(a0)
    jalr    t0, 0(a1)
    jalr    t0, -8(a1)
    jalr    ra, 2047(a1)
    jr      a0
    jr      -2048(a0)
    jalr    zero, 4(t0)
    ret
    jalr    zero, 0(ra)
    jalr    zero, 4(ra)
    jalr    ra, 0(ra)

# ---- RV32I: branches -------------------------------------------------------------------------
branches:
    beq     a0, a1, branches
    bne     a0, a1, jumps
    blt     a0, a1, branches_end
    bge     a0, a1, branches_end
    bltu    a0, a1, branches
    bgeu    a0, a1, branches
    bgt     a0, a1, branches
    ble     a0, a1, branches
    bgtu    a0, a1, branches
    bleu    a0, a1, branches
    beqz    a0, branches
    bnez    a0, branches
    blez    a0, branches
    bgez    a0, branches
    bltz    a0, branches
    bgtz    a0, branches
    beq     zero, zero, branches
    bge     zero, zero, branches
    blt     zero, zero, branches
    bltu    zero, a0, branches
    bgeu    a0, zero, branches
branches_end:

# ---- A extension: every AMO with every ordering suffix --------------------------------------
atomics:
    lr.w            a0, (a1)
    lr.w.aq         a0, (a1)
    lr.w.rl         a0, (a1)
    lr.w.aqrl       a0, (a1)
    sc.w            a0, a2, (a1)
    sc.w.aq         a0, a2, (a1)
    sc.w.rl         a0, a2, (a1)
    sc.w.aqrl       a0, a2, (a1)
    amoswap.w       a0, a2, (a1)
    amoswap.w.aq    a0, a2, (a1)
    amoswap.w.rl    a0, a2, (a1)
    amoswap.w.aqrl  a0, a2, (a1)
    amoadd.w        a0, a2, (a1)
    amoadd.w.aq     a0, a2, (a1)
    amoadd.w.rl     a0, a2, (a1)
    amoadd.w.aqrl   a0, a2, (a1)
    amoxor.w        a0, a2, (a1)
    amoxor.w.aq     a0, a2, (a1)
    amoxor.w.rl     a0, a2, (a1)
    amoxor.w.aqrl   a0, a2, (a1)
    amoand.w        a0, a2, (a1)
    amoand.w.aq     a0, a2, (a1)
    amoand.w.rl     a0, a2, (a1)
    amoand.w.aqrl   a0, a2, (a1)
    amoor.w         a0, a2, (a1)
    amoor.w.aq      a0, a2, (a1)
    amoor.w.rl      a0, a2, (a1)
    amoor.w.aqrl    a0, a2, (a1)
    amomin.w        a0, a2, (a1)
    amomin.w.aq     a0, a2, (a1)
    amomin.w.rl     a0, a2, (a1)
    amomin.w.aqrl   a0, a2, (a1)
    amomax.w        a0, a2, (a1)
    amomax.w.aq     a0, a2, (a1)
    amomax.w.rl     a0, a2, (a1)
    amomax.w.aqrl   a0, a2, (a1)
    amominu.w       a0, a2, (a1)
    amominu.w.aq    a0, a2, (a1)
    amominu.w.rl    a0, a2, (a1)
    amominu.w.aqrl  a0, a2, (a1)
    amomaxu.w       a0, a2, (a1)
    amomaxu.w.aq    a0, a2, (a1)
    amomaxu.w.rl    a0, a2, (a1)
    amomaxu.w.aqrl  zero, zero, (zero)

# ---- Fences ----------------------------------------------------------------------------------
fences:
    fence
    fence   iorw, iorw
    fence   rw, rw
    fence   r, w
    fence   w, r
    fence   i, o
    fence   io, rw
    fence   ow, ir
    fence.tso
    fence.i
    .insn   0x0100000f              # pause (Zihintpause): fence w,0
    .insn   0x0000000f              # fence with empty sets

# ---- Privileged and system ------------------------------------------------------------------
system:
    ecall
    ebreak
    mret
    sret
    wfi
    dret
    .insn   0x00200073              # uret (removed from the privileged spec, still named)
    sfence.vma
    sfence.vma a0
    sfence.vma a0, a1
    sfence.vma zero, a1
    unimp

# ---- Zicsr: every form and pseudo, and the CSR names firmware uses --------------------------
csrs:
    csrrw   a0, mstatus, a1
    csrrs   a0, mstatus, a1
    csrrc   a0, mstatus, a1
    csrrwi  a0, mstatus, 0
    csrrsi  a0, mstatus, 31
    csrrci  a0, mstatus, 8
    csrr    a0, mstatus
    csrw    mstatus, a0
    csrs    mstatus, a0
    csrc    mstatus, a0
    csrwi   mstatus, 8
    csrsi   mie, 31
    csrci   mip, 0
    csrrs   zero, mstatus, zero
    csrrc   a0, mstatus, zero
    csrrw   a0, mstatus, zero
    rdcycle     a0
    rdcycleh    a1
    rdtime      a2
    rdtimeh     a3
    rdinstret   a4
    rdinstreth  a5
    rdcycle     zero
    csrr    a0, misa
    csrr    a0, mie
    csrr    a0, mtvec
    csrr    a0, mscratch
    csrr    a0, mepc
    csrr    a0, mcause
    csrr    a0, mtval
    csrr    a0, mip
    csrr    a0, mhartid
    csrr    a0, mvendorid
    csrr    a0, marchid
    csrr    a0, mimpid
    csrr    a0, mcycle
    csrr    a0, mcycleh
    csrr    a0, minstret
    csrr    a0, minstreth
    csrr    a0, cycle
    csrr    a0, cycleh
    csrr    a0, time
    csrr    a0, timeh
    csrr    a0, instret
    csrr    a0, instreth
    csrw    cycle, a0
    csrr    a0, mcounteren
    csrr    a0, mcountinhibit
    csrr    a0, medeleg
    csrr    a0, mideleg
    csrr    a0, mstatush
    csrr    a0, mhpmcounter3
    csrr    a0, mhpmcounter31h
    csrr    a0, mhpmevent3
    csrr    a0, mhpmevent31
    csrr    a0, hpmcounter3
    csrr    a0, hpmcounter31h
    csrr    a0, pmpcfg0
    csrr    a0, pmpcfg1
    csrr    a0, pmpcfg2
    csrr    a0, pmpcfg3
    csrr    a0, pmpaddr0
    csrr    a0, pmpaddr1
    csrr    a0, pmpaddr2
    csrr    a0, pmpaddr3
    csrr    a0, pmpaddr4
    csrr    a0, pmpaddr5
    csrr    a0, pmpaddr6
    csrr    a0, pmpaddr7
    csrr    a0, pmpaddr8
    csrr    a0, pmpaddr9
    csrr    a0, pmpaddr10
    csrr    a0, pmpaddr11
    csrr    a0, pmpaddr12
    csrr    a0, pmpaddr13
    csrr    a0, pmpaddr14
    csrr    a0, pmpaddr15
    csrr    a0, tselect
    csrr    a0, tdata1
    csrr    a0, tdata2
    csrr    a0, tdata3
    csrr    a0, dcsr
    csrr    a0, dpc
    csrr    a0, dscratch0
    csrr    a0, dscratch1
    csrr    a0, sstatus
    csrr    a0, satp
    csrr    a0, fflags
    csrr    a0, frm
    csrr    a0, fcsr
    csrr    a0, 0x7c0
    csrr    a0, 0x800
    csrw    0xbc0, a0
    csrr    a0, 0xfff
    csrrw   a0, 0x000, a1

# ---- Encodings that are not RV32IMAC instructions -------------------------------------------
illegal:
    .insn   4, 0x0000000b           # custom-0
    .insn   4, 0x02b5252b           # custom-1
    .insn   4, 0x00053483           # ld (RV64 only)
    .insn   4, 0x00a53023           # sd (RV64 only)
    .insn   4, 0x0000200f           # cbo.* (Zicbom, not enabled)
    .insn   4, 0x42059513           # slli with a nonzero funct6
    .insn   4, 0x40b57533           # andn (Zbb, not enabled)
    .insn   4, 0x00052507           # flw (F, not enabled)
    .insn   4, 0x0005350f           # MISC-MEM funct3 3
    .insn   4, 0x00054573           # SYSTEM funct3 4
    .insn   4, 0x30500073           # SYSTEM funct3 0, unassigned
    .insn   4, 0xfff0100f           # fence.i with a nonzero immediate
    .insn   4, 0x106525af           # lr.w with a nonzero rs2
    .insn   4, 0x0c6535af           # amoswap.d (RV64 only)
    .insn   4, 0x00002067           # jalr with funct3 2
    .insn   4, 0x00002063           # branch funct3 2

# ---- Branch and jump range limits (the gaps are zero-filled; objdump prints "...") -----------
far_back:
    nop
    .skip   4092
branch_min:
    beq     a0, a1, far_back        # -4096
branch_max:
    bne     a0, a1, branch_max + 4094
    .skip   4092
jal_back:
    jal     a0, far_back
    jal     a0, branch_min

# ---- C extension -----------------------------------------------------------------------------
    .option rvc
compressed:
    c.addi4spn  a0, sp, 4
    c.addi4spn  s0, sp, 1020
    c.lw        a0, 0(a1)
    c.lw        s1, 124(a5)
    c.sw        a0, 0(a1)
    c.sw        s1, 124(a5)
    c.nop
    c.unimp
    c.addi      a0, 1
    c.addi      t6, -32
    c.addi      sp, 31
    c.jal       compressed
    c.jal       compressed_end
    c.li        a0, 0
    c.li        t6, -32
    c.li        ra, 31
    c.addi16sp  sp, -512
    c.addi16sp  sp, 496
    c.addi16sp  sp, 16
    c.lui       a0, 1
    c.lui       t6, 31
    c.lui       a5, 0xfffe0
    c.lui       ra, 0xfffff
    c.srli      a0, 1
    c.srli      s1, 31
    c.srai      a0, 1
    c.srai      a5, 31
    c.andi      a0, -32
    c.andi      a1, 31
    c.andi      s0, 0
    c.sub       a0, a1
    c.xor       s0, s1
    c.or        a4, a5
    c.and       a2, a3
    c.j         compressed
    c.j         compressed_end
    c.beqz      a0, compressed
    c.beqz      s1, compressed_end
    c.bnez      a5, compressed
    c.bnez      s0, compressed_end
    c.slli      a0, 1
    c.slli      t6, 31
    c.lwsp      a0, 0(sp)
    c.lwsp      ra, 252(sp)
    c.jr        a0
    c.jr        ra
    c.mv        a0, a1
    c.mv        t6, ra
    c.ebreak
    c.jalr      a0
    c.jalr      ra
    c.add       a0, a1
    c.add       sp, t6
    c.swsp      a0, 0(sp)
    c.swsp      ra, 252(sp)
compressed_end:
    # HINTs (Unprivileged spec 16.7): objdump keeps the c. name when there is no 32-bit spelling.
    .insn   2, 0x0015               # c.nop 5
    .insn   2, 0x1001               # c.nop -32
    .insn   2, 0x0501               # c.addi a0,0 -> addi a0,a0,0
    .insn   2, 0x6101               # c.addi16sp sp,0 (reserved; objdump prints addi sp,sp,0)
    .insn   2, 0x4015               # c.li zero,5
    .insn   2, 0x707d               # c.lui zero,0xfffff
    .insn   2, 0x800a               # c.mv zero,sp
    .insn   2, 0x900a               # c.add zero,sp
    .insn   2, 0x0006               # c.slli zero,0x1
    .insn   2, 0x0502               # c.slli64 a0
    .insn   2, 0x8101               # c.srli64 a0
    .insn   2, 0x8501               # c.srai64 a0
    .insn   2, 0x1506               # c.slli a0,0x21 (RV32 reserved shamt[5]; objdump decodes it)
    .insn   2, 0x9105               # c.srli a0,0x21
    .insn   2, 0x9505               # c.srai a0,0x21
    # Reserved and RV32IMAC-illegal compressed encodings print as .2byte.
    .insn   2, 0x0004               # c.addi4spn with a zero immediate
    .insn   2, 0x6501               # c.lui with a zero immediate
    .insn   2, 0x4002               # c.lwsp into zero
    .insn   2, 0x8002               # c.jr zero
    .insn   2, 0x9d01               # c.subw (RV64)
    .insn   2, 0x9d21               # c.addw (RV64)
    .insn   2, 0x9c41               # reserved quadrant 1 group
    .insn   2, 0x2000               # c.fld
    .insn   2, 0x6000               # c.flw
    .insn   2, 0xa000               # c.fsd
    .insn   2, 0xe000               # c.fsw
    .insn   2, 0x2002               # c.fldsp
    .insn   2, 0x6002               # c.flwsp
    .insn   2, 0xa002               # c.fsdsp
    .insn   2, 0xe002               # c.fswsp
    .insn   2, 0x8000               # quadrant 0 funct3 100 (reserved)
compressed_ranges:
    c.beqz  a0, compressed_ranges - 256
    c.bnez  a0, compressed_ranges + 2 + 254
    c.j     compressed_ranges - 2048 + 4
    c.jal   compressed_ranges + 6 + 2046
    .skip   2048
    ret
