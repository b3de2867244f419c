extension Renderer {
    /// The firmware's console output up to this step, newest at the bottom.
    static func drawConsole(_ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box) {
        guard box.width > 0 else { return }
        let scroll = min(state.consoleScroll, max(0, view.console.count - 1))
        let title = scroll > 0 ? "Console (scrolled \(scroll))" : "Console"
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .console)
        guard inner.height > 0 else { return }
        let end = max(0, view.console.count - scroll)
        let lines = view.console[max(0, end - inner.height)..<end]
        for (row, line) in lines.enumerated() {
            grid.put(line, x: inner.x, y: inner.y + row, maxWidth: inner.width)
        }
        if view.console.isEmpty {
            grid.put("(no output yet)", x: inner.x, y: inner.y, style: Look.dim)
        }
    }
}
