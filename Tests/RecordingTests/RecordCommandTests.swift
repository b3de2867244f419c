import Foundation
import GRDB
import Machine
import Recording
import Testing
import TestSupport

/// `timescope record` behaves as `run` does, and `info` describes what it wrote.
@Suite struct RecordCommandTests {
    /// A program that crashes: it jumps into the hole in the memory map with no trap handler
    /// able to cope (mtvec points into the hole too).
    static let crasher = """
            li t0, HOLE
            csrw mtvec, t0
            li a0, 7
            jr t0
        """

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var extra: [String] = []
        var testDescription: String { name + (extra.isEmpty ? "" : " " + extra.joined(separator: " ")) }
    }

    static let cases: [Case] = [
        Case(name: "timer"), Case(name: "workload"), Case(name: "semihost"), Case(name: "htif"),
        Case(name: "exerciser"),
        Case(name: "echo", extra: ["--input", "hello, world\\nq"]),
        Case(name: "echo", extra: ["--input", "no quit"]),  // stalls: status 5
        Case(name: "workload", extra: ["--max-steps", "123457"]),  // step limit: status 4
        Case(name: "crasher"),
    ]

    @Test(arguments: cases)
    func recordPrintsAndExitsAsRunDoes(_ test: Case) throws {
        let elf: String?
        if test.name == "crasher" {
            elf = try TestFirmware.assembled(Self.crasher)
        } else {
            elf = try TestFirmware.elf(test.name)
        }
        guard let elf else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("run.tsr")
        let plain = try CLI.run(["run", elf] + test.extra)
        let recorded = try CLI.run(
            ["record", elf, "-o", recording, "--keyframe-interval", "5000"] + test.extra)
        #expect(recorded.stdout == plain.stdout, "same console output")
        #expect(
            recorded.status == plain.status,
            "same exit status: run \(CLI.describe(plain)); record \(CLI.describe(recorded))")
        #expect(recorded.stderr == plain.stderr, "same diagnostics")
        #expect(!FileManager.default.fileExists(atPath: recording + "-wal"), "folded into one file")

        // The file is complete however the run ended, and its end is the plain run's end.
        let info = try CLI.run(["info", recording, "--json"])
        #expect(info.status == 0, "\(CLI.describe(info))")
        let json = try parseJSON(info.stdoutText.trimmingCharacters(in: .newlines))
        let input = try InputText.bytes(from: test.extra.first == "--input" ? test.extra[1] : "")
        let machine = try Reference.machine(elf: elf, input: input)
        let limit = test.extra.first == "--max-steps" ? UInt64(test.extra[1])! : UInt64.max
        let reason = machine.run(until: limit)
        #expect(json["totalSteps"]?.unsigned == machine.step, "totalSteps is where the run stopped")
        let expectedReason: String
        switch reason {
        case .exited: expectedReason = "exited"
        case .crashed: expectedReason = "crashed"
        case .waitingForInput: expectedReason = "stalled"
        case .stepLimit: expectedReason = "step-limit"
        default: expectedReason = "\(reason)"
        }
        #expect(json["endReason"]?.string == expectedReason)
        if case .exited(let code, _) = reason {
            #expect(json["exitCode"] == .integer(String(code)))
        } else {
            #expect(json["exitCode"] == nil, "exitCode only when the firmware exited")
        }
        let end = try CLI.run(["state", recording, "--at", "end", "--json"])
        #expect(
            end.stdoutText == dumpStateText(machine) + "\n", "state --at end is the final state of the run")
        if expectedReason == "crashed" {
            let crash = try CLI.run(["find", recording, "--event", "crash", "--before", "end", "--json"])
            #expect(crash.status == 0, "a crash marker: \(CLI.describe(crash))")
        }
    }

    @Test func infoDescribesTheRecordingWithTheContractsKeys() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("timer.tsr")
        let record = try CLI.run(["record", elf, "-o", recording, "--keyframe-interval", "1000"])
        #expect(record.status == 0)
        let info = try CLI.run(["info", recording, "--json"])
        #expect(info.status == 0, "\(CLI.describe(info))")
        let lines = info.stdoutText.split(separator: "\n")
        #expect(lines.count == 1, "one JSON object on one line")
        let json = try parseJSON(info.stdoutText.trimmingCharacters(in: .newlines))
        #expect(
            json.keys == [
                "firmware", "sha256", "board", "misalignedAccess", "totalSteps", "endReason", "exitCode",
                "keyframes", "fileBytes",
                "markers", "sources",
            ],
            "the contract's keys, exactly; got \(json.keys)")

        // The SHA-256 as sha256sum computes it.
        let sum = try runProcess("/usr/bin/env", ["sha256sum", elf])
        let digest = String(sum.stdoutText.prefix(64))
        #expect(digest.count == 64)
        #expect(json["sha256"]?.string == digest)
        #expect(json["firmware"]?.string == "timer.elf")
        #expect(json["board"]?.string == "virt")
        #expect(
            json["misalignedAccess"]?.string == "perform",
            "QEMU's behaviour unless --misaligned says otherwise")
        let machine = try Reference.machine(elf: elf)
        #expect(machine.run(until: .max) == .exited(code: 0, via: .finisher))
        #expect(json["totalSteps"]?.unsigned == machine.step)
        #expect(json["endReason"]?.string == "exited")
        #expect(json["exitCode"] == .integer("0"))
        // Keyframes every 1000 steps from step 0, and one at the end.
        let total = machine.step
        #expect(json["keyframes"]?.unsigned == total / 1000 + 1 + (total % 1000 == 0 ? 0 : 1))
        let size = try FileManager.default.attributesOfItem(atPath: recording)[.size] as? NSNumber
        #expect(json["fileBytes"]?.unsigned == size?.uint64Value)
        // Firmware/README.md: 17 lines, 10 ticks, 2 software interrupts, 1 exit.
        let markers = try #require(json["markers"])
        #expect(markers["timer-interrupt"] == .integer("10"))
        #expect(markers["software-interrupt"] == .integer("2"))
        #expect(markers["console"] == .integer("17"))
        #expect(markers["exit"] == .integer("1"))
        #expect(
            Set(markers.keys) == ["timer-interrupt", "software-interrupt", "console", "exit"],
            "no other kinds: \(markers.keys)")

        // The text form says the same.
        let text = try CLI.run(["info", recording])
        #expect(text.status == 0)
        #expect(
            text.stdoutText.contains(digest) && text.stdoutText.contains("timer.elf")
                && text.stdoutText.contains(String(total)))
    }

    /// A run that stops exactly on a keyframe's step, with console output still pending, ends
    /// the recording without a second keyframe at that step (which the file cannot hold).
    @Test(arguments: [1000, 2000, 3000])
    func aRunStoppedOnAKeyframeStepFinishesItsRecording(_ steps: Int) throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("boundary.tsr")
        let record = try CLI.run([
            "record", elf, "-o", recording, "--max-steps", String(steps), "--keyframe-interval", "1000",
        ])
        #expect(record.status == 4, "\(CLI.describe(record))")
        let verify = try CLI.run(["verify", recording])
        #expect(verify.status == 0, "\(CLI.describe(verify))")
        let info = try parseJSON(
            try CLI.run(["info", recording, "--json"]).stdoutText.trimmingCharacters(in: .newlines))
        #expect(info["totalSteps"]?.unsigned == UInt64(steps))
        #expect(info["keyframes"]?.unsigned == UInt64(steps / 1000 + 1))
    }

    /// `state --memory` reads the reset ROM as the inspector shows it: the start address and the
    /// device tree's, as QEMU's ROM holds them.
    @Test func stateReadsTheResetROM() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("rom.tsr")
        #expect(try CLI.run(["record", elf, "-o", recording]).status == 0)
        let state = try parseJSON(
            try CLI.run(["state", recording, "--at", "0", "--memory", "1018:12", "--json"]).stdoutText
                .trimmingCharacters(in: .newlines))
        #expect(state["memory"]?.elements?.first?["hex"]?.string == "0000008000000000" + "0000e087")
    }

    /// The recorder refuses an interval the reader would refuse.
    @Test func aKeyframeIntervalLongerThanAReaderAcceptsIsAUsageError() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let result = try CLI.run([
            "record", elf, "-o", scratch.file("long.tsr"), "--keyframe-interval", "1000000001",
        ])
        #expect(result.status == 2, "\(CLI.describe(result))")
        #expect(result.stderr.contains("at most every 1000000000"))
        #expect(!FileManager.default.fileExists(atPath: scratch.file("long.tsr")))
    }

    // MARK: --misaligned

    /// `--misaligned trap` goes into the board the recording stores, and `info` shows it.
    @Test func misalignedTrapIsStoredInTheRecordingsBoard() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("trap.tsr")
        let record = try CLI.run(["record", elf, "-o", recording, "--misaligned", "trap"])
        #expect(record.status == 0, "\(CLI.describe(record))")
        let board = try boardJSON(recording)
        #expect(board.contains(#""misalignedAccess":"trap""#), "board: \(board)")
        let info = try parseJSON(
            try CLI.run(["info", recording, "--json"]).stdoutText.trimmingCharacters(in: .newlines))
        #expect(info["misalignedAccess"]?.string == "trap")
        #expect(try CLI.run(["info", recording]).stdoutText.contains("misaligned accesses: trap"))
    }

    /// `record --replay-input` reproduces the replayed session: its board (RAM size,
    /// misaligned accesses) unless an option says otherwise.
    @Test func replayInputRunsOnTheReplayedRecordingsBoardUnlessOverridden() throws {
        guard let elf = try TestFirmware.elf("echo") else { return }
        let scratch = try ScratchDirectory()
        let session = scratch.file("session.tsr")
        let made = try CLI.run([
            "record", elf, "-o", session, "--ram", "64M", "--misaligned", "trap", "--input", "hi\\nq",
        ])
        #expect(made.status == 0, "\(CLI.describe(made))")

        let again = scratch.file("again.tsr")
        let replayed = try CLI.run(["record", elf, "-o", again, "--replay-input", session])
        #expect(replayed.status == 0, "\(CLI.describe(replayed))")
        #expect(try boardJSON(again) == (try boardJSON(session)), "the same board")
        #expect(try boardJSON(again).contains(#""ramSize":67108864"#))
        #expect(
            try CLI.run(["state", again, "--at", "end", "--json"]).stdout
                == (try CLI.run(["state", session, "--at", "end", "--json"])).stdout)

        let overridden = scratch.file("overridden.tsr")
        let performing = try CLI.run([
            "record", elf, "-o", overridden, "--replay-input", session, "--misaligned", "perform",
        ])
        #expect(performing.status == 0, "\(CLI.describe(performing))")
        let board = try boardJSON(overridden)
        #expect(
            board.contains(#""misalignedAccess":"perform""#) && board.contains(#""ramSize":67108864"#),
            "board: \(board)")
    }

    /// The values are listed in the help, and anything else is a usage error naming them.
    @Test(arguments: ["run", "record", "watch"])
    func misalignedTakesPerformOrTrap(_ command: String) throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let help = try CLI.run(["help", command])
        #expect(help.stdoutText.contains("--misaligned <perform|trap>"), "help: \(help.stdoutText)")
        let scratch = try ScratchDirectory()
        let output = command == "run" ? [] : ["-o", scratch.file("x.tsr")]
        let result = try CLI.run([command, elf, "--misaligned", "sometimes"] + output)
        #expect(result.status == 2, "\(CLI.describe(result))")
        #expect(
            result.stderr.contains("sometimes") && result.stderr.contains("perform")
                && result.stderr.contains("trap"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.file("x.tsr")))
    }

    /// The board column as the recording stores it (JSON).
    private func boardJSON(_ recording: String) throws -> String {
        try FileSurgery.read(recording) { db in try String.fetchOne(db, sql: "SELECT board FROM recording") }
            ?? ""
    }

    @Test func keyframeIntervalBelowTheMinimumIsAUsageError() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let result = try CLI.run(["record", elf, "-o", scratch.file("x.tsr"), "--keyframe-interval", "10"])
        expectCleanError(result, "--keyframe-interval 10")
    }
}
