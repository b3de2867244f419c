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
    ///
    /// The most recent steps are replayed first, in growing windows: what a debugger looks
    /// back for is usually recent, and replaying a whole keyframe interval of frequent hits
    /// costs a stop per hit. Further back, intervals the execution index rules out are skipped.
    public func lastExecution(
        of pcs: Set<UInt32>, before: UInt64, notBefore: UInt64 = 0, accept: (Machine) -> Bool
    ) throws(RecordingError) -> TimelineMatch? {
        let chunks = Set(pcs.compactMap { machine.executedChunk(of: $0) })
        guard !chunks.isEmpty, before > 0 else { return nil }
        let floor = notBefore > 0 ? notBefore - 1 : 0
        var through = min(before - 1, totalSteps)
        var window: UInt64 = 1 << 12
        for _ in 0..<3 {
            guard through > floor else { return nil }
            let start = max(floor, through > window ? through - window : 0)
            if let hit = try executions(
                of: pcs, from: start, through: through, firstOnly: false,
                accept: { _ in
                    accept(machine)
                }
            ).last {
                return hit
            }
            through = start
            window *= 16
        }
        guard through > floor else { return nil }
        return try searchBackward(
            before: through + 1, notBefore: notBefore, progress: { _ in },
            mayHold: { index in !chunks.isDisjoint(with: executedChunks[index]) }
        ) { (start, end) throws(RecordingError) in
            try executions(of: pcs, from: start, through: end, firstOnly: false) { _ in accept(machine) }
        }
    }
}

extension Timeline {
    /// sp (x2) in the state of keyframe `index`: where the stack was at that step. A frame
    /// whose canonical frame address is above it was not yet called there (for code that keeps
    /// one stack), which bounds how far back its call can be.
    public func keyframeStackPointer(_ index: Int) throws(RecordingError) -> UInt32 {
        guard keyframes.indices.contains(index) else {
            throw .invalidRequest("no keyframe \(index)")
        }
        if let known = keyframeStackPointers[index] { return known }
        let stackPointer = try machineState(keyframe: index).x[2]
        keyframeStackPointers[index] = stackPointer
        return stackPointer
    }

    /// The index of the last keyframe at or before `step`.
    public func keyframe(atOrBefore step: UInt64) -> Int { keyframeIndex(atOrBefore: step) }
}
