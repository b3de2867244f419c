/*
 * Instruction-class exerciser for RV32IMAC + Zicsr + Zifencei (machine mode).
 *
 * Each test computes a value and calls rep() (main.c), which prints one line:
 *     "<label> <inputs...> -> <outputs...>"      (all values as 8 hex digits)
 * The output is meant to be byte-identical on QEMU and on Timescope.
 *
 * Every group is an ordinary C-callable function (ex_rv32i, ex_m, ...). The s registers hold
 * values across rep() calls, so each group saves them in its prologue.
 *
 * All groups except ex_c are assembled with `.option norvc`, so they exercise the 32-bit
 * encodings; ex_c uses explicit c.* mnemonics under `.option rvc`.
 *
 * Deliberately NOT tested here (QEMU differs from the spec or from Timescope, and Timescope's
 * own unit tests cover them): misa, misaligned loads/stores, misaligned fetch, ebreak's mtval,
 * AMOs to unmapped addresses.
 */

    .option norelax

/* ---- helpers -------------------------------------------------------------------------- */

/* reg = address of a NUL-terminated copy of `text` in .rodata */
.macro STR reg, text
    .pushsection .rodata.str, "a", @progbits
.Lstr\@: .asciz "\text"
    .popsection
    la      \reg, .Lstr\@
.endm

/* Print `text`, then nin values from a2.. as inputs and nout values after them as outputs. */
.macro REPORT text, nin, nout
    STR     a0, "\text"
    li      a1, (\nin) | ((\nout) << 4)
    call    rep
.endm

/* Register-register ALU op: "op a b -> (a op b)" */
.macro RR op, a, b
    li      s2, \a
    li      s3, \b
    \op     s4, s2, s3
    mv      a2, s2
    mv      a3, s3
    mv      a4, s4
    REPORT  "\op", 2, 1
.endm

/* Register-immediate ALU op: "op a imm -> (a op imm)" (imm printed sign-extended) */
.macro RI op, a, imm
    li      s2, \a
    \op     s4, s2, \imm
    mv      a2, s2
    li      a3, \imm
    mv      a4, s4
    REPORT  "\op", 2, 1
.endm

/* Conditional branch: "op a b -> 1" when taken, 0 when not */
.macro BR op, a, b
    li      s2, \a
    li      s3, \b
    li      s4, 1
    \op     s2, s3, .Lbr\@
    li      s4, 0
.Lbr\@:
    mv      a2, s2
    mv      a3, s3
    mv      a4, s4
    REPORT  "\op", 2, 1
.endm

/* Load from ldata+off: "op +off -> value" */
.macro LD op, off
    la      s2, ldata
    \op     s4, \off(s2)
    li      a2, \off
    mv      a3, s4
    REPORT  "\op", 1, 1
.endm

/* AMO on amo_word: "op mem rs2 -> rd mem'" */
.macro AMO op, mem, val
    la      s2, amo_word
    li      t0, \mem
    sw      t0, 0(s2)
    li      s3, \val
    \op     s4, s3, (s2)
    lw      s5, 0(s2)
    li      a2, \mem
    mv      a3, s3
    mv      a4, s4
    mv      a5, s5
    REPORT  "\op", 2, 2
.endm

/*
 * Run one instruction `insn` expecting a synchronous trap into ex_trap (installed by
 * ex_traps): "label [mcause mepc-off mtval] -> mcause (mepc - address of insn) mtval". mepc-off is 0 when mepc is right.
 */
.macro TRAP text, insn:vararg
    la      t0, trap_rec
    li      t1, 0xdeadbeef      /* sentinel: stays if no trap happened */
    sw      t1, 0(t0)
    sw      t1, 4(t0)
    sw      t1, 8(t0)
.Ltrap\@:
    \insn
    la      t0, trap_rec
    lw      a2, 0(t0)
    lw      a3, 4(t0)
    la      t1, .Ltrap\@
    sub     a3, a3, t1
    lw      a4, 8(t0)
    REPORT  "\text", 0, 3
.endm

/* Save ra and s0-s11 (callee-saved; the tests use them across rep() calls). */
.macro PROLOGUE
    addi    sp, sp, -64
    sw      ra, 0(sp)
    sw      s0, 4(sp)
    sw      s1, 8(sp)
    sw      s2, 12(sp)
    sw      s3, 16(sp)
    sw      s4, 20(sp)
    sw      s5, 24(sp)
    sw      s6, 28(sp)
    sw      s7, 32(sp)
    sw      s8, 36(sp)
    sw      s9, 40(sp)
    sw      s10, 44(sp)
    sw      s11, 48(sp)
.endm

.macro EPILOGUE
    lw      ra, 0(sp)
    lw      s0, 4(sp)
    lw      s1, 8(sp)
    lw      s2, 12(sp)
    lw      s3, 16(sp)
    lw      s4, 20(sp)
    lw      s5, 24(sp)
    lw      s6, 28(sp)
    lw      s7, 32(sp)
    lw      s8, 36(sp)
    lw      s9, 40(sp)
    lw      s10, 44(sp)
    lw      s11, 48(sp)
    addi    sp, sp, 64
    ret
.endm

    .text
    .option push
    .option norvc

/* ==== RV32I ============================================================================ */
    .globl  ex_rv32i
    .balign 4
ex_rv32i:
    PROLOGUE

    /* register-register */
    RR      add,  0x00000003, 0x00000004
    RR      add,  0x7fffffff, 0x00000001
    RR      add,  0xffffffff, 0x00000001
    RR      sub,  0x00000003, 0x00000004
    RR      sub,  0x80000000, 0x00000001
    RR      sll,  0x00000001, 0x0000001f
    RR      sll,  0x00000001, 0x00000021     /* only rs2[4:0] counts */
    RR      slt,  0xffffffff, 0x00000001
    RR      slt,  0x00000001, 0xffffffff
    RR      sltu, 0xffffffff, 0x00000001
    RR      sltu, 0x00000001, 0xffffffff
    RR      xor,  0xff00ff00, 0x0ff00ff0
    RR      srl,  0x80000000, 0x0000001f
    RR      srl,  0x80000000, 0xffffffe4     /* shift by 4 */
    RR      sra,  0x80000000, 0x0000001f
    RR      sra,  0x7ffffff0, 0x00000004
    RR      or,   0xff00ff00, 0x0ff00ff0
    RR      and,  0xff00ff00, 0x0ff00ff0

    /* register-immediate */
    RI      addi,  0x00000005, -6
    RI      addi,  0x7fffffff, 2047
    RI      addi,  0x00000000, -2048
    RI      slti,  0xfffffffe, -1
    RI      slti,  0x00000000, -1
    RI      sltiu, 0x00000000, -1            /* imm sign-extends to 0xffffffff, then unsigned */
    RI      sltiu, 0xffffffff, -1
    RI      xori,  0x12345678, -1            /* not */
    RI      ori,   0x12340000, 0x5a5
    RI      andi,  0x12345678, -16
    RI      slli,  0x00000003, 30
    RI      srli,  0xf0000000, 28
    RI      srai,  0xf0000000, 28
    RI      srai,  0x70000000, 28

    /* writes to x0 are discarded */
    li      s2, 0x1234
    add     x0, s2, s2
    addi    x0, x0, 5
    mv      a2, x0
    REPORT  "x0 after writes", 0, 1

    /* lui / auipc (auipc printed relative to its own address) */
    lui     s4, 0xfedcb
    mv      a2, s4
    REPORT  "lui fedcb", 0, 1
.Lauipc:
    auipc   s4, 0x12345
    la      s5, .Lauipc
    sub     a2, s4, s5
    REPORT  "auipc 12345 minus pc", 0, 1

    /* conditional branches, taken (1) and not taken (0) */
    BR      beq,  0x00000005, 0x00000005
    BR      beq,  0x00000005, 0x00000006
    BR      bne,  0x00000005, 0x00000006
    BR      bne,  0x00000005, 0x00000005
    BR      blt,  0xffffffff, 0x00000001
    BR      blt,  0x00000001, 0xffffffff
    BR      bge,  0x00000001, 0xffffffff
    BR      bge,  0x00000001, 0x00000001
    BR      bge,  0xffffffff, 0x00000001
    BR      bltu, 0x00000001, 0xffffffff
    BR      bltu, 0xffffffff, 0x00000001
    BR      bgeu, 0xffffffff, 0x00000001
    BR      bgeu, 0x00000001, 0xffffffff

    /* backward branch loop: sum 1..10 */
    li      s2, 10
    li      s4, 0
1:  add     s4, s4, s2
    addi    s2, s2, -1
    bnez    s2, 1b
    mv      a2, s4
    REPORT  "loop sum 1..10", 0, 1

    /* jal: link = address of the next instruction; the skipped instruction must not run */
    li      s6, 0
    jal     s4, 2f
.Ljal_next:
    li      s6, 0xbad
2:  la      s5, .Ljal_next
    sub     a2, s4, s5
    mv      a3, s6
    REPORT  "jal link-next skipped", 0, 2

    /* jalr: target = (rs1 + imm) & ~1 */
    la      s2, 3f
    addi    s2, s2, 1           /* odd address: bit 0 is cleared by jalr */
    li      s6, 0
    jalr    s4, 0(s2)
.Ljalr_next:
    li      s6, 0xbad
3:  la      s5, .Ljalr_next
    sub     a2, s4, s5
    mv      a3, s6
    REPORT  "jalr odd-target link-next skipped", 0, 2

    la      s2, 4f + 8
    jalr    s4, -8(s2)          /* negative offset */
.Ljalr2_next:
    li      s6, 0xbad
4:  la      s5, .Ljalr2_next
    sub     a2, s4, s5
    REPORT  "jalr -8 link-next", 0, 1

    la      s2, 5f
    jalr    s2, 0(s2)           /* rd == rs1: target uses the old value */
.Ljalr3_next:
    nop
5:  la      s5, .Ljalr3_next
    sub     a2, s2, s5
    REPORT  "jalr rd=rs1 link-next", 0, 1

    /* loads of every width and signedness (ldata: 80 7f ff 01 34 12 cd ab) */
    LD      lb,  0
    LD      lb,  1
    LD      lb,  2
    LD      lbu, 0
    LD      lbu, 2
    LD      lh,  0
    LD      lh,  2
    LD      lh,  6
    LD      lhu, 6
    LD      lw,  0
    LD      lw,  4
    la      s2, ldata + 8
    lw      s4, -4(s2)
    mv      a2, s4
    REPORT  "lw -4 from ldata+8", 0, 1

    /* stores of every width into sdata_word, read back with lw */
    la      s2, sdata_word
    li      t0, 0x11223344
    sw      t0, 0(s2)
    lw      a2, 0(s2)
    REPORT  "sw 11223344", 0, 1
    li      t0, 0xaa
    sb      t0, 1(s2)
    lw      a2, 0(s2)
    REPORT  "sb aa at +1", 0, 1
    li      t0, 0x1234bbcc
    sh      t0, 2(s2)           /* only the low half is stored */
    lw      a2, 0(s2)
    REPORT  "sh 1234bbcc at +2", 0, 1
    li      t0, 0x777777ee
    sb      t0, 0(s2)
    lw      a2, 0(s2)
    REPORT  "sb 777777ee at +0", 0, 1
    li      t0, 0x5566
    sh      t0, 0(s2)
    lw      a2, 0(s2)
    REPORT  "sh 5566 at +0", 0, 1
    addi    s3, s2, 4
    li      t0, 0xcafef00d
    sw      t0, -4(s3)
    lw      a2, 0(s2)
    REPORT  "sw cafef00d at -4", 0, 1
    lbu     a2, 3(s2)
    REPORT  "lbu +3 after sw", 0, 1

    /* fence: an ordering no-op on a single hart */
    fence
    fence   rw, rw
    li      a2, 1
    REPORT  "fence", 0, 1

    EPILOGUE

/* ==== M extension ====================================================================== */
    .globl  ex_m
    .balign 4
ex_m:
    PROLOGUE
    RR      mul,    0x00000003, 0x00000004
    RR      mul,    0xfffffffd, 0x00000005
    RR      mul,    0x7fffffff, 0x7fffffff
    RR      mul,    0x80000000, 0xffffffff
    RR      mulh,   0x7fffffff, 0x80000000
    RR      mulh,   0xffffffff, 0xffffffff
    RR      mulh,   0x80000000, 0x80000000
    RR      mulh,   0x12345678, 0x9abcdef0
    RR      mulhsu, 0xffffffff, 0xffffffff
    RR      mulhsu, 0x80000000, 0xffffffff
    RR      mulhsu, 0x7fffffff, 0x80000000
    RR      mulhu,  0xffffffff, 0xffffffff
    RR      mulhu,  0x80000000, 0x00000002
    RR      mulhu,  0x12345678, 0x9abcdef0
    RR      div,    0x00000014, 0x00000006
    RR      div,    0xffffffec, 0x00000006
    RR      div,    0xfffffff9, 0xfffffffe
    RR      div,    0x00000014, 0x00000000   /* divide by zero -> -1 */
    RR      div,    0x80000000, 0xffffffff   /* overflow -> INT_MIN */
    RR      divu,   0x00000014, 0x00000006
    RR      divu,   0xffffffff, 0x00000002
    RR      divu,   0x00000005, 0x00000000   /* -> 0xffffffff */
    RR      rem,    0x00000014, 0x00000006
    RR      rem,    0xffffffec, 0x00000006
    RR      rem,    0x00000007, 0xfffffffe
    RR      rem,    0x00000014, 0x00000000   /* -> dividend */
    RR      rem,    0x80000000, 0xffffffff   /* overflow -> 0 */
    RR      remu,   0x00000014, 0x00000006
    RR      remu,   0xffffffff, 0x00000010
    RR      remu,   0x00000005, 0x00000000   /* -> dividend */

    /* rd == rs1 == rs2 */
    li      s2, 0xfffffff0
    mul     s2, s2, s2
    mv      a2, s2
    REPORT  "mul rd=rs1=rs2 fffffff0", 0, 1
    EPILOGUE

/* ==== A extension ====================================================================== */
    .globl  ex_a
    .balign 4
ex_a:
    PROLOGUE
    la      s2, amo_word
    li      t0, 5
    sw      t0, 0(s2)

    /* lr.w / sc.w pair: sc succeeds (rd = 0) and the store happens */
    lr.w    s3, (s2)
    li      t1, 9
    sc.w    s4, t1, (s2)
    lw      s5, 0(s2)
    mv      a2, s3
    mv      a3, s4
    mv      a4, s5
    REPORT  "lr.w/sc.w [loaded sc-result mem]", 0, 3

    /* sc.w without a reservation (the last sc consumed it): fails (rd = 1), no store */
    li      t1, 0x77
    sc.w    s4, t1, (s2)
    lw      s5, 0(s2)
    mv      a2, s4
    mv      a3, s5
    REPORT  "sc.w no reservation [sc-result mem]", 0, 2

    /* aq/rl variants */
    lr.w.aq s3, (s2)
    li      t1, 0x1234
    sc.w.rl s4, t1, (s2)
    lw      s5, 0(s2)
    mv      a2, s3
    mv      a3, s4
    mv      a4, s5
    REPORT  "lr.w.aq/sc.w.rl [loaded sc-result mem]", 0, 3

    AMO     amoswap.w, 0x80000001, 0x7fffffff
    AMO     amoadd.w,  0x80000001, 0x7fffffff
    AMO     amoadd.w,  0xffffffff, 0x00000002
    AMO     amoxor.w,  0xff00ff00, 0x0ff00ff0
    AMO     amoand.w,  0xff00ff00, 0x0ff00ff0
    AMO     amoor.w,   0xff00ff00, 0x0ff00ff0
    AMO     amomin.w,  0x80000001, 0x7fffffff
    AMO     amomin.w,  0x00000005, 0x00000007
    AMO     amomax.w,  0x80000001, 0x7fffffff
    AMO     amomax.w,  0xfffffffe, 0xffffffff
    AMO     amominu.w, 0x80000001, 0x7fffffff
    AMO     amominu.w, 0x00000005, 0x00000007
    AMO     amomaxu.w, 0x80000001, 0x7fffffff
    AMO     amomaxu.w, 0xfffffffe, 0xffffffff
    AMO     amoadd.w.aqrl, 0x00000010, 0x00000020

    /* AMO with rd = x0: memory still updated */
    li      t0, 3
    sw      t0, 0(s2)
    li      t1, 4
    amoadd.w x0, t1, (s2)
    lw      a2, 0(s2)
    REPORT  "amoadd.w rd=x0 3+4 [mem]", 0, 1
    EPILOGUE

/* ==== Zicsr / Zifencei ================================================================= */
    .globl  ex_csr
    .balign 4
ex_csr:
    PROLOGUE
    li      t0, 0x12345678
    csrw    mscratch, t0

    li      s3, 0xffff0000
    csrrw   s4, mscratch, s3
    csrr    s5, mscratch
    mv      a2, s3
    mv      a3, s4
    mv      a4, s5
    REPORT  "csrrw mscratch [old new]", 1, 2

    li      s3, 0x0000ff00
    csrrs   s4, mscratch, s3
    csrr    s5, mscratch
    mv      a2, s3
    mv      a3, s4
    mv      a4, s5
    REPORT  "csrrs mscratch [old new]", 1, 2

    li      s3, 0xf0f0f0f0
    csrrc   s4, mscratch, s3
    csrr    s5, mscratch
    mv      a2, s3
    mv      a3, s4
    mv      a4, s5
    REPORT  "csrrc mscratch [old new]", 1, 2

    csrrwi  s4, mscratch, 0x15
    csrr    s5, mscratch
    li      a2, 0x15
    mv      a3, s4
    mv      a4, s5
    REPORT  "csrrwi mscratch [old new]", 1, 2

    csrrsi  s4, mscratch, 0x0a
    csrr    s5, mscratch
    li      a2, 0x0a
    mv      a3, s4
    mv      a4, s5
    REPORT  "csrrsi mscratch [old new]", 1, 2

    csrrci  s4, mscratch, 0x03
    csrr    s5, mscratch
    li      a2, 0x03
    mv      a3, s4
    mv      a4, s5
    REPORT  "csrrci mscratch [old new]", 1, 2

    li      s3, 0xa5a5a5a5
    csrrw   x0, mscratch, s3    /* write-only form */
    csrrs   s4, mscratch, x0    /* read-only form */
    csrrc   s5, mscratch, x0
    csrrsi  s6, mscratch, 0
    mv      a2, s4
    mv      a3, s5
    mv      a4, s6
    REPORT  "csrw a5a5a5a5 then read x3", 0, 3

    csrrw   s4, mscratch, s4    /* rd == rs1 */
    mv      a2, s4
    REPORT  "csrrw rd=rs1", 0, 1

    csrr    a2, mhartid
    REPORT  "mhartid", 0, 1

    /*
     * fence.i: write code into RAM, execute it, rewrite it, fence.i, execute again.
     * codebuf is on its own page in .bss (see below).
     */
    la      s2, codebuf
    li      t0, 0x02a00513      /* addi a0, x0, 42 */
    sw      t0, 0(s2)
    li      t0, 0x00008067      /* jalr x0, 0(ra)  (ret) */
    sw      t0, 4(s2)
    fence.i
    li      a0, 0
    jalr    ra, 0(s2)
    mv      s3, a0
    li      t0, 0x02b00513      /* addi a0, x0, 43 */
    sw      t0, 0(s2)
    fence.i
    li      a0, 0
    jalr    ra, 0(s2)
    mv      s4, a0
    li      t0, 0x4555          /* c.li a0, 21 */
    sh      t0, 0(s2)
    li      t0, 0x8082          /* c.jr ra  (ret) */
    sh      t0, 2(s2)
    fence.i
    li      a0, 0
    jalr    ra, 0(s2)
    mv      a4, a0
    mv      a2, s3
    mv      a3, s4
    REPORT  "fence.i rewritten code", 0, 3
    EPILOGUE

/* ==== Traps ============================================================================ */
    .globl  ex_traps
    .balign 4
ex_traps:
    PROLOGUE
    csrr    s11, mtvec
    la      t0, ex_trap
    csrw    mtvec, t0

    TRAP    "ecall [mcause mepc-off mtval]", ecall
    TRAP    "illegal 00007003 [mcause mepc-off mtval]", .word 0x00007003
    /* c.unimp, then a c.nop (where the handler resumes) to keep 4-byte alignment */
    TRAP    "illegal c.unimp 0000 [mcause mepc-off mtval]", .half 0x0000, 0x0001
    li      t2, 0x00200000      /* a hole in the memory map */
    TRAP    "load fault lw 00200000 [mcause mepc-off mtval]", lw t3, 0(t2)
    TRAP    "load fault lbu 00200003 [mcause mepc-off mtval]", lbu t3, 3(t2)
    TRAP    "store fault sw 00200000 [mcause mepc-off mtval]", sw t3, 0(t2)
    TRAP    "store fault sb 00200001 [mcause mepc-off mtval]", sb t3, 1(t2)

    csrw    mtvec, s11
    EPILOGUE

/*
 * Trap handler for ex_traps: record mcause/mepc/mtval in trap_rec and resume after the
 * trapping instruction (2 or 4 bytes, judged from its low two bits).
 */
    .balign 4
ex_trap:
    addi    sp, sp, -16
    sw      t0, 0(sp)
    sw      t1, 4(sp)
    la      t0, trap_rec
    csrr    t1, mcause
    sw      t1, 0(t0)
    csrr    t1, mepc
    sw      t1, 4(t0)
    csrr    t1, mtval
    sw      t1, 8(t0)
    csrr    t0, mepc
    lhu     t1, 0(t0)
    andi    t1, t1, 3
    addi    t0, t0, 2
    xori    t1, t1, 3
    bnez    t1, 1f              /* compressed: +2 */
    addi    t0, t0, 2           /* 32-bit: +4 */
1:  csrw    mepc, t0
    lw      t0, 0(sp)
    lw      t1, 4(sp)
    addi    sp, sp, 16
    mret

    .option pop     /* back to rvc */

/* ==== C extension ====================================================================== */
/* Every instruction between the REPORTs below is an explicit 16-bit c.* form. */
    .option push
    .option rvc
    .globl  ex_c
    .balign 4
ex_c:
    PROLOGUE

    c.li    a4, -5
    mv      a2, a4
    REPORT  "c.li -5", 0, 1

    c.lui   a4, 0x1f
    mv      a2, a4
    REPORT  "c.lui 1f", 0, 1

    c.lui   a4, 0xfffe0         /* nzimm = -32: sign-extended upper immediate */
    mv      a2, a4
    REPORT  "c.lui fffe0", 0, 1

    c.li    a4, 10
    c.addi  a4, -11
    mv      a2, a4
    REPORT  "c.li 10; c.addi -11", 0, 1

    c.li    a4, 31
    c.addi  a4, 31
    c.slli  a4, 26
    mv      a2, a4
    REPORT  "c.li 31; c.addi 31; c.slli 26", 0, 1

    c.lui   s0, 0xfffe0
    c.srli  s0, 4
    mv      a2, s0
    REPORT  "c.srli fffe0000 4", 0, 1

    c.lui   s0, 0xfffe0
    c.srai  s0, 4
    mv      a2, s0
    REPORT  "c.srai fffe0000 4", 0, 1

    c.li    s0, -1
    c.andi  s0, -16
    mv      a2, s0
    REPORT  "c.andi ffffffff -16", 0, 1

    /* c.sub/c.xor/c.or/c.and take x8-x15 (s0, s1, a0-a5) only */
    c.li    s0, 0x1a
    c.li    s1, 0x0f
    c.sub   s0, s1
    mv      a2, s0
    REPORT  "c.sub 1a 0f", 0, 1

    c.li    s0, 0x1a
    c.xor   s0, s1
    mv      a2, s0
    REPORT  "c.xor 1a 0f", 0, 1

    c.li    s0, 0x1a
    c.or    s0, s1
    mv      a2, s0
    REPORT  "c.or 1a 0f", 0, 1

    c.li    s0, 0x1a
    c.and   s0, s1
    mv      a2, s0
    REPORT  "c.and 1a 0f", 0, 1

    c.li    a4, 7
    c.li    a5, -2
    c.add   a4, a5
    c.mv    a3, a4
    mv      a2, a3
    REPORT  "c.add 7 -2; c.mv", 0, 1

    /* c.addi16sp / c.addi4spn, printed relative to sp */
    c.mv    a4, sp
    c.addi16sp sp, -32
    sub     a2, sp, a4
    c.addi4spn s0, sp, 20
    sub     a3, s0, sp
    c.addi16sp sp, 32
    sub     a4, sp, a4
    REPORT  "c.addi16sp -32; c.addi4spn 20; c.addi16sp 32 [sp-delta s0-sp sp-delta]", 0, 3

    /* c.lw / c.sw (x8-x15 base) and c.lwsp / c.swsp */
    la      s1, ldata
    c.lw    s0, 4(s1)
    mv      a2, s0
    la      s1, sdata_word
    c.li    a5, -7
    c.sw    a5, 0(s1)
    c.lw    s0, 0(s1)
    mv      a3, s0
    c.addi16sp sp, -16
    c.swsp  s0, 12(sp)
    c.lwsp  a4, 12(sp)
    c.addi16sp sp, 16
    REPORT  "c.lw ldata+4; c.sw/c.lw -7; c.swsp/c.lwsp", 0, 3

    /* c.beqz / c.bnez, taken and not taken */
    c.li    s0, 0
    c.li    a4, 0
    c.beqz  s0, 1f
    c.li    a4, 1
1:  c.li    a5, 0
    c.bnez  s0, 2f
    c.li    a5, 1
2:  c.li    s0, 3
    c.li    a3, 0
    c.bnez  s0, 3f
    c.li    a3, 1
3:  mv      a2, a4
    mv      t0, a3
    mv      a3, a5
    mv      a4, t0
    REPORT  "c.beqz 0; c.bnez 0; c.bnez 3 [fell-through? each]", 0, 3

    /* c.j skips, c.jal links pc+2, c.jr / c.jalr via register */
    c.li    a4, 0
    c.j     4f
    c.li    a4, 1
4:  c.jal   5f
.Lcjal_next:
    c.li    a4, 2
5:  la      a5, .Lcjal_next
    sub     a3, ra, a5
    mv      a2, a4
    REPORT  "c.j skipped; c.jal link-next", 0, 2

    la      a5, 6f
    c.li    a4, 0
    c.jr    a5
    c.li    a4, 1
6:  la      a5, 7f
    c.jalr  a5
.Lcjalr_next:
    c.li    a4, 2
7:  la      a5, .Lcjalr_next
    sub     a3, ra, a5
    mv      a2, a4
    REPORT  "c.jr skipped; c.jalr link-next", 0, 2

    /* c.nop and a 32-bit instruction at a 2 (mod 4) address */
    c.nop
    lui     a2, 0x13579
    c.nop
    REPORT  "c.nop; lui at pc%4==2", 0, 1

    /* a 32-bit instruction straddling a 4 KiB page boundary */
    j       .Lstraddle
    .p2align 12
    .fill   2047, 2, 0x0001     /* 2047 x c.nop = 4094 bytes */
.Lstraddle:
    lui     a2, 0x2468a         /* bytes 4094..4097 of the page */
    REPORT  "lui across page boundary", 0, 1

    EPILOGUE
    .option pop

/* ==== data ============================================================================= */
    .data
    .balign 8
ldata:
    .byte   0x80, 0x7f, 0xff, 0x01, 0x34, 0x12, 0xcd, 0xab
sdata_word:
    .word   0, 0
amo_word:
    .word   0
trap_rec:
    .word   0, 0, 0             /* mcause, mepc, mtval */

    .bss
    .p2align 12                 /* own page, so executing it does not slow down other stores */
codebuf:
    .space  16
