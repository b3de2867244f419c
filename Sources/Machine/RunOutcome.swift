/// How a run ended, in the terms the command line reports: an exit status and one line for
/// stderr (nil when the firmware simply exited 0).
public struct RunOutcome: Sendable, Equatable {
    /// The process exit status: the firmware's code, 3 crash, 4 step limit, 5 stalled.
    public var exitStatus: Int32
    /// The diagnostic line (without the "timescope: " prefix), if any.
    public var message: String?

    /// Exit status of a crash.
    public static let crashStatus: Int32 = 3
    /// Exit status when `--max-steps` was reached.
    public static let stepLimitStatus: Int32 = 4
    /// Exit status when the firmware waits for an interrupt that nothing can raise.
    public static let stalledStatus: Int32 = 5

    /// Describes `reason` for a machine that stopped at its current step.
    public init(_ reason: StopReason, machine: Machine) {
        let symbols = machine.firmware.symbols
        func place(_ pc: UInt32) -> String {
            symbols.describe(pc).map { "pc \(hex(pc)) (\($0))" } ?? "pc \(hex(pc)) (no symbol)"
        }
        switch reason {
        case .exited(let code, let mechanism):
            exitStatus = Int32(UInt8(truncatingIfNeeded: code))
            message =
                code == 0
                ? nil
                : "firmware exited with code \(code) through \(mechanism.rawValue) at step \(machine.step)"
        case .crashed(let report):
            exitStatus = RunOutcome.crashStatus
            message =
                "crash: \(TrapCause.name(of: report.cause)) at \(place(report.pc)), mtval \(hex(report.value)), "
                + "step \(report.step): \(report.reason)"
        case .stepLimit:
            exitStatus = RunOutcome.stepLimitStatus
            message = "stopped at the step limit, step \(machine.step), \(place(machine.pc))"
        case .waitingForInput:
            exitStatus = RunOutcome.stalledStatus
            message =
                "stalled at step \(machine.step): the firmware waits in WFI at \(place(machine.pc)) "
                + "with no timer armed and no input left to deliver"
        case .breakpoint, .watchpoint, .waitingForTimer:
            // Only debuggers and paced runs ask for these stops; a plain run never reports them.
            exitStatus = RunOutcome.stepLimitStatus
            message = "stopped at step \(machine.step), \(place(machine.pc))"
        case .resetRequested:
            exitStatus = 0
            message =
                "firmware requested a board reset (sifive_test 0x7777) at step \(machine.step); the run ends there"
        }
    }
}
