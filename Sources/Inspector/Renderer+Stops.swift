extension Renderer {
    /// The rows of the breakpoint list (`:info break`): number, enabled, kind, where,
    /// condition, and hits in the whole recording ("…" while they are being counted).
    public static func stopRows(_ state: InspectorState) -> [String] {
        let places = state.stops.map(\.place)
        let placeWidth = max(5, places.map(\.count).max() ?? 0)
        var rows = [
            "Num  On   What        " + "Where".padding(toLength: placeWidth, withPad: " ", startingAt: 0)
                + "  Hits   Condition"
        ]
        for (stop, place) in zip(state.stops, places) {
            let hits =
                state.hitCounts[stop.rule].flatMap {
                    $0.throughStep == state.totalSteps ? String($0.hits) : nil
                } ?? "…"
            let columns = [
                String(stop.number).padding(toLength: 5, withPad: " ", startingAt: 0),
                (stop.isEnabled ? "yes" : "no").padding(toLength: 5, withPad: " ", startingAt: 0),
                (stop.isBreakpoint ? "breakpoint" : "watchpoint").padding(
                    toLength: 12, withPad: " ", startingAt: 0),
                place.padding(toLength: placeWidth + 2, withPad: " ", startingAt: 0),
                hits.padding(toLength: 7, withPad: " ", startingAt: 0),
                stop.rule.condition.map { "if \($0)" } ?? "",
            ]
            rows.append(columns.joined())
        }
        return rows
    }

    /// The breakpoint list as an overlay in the middle of the screen.
    static func drawStops(_ grid: inout ScreenGrid, _ state: InspectorState) {
        let rows = stopRows(state)
        let width = min(grid.width - 2, max(60, (rows.map(\.count).max() ?? 0) + 4))
        let height = min(grid.height - 2, rows.count + 2)
        let box = Layout.Box(
            x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        grid.fill(x: box.x, y: box.y, width: box.width, height: box.height)
        let inner = frame(&grid, box, title: "Breakpoints and watchpoints — any key closes", isFocused: true)
        // The heading stays; the entries scroll under it.
        let scroll = min(state.overlayScroll, max(0, rows.count - inner.height))
        if rows.count > inner.height {
            borderNote(&grid, box, scroll + inner.height < rows.count ? "↓ more" : "↑ more", onTop: false)
        }
        for (index, row) in rows.enumerated() {
            let y = index == 0 ? 0 : index - scroll
            guard index == 0 || (y >= 1 && y < inner.height) else { continue }
            grid.put(
                row, x: inner.x + 1, y: inner.y + y, style: index == 0 ? Look.title : .plain,
                maxWidth: inner.width - 2)
        }
    }
}
