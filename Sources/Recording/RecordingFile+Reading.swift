import Foundation
import GRDB
import Machine

/// Reading a recording: every SQL query a reader makes, returning typed values that have been
/// checked (a recording is untrusted input: types, sizes, counts and steps are bounded before
/// use, strings made safe to show). `Timeline` reads through these and knows no SQL.
extension RecordingFile {
    /// The compressed state of keyframe `index`.
    func readState(keyframe index: Int) throws(RecordingError) -> [UInt8] {
        let blob = try read("keyframe \(index)") { db in
            try Row.fetchOne(db, sql: "SELECT state FROM keyframe WHERE idx = ?", arguments: [index])?.blob(
                "state")
        }
        guard let blob else { throw .damaged("keyframe \(index) has no state") }
        return Array(blob)
    }

    /// The compressed bytes of RAM page `page` as keyframe `keyframe` stored it.
    func readPage(_ page: Int, keyframe: Int) throws(RecordingError) -> [UInt8] {
        let blob = try read("page \(page)") { db in
            try Row.fetchOne(
                db, sql: "SELECT data FROM page WHERE page = ? AND keyframe = ?", arguments: [page, keyframe])?
                .blob("data")
        }
        guard let blob else { throw .damaged("page \(page) of keyframe \(keyframe) is missing") }
        return Array(blob)
    }

    /// The header, all but the firmware's bytes (`readFirmware` reads them). Every value is
    /// checked for its type and size before it is used; the firmware name is made safe to show.
    func readHeader() throws(RecordingError) -> RecordingHeader {
        let row = try read("the header") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT format, firmware_name, firmware_sha256, typeof(firmware) AS firmware_type,
                        length(firmware) AS firmware_bytes, board, keyframe_interval\(version >= 2 ? ", firmware_modified" : "")
                    FROM recording WHERE id = 1
                    """)
        }
        guard let row else { throw .damaged("it has no header row") }
        guard row.text("format") == RecordingFile.formatName else {
            throw .notARecording("its format is not \(RecordingFile.formatName)")
        }
        guard let name = row.text("firmware_name"), let sha = row.text("firmware_sha256"),
            row.text("firmware_type") == "blob",
            let firmwareBytes = row.integer("firmware_bytes"), let boardText = row.text("board"),
            let interval = row.integer("keyframe_interval")
        else { throw .damaged("the header has missing fields") }
        guard name.utf8.count <= RecordingLimits.maximumNameBytes else {
            throw .damaged(
                "its firmware name is \(name.utf8.count) bytes long; a file name has at most \(RecordingLimits.maximumNameBytes)"
            )
        }
        guard sha.utf8.count == 64,
            sha.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else {
            throw .damaged("its firmware SHA-256 is not 64 hex digits")
        }
        guard firmwareBytes <= Int64(RecordingLimits.maximumFirmwareBytes) else {
            throw .damaged(
                "its firmware is \(firmwareBytes) bytes; a firmware has at most \(RecordingLimits.maximumFirmwareBytes >> 20) MiB"
            )
        }
        let intervals =
            Int64(RecordingLimits.minimumKeyframeInterval)...Int64(RecordingLimits.maximumKeyframeInterval)
        guard intervals.contains(interval) else {
            throw .damaged(
                "its keyframe interval is \(interval) steps; a recording's is \(intervals.lowerBound) … \(intervals.upperBound)"
            )
        }
        // Format 1 has no modification time; in format 2 it is an integer or NULL.
        var modified: Int64?
        if version >= 2 {
            modified = row.integer("firmware_modified")
            guard modified != nil || (row["firmware_modified"] as DatabaseValue).isNull else {
                throw .damaged("its firmware's modification time is not an integer")
            }
        }
        return RecordingHeader(
            firmwareName: UntrustedText.displayable(name), firmwareSHA256: sha, firmware: [],
            board: try Self.readBoard(boardText),
            keyframeInterval: UInt64(interval),
            firmwareModified: modified.map(Date.init(recordedNanoseconds:)))
    }

    /// The board of the header's JSON, which must be one `--board` and `--ram` can build.
    private static func readBoard(_ text: String) throws(RecordingError) -> BoardConfiguration {
        guard text.utf8.count <= RecordingLimits.maximumNameBytes else {
            throw .damaged(
                "its board description is \(text.utf8.count) bytes long; a board's has at most \(RecordingLimits.maximumNameBytes)"
            )
        }
        let claimed: BoardConfiguration
        do {
            claimed = try JSONDecoder().decode(BoardConfiguration.self, from: Data(text.utf8))
        } catch {
            throw .damaged("the board description does not decode (\(UntrustedText.displayable("\(error)")))")
        }
        guard BoardConfiguration.knownBoards.contains(claimed.name) else {
            throw .damaged(
                "its board '\(UntrustedText.displayable(claimed.name))' is unknown; known boards: \(BoardConfiguration.knownBoards.joined(separator: ", "))"
            )
        }
        var board: BoardConfiguration
        do {
            board = try BoardConfiguration.named(
                claimed.name, ramSize: UInt64(claimed.ramSize), misalignedAccess: claimed.misalignedAccess)
        } catch {
            throw .damaged("its board is impossible: \(error.description)")
        }
        board.reset = claimed.reset
        guard board == claimed else { throw .damaged("its board puts RAM at an unexpected address") }
        return board
    }

    /// The embedded firmware: the one value allowed to be as long as `maximumFirmwareBytes`.
    func readFirmware() throws(RecordingError) -> [UInt8] {
        let blob = try read("the firmware", valuesUpTo: RecordingLimits.maximumFirmwareBytes) { db in
            try Row.fetchOne(db, sql: "SELECT firmware FROM recording WHERE id = 1")?.blob("firmware")
        }
        guard let blob else { throw .damaged("the header has missing fields") }
        return Array(blob)
    }

    /// How many pages keyframe 0 can store: those the firmware's segments cover, and the
    /// device tree's on boards that reset through the ROM (a few kilobytes: 16 pages leave
    /// room). A first sieve, before the machine exists; its RAM is the exact check.
    static func imagePageLimit(of firmware: Firmware, on board: BoardConfiguration) -> Int {
        var pages = 16
        for segment in firmware.segments where segment.memorySize > 0 {
            let first = UInt64(segment.address) / UInt64(Machine.pageSize)
            let last = (UInt64(segment.address) + UInt64(segment.memorySize) - 1) / UInt64(Machine.pageSize)
            pages += Int(last - first + 1)
        }
        return min(pages, Int(board.ramSize) / Machine.pageSize)
    }

    /// A keyframe as the index knows it before any of its blobs is read.
    struct KeyframeEntry {
        var step: UInt64
        var stateHash: UInt64
    }

    /// The keyframes from position `first` on, without their blobs, with their structure
    /// checked: positions 0, 1, 2, …; keyframe 0 at step 0, keyframe j ≥ 1 at step j·K
    /// except the last, which is in ((j−1)·K, j·K]; no more keyframes than the ending's step
    /// allows; each one's executed-chunk list and stored pages no more than its steps can
    /// produce (keyframe 0: than the firmware image covers, `imagePageLimit`); page indices
    /// inside RAM. Counts and sizes come from SQL (`COUNT`, `length`), so nothing big is read.
    func readKeyframeIndex(
        from first: Int, after previousStep: UInt64?, header: RecordingHeader, ending: RecordingEnding?,
        imagePageLimit: Int?
    ) throws(RecordingError) -> [KeyframeEntry] {
        let interval = header.keyframeInterval
        let pageCount = Int(header.board.ramSize) / Machine.pageSize
        let chunkCount = Machine.executedChunkCount(for: header.board, shift: executedChunkShift)
        let lowest = first == 0 ? Int64.min : Int64(first)
        // One read transaction: keyframes and their pages are committed together.
        return try read("the keyframes") { db in
            guard
                let counts = try Row.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) AS n, MIN(idx) AS low, MAX(idx) AS high FROM keyframe WHERE idx >= ?",
                    arguments: [lowest]),
                let count = counts.integer("n")
            else { throw RecordingError.damaged("its keyframes cannot be counted") }
            guard count > 0 else { return [] }
            guard counts.integer("low") == Int64(first), counts.integer("high") == Int64(first) + count - 1
            else {
                throw RecordingError.damaged("its keyframes are not numbered \(first), \(first + 1), …")
            }
            if let ending, UInt64(first) + UInt64(count) > ending.totalSteps / interval + 2 {
                throw RecordingError.damaged(
                    "it holds \(UInt64(first) + UInt64(count)) keyframes, more than a run of \(ending.totalSteps) steps with a keyframe every \(interval) has"
                )
            }
            var entries: [KeyframeEntry] = []
            var spans: [UInt64] = []
            var previous = previousStep
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT idx, step, state_hash, typeof(state) AS state_type, typeof(executed) AS executed_type,
                        length(executed) AS executed_bytes FROM keyframe WHERE idx >= ? ORDER BY idx
                    """, arguments: [first])
            while let row = try rows.next() {
                let position = first + entries.count
                guard let index = row.integer("idx"), index == Int64(position),
                    let step = row.integer("step"), step >= 0,
                    let hash = row.integer("state_hash"), row.text("state_type") == "blob",
                    row.text("executed_type") == "blob",
                    let executedBytes = row.integer("executed_bytes")
                else { throw RecordingError.damaged("keyframe \(position) is malformed") }
                let span = try Self.checkStep(UInt64(step), of: position, after: previous, interval: interval)
                guard executedBytes % 4 == 0 else {
                    throw RecordingError.damaged(
                        "an index list has \(executedBytes) bytes, not a multiple of 4")
                }
                let executedLimit = min(
                    UInt64(chunkCount),
                    RecordingLimits.maximumChunksExecutedPerStep.multipliedReportingOverflow(by: span + 1)
                        .partialValue)
                guard UInt64(executedBytes / 4) <= executedLimit else {
                    throw RecordingError.damaged(
                        "keyframe \(position) lists \(executedBytes / 4) chunks of executed code; its \(span) steps run at most \(executedLimit)"
                    )
                }
                entries.append(KeyframeEntry(step: UInt64(step), stateHash: UInt64(bitPattern: hash)))
                spans.append(span)
                previous = UInt64(step)
            }
            let groups = try Row.fetchCursor(
                db,
                sql: """
                    SELECT keyframe, COUNT(*) AS n, MIN(page) AS low, MAX(page) AS high FROM page WHERE keyframe >= ?
                    GROUP BY keyframe ORDER BY keyframe LIMIT ?
                    """, arguments: [lowest, entries.count + 1])
            while let group = try groups.next() {
                guard let keyframe = group.integer("keyframe"), keyframe >= Int64(first),
                    keyframe < Int64(first + entries.count),
                    let low = group.integer("low"), low >= 0, let high = group.integer("high"),
                    high < Int64(pageCount),
                    let stored = group.integer("n")
                else { throw RecordingError.damaged("a page entry lies outside RAM or the keyframes") }
                let position = Int(keyframe)
                let span = spans[position - first]
                let limit =
                    position == 0
                    ? UInt64(imagePageLimit ?? pageCount)
                    : min(
                        UInt64(pageCount),
                        RecordingLimits.maximumPagesWrittenPerStep.multipliedReportingOverflow(by: span)
                            .partialValue)
                guard UInt64(stored) <= limit else {
                    let reason =
                        position == 0
                        ? "the firmware image covers at most \(limit)"
                        : "its \(span) steps write at most \(limit)"
                    throw RecordingError.damaged("keyframe \(position) stores \(stored) pages; \(reason)")
                }
            }
            return entries
        }
    }

    /// Checks the step of keyframe `position` against its predecessor's and the interval;
    /// returns the steps between them.
    private static func checkStep(_ step: UInt64, of position: Int, after previous: UInt64?, interval: UInt64)
        throws(RecordingError) -> UInt64
    {
        guard position > 0 else {
            guard step == 0 else { throw .damaged("the first keyframe is not at step 0") }
            return 0
        }
        guard let previous, step > previous else { throw .damaged("keyframe steps do not increase") }
        // The recorder writes a keyframe every K steps, at multiples of K, and one more where
        // the run ended: every keyframe but the last is on that grid.
        let (expected, overflow) = UInt64(position - 1).multipliedReportingOverflow(by: interval)
        guard !overflow, previous == expected else {
            throw .damaged(
                "keyframe \(position - 1) is at step \(previous), not at a multiple of the interval \(interval)"
            )
        }
        guard step - previous <= interval else {
            throw .damaged(
                "keyframes \(position - 1) and \(position) are \(step - previous) steps apart, more than the interval \(interval)"
            )
        }
        return step - previous
    }

    /// The pages (and their written-line masks) and executed-code chunks of `count` keyframes
    /// from position `first`, which `readKeyframeIndex` has checked. Keyframe 0's pages must
    /// be pages of the loaded image (`imagePages`).
    func readKeyframeContents(
        from first: Int, count: Int, board: BoardConfiguration, imagePages: Set<Int>?
    ) throws(RecordingError) -> (pages: [[PageDelta]], executed: [Set<Int>]) {
        guard count > 0 else { return ([], []) }
        let pageCount = Int(board.ramSize) / Machine.pageSize
        let chunkCount = Machine.executedChunkCount(for: board, shift: executedChunkShift)
        var pages = [[PageDelta]](repeating: [], count: count)
        try read("the page index") { db in
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT page, keyframe, lines\(version >= 4 ? ", granules" : "") FROM page WHERE keyframe >= ? AND keyframe < ? ORDER BY keyframe, page",
                arguments: [first, first + count])
            while let row = try rows.next() {
                guard let page = row.integer("page"), let keyframe = row.integer("keyframe"),
                    let lines = row.integer("lines"),
                    page >= 0, page < Int64(pageCount), keyframe >= Int64(first),
                    keyframe < Int64(first + count)
                else { throw RecordingError.damaged("a page entry lies outside RAM or the keyframes") }
                if keyframe == 0, let imagePages, !imagePages.contains(Int(page)) {
                    throw RecordingError.damaged(
                        "keyframe 0 stores page \(page), which the firmware image does not cover")
                }
                let mask = UInt64(bitPattern: lines)
                guard let granules = RecordingFile.decodeGranules(row, lines: mask) else {
                    throw RecordingError.damaged(
                        "page \(page) of keyframe \(keyframe) has a granule mask that does not match its lines"
                    )
                }
                pages[Int(keyframe) - first].append(
                    PageDelta(page: Int(page), lines: mask, granules: granules))
            }
        }
        // A board's executed-chunk list can be 4 bytes per chunk of its RAM.
        var executed: [Set<Int>] = []
        executed.reserveCapacity(count)
        try read(
            "the executed-code index", valuesUpTo: max(RecordingLimits.maximumValueBytes, 4 * chunkCount)
        ) { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT idx, executed FROM keyframe WHERE idx >= ? AND idx < ? ORDER BY idx",
                arguments: [first, first + count])
            while let row = try rows.next() {
                let position = first + executed.count
                guard row.integer("idx") == Int64(position), let blob = row.blob("executed") else {
                    throw RecordingError.damaged("keyframe \(position) is malformed")
                }
                let chunks = try RecordingFile.decodeIndices(Array(blob))
                guard chunks.allSatisfy({ $0 < chunkCount }) else {
                    throw RecordingError.damaged(
                        "keyframe \(position) lists executed code outside RAM and the reset ROM")
                }
                executed.append(Set(chunks))
            }
        }
        guard executed.count == count else {
            throw .damaged("keyframes \(first) … \(first + count - 1) changed while being read")
        }
        return (pages, executed)
    }

    /// The input rows after `previous.row`, whose steps must not go below `previous.step` nor
    /// beyond `lastStep`.
    func readInputs(after previous: (row: Int64, step: UInt64), through lastStep: UInt64)
        throws(RecordingError) -> (entries: [InputEvent], lastRow: Int64)
    {
        try read("the input log") { db in
            let count =
                try Int64.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM input WHERE seq > ?", arguments: [previous.row]) ?? 0
            // The UART takes a byte only when its FIFO has room, and one step can empty at
            // most the whole FIFO.
            let limit = (lastStep.addingReportingOverflow(1).partialValue).multipliedReportingOverflow(
                by: UInt64(UART16550.fifoDepth))
            guard limit.overflow || UInt64(count) <= limit.partialValue else {
                throw RecordingError.damaged(
                    "its input log holds \(count) bytes, more than \(lastStep) steps can take")
            }
            var inputs: [InputEvent] = []
            inputs.reserveCapacity(Int(min(count, 1 << 20)))
            var last = previous.row
            var lastInputStep = previous.step
            let rows = try Row.fetchCursor(
                db, sql: "SELECT seq, step, byte FROM input WHERE seq > ? ORDER BY seq",
                arguments: [previous.row])
            while let row = try rows.next() {
                guard let seq = row.integer("seq"), let step = row.integer("step"), step >= 0,
                    let byte = row.integer("byte"),
                    (0...255).contains(byte)
                else { throw RecordingError.damaged("an input entry is malformed") }
                guard UInt64(step) >= lastInputStep else {
                    throw RecordingError.damaged("input steps go backwards")
                }
                guard UInt64(step) <= lastStep else {
                    throw RecordingError.damaged(
                        "an input is delivered after step \(lastStep), past its keyframe")
                }
                inputs.append(InputEvent(step: UInt64(step), byte: UInt8(byte)))
                last = seq
                lastInputStep = UInt64(step)
            }
            return (inputs, last)
        }
    }

    /// The ending, if the recorder wrote it; its detail is made safe to show.
    func readEnding() throws(RecordingError) -> RecordingEnding? {
        let row = try read("the ending") { db in
            try Row.fetchOne(
                db, sql: "SELECT total_steps, reason, exit_code, detail FROM ending WHERE id = 1")
        }
        guard let row else { return nil }
        guard let total = row.integer("total_steps"), total >= 0,
            let reasonText = row.text("reason"), let reason = EndReason(rawValue: reasonText)
        else { throw .damaged("its ending is malformed") }
        let exitCode = (row.integer("exit_code")).map { Int32(truncatingIfNeeded: $0) }
        let detail = row.text("detail")
        if let detail, detail.utf8.count > RecordingLimits.maximumTextBytes {
            throw .damaged(
                "its end detail is \(detail.utf8.count) bytes long; a recording's has at most \(RecordingLimits.maximumTextBytes)"
            )
        }
        return RecordingEnding(
            totalSteps: UInt64(total), reason: reason, exitCode: exitCode,
            detail: detail.map { UntrustedText.displayable($0) })
    }

    /// How many markers of each kind the recording holds up to `step`; every kind must be one
    /// a recording can hold (`MarkerKind.isKnown`).
    func readMarkerCounts(upTo step: UInt64) throws(RecordingError) -> [(kind: MarkerKind, count: Int)] {
        let rows = try read("the marker counts") { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT kind, COUNT(*) AS n FROM marker WHERE step <= ? GROUP BY kind ORDER BY kind LIMIT ?",
                arguments: [Int64(step), RecordingLimits.maximumMarkerKinds + 1])
        }
        guard rows.count <= RecordingLimits.maximumMarkerKinds else {
            throw .damaged("its markers have more than \(RecordingLimits.maximumMarkerKinds) kinds")
        }
        var counts: [(kind: MarkerKind, count: Int)] = []
        for row in rows {
            guard let name = row.text("kind"), let count = row.integer("n") else {
                throw .damaged("a marker has a kind that is not text")
            }
            let kind = MarkerKind(rawValue: name)
            guard MarkerKind.isKnown(kind) else {
                throw .damaged("a marker has the unknown kind '\(UntrustedText.displayable(name))'")
            }
            counts.append((kind, Int(count)))
        }
        return counts
    }

    /// The marker batches stored after row `previous.row` (none before format 3), each
    /// checked through (`MarkerBatch.init(checking:…)`): their steps must not go below
    /// `previous.step`, and a batch must lie within the keyframes read so far (up to
    /// `lastStep`). A batch past them is one a recorder committed with a keyframe this reader
    /// has not read yet: reading stops before it, unless the recording is `finished`, where it
    /// is damage. At most `RecordingLimits.maximumValueBytes` a batch, as every value.
    func readMarkerBatches(
        after previous: (row: Int64, step: UInt64), through lastStep: UInt64, finished: Bool
    )
        throws(RecordingError) -> (batches: [MarkerBatch], lastRow: Int64)
    {
        guard version >= 3 else { return ([], previous.row) }
        return try read("the marker batches") { db in
            var batches: [MarkerBatch] = []
            var last = previous
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT id, first_step, last_step, count, data FROM marker_batch WHERE id > ? ORDER BY id",
                arguments: [previous.row])
            while let row = try rows.next() {
                guard let id = row.integer("id"), let first = row.integer("first_step"), first >= 0,
                    let final = row.integer("last_step"), final >= first, let count = row.integer("count"),
                    let data = row.blob("data")
                else { throw RecordingError.damaged("a marker batch is malformed") }
                guard UInt64(first) >= last.step else {
                    throw RecordingError.damaged("marker batches go backwards in steps")
                }
                guard UInt64(final) <= lastStep else {
                    if finished {
                        throw RecordingError.damaged("a marker batch lies past the end of the recording")
                    }
                    break
                }
                // An entry takes at least 7 bytes: no more can be claimed than the bytes hold.
                guard count > 0, count <= Int64(data.count / 7) else {
                    throw RecordingError.damaged(
                        "a marker batch claims \(count) markers in \(data.count) bytes")
                }
                batches.append(
                    try MarkerBatch(
                        checking: Array(data), count: Int(count), firstStep: UInt64(first),
                        lastStep: UInt64(final)))
                last = (id, UInt64(final))
            }
            return (batches, last.row)
        }
    }

    /// A marker row (`step, kind, pc, value, text`): its kind must be one a recording can
    /// hold; its text is made safe to show.
    static func marker(from row: Row) throws(RecordingError) -> Marker {
        guard let step = row.integer("step"), step >= 0, let name = row.text("kind") else {
            throw .damaged("a marker is malformed")
        }
        let kind = MarkerKind(rawValue: name)
        guard MarkerKind.isKnown(kind) else {
            throw .damaged("a marker has the unknown kind '\(UntrustedText.displayable(name))'")
        }
        let text = row.text("text")
        if let text, text.utf8.count > RecordingLimits.maximumTextBytes {
            throw .damaged(
                "a marker's text is \(text.utf8.count) bytes long; a recording's has at most \(RecordingLimits.maximumTextBytes)"
            )
        }
        return Marker(
            step: UInt64(step), kind: kind, pc: UInt32(truncatingIfNeeded: row.integer("pc") ?? 0),
            value: UInt32(truncatingIfNeeded: row.integer("value") ?? 0),
            text: text.map { UntrustedText.displayable($0) })
    }

    /// The newest marker of one of `kinds` before step `before`, or (without `before`) the
    /// oldest after step `after` up to `through`.
    func readFirstMarker(kinds: [MarkerKind], before: UInt64?, after: UInt64?, through lastStep: UInt64)
        throws(RecordingError) -> Marker?
    {
        guard !kinds.isEmpty else { return nil }
        let placeholders = kinds.map { _ in "?" }.joined(separator: ",")
        var arguments: [DatabaseValueConvertible] = kinds.map(\.rawValue)
        let condition: String
        if let before {
            condition = "step < ? ORDER BY step DESC, id DESC"
            arguments.append(Int64(clamping: before))
        } else {
            condition = "step > ? AND step <= ? ORDER BY step, id"
            arguments.append(Int64(clamping: after ?? 0))
            arguments.append(Int64(clamping: lastStep))
        }
        let sql =
            "SELECT step, kind, pc, value, text FROM marker WHERE kind IN (\(placeholders)) AND \(condition) LIMIT 1"
        let row = try read("markers") { db in
            try Row.fetchOne(db, sql: sql, arguments: StatementArguments(arguments))
        }
        return try row.map { row throws(RecordingError) in try RecordingFile.marker(from: row) }
    }

    /// Markers with steps in `steps`, in order, at most `limit`.
    func readMarkers(in steps: ClosedRange<UInt64>, limit: Int) throws(RecordingError) -> [Marker] {
        try read("markers") { db in
            var markers: [Marker] = []
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT step, kind, pc, value, text FROM marker WHERE step BETWEEN ? AND ? ORDER BY step, id LIMIT ?",
                arguments: [Int64(clamping: steps.lowerBound), Int64(clamping: steps.upperBound), limit])
            while let row = try rows.next() { markers.append(try RecordingFile.marker(from: row)) }
            return markers
        }
    }

    /// Console chunks (first step, the step of every byte, the bytes) stored after row
    /// `previousRow`, at most `limit`, and the last row read.
    func readConsoleChunks(after previousRow: Int64, limit: Int) throws(RecordingError) -> (
        chunks: [ConsoleChunk], lastRow: Int64
    ) {
        try read("console output") { db in
            var chunks: [ConsoleChunk] = []
            var lastRow = previousRow
            // A chunk holds at most 1 MiB, and a step list at most a 10-byte LEB128 delta per
            // byte: bigger blobs come back as NULL, unread.
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT id, first_step,
                        CASE WHEN length(data) <= 1048576 AND length(steps) <= 10 * length(data) THEN steps END AS steps,
                        CASE WHEN length(data) <= 1048576 THEN data END AS data
                    FROM console WHERE id > ? ORDER BY id LIMIT ?
                    """,
                arguments: [previousRow, limit])
            while let row = try rows.next() {
                guard let id = row.integer("id"), let first = row.integer("first_step"), first >= 0,
                    let steps = row.blob("steps"),
                    let data = row.blob("data")
                else { throw RecordingError.damaged("a console entry is malformed") }
                let decoded = try RecordingFile.decodeSteps(
                    Array(steps), first: UInt64(first), count: data.count)
                chunks.append(ConsoleChunk(steps: decoded, bytes: Array(data)))
                lastRow = id
            }
            return (chunks, lastRow)
        }
    }

    /// The first console line containing `text` after `step`.
    func readNextConsoleLine(containing text: String, after step: UInt64) throws(RecordingError) -> Marker? {
        let row = try read("console markers") { db in
            try Row.fetchOne(
                db,
                sql:
                    "SELECT step, kind, pc, value, text FROM marker WHERE kind = 'console' AND step > ? AND instr(text, ?) > 0 ORDER BY step LIMIT 1",
                arguments: [Int64(clamping: step), text])
        }
        return try row.map { row throws(RecordingError) in try RecordingFile.marker(from: row) }
    }
}

// MARK: Embedded sources

extension RecordingFile {
    /// The embedded sources, without their contents, in path order (none in format 1),
    /// checked before any content is read: at most `maximumSourceFiles` rows; each path text
    /// of 1 … `maximumSourcePathBytes` bytes with nothing `UntrustedText` would escape (so it
    /// is safe to show as it is); each size 0 … `maximumSourceFileBytes` and together at most
    /// `maximumSourceBytes`; each content a blob no longer than zstd makes of that size; each
    /// time an integer. Sizes come from SQL (`COUNT`, `length`).
    func readSourceEntries() throws(RecordingError) -> [EmbeddedSourceEntry] {
        guard version >= 2 else { return [] }
        return try read("the embedded sources") { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM source") ?? 0
            guard count <= RecordingLimits.maximumSourceFiles else {
                throw RecordingError.damaged(
                    "it embeds \(count) source files; a recording holds at most \(RecordingLimits.maximumSourceFiles)"
                )
            }
            var entries: [EmbeddedSourceEntry] = []
            var total = 0
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT typeof(path) AS path_type, length(CAST(path AS BLOB)) AS path_bytes,
                        CASE WHEN length(CAST(path AS BLOB)) <= ? THEN path END AS path,
                        size, modified, typeof(data) AS data_type, length(data) AS data_bytes
                    FROM source ORDER BY source.path LIMIT ?
                    """,
                arguments: [RecordingLimits.maximumSourcePathBytes, RecordingLimits.maximumSourceFiles + 1])
            while let row = try rows.next() {
                let entry = try Self.sourceEntry(from: row)
                total += entry.size
                guard total <= RecordingLimits.maximumSourceBytes else {
                    throw RecordingError.damaged(
                        "its embedded sources hold more than \(RecordingLimits.maximumSourceBytes >> 20) MiB")
                }
                entries.append(entry)
            }
            guard entries.count <= RecordingLimits.maximumSourceFiles else {
                throw RecordingError.damaged(
                    "it embeds more than \(RecordingLimits.maximumSourceFiles) source files")
            }
            return entries
        }
    }

    /// The embedded source named `path`, decompressed into at most the size its row declares
    /// (itself at most `maximumSourceFileBytes`): a blob that expands further, or to less, is
    /// damage, and no more than that size is ever allocated. Nil when there is none by that
    /// name (always in format 1).
    func readSource(path: String) throws(RecordingError) -> EmbeddedSource? {
        guard version >= 2 else { return nil }
        let shown = UntrustedText.displayable(path)
        let limit = PageCompression.compressedBound(RecordingLimits.maximumSourceFileBytes)
        let row = try read("the embedded source \(shown)", valuesUpTo: limit) { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT typeof(path) AS path_type, length(CAST(path AS BLOB)) AS path_bytes, path,
                        size, modified, typeof(data) AS data_type, length(data) AS data_bytes, data
                    FROM source WHERE path = ?
                    """,
                arguments: [path])
        }
        guard let row else { return nil }
        let entry = try Self.sourceEntry(from: row)
        guard let blob = row.blob("data") else {
            throw .damaged("the embedded source \(shown) is not a blob")
        }
        let contents: [UInt8]
        do {
            contents = try PageCompression.decompress(Array(blob), expectedSize: entry.size)
        } catch {
            throw .damaged("the embedded source \(shown) does not decompress: \(error.reason)")
        }
        return EmbeddedSource(path: entry.path, contents: contents, modified: entry.modified)
    }

    /// One row of the source table, its content unread, checked (`readSourceEntries`).
    private static func sourceEntry(from row: Row) throws(RecordingError) -> EmbeddedSourceEntry {
        guard row.text("path_type") == "text", let pathBytes = row.integer("path_bytes"),
            pathBytes > 0, pathBytes <= Int64(RecordingLimits.maximumSourcePathBytes),
            let path = row.text("path")
        else {
            throw .damaged(
                "an embedded source's path is not text of 1 to \(RecordingLimits.maximumSourcePathBytes) bytes"
            )
        }
        let shown = UntrustedText.displayable(path)
        guard SourceCollection.isEmbeddablePath(path) else {
            throw .damaged("the embedded source path \(shown) holds control characters")
        }
        guard let size = row.integer("size"), size >= 0, size <= Int64(RecordingLimits.maximumSourceFileBytes)
        else {
            throw .damaged(
                "the embedded source \(shown) claims a size that is not 0 to \(RecordingLimits.maximumSourceFileBytes >> 20) MiB"
            )
        }
        guard let modified = row.integer("modified") else {
            throw .damaged("the embedded source \(shown) has a modification time that is not an integer")
        }
        guard row.text("data_type") == "blob", let stored = row.integer("data_bytes") else {
            throw .damaged("the embedded source \(shown) is not a blob")
        }
        guard stored <= Int64(PageCompression.compressedBound(Int(size))) else {
            throw .damaged(
                "the embedded source \(shown) takes \(stored) bytes compressed, more than zstd makes of \(size)"
            )
        }
        return EmbeddedSourceEntry(
            path: path, size: Int(size), storedSize: Int(stored),
            modified: Date(recordedNanoseconds: modified))
    }
}
