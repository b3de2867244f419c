import Machine

extension Renderer {
    /// pc and x1…x31 in register order, named by the ABI, so pc, ra, sp, the temporaries, s0/s1
    /// and a0…a7 come first: at 80×24 those eighteen fill the pane and the rest are "more ↓".
    /// Two to a row in a narrow pane (`pc  8000035e*  ra  8000036a`), one to a row with what
    /// each points to in a wide one (`a5  80001034  <sensors+0x34> "thermometer1"`). Values
    /// the last step changed are bold and starred. The last line shows the selected register in
    /// decimal, and what it points to when the pane has no room for that beside each register.
    ///
    /// With a caller frame selected in the call stack, they are that frame's registers as the
    /// unwinder recovered them (`????????` where the frame did not save one), unstarred.
    static func drawRegisters(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, source: SourceView? = nil,
        _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let frameRegisters = source?.frameRegisters
        let title = frameRegisters == nil ? "Registers" : "Registers · frame \(source?.selectedFrame ?? 0)"
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .registers)
        guard inner.height > 0 else { return }
        let pointees = frameRegisters == nil ? view.registerPointees : source?.framePointees ?? []
        let registers = (0..<32).map { index -> (name: String, value: UInt32?, changed: Bool) in
            let name = index == 0 ? "pc" : RegisterNames.abi[index]
            if let frameRegisters { return (name, frameRegisters[index], false) }
            if index == 0 {
                let changed = view.previousPC.map { $0 != view.state.pc } ?? false
                return (name, view.state.pc, changed)
            }
            let changed = view.previousRegisters.map { $0[index] != view.state.x[index] } ?? false
            return (name, view.state.x[index], changed)
        }
        let columns = Layout.registerColumns(innerWidth: inner.width)
        let columnWidth = inner.width / columns
        let bodyRows = max(0, inner.height - 1)
        let totalRows = (32 + columns - 1) / columns
        // The top stays put until the selection would leave the pane; then scroll whole rows.
        let selectedRow = state.selectedRegister / columns
        let firstRow = max(0, min(selectedRow - bodyRows + 1, totalRows - bodyRows))
        for row in 0..<max(0, min(bodyRows, totalRows - firstRow)) {
            for column in 0..<columns {
                let index = (firstRow + row) * columns + column
                guard index < 32 else { continue }
                let x = inner.x + column * columnWidth
                let y = inner.y + row
                let register = registers[index]
                let isSelected = index == state.selectedRegister && state.focus == .registers
                let text =
                    register.name.padding(toLength: 3, withPad: " ", startingAt: 0) + " "
                    + (register.value.map(hex8) ?? "????????") + (register.changed ? "*" : " ")
                let style = register.changed ? Look.changed : .plain
                let shown =
                    isSelected
                    ? Style(foreground: style.foreground, attributes: style.attributes.union(.reverse))
                    : style
                let end = grid.put(text, x: x, y: y, style: shown, maxWidth: columnWidth)
                if columns == 1, pointees.indices.contains(index), let pointee = pointees[index] {
                    // One column stays blank before the border, so a value never touches it.
                    let room = x + columnWidth - 1 - end
                    grid.put(
                        " " + describe(pointee, width: room - 1), x: end, y: y, style: look(of: pointee),
                        maxWidth: room)
                }
            }
        }
        let hiddenAbove = firstRow * columns
        let hiddenBelow = max(0, 32 - (firstRow + bodyRows) * columns)
        if hiddenAbove > 0 { borderNote(&grid, box, "↑ \(hiddenAbove) more", onTop: true) }
        if hiddenBelow > 0 { borderNote(&grid, box, "\(hiddenBelow) more ↓", onTop: false) }

        // The selected register: what it points to when the pane has no room to say it beside
        // each register, else (or when it is not a pointer) its decimal value.
        let selected = registers[state.selectedRegister]
        let footer: String
        if columns > 1, pointees.indices.contains(state.selectedRegister),
            let pointee = pointees[state.selectedRegister]
        {
            footer = "\(selected.name) " + describe(pointee, width: inner.width - 2 - selected.name.count)
        } else if let value = selected.value {
            // Small negative numbers read better signed; addresses and the rest unsigned.
            let signed = Int32(bitPattern: value)
            footer = "\(selected.name) = " + (signed < 0 && signed > -65536 ? String(signed) : String(value))
        } else {
            footer = "\(selected.name) not saved by frame \(source?.selectedFrame ?? 0)"
        }
        grid.put(
            footer, x: inner.x, y: inner.y + inner.height - 1, style: Look.dim, maxWidth: inner.width - 1)
    }

    /// What a pointer points to, as pwndbg and GEF write it: `<symbol+0x4>`, then the string
    /// there (`"temp"`) or the word there (`→ 8000036a <poll_sensors+0x30>`). In `width`
    /// columns: the string (or the word) is what a person wants most, so when everything does
    /// not fit the symbols go first; then it is cut (`…`).
    static func describe(_ pointee: Pointee, width: Int = .max) -> String {
        let symbol = pointee.symbol.map { "<\($0)>" }
        var detail: String?
        var shortDetail: String?
        if let string = pointee.string {
            detail = "\"\(string)\""
        } else if let word = pointee.word {
            shortDetail = "→ \(hex8(word))"
            detail = shortDetail.map { $0 + (pointee.wordSymbol.map { " <\($0)>" } ?? "") }
        }
        let candidates = [[symbol, detail], [detail], [symbol, shortDetail], [shortDetail], [symbol]].map {
            $0.compactMap { $0 }.joined(separator: " ")
        }.filter { !$0.isEmpty }
        return candidates.first { $0.unicodeScalars.count <= width }
            ?? TextFitting.truncated(candidates.first ?? "", toWidth: width)
    }

    /// Code in the labels' colour, strings in green, other data plain (the brackets, quotes and
    /// arrow say the same without colour).
    static func look(of pointee: Pointee) -> Style {
        pointee.isCode ? Look.symbol : pointee.string != nil ? Look.string : Look.dim
    }
}
