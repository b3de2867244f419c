import Foundation

extension Renderer {
    /// The bar: the visible span of the recording with markers, keyframe ticks and the head;
    /// under it the span's bounds and a legend.
    static func drawTimeline(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        let span = visibleSpan(state)
        let width = box.width
        let isFocused = state.focus == .timeline
        grid.fill(
            x: box.x, y: box.y, width: width, height: 1, "─",
            style: isFocused ? Look.focusedBorder : Look.border)
        func column(_ step: UInt64) -> Int? {
            guard step >= span.lowerBound && step <= span.upperBound else { return nil }
            let length = max(1, span.upperBound - span.lowerBound)
            return box.x + Int(Double(step - span.lowerBound) / Double(length) * Double(width - 1))
        }
        for keyframe in view.keyframes {
            if let x = column(keyframe) { grid[x, box.y] = .init("┼", Look.dim) }
        }
        // Where marks share a column the higher-priority kind shows (crashes and exceptions
        // stay visible), and of one kind the last in the list.
        let order: [MachineView.TimelineMark.Kind] = [
            .console, .input, .interrupt, .watch, .breakpoint, .exception, .end,
        ]
        var shown = [(priority: Int, mark: MachineView.TimelineMark)?](repeating: nil, count: width)
        for mark in view.marks {
            guard let x = column(mark.step), shown.indices.contains(x - box.x),
                let priority = order.firstIndex(of: mark.kind)
            else { continue }
            if let current = shown[x - box.x], current.priority > priority { continue }
            shown[x - box.x] = (priority, mark)
        }
        for (offset, entry) in shown.enumerated() {
            guard let entry else { continue }
            let x = box.x + offset
            let kind = entry.mark.kind
            let style: Style =
                kind == .exception || kind == .end
                ? Look.error : kind == .breakpoint || kind == .watch ? Look.breakpoint : Look.changed
            // An exact hit of breakpoint or watchpoint 1…9 shows its number.
            let symbol =
                entry.mark.stopNumber.flatMap { (1...9).contains($0) ? Character(String($0)) : nil }
                ?? kind.rawValue
            grid[x, box.y] = .init(symbol.unicodeScalars.first ?? "?", style)
        }
        // In live mode the live head has its own mark, so it shows moving on while the view
        // stays in the past.
        if let live = state.live, live.isRunning, let x = column(state.totalSteps) {
            grid[x, box.y] = .init("●", Look.live)
        }
        if let x = column(state.step) { grid[x, box.y] = .init("█", Look.head) }
        let left = "\(span.lowerBound)"
        let right = "\(span.upperBound)"
        grid.put(left, x: box.x, y: box.y + 1, style: Look.dim)
        let legend =
            (state.live?.isRunning == true ? "● live  " : "")
            + "█ now  ! exception  i interrupt  o console  < input  X end  b w break/watch  ┼ keyframe  z/Z zoom"
        let legendX = box.x + left.count + 2
        grid.put(
            legend, x: legendX, y: box.y + 1, style: Look.dim,
            maxWidth: max(0, width - left.count - right.count - 4))
        grid.put(right, x: box.x + width - right.count, y: box.y + 1, style: Look.dim)
    }

    /// The steps the bar shows: `timelineSpan` steps around the head, inside the recording.
    public static func visibleSpan(_ state: InspectorState) -> ClosedRange<UInt64> {
        let span = min(max(1, state.timelineSpan), max(1, state.totalSteps))
        if span >= state.totalSteps { return 0...state.totalSteps }
        let half = span / 2
        let start = min(state.step > half ? state.step - half : 0, state.totalSteps - span)
        return start...(start + span)
    }
}
