import Inspector
import Testing

/// The console pane replays the firmware's bytes the way a terminal would.
@Suite("Console screen")
struct ConsoleScreenTests {
    private func lines(_ text: String) -> [String] {
        ConsoleScreen(Array(text.utf8)).lines
    }

    @Test func newlinesStartNewLines() {
        #expect(lines("ready\nHELLO\n") == ["ready", "HELLO"])
        #expect(lines("a\n\nb") == ["a", "", "b"])
    }

    @Test func carriageReturnGoesBackToTheStartAndLaterTextOverwrites() {
        #expect(lines("progress 10%\rprogress 100%\n") == ["progress 100%"])
        #expect(lines("abcdef\rXY") == ["XYcdef"], "what is not overwritten stays, as on a terminal")
        #expect(lines("line\r\nnext") == ["line", "next"])
    }

    @Test func backspaceMovesLeftWithoutErasing() {
        #expect(lines("ab\u{8}c") == ["ac"])
        #expect(lines("abc\u{8}\u{8}") == ["abc"])
        #expect(lines("\u{8}\u{8}x") == ["x"], "backspace stops at the left margin")
        #expect(lines("typo\u{8} \u{8}") == ["typ"], "the echo of a deleted character")
    }

    @Test func tabsGoToTheNextEightColumnStop() {
        #expect(lines("a\tb") == ["a       b"])
        #expect(lines("12345678\tx") == ["12345678        x"])
        #expect(lines("abcdefghij\r\tX") == ["abcdefghXj"], "a tab over text moves without erasing")
    }

    @Test func colourSequencesAreDroppedNotPassedOn() {
        #expect(lines("\u{1B}[31mred\u{1B}[0m plain") == ["red plain"])
        #expect(lines("\u{1B}[1;32;40mok") == ["ok"])
        #expect(lines("\u{1B}]0;title\u{07}text") == ["text"], "an OSC window title")
        #expect(lines("\u{1B}]0;title\u{1B}\\text") == ["text"], "an OSC ended by ST")
        #expect(lines("a\u{1B}(Bb") == ["ab"], "a character set designation")
    }

    @Test func eraseInLineClearsLikeAProgressBarExpects() {
        #expect(lines("downloading 99%\r\u{1B}[Kdone") == ["done"])
        #expect(lines("abcdef\r\u{1B}[2Kxy") == ["xy"])
        #expect(lines("abcdef\u{1B}[3D\u{1B}[K!") == ["abc!"])
    }

    @Test func otherControlCharactersShowEscaped() {
        #expect(lines("bell\u{07}") == ["bell^G"])
        #expect(lines("nul\u{0}") == ["nul^@"])
        #expect(lines("del\u{7F}") == ["del^?"])
        #expect(lines("\u{1B}\u{1}x") == ["^[^Ax"], "an ESC that starts nothing shows as ^[")
        #expect(lines("a\u{1B}") == ["a"], "an unfinished sequence at the end shows nothing yet")
    }

    @Test func c1ControlsAndReorderingCharactersShowEscaped() {
        #expect(lines("x\u{85}y") == ["x\\u{85}y"])
        #expect(lines("a\u{202E}b") == ["a\\u{202E}b"])
    }

    @Test func nothingShownIsAControlCharacter() {
        let bytes: [UInt8] = Array(0...255) + Array("\u{1B}[".utf8) + [0x41]
        for line in ConsoleScreen(bytes).lines {
            #expect(
                !line.unicodeScalars.contains { $0.value < 0x20 || (0x7F..<0xA0).contains($0.value) },
                "\(line)")
        }
    }

    @Test func invalidUTF8ShowsAsReplacementCharacters() {
        #expect(ConsoleScreen([0x61, 0xFF, 0x62]).lines == ["a\u{FFFD}b"])
        #expect(lines("température") == ["température"])
    }

    @Test func aRunawayLineStopsAtTheLastColumn() {
        let line = ConsoleScreen(
            Array(repeating: UInt8(ascii: "x"), count: ConsoleScreen.maximumColumns + 50)
        ).lines
        #expect(line.first?.count == ConsoleScreen.maximumColumns)
    }
}
