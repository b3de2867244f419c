/// The grid as plain text, one line per row with trailing spaces trimmed: what snapshot tests
/// compare (and what a person reads in a failure diff).
extension ScreenGrid {
    /// The grid as plain text, one line per row (styles dropped): what snapshot tests compare.
    public var text: String {
        (0..<height).map { y in
            var line = String(String.UnicodeScalarView((0..<width).map { self[$0, y].character }))
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}
