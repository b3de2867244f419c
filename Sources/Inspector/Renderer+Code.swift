import Machine

extension Renderer {
    /// Disassembly around pc: labels where symbols start, the current line marked ▶ and
    /// reversed, breakpoints ● in the gutter. The current line says what the instruction is
    /// about to do, with this step's registers and memory:
    ///
    /// ```
    /// ▶ 80000358  lw a5,8(s0)    [8000103c] = 31726574
    /// ▶ 8000027c  sb a5,-1(a0)   [8000103f] 80 → 31
    /// ▶ 80000280  bnez a5,80000274 <copy_name>   taken → <copy_name>
    /// ▶ 8000035e  jalr a5        calls → 31726574 (not code)
    /// ```
    ///
    /// In a pane too narrow for that, the note goes on a line of its own under the instruction:
    ///
    /// ```
    /// ▶ 80000358  lw a5,8(s0)
    ///   ↳ [8000103c] = 31726574
    /// ```
    ///
    /// With a caller frame selected in the call stack, it shows the code around that frame's
    /// pc (its return address), marked ▷.
    static func drawCode(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, source: SourceView? = nil,
        _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let callerFrame = source.flatMap { $0.selectedFrame > 0 ? $0.frame : nil }
        let code = callerFrame != nil ? source?.frameCode ?? [] : view.code
        let pc = callerFrame?.pc ?? view.state.pc
        let function = callerFrame.map { source?.frameSymbol ?? $0.function }
        var title = "Code" + ((function ?? view.function).map { ": \($0)" } ?? "")
        if !state.hasDebugInfo && state.debugInfoProblem != nil { title += " · no debug info" }
        if let selected = source?.selectedFrame, selected > 0 { title += " · frame \(selected)" }
        let inner = frame(&grid, box, title: title, isFocused: state.focus == .code)
        guard inner.height > 0 else { return }
        // Lines to draw: labels interleaved with instructions, and what the current instruction
        // does: beside it, in a column with the other lines' ends when there is room there; on
        // a line of its own under it when there is no room beside it at all.
        enum Kind { case label, instruction, note }
        var lines: [(text: String, address: UInt32?, kind: Kind)] = []
        var currentLine = 0
        let textWidth = min(24, code.map { $0.text.unicodeScalars.count }.max() ?? 0)
        let room = inner.width - 2 - "▶ 00000000  ".count
        for line in code {
            if let label = line.label { lines.append(("\(label):", nil, .label)) }
            guard line.address == pc, callerFrame == nil else {
                if line.address == pc { currentLine = lines.count }
                lines.append((line.text, line.address, .instruction))
                continue
            }
            currentLine = lines.count
            let note = view.current.map { describe($0, text: line.text) } ?? ""
            let length = line.text.unicodeScalars.count
            if note.isEmpty {
                lines.append((line.text, line.address, .instruction))
            } else if length + 2 + note.unicodeScalars.count <= room {
                let gap =
                    textWidth + 2 + note.unicodeScalars.count <= room ? max(2, textWidth + 2 - length) : 2
                lines.append(
                    (line.text + String(repeating: " ", count: gap) + note, line.address, .instruction))
            } else {
                lines.append((line.text, line.address, .instruction))
                lines.append(("↳ " + note, nil, .note))
            }
        }
        let first = max(0, min(currentLine - inner.height / 3, lines.count - inner.height))
        for (row, line) in lines.dropFirst(first).prefix(inner.height).enumerated() {
            let y = inner.y + row
            switch line.kind {
            case .label:
                grid.put(line.text, x: inner.x + 1, y: y, style: Look.label, maxWidth: inner.width - 1)
                continue
            case .note:
                grid.put(line.text, x: inner.x + 3, y: y, style: Look.annotation, maxWidth: inner.width - 4)
                continue
            case .instruction:
                break
            }
            guard let address = line.address else { continue }
            let isCurrent = address == pc
            let hasBreakpoint = state.breakpoints.contains(address)
            if hasBreakpoint { grid[inner.x, y] = .init("●", Look.breakpoint) }
            let marker = isCurrent ? (callerFrame == nil ? "▶" : "▷") : " "
            let text = "\(marker) \(hex8(address))  \(line.text)"
            if isCurrent {
                grid.fill(x: inner.x + 1, y: y, width: inner.width - 1, height: 1, style: Look.current)
            }
            // One column stays blank before the border, so a value never touches it.
            grid.put(
                text, x: inner.x + 1, y: y, style: isCurrent ? Look.current : .plain,
                maxWidth: inner.width - 2)
        }
        if code.isEmpty {
            var message = [
                ("pc \(hex8(pc)) is not code: nothing to disassemble.", Look.error)
            ]
            if view.state.csr.mcause != 0 {
                message.append(
                    (
                        "Last trap: \(TrapCause.name(of: view.state.csr.mcause)) at mepc \(hex8(view.state.csr.mepc)).",
                        .plain
                    ))
            }
            message.append(("Step back (←) to the instruction that led here.", .plain))
            var y = inner.y
            for (text, style) in message {
                for line in TextFitting.wrapped(text, toWidth: inner.width - 2)
                where y < inner.y + inner.height {
                    grid.put(line, x: inner.x + 1, y: y, style: style)
                    y += 1
                }
            }
        }
    }

    /// What the current instruction is about to do, in the words of its effect.
    static func describe(_ current: MachineView.CurrentInstruction, text: String) -> String {
        func value(_ value: UInt32, size: Int) -> String { hexDigits(value, width: size * 2) }
        let unreadable = "(device or unmapped)"
        switch current.effect {
        case .load(let address, let size):
            guard let loaded = current.memoryValue else { return "[\(hex8(address))] \(unreadable)" }
            let pointee = current.loadedPointee.map { " " + describe($0) } ?? ""
            return "[\(hex8(address))] = \(value(loaded, size: size))" + pointee
        case .store(let address, let size, let stored):
            let mask: UInt32 = size == 4 ? .max : (1 << (8 * UInt32(size))) - 1
            let before = current.memoryValue.map { value($0, size: size) } ?? unreadable
            return "[\(hex8(address))] \(before) → \(value(stored & mask, size: size))"
        case .readModifyWrite(let address, let operand):
            let before = current.memoryValue.map { value($0, size: 4) } ?? unreadable
            return "[\(hex8(address))] = \(before), operand \(hex8(operand))"
        case .branch(let target, let isTaken):
            guard isTaken else { return "not taken" }
            return "taken → " + (current.targetPointee?.symbol.map { "<\($0)>" } ?? hex8(target))
        case .jump(let target, let kind):
            let pointee = current.targetPointee
            let place = pointee?.symbol.map { "<\($0)>" } ?? ""
            // A direct `jal` already names its target, as objdump prints it.
            if text.contains("<"), pointee?.isCode == true { return "" }
            let verb = kind == .return ? "returns → " : kind == .call ? "calls → " : "→ "
            let notCode = pointee?.isCode == true ? "" : " (not code)"
            return verb + ([hex8(target), place].filter { !$0.isEmpty }.joined(separator: " ")) + notCode
        }
    }
}
