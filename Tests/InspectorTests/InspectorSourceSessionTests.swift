import Foundation
import Inspector
import Machine
import Recording
import TestSupport
import Testing

/// The crash demo at source level, as a person hunting the bug sees it: the crash line, the
/// call stack, the variables, the bad pointer and the C line that wrote it.
@Suite("Session at source level on the crash demo")
struct InspectorSourceSessionTests {
    /// The rows of the frame drawn now.
    func rows(_ session: InspectorSession) -> [String] {
        session.frame().text.components(separatedBy: "\n")
    }

    @Test func opensOnTheCrashLineInPollSensorsWithItsFrameAndVariables() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        #expect(session.state.isSourceLevel)
        let grid = session.frame()
        #expect(grid.row(1).contains("Source: sensorhub.c:80 — poll_sensors"))
        let current = try #require(grid.position(of: "▶ 80         uint32_t sample = sensor->read(sensor);"))
        #expect(grid[current.x, current.y].style.attributes.contains(.reverse), "the line is reversed")
        #expect(grid.text.components(separatedBy: "▶ ").count == 2, "one line is current")
        // Frame 0 is the jump to nowhere: the panes follow frame 1, the first with a line.
        #expect(grid.text.contains("┌─ Call stack ─"), "under the registers, in the stack's place")
        #expect(grid.text.contains(" #0 00000000 ??"))
        #expect(grid.text.contains("▶#1 poll_sensors line 80"), "the file does not fit: the line alone")
        #expect(grid.text.contains(" #2 main sensorhub.c:112"))
        #expect(!grid.text.contains("_start"), "main is the outermost frame, as in gdb")
        #expect(grid.text.contains("Variables: poll_sensors"))
        #expect(grid.text.contains("▸ sensor = 0x80001034 <sensors+48>"))
        #expect(grid.text.contains("  sample = <optimized out>"))
        #expect(grid.text.contains("  i = 2"))
        #expect(grid.row(1).contains("┌─ Registers ─"), "the registers stay the machine's own")
    }

    /// README's walkthrough: the bad function pointer by name and value, and one key to the C
    /// line that wrote it, with that function's arguments.
    @Test func wOnTheBadPointerTravelsToTheLineInCopyNameThatWroteIt() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.press(.tab, .right, .down, .down)
        #expect(session.state.focus == .variables)
        #expect(session.state.selectedVariable == "sensor/read")
        let before = session.frame()
        let read = try #require(before.position(of: "read = 0x31726574"))
        #expect(before[read.x, read.y].style.attributes.contains(.reverse), "the selected row is reversed")
        #expect(before.text.contains("name = \"thermome\""))
        #expect(before.text.contains(" uint32_t (*)(struct sensor *) "), "the selected row's type")

        session.type("W")
        #expect(session.state.step == DemoRecording.corruptingStep)
        #expect(
            session.state.message
                == "step 684: copy_name at sensorhub.c:37 wrote sensor->read: sb 0x8000103f:1 80 → 31")
        let after = session.frame()
        #expect(after.row(1).contains("Source: sensorhub.c:37 — copy_name"))
        #expect(after.position(of: "▶ 37     while ((*destination++ = *source++) != 0)") != nil)
        #expect(after.text.contains("destination = 0x80001040 <sensors+60>"))
        #expect(after.text.contains("source = 0x80000408"))
        #expect(after.text.contains("▶#0 copy_name line 37"))
        #expect(after.text.contains(" #1 register_sensor :61"))
        session.type("u")
        #expect(session.state.step == DemoRecording.crashSteps)
    }

    @Test func choosingAFrameMovesTheSourceTheVariablesTheRegistersAndTheCode() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.press(.tab, .tab)
        #expect(session.state.focus == .callStack)
        session.press(.down)
        let main = session.frame()
        #expect(session.state.selectedFrame == 2)
        #expect(main.row(1).contains("Source: sensorhub.c:112 — main"))
        #expect(main.row(1).contains("Registers · frame 2"))
        #expect(main.text.contains("Variables: main"))
        #expect(main.text.contains("round = 20000"))
        session.press(.up, .up)
        #expect(session.state.selectedFrame == 0)
        let innermost = session.frame()
        #expect(innermost.text.contains("pc 00000000 is not code"), "frame 0 has no line: its code shows")
        session.type("a")
        #expect(session.frame().text.contains("pc 00000000 is not code"))
        session.type("a")
        session.press(.character("h"))
        #expect(session.state.selectedFrame == nil)
        #expect(session.frame().row(1).contains("Source: sensorhub.c:80 — poll_sensors"))
    }

    @Test func aWatchExpressionIsOnTopAndStarredWhenTheLastMoveChangedIt() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.corruptingStep - 1)
        session.type("psensors[2].read\n")
        let before = session.frame()
        #expect(before.text.contains("  sensors[2].read = 0x80726574"))
        session.press(.right)
        let after = session.frame()
        let changed = try #require(after.position(of: "*  sensors[2].read = 0x31726574"))
        #expect(
            after.cells(of: "sensors[2].read = 0x31726574").allSatisfy {
                $0.style.attributes.contains(.bold)
            },
            "changed by the last move: bold and starred")
        #expect(after[changed.x, changed.y].character == "*")
        #expect(after.text.contains("  destination = 0x80001040"), "the arguments did not change")
        #expect(!after.text.contains("*  destination ="), "\(after.text)")
    }

    @Test func aWatchExpressionThatDoesNotEvaluateSaysWhy() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.type("pnosuchthing\n")
        let grid = session.frame()
        let row = try #require(grid.position(of: "nosuchthing = <"))
        #expect(grid[row.x + 14, row.y].style.attributes.contains(.bold), "in the error style")
    }

    @Test func aBreakpointOnALineShowsOnTheLineAndItsHitsOnTheTimeline() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36, step: 0)
        session.type("bsensorhub.c:37\n")
        session.type("c")
        #expect(session.state.step > 0)
        #expect(
            session.state.message?.hasPrefix("breakpoint 1 at 0x80000274 (copy_name) sensorhub.c:37 at step")
                == true)
        #expect(session.frame().position(of: "●▶ 37") != nil, "the breakpoint on the current line")
        // Every hit is in the first few hundred steps: zoomed in, they show with their number.
        session.type("zzzzzzz")
        let timeline = session.frame().row(33)
        #expect(timeline.contains("1"), "the hits are marked with the breakpoint's number: \(timeline)")
    }

    @Test func xMarksTheLinesThatRanInTheVisibleSpan() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.corruptingStep)
        session.type("zzzzzzzzx")
        let span = try #require(session.state.executedLines?.span)
        #expect(span.count < 200, "the zoomed span: \(span)")
        #expect(session.state.message?.contains("source lines run in steps \(span.lowerBound)…") == true)
        let grid = session.frame()
        #expect(grid.position(of: "+ 36 {") != nil, "copy_name starts in the span")
        #expect(grid.position(of: "- 43 ") != nil, "read_temperature does not run in it")
        #expect(grid.position(of: "  38         ;") != nil, "a line without code has no mark")
        #expect(grid.text.contains("x: + ran, - did not"))
        session.type("x")
        #expect(session.frame().position(of: "+ 36 {") == nil)
    }

    @Test func theLineKeysMoveBySourceLineAndSayWhereTheyLand() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.corruptingStep)
        session.type("o")
        #expect(session.state.step > DemoRecording.corruptingStep)
        #expect(session.state.message?.hasPrefix("next: step \(session.state.step), ") == true)
        let afterNext = session.state.step
        session.type("O")
        #expect(session.state.step < afterNext)
        #expect(session.state.message?.hasPrefix("reverse-next: step") == true)
        session.press(.end)
        session.type("e")
        #expect(session.state.step == DemoRecording.crashSteps)
        #expect(session.state.message == "step goes no further: the recording ends first")
        #expect(session.state.messageIsError)
    }

    @Test func withoutTheSourceTheSourcePaneSaysSoAndWhichLine() throws {
        final class NoSources: SourceTextProvider {
            func source(for file: String) -> SourceText {
                .unavailable("source not available: \((file as NSString).lastPathComponent)")
            }
        }
        let terminal = FakeTerminal(width: 120, height: 36)
        let session = InspectorSession(
            timeline: try Timeline(path: DemoRecording.crash), terminal: terminal, clock: FrozenClock(),
            sources: NoSources())
        let text = session.frame().text
        #expect(text.contains("Source: sensorhub.c:80 — poll_sensors"))
        #expect(text.contains("source not available: sensorhub.c"))
        #expect(text.contains("The frame is at line 80."))
    }

    @Test func aFirmwareWithoutDebugInfoStaysAtTheMachineLevelAndSaysWhy() throws {
        let elf = try Assembler.elf(
            """
            _start:
                li t0, 0x100000
                li t1, 0x5555
                sw t1, 0(t0)
            1:  j 1b
            """)
        let scratch = try TemporaryDirectory("nodwarf")
        defer { scratch.remove() }
        let path = scratch.file("plain.tsr")
        let machine = try Machine(firmware: Firmware.load(contentsOf: elf))
        _ = try Recorder(path: path, machine: machine).run(maxSteps: 100)
        let terminal = FakeTerminal(width: 120, height: 36)
        let session = InspectorSession(
            timeline: try Timeline(path: path), terminal: terminal, clock: FrozenClock(), step: 0)
        #expect(!session.state.isSourceLevel)
        #expect(session.state.debugInfoProblem == "no debug info: the ELF has no DWARF sections")
        #expect(session.frame().row(1).contains("┌─ Code · no debug info "))
        session.type("e")
        #expect(session.state.message == "step: no debug info: the ELF has no DWARF sections")
        session.press(.tab)
        #expect(session.state.focus == .memory, "no variables or call stack to visit")
    }
}
