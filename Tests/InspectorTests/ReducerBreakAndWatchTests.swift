import Inspector
import Testing

/// b, w, W and c/C: the keys that ask "when did this happen?".
@Suite("Reducer: breakpoints, watchpoints, last writes")
struct ReducerBreakAndWatchTests {
    @Test func continueWithoutBreakpointsOrWatchpointsIsAnErrorAndAsksForNothing() throws {
        var inspector = try PureInspector(step: 500)
        for key in ["c", "C"] {
            inspector.type(key)
            #expect(inspector.effects.isEmpty)
            #expect(inspector.state.message == "no breakpoints or watchpoints: set one with b or w")
            #expect(inspector.state.messageIsError)
            #expect(inspector.state.progress == nil)
            #expect(inspector.state.step == 500)
        }
    }

    @Test func continueAsksForTheNextHitForwardOrBack() throws {
        var inspector = try PureInspector(step: 500)
        inspector.state.pcAtStep = DemoRecording.callThroughReadPointer
        inspector.type("b\n")
        inspector.type("c")
        #expect(inspector.effects == [.continueRun(isForward: true)])
        #expect(inspector.state.progress == "continuing forward…")
        inspector.type("C")
        #expect(inspector.effects == [.continueRun(isForward: false)])
        #expect(inspector.state.progress == "continuing backward…")
    }

    @Test func continueRunsToAWatchpointAlone() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("wsensors+56\n")
        inspector.type("C")
        #expect(inspector.effects == [.continueRun(isForward: false)])
    }

    @Test func bOpensTheBreakpointPrompt() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("b")
        #expect(inspector.state.prompt?.kind == .breakpoint)
        #expect(inspector.state.prompt?.text == "")
        inspector.type("copy")
        #expect(inspector.state.prompt?.text == "copy")
        #expect(inspector.state.breakpoints.isEmpty)
    }

    @Test func bThenEnterTogglesABreakpointAtPC() throws {
        var inspector = try PureInspector(step: 500)
        inspector.state.pcAtStep = DemoRecording.callThroughReadPointer
        inspector.type("b\n")
        #expect(inspector.state.prompt == nil)
        #expect(inspector.state.breakpoints == [DemoRecording.callThroughReadPointer])
        #expect(
            inspector.state.message == "breakpoint 1 at 0x8000035e (poll_sensors+0x24) — c/C continue to it")
        #expect(!inspector.state.messageIsError)
        inspector.type("b\n")
        #expect(inspector.state.breakpoints.isEmpty)
        #expect(inspector.state.message == "breakpoint 1 at 0x8000035e (poll_sensors+0x24) deleted")
    }

    @Test func bWithASymbolOrAnAddressBreaksThere() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bpoll_sensors\n")
        inspector.type("b0x80000274\n")
        #expect(
            inspector.state.breakpoints == [
                inspector.address("poll_sensors"), inspector.address("copy_name"),
            ])
        #expect(inspector.state.message?.contains("(copy_name)") == true)
    }

    @Test func bWithAnUnknownNameIsAnErrorAndSetsNothing() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bno_such_function\n")
        #expect(inspector.state.breakpoints.isEmpty)
        #expect(
            inspector.state.message == "break no_such_function: not an address, symbol or register expression"
        )
        #expect(inspector.state.messageIsError)
    }

    @Test func wThenEnterWatchesTheWordUnderTheMemoryCursor() throws {
        var inspector = try PureInspector(step: 500, memoryAddress: 0x8000_103e)
        inspector.type("w")
        #expect(inspector.state.prompt?.kind == .watch)
        inspector.type("\n")
        #expect(inspector.state.watchpoints == [0x8000_103c..<0x8000_1040])
        #expect(
            inspector.state.message == "watchpoint 1 on 0x8000103c:4 (sensors+0x38) — c/C continue to a write"
        )
    }

    @Test func wWithAVariableWatchesTheWholeVariable() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("wsensors\n")
        // sensors[3]: three 24-byte structs.
        #expect(inspector.state.watchpoints == [0x8000_1004..<0x8000_104c])
    }

    @Test func wWithALengthWatchesThatManyBytesAndTogglesOff() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("wsensors+56:4\n")
        #expect(inspector.state.watchpoints == [0x8000_103c..<0x8000_1040])
        inspector.type("wsensors+56:4\n")
        #expect(inspector.state.watchpoints.isEmpty)
        #expect(inspector.state.message == "watchpoint 1 on 0x8000103c:4 (sensors+0x38) deleted")
    }

    @Test func wWithABadRangeIsAnError() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("wsensors:0\n")
        #expect(inspector.state.watchpoints.isEmpty)
        #expect(inspector.state.message == "watch sensors:0: use ADDR[:LEN] with an address or symbol")
        #expect(inspector.state.messageIsError)
    }

    @Test func capitalWAsksForTheLastWriteOfTheWordUnderTheMemoryCursor() throws {
        var inspector = try PureInspector(step: 5000, totalSteps: 10_000)
        inspector.type("@sensors+58\n")
        #expect(inspector.state.focus == .memory)
        inspector.type("W")
        #expect(inspector.effects == [.lastWrite(0x8000_103c..<0x8000_1040, atOrBefore: 5000)])
        #expect(inspector.state.progress == "searching back for the last write to 0x8000103c…")
        #expect(inspector.state.step == 5000, "the step changes when the search answers")
    }

    @Test func capitalWOnARegisterAsksForItsLastChange() throws {
        var inspector = try PureInspector(step: 5000, totalSteps: 10_000)
        inspector.press(.backTab)
        #expect(inspector.state.focus == .registers)
        // ra is selected first; a5 is x15.
        for _ in 1..<15 { inspector.press(.down) }
        #expect(inspector.state.selectedRegister == 15)
        inspector.type("W")
        #expect(inspector.effects == [.lastRegisterChange(index: 15, atOrBefore: 5000)])
        #expect(inspector.state.progress == "searching back for the last change of a5…")
    }

    @Test func capitalWOnPCIsAnErrorBecausePCChangesEveryStep() throws {
        var inspector = try PureInspector(step: 5000, totalSteps: 10_000)
        inspector.press(.backTab, .up)
        #expect(inspector.state.selectedRegister == 0)
        inspector.type("W")
        #expect(inspector.effects.isEmpty)
        #expect(inspector.state.message == "pc changes every step: select a register x1…x31")
        #expect(inspector.state.messageIsError)
    }

    @Test func deleteCommandRemovesEveryBreakpointAndWatchpoint() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bcopy_name\n")
        inspector.type("wsensors\n")
        inspector.type(":delete\n")
        #expect(inspector.state.breakpoints.isEmpty)
        #expect(inspector.state.watchpoints.isEmpty)
        #expect(inspector.state.message == "deleted every breakpoint and watchpoint (2)")
    }
}
