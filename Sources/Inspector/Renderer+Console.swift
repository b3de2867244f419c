extension Renderer {
    /// The firmware's console output up to this step as a terminal shows it (`ConsoleScreen`),
    /// long lines wrapped at the pane's width, newest at the bottom; ↑/↓ scroll back by rows.
    static func drawConsole(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let width = max(1, box.width - 2)
        let rows = view.console.flatMap { line -> [String] in
            let scalars = Array(line.unicodeScalars)
            guard !scalars.isEmpty else { return [""] }
            return stride(from: 0, to: scalars.count, by: width).map {
                String(String.UnicodeScalarView(scalars[$0..<min(scalars.count, $0 + width)]))
            }
        }
        let scroll = min(state.consoleScroll, max(0, rows.count - 1))
        let title = scroll > 0 ? "Console (scrolled \(scroll))" : "Console"
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .console)
        guard inner.height > 0 else { return }
        let end = max(0, rows.count - scroll)
        let start = max(0, end - inner.height)
        for (row, line) in rows[start..<end].enumerated() {
            grid.put(line, x: inner.x, y: inner.y + row)
        }
        if start > 0 { borderNote(&grid, box, "↑ \(start) more", onTop: false) }
        if view.console.isEmpty {
            grid.put("(no output yet)", x: inner.x, y: inner.y, style: Look.dim)
        }
    }
}
