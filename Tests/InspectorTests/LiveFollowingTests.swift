import Foundation
import Inspector
import Machine
import Recording
import TestSupport
import Testing

/// `timescope watch` at full speed: the inspector follows a head that moves tens of millions
/// of steps a frame without replaying them all (the head it shows is one it reaches within a
/// million steps of replay, never going back), and its timeline bar, built a little more each
/// frame, is the bar a fresh view draws.
@Suite("Following a live head")
struct LiveFollowingTests {
    @Test func theFollowedHeadMovesOnWithinTheReplayBudgetAndEndsAtTheEnd() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let elf = try Assembler.elf(TestProgram.prelude + "loop:\n    addi t0, t0, 1\n    j loop\n")
        let scratch = try TemporaryDirectory("live-following")
        let path = scratch.file("spin.tsr")
        let machine = try Machine(firmware: Firmware.load(contentsOf: elf))
        let total: UInt64 = 30_000_000
        let live = LiveRecorder(recorder: try Recorder(path: path, machine: machine), maxSteps: total)
        let source = WatchedRecorder(live)
        live.start()
        defer { live.stop() }
        let timeline = try Timeline(path: path)
        var previous: UInt64 = 0
        let deadline = Date(timeIntervalSinceNow: 120)
        while Date() < deadline {
            let report = try source.poll(timeline)
            #expect(report.headStep >= previous, "the head never goes back")
            #expect(report.headStep <= timeline.totalSteps)
            // What the inspector does each frame: go to the head.
            try timeline.seek(to: report.headStep)
            previous = report.headStep
            if report.ended != nil {
                #expect(report.headStep == total, "the run's end is reached exactly")
                break
            }
            usleep(5000)
        }
        #expect(previous == total)
    }

    /// The bar of a view whose live head grew frame by frame equals the bar of a view opened
    /// at that head.
    @Test func aBarBuiltFrameByFrameIsTheBarOfAFreshView() throws {
        final class GrowingSource: LiveSource {
            var report = LiveReport(headStep: 1000)
            func poll(_ timeline: Timeline) throws(RecordingError) -> LiveReport { report }
            func perform(_ command: LiveCommand) -> String? { nil }
        }
        func bar(_ session: InspectorSession) -> String {
            let rows = session.frame().text.components(separatedBy: "\n")
            let legend = rows.firstIndex { $0.contains("█ now") } ?? 1
            return rows[legend - 1]
        }
        let growing = GrowingSource()
        let terminal = FakeTerminal(width: 160, height: 45)
        let session = InspectorSession(
            timeline: try Timeline(path: DemoRecording.timer), terminal: terminal, clock: FrozenClock(),
            live: growing)
        let total = try Timeline(path: DemoRecording.timer).totalSteps
        var head: UInt64 = 1000
        while head < total {
            head = min(total, head + 137)
            growing.report.headStep = head
            session.send(.live(growing.report))
            _ = bar(session)
        }
        let fresh = GrowingSource()
        fresh.report.headStep = total
        let freshSession = InspectorSession(
            timeline: try Timeline(path: DemoRecording.timer), terminal: FakeTerminal(width: 160, height: 45),
            clock: FrozenClock(), live: fresh)
        #expect(bar(session) == bar(freshSession))
        #expect(bar(session).contains("i"), "the timer's interrupts show: \(bar(session))")
    }
}
