import Machine

extension Timeline {
    /// The first step > `after` that executed one of `pcs` in a state where `accept` holds
    /// (asked of the machine before the instruction runs: its pc is the match's), or nil.
    /// Intervals the execution index rules out are not replayed.
    public func nextExecution(
        of pcs: Set<UInt32>, after: UInt64, through: UInt64 = .max, accept: (Machine) -> Bool
    ) throws(RecordingError) -> TimelineMatch? {
        let chunks = Set(pcs.compactMap { machine.executedChunk(of: $0) })
        guard !chunks.isEmpty else { return nil }
        return try searchForward(
            after: after, through: through, progress: { _ in },
            mayHold: { index in !chunks.isDisjoint(with: executedChunks[index]) }
        ) { (start, end) throws(RecordingError) in
            try executions(of: pcs, from: start, through: end, firstOnly: true) { _ in accept(machine) }
        }
    }

    /// The last step < `before` (and ≥ `notBefore`) that executed one of `pcs` in a state
    /// where `accept` holds, or nil.
    public func lastExecution(
        of pcs: Set<UInt32>, before: UInt64, notBefore: UInt64 = 0, accept: (Machine) -> Bool
    ) throws(RecordingError) -> TimelineMatch? {
        let chunks = Set(pcs.compactMap { machine.executedChunk(of: $0) })
        guard !chunks.isEmpty else { return nil }
        return try searchBackward(
            before: before, notBefore: notBefore, progress: { _ in },
            mayHold: { index in !chunks.isDisjoint(with: executedChunks[index]) }
        ) { (start, end) throws(RecordingError) in
            try executions(of: pcs, from: start, through: end, firstOnly: false) { _ in accept(machine) }
        }
    }
}
