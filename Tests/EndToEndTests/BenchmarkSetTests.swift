import Foundation
import Testing
import TestSupport

/// The benchmark set (Benchmarks/Firmware): the small variant of every program prints on
/// `timescope run` exactly what it prints on QEMU (`scripts/qemu-run.sh`, -icount), exits 0 on
/// both, and its recording verifies. `scripts/bench.sh` times the billion-instruction builds of
/// the same sources, and checks their outputs the same way.
@Suite struct BenchmarkSetTests {
    /// A small variant runs a few million instructions; the limit keeps a mistake (a small
    /// build with a big ITERATIONS) from slowing the suite down.
    static let stepLimit = 20_000_000

    @Test(arguments: BenchmarkFirmware.programs)
    func smallVariantMatchesQEMUAndItsRecordingVerifies(_ program: String) throws {
        for tool in [RequiredTool.crossCompiler, .make, .qemu] { try tool.check() }
        let elf = try BenchmarkFirmware.smallELF(program)

        let run = try TimescopeProcess.run(["run", elf, "--max-steps", String(Self.stepLimit)])
        let qemu = try QEMUOracle.run(elf)
        #expect(run.status == 0, "timescope run: \(run)")
        #expect(qemu.status == 0, "QEMU: \(qemu)")
        if run.stdout != qemu.stdout {
            Issue.record("console output differs from QEMU's: \(firstDifference(run.stdout, qemu.stdout))")
        }

        // Every program starts and ends the same way (common/bench.h) and checks itself.
        let lines = run.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("\(program) iterations ") == true, "first line: \(lines.first ?? "")")
        #expect(lines.last == "", "the output ends with a newline")
        let checksum = lines.dropLast().last ?? ""
        #expect(checksum.wholeMatch(of: #/checksum [0-9a-f]{8}/#) != nil, "last line: \(checksum)")
        #expect(!run.stdoutText.contains("FAILED"), "a self-check failed: \(run.stdoutText)")

        let scratch = try TemporaryDirectory("benchmark-set")
        defer { scratch.remove() }
        let recording = scratch.file("\(program).tsr")
        let record = try TimescopeProcess.run([
            "record", elf, "-o", recording, "--max-steps", String(Self.stepLimit),
        ])
        #expect(record.status == 0, "timescope record: \(record)")
        #expect(record.stdout == run.stdout, "record prints what run prints")
        let verify = try TimescopeProcess.run(["verify", recording])
        #expect(verify.status == 0 && verify.stdoutText.hasPrefix("ok: "), "timescope verify: \(verify)")
    }

    /// The list the tests (and `scripts/bench.sh`) use is the Makefile's.
    @Test func programListMatchesTheMakefile() throws {
        let makefile = try String(
            contentsOf: TimescopeProcess.packageRoot.appendingPathComponent("Benchmarks/Firmware/Makefile"),
            encoding: .utf8)
        let line = makefile.split(separator: "\n").first { $0.hasPrefix("PROGRAMS :=") }
        let listed = line.map { $0.dropFirst("PROGRAMS :=".count).split(separator: " ").map(String.init) }
        #expect(listed == BenchmarkFirmware.programs)

        let script = try String(
            contentsOf: TimescopeProcess.packageRoot.appendingPathComponent("scripts/bench.sh"),
            encoding: .utf8)
        #expect(
            script.contains("set_programs=(\(BenchmarkFirmware.programs.joined(separator: " ")))"),
            "scripts/bench.sh runs the same programs")
    }
}
