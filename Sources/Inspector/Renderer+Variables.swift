extension Renderer {
    /// The watch expressions, then the selected frame's arguments and locals, as gdb prints
    /// them; ▸ on what expands (→), ▾ on what is expanded, its members indented under it.
    /// Values the last move changed are bold and starred, so that they show without colour:
    ///
    /// ```
    ///   sensors[2].read = 0x31726574
    ///   ▾ sensor = 0x80001034 <sensors+48>
    ///       name = "thermome"
    /// *     read = 0x31726574
    ///   i = 2
    /// ```
    ///
    /// The selected row is reversed while the pane is focused, and its type is on the bottom
    /// border.
    static func drawVariables(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ source: SourceView?, _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let isFocused = state.focus == .variables
        var title = "Variables"
        if let frame = source?.frame { title += ": \(frame.function)" }
        let inner = frame(&grid, box, title: title, isFocused: isFocused)
        guard inner.height > 0 else { return }
        let rows = source?.variables ?? []
        guard !rows.isEmpty else {
            let text =
                source?.frame == nil
                ? "No frame here." : "No arguments or locals here. p watches a C expression."
            for (row, line) in TextFitting.wrapped(text, toWidth: inner.width - 2).prefix(inner.height)
                .enumerated()
            {
                grid.put(line, x: inner.x + 1, y: inner.y + row, style: Look.dim)
            }
            return
        }
        let selected = rows.firstIndex { $0.id == state.selectedVariable } ?? 0
        let first = max(0, min(selected - inner.height + 1, rows.count - inner.height))
        for (offset, variable) in rows.dropFirst(first).prefix(inner.height).enumerated() {
            let y = inner.y + offset
            let isSelected = isFocused && first + offset == selected
            let expander = variable.isExpandable ? (variable.isExpanded ? "▾ " : "▸ ") : "  "
            let indent = String(repeating: "  ", count: variable.depth)
            var style: Style = variable.isError ? Look.error : variable.isChanged ? Look.changed : .plain
            if isSelected {
                style = Style(foreground: style.foreground, attributes: style.attributes.union(.reverse))
                grid.fill(x: inner.x + 1, y: y, width: inner.width - 1, height: 1, style: style)
            }
            if variable.isChanged { grid.put("*", x: inner.x, y: y, style: Look.changed) }
            // One column stays blank before the border, so a value never touches it.
            let end = grid.put(
                indent + expander + variable.name, x: inner.x + 1, y: y,
                style: variable.kind == .watch && style == .plain ? Look.annotation : style,
                maxWidth: inner.width - 2)
            grid.put(
                " = " + variable.value, x: end, y: y, style: style, maxWidth: inner.x + inner.width - 1 - end)
        }
        if isFocused, rows.indices.contains(selected), !rows[selected].type.isEmpty {
            borderNote(&grid, box, rows[selected].type, onTop: false)
        } else if rows.count > first + inner.height {
            borderNote(&grid, box, "\(rows.count - first - inner.height) more ↓", onTop: false)
        }
        if first > 0 { borderNote(&grid, box, "↑ \(first) more", onTop: true) }
    }
}
