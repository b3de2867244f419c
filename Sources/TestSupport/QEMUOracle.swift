import Foundation

/// QEMU's `qemu-system-riscv32 -M virt`, the reference Timescope is compared with, driven
/// through the repository's scripts (`scripts/qemu-run.sh`, `scripts/qemu-lockstep.sh`; their
/// headers explain the QEMU options and what one QEMU step is).
public enum QEMUOracle {
    static var scripts: URL { TimescopeProcess.packageRoot.appendingPathComponent("scripts") }

    /// Runs `elf` on QEMU in its deterministic mode and returns its console output and exit
    /// status. `input` is given to `printf %b`, so `\n` and friends mean what they mean to
    /// `timescope run --input` (the only difference: `\xHH` and octal escapes of printf).
    public static func run(_ elf: String, input: String? = nil, timeout: Int = 60) throws -> ProcessResult {
        try RequiredTool.qemu.check()
        var environment = ProcessInfo.processInfo.environment
        environment["QEMU_TIMEOUT"] = String(timeout)
        return try runProcess(
            "/bin/bash",
            [scripts.appendingPathComponent("qemu-run.sh").path, elf] + (input.map { [$0] } ?? []),
            environment: environment, timeout: TimeInterval(timeout + 30))
    }

    /// One line of `qemu-lockstep.sh`: the hart's state after a step.
    public struct StepState: Equatable, Sendable {
        /// The pc after the step.
        public var pc: UInt32
        /// x0…x31 after the step (x0 is always 0).
        public var x: [UInt32]
    }

    /// Single-steps `elf` on QEMU from reset (the reset ROM at 0x1000, see
    /// `scripts/qemu-lockstep.sh`) and returns the state after each of the first `steps` steps
    /// (fewer if the firmware ends the run first). With `includingInitialState`, element 0 is
    /// the reset state, before the first step.
    public static func lockstep(_ elf: String, steps: Int, includingInitialState: Bool = false) throws
        -> [StepState]
    {
        for tool in [RequiredTool.qemu, .gdb, .python] { try tool.check() }
        let script = scripts.appendingPathComponent("qemu-lockstep.sh").path
        let result = try runProcess(
            "/bin/bash", [script] + (includingInitialState ? ["--with-initial"] : []) + [elf, String(steps)],
            timeout: 600)
        guard result.status == 0 else {
            throw ProcessFailure("qemu-lockstep.sh failed with status \(result.status):\n\(result.stderr)")
        }
        return try result.stdoutText.split(separator: "\n").enumerated().map { index, line in
            let fields = line.split(separator: " ").compactMap { UInt32($0, radix: 16) }
            guard fields.count == 32 else {
                throw ProcessFailure("qemu-lockstep.sh line \(index + 1) is not 32 hex words: \(line)")
            }
            return StepState(pc: fields[0], x: [0] + fields[1...])
        }
    }
}
