import Inspector

/// Finding things on a rendered screen, by the text a person would look for.
extension ScreenGrid {
    /// Row `y` as text (not trimmed), one character per cell.
    func row(_ y: Int) -> String {
        String(String.UnicodeScalarView((0..<width).map { self[$0, y].character }))
    }

    /// Where `text` first starts, scanning rows top to bottom and each row left to right.
    func position(of text: String) -> (x: Int, y: Int)? {
        for y in 0..<height {
            if let x = column(of: text, inRow: y) { return (x, y) }
        }
        return nil
    }

    /// The column where `text` first starts in row `y` at or after column `from`.
    func column(of text: String, inRow y: Int, from: Int = 0) -> Int? {
        let needle = Array(text.unicodeScalars)
        guard !needle.isEmpty, needle.count <= width else { return nil }
        for x in max(0, from)...(width - needle.count) {
            if needle.indices.allSatisfy({ self[x + $0, y].character == needle[$0] }) { return x }
        }
        return nil
    }

    /// The cells of `text` where it first appears (empty when it does not).
    func cells(of text: String) -> [Cell] {
        guard let start = position(of: text) else { return [] }
        return (0..<text.unicodeScalars.count).map { self[start.x + $0, start.y] }
    }
}
