import Inspector
import Recording
import Testing

/// Numbered breakpoints and watchpoints: conditions, the list, delete/enable/disable by number
/// or address, and what continue and playback ask for.
@Suite("Reducer: numbered breakpoints and watchpoints")
struct ReducerStopsTests {
    @Test func breakpointsAndWatchpointsAreNumberedInTheOrderTheyAreSet() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bpoll_sensors\n")
        inspector.type("wsensors+56:4\n")
        inspector.type("bcopy_name\n")
        #expect(inspector.state.stops.map(\.number) == [1, 2, 3])
        #expect(inspector.state.stops.map(\.isBreakpoint) == [true, false, true])
        #expect(
            inspector.state.stops.map(\.place) == [
                "0x8000033a (poll_sensors)", "0x8000103c:4 (sensors+0x38)", "0x80000274 (copy_name)",
            ])
        inspector.type(":delete 1\n")
        inspector.type("bregister_sensor\n")
        #expect(inspector.state.stops.map(\.number) == [2, 3, 4], "numbers are not reused")
    }

    @Test func aConditionIsParsedAndShownWithTheBreakpoint() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bregister_sensor if a0 == 2\n")
        let stop = try #require(inspector.state.stops.first)
        #expect(stop.rule.trigger == .execution(inspector.address("register_sensor")))
        #expect(stop.rule.condition?.text == "a0 == 2")
        #expect(
            inspector.state.message
                == "breakpoint 1 at 0x800002d2 (register_sensor) if a0 == 2 — c/C continue to it")
    }

    @Test func bAgainWithAConditionChangesItWithoutANewNumber() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\n")
        inspector.type("bcopy_name if a1 != 0\n")
        #expect(inspector.state.stops.count == 1)
        #expect(inspector.state.stops[0].rule.condition?.text == "a1 != 0")
        #expect(inspector.state.message == "breakpoint 1 at 0x80000274 (copy_name) now stops only if a1 != 0")
    }

    @Test func aConditionThatDoesNotParseSetsNothingAndSaysWhy() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name if a0 = 3\n")
        #expect(inspector.state.stops.isEmpty)
        #expect(inspector.state.messageIsError)
        #expect(inspector.state.message?.hasPrefix("if a0 = 3: 'a0 = 3' compares nothing") == true)
        inspector.type("wsensors if q9 == 1\n")
        #expect(inspector.state.stops.isEmpty)
        #expect(inspector.state.message?.contains("'q9' is not a register, a number") == true)
    }

    @Test func aWatchpointTakesAConditionOnMemoryWords() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("wsensors+56:4 if *(sensors+56) == 0x31726574\n")
        let stop = try #require(inspector.state.stops.first)
        #expect(stop.rule.trigger == .write(0x8000_103c..<0x8000_1040))
        #expect(stop.rule.condition?.text == "*(sensors+56) == 0x31726574")
    }

    @Test func infoBreakOpensTheListAndAsksForTheHitCountsOnce() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\n")
        inspector.type("wsensors+56:4\n")
        inspector.type(":info break\n")
        #expect(inspector.state.isShowingStops)
        let rules = inspector.state.stops.map(\.rule)
        #expect(inspector.effects == [.countHits(rules)])
        #expect(inspector.state.progress == "counting hits in the whole recording…")
        inspector.send(.hitsCounted([rules[0]: 3, rules[1]: 5], through: 1000))
        #expect(inspector.state.progress == nil)
        #expect(Renderer.stopRows(inspector.state)[1].contains("3"))
        inspector.press(.escape)
        #expect(!inspector.state.isShowingStops, "any key closes the list")
        inspector.type(":breakpoints\n")
        #expect(inspector.state.isShowingStops)
        #expect(inspector.effects.isEmpty, "the counts are cached")
    }

    @Test func theListShowsNumberEnabledPlaceConditionAndHits() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("bregister_sensor if a0 == 2\n")
        inspector.type("wsensors+56:4\n")
        inspector.type(":disable 2\n")
        inspector.type(":info break\n")
        let rules = inspector.state.stops.map(\.rule)
        #expect(Renderer.stopRows(inspector.state)[1].contains("…"), "a count not known yet")
        inspector.send(.hitsCounted([rules[0]: 1, rules[1]: 5], through: 1000))
        let rows = Renderer.stopRows(inspector.state)
        #expect(rows[0].hasPrefix("Num  On   What        Where"))
        #expect(rows[1] == "1    yes  breakpoint  0x800002d2 (register_sensor)  1      if a0 == 2")
        #expect(rows[2] == "2    no   watchpoint  0x8000103c:4 (sensors+0x38)   5      ")
    }

    @Test func aChangedConditionIsCountedAgain() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("bregister_sensor\n")
        inspector.type(":info break\n")
        inspector.send(.hitsCounted([inspector.state.stops[0].rule: 3], through: 1000))
        inspector.press(.escape)
        inspector.type(":condition 1 a0 == 2\n")
        #expect(
            inspector.state.message
                == "breakpoint 1 at 0x800002d2 (register_sensor) now stops only if a0 == 2")
        inspector.type(":info break\n")
        #expect(inspector.effects == [.countHits([inspector.state.stops[0].rule])])
        inspector.press(.escape)
        inspector.type(":condition 1\n")
        #expect(inspector.state.stops[0].rule.condition == nil)
        #expect(inspector.state.message == "breakpoint 1 at 0x800002d2 (register_sensor) stops at every hit")
    }

    @Test func infoBreakWithNothingSetSaysHowToSetOne() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type(":info break\n")
        #expect(!inspector.state.isShowingStops)
        #expect(inspector.state.message == "no breakpoints or watchpoints: set one with b or w")
    }

    @Test func deleteByNumberDeletesOnlyThoseNumbers() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\nbpoll_sensors\nwsensors\n")
        inspector.type(":delete 2\n")
        #expect(inspector.state.stops.map(\.number) == [1, 3])
        #expect(inspector.state.message == "deleted breakpoint 2 at 0x8000033a (poll_sensors)")
        inspector.type(":d 1 3\n")
        #expect(inspector.state.stops.isEmpty)
        #expect(inspector.state.message == "deleted breakpoints and watchpoints 1, 3")
    }

    @Test func deleteASymbolDeletesTheBreakpointThereNotEverything() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\nbpoll_sensors\n")
        inspector.type(":delete poll_sensors\n")
        #expect(inspector.state.stops.map(\.number) == [1])
        #expect(inspector.state.message == "deleted breakpoint 2 at 0x8000033a (poll_sensors)")
        inspector.type(":delete poll_sensors\n")
        #expect(inspector.state.stops.map(\.number) == [1], "nothing else goes")
        #expect(inspector.state.message == "no breakpoint or watchpoint at poll_sensors (0x8000033a)")
        #expect(inspector.state.messageIsError)
    }

    @Test func deleteAnUnknownNumberOrWordSaysSoAndDeletesNothing() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\n")
        inspector.type(":delete 7\n")
        #expect(inspector.state.stops.count == 1)
        #expect(inspector.state.message == "no breakpoint or watchpoint 7 — :info break lists them")
        inspector.type(":delete no_such_thing\n")
        #expect(inspector.state.stops.count == 1)
        #expect(
            inspector.state.message
                == ":delete no_such_thing: give numbers (:info break lists them), or an address or symbol")
    }

    @Test func deleteAloneOrAllDeletesEverything() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\nwsensors\n")
        inspector.type(":delete all\n")
        #expect(inspector.state.stops.isEmpty)
        inspector.type(":delete\n")
        #expect(inspector.state.message == "no breakpoints or watchpoints to delete")
    }

    @Test func disabledOnesStayListedButStopNothing() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\nwsensors+56:4\n")
        inspector.type(":disable 1\n")
        #expect(inspector.state.message == "disabled breakpoint 1 at 0x80000274 (copy_name)")
        #expect(inspector.state.stops.map(\.isEnabled) == [false, true])
        #expect(inspector.state.breakpoints.isEmpty, "the code pane's ● and continue see only enabled ones")
        #expect(inspector.state.watchpoints == [0x8000_103c..<0x8000_1040])
        inspector.type(":disable\n")
        inspector.type("c")
        #expect(inspector.effects.isEmpty)
        #expect(
            inspector.state.message == "every breakpoint and watchpoint is disabled: :enable turns them on")
        inspector.type(":enable 1-2\n")
        #expect(inspector.state.stops.allSatisfy { $0.isEnabled })
        #expect(inspector.state.message == "enabled breakpoints and watchpoints 1, 2")
    }

    @Test func playbackWithAnEnabledStopAsksToPlayToTheFramesEndStoppingAtHits() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("bcopy_name\n ")
        inspector.send(.tick)
        #expect(inspector.effects == [.play(from: 500, to: 600)])
        #expect(inspector.state.step == 500, "the step changes when the session answers")
        inspector.send(.playbackAdvanced(step: 600, hit: nil))
        #expect(inspector.state.step == 600 && inspector.state.playback.isPlaying)
        inspector.send(.tick)
        inspector.send(
            .playbackAdvanced(step: 685, hit: "breakpoint 1 at 0x80000274 (copy_name) at step 685"))
        #expect(inspector.state.step == 685)
        #expect(!inspector.state.playback.isPlaying, "a hit pauses")
        #expect(
            inspector.state.message == "breakpoint 1 at 0x80000274 (copy_name) at step 685 — Space plays on")
        inspector.type("r ")
        inspector.send(.tick)
        #expect(inspector.effects == [.play(from: 685, to: 585)], "reverse playback looks for hits too")
    }

    @Test func playbackWithOnlyDisabledStopsMovesByItself() throws {
        var inspector = try PureInspector(step: 500, totalSteps: 1000)
        inspector.type("bcopy_name\n:disable\n ")
        inspector.send(.tick)
        #expect(inspector.effects.isEmpty)
        #expect(inspector.state.step == 600)
    }

    @Test func playbackThatReachesTheEndWithoutAHitStops() throws {
        var inspector = try PureInspector(step: 950, totalSteps: 1000)
        inspector.type("bcopy_name\n ")
        inspector.send(.tick)
        #expect(inspector.effects == [.play(from: 950, to: 1000)])
        inspector.send(.playbackAdvanced(step: 1000, hit: nil))
        #expect(!inspector.state.playback.isPlaying)
    }
}

/// The condition grammar, on the crash demo's symbols.
@Suite("Stop conditions")
struct StopConditionTests {
    let firmware = try! PureInspector().firmware

    @Test(arguments: [
        ("a0 == 3", [[StopCondition.Term(left: .register(10), comparison: .equal, right: .constant(3))]]),
        ("s1 != 0", [[StopCondition.Term(left: .register(9), comparison: .notEqual, right: .constant(0))]]),
        (
            "*(sp+8) == 0x10",
            [
                [
                    StopCondition.Term(
                        left: .word(register: 2, isPC: false, offset: 8), comparison: .equal,
                        right: .constant(16))
                ]
            ]
        ),
        (
            "a0 >= 2 && a1 < 5",
            [
                [
                    StopCondition.Term(left: .register(10), comparison: .greaterOrEqual, right: .constant(2)),
                    StopCondition.Term(left: .register(11), comparison: .less, right: .constant(5)),
                ]
            ]
        ),
        (
            "a0 == -1 || pc <= copy_name",
            [
                [StopCondition.Term(left: .register(10), comparison: .equal, right: .constant(0xFFFF_FFFF))],
                [StopCondition.Term(left: .pc, comparison: .lessOrEqual, right: .constant(0x8000_0274))],
            ]
        ),
        (
            "*sensors > a5",
            [
                [
                    StopCondition.Term(
                        left: .word(register: nil, isPC: false, offset: 0x8000_1004), comparison: .greater,
                        right: .register(15))
                ]
            ]
        ),
    ])
    func parses(text: String, alternatives: [[StopCondition.Term]]) throws {
        let condition = try StopCondition(parsing: text, firmware: firmware)
        #expect(condition.alternatives == alternatives)
        #expect(condition.text == text)
    }

    @Test(arguments: ["", "a0", "a0 = 3", "a0 == ", "q9 == 1", "*(nowhere) == 1", "a0 == 3 &&"])
    func refuses(text: String) {
        #expect(throws: StopConditionError.self) { try StopCondition(parsing: text, firmware: firmware) }
    }
}
