@preconcurrency import CNCurses
import Screen

/// How curses' answers from `get_wch` become `Key`s: key codes (`KEY_LEFT`), control bytes
/// (raw mode delivers Ctrl-C as byte 3) and characters.
enum KeyTranslation {
    /// The key for a curses key code (`get_wch` returned `KEY_CODE_YES`), nil for codes the
    /// inspector has no use for (mouse, Insert, keypad centre, F13 and up…) and for codes curses assigned
    /// at run time (those go through `TerminalScreen`'s table of defined sequences).
    static func key(forCode code: Int32) -> Key? {
        switch code {
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_LEFT: return .left
        case KEY_RIGHT: return .right
        case KEY_SR: return .shiftUp  // "scroll backward": terminfo's kri, xterm's Shift-Up
        case KEY_SF: return .shiftDown  // "scroll forward": kind, Shift-Down
        case KEY_SLEFT: return .shiftLeft
        case KEY_SRIGHT: return .shiftRight
        case KEY_HOME, KEY_SHOME, KEY_BEG, KEY_A1: return .home
        case KEY_END, KEY_SEND, KEY_C1: return .end
        case KEY_PPAGE, KEY_SPREVIOUS, KEY_A3: return .pageUp
        case KEY_NPAGE, KEY_SNEXT, KEY_C3: return .pageDown
        case KEY_ENTER: return .enter
        case KEY_BACKSPACE: return .backspace
        case KEY_DC, KEY_SDC: return .delete
        case KEY_BTAB: return .backTab
        case KEY_SUSPEND: return .control("z")  // the Linux console lists Ctrl-Z as its suspend key
        case KEY_RESIZE: return .resize
        // F13 and up are modified F1–F12 in xterm's entries (Shift-F1 is F13, Ctrl-F5 F29);
        // like other modified function keys, they are not keys here.
        case KEY_F0 + 1...KEY_F0 + 12: return .function(Int(code - KEY_F0))
        default: return nil
        }
    }

    /// The key for a character `get_wch` returned (a Unicode scalar value, or a control byte),
    /// nil for control bytes that stand for nothing here (Ctrl-Space, Ctrl-\ …). ESC is
    /// `.escape`; telling a lone Escape from the start of a sequence is the caller's job.
    static func key(forCharacter value: UInt32) -> Key? {
        switch value {
        case 9: return .tab
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 27: return .escape
        case 1...26:
            guard let letter = Unicode.Scalar(UInt32(UInt8(ascii: "a")) + value - 1) else { return nil }
            return .control(Character(letter))
        case 0..<32, 0x80..<0xA0: return nil
        default:
            guard let scalar = Unicode.Scalar(value) else { return nil }
            return .character(Character(scalar))
        }
    }

    /// The key for a terminfo capability name that curses reports for a key it learned from
    /// the terminal's extended entries: `kLFT5` (Ctrl-Left), `kHOM3` (Alt-Home)…; modified
    /// arrows count as shifted arrows, as in `KeySequences`.
    static func key(forCapabilityName name: String) -> Key? {
        let prefixes: [(String, Key)] = [
            ("kLFT", .shiftLeft), ("kRIT", .shiftRight), ("kUP", .shiftUp), ("kDN", .shiftDown),
            ("kHOM", .home), ("kEND", .end), ("kPRV", .pageUp), ("kNXT", .pageDown), ("kDC", .delete),
        ]
        for (prefix, key) in prefixes where name.hasPrefix(prefix) {
            let modifier = name.dropFirst(prefix.count)
            if modifier.isEmpty || modifier.allSatisfy(\.isNumber) { return key }
        }
        return nil
    }
}
