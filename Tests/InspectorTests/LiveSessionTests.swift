import Inspector
import Recording
import TestSupport
import Testing

/// The session in live mode, against a scripted live source over the crash demo: what the
/// banner and status line say, and that the user's commands reach the source.
@Suite("Session in live mode")
struct LiveSessionTests {
    /// A live source whose report the test sets, recording every command it is sent.
    final class ScriptedSource: LiveSource {
        var report: LiveReport
        var commands: [LiveCommand] = []
        var refusal: String?

        init(head: UInt64) {
            report = LiveReport(headStep: head)
            report.pacing = .fastest
            report.stepsPerSecond = 1.2e9
        }

        func poll(_ timeline: Timeline) throws(RecordingError) -> LiveReport { report }

        func perform(_ command: LiveCommand) -> String? {
            commands.append(command)
            return refusal
        }
    }

    func open(_ source: ScriptedSource) throws -> (InspectorSession, FakeTerminal) {
        let terminal = FakeTerminal(width: 160, height: 45)
        let session = InspectorSession(
            timeline: try Timeline(path: DemoRecording.crash), terminal: terminal, clock: FrozenClock(),
            live: source)
        return (session, terminal)
    }

    func rows(_ session: InspectorSession) -> [String] {
        session.frame().text.components(separatedBy: "\n").filter { !$0.isEmpty }
    }

    @Test func theBannerAndStatusLineSayTheRunIsLive() throws {
        let source = ScriptedSource(head: 5_000_000)
        let (session, _) = try open(source)
        #expect(session.state.step == 5_000_000, "the view opens at the live head")
        let screen = rows(session)
        #expect(
            screen.first?.contains("● LIVE  crash.elf — running, 1200 M steps/s · max speed") == true,
            "\(screen.first ?? "")")
        #expect(screen.last?.hasPrefix("step 5000000 of 5000000") == true)
        #expect(screen.last?.contains("● live · max speed") == true, "\(screen.last ?? "")")
    }

    @Test func commandsReachTheSourceAndTheScreenShowsTheirEffect() throws {
        let source = ScriptedSource(head: 5_000_000)
        let (session, _) = try open(source)
        // The session asks the source again after each command it obeys.
        source.report.isPaused = true
        session.press(.character(" "))
        #expect(source.commands == [.setPaused(true)])
        session.press(.character(">"))
        #expect(source.commands.last == .setPacing(.fastest), "already at the top of the ladder")
        source.report.pacing = .realTime(multiple: 1000)
        session.press(.character("<"))
        #expect(source.commands.last == .setPacing(.realTime(multiple: 1000)))
        session.press(.left)
        #expect(
            rows(session).first?.contains("❚❚ PAUSED  crash.elf — Space resumes · 1000× real time") == true)
        #expect(
            rows(session).last?.contains("1 behind live (End follows) · 1000× real time") == true,
            "\(rows(session).last ?? "")")
        // Zoomed in to ten steps around the view, one step is several columns.
        for _ in 0..<12 { session.press(.character("z")) }
        let screen = rows(session)
        let legend = try #require(
            screen.firstIndex { $0.contains("● live  █ now") }, "the legend names the live head's mark")
        let bar = screen[legend - 1]
        #expect(
            bar.contains("●") && bar.contains("█"), "the bar shows the live head and the view apart: \(bar)")
        #expect(bar.lastIndex(of: "●")! > bar.lastIndex(of: "█")!, "the live head is ahead of the view")
        session.press(.character("i"))
        session.type("ok\n")
        #expect(source.commands.suffix(3) == [.type([0x6F]), .type([0x6B]), .type([0x0D])])
        #expect(session.state.step == 5_000_000, "typing brings the view back to the head")
    }

    @Test func aRefusalIsShownAsAnError() throws {
        let source = ScriptedSource(head: 5_000_000)
        source.refusal = "the run has ended; the recording is complete"
        let (session, _) = try open(source)
        session.press(.character(" "))
        #expect(
            session.state.message == "the run has ended; the recording is complete"
                && session.state.messageIsError)
    }

    @Test func theEndOfTheRunReplacesTheLiveBanner() throws {
        let source = ScriptedSource(head: 5_000_000)
        let (session, terminal) = try open(source)
        source.report.ended = "CRASH: instruction access fault"
        source.report.endedInCrash = true
        source.report.headStep = 5_482_256
        terminal.keys = [nil]  // one frame passes without a key, then q
        session.run()
        let screen = terminal.lastGrid?.text.components(separatedBy: "\n") ?? []
        #expect(
            screen.first?.contains("crash.elf — CRASH: instruction access fault") == true,
            "\(screen.first ?? "")")
        #expect(session.state.totalSteps == 5_482_256)
    }
}
