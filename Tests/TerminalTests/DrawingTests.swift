import CNCurses
import Screen
import Testing

@testable import Terminal

/// What reaches the screen: which cells are redrawn, which colour pairs exist, what stands in
/// for line drawing without UTF-8, when colour is off.
@Suite("Drawing")
struct DrawingTests {
    @Test func anUnchangedGridRedrawsNothing() {
        var grid = ScreenGrid(width: 10, height: 3)
        grid.put("registers", x: 0, y: 1)
        #expect(grid.changedSpans(since: grid).isEmpty)
    }

    @Test func changedCellsAreRedrawnAsRunsPerRow() {
        var before = ScreenGrid(width: 10, height: 3)
        before.put("pc 0x0100", x: 0, y: 0)
        var after = before
        after.put("0x0234", x: 3, y: 0)  // "100" becomes "234"
        after.put("!", x: 9, y: 2)
        #expect(
            after.changedSpans(since: before) == [
                GridSpan(row: 0, columns: 6..<9), GridSpan(row: 2, columns: 9..<10),
            ])
    }

    @Test func aStyleChangeAloneIsRedrawn() {
        var before = ScreenGrid(width: 4, height: 1)
        before.put("a0", x: 0, y: 0)
        var after = before
        after.restyle(x: 0, y: 0, width: 2) { $0.attributes.insert(.reverse) }
        #expect(after.changedSpans(since: before) == [GridSpan(row: 0, columns: 0..<2)])
    }

    @Test func aNewSizeRedrawsEveryRow() {
        let before = ScreenGrid(width: 4, height: 2)
        let after = ScreenGrid(width: 5, height: 2)
        #expect(
            after.changedSpans(since: before) == [
                GridSpan(row: 0, columns: 0..<5), GridSpan(row: 1, columns: 0..<5),
            ])
        #expect(after.changedSpans(since: nil).count == 2)
        #expect(ScreenGrid(width: 0, height: 3).changedSpans(since: nil).isEmpty)
    }

    @Test func colourPairsAreAllocatedOnDemandAndReused() {
        var table = ColorPairTable(capacity: 63)
        let red = ColorPairTable.Colors(foreground: .red, background: .default)
        let first = table.pair(for: red)
        #expect(first.number == 1 && first.isNew)
        let again = table.pair(for: red)
        #expect(again.number == 1 && !again.isNew)
        let second = table.pair(for: .init(foreground: .black, background: .yellow))
        #expect(second.number == 2 && second.isNew)
        #expect(table.count == 2)
    }

    @Test func theDefaultColoursNeedNoPair() {
        var table = ColorPairTable(capacity: 63)
        let plain = table.pair(for: .init(foreground: .default, background: .default))
        #expect(plain.number == 0 && !plain.isNew)
        #expect(table.count == 0)
    }

    @Test func whenPairsRunOutTheForegroundIsKept() {
        // The Linux console has 64 pairs, fewer than the 80 non-default combinations.
        var table = ColorPairTable(capacity: 2)
        _ = table.pair(for: .init(foreground: .red, background: .default))
        _ = table.pair(for: .init(foreground: .green, background: .blue))
        let full = table.pair(for: .init(foreground: .red, background: .white))
        #expect(full.number == 1 && full.colors == .init(foreground: .red, background: .default))
        let nothingLeft = table.pair(for: .init(foreground: .cyan, background: .white))
        #expect(nothingLeft.number == 0)
    }

    @Test func styleColoursMapToCursesColours() {
        #expect(
            TerminalScreen.cursesColor(.red, isForeground: true, hasDefaultColors: true) == Int16(COLOR_RED))
        #expect(
            TerminalScreen.cursesColor(.white, isForeground: false, hasDefaultColors: true)
                == Int16(COLOR_WHITE))
        #expect(TerminalScreen.cursesColor(.default, isForeground: true, hasDefaultColors: true) == -1)
        #expect(
            TerminalScreen.cursesColor(.default, isForeground: true, hasDefaultColors: false)
                == Int16(COLOR_WHITE))
        #expect(
            TerminalScreen.cursesColor(.default, isForeground: false, hasDefaultColors: false)
                == Int16(COLOR_BLACK))
    }

    @Test func noColorMeansAnyNonEmptyValue() {
        #expect(ColorSupport.isColorDisabled(noColor: "1"))
        #expect(ColorSupport.isColorDisabled(noColor: "0"))
        #expect(!ColorSupport.isColorDisabled(noColor: ""))
        #expect(!ColorSupport.isColorDisabled(noColor: nil))
    }

    @Test func lineDrawingWithoutUTF8UsesTheAlternateCharacterSet() {
        #expect(LineDrawingFallback.acsLetter(for: "─") == UInt8(ascii: "q"))
        #expect(LineDrawingFallback.acsLetter(for: "│") == UInt8(ascii: "x"))
        #expect(LineDrawingFallback.acsLetter(for: "┌") == UInt8(ascii: "l"))
        #expect(LineDrawingFallback.acsLetter(for: "╯") == UInt8(ascii: "j"))
        #expect(LineDrawingFallback.acsLetter(for: "┼") == UInt8(ascii: "n"))
        #expect(LineDrawingFallback.acsLetter(for: "█") == UInt8(ascii: "0"))
        #expect(LineDrawingFallback.acsLetter(for: "é") == nil)
        #expect(LineDrawingFallback.asciiReplacement(for: "é") == UInt8(ascii: "?"))
        #expect(LineDrawingFallback.asciiReplacement(for: "x") == UInt8(ascii: "x"))
    }
}
