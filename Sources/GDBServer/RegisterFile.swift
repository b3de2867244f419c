import Machine

/// The registers gdb sees, numbered as gdb's RISC-V target numbers them: x0…x31 are 0…31, pc
/// is 32, and the CSR at address `a` is 65 + `a` (33…64 would be the floating-point registers,
/// which this hart lacks).
///
/// The CSRs are the machine-mode ones the hart implements, read from the state as the
/// firmware would read them (`mcycle` and `minstret` derived from the steps).
public enum RegisterFile {
    /// gdb's number of pc.
    public static let programCounter = 32
    /// gdb's number of the first CSR (the CSR at address 0).
    public static let firstCSR = 65

    /// The CSRs the target description lists: name and address.
    public static let csrs: [(name: String, address: UInt32)] =
        [
            ("mstatus", 0x300), ("misa", 0x301), ("mie", 0x304), ("mtvec", 0x305), ("mcounteren", 0x306),
            ("mstatush", 0x310), ("mcountinhibit", 0x320), ("mscratch", 0x340), ("mepc", 0x341),
            ("mcause", 0x342), ("mtval", 0x343), ("mip", 0x344),
        ] + (0..<4).map { ("pmpcfg\($0)", 0x3A0 + UInt32($0)) }
        + (0..<16).map { ("pmpaddr\($0)", 0x3B0 + UInt32($0)) }
        + [
            ("mcycle", 0xB00), ("minstret", 0xB02), ("mcycleh", 0xB80), ("minstreth", 0xB82),
            ("cycle", 0xC00), ("time", 0xC01), ("instret", 0xC02), ("cycleh", 0xC80), ("timeh", 0xC81),
            ("instreth", 0xC82), ("mvendorid", 0xF11), ("marchid", 0xF12), ("mimpid", 0xF13),
            ("mhartid", 0xF14),
        ]

    /// The value of register `number` (gdb's numbering) in `state`, or nil for a register the
    /// target does not have.
    public static func value(of number: Int, in state: MachineState) -> UInt32? {
        switch number {
        case 0..<32: return state.x.indices.contains(number) ? (number == 0 ? 0 : state.x[number]) : nil
        case programCounter: return state.pc
        case firstCSR...:
            let address = UInt32(number - firstCSR)
            guard csrs.contains(where: { $0.address == address }) else { return nil }
            return csrValue(address, in: state)
        default: return nil
        }
    }

    /// A CSR as `csrr` would read it in `state`.
    static func csrValue(_ address: UInt32, in state: MachineState) -> UInt32 {
        let csr = state.csr
        func low(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value) }
        func high(_ value: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: value >> 32) }
        switch address {
        case 0x300: return csr.mstatus
        // MXL = 1 (RV32) and the extensions A, C, I, M.
        case 0x301: return (1 << 30) | (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12)
        case 0x304: return csr.mie
        case 0x305: return csr.mtvec
        case 0x306: return csr.mcounteren
        case 0x320: return csr.mcountinhibit
        case 0x340: return csr.mscratch
        case 0x341: return csr.mepc
        case 0x342: return csr.mcause
        case 0x343: return csr.mtval
        case 0x344: return csr.mip
        case 0x3A0..<0x3A4: return csr.pmpcfg[Int(address - 0x3A0)]
        case 0x3B0..<0x3C0: return csr.pmpaddr[Int(address - 0x3B0)]
        case 0xB00, 0xC00: return low(state.mcycle)
        case 0xB80, 0xC80: return high(state.mcycle)
        case 0xB02, 0xC02: return low(state.minstret)
        case 0xB82, 0xC82: return high(state.minstret)
        case 0xC01: return low(state.mtime)
        case 0xC81: return high(state.mtime)
        default: return 0
        }
    }

    /// The target description (`target.xml`): RV32 with its integer registers, pc and CSRs.
    public static var targetDescription: String {
        let abiNames = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
            "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
        ]
        var xml = """
            <?xml version="1.0"?>
            <!DOCTYPE target SYSTEM "gdb-target.dtd">
            <target version="1.0">
            <architecture>riscv:rv32</architecture>
            <feature name="org.gnu.gdb.riscv.cpu">

            """
        for (index, name) in abiNames.enumerated() {
            let type = index == 1 ? "code_ptr" : index == 2 || index == 8 ? "data_ptr" : "int"
            xml += "<reg name=\"\(name)\" bitsize=\"32\" type=\"\(type)\" regnum=\"\(index)\"/>\n"
        }
        xml += "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"\(programCounter)\"/>\n"
        xml += "</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n"
        for csr in csrs {
            xml +=
                "<reg name=\"\(csr.name)\" bitsize=\"32\" type=\"int\" regnum=\"\(firstCSR + Int(csr.address))\" group=\"csr\"/>\n"
        }
        return xml + "</feature>\n</target>\n"
    }
}
