import Machine

/// Markers of a fixed shape — traps, semihosting calls, HTIF commands, the ones firmware makes
/// thousands of times a second — packed into one blob instead of a row each (format 3's
/// `marker_batch` table): about 9 bytes a marker, appended on the emulator's thread without
/// allocating, written with one `INSERT` per keyframe interval.
///
/// Each entry, in step order:
///
/// ```
///   step delta   LEB128: from the previous entry's step (the first entry's: from firstStep, 0)
///   tag          1 byte: 0 trap, 1 semihosting call, 2 HTIF command
///   pc           4 bytes, little-endian
///   value        LEB128 of 32 bits: a trap's mcause rotated left by one (an interrupt's
///                cause is then one byte), else the marker's value
///   mtval        LEB128 of 32 bits, traps only (the marker's text, "mtval 0x…", when not 0)
/// ```
///
/// These markers are reported at the start of their step, before the step writes any console
/// output; so a batch's markers come before the `marker` table's (console lines, input, the
/// end) at the same step, which is the order the recorder saw them in.
struct MarkerBatch: Sendable, Equatable {
    /// The packed entries.
    private(set) var bytes: [UInt8] = []
    /// How many entries `bytes` holds.
    private(set) var count = 0
    /// The step of the first entry (0 while empty).
    private(set) var firstStep: UInt64 = 0
    /// The step of the last entry (0 while empty).
    private(set) var lastStep: UInt64 = 0

    /// An empty batch.
    init() {}

    /// The recorder starts another batch beyond this size, so that a keyframe interval full
    /// of traps stays well inside a value a reader takes (`RecordingLimits.maximumValueBytes`).
    static let targetBytes = 256 << 10

    /// What an entry is.
    enum Tag: UInt8 {
        case trap = 0
        case semihosting = 1
        case htif = 2
    }

    /// Appends a marker; `step` must not be below the last entry's. `mtval` is a trap's
    /// (ignored for the other tags).
    @inline(__always)
    mutating func append(step: UInt64, tag: Tag, pc: UInt32, value: UInt32, mtval: UInt32 = 0) {
        if count == 0 {
            firstStep = step
            lastStep = step
            bytes.reserveCapacity(4096)
        }
        let delta = step &- lastStep
        lastStep = step
        count += 1
        // The entry is put together on the stack and appended at once: one capacity check
        // instead of one a byte (this runs for every trap of the run).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.largestEntry) { entry in
            guard let start = entry.baseAddress else { return }
            var end = LEB128.write(delta, to: start)
            start[end] = tag.rawValue
            start[end + 1] = UInt8(truncatingIfNeeded: pc)
            start[end + 2] = UInt8(truncatingIfNeeded: pc >> 8)
            start[end + 3] = UInt8(truncatingIfNeeded: pc >> 16)
            start[end + 4] = UInt8(truncatingIfNeeded: pc >> 24)
            end += 5
            if tag == .trap {
                end += LEB128.write(UInt64((value << 1) | (value >> 31)), to: start + end)
                end += LEB128.write(UInt64(mtval), to: start + end)
            } else {
                end += LEB128.write(UInt64(value), to: start + end)
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: end))
        }
    }

    /// The most bytes one entry takes: a 64-bit delta, the tag, the pc, two 32-bit numbers.
    private static let largestEntry = 10 + 1 + 4 + 5 + 5

    /// One entry, unpacked.
    struct Entry: Equatable {
        var step: UInt64
        var tag: Tag
        var pc: UInt32
        var value: UInt32
        var mtval: UInt32

        /// The marker the entry stands for, as the recorder made it before markers were packed.
        var marker: Marker {
            switch tag {
            case .trap:
                Marker(
                    step: step, kind: MarkerKind.trap(cause: value), pc: pc, value: value,
                    text: mtval == 0 ? nil : "mtval \(hex(mtval))")
            case .semihosting: Marker(step: step, kind: MarkerKind.semihosting, pc: pc, value: value)
            case .htif: Marker(step: step, kind: MarkerKind.htif, pc: pc, value: value)
            }
        }

        /// The kind of `marker`, without making the marker.
        var kind: MarkerKind {
            switch tag {
            case .trap: MarkerKind.trap(cause: value)
            case .semihosting: MarkerKind.semihosting
            case .htif: MarkerKind.htif
            }
        }
    }

    /// Calls `body` with every entry in order until it returns false. The bytes must be a
    /// batch's (`init(checking:…)` checks those read from a file).
    func forEach(_ body: (Entry) -> Bool) {
        _ = try? Self.walk(bytes, from: firstStep) { entry throws(RecordingError) in body(entry) }
    }

    /// The markers of the batch with steps in `steps`, in order, at most `limit`.
    func markers(in steps: ClosedRange<UInt64>, limit: Int = .max) -> [Marker] {
        var markers: [Marker] = []
        guard count > 0, steps.overlaps(firstStep...lastStep), limit > 0 else { return markers }
        forEach { entry in
            if entry.step > steps.upperBound { return false }
            if entry.step >= steps.lowerBound { markers.append(entry.marker) }
            return markers.count < limit
        }
        return markers
    }

    /// How many markers of each kind the batch holds.
    func kindCounts() -> [MarkerKind: Int] {
        var traps: [UInt32: Int] = [:]
        var others: [MarkerKind: Int] = [:]
        forEach { entry in
            if entry.tag == .trap {
                traps[entry.value, default: 0] += 1
            } else {
                others[entry.kind, default: 0] += 1
            }
            return true
        }
        for (cause, count) in traps { others[MarkerKind.trap(cause: cause), default: 0] += count }
        return others
    }

    // MARK: Reading

    /// A batch read from a file, checked through and through (a recording is untrusted): its
    /// `count` entries fill `bytes` exactly, each well formed (a known tag, LEB128 numbers of
    /// at most 64 and 32 bits), their steps starting at `firstStep`, never decreasing, and
    /// ending at `lastStep`. Takes time in proportion to the bytes.
    init(checking bytes: [UInt8], count: Int, firstStep: UInt64, lastStep: UInt64) throws(RecordingError) {
        guard count > 0, firstStep <= lastStep else {
            throw .damaged("a marker batch is empty or its steps go backwards")
        }
        var entries = 0
        var last = firstStep
        let end = try Self.walk(bytes, from: firstStep) { entry throws(RecordingError) in
            entries += 1
            guard entries <= count else {
                throw .damaged("a marker batch holds more markers than the \(count) it claims")
            }
            guard entries > 1 || entry.step == firstStep else {
                throw .damaged("a marker batch does not start at its first step")
            }
            last = entry.step
            return true
        }
        guard end == bytes.count else { throw .damaged("a marker batch holds bytes after its markers") }
        guard entries == count else {
            throw .damaged("a marker batch holds \(entries) markers, not the \(count) it claims")
        }
        guard last == lastStep else { throw .damaged("a marker batch does not end at its last step") }
        self.bytes = bytes
        self.count = count
        self.firstStep = firstStep
        self.lastStep = lastStep
    }

    /// Decodes entries in order, handing each to `body` until it returns false; returns the
    /// offset where decoding stopped. Throws at the first malformed entry.
    private static func walk(
        _ bytes: [UInt8], from firstStep: UInt64, _ body: (Entry) throws(RecordingError) -> Bool
    ) throws(RecordingError) -> Int {
        try bytes.withUnsafeBufferPointer { buffer throws(RecordingError) -> Int in
            var index = 0
            var step = firstStep
            while index < buffer.count {
                guard let delta = LEB128.read(buffer, at: &index) else {
                    throw .damaged("a marker batch is cut short")
                }
                let (next, overflow) = step.addingReportingOverflow(delta)
                guard !overflow, next <= UInt64(Int64.max) else {
                    throw .damaged("a marker batch's steps run past the largest step")
                }
                step = next
                guard index + 5 <= buffer.count, let tag = Tag(rawValue: buffer[index]) else {
                    throw .damaged("a marker batch is cut short or holds an unknown tag")
                }
                let pc =
                    UInt32(buffer[index + 1]) | UInt32(buffer[index + 2]) << 8 | UInt32(buffer[index + 3])
                    << 16
                    | UInt32(buffer[index + 4]) << 24
                index += 5
                guard let stored = word(buffer, at: &index) else {
                    throw .damaged("a marker batch holds a value that is not 32 bits")
                }
                var value = stored
                var mtval: UInt32 = 0
                if tag == .trap {
                    value = (stored >> 1) | (stored << 31)
                    guard let trapValue = word(buffer, at: &index) else {
                        throw .damaged("a marker batch holds an mtval that is not 32 bits")
                    }
                    mtval = trapValue
                }
                guard try body(Entry(step: step, tag: tag, pc: pc, value: value, mtval: mtval)) else { break }
            }
            return index
        }
    }

    /// A LEB128 number that must fit in 32 bits.
    @inline(__always)
    private static func word(_ buffer: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt32? {
        guard let value = LEB128.read(buffer, at: &index), value <= UInt64(UInt32.max) else { return nil }
        return UInt32(value)
    }
}

extension Marker {
    /// Two lists of markers in step order merged into one: at the same step the packed ones
    /// (a batch's) come first, as the recorder saw them (see `MarkerBatch`).
    static func merged(packed: [Marker], rows: [Marker]) -> [Marker] {
        guard !packed.isEmpty else { return rows }
        guard !rows.isEmpty else { return packed }
        var result: [Marker] = []
        result.reserveCapacity(packed.count + rows.count)
        var row = 0
        for marker in packed {
            while row < rows.count && rows[row].step < marker.step {
                result.append(rows[row])
                row += 1
            }
            result.append(marker)
        }
        result += rows[row...]
        return result
    }
}
