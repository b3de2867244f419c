import Foundation
import Machine

/// What the inspector asks of a recording besides seeking.
extension Timeline {
    /// The steps of every keyframe.
    public var keyframeSteps: [UInt64] { keyframes.map(\.step) }

    /// Console output up to and including `step`: the last `maxLines` lines (the last one may
    /// be unfinished).
    public func consoleLines(upTo step: UInt64, maxLines: Int) throws(RecordingError) -> [String] {
        let bytes = try consoleBytes(upTo: step, maxLines: maxLines)
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.filter { $0 != 0x0D }, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return Array(lines.suffix(maxLines))
    }

    /// The console's raw bytes up to and including `step`, from at least `maxLines` newlines
    /// back (or the start): what a terminal model (the inspector's `ConsoleScreen`) replays,
    /// carriage returns, backspaces and escape sequences included.
    public func consoleBytes(upTo step: UInt64, maxLines: Int) throws(RecordingError) -> [UInt8] {
        var chunks = try consoleChunks()
        for chunk in tail?.console ?? [] where !chunk.bytes.isEmpty {
            chunks.append(chunk)
        }
        var bytes: [UInt8] = []
        var index = chunks.count - 1
        // Walk back from the newest chunk at or before `step` until enough lines are collected.
        while index >= 0 && chunks[index].firstStep > step { index -= 1 }
        var collected: [[UInt8]] = []
        var newlines = 0
        while index >= 0 && newlines <= maxLines {
            let chunk = chunks[index]
            var part: [UInt8] = []
            for (offset, byte) in chunk.bytes.enumerated() where chunk.steps[offset] <= step {
                part.append(byte)
            }
            newlines += part.filter { $0 == 0x0A }.count
            collected.append(part)
            index -= 1
        }
        for part in collected.reversed() { bytes += part }
        return bytes
    }

    /// Every console chunk (bytes and the step that wrote each), read once; a growing
    /// recording's new rows are read as they come.
    func consoleChunks() throws(RecordingError) -> [ConsoleChunk] {
        var cached = consoleCache.value ?? (chunks: [], lastRow: 0, isCurrent: false)
        if cached.isCurrent { return cached.chunks }
        let read = try file.readConsoleChunks(
            after: cached.lastRow, limit: max(0, 100_000 - cached.chunks.count))
        cached.chunks += read.chunks
        cached.lastRow = read.lastRow
        cached.isCurrent = true
        consoleCache.value = cached
        return cached.chunks
    }

    /// The keyframe intervals (as step ranges) in which `pc` may have run, for drawing
    /// possible breakpoint hits on the timeline.
    public func intervals(executing pc: UInt32) -> [ClosedRange<UInt64>] {
        guard let chunk = machine.executedChunk(of: pc) else { return [] }
        return (1..<max(1, keyframes.count)).filter { executedChunks[$0].contains(chunk) }.map {
            keyframes[$0 - 1].step...keyframes[$0].step
        }
    }

    /// The keyframe intervals in which `range` may have been written.
    public func intervals(writing range: Range<UInt32>) -> [ClosedRange<UInt64>] {
        (1..<max(1, keyframes.count)).filter { intervalWrites($0, range) }.map {
            keyframes[$0 - 1].step...keyframes[$0].step
        }
    }

    /// Steps in `span` that executed `pc` (each N: state N−1 has pc there), found by replaying
    /// the candidate intervals; nil when more than `maximumIntervals` would need replaying.
    public func executions(of pc: UInt32, in span: ClosedRange<UInt64>, maximumIntervals: Int = 16)
        throws(RecordingError) -> [UInt64]?
    {
        try hits(in: span, candidates: intervals(executing: pc), maximumIntervals: maximumIntervals) {
            (start, end) throws(RecordingError) in
            try executions(of: pc, from: start, through: end, firstOnly: false)
        }
    }

    /// Steps in `span` that wrote into `range`; nil when more than `maximumIntervals` would
    /// need replaying.
    public func writes(to range: Range<UInt32>, in span: ClosedRange<UInt64>, maximumIntervals: Int = 16)
        throws(RecordingError) -> [UInt64]?
    {
        try hits(in: span, candidates: intervals(writing: range), maximumIntervals: maximumIntervals) {
            (start, end) throws(RecordingError) in
            try writes(to: range, from: start, through: end, firstOnly: false)
        }
    }

    /// The steps in `span` that `replay` finds in the `candidates` intervals overlapping it;
    /// nil when more than `maximumIntervals` overlap.
    func hits(
        in span: ClosedRange<UInt64>, candidates: [ClosedRange<UInt64>], maximumIntervals: Int,
        replay: (_ start: UInt64, _ end: UInt64) throws(RecordingError) -> [TimelineMatch]
    ) throws(RecordingError) -> [UInt64]? {
        let overlapping = candidates.filter { $0.overlaps(span) }
        guard overlapping.count <= maximumIntervals else { return nil }
        var steps: [UInt64] = []
        for interval in overlapping {
            steps += try replay(
                max(interval.lowerBound, span.lowerBound), min(interval.upperBound, span.upperBound)
            ).map(\.step)
        }
        return steps
    }

    /// The last step ≤ `atOrBefore` whose execution changed register `index` (x1…x31): the
    /// state one step earlier held a different value. Replays step by step, interval by
    /// interval, newest first.
    public func lastChange(ofRegister index: Int, atOrBefore: UInt64, progress: (Double) -> Void = { _ in })
        throws(RecordingError) -> UInt64?
    {
        guard (1...31).contains(index), atOrBefore > 0 else { return nil }
        var end = atOrBefore
        var keyframe = keyframeIndex(atOrBefore: end - 1)
        while true {
            progress(1 - Double(keyframe) / Double(max(1, keyframes.count)))
            let start = keyframes[keyframe].step
            try seek(to: start)
            var previous = machine.register(index)
            var found: UInt64?
            while machine.step < end {
                advance(to: machine.step + 1)
                let value = machine.register(index)
                if value != previous { found = machine.step }
                previous = value
            }
            if let found { return found }
            if keyframe == 0 { return nil }
            end = start
            keyframe -= 1
        }
    }

    /// The first step > `after` whose execution changed register `index` (x1…x31).
    public func nextChange(ofRegister index: Int, after: UInt64, progress: (Double) -> Void = { _ in })
        throws(RecordingError) -> UInt64?
    {
        guard (1...31).contains(index), after < totalSteps else { return nil }
        try seek(to: after)
        var previous = machine.register(index)
        while machine.step < totalSteps {
            if machine.step % 1_000_000 == 0 { progress(Double(machine.step) / Double(max(1, totalSteps))) }
            guard advance(to: machine.step + 1) == .stepLimit || machine.step == totalSteps else { break }
            let value = machine.register(index)
            if value != previous { return machine.step }
            previous = value
        }
        return nil
    }

    /// The first console line containing `text` after `step`.
    public func nextConsoleLine(containing text: String, after step: UInt64) throws(RecordingError) -> Marker?
    {
        try file.readNextConsoleLine(containing: text, after: step)
    }
}

/// A mutable box for lazily read data, so `Timeline`'s stored properties can stay `let`.
final class Cache<Value> {
    var value: Value?
}
