// The C extension (Unprivileged spec chapter 16, RV32 encodings). objdump prints a compressed
// instruction as the instruction it expands to (`c.addi16sp` is `addi sp,sp,-16`), and keeps the
// `c.` name only for HINT encodings that have no 32-bit spelling (`c.li zero,5`, `c.slli64 a0`).
// The floating-point loads and stores (c.flw, c.fsw, c.fld, …) are not part of RV32IMAC and decode
// as `.2byte`, as objdump does for an image without F and D.

extension Disassembler {
    /// The fields of a 16-bit instruction, with the immediates of each format reassembled.
    struct Halfword {
        let bits: UInt32

        var quadrant: UInt32 { bits & 0x3 }
        var funct3: UInt32 { bits >> 13 }
        /// Full register number in bits 11:7 (CR, CI, CSS formats).
        var rd: UInt32 { (bits >> 7) & 0x1f }
        /// Full register number in bits 6:2.
        var rs2: UInt32 { (bits >> 2) & 0x1f }
        /// Register x8-x15 in bits 9:7 (rs1' / rd').
        var rs1Prime: UInt32 { 8 + (bits >> 7) & 0x7 }
        /// Register x8-x15 in bits 4:2 (rs2' / rd').
        var rs2Prime: UInt32 { 8 + (bits >> 2) & 0x7 }

        /// The bit at `index`, moved to `position`.
        func bit(_ index: UInt32, to position: UInt32) -> UInt32 { ((bits >> index) & 1) << position }

        /// CI-format signed 6-bit immediate: imm[5] in bit 12, imm[4:0] in bits 6:2.
        var immCI: Int32 {
            let raw = Int32(bitPattern: bit(12, to: 5) | (bits >> 2) & 0x1f)
            return (raw << 26) >> 26
        }
        /// CI-format unsigned 6-bit shift amount.
        var shamt: UInt32 { bit(12, to: 5) | (bits >> 2) & 0x1f }
        /// C.ADDI4SPN: nzuimm[5:4|9:6|2|3] in bits 12:5.
        var immADDI4SPN: UInt32 {
            ((bits >> 11) & 0x3) << 4 | ((bits >> 7) & 0xf) << 6 | bit(6, to: 2) | bit(5, to: 3)
        }
        /// C.LW / C.SW: uimm[5:3] in bits 12:10, uimm[2] in bit 6, uimm[6] in bit 5.
        var immLW: UInt32 { ((bits >> 10) & 0x7) << 3 | bit(6, to: 2) | bit(5, to: 6) }
        /// C.LWSP: uimm[5] in bit 12, uimm[4:2|7:6] in bits 6:2.
        var immLWSP: UInt32 { bit(12, to: 5) | ((bits >> 4) & 0x7) << 2 | ((bits >> 2) & 0x3) << 6 }
        /// C.SWSP: uimm[5:2|7:6] in bits 12:7.
        var immSWSP: UInt32 { ((bits >> 9) & 0xf) << 2 | ((bits >> 7) & 0x3) << 6 }
        /// C.ADDI16SP: nzimm[9] in bit 12, nzimm[4|6|8:7|5] in bits 6:2.
        var immADDI16SP: Int32 {
            let raw =
                bit(12, to: 9) | bit(6, to: 4) | bit(5, to: 6) | ((bits >> 3) & 0x3) << 7 | bit(2, to: 5)
            return (Int32(bitPattern: raw) << 22) >> 22
        }
        /// C.LUI: nzimm[17] in bit 12, nzimm[16:12] in bits 6:2, sign-extended.
        var immLUI: Int32 { immCI << 12 }
        /// CJ format: offset[11|4|9:8|10|6|7|3:1|5] in bits 12:2.
        var immCJ: Int32 {
            let raw =
                bit(12, to: 11) | bit(11, to: 4) | ((bits >> 9) & 0x3) << 8 | bit(8, to: 10)
                | bit(7, to: 6) | bit(6, to: 7) | ((bits >> 3) & 0x7) << 1 | bit(2, to: 5)
            return (Int32(bitPattern: raw) << 20) >> 20
        }
        /// CB format branch offset: offset[8|4:3] in bits 12:10, offset[7:6|2:1|5] in bits 6:2.
        var immCB: Int32 {
            let raw =
                bit(12, to: 8) | ((bits >> 10) & 0x3) << 3 | ((bits >> 5) & 0x3) << 6
                | ((bits >> 3) & 0x3) << 1 | bit(2, to: 5)
            return (Int32(bitPattern: raw) << 23) >> 23
        }
    }

    static func disassembleCompressed(
        _ bits: UInt16, at pc: UInt32, symbolize: ((UInt32) -> String?)?
    ) -> DisassembledInstruction {
        let half = Halfword(bits: UInt32(bits))
        switch half.quadrant {
        case 0: return quadrant0(half)
        case 1: return quadrant1(half, at: pc, symbolize: symbolize)
        default: return quadrant2(half)
        }
    }

    private static func quadrant0(_ half: Halfword) -> DisassembledInstruction {
        switch half.funct3 {
        case 0:
            if half.bits == 0 { return compressed("unimp") }  // the all-zero halfword is defined illegal
            let imm = half.immADDI4SPN
            guard imm != 0 else { return unknown(half) }
            return compressed("addi", x(half.rs2Prime) + ",sp," + String(imm))
        case 2:
            return compressed(
                "lw", x(half.rs2Prime) + "," + String(half.immLW) + "(" + x(half.rs1Prime) + ")")
        case 6:
            return compressed(
                "sw", x(half.rs2Prime) + "," + String(half.immLW) + "(" + x(half.rs1Prime) + ")")
        default:
            return unknown(half)
        }
    }

    private static func quadrant1(
        _ half: Halfword, at pc: UInt32, symbolize: ((UInt32) -> String?)?
    ) -> DisassembledInstruction {
        let rd = half.rd
        switch half.funct3 {
        case 0:
            let imm = half.immCI
            if rd == 0 { return imm == 0 ? compressed("nop") : compressed("c.nop", String(imm)) }
            return compressed("addi", x(rd) + "," + x(rd) + "," + String(imm))
        case 1:
            return compressed("jal", target(pc &+ UInt32(bitPattern: half.immCJ), symbolize))
        case 2:
            let imm = String(half.immCI)
            return rd == 0 ? compressed("c.li", "zero," + imm) : compressed("li", x(rd) + "," + imm)
        case 3:
            if rd == 2 {
                // A zero immediate is reserved, but binutils 2.40 still prints it as addi sp,sp,0.
                return compressed("addi", "sp,sp," + String(half.immADDI16SP))
            }
            let imm = half.immLUI
            guard imm != 0 else { return unknown(half) }
            let upper = hex(UInt32(bitPattern: imm) >> 12)
            return rd == 0 ? compressed("c.lui", "zero," + upper) : compressed("lui", x(rd) + "," + upper)
        case 4:
            return arithmetic(half)
        case 5:
            return compressed("j", target(pc &+ UInt32(bitPattern: half.immCJ), symbolize))
        case 6:
            let destination = target(pc &+ UInt32(bitPattern: half.immCB), symbolize)
            return compressed("beqz", x(half.rs1Prime) + "," + destination)
        default:
            let destination = target(pc &+ UInt32(bitPattern: half.immCB), symbolize)
            return compressed("bnez", x(half.rs1Prime) + "," + destination)
        }
    }

    /// Quadrant 1, funct3 100: shifts, c.andi and the register-register group on rd' / rs2'.
    private static func arithmetic(_ half: Halfword) -> DisassembledInstruction {
        let rd = x(half.rs1Prime)
        switch (half.bits >> 10) & 0x3 {
        case 0:
            let shamt = half.shamt
            if shamt == 0 { return compressed("c.srli64", rd) }
            return compressed("srli", rd + "," + rd + "," + hex(shamt))
        case 1:
            let shamt = half.shamt
            if shamt == 0 { return compressed("c.srai64", rd) }
            return compressed("srai", rd + "," + rd + "," + hex(shamt))
        case 2:
            return compressed("andi", rd + "," + rd + "," + String(half.immCI))
        default:
            // bit 12 set selects the RV64 c.subw / c.addw and reserved encodings.
            guard half.bits & 0x1000 == 0 else { return unknown(half) }
            let mnemonic: String
            switch (half.bits >> 5) & 0x3 {
            case 0: mnemonic = "sub"
            case 1: mnemonic = "xor"
            case 2: mnemonic = "or"
            default: mnemonic = "and"
            }
            return compressed(mnemonic, rd + "," + rd + "," + x(half.rs2Prime))
        }
    }

    private static func quadrant2(_ half: Halfword) -> DisassembledInstruction {
        let rd = half.rd
        let rs2 = half.rs2
        switch half.funct3 {
        case 0:
            let shamt = half.shamt
            if shamt == 0 { return compressed("c.slli64", x(rd)) }
            if rd == 0 { return compressed("c.slli", "zero," + hex(shamt)) }
            return compressed("slli", x(rd) + "," + x(rd) + "," + hex(shamt))
        case 2:
            guard rd != 0 else { return unknown(half) }
            return compressed("lw", x(rd) + "," + String(half.immLWSP) + "(sp)")
        case 4:
            if half.bits & 0x1000 == 0 {
                if rs2 == 0 {
                    guard rd != 0 else { return unknown(half) }
                    return rd == 1 ? compressed("ret") : compressed("jr", x(rd))
                }
                return rd == 0 ? compressed("c.mv", "zero," + x(rs2)) : compressed("mv", x(rd) + "," + x(rs2))
            }
            if rs2 == 0 {
                return rd == 0 ? compressed("ebreak") : compressed("jalr", x(rd))
            }
            if rd == 0 { return compressed("c.add", "zero," + x(rs2)) }
            return compressed("add", x(rd) + "," + x(rd) + "," + x(rs2))
        case 6:
            return compressed("sw", x(rs2) + "," + String(half.immSWSP) + "(sp)")
        default:
            return unknown(half)
        }
    }

    private static func unknown(_ half: Halfword) -> DisassembledInstruction {
        compressed(".2byte", hex(half.bits))
    }

    private static func compressed(_ mnemonic: String, _ operands: String = "") -> DisassembledInstruction {
        DisassembledInstruction(length: 2, mnemonic: mnemonic, operands: operands)
    }
}
