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

    static let cases: [Case] =
        [
            Case(program: "exerciser", input: nil, expectedStatus: 0),
            Case(program: "timer", input: nil, expectedStatus: 0),
            Case(program: "semihost", input: nil, expectedStatus: 7),
            Case(program: "workload", input: nil, expectedStatus: 0),
            Case(program: "echo", input: #"hello, world\nq"#, expectedStatus: 0),
            // Reset ROM, device tree, counters and mtime at reset (Firmware/README.md#resetinfo).
            Case(program: "resetinfo", input: nil, expectedStatus: 0),
            // Misaligned loads/stores performed; misaligned LR/SC/AMOs as QEMU handles them.
            Case(program: "misaligned", input: nil, expectedStatus: 0),
            // Nested traps: CSR probe chain, ecall/ebreak inside handlers, nested interrupts.
            Case(program: "traps", input: nil, expectedStatus: 0),
        ]
        // The source-level programs (compared with gdb in SourceLevelOracleTests), -O0 and -O2.
        + FirmwareBuilder.sourceLevelPrograms.flatMap { program in
            ["O0", "O2"].map { Case(program: "\(program)-\($0)", input: nil, expectedStatus: 0) }
        }

    @Test(arguments: cases)
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

    /// Every differential program also records, and its recording verifies: replay reaches the
    /// same state hash at every keyframe (the reset ROM, misaligned accesses, nested traps and
    /// counter reads are all part of the deterministic machine).
    @Test(arguments: cases)
    func recordingEachProgramVerifies(_ test: Case) throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf(test.program)
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let recording = directory + "/run.tsr"
        let record = try TimescopeProcess.run(
            ["record", elf, "-o", recording, "--keyframe-interval", "5000"]
                + (test.input.map { ["--input", $0] } ?? []))
        #expect(record.status == test.expectedStatus, "record: \(record.stderr)")
        let run = try TimescopeProcess.run(["run", elf] + (test.input.map { ["--input", $0] } ?? []))
        #expect(record.stdout == run.stdout, "record prints what run prints")
        let verify = try TimescopeProcess.run(["verify", recording])
        #expect(verify.status == 0, "verify: \(verify.stdoutText) \(verify.stderr)")
    }

    @Test func echoUppercasesItsInputAndSaysBye() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run([
            "run", try FirmwareBuilder.elf("echo"), "--input", #"hello, world\nq"#,
        ])
        #expect(result.status == 0)
        #expect(result.stdoutText == "ready\nHELLO, WORLD\n\nbye\n")
    }

    /// The statuses above are the ones Firmware/README.md documents, and the long-standing cases
    /// keep theirs: a change to an expected status (or a case that goes missing) has to be a
    /// deliberate edit here and in the README, not a side effect of making a test pass.
    @Test func everyCaseKeepsItsDocumentedExitStatus() throws {
        let pinned: [String: Int32] = [
            "exerciser": 0, "timer": 0, "semihost": 7, "workload": 0, "echo": 0,
            "resetinfo": 0, "misaligned": 0, "traps": 0, "frames-O0": 0, "frames-O2": 0, "structs-O0": 0,
            "structs-O2": 0, "irqstack-O0": 0, "irqstack-O2": 0,
        ]
        let programs = Self.cases.map(\.program)
        #expect(Set(programs).count == programs.count, "a program is listed twice: \(programs)")
        #expect(Set(programs) == Set(pinned.keys), "cases: \(programs)")
        for test in Self.cases {
            #expect(test.expectedStatus == pinned[test.program], "\(test.program)")
        }
        #expect(Self.cases.first { $0.program == "echo" }?.input == #"hello, world\nq"#)

        // Firmware/README.md's table: | `name` | input | exit status | what it does |
        let readme = try String(
            contentsOf: TimescopeProcess.packageRoot.appendingPathComponent("Firmware/README.md"),
            encoding: .utf8)
        var documented: [String: String] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let columns = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count >= 5 else { continue }
            documented[columns[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = columns[3]
        }
        for test in Self.cases {
            #expect(documented[test.program] == String(test.expectedStatus), "README row for \(test.program)")
        }
        // htif is Timescope-only (htifExitCodeBecomesTheExitStatus expects 5); QEMU, without HTIF, exits 85.
        #expect(documented["htif"] == "85 on QEMU, 5 with HTIF", "README row for htif")
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
        #expect(
            result.stderr.contains("htif"), "the line says which mechanism ended the run: \(result.stderr)")
    }
}

/// Where two byte strings first differ, with some context from each, for failure messages.
func firstDifference(_ ours: [UInt8], _ theirs: [UInt8]) -> String {
    let index =
        zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(ours.count, theirs.count)
    func context(_ bytes: [UInt8]) -> String {
        let start = max(0, index - 40)
        let end = min(bytes.count, index + 40)
        return String(decoding: bytes[start..<end], as: UTF8.self).debugDescription
    }
    return "at byte \(index) (lengths \(ours.count) vs \(theirs.count)): timescope …\(context(ours))… "
        + "vs QEMU …\(context(theirs))…"
}
