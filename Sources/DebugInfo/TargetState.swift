import Machine

/// What the debug information reads from a machine at one step: the registers and memory.
/// A value, so that a frame's variables can be read later from the same state.
public struct TargetState: Sendable {
    /// x0…x31.
    public var registers: [UInt32]
    /// The address of the next instruction.
    public var pc: UInt32
    /// mepc: where a trap handler returns to.
    public var mepc: UInt32
    /// Reads `count` bytes at `address`, or nil where there is no memory.
    public var read: @Sendable (_ address: UInt32, _ count: Int) -> [UInt8]?

    /// A state from its parts.
    public init(
        registers: [UInt32], pc: UInt32, mepc: UInt32,
        read: @escaping @Sendable (_ address: UInt32, _ count: Int) -> [UInt8]?
    ) {
        self.registers = registers.count == 32 ? registers : Array(repeating: 0, count: 32)
        self.pc = pc
        self.mepc = mepc
        self.read = read
    }

    /// The state of `machine` now. Memory is read from the machine when asked, so the state
    /// is valid only until the machine moves.
    public init(machine: Machine) {
        let state = machine.state
        nonisolated(unsafe) let machine = machine
        self.init(registers: state.x, pc: state.pc, mepc: state.csr.mepc) { address, count in
            machine.readMemory(address, count: count)
        }
    }

    /// The little-endian word at `address`, or nil.
    func word(at address: UInt32) -> UInt32? {
        guard let bytes = read(address, 4) else { return nil }
        return littleEndianWord(bytes)
    }
}

/// The little-endian word in the first four of `bytes`, or nil when there are fewer.
func littleEndianWord(_ bytes: [UInt8]) -> UInt32? {
    guard bytes.count >= 4 else { return nil }
    return UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
}
