import Machine

/// The kind of a marker a recording holds (`console`, `ecall`, `timer-interrupt`…), stored
/// as its name. `find --event` also takes the two families `exception` and `interrupt`, which
/// match every kind of their family, and the inspector's `[`/`]` take `any`.
public struct MarkerKind: RawRepresentable, Hashable, Comparable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The kind's name, as the file stores it.
    public var rawValue: String

    /// A kind by name (a recording's kinds are checked with `isKnown` when read).
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A kind written in the source.
    public init(stringLiteral value: String) { rawValue = value }

    /// The kind's name.
    public var description: String { rawValue }

    /// Kinds sort by name.
    public static func < (left: MarkerKind, right: MarkerKind) -> Bool { left.rawValue < right.rawValue }

    /// A console line.
    public static let console: MarkerKind = "console"
    /// An input byte delivered to the UART.
    public static let input: MarkerKind = "input"
    /// A semihosting call.
    public static let semihosting: MarkerKind = "semihosting"
    /// An HTIF command.
    public static let htif: MarkerKind = "htif"
    /// The firmware exited.
    public static let exit: MarkerKind = "exit"
    /// The run crashed (README, Decisions).
    public static let crash: MarkerKind = "crash"
    /// Matches every exception kind.
    public static let exceptionFamily: MarkerKind = "exception"
    /// Matches every interrupt kind.
    public static let interruptFamily: MarkerKind = "interrupt"
    /// Matches every kind (the inspector's [ and ]).
    public static let anyKind: MarkerKind = "any"

    /// The kind of marker a trap with this mcause gets.
    public static func trap(cause: UInt32) -> MarkerKind {
        switch cause {
        case TrapCause.instructionMisaligned: "instruction-misaligned"
        case TrapCause.instructionAccessFault: "instruction-access-fault"
        case TrapCause.illegalInstruction: "illegal-instruction"
        case TrapCause.breakpoint: "ebreak"
        case TrapCause.loadMisaligned: "load-misaligned"
        case TrapCause.loadAccessFault: "load-access-fault"
        case TrapCause.storeMisaligned: "store-misaligned"
        case TrapCause.storeAccessFault: "store-access-fault"
        case TrapCause.environmentCallFromM: "ecall"
        case TrapCause.machineSoftwareInterrupt: "software-interrupt"
        case TrapCause.machineTimerInterrupt: "timer-interrupt"
        case TrapCause.machineExternalInterrupt: "external-interrupt"
        default:
            MarkerKind(
                rawValue: cause & TrapCause.interruptBit != 0
                    ? "interrupt-\(cause & 0xFFFF)" : "exception-\(cause)")
        }
    }

    /// Whether a recording can hold a marker of `kind`: one of the fixed kinds, or the kind
    /// `trap(cause:)` gives some mcause (`ecall`, `timer-interrupt`, `exception-12`,
    /// `interrupt-5`, written exactly as it writes them). A recording is untrusted: a marker
    /// of any other kind is damage.
    public static func isKnown(_ kind: MarkerKind) -> Bool {
        if fixedKinds.contains(kind) || namedTrapKinds.contains(kind) { return true }
        let name = kind.rawValue
        if name.hasPrefix("interrupt-"), let number = UInt32(name.dropFirst("interrupt-".count)),
            number <= 0xFFFF
        {
            return trap(cause: TrapCause.interruptBit | number) == kind
        }
        if name.hasPrefix("exception-"), let cause = UInt32(name.dropFirst("exception-".count)),
            cause & TrapCause.interruptBit == 0
        {
            return trap(cause: cause) == kind
        }
        return false
    }

    /// The kinds that are not traps, in the order they are listed.
    static let fixedKindList: [MarkerKind] = [console, input, semihosting, htif, exit, crash]
    static let fixedKinds = Set(fixedKindList)

    /// The trap kinds with a name of their own, in mcause order.
    static let namedTrapKindList: [MarkerKind] = [
        TrapCause.instructionMisaligned, TrapCause.instructionAccessFault, TrapCause.illegalInstruction,
        TrapCause.breakpoint, TrapCause.loadMisaligned, TrapCause.loadAccessFault, TrapCause.storeMisaligned,
        TrapCause.storeAccessFault, TrapCause.environmentCallFromM, TrapCause.machineSoftwareInterrupt,
        TrapCause.machineTimerInterrupt, TrapCause.machineExternalInterrupt,
    ].map(trap(cause:))
    static let namedTrapKinds = Set(namedTrapKindList)

    /// The kinds with a name of their own: the fixed ones, then every trap the board raises
    /// (others are `exception-N` and `interrupt-N`).
    public static let namedKinds: [MarkerKind] = fixedKindList + namedTrapKindList

    /// Whether `kind` is an interrupt kind.
    public static func isInterrupt(_ kind: MarkerKind) -> Bool {
        kind.rawValue.hasSuffix("-interrupt") || kind.rawValue.hasPrefix("interrupt-")
    }

    /// Whether `kind` is an exception kind.
    public static func isException(_ kind: MarkerKind) -> Bool {
        !isInterrupt(kind) && !fixedKinds.contains(kind)
    }
}
