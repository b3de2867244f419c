import Machine

extension Renderer {
    /// Disassembly around pc: labels where symbols start, the current line marked ▶ and
    /// reversed, breakpoints ● in the gutter.
    static func drawCode(_ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box) {
        let title = "Code" + (view.function.map { ": \($0)" } ?? "")
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .code)
        guard inner.height > 0 else { return }
        // Lines to draw: labels interleaved with instructions.
        var lines: [(text: String, address: UInt32?, isLabel: Bool)] = []
        var currentLine = 0
        for line in view.code {
            if let label = line.label { lines.append(("\(label):", nil, true)) }
            if line.address == view.state.pc { currentLine = lines.count }
            lines.append((line.text, line.address, false))
        }
        let first = max(0, min(currentLine - inner.height / 3, lines.count - inner.height))
        for (row, line) in lines.dropFirst(first).prefix(inner.height).enumerated() {
            let y = inner.y + row
            if line.isLabel {
                grid.put(line.text, x: inner.x + 1, y: y, style: Look.label, maxWidth: inner.width - 1)
                continue
            }
            guard let address = line.address else { continue }
            let isCurrent = address == view.state.pc
            let hasBreakpoint = state.breakpoints.contains(address)
            if hasBreakpoint { grid[inner.x, y] = .init("●", Look.breakpoint) }
            let marker = isCurrent ? "▶" : " "
            let text = "\(marker) \(hex8(address))  \(line.text)"
            if isCurrent {
                grid.fill(x: inner.x + 1, y: y, width: inner.width - 1, height: 1, style: Look.current)
            }
            grid.put(text, x: inner.x + 1, y: y, style: isCurrent ? Look.current : .plain, maxWidth: inner.width - 1)
        }
        if view.code.isEmpty {
            let lines = [
                "pc \(hex8(view.state.pc)) is not code: nothing to disassemble.",
                view.state.csr.mcause != 0 ? "Last trap: \(TrapCause.name(of: view.state.csr.mcause)) at mepc \(hex8(view.state.csr.mepc))." : "",
                "Step back (←) to the instruction that led here.",
            ]
            for (row, line) in lines.enumerated() {
                grid.put(line, x: inner.x + 1, y: inner.y + row, style: row == 0 ? Look.error : .plain, maxWidth: inner.width - 1)
            }
        }
    }
}
