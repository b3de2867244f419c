import Machine

extension Renderer {
    /// The stack as a telescope: words from sp upward, each with its offset from sp and what
    /// it points to (a return address's function, a string, the word it points at):
    ///
    /// ```
    /// +00 8000036a <poll_sensors+0x30>
    /// +04 80001034 <sensors+0x34> "thermometer1"
    /// ```
    ///
    /// A wide pane also shows each word's address. ↑/↓ scroll it while it is focused.
    static func drawStack(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let sp = view.state.x[2]
        let title = state.stackScroll > 0 ? "Stack from sp+\(state.stackScroll * 4)" : "Stack"
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .stack)
        guard inner.height > 0 else { return }
        guard !view.stack.isEmpty else {
            for (row, line) in TextFitting.wrapped(
                "sp \(hex8(sp)) is not in RAM: no stack to show.", toWidth: inner.width - 1
            ).prefix(inner.height).enumerated() {
                grid.put(line, x: inner.x, y: inner.y + row, style: Look.dim)
            }
            return
        }
        let showsAddress = inner.width >= 48
        for (row, word) in view.stack.prefix(inner.height).enumerated() {
            let y = inner.y + row
            let offset = word.address &- sp
            var text = showsAddress ? hex8(word.address) + " " : ""
            text += "+" + hexDigits(offset, width: 2) + " " + hex8(word.value)
            let end = grid.put(
                text, x: inner.x, y: y, style: offset == 0 ? Look.title : .plain, maxWidth: inner.width)
            if let pointee = word.pointee {
                let room = inner.x + inner.width - 1 - end
                grid.put(
                    " " + describe(pointee, width: room - 1), x: end, y: y, style: look(of: pointee),
                    maxWidth: room)
            }
        }
        if view.stack.count > inner.height { borderNote(&grid, box, "more ↓", onTop: false) }
    }
}
