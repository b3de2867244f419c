import DebugInfo
import Machine

extension Renderer {
    /// The call stack, innermost first, as gdb's `bt` names the frames; the selected one
    /// marked ▶ (reversed while the pane is focused), and why unwinding stopped early (`no
    /// unwind information for trap_vector`) when it did:
    ///
    /// ```
    ///  #0 00000000 ??
    /// ▶#1 poll_sensors sensorhub.c:80
    ///  #2 main sensorhub.c:112
    /// ```
    ///
    /// A wide pane shows every frame's pc; a narrow one only where there is no source line, and
    /// the line without its file where the file does not fit (`#1 register_sensor line 61`,
    /// narrower `#1 register_sensor :61`).
    static func drawCallStack(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ source: SourceView?, _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let isFocused = state.focus == .callStack
        let inner = frame(&grid, box, title: "Call stack", isFocused: isFocused)
        guard inner.height > 0 else { return }
        guard let source, !source.frames.isEmpty else {
            grid.put(
                "No frames here.", x: inner.x + 1, y: inner.y, style: Look.dim, maxWidth: inner.width - 2)
            return
        }
        let showsPC = inner.width >= 44
        var rows: [(text: String, style: Style, isSelected: Bool)] = source.frames.enumerated().map {
            index, frame in
            var text = "#\(index) "
            if showsPC || frame.location == nil { text += hex8(frame.pc) + " " }
            text += frame.function
            if frame.isInlined { text += " [inlined]" }
            if frame.isTrapHandler { text += " [trap]" }
            if let location = frame.location {
                // Where the file does not fit, the line alone.
                let fitting = [" \(location)", " line \(location.line)", " :\(location.line)"].map {
                    text + $0
                }
                text = fitting.first { $0.unicodeScalars.count <= inner.width - 2 } ?? fitting[2]
            }
            return (text, frame.location == nil ? Look.dim : .plain, index == source.selectedFrame)
        }
        if let end = source.stackEnd { rows.append((end, Look.dim, false)) }
        let first = max(0, min(source.selectedFrame - inner.height + 1, rows.count - inner.height))
        for (row, line) in rows.dropFirst(first).prefix(inner.height).enumerated() {
            let y = inner.y + row
            var style = line.style
            if line.isSelected {
                grid.put("▶", x: inner.x, y: y, style: Look.title)
                style = isFocused ? Look.current : Look.title
                if isFocused {
                    grid.fill(x: inner.x + 1, y: y, width: inner.width - 1, height: 1, style: Look.current)
                }
            }
            // One column stays blank before the border, so a value never touches it.
            grid.put(line.text, x: inner.x + 1, y: y, style: style, maxWidth: inner.width - 2)
        }
        if first > 0 { borderNote(&grid, box, "↑ \(first) more", onTop: true) }
        let below = rows.count - first - inner.height
        if below > 0 { borderNote(&grid, box, "\(below) more ↓", onTop: false) }
    }
}
