import Inspector
import Recording
import Testing

/// The crash demo's facts these tests rely on: `register_sensor` runs three times (a0 = 0, 1,
/// 2), in the states 258, 434 and 609 (pc at its first instruction); `copy_name`'s first
/// instruction is its loop's head, run 23 times, first in state 274; `_start` runs once, from
/// state 6 (after the six reset-ROM steps). `sensors[2].read` (sensors+56) is written by steps
/// 75 (zeroing .bss), 623 (`sw` of read_temperature) and 669, 674, 679, 684 (`copy_name`'s
/// `sb`s of "ter1").
enum CrashDemo {
    static let registerSensorRuns: [UInt64] = [258, 434, 609]
    static let writesToReadPointer: [UInt64] = [75, 623, 669, 674, 679, 684]
}

/// Breakpoints and watchpoints at work on the crash demo: playback that stops exactly at hits
/// both ways, conditions, hit counts, and what a watched write stored.
@Suite("Session: breakpoints, watchpoints and playback")
struct InspectorSessionStopsTests {
    /// Plays (Space) and sends frames until playback stops or `frames` frames passed.
    func play(_ session: InspectorSession, frames: Int = 100) {
        session.type(" ")
        for _ in 0..<frames where session.state.playback.isPlaying { session.send(.tick) }
    }

    @Test func playbackStopsExactlyAtEachBreakpointHitForward() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: 0, atMachineLevel: true)
        session.type("bregister_sensor\n")
        var stops: [UInt64] = []
        for _ in 0..<3 {
            play(session)
            stops.append(session.state.step)
            #expect(!session.state.playback.isPlaying)
            #expect(
                session.state.message
                    == "breakpoint 1 at 0x800002d2 (register_sensor) at step \(session.state.step) — Space plays on"
            )
        }
        #expect(stops == CrashDemo.registerSensorRuns, "at ×100 a frame would have passed each of them")
        #expect(
            session.frame().position(of: "●▶ 800002d2") != nil,
            "pc is at the breakpoint, its instruction not yet run")
    }

    @Test func reversePlaybackStopsExactlyAtEachBreakpointHitBackward() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 700)
        session.type("bregister_sensor\n")
        session.type("r")
        var stops: [UInt64] = []
        for _ in 0..<3 {
            play(session)
            stops.append(session.state.step)
        }
        #expect(stops == CrashDemo.registerSensorRuns.reversed())
        play(session)
        #expect(session.state.step == 0, "no hit before the first: playback runs to the start")
    }

    @Test func playbackStopsAtAWatchedWriteAndSaysWhatItStored() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 650)
        session.type("wsensors+56:4\n")
        play(session)
        #expect(session.state.step == 669)
        #expect(
            session.state.message
                == "watchpoint 1, step 669: 0x8000027c (copy_name+0x8) sb 0x8000103c:1 84 → 74 — Space plays on"
        )
        session.type("r")
        play(session)
        #expect(session.state.step == 623, "backward: the write before, landing where it is done")
        #expect(session.state.message?.contains("sw 0x8000103c:4 00 00 00 00 → 84 02 00 80") == true)
    }

    @Test func playbackAndContinueSkipHitsWhoseConditionIsFalse() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 0)
        session.type("bregister_sensor if a0 == 2\n")
        play(session)
        #expect(session.state.step == 609)
        session.type("Home")
        session.press(.home)
        session.type("c")
        #expect(session.state.step == 609)
        session.press(.end)
        session.type("C")
        #expect(session.state.step == 609)
        #expect(session.state.message == "breakpoint 1 at 0x800002d2 (register_sensor) at step 609")
        session.type("C")
        #expect(session.state.step == 609 && session.state.messageIsError, "no earlier hit with a0 == 2")
    }

    @Test func continueStopsAtTheNearestOfSeveralAndSaysWhichHit() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 0)
        session.type("bregister_sensor\nbcopy_name\nwsensors+56:4\n")
        session.type("c")
        #expect(session.state.step == 75)
        #expect(
            session.state.message?.hasPrefix("watchpoint 3, step 75: ") == true,
            "\(session.state.message ?? "")")
        session.type("c")
        #expect(session.state.message == "breakpoint 1 at 0x800002d2 (register_sensor) at step 258")
        session.type("c")
        #expect(session.state.message == "breakpoint 2 at 0x80000274 (copy_name) at step 274")
        session.type("g300\nC")
        #expect(session.state.message == "breakpoint 2 at 0x80000274 (copy_name) at step 294")
    }

    @Test func aConditionOnAMemoryWordFindsTheCorruptingWrite() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 0)
        session.type("wsensors+56:4 if *(sensors+56) == 0x31726574\n")
        session.type("c")
        #expect(session.state.step == DemoRecording.corruptingStep)
        #expect(
            session.state.message
                == "watchpoint 1, step 684: 0x8000027c (copy_name+0x8) sb 0x8000103f:1 80 → 31")
    }

    @Test func theListCountsHitsInTheWholeRecordingWithTheirConditions() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 160, height: 45)
        session.type("bcopy_name\nbregister_sensor if a0 == 2\nwsensors+56:4\n:disable 1\n")
        session.type(":info break\n")
        #expect(session.state.progress == nil)
        let rows = Renderer.stopRows(session.state)
        #expect(rows[1].hasPrefix("1    no   breakpoint  0x80000274 (copy_name)"))
        #expect(rows[1].contains("  23 "), "copy_name's loop head runs 23 times: \(rows[1])")
        #expect(rows[2].contains("  1      if a0 == 2"), "\(rows[2])")
        #expect(rows[3].contains("  \(CrashDemo.writesToReadPointer.count) "), "\(rows[3])")
        let text = session.frame().text
        #expect(text.contains("Breakpoints and watchpoints — any key closes"))
        #expect(text.contains("0x800002d2 (register_sensor)"))
    }

    @Test func exactHitsOnTheTimelineCarryTheirNumber() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 660)
        session.type("bcopy_name\nwsensors+56:4 if *(sensors+56) == 0x31726574\n")
        // 83 steps around step 660: copy_name copying "thermometer1", and the write at 684.
        for _ in 0..<8 { session.type("z") }
        let grid = session.frame()
        let bar = try #require(
            (0..<grid.height).map { grid.row($0) }.first { $0.contains("█") && $0.contains("─") })
        #expect(bar.contains("1"), "copy_name's hits show as 1: \(bar)")
        #expect(bar.contains("2"), "the corrupting write shows as 2: \(bar)")
    }

    @Test func lastWriteSaysExactlyWhatTheStepStored() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.type("@sensors+56\nW")
        #expect(session.state.message == "step 684: 0x8000027c (copy_name+0x8) sb 0x8000103f:1 80 → 31")
        session.type("W")
        #expect(session.state.step == 679)
        #expect(
            session.state.message == "step 679: 0x8000027c (copy_name+0x8) sb 0x8000103e:1 00 → 72",
            "not the watched word")
    }
}

/// `g SYMBOL` and `g -SYMBOL` on the crash demo, each edge held to what `timescope find --pc`
/// answers (the same timeline searches: `--after N` is `nextExecution(after: N)`, `--before N`
/// is `lastExecution(before: N + 1)`).
@Suite("Session: goto a symbol, searches, zoom")
struct InspectorSessionGotoTests {
    func find(_ session: InspectorSession, _ name: String, after: UInt64? = nil, before: UInt64? = nil) throws
        -> UInt64?
    {
        let timeline = try Timeline(path: DemoRecording.crash)
        let address = try timeline.address(for: name)
        if let after { return try timeline.nextExecution(of: address, after: after)?.step }
        return try timeline.lastExecution(of: address, before: (before ?? 0) + 1)?.step
    }

    @Test func gotoStartFromStepZeroLandsAfterTheResetROM() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: 0, atMachineLevel: true)
        session.type("g_start\n")
        #expect(session.state.step == 6)
        #expect(session.state.message == "_start runs next in step 7; pc is there at step 6")
        #expect(try find(session, "_start", after: 0) == 7, "find --pc _start --after 0 says step 7")
        #expect(session.frame().position(of: "▶ 80000000") != nil)
    }

    @Test func gotoAtTheSymbolGoesToTheNextRunNotHere() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: 274, atMachineLevel: true)
        #expect(session.frame().position(of: "▶ 80000274") != nil, "pc is at copy_name at step 274")
        session.type("gcopy_name\n")
        #expect(session.state.step == 279)
        #expect(session.state.message == "copy_name runs next in step 280; pc is there at step 279")
        #expect(
            try find(session, "copy_name", after: 275) == 280,
            "find --after 275: the run after the one at hand")
        #expect(try find(session, "copy_name", after: 274) == 275, "find --after 274 reports the run at hand")
    }

    @Test func gotoAtTheLastRunSaysItIsTheLast() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 6)
        session.type("g_start\n")
        #expect(session.state.step == 6)
        #expect(session.state.message == "_start runs for the last time in step 7: pc is there now")
        #expect(session.state.messageIsError)
    }

    @Test func gotoAfterTheLastRunSaysWhenItLastRan() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 100)
        session.type("g_start\n")
        #expect(session.state.step == 100)
        #expect(session.state.message == "_start does not run after step 100; it last ran in step 7")
        #expect(try find(session, "_start", after: 100) == nil)
        #expect(try find(session, "_start", before: 100) == 7)
    }

    @Test func gotoMinusSymbolGoesToThePreviousRunAsFindBeforeSays() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 500)
        session.type("g-register_sensor\n")
        #expect(session.state.step == 434)
        #expect(session.state.message == "register_sensor last ran in step 435; pc is there at step 434")
        #expect(try find(session, "register_sensor", before: 500) == 435)
        session.type("g-register_sensor\n")
        #expect(session.state.step == 258, "from a run, the one before it")
        #expect(try find(session, "register_sensor", before: 434) == 259)
    }

    @Test func gotoMinusSymbolBeforeTheFirstRunSaysWhenItRunsNext() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 3)
        session.type("g-_start\n")
        #expect(session.state.step == 3)
        #expect(session.state.message == "_start does not run before step 3; it runs next in step 7")
        #expect(try find(session, "_start", before: 3) == nil)
        session.type("g6\ng-_start\n")
        #expect(session.state.message == "_start does not run before step 6; it runs next in step 7")
    }

    @Test func searchingBackwardAndRepeatingWithNAndCapitalN() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.type("\\registered\n")
        #expect(session.state.message == "console: registered thermometer1")
        let thermometer = session.state.step
        session.type("N")
        #expect(session.state.message == "console: registered baro")
        #expect(session.state.step < thermometer)
        session.type("N")
        #expect(session.state.message == "console: registered temp")
        session.type("n")
        #expect(session.state.message == "console: registered baro")
    }

    @Test func searchingBackwardForAnInstructionFindsItsLastRun() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.type("\\jalr a5\n")
        #expect(session.state.step == DemoRecording.crashSteps - 2)
        #expect(
            session.state.message
                == "0x8000035e (poll_sensors+0x24) runs last in step \(DemoRecording.crashSteps - 1)")
    }

    @Test func zoomingInAndOutBringsBackTheWholeRangeAndTheEnd() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        func bar() -> (line: String, bounds: String) {
            let grid = session.frame()
            let index =
                (0..<grid.height).first { grid.row($0).contains("█") && grid.row($0).contains("─") } ?? 0
            return (grid.row(index), grid.row(index + 1))
        }
        let whole = bar()
        session.type("zz")
        #expect(bar().bounds != whole.bounds)
        session.type("ZZ")
        #expect(bar().line == whole.line, "the end marker X and every marker are back")
        #expect(bar().bounds.hasPrefix("0 ") && bar().bounds.hasSuffix(" \(DemoRecording.crashSteps)"))
    }

    @Test func behindTerminalTooSmallKeysDoNothingButQuit() throws {
        let (session, terminal) = try InspectorSession.open(DemoRecording.crash, width: 60, height: 20)
        session.type("g100\n")
        session.press(.left, .home)
        #expect(session.state.step == DemoRecording.crashSteps)
        #expect(session.state.prompt == nil)
        terminal.size = (120, 36)
        session.press(.resize, .left)
        #expect(session.state.step == DemoRecording.crashSteps - 1, "keys act again at a usable size")
        terminal.size = (60, 20)
        session.type("q")
        #expect(session.state.isQuitting)
    }
}
