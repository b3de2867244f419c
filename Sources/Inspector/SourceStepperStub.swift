import DebugInfo
import Machine
import Recording

// TEMPORARY: stands in for the lead engineer's Sources/Inspector/SourceStepper.swift (same
// API) until it lands on main; delete this file then. Approximate: a frame's depth is read
// from sp, and a search goes at most `limit` steps.

/// A move by source line, as gdb's step, next and finish.
public enum SourceMove: Sendable { case step, next, finish }

/// Finds where a move by source line lands in a recording.
final class SourceStepper {
    private let timeline: Timeline
    private let debugInfo: DebugInfo
    private static let limit: UInt64 = 20_000_000

    init(timeline: Timeline, debugInfo: DebugInfo) {
        self.timeline = timeline
        self.debugInfo = debugInfo
    }

    private struct Point: Equatable {
        var location: SourceLocation?
        var sp: UInt32
    }

    private func point(at step: UInt64) throws -> Point {
        try timeline.seek(to: step)
        let machine = timeline.machine
        return Point(location: debugInfo.lines.location(of: machine.pc), sp: machine.register(2))
    }

    /// The step `move` reaches from `step` (for finish: out of frame `frame`), forwards or
    /// backwards; nil when the recording ends first. Moves the timeline's machine.
    func destination(of move: SourceMove, from step: UInt64, backward: Bool, frame: Int) throws -> UInt64? {
        let start = try point(at: step)
        var frameSP = start.sp
        if frame > 0 {
            let stack = debugInfo.callStack(TargetState(machine: timeline.machine))
            if stack.frames.indices.contains(frame), let sp = stack.frames[frame].registers[2] {
                frameSP = sp
            }
        }
        func isStop(_ point: Point) -> Bool {
            switch move {
            case .step: return point.location != nil && point.location != start.location
            case .next:
                return point.location != nil && point.sp >= frameSP
                    && (point.location != start.location || point.sp > frameSP)
            case .finish: return point.sp > frameSP
            }
        }
        if !backward {
            var current = step
            while current < min(timeline.totalSteps, step &+ Self.limit) {
                current += 1
                if isStop(try point(at: current)) { return current }
            }
            return nil
        }
        // Backwards: replay a window before `step` and look through it from its end.
        var window: UInt64 = 4096
        while window <= Self.limit {
            let low = step > window ? step - window : 0
            var points: [Point] = []
            for current in low..<step { points.append(try point(at: current)) }
            if let index = points.lastIndex(where: isStop) {
                guard move != .finish else { return low + UInt64(index) }
                // The start of that run of the line, as reverse-step stops.
                var first = index
                while first > 0 && points[first - 1].location == points[index].location
                    && points[first - 1].sp == points[index].sp
                {
                    first -= 1
                }
                if first > 0 || low == 0 { return low + UInt64(first) }
            }
            if low == 0 { return nil }
            window *= 4
        }
        return nil
    }
}
