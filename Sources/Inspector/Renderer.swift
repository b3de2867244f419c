import Foundation
import Machine

/// Draws the inspector: `render(state, view, width, height)` is a pure function from what the
/// user looks at to a grid of styled cells. One file per pane (`Renderer+Code.swift`, …).
public enum Renderer {
    /// Styles, named by meaning. Every distinction that matters also shows without colour
    /// (NO_COLOR, monochrome): changed values are bold with a `*`, the current line has `▶`
    /// and reverse video, written bytes are reversed, the memory cursor is bracketed.
    enum Look {
        static let border = Style(foreground: .blue)
        static let focusedBorder = Style(foreground: .cyan, attributes: [.bold])
        static let title = Style(attributes: [.bold])
        static let focusedTitle = Style(foreground: .black, background: .cyan, attributes: [.bold, .reverse])
        static let dim = Style(attributes: [.dim])
        static let changed = Style(foreground: .yellow, attributes: [.bold])
        static let current = Style(foreground: .black, background: .green, attributes: [.reverse, .bold])
        static let breakpoint = Style(foreground: .red, attributes: [.bold])
        static let label = Style(foreground: .magenta, attributes: [.bold])
        static let written = Style(foreground: .black, background: .yellow, attributes: [.reverse])
        static let sinceMark = Style(foreground: .cyan, attributes: [.underline])
        static let cursor = Style(attributes: [.bold])
        static let crash = Style(foreground: .white, background: .red, attributes: [.bold, .reverse])
        static let exited = Style(foreground: .black, background: .green, attributes: [.reverse])
        static let error = Style(foreground: .red, attributes: [.bold])
        static let live = Style(foreground: .black, background: .cyan, attributes: [.reverse, .bold])
        static let paused = Style(foreground: .black, background: .yellow, attributes: [.reverse, .bold])
        static let head = Style(foreground: .black, background: .white, attributes: [.reverse, .bold])
        static let prompt = Style(attributes: [.bold])
        static let symbol = Style(foreground: .magenta)
        static let string = Style(foreground: .green)
        static let annotation = Style(foreground: .cyan)
    }

    /// The whole screen; with debug information, `source` feeds the source, call-stack and
    /// variables panes (and the registers and disassembly of a caller frame).
    public static func render(
        _ state: InspectorState, _ view: MachineView, source: SourceView? = nil, width: Int, height: Int
    )
        -> ScreenGrid
    {
        var grid = ScreenGrid(width: width, height: height)
        guard width >= Layout.minimumWidth && height >= Layout.minimumHeight else {
            let text =
                "terminal too small: \(width)×\(height), need \(Layout.minimumWidth)×\(Layout.minimumHeight)"
            grid.put(text, x: max(0, (width - text.count) / 2), y: height / 2, style: Look.error)
            grid.put("q quits", x: max(0, (width - 7) / 2), y: height / 2 + 1)
            return grid
        }
        let layout = Layout(for: state, width: width, height: height)
        drawBanner(&grid, state, view, layout.banner)
        // The registers and the disassembly follow a frame only when one was chosen in the
        // call stack (the source and the variables follow the innermost with a line too).
        let frameSource = state.selectedFrame != nil ? source : nil
        drawRegisters(&grid, state, view, source: frameSource, layout.registers)
        drawStack(&grid, state, view, layout.stack)
        if let source, let listing = source.listing, state.isSourceLevel {
            drawSource(&grid, state, source, listing, layout.code)
        } else {
            drawCode(&grid, state, view, source: frameSource, layout.code)
        }
        drawMemory(&grid, state, view, layout.memory)
        drawDevices(&grid, state, view, layout.devices)
        drawConsole(&grid, state, view, layout.console)
        drawVariables(&grid, state, source, layout.variables)
        drawCallStack(&grid, state, source, layout.callStack)
        drawTimeline(&grid, state, view, layout.timeline)
        drawStatus(&grid, state, view, layout.status)
        if state.isShowingHelp { drawHelp(&grid, state) }
        if state.isShowingStops { drawStops(&grid, state) }
        return grid
    }

    /// A pane frame with its title; returns the inner box.
    @discardableResult
    static func frame(_ grid: inout ScreenGrid, _ box: Layout.Box, title: String, isFocused: Bool)
        -> Layout.Box
    {
        guard box.width >= 2 && box.height >= 2 else {
            return Layout.Box(x: box.x, y: box.y, width: 0, height: 0)
        }
        let style = isFocused ? Look.focusedBorder : Look.border
        let right = box.x + box.width - 1
        let bottom = box.y + box.height - 1
        grid.fill(x: box.x + 1, y: box.y, width: box.width - 2, height: 1, "─", style: style)
        grid.fill(x: box.x + 1, y: bottom, width: box.width - 2, height: 1, "─", style: style)
        grid.fill(x: box.x, y: box.y + 1, width: 1, height: box.height - 2, "│", style: style)
        grid.fill(x: right, y: box.y + 1, width: 1, height: box.height - 2, "│", style: style)
        grid[box.x, box.y] = .init("┌", style)
        grid[right, box.y] = .init("┐", style)
        grid[box.x, bottom] = .init("└", style)
        grid[right, bottom] = .init("┘", style)
        grid.put(
            " \(title) ", x: box.x + 2, y: box.y, style: isFocused ? Look.focusedTitle : Look.title,
            maxWidth: box.width - 4)
        return Layout.Box(x: box.x + 1, y: box.y + 1, width: box.width - 2, height: box.height - 2)
    }

    /// A short note on a pane's frame, at the right of its top or bottom border: "3 more ↓".
    static func borderNote(_ grid: inout ScreenGrid, _ box: Layout.Box, _ text: String, onTop: Bool) {
        let note = " \(text) "
        let width = note.unicodeScalars.count
        guard box.width >= width + 4 else { return }
        let y = onTop ? box.y : box.y + box.height - 1
        grid.put(note, x: box.x + box.width - 2 - width, y: y, style: Look.title)
    }

    static func drawBanner(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        var style = view.endedInCrash ? Look.crash : Look.exited
        var text = " \(view.firmwareName) — \(view.ending) "
        if let live = state.live {
            (text, style) = liveBanner(live, firmwareName: view.firmwareName)
        }
        grid.fill(x: box.x, y: box.y, width: box.width, height: 1, style: style)
        let help = " ? help  q quit "
        grid.put(text, x: box.x, y: box.y, style: style, maxWidth: box.width - help.count - 1)
        grid.put(help, x: box.x + box.width - help.count, y: box.y, style: style)
    }

    /// The banner of a live view: the run's state, speed and pacing.
    static func liveBanner(_ live: InspectorState.Live, firmwareName: String) -> (String, Style) {
        let report = live.report
        if let ended = report.ended {
            return (" \(firmwareName) — \(ended) ", report.endedInCrash ? Look.crash : Look.exited)
        }
        guard let pacing = report.pacing else {
            return (
                " ● FOLLOWING  \(firmwareName) — another process is recording; the timeline grows as it commits ",
                Look.live
            )
        }
        let state: String
        if report.isPaused {
            return (" ❚❚ PAUSED  \(firmwareName) — Space resumes · \(pacing) ", Look.paused)
        } else if report.isWaitingForInput {
            state = "waiting for input (i types to it)"
        } else {
            state = "running, " + formatRate(report.stepsPerSecond)
        }
        return (" ● LIVE  \(firmwareName) — \(state) · \(pacing) ", Look.live)
    }

    static func formatRate(_ stepsPerSecond: Double) -> String {
        if stepsPerSecond >= 1e6 { return String(format: "%.0f M steps/s", stepsPerSecond / 1e6) }
        return String(format: "%.0f steps/s", stepsPerSecond)
    }

    static func drawStatus(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        if let prompt = state.prompt {
            drawPrompt(&grid, prompt, box)
            return
        }
        // Rounded down, so 100.0 % means the very end.
        let percent =
            state.totalSteps == 0
            ? 100 : (Double(state.step) * 1000 / Double(state.totalSteps)).rounded(.down) / 10
        var text =
            "step \(state.step) of \(state.totalSteps) · \(format(nanoseconds: view.simulatedNanoseconds)) · "
        text += String(format: "%.1f%%", percent)
        if state.playback.isPlaying {
            text += " · \(state.playback.isReversed ? "◀" : "▶") ×\(state.playback.stepsPerFrame)"
        }
        if let pending = state.pendingMarkKey { text += " · \(pending)…" }
        if let live = state.live, live.isRunning {
            if !live.isFollowing {
                text += " · \(state.totalSteps - min(state.step, state.totalSteps)) behind live (End follows)"
            } else {
                text +=
                    live.report.isPaused ? " · ❚❚ paused" : live.canControl ? " · ● live" : " · ● following"
            }
            if let pacing = live.report.pacing { text += " · \(pacing)" }
        }
        let end = grid.put(text, x: box.x, y: box.y, style: Look.title)
        if let progress = state.progress {
            grid.put("  " + progress, x: end, y: box.y, style: Look.changed, maxWidth: box.width - end)
        } else if let message = state.message {
            grid.put(
                "  " + message, x: end, y: box.y, style: state.messageIsError ? Look.error : .plain,
                maxWidth: box.width - end)
        }
    }

    /// Simulated time as seconds with nanosecond digits grouped ("t=0.005 482 250 s").
    static func format(nanoseconds: UInt64) -> String {
        let seconds = nanoseconds / 1_000_000_000
        let rest = nanoseconds % 1_000_000_000
        let digits = String(rest)
        let padded = String(repeating: "0", count: 9 - digits.count) + digits
        return "t=\(seconds).\(padded) s"
    }
}
