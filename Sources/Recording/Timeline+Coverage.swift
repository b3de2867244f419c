import Machine

/// Which code ran in a span of the recording: for the inspector's "lines executed in the
/// visible range" (a source line ran when one of its statement addresses did).
extension Timeline {
    /// Which of `addresses` are about to run in a state of `span` (the instruction runs in
    /// the step after it, so a span's last state counts too). Replays only the keyframe
    /// intervals whose executed code may hold one of them, with a breakpoint on each address
    /// not found yet: a replay costs about one stop per address found, however often it runs.
    public func executedAddresses(
        among addresses: Set<UInt32>, in span: ClosedRange<UInt64>, progress: (Double) -> Void = { _ in }
    ) throws(RecordingError) -> Set<UInt32> {
        var remaining = addresses
        var found = Set<UInt32>()
        let chunks = Dictionary(grouping: addresses, by: { machine.executedChunk(of: $0) ?? -1 })
        defer { machine.setBreakpoints([]) }
        // Interval i is the steps after keyframe i−1 up to keyframe i; a live tail has no
        // index yet and is replayed whole.
        var intervals: [(start: UInt64, end: UInt64, index: Int?)] = (1..<max(1, keyframes.count)).map {
            (keyframes[$0 - 1].step, keyframes[$0].step, $0)
        }
        if let last = keyframes.last, totalSteps > last.step {
            intervals.append((last.step, totalSteps, nil))
        }
        let overlapping = intervals.filter { $0.end >= span.lowerBound && $0.start <= span.upperBound }
        for (done, interval) in overlapping.enumerated() where !remaining.isEmpty {
            progress(Double(done) / Double(max(1, overlapping.count)))
            if let index = interval.index {
                let ran = executedChunks[index]
                let mayHold = chunks.contains { chunk, members in
                    (chunk < 0 || ran.contains(chunk)) && !remaining.isDisjoint(with: members)
                }
                guard mayHold else { continue }
            }
            let start = max(interval.start, span.lowerBound)
            // The state at `end` is about to run its instruction: it counts when in the span.
            let end = min(interval.end, span.upperBound)
            try seek(to: start)
            machine.breakpointSkipStep = .max
            while !remaining.isEmpty && machine.step <= end {
                machine.setBreakpoints(remaining)
                let reason = machine.step < end ? advance(to: end) : .stepLimit
                if reason == .breakpoint || remaining.contains(machine.pc) {
                    found.insert(machine.pc)
                    remaining.remove(machine.pc)
                }
                guard reason == .breakpoint, machine.step < end else { break }
            }
        }
        return found
    }
}
