import Machine
import Recording

/// A recording as gdb's target: a current step, the stop points gdb set, and the ways to move
/// through time that the remote protocol asks for (`s`, `c`, `bs`, `bc`).
///
/// Breakpoints and write watchpoints are found through the recording's indexes
/// (`Timeline.nextHit`/`lastHit`: only keyframe intervals that ran the breakpoint's code or
/// wrote the watched lines are replayed). Read and access watchpoints have no index: they are
/// found by replaying the recording one step at a time and decoding each instruction, which
/// costs about a microsecond per step.
///
/// Long searches go in windows of steps; between windows `isInterrupted` is asked, so that
/// Ctrl-C in gdb stops a search within a fraction of a second, at the window reached.
public final class ReplayTarget {
    /// The recording.
    public let timeline: Timeline
    /// The step the target is at: registers and memory are that state's.
    public private(set) var step: UInt64
    /// The breakpoints and watchpoints gdb has set.
    public private(set) var stopPoints: [StopPoint] = []

    /// Steps searched between two looks at `isInterrupted` by indexed searches.
    let indexedWindow: UInt64
    /// The same for searches that replay every step (read and access watchpoints, which the
    /// interpreter watches at a few hundred million steps a second: a window is ~10 ms).
    static let replayWindow: UInt64 = 1 << 22

    /// Opens the target on `timeline`, at `step` (default: the end of the recording).
    public init(timeline: Timeline, at step: UInt64? = nil) throws(RecordingError) {
        self.timeline = timeline
        self.step = min(step ?? timeline.totalSteps, timeline.totalSteps)
        // 32 intervals: a window whose every interval has to be replayed takes about 0.2 s.
        indexedWindow = max(1 << 20, 32 * timeline.summary.header.keyframeInterval)
        try timeline.seek(to: self.step)
    }

    /// The machine, in the state of `step`.
    public var machine: Machine { timeline.machine }

    /// Adds a stop point (again: no change).
    public func insert(_ point: StopPoint) {
        if !stopPoints.contains(point) { stopPoints.append(point) }
    }

    /// Removes a stop point; false when it was not set.
    @discardableResult
    public func remove(_ point: StopPoint) -> Bool {
        guard let index = stopPoints.firstIndex(of: point) else { return false }
        stopPoints.remove(at: index)
        return true
    }

    /// Moves to `step` (a monitor `seek`), clamped to the recording.
    public func move(to step: UInt64) throws(RecordingError) {
        self.step = min(step, timeline.totalSteps)
        try timeline.seek(to: self.step)
    }

    // MARK: Stepping

    /// `s`: one step forward; at the end of the recording, stays there (`replaylog:end`).
    /// A step reports no watchpoint: gdb steps over a watched access itself after a watchpoint
    /// stop.
    public func stepForward() throws(RecordingError) -> TargetStop {
        guard step < timeline.totalSteps else { return try stop(at: step, .historyEnd) }
        return try stop(at: step + 1, .stepped)
    }

    /// `bs`: one step back; at step 0, stays there (`replaylog:begin`).
    public func stepBackward() throws(RecordingError) -> TargetStop {
        guard step > 0 else { return try stop(at: 0, .historyBegin) }
        return try stop(at: step - 1, .stepped)
    }

    // MARK: Continuing

    /// `c`: forward to the first stop point hit, or to the end of the recording
    /// (`replaylog:end`), or to where the search was when `isInterrupted` said so.
    ///
    /// gdb's RISC-V target takes watchpoints as hardware triggers do, before the access: a
    /// watchpoint stops in the state whose pc is about to make it (possibly the current one),
    /// and gdb steps over the access itself to show the old and new values.
    public func continueForward(isInterrupted: () -> Bool) throws(RecordingError) -> TargetStop {
        let total = timeline.totalSteps
        let window = hasReplayedWatchpoints ? Self.replayWindow : indexedWindow
        var position = step
        while position < total {
            if isInterrupted() { return try stop(at: position, .interrupted) }
            let end = min(total, position + window)
            var best: TargetStop?
            // Breakpoints: states position + 1 … end whose pc is about to run one.
            let breakpoints = indexedRules.filter { !$0.point.kind.isWatchpoint }
            if !breakpoints.isEmpty,
                let hit = try timeline.nextHit(of: breakpoints.map(\.rule), after: position, through: end)
            {
                best = TargetStop(step: hit.step, reason: .breakpoint(breakpoints[hit.rule].point.kind))
            }
            // Accesses at steps position + 1 … end: the state before each is position … end − 1.
            if let hit = try firstWatchHit(after: position, through: min(end, (best?.step ?? end) + 1)),
                hit.step - 1 <= best?.step ?? .max
            {
                best = TargetStop(
                    step: hit.step - 1, reason: .watchpoint(hit.point.kind, address: hit.point.address))
            }
            if let best { return try stop(at: best.step, best.reason) }
            position = end
        }
        return try stop(at: total, .historyEnd)
    }

    /// `bc`: backward to the latest stop point hit — a breakpoint's state, or for a watched
    /// access the state right after it (gdb then steps back over the access, to the state with
    /// pc at the accessing instruction and the old value) — or to step 0 (`replaylog:begin`),
    /// or to where the search was when interrupted.
    public func continueBackward(isInterrupted: () -> Bool) throws(RecordingError) -> TargetStop {
        let window = hasReplayedWatchpoints ? Self.replayWindow : indexedWindow
        var position = step
        while position > 0 {
            if isInterrupted() { return try stop(at: position, .interrupted) }
            let start = position > window ? position - window : 0
            var best: TargetStop?
            let breakpoints = indexedRules.filter { !$0.point.kind.isWatchpoint }
            // States start ..< position whose pc is about to run a breakpoint.
            if !breakpoints.isEmpty,
                let hit = try timeline.lastHit(
                    of: breakpoints.map(\.rule), before: position, notBefore: start)
            {
                best = TargetStop(step: hit.step, reason: .breakpoint(breakpoints[hit.rule].point.kind))
            }
            // Accesses at steps start + 1 … position: stop in the state after each.
            if let hit = try lastWatchHit(from: max(start, best?.step ?? start), through: position),
                hit.step >= best?.step ?? 0
            {
                best = TargetStop(
                    step: hit.step, reason: .watchpoint(hit.point.kind, address: hit.point.address))
            }
            if let best { return try stop(at: best.step, best.reason) }
            position = start
        }
        return try stop(at: 0, .historyBegin)
    }

    // MARK: Searching

    /// A stop point hit at a step (for a watchpoint, the step that made the access).
    struct Hit {
        var step: UInt64
        var point: StopPoint
    }

    /// The stop points the timeline's indexes find, as its rules.
    private var indexedRules: [(point: StopPoint, rule: StopRule)] {
        stopPoints.compactMap { point in
            switch point.kind {
            case .softwareBreakpoint, .hardwareBreakpoint: (point, StopRule(.execution(point.address)))
            // gdb's `watch` goes on past a store that leaves the value as it was: such stores
            // are not reported (a flag set again and again is found at once, not one round
            // trip per store).
            case .writeWatchpoint: (point, StopRule(.write(point.range), changesOnly: true))
            case .readWatchpoint, .accessWatchpoint: nil
            }
        }
    }

    private var hasReplayedWatchpoints: Bool {
        stopPoints.contains { $0.kind == .readWatchpoint || $0.kind == .accessWatchpoint }
    }

    /// The first watched access at a step in `after + 1 … through`.
    private func firstWatchHit(after: UInt64, through: UInt64) throws(RecordingError) -> Hit? {
        guard after < through else { return nil }
        var best: Hit?
        let writes = indexedRules.filter { $0.point.kind.isWatchpoint }
        if !writes.isEmpty,
            let hit = try timeline.nextHit(of: writes.map(\.rule), after: after, through: through)
        {
            best = Hit(step: hit.step, point: writes[hit.rule].point)
        }
        if hasReplayedWatchpoints,
            let hit = try replayedHit(after: after, through: best?.step ?? through, last: false)
        {
            best = hit
        }
        return best
    }

    /// The last watched access at a step in `from + 1 … through`.
    private func lastWatchHit(from: UInt64, through: UInt64) throws(RecordingError) -> Hit? {
        guard from < through else { return nil }
        var best: Hit?
        let writes = indexedRules.filter { $0.point.kind.isWatchpoint }
        if !writes.isEmpty,
            let hit = try timeline.lastHit(of: writes.map(\.rule), before: through + 1, notBefore: from + 1)
        {
            best = Hit(step: hit.step, point: writes[hit.rule].point)
        }
        if hasReplayedWatchpoints,
            let hit = try replayedHit(after: best?.step ?? from, through: through, last: true)
        {
            best = hit
        }
        return best
    }

    /// The first step in `after + 1 … through` (the last, with `last`) whose instruction
    /// accesses a range that a read or access watchpoint watches (replayed one step at a time).
    private func replayedHit(after: UInt64, through: UInt64, last: Bool) throws(RecordingError) -> Hit? {
        var found: Hit?
        try replayAccesses(after: after, through: through) { hit in
            found = hit
            return last
        }
        return found
    }

    /// Replays steps `after + 1 … through`, handing each watched access to `onHit` until it
    /// returns false. The machine watches loads (and stores, for an access watchpoint) from the
    /// smallest range that holds every read or access watchpoint; each access it reports is
    /// matched against the watchpoints themselves. A step that enters a trap instead of running
    /// its instruction accesses nothing.
    private func replayAccesses(after: UInt64, through: UInt64, onHit: (Hit) -> Bool) throws(RecordingError) {
        let watched = stopPoints.filter { $0.kind == .readWatchpoint || $0.kind == .accessWatchpoint }
        guard let low = watched.map(\.range.lowerBound).min(),
            let high = watched.map(\.range.upperBound).max(),
            after < through
        else { return }
        let stores = watched.contains { $0.kind == .accessWatchpoint }
        try timeline.replayAccesses(to: low..<high, stores: stores, after: after, through: through) {
            step, access in
            let point = watched.first { point in
                (access.isLoad || point.kind == .accessWatchpoint)
                    && access.range.overlaps(UInt64(point.range.lowerBound)..<UInt64(point.range.upperBound))
            }
            guard let point else { return true }
            return onHit(Hit(step: step, point: point))
        }
    }

    /// Moves to `step` and describes the stop.
    private func stop(at step: UInt64, _ reason: TargetStop.Reason) throws(RecordingError) -> TargetStop {
        try move(to: step)
        return TargetStop(step: step, reason: reason)
    }
}
