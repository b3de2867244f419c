import Machine

extension Renderer {
    /// Memory as hex bytes with their ASCII, as 32-bit little-endian words, or as text (`v`
    /// cycles). Bytes the last step wrote are reversed; bytes that differ from the mark's step
    /// are underlined; the cursor byte is bracketed (in text, reversed and bold). The bottom
    /// border names the cursor's address and the string there, if one starts there.
    static func drawMemory(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        var title = "Memory \(hex8(state.memoryAddress))"
        if let register = state.memoryFollowsRegister {
            title += " = \(register == 0 ? "pc" : RegisterNames.abi[register])"
        }
        if state.memoryDisplay != .bytes { title += " \(state.memoryDisplay.rawValue)" }
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .memory)
        guard inner.height > 0 else { return }
        let perRow = Layout.memoryBytesPerRow(box, display: state.memoryDisplay)
        for row in 0..<inner.height {
            let rowAddress = state.memoryAddress &+ UInt32(row * perRow)
            let y = inner.y + row
            grid.put(hex8(rowAddress), x: inner.x, y: y, style: Look.dim)
            let cells = (0..<perRow).map {
                MemoryCell(view, state, offset: row * perRow + $0, address: rowAddress &+ UInt32($0))
            }
            switch state.memoryDisplay {
            case .bytes: drawBytes(&grid, cells, x: inner.x + 9, y: y)
            case .words: drawWords(&grid, cells, x: inner.x + 9, y: y)
            case .text: drawText(&grid, cells, x: inner.x + 9, y: y)
            }
        }
        var note = "cursor \(hex8(state.memoryCursor))"
        let string = PointeeFinder.string(at: state.memoryCursor) { address, count in
            let start = Int(address &- view.memoryAddress)
            guard start + count <= view.memory.count else { return nil }
            let bytes = view.memory[start..<(start + count)]
            return bytes.contains(nil) ? nil : bytes.map { $0 ?? 0 }
        }
        if let string { note += " \"\(string)\"" }
        borderNote(&grid, box, TextFitting.truncated(note, toWidth: box.width - 8), onTop: false)
    }

    /// One byte of the pane: its value (nil where there is no memory) and how it is marked.
    private struct MemoryCell {
        var byte: UInt8?
        var style: Style
        var isCursor: Bool

        init(_ view: MachineView, _ state: InspectorState, offset: Int, address: UInt32) {
            byte = offset < view.memory.count ? view.memory[offset] : nil
            style = .plain
            if offset < view.writtenByLastStep.count && view.writtenByLastStep[offset] {
                style = Look.written
            } else if offset < view.changedSinceMark.count && view.changedSinceMark[offset] {
                style = Look.sinceMark
            }
            isCursor = address == state.memoryCursor
        }

        var hex: String { byte.map { hexDigits($0, width: 2) } ?? "--" }
        var character: Unicode.Scalar {
            byte.flatMap { (0x20..<0x7F).contains($0) ? Unicode.Scalar($0) : nil } ?? "."
        }
        var emphasized: Style {
            Style(
                foreground: style.foreground, background: style.background,
                attributes: style.attributes.union(.bold))
        }
    }

    /// `[03]00 00 00 74 65 6d 70|....temp|`
    private static func drawBytes(_ grid: inout ScreenGrid, _ cells: [MemoryCell], x: Int, y: Int) {
        var ascii = x + 1 + cells.count * 3
        grid[ascii - 1, y] = .init("|", Look.dim)
        for (column, cell) in cells.enumerated() {
            let cellX = x + column * 3
            if cell.isCursor { grid[cellX, y] = .init("[", Look.cursor) }
            grid.put(cell.hex, x: cellX + 1, y: y, style: cell.isCursor ? cell.emphasized : cell.style)
            if cell.isCursor { grid[cellX + 3, y] = .init("]", Look.cursor) }
            grid[ascii, y] = .init(cell.character, cell.style)
            ascii += 1
        }
        grid[ascii, y] = .init("|", Look.dim)
    }

    /// ` 00000003 706d6574 |....temp|`: each word's bytes in little-endian order, so the
    /// cursor byte's digits sit inside its word; the word with the cursor is bracketed.
    private static func drawWords(_ grid: inout ScreenGrid, _ cells: [MemoryCell], x: Int, y: Int) {
        let words = cells.count / 4
        var ascii = x + 2 + words * 9
        grid[ascii - 1, y] = .init("|", Look.dim)
        for word in 0..<words {
            let wordX = x + word * 9
            let bytes = cells[(word * 4)..<(word * 4 + 4)]
            if bytes.contains(where: \.isCursor) {
                grid[wordX, y] = .init("[", Look.cursor)
                grid[wordX + 9, y] = .init("]", Look.cursor)
            }
            // The most significant byte first.
            for (index, cell) in bytes.reversed().enumerated() {
                grid.put(
                    cell.hex, x: wordX + 1 + index * 2, y: y,
                    style: cell.isCursor ? cell.emphasized.adding(.underline) : cell.style)
            }
            for cell in bytes {
                grid[ascii, y] = .init(cell.character, cell.style)
                ascii += 1
            }
        }
        grid[ascii, y] = .init("|", Look.dim)
    }

    /// `····temp········` a character a byte: printable ASCII as itself, the rest as a dim `·`.
    private static func drawText(_ grid: inout ScreenGrid, _ cells: [MemoryCell], x: Int, y: Int) {
        for (column, cell) in cells.enumerated() {
            let isPrintable = cell.byte.map { (0x20..<0x7F).contains($0) } ?? false
            var style =
                isPrintable
                ? cell.style
                : Style(
                    foreground: cell.style.foreground, background: cell.style.background,
                    attributes: cell.style.attributes.union(.dim))
            if cell.isCursor { style = Style(attributes: [.reverse, .bold]) }
            grid[x + column, y] = .init(isPrintable ? cell.character : "·", style)
        }
    }
}

extension Style {
    /// The style with `attributes` added.
    fileprivate func adding(_ attributes: Attributes) -> Style {
        Style(foreground: foreground, background: background, attributes: self.attributes.union(attributes))
    }
}
