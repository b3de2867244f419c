/// Expansion of RV32C instructions into their 32-bit equivalents (unprivileged spec 16),
/// so that one decoder serves both encodings.
extension Machine {
    /// Returns the 32-bit instruction a compressed one stands for, or 0 when the 16 bits are
    /// illegal or reserved on RV32IMAC (including every floating-point form).
    @inline(__always)
    static func expandCompressed(_ c: UInt32) -> UInt32 {
        let funct3 = (c >> 13) & 7
        let rdPrime = ((c >> 2) & 7) + 8  // rd'/rs2' in bits 4:2
        let rs1Prime = ((c >> 7) & 7) + 8  // rs1'/rd' in bits 9:7
        let rd = (c >> 7) & 31
        let rs2 = (c >> 2) & 31
        switch (c & 3, funct3) {
        case (0, 0):  // C.ADDI4SPN
            let imm = ((c >> 7) & 0x30) | ((c >> 1) & 0x3C0) | ((c >> 4) & 4) | ((c >> 2) & 8)
            guard imm != 0 else { return 0 }
            return iType(imm: imm, rs1: 2, funct3: 0, rd: rdPrime, opcode: 0x13)
        case (0, 2):  // C.LW
            return iType(imm: lwOffset(c), rs1: rs1Prime, funct3: 2, rd: rdPrime, opcode: 0x03)
        case (0, 6):  // C.SW
            return sType(imm: lwOffset(c), rs2: rdPrime, rs1: rs1Prime, funct3: 2)
        case (1, 0):  // C.ADDI / C.NOP
            return iType(imm: sixBitImmediate(c), rs1: rd, funct3: 0, rd: rd, opcode: 0x13)
        case (1, 1):  // C.JAL (RV32)
            return jType(imm: jumpOffset(c), rd: 1)
        case (1, 2):  // C.LI
            return iType(imm: sixBitImmediate(c), rs1: 0, funct3: 0, rd: rd, opcode: 0x13)
        case (1, 3):
            if rd == 2 {  // C.ADDI16SP
                var imm = ((c >> 3) & 0x200) | ((c >> 2) & 0x10) | ((c << 1) & 0x40)
                imm |= ((c << 4) & 0x180) | ((c << 3) & 0x20)
                guard imm != 0 else { return 0 }
                if imm & 0x200 != 0 { imm |= 0xFFFF_FC00 }
                return iType(imm: imm, rs1: 2, funct3: 0, rd: 2, opcode: 0x13)
            }
            // C.LUI
            var imm = ((c << 5) & 0x2_0000) | ((c << 10) & 0x1_F000)
            guard imm != 0 else { return 0 }
            if imm & 0x2_0000 != 0 { imm |= 0xFFFC_0000 }
            return (imm & 0xFFFF_F000) | (rd << 7) | 0x37
        case (1, 4):
            let shamt = (c >> 2) & 31
            switch (c >> 10) & 3 {
            case 0:  // C.SRLI; shamt[5] = 1 is reserved on RV32
                guard c & 0x1000 == 0 else { return 0 }
                return iType(imm: shamt, rs1: rs1Prime, funct3: 5, rd: rs1Prime, opcode: 0x13)
            case 1:  // C.SRAI
                guard c & 0x1000 == 0 else { return 0 }
                return iType(imm: shamt | 0x400, rs1: rs1Prime, funct3: 5, rd: rs1Prime, opcode: 0x13)
            case 2:  // C.ANDI
                return iType(imm: sixBitImmediate(c), rs1: rs1Prime, funct3: 7, rd: rs1Prime, opcode: 0x13)
            default:
                guard c & 0x1000 == 0 else { return 0 }  // C.SUBW/C.ADDW are RV64 only
                let (funct3, funct7): (UInt32, UInt32)
                switch (c >> 5) & 3 {
                case 0: (funct3, funct7) = (0, 0x20)  // C.SUB
                case 1: (funct3, funct7) = (4, 0)  // C.XOR
                case 2: (funct3, funct7) = (6, 0)  // C.OR
                default: (funct3, funct7) = (7, 0)  // C.AND
                }
                return rType(funct7: funct7, rs2: rdPrime, rs1: rs1Prime, funct3: funct3, rd: rs1Prime)
            }
        case (1, 5):  // C.J
            return jType(imm: jumpOffset(c), rd: 0)
        case (1, 6), (1, 7):  // C.BEQZ, C.BNEZ
            var imm = ((c >> 4) & 0x100) | ((c >> 7) & 0x18) | ((c << 1) & 0xC0)
            imm |= ((c >> 2) & 6) | ((c << 3) & 0x20)
            if imm & 0x100 != 0 { imm |= 0xFFFF_FE00 }
            return bType(imm: imm, rs2: 0, rs1: rs1Prime, funct3: funct3 == 6 ? 0 : 1)
        case (2, 0):  // C.SLLI
            guard c & 0x1000 == 0 else { return 0 }
            return iType(imm: rs2, rs1: rd, funct3: 1, rd: rd, opcode: 0x13)
        case (2, 2):  // C.LWSP
            guard rd != 0 else { return 0 }
            let imm = ((c >> 7) & 0x20) | ((c >> 2) & 0x1C) | ((c << 4) & 0xC0)
            return iType(imm: imm, rs1: 2, funct3: 2, rd: rd, opcode: 0x03)
        case (2, 4):
            if c & 0x1000 == 0 {
                if rs2 == 0 {  // C.JR
                    guard rd != 0 else { return 0 }
                    return iType(imm: 0, rs1: rd, funct3: 0, rd: 0, opcode: 0x67)
                }
                return rType(funct7: 0, rs2: rs2, rs1: 0, funct3: 0, rd: rd)  // C.MV
            }
            if rs2 == 0 {
                if rd == 0 { return 0x0010_0073 }  // C.EBREAK
                return iType(imm: 0, rs1: rd, funct3: 0, rd: 1, opcode: 0x67)  // C.JALR
            }
            return rType(funct7: 0, rs2: rs2, rs1: rd, funct3: 0, rd: rd)  // C.ADD
        case (2, 6):  // C.SWSP
            let imm = ((c >> 7) & 0x3C) | ((c >> 1) & 0xC0)
            return sType(imm: imm, rs2: rs2, rs1: 2, funct3: 2)
        default:
            return 0
        }
    }

    /// Offset of C.LW/C.SW: uimm[5:3] = c[12:10], uimm[2] = c[6], uimm[6] = c[5].
    @inline(__always) private static func lwOffset(_ c: UInt32) -> UInt32 {
        ((c >> 7) & 0x38) | ((c >> 4) & 4) | ((c << 1) & 0x40)
    }

    /// Sign-extended imm[5] = c[12], imm[4:0] = c[6:2].
    @inline(__always) private static func sixBitImmediate(_ c: UInt32) -> UInt32 {
        let imm = ((c >> 7) & 0x20) | ((c >> 2) & 0x1F)
        return imm & 0x20 != 0 ? imm | 0xFFFF_FFC0 : imm
    }

    /// C.J/C.JAL offset[11|4|9:8|10|6|7|3:1|5] = c[12|11|10:9|8|7|6|5:3|2].
    @inline(__always) private static func jumpOffset(_ c: UInt32) -> UInt32 {
        var imm = ((c >> 1) & 0x800) | ((c >> 7) & 0x10) | ((c >> 1) & 0x300) | ((c << 2) & 0x400)
        imm |= ((c >> 1) & 0x40) | ((c << 1) & 0x80) | ((c >> 2) & 0xE) | ((c << 3) & 0x20)
        return imm & 0x800 != 0 ? imm | 0xFFFF_F000 : imm
    }

    @inline(__always) private static func iType(
        imm: UInt32, rs1: UInt32, funct3: UInt32, rd: UInt32, opcode: UInt32
    ) -> UInt32 {
        (imm << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode
    }

    @inline(__always) private static func sType(imm: UInt32, rs2: UInt32, rs1: UInt32, funct3: UInt32)
        -> UInt32
    {
        ((imm >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | ((imm & 31) << 7) | 0x23
    }

    @inline(__always) private static func bType(imm: UInt32, rs2: UInt32, rs1: UInt32, funct3: UInt32)
        -> UInt32
    {
        let high = ((imm >> 12) & 1) << 31 | ((imm >> 5) & 0x3F) << 25
        let low = ((imm >> 1) & 0xF) << 8 | ((imm >> 11) & 1) << 7
        return high | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | low | 0x63
    }

    @inline(__always) private static func jType(imm: UInt32, rd: UInt32) -> UInt32 {
        let bits =
            ((imm >> 20) & 1) << 31 | ((imm >> 1) & 0x3FF) << 21 | ((imm >> 11) & 1) << 20
            | ((imm >> 12) & 0xFF) << 12
        return bits | (rd << 7) | 0x6F
    }

    @inline(__always) private static func rType(
        funct7: UInt32, rs2: UInt32, rs1: UInt32, funct3: UInt32, rd: UInt32
    ) -> UInt32 {
        (funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | 0x33
    }
}
