/// An instruction decoded once into the fields the interpreter needs. Translated blocks
/// (`BlockCache`) hold runs of these, with pc-relative immediates already turned into
/// absolute addresses.
struct DecodedInstruction {
    /// The instruction bits (the 32-bit word, or the 16-bit halfword of a compressed one).
    var bits: UInt32
    /// Sign-extended immediate, or the expanded 32-bit word for `.system`/`.atomic`.
    var immediate: UInt32
    var kind: Kind
    /// Destination register; writes to x0 are sent to the scratch slot 32 instead.
    var rd: UInt8
    var rs1: UInt8
    var rs2: UInt8
    /// 2 for compressed instructions, 4 otherwise.
    var length: UInt32

    enum Kind: UInt8 {
        case addi, slti, sltiu, xori, ori, andi, slli, srli, srai
        case add, sub, sll, slt, sltu, xor, srl, sra, or, and
        case mul, mulh, mulhsu, mulhu, div, divu, rem, remu
        case lui, auipc, jal, jalr
        case beq, bne, blt, bge, bltu, bgeu
        case lb, lh, lw, lbu, lhu, sb, sh, sw
        case fence
        /// SYSTEM (ecall, ebreak, mret, wfi, Zicsr): executed out of line.
        case system
        /// A extension: executed out of line.
        case atomic
        case illegal
    }

    /// Register slot that swallows writes to x0.
    static let discard: UInt8 = 32

    /// Whether the instruction ends a translated block (it changes pc or runs out of line).
    var endsBlock: Bool {
        switch kind {
        case .jal, .jalr, .beq, .bne, .blt, .bge, .bltu, .bgeu, .system, .atomic, .illegal: true
        default: false
        }
    }

    /// Decodes `bits`: a 32-bit word when its low two bits are 0b11, else a 16-bit halfword.
    static func decode(_ bits: UInt32) -> DecodedInstruction {
        if bits & 3 == 3 { return decode32(bits, bits: bits, length: 4) }
        let expanded = Machine.expandCompressed(bits & 0xFFFF)
        if expanded == 0 { return illegalEntry(bits & 0xFFFF, length: 2) }
        return decode32(expanded, bits: bits & 0xFFFF, length: 2)
    }

    private static func illegalEntry(_ bits: UInt32, length: UInt32) -> DecodedInstruction {
        DecodedInstruction(
            bits: bits, immediate: bits, kind: .illegal, rd: discard, rs1: 0, rs2: 0, length: length)
    }

    private static func decode32(_ inst: UInt32, bits: UInt32, length: UInt32) -> DecodedInstruction {
        let rdField = UInt8((inst >> 7) & 31)
        let rd = rdField == 0 ? discard : rdField
        let rs1 = UInt8((inst >> 15) & 31)
        let rs2 = UInt8((inst >> 20) & 31)
        let funct3 = (inst >> 12) & 7
        let funct7 = inst >> 25
        let immI = UInt32(bitPattern: Int32(bitPattern: inst) >> 20)
        func make(_ kind: Kind, _ immediate: UInt32 = 0) -> DecodedInstruction {
            DecodedInstruction(
                bits: bits, immediate: immediate, kind: kind, rd: rd, rs1: rs1, rs2: rs2, length: length)
        }
        let illegal = illegalEntry(bits, length: length)
        switch inst & 0x7F {
        case 0x13:
            switch funct3 {
            case 0: return make(.addi, immI)
            case 1: return funct7 == 0 ? make(.slli, immI & 31) : illegal
            case 2: return make(.slti, immI)
            case 3: return make(.sltiu, immI)
            case 4: return make(.xori, immI)
            case 5:
                switch funct7 {
                case 0: return make(.srli, immI & 31)
                case 0x20: return make(.srai, immI & 31)
                default: return illegal
                }
            case 6: return make(.ori, immI)
            default: return make(.andi, immI)
            }
        case 0x33:
            let kinds: [Kind]
            switch funct7 {
            case 0: kinds = [.add, .sll, .slt, .sltu, .xor, .srl, .or, .and]
            case 1: kinds = [.mul, .mulh, .mulhsu, .mulhu, .div, .divu, .rem, .remu]
            case 0x20:
                switch funct3 {
                case 0: return make(.sub)
                case 5: return make(.sra)
                default: return illegal
                }
            default: return illegal
            }
            return make(kinds[Int(funct3)])
        case 0x03:
            switch funct3 {
            case 0: return make(.lb, immI)
            case 1: return make(.lh, immI)
            case 2: return make(.lw, immI)
            case 4: return make(.lbu, immI)
            case 5: return make(.lhu, immI)
            default: return illegal
            }
        case 0x23:
            let imm = UInt32(
                bitPattern: (Int32(bitPattern: inst & 0xFE00_0000) >> 20) | Int32((inst >> 7) & 31))
            switch funct3 {
            case 0: return make(.sb, imm)
            case 1: return make(.sh, imm)
            case 2: return make(.sw, imm)
            default: return illegal
            }
        case 0x63:
            let imm = UInt32(
                bitPattern: (Int32(bitPattern: inst & 0x8000_0000) >> 19) | Int32((inst & 0x80) << 4)
                    | Int32((inst >> 20) & 0x7E0) | Int32((inst >> 7) & 0x1E))
            switch funct3 {
            case 0: return make(.beq, imm)
            case 1: return make(.bne, imm)
            case 4: return make(.blt, imm)
            case 5: return make(.bge, imm)
            case 6: return make(.bltu, imm)
            case 7: return make(.bgeu, imm)
            default: return illegal
            }
        case 0x37: return make(.lui, inst & 0xFFFF_F000)
        case 0x17: return make(.auipc, inst & 0xFFFF_F000)
        case 0x6F:
            let imm = UInt32(
                bitPattern: (Int32(bitPattern: inst & 0x8000_0000) >> 11) | Int32(inst & 0xF_F000)
                    | Int32((inst >> 9) & 0x800) | Int32((inst >> 20) & 0x7FE))
            return make(.jal, imm)
        case 0x67: return funct3 == 0 ? make(.jalr, immI) : illegal
        case 0x0F: return funct3 <= 1 ? make(.fence) : illegal
        case 0x73: return make(.system, inst)
        case 0x2F: return funct3 == 2 ? make(.atomic, inst) : illegal
        default: return illegal
        }
    }
}

extension DecodedInstruction.Kind {
    /// Bytes a load or store accesses (1 for everything else).
    var accessSize: UInt32 {
        switch self {
        case .lw, .sw: 4
        case .lh, .lhu, .sh: 2
        default: 1
        }
    }
}
