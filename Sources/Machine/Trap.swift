/// A trap entry (privileged spec 3.1.6–3.1.20): what caused it (mcause), the pc it
/// interrupted or that faulted (mepc), mtval, and the step that took it. The one shape of a
/// trap everywhere: the events a machine reports, the entry a state remembers, the trap a
/// crash report names.
public struct Trap: Hashable, Sendable, Codable, CustomStringConvertible {
    /// mcause: bit 31 set for interrupts (see `TrapCause`).
    public var cause: UInt32
    /// The faulting or interrupted pc (what mepc holds after the entry).
    public var pc: UInt32
    /// mtval.
    public var value: UInt32
    /// The step of the trap entry (its state shows mepc/mcause/mtval).
    public var step: UInt64

    /// A trap entry with these fields.
    public init(cause: UInt32, pc: UInt32, value: UInt32, step: UInt64) {
        self.cause = cause
        self.pc = pc
        self.value = value
        self.step = step
    }

    /// Whether an interrupt (rather than an exception) caused it.
    public var isInterrupt: Bool { cause & TrapCause.interruptBit != 0 }

    /// The cause as words: "illegal instruction", "machine timer interrupt".
    public var causeName: String { TrapCause.name(of: cause) }

    /// One line without symbol information: cause, pc, mtval and step.
    public var description: String {
        "\(causeName) at pc \(hex(pc)) (mtval \(hex(value))), step \(step)"
    }
}
