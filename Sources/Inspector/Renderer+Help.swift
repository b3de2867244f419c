extension Renderer {
    /// Every key, as an overlay in the middle of the screen.
    public static let helpLines: [(String, String)] = [
        ("←/→  h/l  s/S", "one step forward/back"),
        ("Shift-←/→  H/L", "ten steps"),
        (",  .", "one percent back/forward"),
        ("0 … 9", "jump to 0 % … 90 %"),
        ("Home  End", "start / end of the recording"),
        ("[  ]", "previous / next marker"),
        ("c  C", "continue forward / back to a breakpoint or watchpoint hit"),
        ("b", "toggle a breakpoint (address or symbol; Enter = pc)"),
        ("w", "watch writes to ADDR[:LEN] (Enter = the memory cursor's word)"),
        ("W", "last write to the memory cursor's word / last change of the register"),
        ("g", "goto a step, a percentage, 'end', or a symbol (its next run)"),
        ("@", "show memory at an address, symbol or section (.data)"),
        ("f", "memory follows the selected register (a pointer)"),
        ("u", "undo the last jump"),
        ("m<x>  '<x>", "set mark x (memory highlights writes since) / go to it"),
        ("Tab  Shift-Tab", "focus the next / previous pane"),
        ("↑/↓  PgUp/PgDn", "select a register, move the memory cursor, scroll the console"),
        ("/", "search forward: console text, a mnemonic, or instruction bytes"),
        (":", "commands: goto, break, watch, mem, find, delete, help, quit"),
        ("Space  +/-  r", "play/pause, playback speed (×1 … ×10000), reverse"),
        ("z  Z", "zoom the timeline in / out around now"),
        ("Esc", "stop playback, cancel a prompt"),
        ("?  F1  q", "this help / quit"),
    ]

    /// The keys live mode adds (`timescope watch`).
    public static let liveHelpLines: [(String, String)] = [
        ("Space", "live: pause / resume the firmware (following a file: hold / follow)"),
        ("f  End", "live: follow the live head again (a scrub key leaves it)"),
        ("i", "live: type into the firmware's UART (Esc stops typing)"),
        ("<  >", "live: pacing slower / faster (0.01× … real time … max speed)"),
        ("Ctrl-C", "quit (also while typing); the recording stays complete"),
    ]

    static func drawHelp(_ grid: inout ScreenGrid, isLive: Bool) {
        let helpLines = isLive ? Renderer.helpLines.filter { !$0.0.hasPrefix("Space") } + liveHelpLines : Renderer.helpLines
        // One column when it fits, else two (every key stays listed down to 80×24).
        let columns = grid.height - 4 >= helpLines.count ? 1 : 2
        let rows = (helpLines.count + columns - 1) / columns
        let width = min(grid.width - 2, columns == 1 ? 96 : grid.width - 2)
        let height = min(grid.height - 2, rows + 2)
        let box = Layout.Box(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(x: box.x, y: box.y, width: box.width, height: box.height)
        let inner = frame(&grid, box, title: "Keys — any key closes", isFocused: true)
        let columnWidth = inner.width / columns
        let keyWidth = columns == 1 ? 22 : 15
        for (index, line) in helpLines.enumerated() {
            let column = index / rows
            let row = index % rows
            guard row < inner.height else { continue }
            let x = inner.x + 1 + column * columnWidth
            grid.put(line.0, x: x, y: inner.y + row, style: Look.title, maxWidth: keyWidth)
            grid.put(line.1, x: x + keyWidth + 1, y: inner.y + row, maxWidth: columnWidth - keyWidth - 2)
        }
    }
}
