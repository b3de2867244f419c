import Inspector
import Recording
import Testing

/// Searching both ways and repeating, prompt history, symbol completion, g -SYMBOL, zoom, and
/// a terminal too small to act in.
@Suite("Reducer: searches, prompt history, completion")
struct ReducerSearchAndPromptTests {
    @Test func backslashSearchesBackward() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("\\")
        #expect(inspector.state.prompt?.kind == .searchBackward)
        inspector.type("registered\n")
        #expect(inspector.effects == [.search("registered", isForward: false)])
        #expect(inspector.state.progress == "searching backward for registered…")
    }

    @Test func nRepeatsTheLastSearchForwardAndCapitalNBackward() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("n")
        #expect(inspector.effects.isEmpty)
        #expect(inspector.state.message == "no search to repeat yet: / searches forward, \\ backward")
        #expect(inspector.state.messageIsError)
        inspector.type("\\jalr a5\n")
        inspector.send(.searchFinished(step: 300, message: "found"))
        inspector.type("n")
        #expect(
            inspector.effects == [.search("jalr a5", isForward: true)],
            "n is forward whichever way the search went")
        inspector.send(.searchFinished(step: 400, message: "found"))
        inspector.type("N")
        #expect(inspector.effects == [.search("jalr a5", isForward: false)])
        inspector.type(":find round 5000\n")
        inspector.type("N")
        #expect(
            inspector.effects == [.search("round 5000", isForward: false)], ":find is a search n and N repeat"
        )
    }

    @Test func upRecallsWhatWasEnteredInTheSameKindOfPromptNewestFirst() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("g100\ng200\n@sensors\n")
        inspector.type("g")
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "200")
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "100")
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "100", "the oldest stays")
        inspector.press(.down)
        #expect(inspector.state.prompt?.text == "200")
        inspector.press(.enter)
        #expect(inspector.state.step == 200)
        inspector.type("@")
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "sensors", "each prompt has its own history")
    }

    @Test func downPastTheNewestBringsBackWhatWasBeingTyped() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\n")
        inspector.type("bpoll")
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "copy_name")
        inspector.press(.down)
        #expect(inspector.state.prompt?.text == "poll")
        inspector.press(.down)
        #expect(inspector.state.prompt?.text == "poll")
    }

    @Test(arguments: [Character(":"), "/", "\\", "g", "b", "w", "@"])
    func everyPromptHasAHistory(opener: Character) throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("\(opener)something\n")
        inspector.press(.escape)
        inspector.state.isShowingHelp = false
        inspector.state.message = nil
        inspector.type(String(opener))
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "something")
    }

    @Test func searchesForwardAndBackwardShareOneHistory() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("/round\n")
        inspector.type("\\")
        inspector.press(.up)
        #expect(inspector.state.prompt?.text == "round")
    }

    @Test func tabCompletesASymbolToWhatTheCandidatesShare() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("gpoll_s")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "poll_sensors", "one candidate: completed")
        inspector.press(.escape)
        inspector.type("bread_")
        inspector.press(.tab)
        #expect(
            inspector.state.prompt?.text == "read_", "read_pressure and read_temperature share nothing more")
        #expect(inspector.state.prompt?.candidates.isEmpty == true)
        inspector.press(.tab)
        #expect(
            inspector.state.prompt?.candidates == ["read_pressure", "read_temperature"],
            "a second Tab lists them")
        inspector.type("p")
        #expect(inspector.state.prompt?.candidates.isEmpty == true, "typing hides the list")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "read_pressure")
    }

    @Test func tabCompletesAfterACommandAfterAMinusAndInsideAnExpression() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type(":break copy_n")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "break copy_name")
        inspector.press(.escape)
        inspector.type("g-register_s")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "-register_sensor")
        inspector.press(.escape)
        inspector.type("@sensor")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "sensors")
        inspector.press(.escape)
        inspector.type(":brea")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "brea", "a command's name is not a symbol")
    }

    @Test func tabWithNoCandidateSaysSo() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("gzzz")
        inspector.press(.tab)
        #expect(inspector.state.prompt?.text == "zzz")
        #expect(inspector.state.prompt?.candidates == ["no symbol starts with zzz"])
    }

    @Test func gotoMinusSymbolAsksForThePreviousRun() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("g-copy_name\n")
        #expect(inspector.effects == [.gotoSymbol("copy_name", isForward: false)])
        #expect(inspector.state.progress == "looking for the previous run of copy_name…")
        inspector.type("g -100\n")
        #expect(inspector.state.step == 400, "-N is a step back from here")
    }

    @Test func zoomingInThenOutAsOftenShowsTheWholeRecordingAgain() throws {
        // 1005 steps: a quarter of a quarter, times four twice, is not 1005.
        var inspector = try PureInspector(step: 1005, totalSteps: 1005)
        inspector.type("zz")
        #expect(inspector.state.timelineSpan == 62)
        inspector.type("ZZ")
        #expect(inspector.state.timelineSpan == 1005)
        #expect(Renderer.visibleSpan(inspector.state) == 0...1005)
        inspector.type("zzzzzZZZZZ")
        #expect(Renderer.visibleSpan(inspector.state) == 0...1005)
    }

    @Test func behindTerminalTooSmallOnlyQuitActs() throws {
        var inspector = try PureInspector(step: 500)
        inspector.state.isScreenTooSmall = true
        let before = inspector.state
        for key: Key in [
            .left, .character("g"), .character(":"), .character(" "), .character("?"), .home, .character("W"),
            .resize, .tab,
        ] {
            inspector.press(key)
            #expect(inspector.state == before, "\(key) acted behind the too-small screen")
            #expect(inspector.effects.isEmpty)
        }
        inspector.press(.character("q"))
        #expect(inspector.state.isQuitting)
        var other = try PureInspector(step: 500)
        other.state.isScreenTooSmall = true
        other.press(.control("c"))
        #expect(other.state.isQuitting)
    }
}
