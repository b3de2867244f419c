import Inspector
import Recording
import Testing

/// Live mode's keys (`timescope watch`): following the head, leaving it by scrubbing, pausing,
/// pacing, typing into the firmware, and what a report from the live source changes.
@Suite("Reducer: live mode")
struct ReducerLiveTests {
    /// An inspector watching a live run whose head is at `head`, following it.
    func watching(head: UInt64 = 1000, canControl: Bool = true) throws -> PureInspector {
        var inspector = try PureInspector(step: head, totalSteps: head)
        var report = LiveReport(headStep: head)
        report.pacing = canControl ? .fastest : nil
        inspector.state.live = InspectorState.Live(report: report)
        return inspector
    }

    func report(head: UInt64, _ change: (inout LiveReport) -> Void = { _ in }) -> InspectorAction {
        var report = LiveReport(headStep: head)
        report.pacing = .fastest
        change(&report)
        return .live(report)
    }

    @Test func theViewFollowsTheHeadAsItMoves() throws {
        var inspector = try watching(head: 1000)
        inspector.send(report(head: 5000))
        #expect(inspector.state.step == 5000 && inspector.state.totalSteps == 5000)
        #expect(inspector.state.timelineSpan == 5000, "a bar showing everything keeps showing everything")
    }

    /// Zoomed in while the run grows, as many Z as z show the whole recording again.
    @Test func zoomingOutAsOftenAsInShowsTheWholeGrownRecording() throws {
        var inspector = try watching(head: 1000)
        inspector.press(.character("z"), .character("z"))
        #expect(inspector.state.timelineSpan == 62)
        inspector.send(report(head: 5000))
        #expect(inspector.state.timelineSpan == 312, "the zoom holds as the recording grows")
        inspector.press(.character("Z"), .character("Z"))
        #expect(inspector.state.timelineSpan == 5000)
        #expect(Renderer.visibleSpan(inspector.state) == 0...5000, "the live head at the end is in view")
    }

    @Test func aScrubKeyLeavesTheHeadWhichMovesOn() throws {
        var inspector = try watching(head: 1000)
        inspector.press(.left)
        #expect(inspector.state.step == 999)
        #expect(inspector.state.live?.isFollowing == false, "scrubbing stops following")
        inspector.send(report(head: 3000))
        #expect(inspector.state.step == 999, "the view stays where the user went")
        #expect(inspector.state.totalSteps == 3000, "the head keeps moving")
        inspector.press(.character("F"))
        #expect(inspector.state.step == 3000 && inspector.state.live?.isFollowing == true, "F follows again")
        inspector.press(.home)
        #expect(inspector.state.live?.isFollowing == false)
        inspector.press(.end)
        #expect(inspector.state.step == 3000 && inspector.state.live?.isFollowing == true, "End follows too")
    }

    @Test func everyKindOfJumpLeavesTheHead() throws {
        for keys: [Key] in [
            [.character(",")], [.character("5")], [.character("g"), .character("1"), .enter], [.shiftLeft],
        ] {
            var inspector = try watching(head: 1000)
            inspector.send(keys.map { .key($0) })
            #expect(inspector.state.step < 1000, "\(keys) moved")
            #expect(inspector.state.live?.isFollowing == false, "\(keys) leaves the live head")
        }
        var inspector = try watching(head: 1000)
        inspector.send(.searchFinished(step: 10, message: "found"))
        #expect(inspector.state.live?.isFollowing == false, "a search result leaves the head")
    }

    @Test func spacePausesAndResumesTheFirmware() throws {
        var inspector = try watching()
        inspector.press(.character(" "))
        #expect(inspector.effects == [.live(.setPaused(true))])
        #expect(inspector.state.live?.report.isPaused == true)
        #expect(inspector.state.playback.isPlaying == false, "Space is not playback in live mode")
        inspector.press(.character(" "))
        #expect(inspector.effects == [.live(.setPaused(false))])
    }

    @Test func lessAndGreaterChangeThePacing() throws {
        var inspector = try watching()
        inspector.press(.character("<"))
        #expect(inspector.effects == [.live(.setPacing(.realTime(multiple: 1000)))])
        #expect(inspector.state.message == "pacing: 1000× real time")
        inspector.press(.character("<"), .character("<"), .character("<"))
        #expect(inspector.effects.last == .live(.setPacing(.realTime(multiple: 1))))
        inspector.press(.character(">"))
        #expect(inspector.effects == [.live(.setPacing(.realTime(multiple: 10)))])
    }

    @Test func typingIntoTheConsoleGoesToTheUART() throws {
        var inspector = try watching()
        inspector.press(.left)
        inspector.press(.character("i"))
        #expect(inspector.state.focus == .console)
        inspector.press(.character("q"))
        #expect(inspector.effects == [.live(.type([0x71]))], "q is a byte for the firmware while typing")
        #expect(!inspector.state.isQuitting)
        #expect(
            inspector.state.live?.isFollowing == true && inspector.state.step == 1000,
            "typing shows the live head")
        inspector.press(.enter)
        #expect(
            inspector.effects == [.live(.type([0x0D]))], "Enter sends a carriage return, as a terminal does")
        inspector.press(.character("é"))
        #expect(inspector.effects == [.live(.type([0xC3, 0xA9]))], "characters go as UTF-8")
        inspector.press(.backspace, .control("d"))
        #expect(inspector.effects == [.live(.type([0x7F])), .live(.type([0x04]))])
        inspector.press(.escape)
        #expect(inspector.state.focus == .code && inspector.effects.isEmpty, "Esc stops typing")
        inspector.press(.character("q"))
        #expect(inspector.state.isQuitting, "q quits again")
    }

    @Test func ctrlCQuitsEvenWhileTyping() throws {
        var inspector = try watching()
        inspector.press(.character("i"), .control("c"))
        #expect(inspector.state.isQuitting)
        #expect(inspector.effects.isEmpty)
    }

    @Test func theEndOfTheRunIsSaidOnceAndStopsTyping() throws {
        var inspector = try watching(head: 1000)
        inspector.press(.character("i"))
        inspector.send(report(head: 1200) { $0.ended = "exited with code 0 at step 1200" })
        #expect(
            inspector.state.message
                == "exited with code 0 at step 1200 — the recording is complete; scrub back to review")
        #expect(inspector.state.step == 1200)
        inspector.press(.character("x"))
        #expect(inspector.effects.isEmpty, "nothing reads input once the run has ended")
        inspector.press(.character(" "))
        #expect(inspector.state.messageIsError, "Space says the run has ended")
        inspector.send(report(head: 1200) { $0.ended = "exited with code 0 at step 1200" })
        #expect(
            inspector.state.message
                != "exited with code 0 at step 1200 — the recording is complete; scrub back to review")
    }

    @Test func followingAFileCannotSteerTheRun() throws {
        var inspector = try watching(head: 1000, canControl: false)
        inspector.press(.character("i"))
        #expect(inspector.state.messageIsError && inspector.state.focus == .code)
        inspector.press(.character(">"))
        #expect(inspector.state.messageIsError && inspector.effects.isEmpty)
        inspector.press(.character(" "))
        #expect(inspector.state.live?.isFollowing == false, "Space holds the view")
        inspector.send(report(head: 2000) { $0.pacing = nil })
        #expect(inspector.state.step == 1000)
        inspector.press(.character(" "))
        #expect(inspector.state.step == 2000 && inspector.state.live?.isFollowing == true)
    }

    /// `f` has one meaning in live mode too: memory follows the selected register. Following
    /// the live head is End (or F).
    @Test func fFollowsTheSelectedRegisterNotTheLiveHead() throws {
        var inspector = try watching(head: 1000)
        inspector.press(.left)
        inspector.press(.character("f"))
        #expect(inspector.state.memoryFollowsRegister == 1, "ra, the selected register")
        #expect(
            inspector.state.live?.isFollowing == false && inspector.state.step == 999,
            "the view stays in the past")
        inspector.press(.character("F"))
        #expect(inspector.state.live?.isFollowing == true && inspector.state.step == 1000)
        #expect(inspector.state.message == "following the live head")
    }

    @Test func fWithTheRegistersFocusedStillFollowsARegister() throws {
        var inspector = try watching()
        inspector.state.focus = .registers
        inspector.state.selectedRegister = 2
        inspector.press(.character("f"))
        #expect(inspector.state.memoryFollowsRegister == 2)
    }
}
