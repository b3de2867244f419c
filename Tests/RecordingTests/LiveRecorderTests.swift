import Foundation
import GRDB
import Machine
import Recording
import Testing
import TestSupport

/// Live mode's recorder (`LiveRecorder`, behind `timescope watch`): the emulator runs on its
/// own thread, input arrives whenever the user types, and the recording it leaves must be the
/// recording `record` makes from the same input at the same steps. A timeline in the same
/// process reaches the live head before the next keyframe is written, and a timeline on a file
/// that another recorder is writing grows as keyframes are committed.
@Suite struct LiveRecorderTests {
    /// Waits (polling, up to `timeout` seconds) until `condition` holds for the status.
    @discardableResult
    func waitFor(
        _ live: LiveRecorder, _ what: String, timeout: Double = 20, _ condition: (LiveRecorder.Status) -> Bool
    ) throws
        -> LiveRecorder.Status
    {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            let status = live.status
            if condition(status) { return status }
            usleep(2000)
        }
        throw TestFailure("timed out waiting for \(what); status: \(live.status)")
    }

    /// Every row of every table but the writer's (which names the recording process), in a
    /// stable order: two recordings of the same run hold the same rows.
    func rows(_ path: String) throws -> [String: [String]] {
        let database = try DatabaseQueue(path: path)
        return try database.read { db in
            var tables: [String: [String]] = [:]
            let queries = [
                "keyframe":
                    "SELECT idx, step, state_hash, hex(state), hex(executed) FROM keyframe ORDER BY idx",
                "page": "SELECT page, keyframe, lines, hex(data) FROM page ORDER BY keyframe, page",
                "input": "SELECT seq, step, byte FROM input ORDER BY seq",
                "marker": "SELECT step, kind, pc, value, text FROM marker ORDER BY step, kind, id",
                "console": "SELECT first_step, hex(steps), hex(data) FROM console ORDER BY id",
                "ending": "SELECT total_steps, reason, exit_code, detail FROM ending",
            ]
            for (table, sql) in queries {
                tables[table] = try Row.fetchAll(db, sql: sql).map { row in row.description }
            }
            return tables
        }
    }

    /// The input log of a recording, through the public reader.
    func inputLog(_ path: String) throws -> [InputEvent] {
        try Timeline(path: path).inputLog
    }

    /// Records `elf` again with the input log of `path` delivered at its steps.
    func recordAgain(
        elf: String, inputsOf path: String, to copy: String, interval: UInt64, maxSteps: UInt64? = nil
    ) throws -> StopReason {
        let machine = try Reference.machine(elf: elf)
        let recorder = try Recorder(
            path: copy, machine: machine, keyframeInterval: interval, scheduledInput: try inputLog(path))
        return try recorder.run(maxSteps: maxSteps)
    }

    @Test func typingIntoEchoRecordsWhatRecordReproduces() throws {
        guard let elf = try TestFirmware.elf("echo") else { return }
        let scratch = try ScratchDirectory("live")
        let path = scratch.file("live.tsr")
        let recorder = try Recorder(
            path: path, machine: try Reference.machine(elf: elf), keyframeInterval: 1000)
        let live = LiveRecorder(recorder: recorder)
        live.start()
        // Each burst arrives while the firmware sleeps in WFI waiting for it.
        for burst in ["ab", "c", "hello\r", "q"] {
            try waitFor(live, "the firmware to wait for input") { $0.isWaitingForInput }
            let before = live.status.tail.step
            live.type(Array(burst.utf8))
            if burst != "q" {
                try waitFor(live, "the echo of \(burst)") { $0.isWaitingForInput && $0.tail.step > before }
            }
        }
        let status = try waitFor(live, "the firmware to exit") { $0.ending != nil }
        #expect(
            status.ending?.reason == .exited && status.ending?.exitCode == 0,
            "echo exits with 0 on q: \(String(describing: status.ending))")
        #expect(live.stop() == status.ending)

        let log = try inputLog(path)
        #expect(
            log.map(\.byte) == Array("abchello\rq".utf8), "every typed byte is in the input log, in order")
        #expect(
            try Timeline(path: path).consoleLines(upTo: status.tail.step, maxLines: 10) == [
                "ready", "ABCHELLO", "bye",
            ])

        let copy = scratch.file("again.tsr")
        let reason = try recordAgain(elf: elf, inputsOf: path, to: copy, interval: 1000)
        #expect(reason == .exited(code: 0, via: .finisher))
        #expect(try rows(copy) == rows(path), "record with the live session's input makes the same recording")
        let verified = try Timeline(path: path, checksKeyframes: false).verify()
        #expect(
            verified.firstMismatch == nil,
            "the live recording replays exactly: \(String(describing: verified.firstMismatch))")
    }

    /// Input that arrives while the firmware computes lands at whatever step the emulator
    /// thread has reached: the step is recorded, so replay and re-recording still agree.
    @Test func inputArrivingMidRunIsRecordedAtItsStep() throws {
        guard let elf = try TestFirmware.elf("workload") else { return }
        let scratch = try ScratchDirectory("live")
        let path = scratch.file("live.tsr")
        let recorder = try Recorder(
            path: path, machine: try Reference.machine(elf: elf), keyframeInterval: 10_000)
        // workload runs 2.4 M steps (2.4 ms simulated): at 0.002× real time, over a second.
        let live = LiveRecorder(recorder: recorder, pacing: .realTime(multiple: 0.002))
        live.start()
        try waitFor(live, "the run to be under way") { $0.tail.step > 10_000 }
        // workload never reads the UART: the receiver (no FIFO enabled) holds one byte.
        live.type([UInt8(ascii: "x")])
        try waitFor(live, "the byte to be delivered") {
            $0.tail.inputs.count == 1 || (try? inputLog(path).count) == 1 || $0.ending != nil
        }
        let ending = live.stop()
        let log = try inputLog(path)
        #expect(log.map(\.byte) == [UInt8(ascii: "x")], "the byte was recorded: \(log)")
        #expect(log.allSatisfy { $0.step > 10_000 }, "it arrived mid-run, not at reset: \(log)")
        #expect(ending?.reason == .interrupted, "stopping ends the recording: \(String(describing: ending))")

        let copy = scratch.file("again.tsr")
        let total = try Timeline(path: path).totalSteps
        _ = try recordAgain(elf: elf, inputsOf: path, to: copy, interval: 10_000, maxSteps: total)
        var expected = try rows(path)
        var actual = try rows(copy)
        // One was stopped by the user, the other at the same step by --max-steps.
        expected["ending"] = nil
        actual["ending"] = nil
        #expect(actual == expected, "the same input at the same steps gives the same recording")
        #expect(try Timeline(path: path, checksKeyframes: false).verify().firstMismatch == nil)
    }

    /// The timeline of the watching inspector reaches the live head before any keyframe is
    /// written after it, and its state there is the live machine's.
    @Test func aTimelineInTheSameProcessReachesTheLiveHead() throws {
        guard let elf = try TestFirmware.elf("echo") else { return }
        let scratch = try ScratchDirectory("live")
        let path = scratch.file("live.tsr")
        let recorder = try Recorder(
            path: path, machine: try Reference.machine(elf: elf),
            keyframeInterval: Recorder.defaultKeyframeInterval)
        let live = LiveRecorder(recorder: recorder)
        live.start()
        defer { live.stop() }
        try waitFor(live, "ready") { $0.isWaitingForInput }
        live.type(Array("ok".utf8))
        let status = try waitFor(live, "the echo") { $0.isWaitingForInput && $0.tail.inputs.count == 2 }
        let timeline = try Timeline(path: path)
        #expect(timeline.totalSteps == 0, "only keyframe 0 is in the file")
        #expect(try timeline.extend(with: status.tail))
        #expect(timeline.totalSteps == status.tail.step && status.tail.step > 0)
        try timeline.seek(to: timeline.totalSteps)
        // The live thread waits for input, so its machine holds still.
        #expect(
            timeline.machine.stateHash == recorder.machine.stateHash,
            "the replayed head is the live machine's state")
        #expect(try timeline.consoleLines(upTo: timeline.totalSteps, maxLines: 5) == ["ready", "OK"])
        let inputs = try timeline.markers(in: 0...timeline.totalSteps).filter { $0.kind == "input" }
        #expect(
            inputs.map(\.value) == [UInt32(UInt8(ascii: "o")), UInt32(UInt8(ascii: "k"))],
            "the tail's markers show on the timeline")
        // Searches reach into the tail, which has no index yet.
        let head = timeline.totalSteps
        #expect(try timeline.marker(kind: "input", before: head + 1)?.value == UInt32(UInt8(ascii: "k")))
        #expect(try timeline.marker(kind: "input", after: 0)?.value == UInt32(UInt8(ascii: "o")))
        let handler = try #require(timeline.machine.firmware.address(for: "trap_handler"))
        let last = try #require(
            try timeline.lastExecution(of: handler, before: head + 1),
            "the echo's interrupt handler ran in the tail")
        let first = try #require(try timeline.nextExecution(of: handler, after: 0))
        #expect(first.step <= last.step && first.step > 0)
        try timeline.seek(to: first.step - 1)
        #expect(timeline.machine.pc == handler, "the state before the hit is about to run the handler")
    }

    @Test func aTimelineGrowsAsAnotherRecorderCommitsKeyframes() throws {
        guard let elf = try TestFirmware.elf("workload") else { return }
        let scratch = try ScratchDirectory("live")
        let path = scratch.file("growing.tsr")
        let machine = try Reference.machine(elf: elf)
        let recorder = try Recorder(path: path, machine: machine, keyframeInterval: 10_000)
        let timeline = try Timeline(path: path)
        #expect(timeline.totalSteps == 0 && !timeline.isFinished)
        if case .running(let pid) = timeline.writer {
            #expect(pid == getpid())
        } else {
            Issue.record("the writer is this process: \(timeline.writer)")
        }

        _ = try recorder.record(until: 55_000)
        try recorder.waitUntilCommitted()
        #expect(try timeline.refresh(), "five keyframes were committed")
        #expect(timeline.totalSteps == 50_000, "the timeline ends at the last committed keyframe")
        try timeline.seek(to: 50_000)
        let reference = try Reference.machine(elf: elf, at: 50_000)
        #expect(timeline.machine.stateHash == reference.stateHash)
        #expect(try !timeline.refresh(), "nothing new")

        let reason = try recorder.run(maxSteps: nil)
        #expect(try timeline.refresh())
        #expect(timeline.isFinished && timeline.writer == .finished)
        #expect(timeline.totalSteps == machine.step && timeline.summary.ending.reason == .exited, "\(reason)")
        try timeline.seek(to: timeline.totalSteps)
        #expect(timeline.machine.stateHash == machine.stateHash)
    }

    /// A view following a live head reaches it replaying at most a budget of steps: from where
    /// its machine is when that is past the newest keyframe, else from that keyframe.
    @Test func theStepReachableWithinABudgetCountsFromTheMachineOrTheNewestKeyframe() throws {
        guard let elf = try TestFirmware.elf("workload") else { return }
        let scratch = try ScratchDirectory("live")
        let path = scratch.file("reachable.tsr")
        let recorder = try Recorder(
            path: path, machine: try Reference.machine(elf: elf), keyframeInterval: 10_000)
        _ = try recorder.record(until: 55_000)
        try recorder.waitUntilCommitted()
        let timeline = try Timeline(path: path)
        #expect(try timeline.extend(with: recorder.tail))
        #expect(timeline.totalSteps == 55_000)
        // The machine is at step 0: a seek to the head starts from keyframe 50 000.
        #expect(timeline.step(reachableReplaying: 1000) == 51_000)
        try timeline.seek(to: 53_000)
        #expect(timeline.step(reachableReplaying: 1000) == 54_000, "from the machine, past the keyframe")
        #expect(timeline.step(reachableReplaying: 10_000) == 55_000, "never past the head")
        try timeline.seek(to: 20_000)
        #expect(timeline.step(reachableReplaying: 0) == 50_000, "a restore alone reaches the keyframe")
        _ = try recorder.run(maxSteps: nil)
    }

    @Test func pacedRunsTakeTheirSimulatedTimeAndWaitingCostsNoCPU() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory("live")
        // timer sleeps in WFI through ten 1 ms timer periods: at a tenth of real time that is
        // at least 100 ms of wall time, spent asleep.
        let recorder = try Recorder(
            path: scratch.file("paced.tsr"), machine: try Reference.machine(elf: elf), keyframeInterval: 1000)
        let live = LiveRecorder(recorder: recorder, pacing: .realTime(multiple: 0.1))
        let start = Date()
        live.start()
        let status = try waitFor(live, "timer to exit") { $0.ending != nil }
        let wall = Date().timeIntervalSince(start)
        let cpu = status.emulatorCPUSeconds
        let simulated = Double(recorder.machine.cycles) / 1e9
        #expect(status.ending?.reason == .exited)
        #expect(simulated >= 0.01, "ten 1 ms periods: \(simulated) s")
        #expect(
            wall >= simulated / 0.1 * 0.95, "0.1× real time: \(simulated) simulated seconds took \(wall) s")
        #expect(cpu < wall / 2, "the paced wait sleeps: \(cpu) s of CPU in \(wall) s")

        // A firmware waiting for input waits without burning CPU.
        guard let echo = try TestFirmware.elf("echo") else { return }
        let waiting = LiveRecorder(
            recorder: try Recorder(path: scratch.file("idle.tsr"), machine: try Reference.machine(elf: echo)))
        waiting.start()
        defer { waiting.stop() }
        let idle = try waitFor(waiting, "echo to wait") { $0.isWaitingForInput }
        usleep(300_000)
        waiting.type([UInt8(ascii: "x")])
        let woken = try waitFor(waiting, "the echo") { $0.isWaitingForInput && $0.tail.step > idle.tail.step }
        #expect(
            woken.emulatorCPUSeconds - idle.emulatorCPUSeconds < 0.05,
            "waiting 0.3 s for input costs no CPU: \(woken.emulatorCPUSeconds - idle.emulatorCPUSeconds) s")
    }

    @Test func pauseHoldsTheHeadAndStopFinishesTheFile() throws {
        guard let elf = try TestFirmware.elf("workload") else { return }
        let scratch = try ScratchDirectory("live")
        let path = scratch.file("paused.tsr")
        let live = LiveRecorder(
            recorder: try Recorder(
                path: path, machine: try Reference.machine(elf: elf), keyframeInterval: 10_000),
            pacing: .realTime(multiple: 0.05), startsPaused: true)
        live.start()
        usleep(100_000)
        #expect(live.status.tail.step == 0 && live.status.isPaused, "a paused run does not move")
        live.setPaused(false)
        try waitFor(live, "the run to move") { $0.tail.step > 0 }
        live.setPaused(true)
        // The emulator thread finishes the slice it is in (longer on a loaded machine): the
        // head stops within the timeout, then holds.
        var held = live.status.tail.step
        let deadline = Date(timeIntervalSinceNow: 20)
        while Date() < deadline {
            usleep(100_000)
            let now = live.status.tail.step
            if now == held { break }
            held = now
        }
        usleep(200_000)
        #expect(live.status.tail.step == held, "paused again, the head holds at \(held)")
        let ending = live.stop()
        #expect(ending?.reason == .interrupted && ending?.totalSteps == held)
        let timeline = try Timeline(path: path)
        #expect(timeline.isFinished && timeline.totalSteps == held)
    }

    @Test func pacingReadsAndSteps() {
        #expect(LivePacing.realTime(multiple: 1).stepped(by: 1) == .realTime(multiple: 10))
        #expect(LivePacing.realTime(multiple: 1).stepped(by: -1) == .realTime(multiple: 0.1))
        #expect(LivePacing.fastest.stepped(by: 1) == .fastest)
        #expect(LivePacing.fastest.stepped(by: -1) == .realTime(multiple: 1000))
        #expect(
            LivePacing.realTime(multiple: 0.5).stepped(by: 1) == .realTime(multiple: 10),
            "between rungs, faster is the next rung up")
        #expect(
            "\(LivePacing.realTime(multiple: 1))" == "real time"
                && "\(LivePacing.realTime(multiple: 10))" == "10× real time")
    }
}

/// A test failure with a message (for helpers that throw).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
