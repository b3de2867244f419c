import Screen

/// The escape sequences terminals send for special keys, whatever the terminfo entry says.
///
/// terminfo entries disagree with what terminal multiplexers actually send: under tmux with
/// `TERM=screen-256color`, Shift-Left arrives as `ESC [1;2D`, which that entry does not list,
/// and under `TERM=xterm-256color` tmux sends Home as `ESC [1~` where the entry expects
/// `ESC OH`. `TerminalScreen` teaches curses every sequence here that the entry lacks
/// (`define_key`), and decodes any sequence curses still hands over byte by byte.
///
/// Modified arrows (Shift, Alt, Ctrl in any combination: xterm's `;2` … `;8`) all count as the
/// shifted arrow, modified Home/End as Home/End, modified PageUp/PageDown/Delete as themselves.
enum KeySequences {
    /// Each sequence without its leading ESC, and the key it stands for.
    static let all: [(sequence: String, key: Key)] = {
        var table: [(String, Key)] = []
        let arrows: [(final: Character, plain: Key, shifted: Key)] = [
            ("A", .up, .shiftUp), ("B", .down, .shiftDown), ("C", .right, .shiftRight),
            ("D", .left, .shiftLeft),
        ]
        let modifiers = 2...8
        for arrow in arrows {
            table.append(("[\(arrow.final)", arrow.plain))
            table.append(("O\(arrow.final)", arrow.plain))
            for modifier in modifiers {
                table.append(("[1;\(modifier)\(arrow.final)", arrow.shifted))
            }
            // rxvt: Shift as `ESC [a`, Ctrl as `ESC Oa`.
            let lower = Character(arrow.final.lowercased())
            table.append(("[\(lower)", arrow.shifted))
            table.append(("O\(lower)", arrow.shifted))
        }
        for (final, key) in [("H", Key.home), ("F", Key.end)] {
            table.append(("[\(final)", key))
            table.append(("O\(final)", key))
            for modifier in modifiers {
                table.append(("[1;\(modifier)\(final)", key))
            }
        }
        let tilde: [(code: Int, key: Key)] = [
            (1, .home), (7, .home), (4, .end), (8, .end), (3, .delete), (5, .pageUp), (6, .pageDown),
        ]
        for entry in tilde {
            table.append(("[\(entry.code)~", entry.key))
            for modifier in modifiers {
                table.append(("[\(entry.code);\(modifier)~", entry.key))
            }
            // rxvt: Shift as `$`, Ctrl as `^`.
            table.append(("[\(entry.code)$", entry.key))
            table.append(("[\(entry.code)^", entry.key))
        }
        table.append(("[Z", .backTab))
        table.append(("OM", .enter))
        for (index, final) in ["P", "Q", "R", "S"].enumerated() {
            table.append(("O\(final)", .function(index + 1)))
        }
        // Linux console F1–F5.
        for (index, final) in ["A", "B", "C", "D", "E"].enumerated() {
            table.append(("[[\(final)", .function(index + 1)))
        }
        let functionCodes = [11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24]
        for (index, code) in functionCodes.enumerated() {
            table.append(("[\(code)~", .function(index + 1)))
        }
        return table
    }()

    private static let keysBySequence: [String: Key] = Dictionary(
        all, uniquingKeysWith: { first, _ in first })

    /// The key that `sequence` (the bytes after ESC) stands for, or nil if it is not one of
    /// `all` (an unknown sequence: Insert, Ctrl-F5, a mouse report…).
    static func key(for sequence: String) -> Key? {
        keysBySequence[sequence]
    }

    /// Whether `sequence` (the bytes after ESC, so far) is a complete control sequence:
    /// `O` plus one byte, or `[` plus parameters ending in a final byte (`@`…`~`), with the
    /// Linux console's `[[` plus a letter.
    static func isComplete(_ sequence: [UInt8]) -> Bool {
        guard let introducer = sequence.first else { return false }
        switch introducer {
        case UInt8(ascii: "O"):
            return sequence.count >= 2
        case UInt8(ascii: "["):
            if sequence.count >= 2 && sequence[1] == UInt8(ascii: "[") { return sequence.count >= 3 }
            guard sequence.count >= 2, let last = sequence.last else { return false }
            // rxvt ends modified keys with `$` and `^`, which ECMA-48 counts as intermediates.
            return (0x40...0x7E).contains(last) || (sequence.count > 2 && (last == UInt8(ascii: "$")))
        default:
            return true
        }
    }

    /// The longest sequence worth waiting for; anything longer is abandoned.
    static let maximumLength = 16
}
