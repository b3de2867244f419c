/// One decoded instruction as text, spelled the way GNU objdump spells it.
///
/// ```
/// Disassembler.disassemble(0xffc5_8513, at: 0x8000_0000)
/// // length 4, mnemonic "addi", operands "a0,a1,-4", text "addi a0,a1,-4"
/// ```
public struct DisassembledInstruction: Equatable, Sendable {
    /// Size of the encoding in bytes: 2 for a compressed instruction, otherwise 4.
    public var length: Int
    /// The mnemonic, with pseudo-instructions preferred (`li`, `ret`, `beqz`) and compressed
    /// instructions shown expanded (`c.li a0,0` is `li`); `.2byte`/`.4byte` for an unknown encoding.
    public var mnemonic: String
    /// Comma-separated operands without spaces (`a0,-4(sp)`); empty when there are none.
    public var operands: String

    /// The whole instruction: the mnemonic, then a space and the operands if there are any.
    public var text: String { operands.isEmpty ? mnemonic : mnemonic + " " + operands }

    /// Creates an instruction text from its parts.
    public init(length: Int, mnemonic: String, operands: String = "") {
        self.length = length
        self.mnemonic = mnemonic
        self.operands = operands
    }
}

/// Turns RV32IMAC + Zicsr + Zifencei machine code into assembly text.
///
/// The output follows `riscv64-unknown-elf-objdump -d` (binutils 2.40) for an object assembled with
/// `-march=rv32imac_zicsr_zifencei`: ABI register names, the same pseudo-instructions, decimal
/// offsets and immediates, hex shift amounts and upper immediates, absolute hex branch targets, CSR
/// names, and `.2byte 0x…` / `.4byte 0x…` for encodings that are not instructions. One deliberate
/// difference: immediate forms keep their `i` mnemonic (`addi a0,a1,-4`, `csrwi mstatus,8`) where
/// binutils 2.40 prints the register form with an immediate (`add a0,a1,-4`, `csrw mstatus,8`).
/// CSR names are those binutils 2.40 uses for privileged spec 1.11, the version it records in the
/// firmware it assembles.
///
/// Decoding is a pure function of its arguments: no state, no allocation beyond the result strings.
/// It never traps: every 32-bit value decodes to some text.
public enum Disassembler {
    /// Disassembles one instruction.
    ///
    /// - Parameters:
    ///   - bits: The instruction word. When its low two bits are not `0b11` it is a compressed
    ///     instruction and only the low 16 bits are read. Encodings longer than 32 bits (low five
    ///     bits `11111`) are not RV32IMAC instructions; their first word reads as `.4byte`.
    ///   - pc: The address of the instruction, used to print branch and jump targets as absolute
    ///     addresses (`j 80000010`).
    ///   - symbolize: Optionally names a target address (`main+0x10`); the name is printed after the
    ///     address in angle brackets, as objdump does (`j 80000010 <main+0x10>`).
    /// - Returns: The instruction text and the length of its encoding.
    public static func disassemble(
        _ bits: UInt32, at pc: UInt32, symbolize: ((UInt32) -> String?)? = nil
    ) -> DisassembledInstruction {
        if bits & 0b11 != 0b11 {
            return disassembleCompressed(UInt16(truncatingIfNeeded: bits), at: pc, symbolize: symbolize)
        }
        return disassembleStandard(Word(bits: bits), at: pc, symbolize: symbolize)
    }
}

// MARK: - 32-bit encodings

extension Disassembler {
    /// The fields of a 32-bit instruction (Unprivileged spec 2.2-2.3: base instruction formats).
    struct Word {
        let bits: UInt32

        var opcode: UInt32 { bits & 0x7f }
        var rd: UInt32 { (bits >> 7) & 0x1f }
        var funct3: UInt32 { (bits >> 12) & 0x7 }
        var rs1: UInt32 { (bits >> 15) & 0x1f }
        var rs2: UInt32 { (bits >> 20) & 0x1f }
        var funct7: UInt32 { bits >> 25 }
        /// Bits 31:20 as a CSR number or an unsigned 12-bit field.
        var csr: UInt32 { bits >> 20 }

        var immI: Int32 { Int32(bitPattern: bits) >> 20 }
        var immS: Int32 { (Int32(bitPattern: bits) >> 25) << 5 | Int32((bits >> 7) & 0x1f) }
        var immB: Int32 {
            (Int32(bitPattern: bits) >> 31) << 12 | Int32((bits >> 7) & 0x1) << 11
                | Int32((bits >> 25) & 0x3f) << 5 | Int32((bits >> 8) & 0xf) << 1
        }
        var immJ: Int32 {
            (Int32(bitPattern: bits) >> 31) << 20 | Int32((bits >> 12) & 0xff) << 12
                | Int32((bits >> 20) & 0x1) << 11 | Int32((bits >> 21) & 0x3ff) << 1
        }
    }

    static func disassembleStandard(
        _ word: Word, at pc: UInt32, symbolize: ((UInt32) -> String?)?
    ) -> DisassembledInstruction {
        switch word.opcode {
        case 0x37: return standard("lui", x(word.rd) + "," + hex(word.bits >> 12))
        case 0x17: return standard("auipc", x(word.rd) + "," + hex(word.bits >> 12))
        case 0x6f: return jal(word, at: pc, symbolize: symbolize)
        case 0x67: return jalr(word)
        case 0x63: return branch(word, at: pc, symbolize: symbolize)
        case 0x03: return load(word)
        case 0x23: return store(word)
        case 0x13: return operationWithImmediate(word)
        case 0x33: return operation(word)
        case 0x0f: return miscMem(word)
        case 0x2f: return atomic(word)
        case 0x73: return system(word)
        default: return unknown(word)
        }
    }

    // Unprivileged spec 2.5: JAL. `j` drops rd = zero, `jal` alone means rd = ra.
    private static func jal(
        _ word: Word, at pc: UInt32, symbolize: ((UInt32) -> String?)?
    ) -> DisassembledInstruction {
        let destination = target(pc &+ UInt32(bitPattern: word.immJ), symbolize)
        switch word.rd {
        case 0: return standard("j", destination)
        case 1: return standard("jal", destination)
        default: return standard("jal", x(word.rd) + "," + destination)
        }
    }

    // Unprivileged spec 2.5: JALR, with objdump's ret / jr / jalr shorthands.
    private static func jalr(_ word: Word) -> DisassembledInstruction {
        guard word.funct3 == 0 else { return unknown(word) }
        let offset = word.immI
        let base = offset == 0 ? x(word.rs1) : String(offset) + "(" + x(word.rs1) + ")"
        switch word.rd {
        case 0: return word.rs1 == 1 && offset == 0 ? standard("ret") : standard("jr", base)
        case 1: return standard("jalr", base)
        default: return standard("jalr", x(word.rd) + "," + base)
        }
    }

    // Unprivileged spec 2.5: conditional branches, with the compare-with-zero pseudos.
    private static func branch(
        _ word: Word, at pc: UInt32, symbolize: ((UInt32) -> String?)?
    ) -> DisassembledInstruction {
        let destination = target(pc &+ UInt32(bitPattern: word.immB), symbolize)
        let rs1 = word.rs1
        let rs2 = word.rs2
        switch word.funct3 {
        case 0:
            if rs2 == 0 { return standard("beqz", x(rs1) + "," + destination) }
            return standard("beq", x(rs1) + "," + x(rs2) + "," + destination)
        case 1:
            if rs2 == 0 { return standard("bnez", x(rs1) + "," + destination) }
            return standard("bne", x(rs1) + "," + x(rs2) + "," + destination)
        case 4:
            if rs2 == 0 { return standard("bltz", x(rs1) + "," + destination) }
            if rs1 == 0 { return standard("bgtz", x(rs2) + "," + destination) }
            return standard("blt", x(rs1) + "," + x(rs2) + "," + destination)
        case 5:
            if rs1 == 0 { return standard("blez", x(rs2) + "," + destination) }
            if rs2 == 0 { return standard("bgez", x(rs1) + "," + destination) }
            return standard("bge", x(rs1) + "," + x(rs2) + "," + destination)
        case 6: return standard("bltu", x(rs1) + "," + x(rs2) + "," + destination)
        case 7: return standard("bgeu", x(rs1) + "," + x(rs2) + "," + destination)
        default: return unknown(word)
        }
    }

    // Unprivileged spec 2.6: loads.
    private static func load(_ word: Word) -> DisassembledInstruction {
        let mnemonic: String
        switch word.funct3 {
        case 0: mnemonic = "lb"
        case 1: mnemonic = "lh"
        case 2: mnemonic = "lw"
        case 4: mnemonic = "lbu"
        case 5: mnemonic = "lhu"
        default: return unknown(word)
        }
        return standard(mnemonic, x(word.rd) + "," + String(word.immI) + "(" + x(word.rs1) + ")")
    }

    // Unprivileged spec 2.6: stores.
    private static func store(_ word: Word) -> DisassembledInstruction {
        let mnemonic: String
        switch word.funct3 {
        case 0: mnemonic = "sb"
        case 1: mnemonic = "sh"
        case 2: mnemonic = "sw"
        default: return unknown(word)
        }
        return standard(mnemonic, x(word.rs2) + "," + String(word.immS) + "(" + x(word.rs1) + ")")
    }

    // Unprivileged spec 2.4: integer register-immediate instructions.
    private static func operationWithImmediate(_ word: Word) -> DisassembledInstruction {
        let rd = word.rd
        let rs1 = word.rs1
        let imm = word.immI
        switch word.funct3 {
        case 0:
            if rs1 == 0 {
                return rd == 0 && imm == 0 ? standard("nop") : standard("li", x(rd) + "," + String(imm))
            }
            if imm == 0 { return standard("mv", x(rd) + "," + x(rs1)) }
            return standard("addi", x(rd) + "," + x(rs1) + "," + String(imm))
        case 1:
            // binutils decodes a 6-bit shift amount even on RV32, where shamt[5] = 1 is reserved.
            guard word.bits >> 26 == 0 else { return unknown(word) }
            return standard("slli", x(rd) + "," + x(rs1) + "," + hex(word.rs2 | (word.funct7 & 1) << 5))
        case 2: return standard("slti", x(rd) + "," + x(rs1) + "," + String(imm))
        case 3:
            if imm == 1 { return standard("seqz", x(rd) + "," + x(rs1)) }
            return standard("sltiu", x(rd) + "," + x(rs1) + "," + String(imm))
        case 4:
            if imm == -1 { return standard("not", x(rd) + "," + x(rs1)) }
            return standard("xori", x(rd) + "," + x(rs1) + "," + String(imm))
        case 5:
            let shamt = hex(word.rs2 | (word.funct7 & 1) << 5)
            switch word.bits >> 26 {
            case 0x00: return standard("srli", x(rd) + "," + x(rs1) + "," + shamt)
            case 0x10: return standard("srai", x(rd) + "," + x(rs1) + "," + shamt)
            default: return unknown(word)
            }
        case 6: return standard("ori", x(rd) + "," + x(rs1) + "," + String(imm))
        default:
            if imm == 0xff { return standard("zext.b", x(rd) + "," + x(rs1)) }
            return standard("andi", x(rd) + "," + x(rs1) + "," + String(imm))
        }
    }

    // Unprivileged spec 2.4 (register-register) and chapter 13 (M extension).
    private static func operation(_ word: Word) -> DisassembledInstruction {
        let rd = word.rd
        let rs1 = word.rs1
        let rs2 = word.rs2
        let mnemonic: String
        switch (word.funct7, word.funct3) {
        case (0x00, 0): mnemonic = "add"
        case (0x00, 1): mnemonic = "sll"
        case (0x00, 2):
            if rs2 == 0 { return standard("sltz", x(rd) + "," + x(rs1)) }
            if rs1 == 0 { return standard("sgtz", x(rd) + "," + x(rs2)) }
            mnemonic = "slt"
        case (0x00, 3):
            if rs1 == 0 { return standard("snez", x(rd) + "," + x(rs2)) }
            mnemonic = "sltu"
        case (0x00, 4): mnemonic = "xor"
        case (0x00, 5): mnemonic = "srl"
        case (0x00, 6): mnemonic = "or"
        case (0x00, 7): mnemonic = "and"
        case (0x20, 0):
            if rs1 == 0 { return standard("neg", x(rd) + "," + x(rs2)) }
            mnemonic = "sub"
        case (0x20, 5): mnemonic = "sra"
        case (0x01, 0): mnemonic = "mul"
        case (0x01, 1): mnemonic = "mulh"
        case (0x01, 2): mnemonic = "mulhsu"
        case (0x01, 3): mnemonic = "mulhu"
        case (0x01, 4): mnemonic = "div"
        case (0x01, 5): mnemonic = "divu"
        case (0x01, 6): mnemonic = "rem"
        case (0x01, 7): mnemonic = "remu"
        default: return unknown(word)
        }
        return standard(mnemonic, x(rd) + "," + x(rs1) + "," + x(rs2))
    }

    // Unprivileged spec 2.7 (FENCE, FENCE.TSO) and chapter 3 (Zifencei).
    private static func miscMem(_ word: Word) -> DisassembledInstruction {
        guard word.rd == 0, word.rs1 == 0 else { return unknown(word) }
        switch word.funct3 {
        case 0:
            let fm = word.bits >> 28
            let predecessor = (word.bits >> 24) & 0xf
            let successor = (word.bits >> 20) & 0xf
            if fm == 0 {
                if predecessor == 0xf && successor == 0xf { return standard("fence") }
                return standard("fence", fenceSet(predecessor) + "," + fenceSet(successor))
            }
            if fm == 0x8 && predecessor == 0x3 && successor == 0x3 { return standard("fence.tso") }
            return unknown(word)
        case 1:
            return word.csr == 0 ? standard("fence.i") : unknown(word)
        default:
            return unknown(word)
        }
    }

    /// A FENCE predecessor or successor set as objdump prints it: `iorw` letters, `unknown` if empty.
    private static func fenceSet(_ set: UInt32) -> String {
        if set == 0 { return "unknown" }
        var text = ""
        if set & 0x8 != 0 { text += "i" }
        if set & 0x4 != 0 { text += "o" }
        if set & 0x2 != 0 { text += "r" }
        if set & 0x1 != 0 { text += "w" }
        return text
    }

    // Unprivileged spec chapter 14: the A extension, word-sized only on RV32.
    private static func atomic(_ word: Word) -> DisassembledInstruction {
        guard word.funct3 == 2 else { return unknown(word) }
        let base: String
        switch word.funct7 >> 2 {
        case 0x02:
            guard word.rs2 == 0 else { return unknown(word) }
            return standard("lr.w" + orderingSuffix(word), x(word.rd) + ",(" + x(word.rs1) + ")")
        case 0x03: base = "sc.w"
        case 0x01: base = "amoswap.w"
        case 0x00: base = "amoadd.w"
        case 0x04: base = "amoxor.w"
        case 0x0c: base = "amoand.w"
        case 0x08: base = "amoor.w"
        case 0x10: base = "amomin.w"
        case 0x14: base = "amomax.w"
        case 0x18: base = "amominu.w"
        case 0x1c: base = "amomaxu.w"
        default: return unknown(word)
        }
        return standard(
            base + orderingSuffix(word), x(word.rd) + "," + x(word.rs2) + ",(" + x(word.rs1) + ")")
    }

    /// The `.aq` / `.rl` / `.aqrl` suffix from bits 26 (aq) and 25 (rl).
    private static func orderingSuffix(_ word: Word) -> String {
        switch word.funct7 & 0x3 {
        case 0x2: return ".aq"
        case 0x1: return ".rl"
        case 0x3: return ".aqrl"
        default: return ""
        }
    }

    // Privileged spec 3.3 (ECALL, MRET, WFI, …) and Unprivileged chapter 7 (Zicsr).
    private static func system(_ word: Word) -> DisassembledInstruction {
        let rd = word.rd
        let rs1 = word.rs1
        let csr = csrName(word.csr)
        switch word.funct3 {
        case 0: return privileged(word)
        case 1:
            if word.bits == 0xc000_1073 { return standard("unimp") }  // csrw cycle,zero
            if rd == 0 { return standard("csrw", csr + "," + x(rs1)) }
            return standard("csrrw", x(rd) + "," + csr + "," + x(rs1))
        case 2:
            if rs1 == 0, let counter = counterReadName(word.csr) { return standard(counter, x(rd)) }
            if rs1 == 0 { return standard("csrr", x(rd) + "," + csr) }
            if rd == 0 { return standard("csrs", csr + "," + x(rs1)) }
            return standard("csrrs", x(rd) + "," + csr + "," + x(rs1))
        case 3:
            if rd == 0 { return standard("csrc", csr + "," + x(rs1)) }
            return standard("csrrc", x(rd) + "," + csr + "," + x(rs1))
        case 5:
            if rd == 0 { return standard("csrwi", csr + "," + String(rs1)) }
            return standard("csrrwi", x(rd) + "," + csr + "," + String(rs1))
        case 6:
            if rd == 0 { return standard("csrsi", csr + "," + String(rs1)) }
            return standard("csrrsi", x(rd) + "," + csr + "," + String(rs1))
        case 7:
            if rd == 0 { return standard("csrci", csr + "," + String(rs1)) }
            return standard("csrrci", x(rd) + "," + csr + "," + String(rs1))
        default:
            return unknown(word)
        }
    }

    /// The `rdcycle`-style pseudo for `csrrs rd,counter,zero`, if the CSR is a user counter.
    private static func counterReadName(_ csr: UInt32) -> String? {
        switch csr {
        case 0xc00: return "rdcycle"
        case 0xc01: return "rdtime"
        case 0xc02: return "rdinstret"
        case 0xc80: return "rdcycleh"
        case 0xc81: return "rdtimeh"
        case 0xc82: return "rdinstreth"
        default: return nil
        }
    }

    // The funct3 = 0 SYSTEM space: environment calls, trap returns, WFI and address fences, including
    // the older privileged-spec encodings objdump still names (uret, hret, sfence.vm).
    private static func privileged(_ word: Word) -> DisassembledInstruction {
        switch word.bits {
        case 0x0000_0073: return standard("ecall")
        case 0x0010_0073: return standard("ebreak")
        case 0x0020_0073: return standard("uret")
        case 0x1020_0073: return standard("sret")
        case 0x2020_0073: return standard("hret")
        case 0x3020_0073: return standard("mret")
        case 0x7b20_0073: return standard("dret")
        case 0x1050_0073: return standard("wfi")
        default: break
        }
        if word.bits & 0xfff0_7fff == 0x1040_0073 {
            return word.rs1 == 0 ? standard("sfence.vm") : standard("sfence.vm", x(word.rs1))
        }
        if word.bits & 0xfe00_7fff == 0x1200_0073 {
            if word.rs2 != 0 { return standard("sfence.vma", x(word.rs1) + "," + x(word.rs2)) }
            return word.rs1 == 0 ? standard("sfence.vma") : standard("sfence.vma", x(word.rs1))
        }
        return unknown(word)
    }

    private static func unknown(_ word: Word) -> DisassembledInstruction {
        standard(".4byte", hex(word.bits))
    }

    private static func standard(_ mnemonic: String, _ operands: String = "") -> DisassembledInstruction {
        DisassembledInstruction(length: 4, mnemonic: mnemonic, operands: operands)
    }
}

// MARK: - Operand text

extension Disassembler {
    static let abiRegisterNames: [String] = [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
        "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
        "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ]

    /// The ABI name of integer register `number` (only its low five bits are read).
    static func x(_ number: UInt32) -> String {
        abiRegisterNames[Int(number & 0x1f)]
    }

    /// `0x` and lowercase hex digits without leading zeros, as objdump prints unsigned fields.
    static func hex(_ value: UInt32) -> String {
        "0x" + hexDigits(value)
    }

    /// A branch or jump target: bare hex address, then `<symbol>` when the caller can name it.
    static func target(_ address: UInt32, _ symbolize: ((UInt32) -> String?)?) -> String {
        let text = hexDigits(address)
        guard let name = symbolize?(address) else { return text }
        return text + " <" + name + ">"
    }
}
