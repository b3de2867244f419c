import Inspector
import Testing

/// Highlights that must survive NO_COLOR and monochrome terminals: they are checked through
/// characters and attributes (bold, reverse), never colours.
@Suite("Highlights without colour")
struct RenderStyleTests {
    /// Two steps before the crash the last step was `addi s0,s0,24`: it changed s0 and pc.
    @Test func registersChangedByTheLastStepAreStarredAndBold() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 36)
        session.press(.left, .left)
        let grid = session.frame()
        for changed in ["pc  8000035e*", "s0  8000104c*"] {
            let cells = grid.cells(of: changed)
            #expect(!cells.isEmpty, "\(changed) is on screen")
            #expect(cells.allSatisfy { $0.style.attributes.contains(.bold) }, "\(changed) is bold")
        }
        for unchanged in ["ra  8000036a ", "s1  00000002 "] {
            let cells = grid.cells(of: unchanged)
            #expect(!cells.isEmpty, "\(unchanged) is on screen without a star")
            #expect(cells.allSatisfy { !$0.style.attributes.contains(.bold) }, "\(unchanged) is not bold")
        }
    }

    @Test func theCurrentCodeLineIsMarkedAndReversedAcrossThePane() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, atMachineLevel: true)
        session.press(.left, .left)
        let grid = session.frame()
        let current = try #require(grid.position(of: "▶ 8000035e  jalr a5"))
        let paneEnd = try #require(grid.column(of: "││", inRow: current.y, from: current.x))
        #expect((current.x..<paneEnd).allSatisfy { grid[$0, current.y].style.attributes.contains(.reverse) })
        // The pane is too narrow to say beside the call where it goes: the next line says it.
        let note = try #require(grid.position(of: "↳ calls → 31726574 (not code)"))
        #expect(note.y == current.y + 1)
        #expect((note.x..<paneEnd).allSatisfy { !grid[$0, note.y].style.attributes.contains(.reverse) })
        let next = try #require(grid.position(of: "  80000360  mv a1,a0"))
        #expect(next.y == current.y + 2)
        #expect((next.x..<paneEnd).allSatisfy { !grid[$0, next.y].style.attributes.contains(.reverse) })
        #expect(grid.text.components(separatedBy: "▶").count == 2, "one line is current")
    }

    /// The last write to `sensors[2].read` is `sb` of the '1' of "thermometer1" at 0x8000103f.
    @Test func theByteTheLastStepWroteIsReversedInHexAndASCII() throws {
        let (session, _) = try InspectorSession.open(DemoRecording.crash, width: 120, height: 30)
        session.type("@sensors+56\n")
        session.type("W")
        #expect(session.state.step == DemoRecording.corruptingStep)
        let grid = session.frame()
        let row = try #require(grid.position(of: "80001038  6d 6f 6d 65[74]65 72 31|mometer1|"))
        let hex = row.x + 31
        let ascii = row.x + 41
        #expect(grid.row(row.y).unicodeScalars.dropFirst(hex).prefix(2).map(String.init).joined() == "31")
        #expect(grid[ascii, row.y].character == "1")
        let title = try #require(grid.position(of: "─ Memory 80001030 "))
        let left = title.x - 1
        let bottom = try #require((title.y..<grid.height).first { grid[left, $0].character == "└" })
        var reversed: [Int] = []
        for y in (title.y + 1)..<bottom {
            for x in left..<grid.width where grid[x, y].style.attributes.contains(.reverse) {
                #expect(y == row.y, "only the row of 0x8000103f has a written byte")
                reversed.append(x)
            }
        }
        #expect(
            reversed == [hex, hex + 1, ascii], "the hex digits and the character of 0x8000103f, nothing else")
        // The cursor is on 0x8000103c, the word's first byte, bracketed and bold.
        #expect(grid[row.x + 21, row.y].character == "[")
        #expect(grid[row.x + 22, row.y].style.attributes.contains(.bold))
    }

    @Test func aBreakpointAtPCShowsADotInTheGutter() throws {
        let (session, _) = try InspectorSession.open(
            DemoRecording.crash, width: 120, height: 36, atMachineLevel: true)
        session.press(.left, .left)
        session.type("b\n")
        var grid = session.frame()
        #expect(grid.position(of: "●▶ 8000035e  jalr a5") != nil)
        #expect(grid.cells(of: "●").first?.style.attributes.contains(.bold) == true)
        // One step earlier the dot stays on its line and pc's line has none.
        session.press(.left)
        grid = session.frame()
        #expect(grid.position(of: "●  8000035e  jalr a5") != nil)
        #expect(grid.position(of: " ▶ 8000035c  addi s0,s0,24") != nil)
        #expect(grid.text.components(separatedBy: "●").count == 2)
    }
}
