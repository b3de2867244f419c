import Inspector
import Testing

/// The session on the crash demo: the effects the reducer asks for are run against the
/// recording and land where a person hunting the bug expects.
@Suite("Session on the crash demo")
struct InspectorSessionTests {
    @Test func opensAtTheCrashAndSaysHowToStart() throws {
        let (session, terminal) = try InspectorSession.open(DemoRecording.crash, width: 160, height: 45)
        #expect(session.state.step == DemoRecording.crashSteps)
        let grid = session.frame()
        #expect(grid.row(0).contains("CRASH: instruction access fault at pc 0x31726574, step 5482256"))
        #expect(grid.row(44).contains("step 5482256 of 5482256"))
        #expect(
            grid.row(44).contains("the run crashed here — step back (←) to see what led to it; ? for keys"))
        #expect(terminal.framesDrawn == 0, "frame() only renders; drawing is the loop's")
    }

    @Test func theResetROMIsCodeAndMemoryAtTheFirstSteps() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 30, atMachineLevel: true)
        session.type("g3\n@0x1000\n")
        #expect(session.state.step == 3)
        let rows = (0..<30).map { session.frame().row($0) }
        #expect(
            rows.contains { $0.contains("00001000  auipc t0,0x0") },
            "the ROM is disassembled from its first instruction")
        #expect(rows.contains { $0.contains("▶ 0000100c  lw a1,32(t0)") })
        #expect(rows.contains { $0.contains("00001028  4f 53 42 49") }, "the memory pane reads the ROM")
    }

    /// Addresses as the screen prints them, and register expressions, in the memory prompt.
    @Test func theMemoryPromptTakesScreenHexAndRegisterExpressions() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        _ = session.frame()
        let sp = try #require(session.state.stateAtStep?.x[2])
        session.type("@sp+16\n")
        #expect(session.state.memoryCursor == sp &+ 16, "\(session.state.message ?? "")")
        session.type("@8000103c\n")
        #expect(session.state.memoryCursor == 0x8000_103C)
        _ = session.frame()
        let s0 = try #require(session.state.stateAtStep?.x[8])
        session.type("@s0-4\n")
        #expect(session.state.memoryCursor == s0 &- 4)
        session.type("@nosuchthing\n")
        #expect(session.state.messageIsError)
    }

    @Test func lastWriteToTheCorruptedPointerLandsInCopyName() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, atMachineLevel: true)
        session.type("@sensors+56\n")
        session.type("W")
        #expect(session.state.step == DemoRecording.corruptingStep)
        #expect(session.state.progress == nil)
        #expect(session.state.message == "step 684: 0x8000027c (copy_name+0x8) sb 0x8000103f:1 80 → 31")
        #expect(!session.state.messageIsError)
        #expect(session.frame().row(1).contains("Code: copy_name+0xc"))
        session.type("u")
        #expect(session.state.step == DemoRecording.crashSteps, "u goes back to the crash")
    }

    @Test func lastWriteAgainFindsTheWriteBeforeThatOne() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.type("@sensors+56\nW")
        session.type("W")
        #expect(session.state.step < DemoRecording.corruptingStep)
        #expect(session.state.message?.contains("copy_name") == true)
    }

    /// Two steps before the crash a5 holds the bad pointer; W on a5 finds the `lw` that
    /// loaded it from `sensors[2].read`.
    @Test func lastChangeOfTheBadPointerRegisterIsTheLoadFromSensorsRead() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.press(.left, .left, .backTab)
        for _ in 1..<15 { session.press(.down) }
        session.type("W")
        #expect(session.state.step == DemoRecording.crashSteps - 4)
        #expect(session.state.message == "step 5482252: 0x80000358 (poll_sensors+0x1e) changed a5")
        let grid = session.frame()
        #expect(grid.position(of: "a5  31726574*") != nil)
        #expect(grid.position(of: "a5 = 829580660") != nil, "the selected register in decimal")
    }

    @Test func continueBackToABreakpointStopsBeforeItRuns() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, atMachineLevel: true)
        session.press(.left, .left)
        session.type("b\n")
        session.type("C")
        #expect(session.state.step < DemoRecording.crashSteps - 2)
        #expect(
            session.state.message
                == "breakpoint 1 at 0x8000035e (poll_sensors+0x24) at step \(session.state.step)")
        #expect(session.frame().position(of: "●▶ 8000035e  jalr a5") != nil)
    }

    @Test func previousMarkerFromTheCrashIsTheLastConsoleLine() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 160, height: 45, atMachineLevel: true)
        session.type("[")
        #expect(session.state.step < DemoRecording.crashSteps)
        #expect(session.state.message?.hasSuffix("warm-up done, switching on the spare sensor") == true)
        #expect(
            session.frame().text.split(separator: "\n").contains {
                $0.contains("│warm-up done, switching on the spare sensor")
            })
    }

    @Test func searchingConsoleTextGoesToWhereItWasPrinted() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: 0, atMachineLevel: true)
        session.type("/registered baro\n")
        #expect(session.state.step > 0)
        #expect(session.state.message == "console: registered baro")
        let console = session.frame().text
        #expect(console.contains("│registered baro"))
        #expect(
            !console.contains("│registered thermometer1"), "the console shows output up to this step only")
    }

    @Test func gotoASymbolStopsAtItsFirstInstruction() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: 0, atMachineLevel: true)
        session.type("gcopy_name\n")
        #expect(session.state.message?.hasPrefix("copy_name runs next in step") == true)
        #expect(session.frame().position(of: "▶ 80000274  lbu a5,0(a1)") != nil)
    }

    @Test func aSearchThatFindsNothingSaysSoInTheStatusLine() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.type("]")
        #expect(session.state.step == DemoRecording.crashSteps)
        #expect(session.state.message == "no marker after this step")
        #expect(session.state.messageIsError)
    }
}
