extension Renderer {
    /// The help's rows (keys, what they do) with the code pane focused outside live mode: the
    /// keymap's bindings (`Keymap.helpBindings`).
    public static var helpLines: [(String, String)] {
        helpLines(isLive: false, focus: .code)
    }

    /// The help's rows for a focused pane, in or outside live mode.
    public static func helpLines(isLive: Bool, focus: InspectorState.Pane) -> [(String, String)] {
        Keymap.helpBindings(isLive: isLive, focus: focus).map { ($0.keys, $0.help) }
    }

    /// The help overlay alone on a `width` × `height` screen (what `render` draws over the panes).
    public static func helpOverlay(_ state: InspectorState, width: Int, height: Int) -> ScreenGrid {
        var grid = ScreenGrid(width: width, height: height)
        drawHelp(&grid, state)
        return grid
    }

    /// Every key that acts where the user is, as an overlay in the middle of the screen: one
    /// column when it fits, else two; ↑/↓ scroll it when even two do not fit.
    static func drawHelp(_ grid: inout ScreenGrid, _ state: InspectorState) {
        let lines = helpLines(isLive: state.live != nil, focus: state.focus)
        let columns = grid.height - 4 >= lines.count ? 1 : 2
        let rows = (lines.count + columns - 1) / columns
        let width = min(grid.width - 2, columns == 1 ? 96 : grid.width - 2)
        let height = min(grid.height - 2, rows + 2)
        let box = Layout.Box(
            x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(x: box.x, y: box.y, width: box.width, height: box.height)
        let inner = frame(&grid, box, title: "Keys — any key closes", isFocused: true)
        let scroll = min(state.overlayScroll, max(0, rows - inner.height))
        if rows > inner.height {
            borderNote(&grid, box, scroll + inner.height < rows ? "↓ more" : "↑ more", onTop: false)
        }
        let columnWidth = inner.width / columns
        let keyWidth = columns == 1 ? 22 : Keymap.keysWidth
        for (index, line) in lines.enumerated() {
            let column = index / rows
            let row = index % rows - scroll
            guard row >= 0 && row < inner.height else { continue }
            let x = inner.x + 1 + column * columnWidth
            grid.put(line.0, x: x, y: inner.y + row, style: Look.title, maxWidth: keyWidth)
            // A blank column before the next column's keys.
            grid.put(line.1, x: x + keyWidth + 1, y: inner.y + row, maxWidth: columnWidth - keyWidth - 3)
        }
    }

    /// What each prompt asks for, before what was typed.
    static func promptLabel(_ kind: InspectorState.PromptKind) -> String {
        switch kind {
        case .command: ":"
        case .search: "search /"
        case .searchBackward: "search back \\"
        case .goto: "goto (step, %, end, symbol): "
        case .breakpoint: "break at (ADDR, symbol, FILE:LINE [if COND]; Enter = pc): "
        case .watch: "watch writes to ADDR[:LEN] [if COND] (Enter = word at the memory cursor): "
        case .memory: "memory at (address, symbol, .section): "
        case .expression: "watch C expression (a watched one: stop watching): "
        }
    }

    /// The prompt line: what it asks, what was typed, the cursor, and the symbols a second
    /// Tab listed.
    static func drawPrompt(_ grid: inout ScreenGrid, _ prompt: InspectorState.Prompt, _ box: Layout.Box) {
        let end = grid.put(
            promptLabel(prompt.kind) + prompt.text, x: box.x, y: box.y, style: Look.prompt,
            maxWidth: box.width - 1)
        grid[end, box.y] = .init("█", Look.prompt)
        guard !prompt.candidates.isEmpty, end + 3 < box.x + box.width else { return }
        let shown =
            prompt.candidates.count > 1
            ? "\(prompt.candidates.count): " + prompt.candidates.joined(separator: " ") : prompt.candidates[0]
        grid.put(shown, x: end + 3, y: box.y, style: Look.dim, maxWidth: box.x + box.width - end - 3)
    }
}
