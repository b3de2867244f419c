/// A breakpoint or watchpoint gdb has set (`Z0`…`Z4`).
public struct StopPoint: Hashable, Sendable {
    /// What sets it off.
    public enum Kind: Int, Hashable, Sendable {
        /// `Z0`: gdb's ordinary `break`.
        case softwareBreakpoint = 0
        /// `Z1`: `hbreak`.
        case hardwareBreakpoint = 1
        /// `Z2`: `watch`, a store to the range.
        case writeWatchpoint = 2
        /// `Z3`: `rwatch`, a load from the range.
        case readWatchpoint = 3
        /// `Z4`: `awatch`, a load or a store.
        case accessWatchpoint = 4

        /// Whether it watches data rather than an instruction.
        public var isWatchpoint: Bool { rawValue >= 2 }
    }

    /// What sets it off.
    public var kind: Kind
    /// The instruction's address, or the first watched byte.
    public var address: UInt32
    /// How many bytes a watchpoint covers (for a breakpoint, gdb's `kind`: the instruction size).
    public var length: UInt32

    /// A stop point of `kind` at `address`.
    public init(kind: Kind, address: UInt32, length: UInt32) {
        self.kind = kind
        self.address = address
        self.length = length
    }

    /// The watched bytes (empty for a breakpoint), clamped to the address space.
    public var range: Range<UInt32> {
        let end = UInt64(address) + UInt64(max(1, length))
        return address..<UInt32(min(end, UInt64(UInt32.max)))
    }
}
