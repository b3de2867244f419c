import Machine

/// The marker kinds a recording holds. `find --event` also takes the two families
/// `exception` and `interrupt`, which match every kind of their family.
public enum MarkerKind {
    /// A console line.
    public static let console = "console"
    /// An input byte delivered to the UART.
    public static let input = "input"
    /// A semihosting call.
    public static let semihosting = "semihosting"
    /// An HTIF command.
    public static let htif = "htif"
    /// The firmware exited.
    public static let exit = "exit"
    /// The run crashed (README, Decisions).
    public static let crash = "crash"
    /// Matches every exception kind.
    public static let exceptionFamily = "exception"
    /// Matches every interrupt kind.
    public static let interruptFamily = "interrupt"
    /// Matches every kind (the inspector's [ and ]).
    public static let anyKind = "any"

    /// The kind of marker a trap with this mcause gets.
    public static func trap(cause: UInt32) -> String {
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
        default: cause & TrapCause.interruptBit != 0 ? "interrupt-\(cause & 0xFFFF)" : "exception-\(cause)"
        }
    }

    /// Whether a recording can hold a marker of `kind`: one of the fixed kinds, or the kind
    /// `trap(cause:)` gives some mcause (`ecall`, `timer-interrupt`, `exception-12`,
    /// `interrupt-5`, written exactly as it writes them). A recording is untrusted: a marker
    /// of any other kind is damage.
    public static func isKnown(_ kind: String) -> Bool {
        if fixedKinds.contains(kind) || namedTrapKinds.contains(kind) { return true }
        if kind.hasPrefix("interrupt-"), let number = UInt32(kind.dropFirst("interrupt-".count)),
            number <= 0xFFFF
        {
            return trap(cause: TrapCause.interruptBit | number) == kind
        }
        if kind.hasPrefix("exception-"), let cause = UInt32(kind.dropFirst("exception-".count)),
            cause & TrapCause.interruptBit == 0
        {
            return trap(cause: cause) == kind
        }
        return false
    }

    /// The kinds that are not traps.
    static let fixedKinds: Set<String> = [console, input, semihosting, htif, exit, crash]

    /// The trap kinds with a name of their own.
    static let namedTrapKinds: Set<String> = Set(
        [
            TrapCause.instructionMisaligned, TrapCause.instructionAccessFault, TrapCause.illegalInstruction,
            TrapCause.breakpoint,
            TrapCause.loadMisaligned, TrapCause.loadAccessFault, TrapCause.storeMisaligned,
            TrapCause.storeAccessFault,
            TrapCause.environmentCallFromM, TrapCause.machineSoftwareInterrupt,
            TrapCause.machineTimerInterrupt,
            TrapCause.machineExternalInterrupt,
        ].map(trap(cause:)))

    /// Whether `kind` is an interrupt kind.
    public static func isInterrupt(_ kind: String) -> Bool {
        kind.hasSuffix("-interrupt") || kind.hasPrefix("interrupt-")
    }

    /// Whether `kind` is an exception kind.
    public static func isException(_ kind: String) -> Bool {
        !isInterrupt(kind) && !fixedKinds.contains(kind)
    }
}
