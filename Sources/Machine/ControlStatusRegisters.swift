/// The machine-mode CSRs that are stored as plain values. Counters (mcycle, minstret, time)
/// are derived from the step count and live in `Machine+CSR.swift`; `mip` is driven by devices.
public struct ControlStatusRegisters: Equatable, Sendable, Codable {
    /// mstatus: only MIE (bit 3) and MPIE (bit 7) are writable; MPP reads as M (0b11).
    public var mstatus: UInt32 = ControlStatusRegisters.mppMachine
    /// mie: the interrupts the firmware enables (MSIE 3, MTIE 7, MEIE 11).
    public var mie: UInt32 = 0
    /// Software-visible pending bits: MSIP (3), MTIP (7), MEIP (11), all driven by devices.
    public var mip: UInt32 = 0
    /// mtvec: the trap vector base, mode in bits 1:0 (0 direct, 1 vectored).
    public var mtvec: UInt32 = 0
    /// mscratch: a word for the trap handler.
    public var mscratch: UInt32 = 0
    /// mepc: the pc a trap interrupted or that faulted.
    public var mepc: UInt32 = 0
    /// mcause: the last trap's cause (bit 31: an interrupt).
    public var mcause: UInt32 = 0
    /// mtval: the faulting address or instruction bits of the last trap.
    public var mtval: UInt32 = 0
    /// mcounteren: WARL, kept for firmware that writes it (no lower privilege modes).
    public var mcounteren: UInt32 = 0
    /// mcountinhibit: bit 0 stops mcycle, bit 2 stops minstret.
    public var mcountinhibit: UInt32 = 0
    /// Offsets applied to the derived counters so that firmware writes to mcycle/minstret stick.
    public var mcycleOffset: UInt64 = 0
    /// Added to the retired-instruction count when firmware writes minstret.
    public var minstretOffset: UInt64 = 0
    /// mcycle while mcountinhibit stops it.
    public var mcycleFrozen: UInt64 = 0
    /// minstret while mcountinhibit stops it.
    public var minstretFrozen: UInt64 = 0
    /// pmpcfg0…3: stored, not enforced (machine mode only).
    public var pmpcfg: [UInt32] = Array(repeating: 0, count: 4)
    /// pmpaddr0…15: stored, not enforced.
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
    /// The `mstatus` CSR.
    public static let mstatus: UInt32 = 0x300
    /// The `misa` CSR.
    public static let misa: UInt32 = 0x301
    /// The `mie` CSR.
    public static let mie: UInt32 = 0x304
    /// The `mtvec` CSR.
    public static let mtvec: UInt32 = 0x305
    /// The `mcounteren` CSR.
    public static let mcounteren: UInt32 = 0x306
    /// The `mstatush` CSR.
    public static let mstatush: UInt32 = 0x310
    /// The `mcountinhibit` CSR.
    public static let mcountinhibit: UInt32 = 0x320
    /// The `mscratch` CSR.
    public static let mscratch: UInt32 = 0x340
    /// The `mepc` CSR.
    public static let mepc: UInt32 = 0x341
    /// The `mcause` CSR.
    public static let mcause: UInt32 = 0x342
    /// The `mtval` CSR.
    public static let mtval: UInt32 = 0x343
    /// The `mip` CSR.
    public static let mip: UInt32 = 0x344
    /// The `pmpcfg0` CSR.
    public static let pmpcfg0: UInt32 = 0x3A0
    /// The `pmpaddr0` CSR.
    public static let pmpaddr0: UInt32 = 0x3B0
    /// The `tselect` CSR.
    public static let tselect: UInt32 = 0x7A0
    /// The `tdata1` CSR.
    public static let tdata1: UInt32 = 0x7A1
    /// The `tdata2` CSR.
    public static let tdata2: UInt32 = 0x7A2
    /// The `tdata3` CSR.
    public static let tdata3: UInt32 = 0x7A3
    /// The `mcycle` CSR.
    public static let mcycle: UInt32 = 0xB00
    /// The `minstret` CSR.
    public static let minstret: UInt32 = 0xB02
    /// The `mcycleh` CSR.
    public static let mcycleh: UInt32 = 0xB80
    /// The `minstreth` CSR.
    public static let minstreth: UInt32 = 0xB82
    /// The `cycle` CSR.
    public static let cycle: UInt32 = 0xC00
    /// The `time` CSR.
    public static let time: UInt32 = 0xC01
    /// The `instret` CSR.
    public static let instret: UInt32 = 0xC02
    /// The `cycleh` CSR.
    public static let cycleh: UInt32 = 0xC80
    /// The `timeh` CSR.
    public static let timeh: UInt32 = 0xC81
    /// The `instreth` CSR.
    public static let instreth: UInt32 = 0xC82
    /// The `mvendorid` CSR.
    public static let mvendorid: UInt32 = 0xF11
    /// The `marchid` CSR.
    public static let marchid: UInt32 = 0xF12
    /// The `mimpid` CSR.
    public static let mimpid: UInt32 = 0xF13
    /// The `mhartid` CSR.
    public static let mhartid: UInt32 = 0xF14
}
