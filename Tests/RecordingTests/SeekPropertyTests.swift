import Foundation
import Machine
import Recording
import Testing
import TestSupport

/// The state a timeline shows at step N is the state a plain run reaches after N steps:
/// `state --at N` == `run --max-steps N --dump-state`, at any N, in any seek order.
@Suite struct SeekPropertyTests {
    /// Seeks one timeline through `targets` (in that order) and compares every stop with a
    /// fresh machine run to the same step.
    func checkSeeks(_ run: RecordedRun, targets: [UInt64], seed: UInt64) throws {
        let timeline = try Timeline(path: run.path)
        #expect(timeline.totalSteps == run.totalSteps, "the recording ends where the recorded run ended")
        var previous: UInt64 = 0
        for target in targets {
            try timeline.seek(to: target)
            let reference = try Reference.machine(elf: run.elf, input: run.input, at: target)
            let machine = timeline.machine
            let context =
                "\((run.elf as NSString).lastPathComponent): seek to \(target) (after \(previous)), seed \(TestSeed.describe(seed))"
            #expect(machine.step == target, "\(context): the machine is at step \(machine.step)")
            #expect(machine.state == reference.state, "\(context): CPU/device state differs")
            if machine.stateHash != reference.stateHash {
                Issue.record(
                    "\(context): state hash differs; RAM pages that differ: \(differingPages(machine, reference))"
                )
            }
            previous = target
        }
    }

    @Test func timerStatesMatchAPlainRunAtEveryStepVisited() throws {
        guard let run = try Recordings.timer() else { return }
        let seed = TestSeed.make("timer seeks")
        var random = SeededGenerator(seed: seed)
        let targets = seekTargets(
            total: run.totalSteps, interval: run.keyframeInterval, randomCount: 40, boundaryCount: 10,
            using: &random)
        try checkSeeks(run, targets: targets, seed: seed)
    }

    @Test func echoStatesMatchAPlainRunWithTheSameInput() throws {
        guard let run = try Recordings.echo() else { return }
        let seed = TestSeed.make("echo seeks")
        var random = SeededGenerator(seed: seed)
        let targets = seekTargets(
            total: run.totalSteps, interval: run.keyframeInterval, randomCount: 40, boundaryCount: 4,
            using: &random)
        try checkSeeks(run, targets: targets, seed: seed)
    }

    @Test func workloadStatesMatchAPlainRunAcrossManyKeyframes() throws {
        guard let run = try Recordings.workload() else { return }
        let seed = TestSeed.make("workload seeks")
        var random = SeededGenerator(seed: seed)
        let targets = seekTargets(
            total: run.totalSteps, interval: run.keyframeInterval, randomCount: 30, boundaryCount: 10,
            using: &random)
        try checkSeeks(run, targets: targets, seed: seed)
    }

    /// Input that arrives over many keyframes: the program polls the UART and copies each byte
    /// into a buffer with busy work in between, so the recorded input events are spread over
    /// ~20 keyframe intervals and a seek must replay them at their steps.
    static let slowReader = """
            .section .text.init, "ax"
            .globl _start
        _start:
            li s0, UART
            la s1, buffer
            li s2, 20               # bytes to read
        wait:
            lbu t0, 5(s0)           # LSR
            andi t0, t0, 1          # data ready?
            beqz t0, wait
            lbu t1, 0(s0)           # RBR
            sb t1, 0(s1)
            addi s1, s1, 1
            li t2, 700              # busy work between bytes
        busy:
            addi t2, t2, -1
            bnez t2, busy
            addi s2, s2, -1
            bnez s2, wait
            EXIT 0

            .data
        buffer: .space 64
        """

    @Test func inputSpreadOverManyKeyframesReplaysAtItsSteps() throws {
        guard let elf = try TestFirmware.assembled(Self.slowReader) else { return }
        let scratch = try ScratchDirectory()
        let input = Array("the quick brown fox!".utf8)
        let run = try Recordings.record(
            elf: elf, input: input, keyframeInterval: 1000, to: scratch.file("reader.tsr"))
        #expect(run.reason == .exited(code: 0, via: .finisher), "the reader consumes its 20 bytes and exits")
        #expect(
            run.totalSteps > 10 * run.keyframeInterval,
            "input arrives across many keyframes (\(run.totalSteps) steps)")
        let seed = TestSeed.make("slow reader seeks")
        var random = SeededGenerator(seed: seed)
        let targets = seekTargets(
            total: run.totalSteps, interval: run.keyframeInterval, randomCount: 40, boundaryCount: 8,
            using: &random)
        try checkSeeks(run, targets: targets, seed: seed)
        // And the bytes all arrived, in order.
        let timeline = try Timeline(path: run.path)
        try timeline.seek(to: timeline.totalSteps)
        let buffer = try timeline.machine.readRAM(timeline.machine.address(of: "buffer"), count: input.count)
        #expect(buffer == input)
    }

    /// Stepping backwards one step at a time across a keyframe (the inspector's step-back).
    @Test func steppingBackOneStepAtATimeAcrossAKeyframe() throws {
        guard let run = try Recordings.timer() else { return }
        let timeline = try Timeline(path: run.path)
        let reference = try run.referenceMachine()
        let first = 2 * run.keyframeInterval - 30
        let last = 2 * run.keyframeInterval + 30
        var expected: [UInt64: (MachineState, UInt64)] = [:]
        _ = reference.run(until: first)
        for step in first...last {
            _ = reference.run(until: step)
            expected[step] = (reference.state, reference.stateHash)
        }
        for step in (first...last).reversed() {
            try timeline.seek(to: step)
            #expect(timeline.machine.state == expected[step]?.0, "step back to \(step)")
            #expect(
                timeline.machine.stateHash == expected[step]?.1, "step back to \(step): RAM or state hash")
        }
    }

    @Test func seekingBeyondTheEndIsRefused() throws {
        guard let run = try Recordings.timer() else { return }
        let timeline = try Timeline(path: run.path)
        #expect(throws: RecordingError.self) { try timeline.seek(to: run.totalSteps + 1) }
        #expect(throws: RecordingError.self) { try timeline.seek(to: .max) }
        // The timeline still works afterwards.
        try timeline.seek(to: 1234)
        let reference = try Reference.machine(elf: run.elf, at: 1234)
        #expect(timeline.machine.stateHash == reference.stateHash)
    }
}

/// The same property through the binary: `timescope state REC --at N --json` prints exactly
/// what `timescope run --max-steps N --dump-state` writes.
@Suite struct StateCommandTests {
    /// `run --max-steps N --dump-state` as text (one JSON object, no newline).
    func dumpState(_ elf: String, steps: UInt64, input: String? = nil, scratch: ScratchDirectory) throws
        -> String
    {
        let file = scratch.file("dump-\(steps).json")
        var arguments = ["run", elf, "--max-steps", String(steps), "--dump-state", file]
        if let input { arguments += ["--input", input] }
        let result = try CLI.run(arguments)
        #expect([0, 4].contains(result.status), "run --max-steps \(steps): \(CLI.describe(result))")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    @Test func stateAtStepsOfARecordingEqualsRunDumpState() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("timer.tsr")
        let record = try CLI.run(["record", elf, "-o", recording, "--keyframe-interval", "1000"])
        #expect(record.status == 0, "\(CLI.describe(record))")
        let info = try parseJSON(CLI.run(["info", recording, "--json"]).stdoutText)
        let total = try #require(info["totalSteps"]?.unsigned)
        let seed = TestSeed.make("state command")
        var random = SeededGenerator(seed: seed)
        let steps: [UInt64] =
            [0, 999, 1000, 1001, 2000, total - 1, total]
            + (0..<3).map { _ in UInt64.random(in: 0...total, using: &random) }
        // One --at per step, in a non-sorted order: one line each, in the order asked.
        let order = steps.shuffled(using: &random)
        let result = try CLI.run(["state", recording] + order.flatMap { ["--at", String($0)] } + ["--json"])
        #expect(result.status == 0, "\(CLI.describe(result))")
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == order.count + 1 && lines.last == "", "one line per --at")
        for (index, step) in order.enumerated() where index < lines.count {
            let expected = try dumpState(elf, steps: step, scratch: scratch)
            #expect(String(lines[index]) == expected, "state --at \(step) (seed \(TestSeed.describe(seed)))")
        }
        // 'end' and the percentages name steps of the recording.
        let named = try CLI.run([
            "state", recording, "--at", "end", "--at", "0%", "--at", "100%", "--at", "50%", "--json",
        ])
        #expect(named.status == 0, "\(CLI.describe(named))")
        let namedLines = named.stdoutText.split(separator: "\n").map(String.init)
        try #require(namedLines.count == 4)
        #expect(namedLines[0] == (try dumpState(elf, steps: total, scratch: scratch)), "--at end")
        #expect(namedLines[1] == (try dumpState(elf, steps: 0, scratch: scratch)), "--at 0%")
        #expect(namedLines[2] == namedLines[0], "--at 100% is the end")
        let half = try parseJSON(namedLines[3])["step"]?.unsigned ?? .max
        #expect(
            half >= total / 2 - 1 && half <= total / 2 + 1,
            "--at 50% is the middle step, got \(half) of \(total)")
    }

    @Test func stateOfAnEchoRecordingEqualsRunWithTheSameInput() throws {
        guard let elf = try TestFirmware.elf("echo") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("echo.tsr")
        let input = "hello, world\\nq"
        let record = try CLI.run([
            "record", elf, "-o", recording, "--keyframe-interval", "1000", "--input", input,
        ])
        #expect(record.status == 0, "\(CLI.describe(record))")
        for step: UInt64 in [0, 50, 200, 333, 416, 417] {
            let result = try CLI.run(["state", recording, "--at", String(step), "--json"])
            #expect(result.status == 0, "\(CLI.describe(result))")
            let expected = try dumpState(elf, steps: step, input: input, scratch: scratch)
            #expect(result.stdoutText == expected + "\n", "state --at \(step)")
        }
    }

    @Test func memoryRangesShowTheBytesAtThatStep() throws {
        guard let run = try Recordings.workload() else { return }
        let reference = try run.referenceMachine()
        let stack: UInt32 = 0x800F_FF00
        let data: UInt32 = 0x8000_1000
        for step: UInt64 in [0, 123_457, 1_000_000] {
            _ = reference.run(until: step)
            let result = try CLI.run([
                "state", run.path, "--at", String(step), "--memory", "0x800fff00:256", "--memory",
                "\(hex(data)):16", "--json",
            ])
            #expect(result.status == 0, "\(CLI.describe(result))")
            let json = try parseJSON(result.stdoutText.trimmingCharacters(in: .newlines))
            let memory = try #require(json["memory"]?.elements, "a memory member")
            try #require(memory.count == 2)
            for (entry, (address, count)) in zip(memory, [(stack, 256), (data, 16)]) {
                #expect(entry.keys == ["address", "hex"])
                #expect(entry["address"]?.unsigned == UInt64(address))
                let expected = reference.readRAM(address, count: count)!.map { String(format: "%02x", $0) }
                    .joined()
                #expect(entry["hex"]?.string == expected, "memory \(hex(address)):\(count) at step \(step)")
            }
            // Everything else is the dump-state object.
            #expect(json.keys == ["step", "pc", "x", "privilege", "csr", "devices", "memory", "stateHash"])
            #expect(json["stateHash"]?.string == MachineState.hashText(reference.stateHash))
        }
    }

    /// Requests a recording cannot answer (a step beyond the end, memory outside RAM, an
    /// unknown symbol): status 2 and one line saying what is wrong.
    @Test(arguments: [
        ["state", "REC", "--at", "3512", "--json"], ["state", "REC", "--at", "101%", "--json"],
        ["state", "REC", "--at=-5", "--json"], ["state", "REC", "--at", "soon", "--json"],
        ["state", "REC", "--at", "end", "--memory", "0x0:4", "--json"],
        ["state", "REC", "--at", "end", "--memory", "0xfffffffe:4", "--json"],
        ["state", "REC", "--at", "end", "--memory", "nosuchsymbol", "--json"],
        ["find", "REC", "--pc", "nosuchsymbol", "--after", "0"],
        ["find", "REC", "--last-write", "0x80001000:0", "--before", "end"],
        ["find", "REC", "--next-write", "0x80001000:4", "--after", "3512"],
    ])
    func requestsARecordingCannotAnswerGiveOneClearError(_ arguments: [String]) throws {
        guard let run = try Recordings.timer() else { return }
        #expect(run.totalSteps == 3511, "the steps in the arguments assume the timer's 3511 steps")
        let result = try CLI.run(arguments.map { $0 == "REC" ? run.path : $0 })
        expectCleanError(result, arguments.joined(separator: " "))
        #expect(result.stdout.isEmpty)
    }

    /// Command lines that make no sense: status 2 (usage), nothing on stdout.
    @Test(arguments: [
        ["state", "REC", "--json"], ["state", "REC", "--at", "-5", "--json"],
        ["find", "REC", "--pc", "main", "--before", "end", "--after", "0"],
        ["find", "REC", "--pc", "main"], ["find", "REC", "--before", "end"],
        ["find", "REC", "--last-write", "0x80001000", "--after", "0"],
        ["find", "REC", "--next-write", "0x80001000", "--before", "end"],
        ["find", "REC", "--pc", "main", "--event", "exit", "--after", "0"], ["info"], ["verify"],
        ["record", "REC"],
    ])
    func meaninglessCommandLinesAreUsageErrors(_ arguments: [String]) throws {
        guard let run = try Recordings.timer() else { return }
        let result = try CLI.run(arguments.map { $0 == "REC" ? run.path : $0 })
        #expect(result.status == 2, "\(arguments.joined(separator: " ")): \(CLI.describe(result))")
        #expect(result.stdout.isEmpty, "\(arguments.joined(separator: " ")): \(CLI.describe(result))")
        #expect(!result.stderr.isEmpty)
    }
}
