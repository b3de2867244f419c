/// Fitting text into a number of cells without cutting a word or a number in half.
///
/// A screen never shows part of a value: `mepc 317` reads as a different number, and a
/// person cannot tell it was cut. So text that does not fit loses whole words, and an
/// ellipsis says that something is missing:
///
/// ```
/// truncated("mtvec 00000000 direct   mepc 31726574", toWidth: 30)  // "mtvec 00000000 direct   mepc…"
/// truncated("80001034", toWidth: 5)                               // "…" (never "8000…")
/// wrapped("Last trap: instruction access fault", toWidth: 20)      // ["Last trap:", "instruction access", "fault"]
/// ```
///
/// Widths count Unicode scalars: one scalar is one cell on a `ScreenGrid`.
public enum TextFitting {
    /// What marks text that was cut.
    public static let ellipsis: Unicode.Scalar = "…"

    /// `text` in at most `width` cells: whole when it fits; else cut at the last space (or, in
    /// a single long word, after the last punctuation) that leaves room for `…`. A word that
    /// could be a number (it holds a digit, or it is all hex digits) is never cut inside: it goes
    /// whole. Trailing spaces that do not fit are dropped
    /// without an ellipsis, since nothing visible is lost.
    public static func truncated(_ text: String, toWidth width: Int) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > width else { return text }
        guard width > 0 else { return "" }
        if scalars[width...].allSatisfy({ $0 == " " }) {
            return String(String.UnicodeScalarView(scalars[..<width]))
        }
        var kept = Array(scalars[..<(width - 1)])
        let cutsInsideAWord = scalars[width - 1] != " " && kept.last.map { $0 != " " } == true
        if cutsInsideAWord {
            if let space = kept.lastIndex(of: " ") {
                kept.removeSubrange(space...)
            } else if let punctuation = kept.lastIndex(where: { !isWordScalar($0) }) {
                kept.removeSubrange((punctuation + 1)...)
            } else if kept.contains(where: { ("0"..."9").contains($0) }) || kept.allSatisfy(\.isHexDigit) {
                kept.removeAll()
            }
        }
        while kept.last == " " { kept.removeLast() }
        kept.append(ellipsis)
        return String(String.UnicodeScalarView(kept))
    }

    /// `text` broken at spaces into lines of at most `width` cells; a word longer than a line
    /// is truncated (with `…`) on a line of its own.
    public static func wrapped(_ text: String, toWidth width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var line = ""
        var lineCount = 0
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let wordCount = word.unicodeScalars.count
            if lineCount > 0 && lineCount + 1 + wordCount <= width {
                line += " " + word
                lineCount += 1 + wordCount
                continue
            }
            if lineCount > 0 { lines.append(line) }
            line = truncated(String(word), toWidth: width)
            lineCount = line.unicodeScalars.count
        }
        if lineCount > 0 { lines.append(line) }
        return lines
    }

    /// Letters, digits and `_`: the scalars a single-word cut must not split after.
    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_"
    }
}

extension Unicode.Scalar {
    fileprivate var isHexDigit: Bool {
        ("0"..."9").contains(self) || ("a"..."f").contains(self) || ("A"..."F").contains(self)
    }
}
