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
    public init(path: String, checksKeyframes: Bool = true) throws(RecordingError) {
        self.checksKeyframes = checksKeyframes
        file = try RecordingFile.open(path: path)
        let header = try Timeline.readHeader(file)
        let firmware: Firmware
        do {
            firmware = try Firmware(elfBytes: header.firmware, name: header.firmwareName)
            guard SHA256.hexDigest(header.firmware) == header.firmwareSHA256 else {
                throw RecordingError.damaged("the embedded firmware does not match its SHA-256")
            }
            machine = try Machine(firmware: firmware, board: header.board)
        } catch let error as RecordingError {
            throw error
        } catch {
            throw .damaged("the embedded firmware does not load: \(error)")
        }
        summary = RecordingSummary(
            header: header, ending: RecordingEnding(totalSteps: 0, reason: .interrupted), keyframeCount: 0, fileBytes: 0,
            markerCounts: [])
        guard try refresh() else { throw .damaged("it has no keyframes (the recorder stopped before its first)") }
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
        let interval = summary.header.keyframeInterval
        let loaded = try Timeline.readIndex(file, from: keyframes.count, pageCount: machine.pageCount, interval: interval)
        guard !loaded.keyframes.isEmpty || ending != nil else { return false }
        for (offset, keyframe) in loaded.keyframes.enumerated() {
            let position = keyframes.count
            if position == 0 && keyframe.step != 0 { throw .damaged("the first keyframe is not at step 0") }
            if let previous = keyframes.last {
                guard keyframe.step > previous.step else { throw .damaged("keyframe steps do not increase") }
                guard keyframe.step - previous.step <= interval else {
                    throw .damaged("keyframes \(position - 1) and \(position) are \(keyframe.step - previous.step) steps apart, more than the interval \(interval)")
                }
            }
            keyframes.append(keyframe)
            keyframePages.append(loaded.pages[offset])
            executedChunks.append(loaded.executed[offset])
            for entry in loaded.pages[offset] { pageVersions[entry.page, default: []].append(position) }
        }
        guard let lastKeyframe = keyframes.last else { return false }
        let newInputs = try Timeline.readInputs(file, after: (lastInputRow, committedInputs.last?.step ?? 0))
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
            pages.formUnion(pageVersions.keys)
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

    private static func readHeader(_ file: RecordingFile) throws(RecordingError) -> RecordingHeader {
        let row = try file.read("the header") { db in
            try Row.fetchOne(db, sql: "SELECT format, firmware_name, firmware_sha256, firmware, board, keyframe_interval FROM recording WHERE id = 1")
        }
        guard let row else { throw .damaged("it has no header row") }
        guard (row.text("format")) == RecordingFile.formatName else { throw .notARecording("its format is not \(RecordingFile.formatName)") }
        guard let name = row.text("firmware_name"), let sha = row.text("firmware_sha256"),
            let elf = row.blob("firmware"), let boardText = row.text("board"),
            let interval = row.integer("keyframe_interval")
        else { throw .damaged("the header has missing fields") }
        let claimed: BoardConfiguration
        do {
            claimed = try JSONDecoder().decode(BoardConfiguration.self, from: Data(boardText.utf8))
        } catch {
            throw .damaged("the board description does not decode (\(error))")
        }
        var board: BoardConfiguration
        do {
            board = try BoardConfiguration.named(claimed.name, ramSize: UInt64(claimed.ramSize), misalignedAccess: claimed.misalignedAccess)
        } catch {
            throw .damaged("its board is impossible: \(error.description)")
        }
        board.reset = claimed.reset
        guard board == claimed else { throw .damaged("its board puts RAM at an unexpected address") }
        guard interval > 0 else { throw .damaged("its keyframe interval is \(interval)") }
        return RecordingHeader(firmwareName: name, firmwareSHA256: sha, firmware: Array(elf), board: board, keyframeInterval: UInt64(interval))
    }

    private static func readIndex(_ file: RecordingFile, from first: Int, pageCount: Int, interval: UInt64) throws(RecordingError) -> (
        keyframes: [(step: UInt64, stateHash: UInt64)], pages: [[(page: Int, lines: UInt64)]], executed: [Set<Int>]
    ) {
        // One read transaction: keyframes and their pages are committed together.
        let (rows, pageRows) = try file.read("the keyframes") { db in
            (
                try Row.fetchAll(db, sql: "SELECT idx, step, state_hash, executed FROM keyframe WHERE idx >= ? ORDER BY idx", arguments: [first]),
                // The first read takes every page, so that one claiming an impossible keyframe is caught.
                try Row.fetchAll(db, sql: "SELECT page, keyframe, lines FROM page WHERE keyframe >= ? ORDER BY keyframe, page", arguments: [first == 0 ? Int64.min : Int64(first)])
            )
        }
        var keyframes: [(step: UInt64, stateHash: UInt64)] = []
        var executed: [Set<Int>] = []
        for (offset, row) in rows.enumerated() {
            let position = first + offset
            guard let index = row.integer("idx"), index == Int64(position), let step = row.integer("step"), step >= 0,
                let hash = row.integer("state_hash"), let chunks = row.blob("executed")
            else { throw .damaged("keyframe \(position) is malformed") }
            keyframes.append((UInt64(step), UInt64(bitPattern: hash)))
            executed.append(Set(try RecordingFile.decodeIndices(Array(chunks))))
        }
        var pages = [[(page: Int, lines: UInt64)]](repeating: [], count: keyframes.count)
        for row in pageRows {
            guard let page = row.integer("page"), let keyframe = row.integer("keyframe"), let lines = row.integer("lines"),
                page >= 0, page < Int64(pageCount), keyframe >= Int64(first), keyframe < Int64(first + keyframes.count)
            else { throw .damaged("a page entry lies outside RAM or the keyframes") }
            pages[Int(keyframe) - first].append((Int(page), UInt64(bitPattern: lines)))
        }
        return (keyframes, pages, executed)
    }

    /// The input rows after `previous.row`, whose steps must not go below `previous.step`.
    private static func readInputs(_ file: RecordingFile, after previous: (row: Int64, step: UInt64)) throws(RecordingError) -> (
        entries: [(step: UInt64, byte: UInt8)], lastRow: Int64
    ) {
        let rows = try file.read("the input log") { db in
            try Row.fetchAll(db, sql: "SELECT seq, step, byte FROM input WHERE seq > ? ORDER BY seq", arguments: [previous.row])
        }
        var inputs: [(step: UInt64, byte: UInt8)] = []
        inputs.reserveCapacity(rows.count)
        var last = previous.row
        var lastStep = previous.step
        for row in rows {
            guard let seq = row.integer("seq"), let step = row.integer("step"), step >= 0, let byte = row.integer("byte"), (0...255).contains(byte) else {
                throw .damaged("an input entry is malformed")
            }
            guard UInt64(step) >= lastStep else { throw .damaged("input steps go backwards") }
            inputs.append((UInt64(step), UInt8(byte)))
            last = seq
            lastStep = UInt64(step)
        }
        return (inputs, last)
    }

    private static func readEnding(_ file: RecordingFile) throws(RecordingError) -> RecordingEnding? {
        let row = try file.read("the ending") { db in
            try Row.fetchOne(db, sql: "SELECT total_steps, reason, exit_code, detail FROM ending WHERE id = 1")
        }
        guard let row else { return nil }
        guard let total = row.integer("total_steps"), total >= 0,
            let reasonText = row.text("reason"), let reason = EndReason(rawValue: reasonText)
        else { throw .damaged("its ending is malformed") }
        let exitCode = (row.integer("exit_code")).map { Int32(truncatingIfNeeded: $0) }
        return RecordingEnding(totalSteps: UInt64(total), reason: reason, exitCode: exitCode, detail: row.text("detail"))
    }

    private static func readMarkerCounts(_ file: RecordingFile, upTo step: UInt64) throws(RecordingError) -> [(kind: String, count: Int)] {
        let rows = try file.read("marker counts") { db in
            try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM marker WHERE step <= ? GROUP BY kind ORDER BY kind", arguments: [Int64(step)])
        }
        var counts: [(kind: String, count: Int)] = []
        for row in rows {
            guard let kind = row.text("kind"), let count = row.integer("n") else { throw .damaged("a marker has a kind that is not text") }
            counts.append((kind, Int(count)))
        }
        return counts
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
