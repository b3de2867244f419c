import Foundation
import Machine
import Testing
import TestSupport

/// `timescope run` as the issue's contract describes it: exit statuses, the one-line
/// diagnostics on stderr, and `--input`. Everything goes through the built binary.
@Suite struct RunCommandContractTests {
    // MARK: Reset

    /// resetinfo's ELF entry is not the start of RAM on purpose: the run goes on from the start
    /// of RAM, as on QEMU, and one warning line says why.
    @Test func anELFWhoseEntryIsNotTheStartOfRAMGetsAWarningAndRunsFromRAMStart() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("resetinfo")])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.hasPrefix("timescope: warning: the ELF's entry 0x"), "\(result.stderr)")
        #expect(result.stderr.contains("the reset ROM jumps to 0x80000000"))
        let exerciser = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("exerciser")])
        #expect(exerciser.stderr.isEmpty, "no warning when the entry is the start of RAM")
    }

    // MARK: Status 2: usage and load errors

    /// A file that is not there, not an ELF, a 64-bit ELF, an ELF for another machine, a
    /// truncated ELF: status 2, nothing on stdout, exactly one line on stderr saying what is
    /// wrong.
    @Test(arguments: [
        ("missing", "missing.elf"),
        ("text", "not an ELF"),
        ("elf64", "64-bit"),
        ("x86", "machine"),
        ("truncated", "truncated"),
    ])
    func unloadableFirmwareExitsTwoWithOneLine(_ kind: String, _ expectedWords: String) throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let path = directory + "/\(kind).elf"
        switch kind {
        case "missing": break
        case "text": try Data("this is not firmware\n".utf8).write(to: URL(fileURLWithPath: path))
        case "elf64": try Data(elfHeader(is64Bit: true, machine: 243)).write(to: URL(fileURLWithPath: path))
        case "x86": try Data(elfHeader(is64Bit: false, machine: 3)).write(to: URL(fileURLWithPath: path))
        case "truncated":
            guard try RequiredTool.require(.crossCompiler) else { return }
            let whole = try Assembler.elfBytes(TestProgram.prelude + "EXIT 0\n")
            try Data(whole.prefix(60)).write(to: URL(fileURLWithPath: path))
        default: Issue.record("unknown case \(kind)")
        }
        let result = try TimescopeProcess.run(["run", path])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(
            result.stderr.localizedCaseInsensitiveContains(expectedWords),
            "expected '\(expectedWords)' in: \(result.stderr)")
    }

    /// Bad options: unknown board, RAM sizes that are not sizes (or not whole pages, or too
    /// small for the firmware), bad `--input` escapes. Status 2 and one line naming the option.
    @Test(arguments: [
        (["--board", "sifive_u"], "sifive_u"),
        (["--ram", "12X"], "12X"),
        (["--ram", "1000"], "1000"),
        (["--ram", "4K"], "RAM"),
        (["--input", #"a\q"#], "--input"),
        (["--input", #"\x4"#], "--input"),
        (["--input", #"trailing\"#], "--input"),
    ])
    func badOptionsExitTwoWithOneLine(_ options: [String], _ expectedWords: String) throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("exerciser")] + options)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty, "the firmware must not run: \(result.stdoutText)")
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains(expectedWords), "expected '\(expectedWords)' in: \(result.stderr)")
    }

    /// Command-line syntax errors are usage errors too: 2, not ArgumentParser's 64.
    @Test(arguments: [["run"], ["run", "fw.elf", "--frobnicate"], ["run", "fw.elf", "--max-steps", "many"]])
    func commandLineSyntaxErrorsExitTwo(_ arguments: [String]) throws {
        let result = try TimescopeProcess.run(arguments)
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }

    // MARK: Status 3: crash

    /// An exception whose handler cannot run (mtvec = 0: the fetch at 0 faults before any
    /// `mret`) is a crash: status 3 and one line naming the first exception's cause, pc and
    /// the symbol it falls in.
    @Test func anUnhandledExceptionIsACrashNamingCausePCAndSymbol() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let elf = try Assembler.elf(
            TestProgram.prelude + """
                    .globl _start
                _start:
                    csrw mtvec, zero
                    nop
                    .globl boom
                boom:
                    .word 0                 # the all-zero word: illegal instruction
                """)
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let result = try TimescopeProcess.run(["run", elf, "--dump-state", directory + "/state.json"])
        #expect(result.status == 3)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        let boom = try #require(try Firmware.load(contentsOf: elf).symbols.address(of: "boom"))
        let line = result.stderr
        #expect(line.contains("crash"), "\(line)")
        #expect(line.contains("illegal instruction"), "the cause: \(line)")
        #expect(line.contains(hex(boom)), "the pc: \(line)")
        #expect(line.contains("boom"), "the symbol: \(line)")

        // The state is dumped for a crash too, and holds the first trap's CSRs.
        let state = try ParsedJSON.parse(
            [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/state.json"))))
        #expect(state["csr"]?["mcause"]?.unsigned == 2)
        #expect(state["csr"]?["mepc"]?.unsigned == UInt64(boom))
    }

    /// A firmware that itself exits with 3 (or 2, or 4) keeps that status, and the line on
    /// stderr says it was the firmware, not a crash, a load error or the step limit.
    @Test(arguments: [2, 3, 4])
    func aFirmwareExitCodeThatLooksLikeAToolStatusIsExplained(_ code: Int) throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let elf = try Assembler.elf(TestProgram.prelude + "EXIT \(code)\n")
        let result = try TimescopeProcess.run(["run", elf])
        #expect(result.status == Int32(code))
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("exited with code \(code)"), "\(result.stderr)")
        #expect(!result.stderr.contains("crash"))
    }

    // MARK: Status 4: step limit

    @Test func reachingMaxStepsExitsFour() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run([
            "run", try FirmwareBuilder.elf("workload"), "--max-steps", "5000",
        ])
        #expect(result.status == 4)
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("5000"), "the line says the step: \(result.stderr)")
    }

    // MARK: Status 5: stalled

    /// `echo` without input sleeps in WFI with no timer armed: nothing can ever wake it, so
    /// the run ends with status 5 after printing what it printed.
    @Test func waitingInWFIWithNothingArmedExitsFive() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("echo")])
        #expect(result.status == 5)
        #expect(result.stdoutText == "ready\n")
        #expect(result.stderrLines.count == 1, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("WFI"), "\(result.stderr)")
    }

    /// Input that runs out before the firmware's `q`: it echoes everything, then stalls.
    @Test func echoStallsAfterItsInputRunsOut() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("echo"), "--input", "abc"])
        #expect(result.status == 5)
        #expect(result.stdoutText == "ready\nABC")
    }

    // MARK: --input

    /// Every escape reaches the firmware as the byte it stands for, in order (`echo` upper-
    /// cases letters and echoes every other byte unchanged; `q`, here written `\x71`, ends it).
    @Test func inputEscapesReachTheFirmwareInOrder() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let input = #"a\tb\\c\x41\x7a\rd\xffe\n\x71ignored"#
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("echo"), "--input", input])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let expected: [UInt8] =
            Array("ready\n".utf8) + [0x41, 0x09, 0x42, 0x5C, 0x43, 0x41, 0x5A, 0x0D, 0x44, 0xFF, 0x45, 0x0A]
            + Array("\nbye\n".utf8)
        #expect(result.stdout == expected, "got \(result.stdoutText.debugDescription)")
    }

    /// Much more input than the UART's 16-byte receive FIFO holds: every byte still arrives,
    /// in order, as the firmware makes room.
    @Test func longInputIsDeliveredCompletelyAndInOrder() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let text = (0..<40).map { "line \($0) of the input;" }.joined()
        let result = try TimescopeProcess.run(["run", try FirmwareBuilder.elf("echo"), "--input", text + "q"])
        #expect(result.status == 0)
        #expect(result.stdoutText == "ready\n" + text.uppercased() + "\nbye\n")
    }
}

/// A little-endian ELF executable header and nothing else (no program headers).
func elfHeader(is64Bit: Bool, machine: UInt16) -> [UInt8] {
    var bytes: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, is64Bit ? 2 : 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
    bytes += [2, 0]  // e_type: EXEC
    bytes += [UInt8(machine & 0xFF), UInt8(machine >> 8)]
    bytes += [1, 0, 0, 0]  // e_version
    bytes += [UInt8](repeating: 0, count: (is64Bit ? 64 : 52) - bytes.count)
    return bytes
}
