import DebugInfo

extension Renderer {
    /// The selected frame's source file around its line: the line marked ▶ and reversed,
    /// breakpoints ● in the gutter, and (after `x`) `+` on the lines that ran in the span
    /// collected, `-` on the lines with code that did not:
    ///
    /// ```
    ///  +  78     for (uint32_t i = 0; i < active_sensors; i++) {
    ///  +  79         struct sensor *sensor = &sensors[i];
    /// ●▶  80         uint32_t sample = sensor->read(sensor);
    ///  +  81         sensor->total = filter(sensor->total, sample);
    /// ```
    ///
    /// When the current line is too long for the pane, the indentation of every line shown is
    /// halved; a line still too long ends in `…`, cut between tokens (never inside a name or a
    /// number). The title names the file, the line and the function, and the frame when it is
    /// not the innermost.
    static func drawSource(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ source: SourceView,
        _ listing: SourceView.Listing,
        _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let location = SourceLocation(file: listing.path, line: listing.currentLine)
        var title = "Source: \(location)"
        if let function = source.frame?.function { title += " — \(function)" }
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .code)
        guard inner.height > 0 else { return }
        if let coverage = listing.coverage {
            borderNote(&grid, box, "x: + ran, - did not (\(coverage.ran.count) ran)", onTop: false)
        }
        guard !listing.lines.isEmpty else {
            let text = [
                listing.note ?? "source not available", "The frame is at line \(listing.currentLine).",
                "a shows the disassembly.",
            ]
            var y = inner.y
            for (index, paragraph) in text.enumerated() {
                for line in TextFitting.wrapped(paragraph, toWidth: inner.width - 2)
                where y < inner.y + inner.height {
                    grid.put(line, x: inner.x + 1, y: y, style: index == 0 ? Look.error : .plain)
                    y += 1
                }
            }
            return
        }
        let numberWidth = max(2, String(listing.lines.count).count)
        let current = listing.currentLine - 1
        let first = max(0, min(current - inner.height / 3, listing.lines.count - inner.height))
        let textWidth = inner.width - 4 - numberWidth
        let compacts =
            listing.lines.indices.contains(current) && listing.lines[current].unicodeScalars.count > textWidth
        for row in 0..<min(inner.height, listing.lines.count - first) {
            let index = first + row
            let number = index + 1
            let y = inner.y + row
            let isCurrent = index == current
            if listing.breakpointLines.contains(number) { grid[inner.x, y] = .init("●", Look.breakpoint) }
            var marker = isCurrent ? "▶" : " "
            var markerStyle = Look.current
            if !isCurrent, let coverage = listing.coverage {
                if coverage.ran.contains(number) {
                    marker = "+"
                    markerStyle = Look.changed
                } else if coverage.haveCode.contains(number) {
                    marker = "-"
                    markerStyle = Look.dim
                }
            }
            let digits = String(number)
            let gutter = String(repeating: " ", count: numberWidth - digits.count) + digits
            if isCurrent {
                grid.fill(x: inner.x + 1, y: y, width: inner.width - 1, height: 1, style: Look.current)
            }
            grid.put(marker, x: inner.x + 1, y: y, style: isCurrent ? Look.current : markerStyle)
            grid.put(gutter, x: inner.x + 2, y: y, style: isCurrent ? Look.current : Look.dim)
            // One column stays blank before the border, so a value never touches it.
            grid.put(
                fitted(listing.lines[index], toWidth: textWidth, compactingIndent: compacts),
                x: inner.x + 3 + numberWidth, y: y, style: isCurrent ? Look.current : .plain,
                maxWidth: textWidth)
        }
        if let note = listing.note { borderNote(&grid, box, note, onTop: true) }
    }

    /// A source line in `width` cells: its indentation halved when `compactingIndent`, then,
    /// if still too long, cut before the last token that does not fit and ended with `…`.
    static func fitted(_ line: String, toWidth width: Int, compactingIndent: Bool) -> String {
        var text = line
        if compactingIndent {
            let spaces = line.prefix { $0 == " " }.count
            text = String(repeating: " ", count: spaces / 2) + line.dropFirst(spaces)
        }
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > width else { return text }
        guard width > 1 else { return "" }
        func isWord(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "."
        }
        var cut = width - 1
        while cut > 0 && isWord(scalars[cut - 1]) && isWord(scalars[cut]) { cut -= 1 }
        while cut > 0 && scalars[cut - 1] == " " { cut -= 1 }
        return String(String.UnicodeScalarView(scalars[..<cut])) + "…"
    }
}
