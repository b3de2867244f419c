/// Text read from an untrusted file (a recording, an ELF), made safe to show: a firmware name,
/// an end detail, a marker text or a symbol name can hold terminal escape sequences (which
/// would recolour, retitle or clear the user's terminal) or megabytes of characters.
///
/// Every such string passes through `displayable(_:)` once, where it is read (the recording's
/// reading layer, the ELF loader), so no display code needs to care:
///
///     "fw\u{1B}[2J.elf"            →  fw\u{1B}[2J.elf   (the escape shown, not obeyed)
///     "line one\nline two"         →  line one\nline two
///     10 MB of "x"                 →  200 × "x" followed by "…"
public enum UntrustedText {
    /// How many Unicode scalars a shown string keeps before its ellipsis.
    public static let displayedLength = 200

    /// `text` with control characters, and characters that reorder or break a line, written
    /// as escapes (`\n`, `\t`, `\r`, `\u{1B}`), cut to `limit` Unicode scalars with an
    /// ellipsis. Counting scalars (not characters) also bounds a "character" made of a million
    /// combining marks.
    public static func displayable(_ text: String, limit: Int = displayedLength) -> String {
        var shown = String.UnicodeScalarView()
        var count = 0
        for scalar in text.unicodeScalars {
            let escaped = escape(scalar)
            guard count + escaped.count <= limit else {
                shown.append("…")
                return String(shown)
            }
            shown.append(contentsOf: escaped)
            count += escaped.count
        }
        return String(shown)
    }

    private static func escape(_ scalar: Unicode.Scalar) -> String.UnicodeScalarView {
        switch scalar.value {
        case 0x0A: return "\\n".unicodeScalars
        case 0x09: return "\\t".unicodeScalars
        case 0x0D: return "\\r".unicodeScalars
        case 0x00...0x1F, 0x7F...0x9F,
            // Bidirectional overrides, isolates and marks (they reorder what follows), and the
            // Unicode line and paragraph separators.
            0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069:
            return "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars
        default: return String.UnicodeScalarView([scalar])
        }
    }
}
