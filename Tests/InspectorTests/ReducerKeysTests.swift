import Inspector
import Testing

/// Focus, marks, playback, zoom, help, quitting, and keys that mean nothing.
@Suite("Reducer: panes, marks, playback, help")
struct ReducerKeysTests {
    @Test func tabAndShiftTabVisitEveryPaneInTurn() throws {
        var inspector = try PureInspector()
        #expect(inspector.state.focus == .code)
        var visited: [InspectorState.Pane] = []
        for _ in 0..<7 {
            inspector.press(.tab)
            visited.append(inspector.state.focus)
        }
        #expect(visited == [.memory, .devices, .console, .timeline, .stack, .registers, .code])
        inspector.press(.backTab)
        #expect(inspector.state.focus == .registers)
        inspector.press(.backTab)
        #expect(inspector.state.focus == .stack)
    }

    @Test func mSetsAMarkAndQuoteReturnsToIt() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("m")
        #expect(inspector.state.pendingMarkKey == "m")
        inspector.type("a")
        #expect(inspector.state.pendingMarkKey == nil)
        #expect(inspector.state.marks["a"] == 500)
        #expect(inspector.state.highlightSince == 500, "memory highlights writes since the mark")
        #expect(inspector.state.message == "mark a at step 500; memory shows writes since it")
        inspector.press(.end)
        inspector.type("'a")
        #expect(inspector.state.step == 500)
        #expect(inspector.state.message == "mark a")
        inspector.type("u")
        #expect(inspector.state.step == 1000, "going to a mark is a jump u undoes")
    }

    @Test func aMarkMustBeALetter() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("m1")
        #expect(inspector.state.marks.isEmpty)
        #expect(inspector.state.step == 500, "the digit is not a jump")
        #expect(inspector.state.message == "a mark is a letter: ma … mz")
        #expect(inspector.state.messageIsError)
    }

    @Test func goingToAnUnsetMarkIsAnError() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("'z")
        #expect(inspector.state.step == 500)
        #expect(inspector.state.message == "no mark z")
        #expect(inspector.state.messageIsError)
    }

    @Test func spacePlaysAtAHundredStepsPerFrameAndPauses() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type(" ")
        #expect(inspector.state.playback.isPlaying)
        #expect(!inspector.state.playback.isReversed)
        inspector.send(.tick)
        #expect(inspector.state.step == 600)
        inspector.type(" ")
        #expect(!inspector.state.playback.isPlaying)
        inspector.send(.tick)
        #expect(inspector.state.step == 600)
    }

    @Test func playbackStopsAtTheEnd() throws {
        var inspector = try PureInspector(step: 950, totalSteps: 1000)
        inspector.type(" ")
        inspector.send(.tick)
        #expect(inspector.state.step == 1000)
        #expect(!inspector.state.playback.isPlaying)
    }

    @Test func spaceAtTheEndPlaysBackwards() throws {
        var inspector = try PureInspector(step: 1000, totalSteps: 1000)
        inspector.type(" ")
        #expect(inspector.state.playback.isPlaying)
        #expect(inspector.state.playback.isReversed)
        inspector.send(.tick)
        #expect(inspector.state.step == 900)
    }

    @Test func rReversesPlayback() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("r")
        #expect(inspector.state.playback.isReversed)
        #expect(inspector.state.message == "playing backwards")
        inspector.type(" ")
        inspector.send(.tick)
        #expect(inspector.state.step == 400)
        inspector.type("r")
        #expect(inspector.state.message == "playing forwards")
        inspector.send(.tick)
        #expect(inspector.state.step == 500)
    }

    @Test func reversePlaybackStopsAtTheStart() throws {
        var inspector = try PureInspector(step: 50, totalSteps: 1000)
        inspector.type("r ")
        inspector.send(.tick)
        #expect(inspector.state.step == 0)
        #expect(!inspector.state.playback.isPlaying)
    }

    @Test func plusAndMinusSetTheSpeedFromOneToTenThousandStepsPerFrame() throws {
        var inspector = try PureInspector()
        #expect(inspector.state.playback.stepsPerFrame == 100)
        inspector.type("+")
        #expect(inspector.state.playback.stepsPerFrame == 1000)
        #expect(inspector.state.message == "playback ×1000 steps per frame")
        inspector.type("++")
        #expect(inspector.state.playback.stepsPerFrame == 10_000)
        inspector.type("-----")
        #expect(inspector.state.playback.stepsPerFrame == 1)
        #expect(inspector.state.message == "playback ×1 steps per frame")
    }

    @Test func escapeStopsPlayback() throws {
        var inspector = try PureInspector()
        inspector.type(" ")
        inspector.press(.escape)
        #expect(!inspector.state.playback.isPlaying)
    }

    @Test func zZoomsTheTimelineInAndCapitalZOut() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        #expect(inspector.state.timelineSpan == 1000)
        inspector.type("z")
        #expect(inspector.state.timelineSpan == 250)
        inspector.type("zzzz")
        #expect(inspector.state.timelineSpan == 10, "never narrower than ten steps")
        inspector.type("Z")
        #expect(inspector.state.timelineSpan == 15, "back to the span one z more would have left")
        inspector.type("ZZZ")
        #expect(inspector.state.timelineSpan == 1000, "never wider than the recording")
        inspector.type("Z")
        #expect(inspector.state.timelineSpan == 1000)
    }

    @Test func questionMarkShowsHelpAndAnyKeyClosesItWithoutActing() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("?")
        #expect(inspector.state.isShowingHelp)
        inspector.type("l")
        #expect(!inspector.state.isShowingHelp)
        #expect(inspector.state.step == 500)
        inspector.press(.function(1))
        #expect(inspector.state.isShowingHelp, "F1 is help too")
    }

    @Test func qInTheHelpQuits() throws {
        var inspector = try PureInspector()
        inspector.type("?q")
        #expect(inspector.state.isQuitting)
    }

    @Test func qAndCtrlCQuit() throws {
        var inspector = try PureInspector()
        inspector.type("q")
        #expect(inspector.state.isQuitting)
        var other = try PureInspector()
        other.press(.control("c"))
        #expect(other.state.isQuitting)
    }

    @Test func anInterruptQuitsWhateverIsOpen() throws {
        var inPrompt = try PureInspector()
        inPrompt.type("g12")
        inPrompt.press(.interrupt)
        #expect(inPrompt.state.isQuitting)
        var inHelp = try PureInspector()
        inHelp.type("?")
        inHelp.press(.interrupt)
        #expect(inHelp.state.isQuitting)
        var waitingForAMark = try PureInspector()
        waitingForAMark.type("m")
        waitingForAMark.press(.interrupt)
        #expect(waitingForAMark.state.isQuitting)
    }

    @Test func aResizeChangesNothingButTheFrame() throws {
        var inspector = try PureInspector(step: 500)
        let before = inspector.state
        inspector.press(.resize)
        #expect(inspector.state == before)
    }

    @Test(arguments: [
        (Key.character("y"), "'y' does nothing here — press ? for the keys"),
        (Key.function(5), "F5 does nothing here — press ? for the keys"),
        (Key.control("x"), "Ctrl-X does nothing here — press ? for the keys"),
        (Key.backspace, "Backspace does nothing here — press ? for the keys"),
        (Key.enter, "Enter does nothing here — press ? for the keys"),
    ])
    func aKeyThatMeansNothingSaysSoAsAnError(key: Key, message: String) throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(key)
        #expect(inspector.state.message == message)
        #expect(inspector.state.messageIsError)
        #expect(inspector.state.step == 500)
        #expect(inspector.effects.isEmpty)
    }

    @Test func theNextKeyClearsAnError() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("y")
        inspector.press(.right)
        #expect(inspector.state.message == nil)
    }

    @Test func upAndDownSelectARegisterWhenRegistersHaveFocus() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.backTab)
        #expect(inspector.state.selectedRegister == 1)
        inspector.press(.down)
        #expect(inspector.state.selectedRegister == 2)
        inspector.press(.up, .up, .up)
        #expect(inspector.state.selectedRegister == 31, "up from pc wraps to x31")
        inspector.press(.pageDown)
        #expect(inspector.state.selectedRegister == 7)
        #expect(inspector.state.step == 500)
    }

    @Test func upAndDownMoveTheMemoryCursorARowWhenMemoryHasFocus() throws {
        var inspector = try PureInspector(step: 500, memoryAddress: 0x8000_1004)
        inspector.press(.tab)
        #expect(inspector.state.focus == .memory)
        inspector.press(.down)
        #expect(inspector.state.memoryCursor == 0x8000_1014)
        inspector.press(.up, .up)
        #expect(inspector.state.memoryCursor == 0x8000_0ff4)
        #expect(inspector.state.memoryAddress == 0x8000_0ff0, "the pane scrolls to keep the cursor")
        #expect(inspector.state.step == 500)
    }

    @Test func upAndDownInTheCodePaneStepThroughTime() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.down)
        #expect(inspector.state.step == 501)
        inspector.press(.pageUp)
        #expect(inspector.state.step == 401)
    }

    @Test func fMakesMemoryFollowTheSelectedRegister() throws {
        var inspector = try PureInspector(step: 500)
        inspector.press(.backTab, .down)
        inspector.type("f")
        #expect(inspector.state.memoryFollowsRegister == 2)
        #expect(inspector.state.message == "memory follows sp")
        inspector.send(.followedAddress(0x800f_ffb4))
        #expect(inspector.state.memoryAddress == 0x800f_ffb0)
        #expect(inspector.state.memoryCursor == 0x800f_ffb4)
        inspector.type("f")
        #expect(inspector.state.memoryFollowsRegister == nil)
        #expect(inspector.state.message == "memory no longer follows sp")
    }
}
