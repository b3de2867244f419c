import Foundation
import GRDB
import Machine

/// A recording opened for travel: puts its machine in the state of any step, and answers
/// "when did this happen?" questions.
///
/// Seeking restores the nearest keyframe at or before the target (unless the machine is
/// already between that keyframe and the target, then it just runs on) and replays the
/// recorded inputs up to the target. A restore rewrites only the pages that can differ: those
/// the replay dirtied plus those stored with the keyframes between where the RAM is and where
/// it must be.
public final class Timeline {
    /// What the recording holds (refreshed as a growing recording grows).
    public private(set) var summary: RecordingSummary
    /// The machine; after `seek(to:)` it is in the state of that step.
    public let machine: Machine
    let file: RecordingFile
    /// Keyframe steps and hashes, by keyframe index.
    private(set) var keyframes: [(step: UInt64, stateHash: UInt64)] = []
    /// For each keyframe, the pages stored with it and their written-line masks.
    private(set) var keyframePages: [[(page: Int, lines: UInt64)]] = []
    /// For each page, the keyframes that store a version of it, ascending.
    private(set) var pageVersions: [Int: [Int]] = [:]
    /// For each keyframe, the 256-byte code chunks executed in the interval it closes.
    private(set) var executedChunks: [Set<Int>] = []
    /// The recorded input, by step: the file's, then the live tail's.
    private(set) var inputs: [(step: UInt64, byte: UInt8)] = []
    private var committedInputs: [(step: UInt64, byte: UInt8)] = []
    private var lastInputRow: Int64 = 0
    /// The recorded input (step and byte, in order), for recording the same run again.
    public var inputLog: [(step: UInt64, byte: UInt8)] { inputs }
    /// What a live recorder in this process has done since its last committed keyframe.
    public private(set) var tail: RecordingTail?
    /// Whether the file holds its ending (the recorder finished).
    public private(set) var isFinished = false
    /// The keyframe whose RAM the machine holds, apart from `pagesModifiedSinceRestore`.
    private var restoredKeyframe = 0
    private var pagesModifiedSinceRestore: Set<Int> = []
    private var pageCache: [Int: [UInt8]] = [:]
    private var verifiedKeyframes: Set<Int> = []
    private let checksKeyframes: Bool
    /// Console chunks read so far, the last row read, and whether newer rows may exist.
    let consoleCache = Cache<(chunks: [(firstStep: UInt64, steps: [UInt64], bytes: [UInt8])], lastRow: Int64, isCurrent: Bool)>()

    /// The last valid step: the end of the recording, or the live head while it grows.
    public var totalSteps: UInt64 { tail?.step ?? summary.ending.totalSteps }

    /// Opens `path`, validates it, and puts the machine at step 0. Each keyframe is checked
    /// against its recorded hash the first time it is restored, unless `checksKeyframes` is
    /// false (`verify` compares them itself and reports a mismatch rather than an error).
    ///
    /// The file is untrusted: its schema, then every count, step, size and index it holds, is
    /// checked against what a real recording of its board can contain, the cheap structural
    /// checks first (before the machine is built or anything decompressed), so that a hostile
    /// file fails within milliseconds and a few megabytes.
    public init(path: String, checksKeyframes: Bool = true) throws(RecordingError) {
        self.checksKeyframes = checksKeyframes
        file = try RecordingFile.open(path: path)
        var header = try Timeline.readHeader(file)
        let ending = try Timeline.readEnding(file)
        header.firmware = try Timeline.readFirmware(file)
        let firmware: Firmware
        do {
            firmware = try Firmware(elfBytes: header.firmware, name: header.firmwareName)
            guard SHA256.hexDigest(header.firmware) == header.firmwareSHA256 else {
                throw RecordingError.damaged("the embedded firmware does not match its SHA-256")
            }
        } catch let error as RecordingError {
            throw error
        } catch {
            throw .damaged("the embedded firmware does not load: \(error)")
        }
        // Keyframe 0 stores the loaded image: at most the pages the firmware's segments and
        // the device tree cover. Checked here, before a machine with all of the board's RAM
        // exists, and exactly against that machine's RAM once it does.
        _ = try Timeline.readKeyframeIndex(
            file, from: 0, after: nil, header: header, ending: ending, imagePageLimit: Timeline.imagePageLimit(of: firmware, on: header.board))
        do {
            machine = try Machine(firmware: firmware, board: header.board)
        } catch {
            throw .damaged("the embedded firmware does not load: \(error)")
        }
        summary = RecordingSummary(
            header: header, ending: RecordingEnding(totalSteps: 0, reason: .interrupted), keyframeCount: 0, fileBytes: 0,
            markerCounts: [])
        guard try refresh() else {
            let problem = "the recording is damaged: it has no keyframes (the recorder stopped before its first)"
            throw ending == nil ? .incomplete(problem) : .damaged("it has no keyframes")
        }
        try restore(keyframe: 0, force: true)
    }

    /// Reads what a recorder committed since the last look: new keyframes, pages, inputs,
    /// markers, console output, and the ending once it is written. Returns whether anything
    /// was new. A recording another process is writing grows this way.
    @discardableResult
    public func refresh() throws(RecordingError) -> Bool {
        guard !isFinished else { return false }
        // The ending first: it is committed after the last keyframe, so every keyframe it
        // counts is visible to the reads that follow.
        let ending = try Timeline.readEnding(file)
        let first = keyframes.count
        // Keyframe 0 stores the loaded image: the machine holds it until the first restore.
        let imagePages = first == 0 ? Set(machine.nonZeroPages()) : nil
        let entries = try Timeline.readKeyframeIndex(
            file, from: first, after: keyframes.last?.step, header: summary.header, ending: ending, imagePageLimit: imagePages?.count)
        guard !entries.isEmpty || ending != nil else { return false }
        let loaded = try Timeline.readKeyframeContents(file, from: first, count: entries.count, board: summary.header.board, imagePages: imagePages)
        for (offset, entry) in entries.enumerated() {
            let position = first + offset
            keyframes.append((entry.step, entry.stateHash))
            keyframePages.append(loaded.pages[offset])
            executedChunks.append(loaded.executed[offset])
            for page in loaded.pages[offset] { pageVersions[page.page, default: []].append(position) }
        }
        guard let lastKeyframe = keyframes.last else { return false }
        let newInputs = try Timeline.readInputs(
            file, after: (lastInputRow, committedInputs.last?.step ?? 0),
            through: lastKeyframe.step &+ summary.header.keyframeInterval)
        committedInputs += newInputs.entries
        lastInputRow = newInputs.lastRow
        if let ending {
            guard ending.totalSteps == lastKeyframe.step else { throw .damaged("its ending is malformed") }
            summary.ending = ending
            isFinished = true
            tail = nil
        } else {
            summary.ending = RecordingEnding(
                totalSteps: lastKeyframe.step, reason: .interrupted, exitCode: nil, detail: Timeline.unfinishedDetail(file))
        }
        inputs = committedInputs + (tail?.inputs ?? [])
        summary.keyframeCount = keyframes.count
        summary.markerCounts = try Timeline.readMarkerCounts(file, upTo: summary.ending.totalSteps)
        summary.fileBytes = Timeline.fileBytes(file.path)
        consoleCache.value?.isCurrent = false
        return true
    }

    /// Extends the timeline past the last committed keyframe with what a live recorder in this
    /// process reports. Returns false (and leaves the timeline as it was) when the file has
    /// moved past `tail`: the caller asks the recorder again.
    public func extend(with tail: RecordingTail) throws(RecordingError) -> Bool {
        if tail.keyframeCount > keyframes.count { try refresh() }
        guard !isFinished, tail.keyframeCount == keyframes.count, tail.step >= summary.ending.totalSteps else { return false }
        self.tail = tail
        inputs = committedInputs + tail.inputs
        return true
    }

    private static func unfinishedDetail(_ file: RecordingFile) -> String {
        switch file.writer() {
        case .running(let pid): "the recorder (pid \(pid)) is still writing it; it ends at its last keyframe so far"
        case .stopped(let pid): "the recorder (pid \(pid)) stopped without finishing; the recording ends at its last keyframe"
        case .finished, .unknown: "the recorder stopped without finishing; the recording ends at its last keyframe"
        }
    }

    /// Folds a finished recording left in WAL mode (it was being read when its recorder
    /// finished) back into one file; call it once no timeline has the file open.
    public static func foldIfFinished(path: String) {
        RecordingFile.foldIfFinished(path: path)
    }

    /// Whether the process writing the recording is alive (when the file says who it is).
    public var writer: RecordingWriter { isFinished ? .finished : file.writer() }

    private static func fileBytes(_ path: String) -> UInt64 {
        var total: UInt64 = 0
        for suffix in ["", "-wal"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?.uint64Value
            total += size ?? 0
        }
        return total
    }

    // MARK: Seeking

    /// Puts the machine in the state after `step` steps (0 … totalSteps).
    public func seek(to step: UInt64) throws(RecordingError) {
        guard step <= totalSteps else {
            throw .invalidRequest("step \(step) is beyond the end of the recording (\(totalSteps) steps)")
        }
        let keyframe = keyframeIndex(atOrBefore: step)
        if !(machine.step <= step && machine.step >= keyframes[keyframe].step) {
            try restore(keyframe: keyframe)
        }
        _ = advance(to: step)
        guard machine.step == step else {
            throw .damaged("the replay ends at step \(machine.step), before step \(step): the recording claims more steps than it holds")
        }
    }

    /// The index of the last keyframe at or before `step`.
    func keyframeIndex(atOrBefore step: UInt64) -> Int {
        var low = 0
        var high = keyframes.count
        while low < high {
            let middle = (low + high) / 2
            if keyframes[middle].step <= step { low = middle + 1 } else { high = middle }
        }
        return max(0, low - 1)
    }

    /// Restores keyframe `index`: its machine state and the RAM pages that may differ.
    func restore(keyframe index: Int, force: Bool = false) throws(RecordingError) {
        for page in machine.takeDirtyPages() { pagesModifiedSinceRestore.insert(page) }
        var pages = pagesModifiedSinceRestore
        if force {
            // Every page that differs from zero either in the machine or at that keyframe:
            // the others are zero on both sides (rewriting them would only commit memory).
            for (page, versions) in pageVersions where versions[0] <= index { pages.insert(page) }
            pages.formUnion(machine.nonZeroPages())
        } else {
            let range = index > restoredKeyframe ? (restoredKeyframe + 1)...index : (index + 1)...max(index + 1, restoredKeyframe)
            for keyframe in range where keyframe < keyframePages.count {
                for entry in keyframePages[keyframe] { pages.insert(entry.page) }
            }
        }
        for page in pages.sorted() {
            if let data = try pageData(page, atOrBefore: index) {
                machine.writePage(page, data)
            } else {
                machine.writePage(page, [])
            }
        }
        let state = try machineState(keyframe: index)
        machine.restore(state)
        _ = machine.takeDirtyPages()
        // The first restore of each keyframe checks it against its recorded hash: a damaged
        // page or state must not pass for history.
        if checksKeyframes && !verifiedKeyframes.contains(index) {
            guard machine.stateHash == keyframes[index].stateHash else {
                throw .damaged("keyframe \(index) (step \(keyframes[index].step)) does not match its recorded state hash")
            }
            verifiedKeyframes.insert(index)
        }
        machine.breakpointSkipStep = .max
        pagesModifiedSinceRestore = []
        restoredKeyframe = index
    }

    /// Runs forward to `target`, delivering the recorded input on the way. Stops early at a
    /// breakpoint or watchpoint (and returns it) or when the firmware's run ended.
    @discardableResult
    func advance(to target: UInt64) -> StopReason {
        guard machine.step < target else { return .stepLimit }
        var next = firstInput(atOrAfter: machine.step)
        return machine.run(until: target, delivering: inputs, next: &next)
    }

    private func firstInput(atOrAfter step: UInt64) -> Int {
        var low = 0
        var high = inputs.count
        while low < high {
            let middle = (low + high) / 2
            if inputs[middle].step < step { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The state at a keyframe as recorded.
    func machineState(keyframe index: Int) throws(RecordingError) -> MachineState {
        let blob = try file.read("keyframe \(index)") { db in
            try Row.fetchOne(db, sql: "SELECT state FROM keyframe WHERE idx = ?", arguments: [index])?.blob("state")
        }
        guard let blob else { throw .damaged("keyframe \(index) has no state") }
        let json = try PageCompression.decompress(Array(blob), maximumSize: 1 << 20)
        let state: MachineState
        do {
            state = try JSONDecoder().decode(MachineState.self, from: Data(json))
        } catch {
            throw .damaged("the state of keyframe \(index) does not decode (\(error))")
        }
        if let problem = state.validationProblem { throw .damaged("keyframe \(index) holds an impossible state: \(problem)") }
        guard state.step == keyframes[index].step else {
            throw .damaged("keyframe \(index) claims step \(keyframes[index].step) but its state is at step \(state.step)")
        }
        return state
    }

    /// Page `page` as of keyframe `index`, or nil when no keyframe up to there stores it (zero).
    func pageData(_ page: Int, atOrBefore index: Int) throws(RecordingError) -> [UInt8]? {
        guard let versions = pageVersions[page] else { return nil }
        var low = 0
        var high = versions.count
        while low < high {
            let middle = (low + high) / 2
            if versions[middle] <= index { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let keyframe = versions[low - 1]
        let key = page << 24 | keyframe
        if let cached = pageCache[key] { return cached }
        let blob = try file.read("page \(page)") { db in
            try Row.fetchOne(db, sql: "SELECT data FROM page WHERE page = ? AND keyframe = ?", arguments: [page, keyframe])?.blob("data")
        }
        guard let blob else { throw .damaged("page \(page) of keyframe \(keyframe) is missing") }
        let data = try PageCompression.decompress(Array(blob), expectedSize: Machine.pageSize)
        if pageCache.count > 4096 { pageCache.removeAll(keepingCapacity: true) }
        pageCache[key] = data
        return data
    }

    // MARK: Reading the file

    /// The header, all but the firmware's bytes (`readFirmware` reads them). Every value is
    /// checked for its type and size before it is used; the firmware name is made safe to show.
    private static func readHeader(_ file: RecordingFile) throws(RecordingError) -> RecordingHeader {
        let row = try file.read("the header") { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT format, firmware_name, firmware_sha256, typeof(firmware) AS firmware_type,
                        length(firmware) AS firmware_bytes, board, keyframe_interval FROM recording WHERE id = 1
                    """)
        }
        guard let row else { throw .damaged("it has no header row") }
        guard row.text("format") == RecordingFile.formatName else { throw .notARecording("its format is not \(RecordingFile.formatName)") }
        guard let name = row.text("firmware_name"), let sha = row.text("firmware_sha256"), row.text("firmware_type") == "blob",
            let firmwareBytes = row.integer("firmware_bytes"), let boardText = row.text("board"),
            let interval = row.integer("keyframe_interval")
        else { throw .damaged("the header has missing fields") }
        guard name.utf8.count <= RecordingLimits.maximumNameBytes else {
            throw .damaged("its firmware name is \(name.utf8.count) bytes long; a file name has at most \(RecordingLimits.maximumNameBytes)")
        }
        guard sha.utf8.count == 64, sha.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw .damaged("its firmware SHA-256 is not 64 hex digits")
        }
        guard firmwareBytes <= Int64(RecordingLimits.maximumFirmwareBytes) else {
            throw .damaged("its firmware is \(firmwareBytes) bytes; a firmware has at most \(RecordingLimits.maximumFirmwareBytes >> 20) MiB")
        }
        let intervals = Int64(RecordingLimits.minimumKeyframeInterval)...Int64(RecordingLimits.maximumKeyframeInterval)
        guard intervals.contains(interval) else {
            throw .damaged("its keyframe interval is \(interval) steps; a recording's is \(intervals.lowerBound) … \(intervals.upperBound)")
        }
        return RecordingHeader(
            firmwareName: UntrustedText.displayable(name), firmwareSHA256: sha, firmware: [], board: try readBoard(boardText),
            keyframeInterval: UInt64(interval))
    }

    /// The board of the header's JSON, which must be one `--board` and `--ram` can build.
    private static func readBoard(_ text: String) throws(RecordingError) -> BoardConfiguration {
        guard text.utf8.count <= RecordingLimits.maximumNameBytes else {
            throw .damaged("its board description is \(text.utf8.count) bytes long; a board's has at most \(RecordingLimits.maximumNameBytes)")
        }
        let claimed: BoardConfiguration
        do {
            claimed = try JSONDecoder().decode(BoardConfiguration.self, from: Data(text.utf8))
        } catch {
            throw .damaged("the board description does not decode (\(UntrustedText.displayable("\(error)")))")
        }
        guard BoardConfiguration.knownBoards.contains(claimed.name) else {
            throw .damaged(
                "its board '\(UntrustedText.displayable(claimed.name))' is unknown; known boards: \(BoardConfiguration.knownBoards.joined(separator: ", "))")
        }
        var board: BoardConfiguration
        do {
            board = try BoardConfiguration.named(claimed.name, ramSize: UInt64(claimed.ramSize), misalignedAccess: claimed.misalignedAccess)
        } catch {
            throw .damaged("its board is impossible: \(error.description)")
        }
        board.reset = claimed.reset
        guard board == claimed else { throw .damaged("its board puts RAM at an unexpected address") }
        return board
    }

    /// The embedded firmware: the one value allowed to be as long as `maximumFirmwareBytes`.
    private static func readFirmware(_ file: RecordingFile) throws(RecordingError) -> [UInt8] {
        let blob = try file.read("the firmware", valuesUpTo: RecordingLimits.maximumFirmwareBytes) { db in
            try Row.fetchOne(db, sql: "SELECT firmware FROM recording WHERE id = 1")?.blob("firmware")
        }
        guard let blob else { throw .damaged("the header has missing fields") }
        return Array(blob)
    }

    /// How many pages keyframe 0 can store: those the firmware's segments cover, and the
    /// device tree's on boards that reset through the ROM (a few kilobytes: 16 pages leave
    /// room). A first sieve, before the machine exists; its RAM is the exact check.
    private static func imagePageLimit(of firmware: Firmware, on board: BoardConfiguration) -> Int {
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
    private static func readKeyframeIndex(
        _ file: RecordingFile, from first: Int, after previousStep: UInt64?, header: RecordingHeader, ending: RecordingEnding?,
        imagePageLimit: Int?
    ) throws(RecordingError) -> [KeyframeEntry] {
        let interval = header.keyframeInterval
        let pageCount = Int(header.board.ramSize) / Machine.pageSize
        let chunkCount = Machine.executedChunkCount(for: header.board)
        let lowest = first == 0 ? Int64.min : Int64(first)
        // One read transaction: keyframes and their pages are committed together.
        return try file.read("the keyframes") { db in
            guard let counts = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MIN(idx) AS low, MAX(idx) AS high FROM keyframe WHERE idx >= ?", arguments: [lowest]),
                let count = counts.integer("n")
            else { throw RecordingError.damaged("its keyframes cannot be counted") }
            guard count > 0 else { return [] }
            guard counts.integer("low") == Int64(first), counts.integer("high") == Int64(first) + count - 1 else {
                throw RecordingError.damaged("its keyframes are not numbered \(first), \(first + 1), …")
            }
            if let ending, UInt64(first) + UInt64(count) > ending.totalSteps / interval + 2 {
                throw RecordingError.damaged(
                    "it holds \(UInt64(first) + UInt64(count)) keyframes, more than a run of \(ending.totalSteps) steps with a keyframe every \(interval) has")
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
                guard let index = row.integer("idx"), index == Int64(position), let step = row.integer("step"), step >= 0,
                    let hash = row.integer("state_hash"), row.text("state_type") == "blob", row.text("executed_type") == "blob",
                    let executedBytes = row.integer("executed_bytes")
                else { throw RecordingError.damaged("keyframe \(position) is malformed") }
                let span = try checkStep(UInt64(step), of: position, after: previous, interval: interval)
                guard executedBytes % 4 == 0 else {
                    throw RecordingError.damaged("an index list has \(executedBytes) bytes, not a multiple of 4")
                }
                let executedLimit = min(UInt64(chunkCount), RecordingLimits.maximumChunksExecutedPerStep.multipliedReportingOverflow(by: span + 1).partialValue)
                guard UInt64(executedBytes / 4) <= executedLimit else {
                    throw RecordingError.damaged("keyframe \(position) lists \(executedBytes / 4) chunks of executed code; its \(span) steps run at most \(executedLimit)")
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
                guard let keyframe = group.integer("keyframe"), keyframe >= Int64(first), keyframe < Int64(first + entries.count),
                    let low = group.integer("low"), low >= 0, let high = group.integer("high"), high < Int64(pageCount),
                    let stored = group.integer("n")
                else { throw RecordingError.damaged("a page entry lies outside RAM or the keyframes") }
                let position = Int(keyframe)
                let span = spans[position - first]
                let limit = position == 0
                    ? UInt64(imagePageLimit ?? pageCount)
                    : min(UInt64(pageCount), RecordingLimits.maximumPagesWrittenPerStep.multipliedReportingOverflow(by: span).partialValue)
                guard UInt64(stored) <= limit else {
                    let reason = position == 0 ? "the firmware image covers at most \(limit)" : "its \(span) steps write at most \(limit)"
                    throw RecordingError.damaged("keyframe \(position) stores \(stored) pages; \(reason)")
                }
            }
            return entries
        }
    }

    /// Checks the step of keyframe `position` against its predecessor's and the interval;
    /// returns the steps between them.
    private static func checkStep(_ step: UInt64, of position: Int, after previous: UInt64?, interval: UInt64) throws(RecordingError) -> UInt64 {
        guard position > 0 else {
            guard step == 0 else { throw .damaged("the first keyframe is not at step 0") }
            return 0
        }
        guard let previous, step > previous else { throw .damaged("keyframe steps do not increase") }
        // The recorder writes a keyframe every K steps, at multiples of K, and one more where
        // the run ended: every keyframe but the last is on that grid.
        let (expected, overflow) = UInt64(position - 1).multipliedReportingOverflow(by: interval)
        guard !overflow, previous == expected else {
            throw .damaged("keyframe \(position - 1) is at step \(previous), not at a multiple of the interval \(interval)")
        }
        guard step - previous <= interval else {
            throw .damaged("keyframes \(position - 1) and \(position) are \(step - previous) steps apart, more than the interval \(interval)")
        }
        return step - previous
    }

    /// The pages (and their written-line masks) and executed-code chunks of `count` keyframes
    /// from position `first`, which `readKeyframeIndex` has checked. Keyframe 0's pages must
    /// be pages of the loaded image (`imagePages`).
    private static func readKeyframeContents(
        _ file: RecordingFile, from first: Int, count: Int, board: BoardConfiguration, imagePages: Set<Int>?
    ) throws(RecordingError) -> (pages: [[(page: Int, lines: UInt64)]], executed: [Set<Int>]) {
        guard count > 0 else { return ([], []) }
        let pageCount = Int(board.ramSize) / Machine.pageSize
        let chunkCount = Machine.executedChunkCount(for: board)
        var pages = [[(page: Int, lines: UInt64)]](repeating: [], count: count)
        try file.read("the page index") { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT page, keyframe, lines FROM page WHERE keyframe >= ? AND keyframe < ? ORDER BY keyframe, page",
                arguments: [first, first + count])
            while let row = try rows.next() {
                guard let page = row.integer("page"), let keyframe = row.integer("keyframe"), let lines = row.integer("lines"),
                    page >= 0, page < Int64(pageCount), keyframe >= Int64(first), keyframe < Int64(first + count)
                else { throw RecordingError.damaged("a page entry lies outside RAM or the keyframes") }
                if keyframe == 0, let imagePages, !imagePages.contains(Int(page)) {
                    throw RecordingError.damaged("keyframe 0 stores page \(page), which the firmware image does not cover")
                }
                pages[Int(keyframe) - first].append((Int(page), UInt64(bitPattern: lines)))
            }
        }
        // A board's executed-chunk list can be 4 bytes per 256-byte chunk of its RAM.
        var executed: [Set<Int>] = []
        executed.reserveCapacity(count)
        try file.read("the executed-code index", valuesUpTo: max(RecordingLimits.maximumValueBytes, 4 * chunkCount)) { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT idx, executed FROM keyframe WHERE idx >= ? AND idx < ? ORDER BY idx", arguments: [first, first + count])
            while let row = try rows.next() {
                let position = first + executed.count
                guard row.integer("idx") == Int64(position), let blob = row.blob("executed") else {
                    throw RecordingError.damaged("keyframe \(position) is malformed")
                }
                let chunks = try RecordingFile.decodeIndices(Array(blob))
                guard chunks.allSatisfy({ $0 < chunkCount }) else {
                    throw RecordingError.damaged("keyframe \(position) lists executed code outside RAM and the reset ROM")
                }
                executed.append(Set(chunks))
            }
        }
        guard executed.count == count else { throw .damaged("keyframes \(first) … \(first + count - 1) changed while being read") }
        return (pages, executed)
    }

    /// The input rows after `previous.row`, whose steps must not go below `previous.step` nor
    /// beyond `lastStep`.
    private static func readInputs(_ file: RecordingFile, after previous: (row: Int64, step: UInt64), through lastStep: UInt64)
        throws(RecordingError) -> (entries: [(step: UInt64, byte: UInt8)], lastRow: Int64)
    {
        try file.read("the input log") { db in
            let count = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM input WHERE seq > ?", arguments: [previous.row]) ?? 0
            // The UART takes a byte only when its FIFO has room, and one step can empty at
            // most the whole FIFO.
            let limit = (lastStep.addingReportingOverflow(1).partialValue).multipliedReportingOverflow(by: UInt64(UART16550.fifoDepth))
            guard limit.overflow || UInt64(count) <= limit.partialValue else {
                throw RecordingError.damaged("its input log holds \(count) bytes, more than \(lastStep) steps can take")
            }
            var inputs: [(step: UInt64, byte: UInt8)] = []
            inputs.reserveCapacity(Int(min(count, 1 << 20)))
            var last = previous.row
            var lastInputStep = previous.step
            let rows = try Row.fetchCursor(db, sql: "SELECT seq, step, byte FROM input WHERE seq > ? ORDER BY seq", arguments: [previous.row])
            while let row = try rows.next() {
                guard let seq = row.integer("seq"), let step = row.integer("step"), step >= 0, let byte = row.integer("byte"),
                    (0...255).contains(byte)
                else { throw RecordingError.damaged("an input entry is malformed") }
                guard UInt64(step) >= lastInputStep else { throw RecordingError.damaged("input steps go backwards") }
                guard UInt64(step) <= lastStep else { throw RecordingError.damaged("an input is delivered after step \(lastStep), past its keyframe") }
                inputs.append((UInt64(step), UInt8(byte)))
                last = seq
                lastInputStep = UInt64(step)
            }
            return (inputs, last)
        }
    }

    /// The ending, if the recorder wrote it; its detail is made safe to show.
    private static func readEnding(_ file: RecordingFile) throws(RecordingError) -> RecordingEnding? {
        let row = try file.read("the ending") { db in
            try Row.fetchOne(db, sql: "SELECT total_steps, reason, exit_code, detail FROM ending WHERE id = 1")
        }
        guard let row else { return nil }
        guard let total = row.integer("total_steps"), total >= 0,
            let reasonText = row.text("reason"), let reason = EndReason(rawValue: reasonText)
        else { throw .damaged("its ending is malformed") }
        let exitCode = (row.integer("exit_code")).map { Int32(truncatingIfNeeded: $0) }
        let detail = row.text("detail")
        if let detail, detail.utf8.count > RecordingLimits.maximumTextBytes {
            throw .damaged("its end detail is \(detail.utf8.count) bytes long; a recording's has at most \(RecordingLimits.maximumTextBytes)")
        }
        return RecordingEnding(totalSteps: UInt64(total), reason: reason, exitCode: exitCode, detail: detail.map { UntrustedText.displayable($0) })
    }

    /// How many markers of each kind the recording holds up to `step`; every kind must be one
    /// a recording can hold (`MarkerKind.isKnown`).
    private static func readMarkerCounts(_ file: RecordingFile, upTo step: UInt64) throws(RecordingError) -> [(kind: String, count: Int)] {
        let rows = try file.read("the marker counts") { db in
            try Row.fetchAll(
                db, sql: "SELECT kind, COUNT(*) AS n FROM marker WHERE step <= ? GROUP BY kind ORDER BY kind LIMIT ?",
                arguments: [Int64(step), RecordingLimits.maximumMarkerKinds + 1])
        }
        guard rows.count <= RecordingLimits.maximumMarkerKinds else {
            throw .damaged("its markers have more than \(RecordingLimits.maximumMarkerKinds) kinds")
        }
        var counts: [(kind: String, count: Int)] = []
        for row in rows {
            guard let kind = row.text("kind"), let count = row.integer("n") else { throw .damaged("a marker has a kind that is not text") }
            guard MarkerKind.isKnown(kind) else { throw .damaged("a marker has the unknown kind '\(UntrustedText.displayable(kind))'") }
            counts.append((kind, Int(count)))
        }
        return counts
    }

    /// A marker row (`step, kind, pc, value, text`): its kind must be one a recording can
    /// hold; its text is made safe to show.
    static func marker(from row: Row) throws(RecordingError) -> Marker {
        guard let step = row.integer("step"), step >= 0, let kind = row.text("kind") else { throw .damaged("a marker is malformed") }
        guard MarkerKind.isKnown(kind) else { throw .damaged("a marker has the unknown kind '\(UntrustedText.displayable(kind))'") }
        let text = row.text("text")
        if let text, text.utf8.count > RecordingLimits.maximumTextBytes {
            throw .damaged("a marker's text is \(text.utf8.count) bytes long; a recording's has at most \(RecordingLimits.maximumTextBytes)")
        }
        return Marker(
            step: UInt64(step), kind: kind, pc: UInt32(truncatingIfNeeded: row.integer("pc") ?? 0),
            value: UInt32(truncatingIfNeeded: row.integer("value") ?? 0), text: text.map { UntrustedText.displayable($0) })
    }
}

/// What a live recorder has done since its last committed keyframe, so a timeline in the same
/// process can reach the live head: the head's step and the input, markers and console output
/// not yet in the file.
public struct RecordingTail: Sendable, Equatable {
    /// Keyframes committed when the tail was taken (the tail follows the last of them).
    public var keyframeCount: Int
    /// The live head.
    public var step: UInt64
    public var inputs: [(step: UInt64, byte: UInt8)]
    public var markers: [Marker]
    public var console: [(steps: [UInt64], bytes: [UInt8])]

    public static func == (left: RecordingTail, right: RecordingTail) -> Bool {
        left.keyframeCount == right.keyframeCount && left.step == right.step && left.markers == right.markers
            && left.inputs.elementsEqual(right.inputs, by: { $0 == $1 })
            && left.console.elementsEqual(right.console, by: { $0.steps == $1.steps && $0.bytes == $1.bytes })
    }
}

/// What `info` shows about a recording.
public struct RecordingSummary: Sendable {
    public var header: RecordingHeader
    public var ending: RecordingEnding
    public var keyframeCount: Int
    /// Size of the file on disk (including a write-ahead log while it is being written).
    public var fileBytes: UInt64
    /// Number of markers of each kind, sorted by kind.
    public var markerCounts: [(kind: String, count: Int)]
}
