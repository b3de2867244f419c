/// The machine-mode CSRs that are stored as plain values. Counters (mcycle, minstret, time)
/// are derived from the step count and live in `Machine+CSR.swift`; `mip` is driven by devices.
public struct ControlStatusRegisters: Equatable, Sendable, Codable {
    /// mstatus: only MIE (bit 3) and MPIE (bit 7) are writable; MPP reads as M (0b11).
    public var mstatus: UInt32 = ControlStatusRegisters.mppMachine
    public var mie: UInt32 = 0
    /// Software-visible pending bits: MSIP (3), MTIP (7), MEIP (11), all driven by devices.
    public var mip: UInt32 = 0
    public var mtvec: UInt32 = 0
    public var mscratch: UInt32 = 0
    public var mepc: UInt32 = 0
    public var mcause: UInt32 = 0
    public var mtval: UInt32 = 0
    public var mcounteren: UInt32 = 0
    public var mcountinhibit: UInt32 = 0
    /// Offsets applied to the derived counters so that firmware writes to mcycle/minstret stick.
    public var mcycleOffset: UInt64 = 0
    public var minstretOffset: UInt64 = 0
    /// Values frozen while mcountinhibit inhibits the counter.
    public var mcycleFrozen: UInt64 = 0
    public var minstretFrozen: UInt64 = 0
    public var pmpcfg: [UInt32] = Array(repeating: 0, count: 4)
    public var pmpaddr: [UInt32] = Array(repeating: 0, count: 16)

    static let mppMachine: UInt32 = 0b11 << 11
    static let mieBit: UInt32 = 1 << 3
    static let mpieBit: UInt32 = 1 << 7
    /// mie/mip bits this hart implements: MSI, MTI, MEI.
    static let interruptMask: UInt32 = (1 << 3) | (1 << 7) | (1 << 11)
    /// misa: MXL=1 (RV32), extensions A, C, I, M.
    static let misa: UInt32 = (1 << 30) | (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12)
}

/// CSR numbers (privileged spec, table 2.5).
public enum CSRAddress {
    public static let mstatus: UInt32 = 0x300
    public static let misa: UInt32 = 0x301
    public static let mie: UInt32 = 0x304
    public static let mtvec: UInt32 = 0x305
    public static let mcounteren: UInt32 = 0x306
    public static let mstatush: UInt32 = 0x310
    public static let mcountinhibit: UInt32 = 0x320
    public static let mscratch: UInt32 = 0x340
    public static let mepc: UInt32 = 0x341
    public static let mcause: UInt32 = 0x342
    public static let mtval: UInt32 = 0x343
    public static let mip: UInt32 = 0x344
    public static let pmpcfg0: UInt32 = 0x3A0
    public static let pmpaddr0: UInt32 = 0x3B0
    public static let tselect: UInt32 = 0x7A0
    public static let tdata1: UInt32 = 0x7A1
    public static let tdata2: UInt32 = 0x7A2
    public static let tdata3: UInt32 = 0x7A3
    public static let mcycle: UInt32 = 0xB00
    public static let minstret: UInt32 = 0xB02
    public static let mcycleh: UInt32 = 0xB80
    public static let minstreth: UInt32 = 0xB82
    public static let cycle: UInt32 = 0xC00
    public static let time: UInt32 = 0xC01
    public static let instret: UInt32 = 0xC02
    public static let cycleh: UInt32 = 0xC80
    public static let timeh: UInt32 = 0xC81
    public static let instreth: UInt32 = 0xC82
    public static let mvendorid: UInt32 = 0xF11
    public static let marchid: UInt32 = 0xF12
    public static let mimpid: UInt32 = 0xF13
    public static let mhartid: UInt32 = 0xF14
}
