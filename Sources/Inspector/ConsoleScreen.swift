/// The firmware's console output as a terminal shows it: the bytes replayed onto lines of
/// cells, with the cursor moving the way a terminal moves it.
///
/// ```
/// "50%\r75%\r100%\n"        →  "100%"            carriage return: later text overwrites
/// "ab\bc"                   →  "ac"              backspace moves left
/// "a\tb"                    →  "a       b"       tab stops every 8 columns
/// "\u{1B}[31mred\u{1B}[0m"  →  "red"             escape sequences are not passed on
/// "bell\u{07}"              →  "bell^G"          other control characters show escaped
/// ```
///
/// Nothing the firmware writes reaches the user's terminal as a control character: CSI and OSC
/// sequences are consumed (erase in line and cursor left/right/column are obeyed; colours and the
/// rest are dropped), other C0 controls show in caret notation (`^[`, `^G`), C1 controls and
/// characters that reorder text as `\u{9B}`. A line holds at most `maximumColumns` cells; the
/// pane wraps longer ones at its width, as a terminal of that width would.
public struct ConsoleScreen: Equatable, Sendable {
    /// Columns between tab stops.
    public static let tabWidth = 8
    /// Cells a line can hold; the cursor stops at the last one.
    public static let maximumColumns = 1024
    /// Bytes an unfinished escape sequence may run to before it is abandoned.
    static let maximumSequenceLength = 256

    /// The lines, oldest first; the last is the cursor's.
    private var rows: [[Unicode.Scalar]] = [[]]
    private var column = 0
    private var sequence = Sequence.none

    /// Where the parser is in an escape sequence.
    private enum Sequence: Equatable, Sendable {
        case none
        /// After ESC.
        case escape
        /// After ESC and a character-set designator (`(`, `)`…): one more byte ends it.
        case characterSet
        /// After `ESC [` (or C1 CSI): parameter and intermediate bytes so far.
        case controlSequence(String)
        /// Inside a string sequence (OSC, DCS, APC, PM, SOS) until BEL or `ESC \`; `sawEscape`
        /// when the last byte was ESC.
        case string(length: Int, sawEscape: Bool)
    }

    /// A blank screen.
    public init() {}

    /// The screen after `bytes` (UTF-8; invalid sequences show as U+FFFD).
    public init(_ bytes: [UInt8]) {
        write(bytes)
    }

    /// The lines as text, oldest first, without the trailing spaces a terminal shows as
    /// nothing. A final empty line (output that ends in a newline) is left out.
    public var lines: [String] {
        var shown = rows
        if shown.count > 1 && shown.last?.isEmpty == true { shown.removeLast() }
        return shown.map { row in
            String(String.UnicodeScalarView(row[..<(row.lastIndex { $0 != " " }.map { $0 + 1 } ?? 0)]))
        }
    }

    /// Replays `bytes` onto the screen.
    public mutating func write(_ bytes: [UInt8]) {
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            write(scalar)
        }
    }

    private mutating func write(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        switch sequence {
        case .none:
            break
        case .escape:
            sequence = .none
            switch scalar {
            case "[": sequence = .controlSequence("")
            case "]", "P", "X", "^", "_": sequence = .string(length: 0, sawEscape: false)
            case "(", ")", "*", "+", "-", ".", "/", "#", "%", " ": sequence = .characterSet
            case _ where (0x30...0x7E).contains(value): break  // ESC 7, ESC c…: nothing to show
            default:
                // Not a sequence: show the ESC, then the character for what it is.
                put("^[")
                write(scalar)
            }
            return
        case .characterSet:
            sequence = .none
            return
        case .controlSequence(let parameters):
            if (0x20...0x3F).contains(value) && parameters.unicodeScalars.count < Self.maximumSequenceLength {
                sequence = .controlSequence(parameters + String(scalar))
                return
            }
            sequence = .none
            if (0x40...0x7E).contains(value) {
                obey(final: scalar, parameters: parameters)
                return
            }
        // Anything else ends the sequence and is handled as itself, below.
        case .string(let length, let sawEscape):
            if value == 0x07 || (sawEscape && scalar == "\\") || length >= Self.maximumSequenceLength {
                sequence = .none
            } else {
                sequence = .string(length: length + 1, sawEscape: value == 0x1B)
            }
            return
        }
        switch value {
        case 0x0A:
            rows.append([])
            column = 0
        case 0x0D: column = 0
        case 0x08: column = max(0, column - 1)
        case 0x09: column = min(Self.maximumColumns - 1, (column / Self.tabWidth + 1) * Self.tabWidth)
        case 0x1B: sequence = .escape
        case 0x9B: sequence = .controlSequence("")
        case 0x90, 0x98, 0x9D, 0x9E, 0x9F: sequence = .string(length: 0, sawEscape: false)
        case 0x00..<0x20: put("^" + String(Unicode.Scalar(UInt8(value) + 0x40)))
        case 0x7F: put("^?")
        case 0x80..<0xA0,
            // Bidirectional overrides, isolates and marks, and the line and paragraph separators:
            // they would reorder or break what the pane shows.
            0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            put("\\u{\(String(value, radix: 16, uppercase: true))}")
        default: put(String(scalar))
        }
    }

    /// Writes `text` at the cursor, overwriting what is there.
    private mutating func put(_ text: String) {
        let last = rows.count - 1
        for scalar in text.unicodeScalars {
            guard column < Self.maximumColumns else { return }
            if rows[last].count < column {
                rows[last] += Array(repeating: " ", count: column - rows[last].count)
            }
            if column < rows[last].count {
                rows[last][column] = scalar
            } else {
                rows[last].append(scalar)
            }
            column += 1
        }
    }

    /// The control sequences a progress line uses (ECMA-48 8.3): erase in line (`K`), cursor
    /// forward (`C`), backward (`D`) and to a column (`G`). The rest (colours first) are dropped.
    private mutating func obey(final: Unicode.Scalar, parameters: String) {
        let number = Int(parameters.prefix { $0.isNumber })
        let last = rows.count - 1
        switch final {
        case "K":
            switch number ?? 0 {
            case 0: if column < rows[last].count { rows[last].removeSubrange(column...) }
            case 1:
                for index in 0..<min(column + 1, rows[last].count) { rows[last][index] = " " }
            case 2: rows[last] = []
            default: break
            }
            while rows[last].last == " " { rows[last].removeLast() }
        case "C": column = min(Self.maximumColumns - 1, column + max(1, number ?? 1))
        case "D": column = max(0, column - max(1, number ?? 1))
        case "G": column = min(Self.maximumColumns - 1, max(1, number ?? 1) - 1)
        default: break
        }
    }
}
