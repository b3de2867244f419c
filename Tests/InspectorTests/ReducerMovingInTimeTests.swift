import Inspector
import Testing

/// Keys that move through the recording: steps, percents, tenths, ends, markers, undo.
@Suite("Reducer: moving in time")
struct ReducerMovingInTimeTests {
    @Test func rightArrowAndLStepForwardOneStep() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.right)
        #expect(inspector.state.step == 501)
        inspector.press(.character("l"))
        #expect(inspector.state.step == 502)
        #expect(inspector.effects.isEmpty)
        #expect(inspector.state.history.isEmpty, "single steps are not jumps: u does not undo them")
    }

    @Test func leftArrowAndHStepBackOneStep() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.left)
        #expect(inspector.state.step == 499)
        inspector.press(.character("h"))
        #expect(inspector.state.step == 498)
    }

    @Test func sStepsForwardAndCapitalSStepsBack() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.character("s"))
        #expect(inspector.state.step == 501)
        inspector.press(.character("S"), .character("S"))
        #expect(inspector.state.step == 499)
    }

    @Test func shiftArrowsAndCapitalHAndLMoveTenSteps() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.shiftRight)
        #expect(inspector.state.step == 510)
        inspector.press(.character("L"))
        #expect(inspector.state.step == 520)
        inspector.press(.shiftLeft)
        #expect(inspector.state.step == 510)
        inspector.press(.character("H"))
        #expect(inspector.state.step == 500)
    }

    @Test func steppingBackAtTheStartStaysAtZeroAndSaysSo() throws {
        var inspector = try PureInspector(step: 0)
        inspector.press(.left)
        #expect(inspector.state.step == 0)
        #expect(inspector.state.message == "at the start of the recording")
        #expect(!inspector.state.messageIsError)
        inspector.press(.character("H"))
        #expect(inspector.state.step == 0)
        #expect(inspector.state.message == "at the start of the recording")
    }

    @Test func tenStepsBackNearTheStartStopsAtZero() throws {
        var inspector = try PureInspector(step: 3)
        inspector.press(.shiftLeft)
        #expect(inspector.state.step == 0)
    }

    @Test func steppingForwardAtTheEndStaysAtTheEndAndSaysSo() throws {
        var inspector = try PureInspector(step: 1000, totalSteps: 1000)
        inspector.press(.right)
        #expect(inspector.state.step == 1000)
        #expect(inspector.state.message == "at the end of the recording")
        #expect(!inspector.state.messageIsError)
        inspector.press(.character("L"))
        #expect(inspector.state.step == 1000)
    }

    @Test func tenStepsForwardNearTheEndStopsAtTheEnd() throws {
        var inspector = try PureInspector(step: 995, totalSteps: 1000)
        inspector.press(.shiftRight)
        #expect(inspector.state.step == 1000)
    }

    @Test func periodAndCommaMoveOnePercent() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.press(.character("."))
        #expect(inspector.state.step == 510)
        inspector.press(.character(","), .character(","))
        #expect(inspector.state.step == 490)
    }

    @Test func onePercentOfALongRecordingRoundsUp() throws {
        var inspector = try PureInspector(step: 0, totalSteps: DemoRecording.crashSteps)
        inspector.press(.character("."))
        #expect(inspector.state.step == 54_823)
    }

    @Test(arguments: 0...9)
    func digitJumpsToThatTenthOfTheRecording(digit: Int) throws {
        // 1005 steps: the tenths are not whole, and the jump rounds down.
        var inspector = try PureInspector(step: 333, totalSteps: 1005)
        inspector.type(String(digit))
        #expect(inspector.state.step == UInt64(1005 * digit / 10))
        #expect(inspector.state.history == [333], "a jump can be undone")
    }

    @Test func nineJumpsToNinetyPercentOfTheCrashDemo() throws {
        var inspector = try PureInspector(
            step: DemoRecording.crashSteps, totalSteps: DemoRecording.crashSteps)
        inspector.type("9")
        #expect(inspector.state.step == 4_934_030, "90 % of 5,482,256 steps")
    }

    @Test func homeAndEndJumpToTheStartAndTheEnd() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.press(.home)
        #expect(inspector.state.step == 0)
        inspector.press(.end)
        #expect(inspector.state.step == 1000)
        #expect(inspector.state.history == [500, 0])
    }

    @Test func jumpsAreUndoneInReverseOrder() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.press(.character("2"), .end, .home)
        #expect(inspector.state.step == 0)
        inspector.press(.character("u"))
        #expect(inspector.state.step == 1000)
        #expect(inspector.state.message == "back to step 1000")
        inspector.press(.character("u"))
        #expect(inspector.state.step == 200)
        inspector.press(.character("u"))
        #expect(inspector.state.step == 500)
    }

    @Test func undoReturnsToWhereTheLastJumpStartedNotTheLastStep() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.press(.character("9"), .right, .right)
        #expect(inspector.state.step == 902)
        inspector.press(.character("u"))
        #expect(inspector.state.step == 500)
    }

    @Test func undoWithNothingToUndoIsAnError() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.character("u"))
        #expect(inspector.state.step == 500)
        #expect(inspector.state.message == "nothing to undo")
        #expect(inspector.state.messageIsError)
    }

    @Test func jumpingToWhereYouAreIsNotRemembered() throws {
        var inspector = try PureInspector(step: 0)
        inspector.press(.home)
        #expect(inspector.state.history.isEmpty)
    }

    @Test func bracketsAskForTheNearestMarkerWithoutMoving() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.character("["))
        #expect(inspector.effects == [.marker(isForward: false)])
        inspector.press(.character("]"))
        #expect(inspector.effects == [.marker(isForward: true)])
        #expect(inspector.state.step == 500)
    }

    @Test func aFoundStepIsVisitedAndCanBeUndone() throws {
        var inspector = try PureInspector(step: 500)
        inspector.state.progress = "searching back for the last write to 0x8000103c…"
        inspector.send(
            .searchFinished(step: 684, message: "step 684: 0x8000027c (copy_name+0x8) wrote 0x8000103c:4"))
        #expect(inspector.state.step == 684)
        #expect(inspector.state.progress == nil)
        #expect(inspector.state.message == "step 684: 0x8000027c (copy_name+0x8) wrote 0x8000103c:4")
        #expect(!inspector.state.messageIsError)
        inspector.press(.character("u"))
        #expect(inspector.state.step == 500)
    }

    @Test func aSearchThatFindsNothingStaysAndSaysSoAsAnError() throws {
        var inspector = try PureInspector(step: 500)
        inspector.send(.searchFinished(step: nil, message: "no marker after this step"))
        #expect(inspector.state.step == 500)
        #expect(inspector.state.message == "no marker after this step")
        #expect(inspector.state.messageIsError)
        #expect(inspector.state.history.isEmpty)
    }

    @Test func aFailedEffectShowsItsErrorAndEndsTheProgressLine() throws {
        var inspector = try PureInspector(step: 500)
        inspector.state.progress = "continuing forward… 40%"
        inspector.send(.failed("the recording is damaged at step 600"))
        #expect(inspector.state.progress == nil)
        #expect(inspector.state.message == "the recording is damaged at step 600")
        #expect(inspector.state.messageIsError)
    }
}
