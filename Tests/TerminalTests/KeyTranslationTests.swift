import CNCurses
import Screen
import Testing

@testable import Terminal

/// The key tables: what a person pressing a key in tmux, xterm or the Linux console gets.
@Suite("Key translation")
struct KeyTranslationTests {
    @Test func tmuxShiftArrowsAreShiftedArrowsWhateverTheTerminfoEntry() {
        // What tmux 3.3 sends for S-Left, S-Right, S-Up, S-Down (xterm-keys on).
        #expect(KeySequences.key(for: "[1;2D") == .shiftLeft)
        #expect(KeySequences.key(for: "[1;2C") == .shiftRight)
        #expect(KeySequences.key(for: "[1;2A") == .shiftUp)
        #expect(KeySequences.key(for: "[1;2B") == .shiftDown)
    }

    @Test func ctrlAndAltArrowsCountAsShiftedArrows() {
        #expect(KeySequences.key(for: "[1;5D") == .shiftLeft)
        #expect(KeySequences.key(for: "[1;3C") == .shiftRight)
        #expect(KeySequences.key(for: "Od") == .shiftLeft)  // rxvt Ctrl-Left
        #expect(KeySequences.key(for: "[c") == .shiftRight)  // rxvt Shift-Right
    }

    @Test func plainArrowsInBothCursorModes() {
        #expect(KeySequences.key(for: "[D") == .left)
        #expect(KeySequences.key(for: "OD") == .left)
        #expect(KeySequences.key(for: "OA") == .up)
    }

    @Test func everyHomeAndEndSpellingIsHomeAndEnd() {
        for sequence in ["[1~", "[7~", "[H", "OH", "[1;2H", "[7$"] {
            #expect(KeySequences.key(for: sequence) == .home, "ESC \(sequence)")
        }
        for sequence in ["[4~", "[8~", "[F", "OF", "[1;2F", "[8^"] {
            #expect(KeySequences.key(for: sequence) == .end, "ESC \(sequence)")
        }
    }

    @Test func pagingDeleteBackTabAndKeypadEnter() {
        #expect(KeySequences.key(for: "[5~") == .pageUp)
        #expect(KeySequences.key(for: "[6~") == .pageDown)
        #expect(KeySequences.key(for: "[3~") == .delete)
        #expect(KeySequences.key(for: "[Z") == .backTab)
        #expect(KeySequences.key(for: "OM") == .enter)
    }

    @Test func functionKeysOneToTwelve() {
        let sequences = [
            "OP", "OQ", "OR", "OS", "[15~", "[17~", "[18~", "[19~", "[20~", "[21~", "[23~", "[24~",
        ]
        for (index, sequence) in sequences.enumerated() {
            #expect(KeySequences.key(for: sequence) == .function(index + 1), "ESC \(sequence)")
        }
        #expect(KeySequences.key(for: "[[A") == .function(1))  // Linux console
    }

    @Test func sequencesThatAreNotKeysAreUnknown() {
        #expect(KeySequences.key(for: "[2~") == nil)  // Insert
        #expect(KeySequences.key(for: "[15;5~") == nil)  // Ctrl-F5
        #expect(KeySequences.key(for: "[M") == nil)
    }

    @Test func noSequenceIsListedTwiceWithDifferentKeys() {
        var seen: [String: Key] = [:]
        for (sequence, key) in KeySequences.all {
            if let earlier = seen[sequence] { #expect(earlier == key, "ESC \(sequence)") }
            seen[sequence] = key
        }
    }

    @Test func aSequenceIsCompleteAtItsFinalByte() {
        #expect(!KeySequences.isComplete(Array("[1;2".utf8)))
        #expect(KeySequences.isComplete(Array("[1;2D".utf8)))
        #expect(!KeySequences.isComplete(Array("O".utf8)))
        #expect(KeySequences.isComplete(Array("OP".utf8)))
        #expect(!KeySequences.isComplete(Array("[[".utf8)))
        #expect(KeySequences.isComplete(Array("[[A".utf8)))
        #expect(KeySequences.isComplete(Array("[7$".utf8)))
    }

    @Test func controlBytesInRawMode() {
        #expect(KeyTranslation.key(forCharacter: 3) == .control("c"))
        #expect(KeyTranslation.key(forCharacter: 1) == .control("a"))
        #expect(KeyTranslation.key(forCharacter: 26) == .control("z"))
        #expect(KeyTranslation.key(forCharacter: 9) == .tab)
        #expect(KeyTranslation.key(forCharacter: 13) == .enter)
        #expect(KeyTranslation.key(forCharacter: 10) == .enter)
        #expect(KeyTranslation.key(forCharacter: 127) == .backspace)
        #expect(KeyTranslation.key(forCharacter: 8) == .backspace)
        #expect(KeyTranslation.key(forCharacter: 27) == .escape)
        #expect(KeyTranslation.key(forCharacter: 0) == nil)
        #expect(KeyTranslation.key(forCharacter: 28) == nil)
    }

    @Test func printableCharactersIncludingNonASCII() {
        #expect(KeyTranslation.key(forCharacter: UInt32(UInt8(ascii: "q"))) == .character("q"))
        #expect(KeyTranslation.key(forCharacter: 0xE9) == .character("é"))
        #expect(KeyTranslation.key(forCharacter: 0x20AC) == .character("€"))
        #expect(KeyTranslation.key(forCharacter: 0x85) == nil)  // C1 control
        #expect(KeyTranslation.key(forCharacter: 0xD800) == nil)  // not a scalar
    }

    @Test func cursesKeyCodes() {
        #expect(KeyTranslation.key(forCode: KEY_LEFT) == .left)
        #expect(KeyTranslation.key(forCode: KEY_SLEFT) == .shiftLeft)
        #expect(KeyTranslation.key(forCode: KEY_SRIGHT) == .shiftRight)
        #expect(KeyTranslation.key(forCode: KEY_SR) == .shiftUp)
        #expect(KeyTranslation.key(forCode: KEY_SF) == .shiftDown)
        #expect(KeyTranslation.key(forCode: KEY_HOME) == .home)
        #expect(KeyTranslation.key(forCode: KEY_END) == .end)
        #expect(KeyTranslation.key(forCode: KEY_PPAGE) == .pageUp)
        #expect(KeyTranslation.key(forCode: KEY_NPAGE) == .pageDown)
        #expect(KeyTranslation.key(forCode: KEY_ENTER) == .enter)
        #expect(KeyTranslation.key(forCode: KEY_BACKSPACE) == .backspace)
        #expect(KeyTranslation.key(forCode: KEY_DC) == .delete)
        #expect(KeyTranslation.key(forCode: KEY_BTAB) == .backTab)
        #expect(KeyTranslation.key(forCode: KEY_RESIZE) == .resize)
        #expect(KeyTranslation.key(forCode: KEY_SUSPEND) == .control("z"))
        #expect(KeyTranslation.key(forCode: timescope_key_function(1)) == .function(1))
        #expect(KeyTranslation.key(forCode: timescope_key_function(12)) == .function(12))
        #expect(KeyTranslation.key(forCode: timescope_key_function(29)) == nil)  // Ctrl-F5 in xterm's entry
        #expect(KeyTranslation.key(forCode: KEY_IC) == nil)
    }

    @Test func extendedCapabilityNames() {
        #expect(KeyTranslation.key(forCapabilityName: "kLFT5") == .shiftLeft)
        #expect(KeyTranslation.key(forCapabilityName: "kRIT3") == .shiftRight)
        #expect(KeyTranslation.key(forCapabilityName: "kUP") == .shiftUp)
        #expect(KeyTranslation.key(forCapabilityName: "kHOM") == .home)
        #expect(KeyTranslation.key(forCapabilityName: "kEND6") == .end)
        #expect(KeyTranslation.key(forCapabilityName: "kDC5") == .delete)
        #expect(KeyTranslation.key(forCapabilityName: "kDN7") == .shiftDown)
        #expect(KeyTranslation.key(forCapabilityName: "kUPx") == nil)
        #expect(KeyTranslation.key(forCapabilityName: "kf13") == nil)
    }
}
