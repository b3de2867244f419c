import Machine

extension Renderer {
    /// Hex and ASCII. Bytes the last step wrote are reversed; bytes that differ from the mark's
    /// step are underlined; the cursor byte is bracketed.
    static func drawMemory(_ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box) {
        guard box.width > 0 else { return }
        var title = "Memory \(hex8(state.memoryAddress))"
        if let register = state.memoryFollowsRegister { title += " = \(RegisterNames.abi[register])" }
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .memory)
        guard inner.height > 0 else { return }
        let perRow = Layout.memoryBytesPerRow(box)
        for row in 0..<inner.height {
            let rowAddress = state.memoryAddress &+ UInt32(row * perRow)
            let y = inner.y + row
            grid.put(hex8(rowAddress), x: inner.x, y: y, style: Look.dim)
            var x = inner.x + 9
            var ascii = inner.x + 10 + perRow * 3
            grid[ascii - 1, y] = .init("|", Look.dim)
            for column in 0..<perRow {
                let offset = row * perRow + column
                let address = rowAddress &+ UInt32(column)
                let byte = offset < view.memory.count ? view.memory[offset] : nil
                var style = Style.plain
                if offset < view.writtenByLastStep.count && view.writtenByLastStep[offset] {
                    style = Look.written
                } else if offset < view.changedSinceMark.count && view.changedSinceMark[offset] {
                    style = Look.sinceMark
                }
                let isCursor = address == state.memoryCursor
                if isCursor { grid[x, y] = .init("[", Look.cursor) }
                let text = byte.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) } ?? "--"
                grid.put(text, x: x + 1, y: y, style: isCursor ? Style(foreground: style.foreground, background: style.background, attributes: style.attributes.union(.bold)) : style)
                if isCursor { grid[x + 3, y] = .init("]", Look.cursor) }
                let character: Unicode.Scalar = byte.flatMap { (0x20..<0x7F).contains($0) ? Unicode.Scalar($0) : nil } ?? "."
                grid[ascii, y] = .init(character, style)
                x += 3
                ascii += 1
            }
            grid[ascii, y] = .init("|", Look.dim)
        }
    }
}
