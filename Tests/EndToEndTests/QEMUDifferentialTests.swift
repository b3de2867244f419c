import Foundation
import Testing
import TestSupport

/// The same ELF on `timescope run` and on QEMU (`scripts/qemu-run.sh`): identical console
/// bytes and exit status. The expected status from Firmware/README.md is checked too, so a
/// regression that both emulators shared would not pass unnoticed.
@Suite struct QEMUDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var program: String
        /// Escape text understood by both `--input` and qemu-run.sh's `printf %b`.
        var input: String?
        var expectedStatus: Int32
        var testDescription: String { program }
    }

    @Test(arguments: [
        Case(program: "exerciser", input: nil, expectedStatus: 0),
        Case(program: "timer", input: nil, expectedStatus: 0),
        Case(program: "semihost", input: nil, expectedStatus: 7),
        Case(program: "workload", input: nil, expectedStatus: 0),
        Case(program: "echo", input: #"hello, world\nq"#, expectedStatus: 0),
    ])
    func consoleOutputAndExitStatusMatchQEMU(_ test: Case) throws {
        guard try RequiredTool.require(.crossCompiler, .make, .qemu) else { return }
        let elf = try FirmwareBuilder.elf(test.program)

        let timescope = try TimescopeProcess.run(["run", elf] + (test.input.map { ["--input", $0] } ?? []))
        let qemu = try QEMUOracle.run(elf, input: test.input)

        #expect(qemu.status != 124, "QEMU timed out")
        #expect(timescope.status == test.expectedStatus, "timescope stderr: \(timescope.stderr)")
        #expect(qemu.status == test.expectedStatus, "QEMU stderr: \(qemu.stderr)")
        #expect(timescope.status == qemu.status)
        #expect(!timescope.stdout.isEmpty)
        if timescope.stdout != qemu.stdout {
            Issue.record(
                "console output differs from QEMU's: \(firstDifference(timescope.stdout, qemu.stdout))")
        }
    }

    @Test func echoUppercasesItsInputAndSaysBye() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("echo"), "--input", #"hello, world\nq"#])
        #expect(result.status == 0)
        #expect(result.stdoutText == "ready\nHELLO, WORLD\n\nbye\n")
    }

    /// QEMU's `virt` has no HTIF (the same ELF exits 85 there through the finisher fallback),
    /// so this one is Timescope only: `tohost = (5 << 1) | 1` means exit code 5.
    @Test func htifExitCodeBecomesTheExitStatus() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("htif")])
        #expect(result.status == 5)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("exited with code 5"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("htif"), "the line says which mechanism ended the run: \(result.stderr)")
    }
}

/// Where two byte strings first differ, with some context from each, for failure messages.
func firstDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String {
    let index = zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(ours.count, theirs.count)
    func context(_ bytes: [UInt8]) -> String {
        let start = max(0, index - 40)
        let end = min(bytes.count, index + 40)
        return String(decoding: bytes[start..<end], as: UTF8.self).debugDescription
    }
    return "at byte \(index) (lengths \(ours.count) vs \(theirs.count)): timescope …\(context(ours))… "
        + "vs QEMU …\(context(theirs))…"
}
