import Foundation
import Machine

/// Parsing the ways people name steps and addresses.
extension Timeline {
    /// Resolves WHEN (a `StepExpression`: a step, `start`, `end`, `P%`, each ± steps); a form
    /// that starts with `+`/`-` counts from `reference`.
    public func step(for when: String, relativeTo reference: UInt64? = nil) throws(RecordingError) -> UInt64 {
        do {
            return try StepExpression(parsing: when).step(lastStep: totalSteps, reference: reference)
        } catch {
            throw .invalidRequest(error.description)
        }
    }

    /// Resolves WHEN against a recording of `totalSteps` steps, counting a relative form from
    /// `reference`; nil when it is not a step in it.
    public static func step(for when: String, totalSteps: UInt64, relativeTo reference: UInt64? = nil)
        -> UInt64?
    {
        try? StepExpression(parsing: when).step(lastStep: totalSteps, reference: reference)
    }

    /// Resolves an address (an `AddressExpression`); registers are read in the state of the
    /// step the timeline is at.
    public func address(for text: String) throws(RecordingError) -> UInt32 {
        do {
            return try AddressExpression(parsing: text).address(in: machine.firmware, state: machine.state)
        } catch {
            throw .invalidRequest(error.description)
        }
    }

    /// Resolves ADDR[:LEN] (LEN defaults to a data symbol's size, else `defaultLength`);
    /// registers are read in the state of the step the timeline is at.
    public func range(for text: String, defaultLength: UInt32 = 1) throws(RecordingError) -> Range<UInt32> {
        do {
            return try AddressExpression(parsing: text, allowsLength: true)
                .range(in: machine.firmware, state: machine.state, defaultLength: defaultLength)
        } catch {
            throw .invalidRequest(error.description)
        }
    }

    /// The machine state JSON at the current step (the `run --dump-state` schema), with the
    /// requested memory ranges as hex.
    public func stateJSON(memory ranges: [Range<UInt32>]) throws(RecordingError) -> JSONValue {
        var memory: [JSONValue] = []
        for range in ranges {
            guard let bytes = machine.readMemory(range.lowerBound, count: range.count) else {
                throw .invalidRequest(
                    "\(hex(range.lowerBound)):\(range.count) is not inside RAM or the reset ROM")
            }
            let hexText = hexBytes(bytes, separator: "")
            memory.append(.object([("address", .u32(range.lowerBound)), ("hex", .string(hexText))]))
        }
        return machine.state.json(
            stateHash: machine.stateHash, extra: ranges.isEmpty ? [] : [("memory", .array(memory))])
    }
}

/// A step found by a search: the step that did it and the pc of the instruction.
public struct TimelineMatch: Equatable, Sendable {
    /// The step that did it (see `find` in README for what the step means per kind).
    public var step: UInt64
    /// The pc of the instruction that did it.
    public var pc: UInt32
    /// A match at `step` by the instruction at `pc`.
    public init(step: UInt64, pc: UInt32) {
        self.step = step
        self.pc = pc
    }
}

/// Searches. Each answers with the step that did it: for a write, the state at `step - 1`
/// still has the old bytes and the state at `step` the new ones.
extension Timeline {
    /// The last write to `range` at a step < `before`. Replays only the intervals whose stored
    /// lines overlap the range, latest first.
    public func lastWrite(to range: Range<UInt32>, before: UInt64, progress: (Double) -> Void = { _ in })
        throws(RecordingError) -> TimelineMatch?
    {
        try searchBackward(before: before, progress: progress, mayHold: { intervalWrites($0, range) }) {
            (start, end) throws(RecordingError) in
            try writes(to: range, from: start, through: end, firstOnly: false)
        }
    }

    /// The first write to `range` at a step > `after`.
    public func nextWrite(to range: Range<UInt32>, after: UInt64, progress: (Double) -> Void = { _ in })
        throws(RecordingError) -> TimelineMatch?
    {
        try searchForward(after: after, progress: progress, mayHold: { intervalWrites($0, range) }) {
            (start, end) throws(RecordingError) in
            try writes(to: range, from: start, through: end, firstOnly: true)
        }
    }

    /// The last step < `before` that executed the instruction at `pc`.
    public func lastExecution(of pc: UInt32, before: UInt64, progress: (Double) -> Void = { _ in })
        throws(RecordingError) -> TimelineMatch?
    {
        guard let chunk = machine.executedChunk(of: pc) else { return nil }
        return try searchBackward(
            before: before, progress: progress, mayHold: { executedChunks[$0].contains(chunk) }
        ) {
            (start, end) throws(RecordingError) in
            try executions(of: pc, from: start, through: end, firstOnly: false)
        }
    }

    /// The first step > `after` that executed the instruction at `pc`.
    public func nextExecution(of pc: UInt32, after: UInt64, progress: (Double) -> Void = { _ in })
        throws(RecordingError) -> TimelineMatch?
    {
        guard let chunk = machine.executedChunk(of: pc) else { return nil }
        return try searchForward(
            after: after, progress: progress, mayHold: { executedChunks[$0].contains(chunk) }
        ) {
            (start, end) throws(RecordingError) in
            try executions(of: pc, from: start, through: end, firstOnly: true)
        }
    }

    /// Replays, newest first, the intervals that may hold a hit at a step in
    /// `notBefore ..< before` (`mayHold` admits them; interval i is the steps after keyframe
    /// i−1 up to keyframe i), and returns the last hit of the first interval that has one.
    /// `replay(start, end)` answers with the hits at steps in `start + 1 … end`, in order.
    func searchBackward(
        before: UInt64, notBefore: UInt64 = 0, progress: (Double) -> Void, mayHold: (Int) -> Bool,
        replay: (_ start: UInt64, _ end: UInt64) throws(RecordingError) -> [TimelineMatch]
    ) throws(RecordingError) -> TimelineMatch? {
        let floor = notBefore > 0 ? notBefore - 1 : 0
        // A live tail has no index yet: it may hold anything, and it is short.
        if tail != nil, let last = keyframes.last, last.step < before, totalSteps > last.step,
            let hit = try replay(max(last.step, floor), min(totalSteps, before &- 1)).last
        {
            return hit
        }
        let candidates = (1..<max(1, keyframes.count)).reversed().filter {
            keyframes[$0 - 1].step < before && keyframes[$0].step >= notBefore && mayHold($0)
        }
        for (done, index) in candidates.enumerated() {
            progress(Double(done) / Double(candidates.count))
            if let last = try replay(
                max(keyframes[index - 1].step, floor), min(keyframes[index].step, before &- 1)
            ).last {
                return last
            }
        }
        return nil
    }

    /// Replays, oldest first, the intervals that may hold a hit at a step in `after + 1 …
    /// through` (`mayHold` admits them), and returns the first hit.
    func searchForward(
        after: UInt64, through: UInt64 = .max, progress: (Double) -> Void, mayHold: (Int) -> Bool,
        replay: (_ start: UInt64, _ end: UInt64) throws(RecordingError) -> [TimelineMatch]
    ) throws(RecordingError) -> TimelineMatch? {
        let candidates = (1..<max(1, keyframes.count)).filter {
            keyframes[$0].step > after && keyframes[$0 - 1].step < through && mayHold($0)
        }
        for (done, index) in candidates.enumerated() {
            progress(Double(done) / Double(candidates.count))
            if let first = try replay(
                max(keyframes[index - 1].step, after), min(keyframes[index].step, through)
            ).first {
                return first
            }
        }
        if tail != nil, let last = keyframes.last, min(totalSteps, through) > max(last.step, after) {
            return try replay(max(last.step, after), min(totalSteps, through)).first
        }
        return nil
    }

    // MARK: Replay with a watch or a breakpoint

    /// Whether interval `index` (the steps after keyframe index-1 up to keyframe index)
    /// stored to any 8-byte granule of `range` (any 64-byte line, in a format-3 file).
    func intervalWrites(_ index: Int, _ range: Range<UInt32>) -> Bool {
        let base = Int64(machine.ramBase)
        for entry in keyframePages[index] {
            // Offsets in the page (`wroteGranule` clamps them to it).
            let pageStart = base + Int64(entry.page) * Int64(Machine.pageSize)
            let offsets = Int(Int64(range.lowerBound) - pageStart)..<Int(Int64(range.upperBound) - pageStart)
            if entry.wroteGranule(in: offsets) { return true }
        }
        return false
    }

    /// Replays from step `start` to `end` with a write watch, returning the writing steps
    /// at which `accept` (asked in the state right after the write) holds.
    func writes(
        to range: Range<UInt32>, from start: UInt64, through end: UInt64, firstOnly: Bool,
        changesOnly: Bool = false, accept: () -> Bool = { true }
    ) throws(RecordingError) -> [TimelineMatch] {
        guard start < end else { return [] }
        try seek(to: start)
        machine.setWriteWatch(range)
        defer { machine.setWriteWatch(nil) }
        // Every write to the range stops the replay, so its bytes before a write are those
        // after the previous one.
        var bytes = changesOnly ? machine.readMemory(range.lowerBound, count: range.count) : nil
        var hits: [TimelineMatch] = []
        while machine.step < end {
            let reason = advance(to: end)
            guard case .watchpoint(let pc) = reason else { break }
            if changesOnly {
                let now = machine.readMemory(range.lowerBound, count: range.count)
                let changed = now != bytes
                bytes = now
                guard changed else { continue }
            }
            guard accept() else { continue }
            hits.append(TimelineMatch(step: machine.step, pc: pc))
            if firstOnly { break }
        }
        return hits
    }

    /// Replays steps `start + 1 … end` with a read watch on `range` (and a write watch, with
    /// `stores`), calling `onAccess` in the state right after each step whose instruction
    /// loaded from the range (or stored to it), with that step and the access, until it returns
    /// false. Loads have no index: every step is replayed, by the interpreter (read and access
    /// watchpoints).
    public func replayAccesses(
        to range: Range<UInt32>, stores: Bool, after start: UInt64, through end: UInt64,
        onAccess: (UInt64, WatchedAccess) -> Bool
    ) throws(RecordingError) {
        guard start < end else { return }
        try seek(to: start)
        machine.setReadWatch(range)
        if stores { machine.setWriteWatch(range) }
        defer {
            machine.setReadWatch(nil)
            if stores { machine.setWriteWatch(nil) }
        }
        _ = machine.takeWatchedAccess()
        while machine.step < end {
            guard case .watchpoint = advance(to: end) else { break }
            // A device or the host wrote the bytes: no instruction accessed them.
            guard let access = machine.takeWatchedAccess() else { continue }
            guard onAccess(machine.step, access) else { break }
        }
    }

    /// Replays from step `start` to `end` with a breakpoint at `pc`, returning the steps that
    /// executed it (the state one step earlier has pc there) and at which `accept` (asked in
    /// that earlier state, before the instruction runs) holds.
    func executions(
        of pc: UInt32, from start: UInt64, through end: UInt64, firstOnly: Bool, accept: () -> Bool = { true }
    ) throws(RecordingError) -> [TimelineMatch] {
        try executions(of: [pc], from: start, through: end, firstOnly: firstOnly) { _ in accept() }
    }

    /// Replays from step `start` to `end` with breakpoints at `pcs`, returning the steps that
    /// executed one of them (each match's pc says which) and at which `accept(pc)` holds.
    func executions(
        of pcs: Set<UInt32>, from start: UInt64, through end: UInt64, firstOnly: Bool,
        accept: (UInt32) -> Bool
    ) throws(RecordingError) -> [TimelineMatch] {
        guard start < end else { return [] }
        try seek(to: start)
        machine.setBreakpoints(pcs)
        defer { machine.setBreakpoints([]) }
        // A hit at the starting state itself counts (its step is start + 1).
        machine.breakpointSkipStep = .max
        var hits: [TimelineMatch] = []
        while machine.step < end {
            let reason = advance(to: end)
            guard reason == .breakpoint else { break }
            guard machine.step + 1 <= end else { break }
            let pc = machine.pc
            guard accept(pc) else { continue }
            hits.append(TimelineMatch(step: machine.step + 1, pc: pc))
            if firstOnly { break }
        }
        return hits
    }
}
