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
        ("m<letter>  '<letter>", "set a mark (memory highlights writes since) / go to it"),
        ("Tab  Shift-Tab", "focus the next / previous pane"),
        ("↑/↓  PgUp/PgDn", "select a register, move the memory cursor, scroll the console"),
        ("/", "search forward: console text, a mnemonic, or instruction bytes"),
        (":", "commands: goto, break, watch, mem, find, delete, help, quit"),
        ("Space  +/-  r", "play/pause, playback speed (×1 … ×10000), reverse"),
        ("z  Z", "zoom the timeline in / out around now"),
        ("?  q", "this help / quit"),
    ]

    static func drawHelp(_ grid: inout ScreenGrid) {
        let width = min(grid.width - 4, 96)
        let height = min(grid.height - 2, helpLines.count + 4)
        let box = Layout.Box(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(x: box.x, y: box.y, width: box.width, height: box.height)
        let inner = frame(&grid, box, title: "Keys — any key closes", isFocused: true)
        for (row, line) in helpLines.prefix(inner.height - 1).enumerated() {
            let y = inner.y + 1 + row
            grid.put(line.0, x: inner.x + 1, y: y, style: Look.title, maxWidth: 22)
            grid.put(line.1, x: inner.x + 24, y: y, maxWidth: inner.width - 25)
        }
    }
}
