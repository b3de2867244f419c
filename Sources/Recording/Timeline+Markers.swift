import Machine

/// Markers: the `marker` table's rows (console lines, input, the end; every marker before
/// format 3), the packed batches (traps, semihosting calls, HTIF commands) and a live
/// recorder's tail, as one list in step order.
extension Timeline {
    /// The nearest marker of `kind` (or of the `exception`/`interrupt` family, or `any`)
    /// before step `before`, or else after step `after` (from the start without either).
    public func marker(kind: MarkerKind, before: UInt64? = nil, after: UInt64? = nil) throws(RecordingError)
        -> Marker?
    {
        let matches: (MarkerKind) -> Bool
        switch kind {
        case MarkerKind.exceptionFamily: matches = MarkerKind.isException
        case MarkerKind.interruptFamily: matches = MarkerKind.isInterrupt
        case MarkerKind.anyKind: matches = { _ in true }
        default: matches = { $0 == kind }
        }
        // A live tail's markers come after everything in the file.
        let live = (tail?.markers ?? []).filter { matches($0.kind) }
        if let before, let hit = live.last(where: { $0.step < before }) { return hit }
        let kinds = summary.markerCounts.map(\.kind).filter(matches)
        let row = try file.readFirstMarker(kinds: kinds, before: before, after: after, through: totalSteps)
        if let before {
            let packed = lastBatchedMarker(before: before, matching: matches)
            // At the same step a row comes after the packed markers: it is the newer.
            guard let packed else { return row }
            guard let row else { return packed }
            return row.step >= packed.step ? row : packed
        }
        let start = after ?? 0
        let packed = firstBatchedMarker(after: start, through: totalSteps, matching: matches)
        if let packed, let row {
            return packed.step <= row.step ? packed : row
        }
        if let stored = packed ?? row { return stored }
        return live.first { $0.step > start }
    }

    /// Markers with steps in `steps`, in order, at most `limit` (for the inspector's timeline
    /// and console).
    public func markers(in steps: ClosedRange<UInt64>, limit: Int = 100_000) throws(RecordingError)
        -> [Marker]
    {
        let rows = try file.readMarkers(in: steps, limit: limit)
        var packed: [Marker] = []
        for entry in markerBatches[firstBatch(endingAfter: steps.lowerBound)...] {
            guard entry.batch.firstStep <= steps.upperBound, packed.count < limit else { break }
            packed += entry.batch.markers(in: steps, limit: limit - packed.count)
        }
        let stored = Array(Marker.merged(packed: packed, rows: rows).prefix(limit))
        guard let tail else { return stored }
        // A live tail's markers are not in the file yet; the file may already hold rows
        // committed after the tail was taken, which the tail also holds.
        let committedEnd = summary.ending.totalSteps
        let live = tail.events.markers(in: steps, limit: limit)
        return Array((stored.filter { $0.step <= committedEnd } + live).prefix(limit))
    }

    /// The index of the first batch whose last step is at or after `step` (the count when none is).
    private func firstBatch(endingAfter step: UInt64) -> Int {
        var low = 0
        var high = markerBatches.count
        while low < high {
            let middle = (low + high) / 2
            if markerBatches[middle].batch.lastStep < step { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The newest batched marker before `before` whose kind `matches`.
    private func lastBatchedMarker(before: UInt64, matching matches: (MarkerKind) -> Bool) -> Marker? {
        for entry in markerBatches.reversed()
        where entry.batch.firstStep < before && entry.kinds.contains(where: matches) {
            var found: Marker?
            entry.batch.forEach { packed in
                guard packed.step < before else { return false }
                if matches(packed.kind) { found = packed.marker }
                return true
            }
            if let found { return found }
        }
        return nil
    }

    /// The oldest batched marker after `after`, up to `through`, whose kind `matches`.
    private func firstBatchedMarker(
        after: UInt64, through last: UInt64, matching matches: (MarkerKind) -> Bool
    )
        -> Marker?
    {
        for entry in markerBatches[firstBatch(endingAfter: after &+ 1)...] {
            guard entry.batch.firstStep <= last else { break }
            guard entry.kinds.contains(where: matches) else { continue }
            var found: Marker?
            entry.batch.forEach { packed in
                guard packed.step <= last else { return false }
                if packed.step > after && matches(packed.kind) {
                    found = packed.marker
                    return false
                }
                return true
            }
            if let found { return found }
        }
        return nil
    }
}
