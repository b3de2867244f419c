import Foundation
import Inspector
import Testing

/// What each pane shows of the machine, and that it fits: the minimum screen keeps every
/// pane's essentials, says when more is hidden, and never shows part of a number.
@Suite("Panes of the demo recordings")
struct RenderPaneTests {
    // MARK: No number is cut

    /// Sizes from the 80×24 minimum up, across the layout's thresholds (110 and 150 columns,
    /// the height at which the stack gets its own box).
    static let sizes: [(width: Int, height: Int)] = [
        (80, 24), (81, 25), (95, 30), (109, 27), (80, 40), (110, 24), (120, 36), (149, 40), (150, 30),
        (160, 45), (200, 60),
    ]

    /// Keys that bring every pane and display on screen: at source level (the demos have debug
    /// information) the end, two steps back, the call stack, the stack, a struct opened in the
    /// variables, a caller frame with its registers, memory in the variables' place; at the
    /// machine level (`a`) the devices, memory as words and as text.
    static let keySequences: [[Key]] = [
        [], [.left, .left], [.tab, .tab], [.backTab, .backTab], [.tab, .right, .down, .down],
        [.tab, .tab, .down], [.character("@"), .character("a"), .enter, .character("v")],
        [.character("a"), .tab, .tab], [.character("a"), .character("v")],
        [.character("a"), .character("v"), .character("v")],
    ]

    @Test(arguments: [DemoRecording.crash, DemoRecording.echo, DemoRecording.timer])
    func noHexNumberIsEverCutAtAnySize(recording: String) throws {
        for size in Self.sizes {
            for keys in Self.keySequences {
                let (session, _) = try InspectorSession.open(
                    recording, width: size.width, height: size.height)
                for key in keys { session.press(key) }
                let grid = session.frame()
                let layout = Layout(for: session.state, width: size.width, height: size.height)
                let cuts = Self.cutNumbers(in: grid, skipping: layout.console)
                #expect(cuts.isEmpty, "\(size.width)×\(size.height) after \(keys): \(cuts)\n\(grid.text)")
            }
        }
    }

    /// Rows holding a run of one to seven hex digits that a border, the grid's edge or an
    /// ellipsis cuts off: the start of a value with the rest missing. The console shows the
    /// firmware's own text, so it is left out.
    static func cutNumbers(in grid: ScreenGrid, skipping console: Layout.Box) -> [String] {
        // A token of 1–7 hex digits touching a right border or the edge of a pane row…
        let atBorder = try! NSRegularExpression(pattern: "(?<![0-9A-Za-z_+])[0-9a-f]{1,7}(?=│|$)")
        // …or an ellipsis, when it holds a digit (a cut word like "a…" is prose).
        let atEllipsis = try! NSRegularExpression(
            pattern: "(?<![0-9A-Za-z_])(?=[a-f]*[0-9])[0-9a-f]{1,7}(?=…)")
        var found: [String] = []
        // The panes lie between the banner and the timeline.
        for y in 0..<grid.height {
            var row = grid.row(y)
            if console.width > 0 && y >= console.y && y < console.y + console.height {
                row =
                    String(row.unicodeScalars.prefix(console.x))
                    + String(repeating: " ", count: max(0, grid.width - console.x))
            }
            let range = NSRange(row.startIndex..., in: row)
            let isPaneRow = y > 0 && y < grid.height - 3
            if isPaneRow && atBorder.firstMatch(in: row, range: range) != nil
                || atEllipsis.firstMatch(in: row, range: range) != nil
            {
                found.append("row \(y): \(row)")
            }
        }
        return found
    }

    @Test func theCheckCatchesAValueCutByABorder() {
        var grid = ScreenGrid(width: 30, height: 6)
        grid.put("│mepc 3172│", x: 0, y: 2)
        #expect(Self.cutNumbers(in: grid, skipping: .hidden).count == 1)
        var ellipsis = ScreenGrid(width: 30, height: 6)
        ellipsis.put("│mtval 8000…", x: 0, y: 0)
        #expect(Self.cutNumbers(in: ellipsis, skipping: .hidden).count == 1)
        var whole = ScreenGrid(width: 30, height: 6)
        whole.put("│mepc 31726574 │ select a…", x: 0, y: 2)
        #expect(Self.cutNumbers(in: whole, skipping: .hidden).isEmpty)
    }

    // MARK: Registers

    @Test func theMinimumScreenShowsPcThroughA7AndSaysMoreAreBelow() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.left, .left)
        let text = session.frame().text
        for name in [
            "pc  8000035e*", "ra  ", "sp  ", "s0  ", "a0  ", "a1  ", "a2  ", "a3  ", "a4  ", "a5  31726574",
            "a6  ", "a7  80001034",
        ] {
            #expect(text.contains(name), "\(name) is on the 80×24 screen")
        }
        #expect(text.contains(" 14 more ↓ "), "the hidden registers are announced")
    }

    @Test func selectingAHiddenRegisterScrollsItIntoView() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 80, height: 24)
        session.press(.backTab, .up, .up)
        #expect(session.state.selectedRegister == 31)
        let text = session.frame().text
        #expect(text.contains("t6  "))
        #expect(text.contains("more ↓ ") == false, "the last registers are in view")
        #expect(text.contains("↑ 14 more"))
    }

    @Test func aWideScreenSaysWhatEachRegisterPointsTo() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 200, height: 60)
        session.press(.left, .left)
        let grid = session.frame()
        #expect(grid.text.contains("a7  80001034  <sensors+0x30> \"thermometer1\""))
        #expect(grid.text.contains("ra  8000036a  <poll_sensors+0x30>"))
        #expect(grid.cells(of: "\"thermometer1\"").first?.style.foreground == .green)
    }

    @Test func aNarrowScreenSaysWhatTheSelectedRegisterPointsTo() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 80, height: 24)
        session.press(.left, .left, .backTab)
        for _ in 1..<17 { session.press(.down) }
        #expect(session.state.selectedRegister == 17)
        #expect(session.frame().text.contains("│a7 \"thermometer1\""))
    }

    // MARK: Code

    @Test func theCallThroughTheCorruptedPointerSaysItsTargetIsNotCode() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.left, .left)
        #expect(session.frame().text.contains("▶ 8000035e  jalr a5  calls → 31726574 (not code)"))
    }

    @Test func theLoadOfTheBadPointerShowsItsAddressAndTheValueThere() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.crashSteps - 5,
            atMachineLevel: true)
        let text = session.frame().text
        #expect(text.contains("▶ 80000358  lw a5,8(s0)"))
        #expect(text.contains("[8000103c] = 31726574"), "s0 + 8: sensors[2].read, the bad pointer")
    }

    @Test func theCorruptingStoreShowsTheValueBeforeAndTheValueItWrites() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.corruptingStep - 1,
            atMachineLevel: true)
        let text = session.frame().text
        #expect(text.contains("sb a5,-1(a0)"), "the instruction at pc is copy_name's store")
        #expect(text.contains("[8000103f] 80 → 31"), "the top byte of sensors[2].read becomes '1'")
    }

    @Test func aBranchSaysWhetherItIsTaken() throws {
        // copy_name's loop: after the store of '1' the loop goes round again…
        let (looping, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.corruptingStep,
            atMachineLevel: true)
        let loop = looping.frame().text
        #expect(loop.contains("▶ 80000280  bnez a5,80000274 <copy_name>"))
        #expect(loop.contains("↳ taken → <copy_name>"))
        // …and after the store of the NUL it falls through to ret.
        let (ending, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, step: DemoRecording.corruptingStep + 5,
            atMachineLevel: true)
        let end = ending.frame().text
        #expect(end.contains("▶ 80000280  bnez a5,80000274 <copy_name>"))
        #expect(end.contains("↳ not taken"))
    }

    // MARK: Stack

    @Test func theStackTakesTheRegistersPlaceWhileFocusedOnTheMinimumScreen() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.left, .left, .backTab, .backTab)
        #expect(session.state.focus == .stack)
        let text = session.frame().text
        #expect(text.contains("─ Stack "))
        #expect(!text.contains("─ Registers "))
        #expect(text.contains("+00 "))
        session.press(.backTab)
        #expect(session.frame().text.contains("─ Registers "), "Tab on brings the registers back")
    }

    @Test func upAndDownScrollTheStackWhileItIsFocused() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 80, height: 24)
        session.press(.left, .left, .backTab, .backTab, .down, .down)
        let text = session.frame().text
        #expect(text.contains("─ Stack from sp+8 "))
        #expect(text.contains("│+08 800003d0 "), "the first word shown is sp+8")
        #expect(!text.contains("│+00 "))
    }

    @Test func aTallScreenShowsTheStackUnderTheRegisters() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, atMachineLevel: true)
        session.press(.left, .left)
        let text = session.frame().text
        #expect(text.contains("─ Registers "))
        #expect(text.contains("─ Stack "))
        #expect(text.contains("+00 00001388 → 00000000"), "the word at sp, and the word it points to")
    }

    // MARK: Memory

    @Test func vShowsMemoryAsWordsThenAsText() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.type("v")
        #expect(session.frame().text.contains("│80001000 [00000003]706d6574 |....temp|"))
        session.type("v")
        #expect(session.frame().text.contains("│80001000 ····temp····\u{B7}"))
        session.type("v")
        #expect(session.frame().text.contains("│80001000 [03]00 00 00 74 65 6d 70|....temp|"))
    }

    @Test func leftAndRightMoveTheMemoryCursorOneByteWhenMemoryIsFocused() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.tab, .right, .right, .right, .right)
        #expect(session.state.step == DemoRecording.crashSteps, "arrows move the cursor, not time")
        let text = session.frame().text
        #expect(text.contains("│80001000  03 00 00 00[74]65 6d 70|....temp|"))
        #expect(text.contains("cursor 80001004 \"temp\""))
        session.press(.left)
        #expect(session.state.memoryCursor == 0x8000_1003)
    }

    // MARK: Devices and console

    @Test func theDevicesPaneKeepsEveryValueWholeOnTheMinimumScreen() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 80, height: 24, atMachineLevel: true)
        session.press(.tab, .tab)
        let text = session.frame().text
        #expect(text.contains("mepc 31726574"))
        #expect(text.contains("instruction access fault"))
        #expect(text.contains("more ↓"))
    }
}
