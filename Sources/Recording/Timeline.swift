import Foundation
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
    private(set) var keyframePages: [[PageDelta]] = []
    /// For each page, the keyframes that store a version of it, ascending.
    private(set) var pageVersions: [Int: [Int]] = [:]
    /// For each keyframe, the code chunks executed in the interval it closes (16 bytes; 256 in
    /// a format-3 file: `machine.executedChunkShift`).
    private(set) var executedChunks: [Set<Int>] = []
    /// sp at each keyframe read so far (`keyframeStackPointer(_:)`).
    var keyframeStackPointers: [Int: UInt32] = [:]
    /// The recorded input, by step: the file's, then the live tail's.
    private(set) var inputs: [InputEvent] = []
    private var committedInputs: [InputEvent] = []
    private var lastInputRow: Int64 = 0
    /// The marker batches read so far (format 3), in step order, each with the kinds it holds.
    private(set) var markerBatches: [(batch: MarkerBatch, kinds: Set<MarkerKind>)] = []
    /// How many markers of each kind `markerBatches` hold.
    private var batchedMarkerCounts: [MarkerKind: Int] = [:]
    private var lastMarkerBatchRow: Int64 = 0
    /// The recorded input (step and byte, in order), for recording the same run again.
    public var inputLog: [InputEvent] { inputs }
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
    let consoleCache = Cache<
        (chunks: [ConsoleChunk], lastRow: Int64, isCurrent: Bool)
    >()
    /// The embedded sources' list, once read and checked (the recorder writes it with the
    /// header: it never grows).
    let sourceEntriesCache = Cache<[EmbeddedSourceEntry]>()

    /// The recording's path, as it was opened.
    public var path: String { file.path }

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
        var header = try file.readHeader()
        let ending = try file.readEnding()
        header.firmware = try file.readFirmware()
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
        _ = try file.readKeyframeIndex(
            from: 0, after: nil, header: header, ending: ending,
            imagePageLimit: RecordingFile.imagePageLimit(of: firmware, on: header.board))
        do {
            machine = try Machine(firmware: firmware, board: header.board)
            machine.executedChunkShift = file.executedChunkShift
            // Replays never take the executed chunks (the file has them).
            machine.keepsExecutedChunks = false
        } catch {
            throw .damaged("the embedded firmware does not load: \(error)")
        }
        summary = RecordingSummary(
            header: header, ending: RecordingEnding(totalSteps: 0, reason: .interrupted), keyframeCount: 0,
            fileBytes: 0,
            markerCounts: [])
        guard try refresh() else {
            let problem =
                "the recording is damaged: it has no keyframes (the recorder stopped before its first)"
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
        let ending = try file.readEnding()
        let first = keyframes.count
        // Keyframe 0 stores the loaded image: the machine holds it until the first restore.
        let imagePages = first == 0 ? Set(machine.nonZeroPages()) : nil
        let entries = try file.readKeyframeIndex(
            from: first, after: keyframes.last?.step, header: summary.header, ending: ending,
            imagePageLimit: imagePages?.count)
        guard !entries.isEmpty || ending != nil else { return false }
        let loaded = try file.readKeyframeContents(
            from: first, count: entries.count, board: summary.header.board, imagePages: imagePages)
        for (offset, entry) in entries.enumerated() {
            let position = first + offset
            keyframes.append((entry.step, entry.stateHash))
            keyframePages.append(loaded.pages[offset])
            executedChunks.append(loaded.executed[offset])
            for page in loaded.pages[offset] { pageVersions[page.page, default: []].append(position) }
        }
        guard let lastKeyframe = keyframes.last else { return false }
        let newInputs = try file.readInputs(
            after: (lastInputRow, committedInputs.last?.step ?? 0),
            through: lastKeyframe.step &+ summary.header.keyframeInterval)
        committedInputs += newInputs.entries
        lastInputRow = newInputs.lastRow
        let newBatches = try file.readMarkerBatches(
            after: (lastMarkerBatchRow, markerBatches.last?.batch.lastStep ?? 0), through: lastKeyframe.step,
            finished: ending != nil)
        for batch in newBatches.batches {
            let counts = batch.kindCounts()
            markerBatches.append((batch, Set(counts.keys)))
            batchedMarkerCounts.merge(counts, uniquingKeysWith: +)
        }
        lastMarkerBatchRow = newBatches.lastRow
        if let ending {
            guard ending.totalSteps == lastKeyframe.step else { throw .damaged("its ending is malformed") }
            summary.ending = ending
            isFinished = true
            tail = nil
        } else {
            summary.ending = RecordingEnding(
                totalSteps: lastKeyframe.step, reason: .interrupted, exitCode: nil,
                detail: Timeline.unfinishedDetail(file))
        }
        inputs = committedInputs + (tail?.inputs ?? [])
        summary.keyframeCount = keyframes.count
        summary.markerCounts = try markerCounts(rows: file.readMarkerCounts(upTo: summary.ending.totalSteps))
        summary.fileBytes = Timeline.fileBytes(file.path)
        consoleCache.value?.isCurrent = false
        return true
    }

    /// Extends the timeline past the last committed keyframe with what a live recorder in this
    /// process reports. Returns false (and leaves the timeline as it was) when the file has
    /// moved past `tail`: the caller asks the recorder again.
    public func extend(with tail: RecordingTail) throws(RecordingError) -> Bool {
        if tail.keyframeCount > keyframes.count { try refresh() }
        guard !isFinished, tail.keyframeCount == keyframes.count, tail.step >= summary.ending.totalSteps
        else { return false }
        self.tail = tail
        inputs = committedInputs + tail.inputs
        return true
    }

    /// The counts of the `marker` table's rows and of the batches' markers, by kind: at most
    /// `RecordingLimits.maximumMarkerKinds` kinds in all.
    private func markerCounts(rows: [(kind: MarkerKind, count: Int)]) throws(RecordingError)
        -> [(kind: MarkerKind, count: Int)]
    {
        guard !batchedMarkerCounts.isEmpty else { return rows }
        var counts = batchedMarkerCounts
        for row in rows { counts[row.kind, default: 0] += row.count }
        guard counts.count <= RecordingLimits.maximumMarkerKinds else {
            throw .damaged("its markers have more than \(RecordingLimits.maximumMarkerKinds) kinds")
        }
        return counts.map { (kind: $0.key, count: $0.value) }.sorted { $0.kind < $1.kind }
    }

    private static func unfinishedDetail(_ file: RecordingFile) -> String {
        switch file.writer() {
        case .running(let pid):
            "the recorder (pid \(pid)) is still writing it; it ends at its last keyframe so far"
        case .stopped(let pid):
            "the recorder (pid \(pid)) stopped without finishing; the recording ends at its last keyframe"
        case .finished, .unknown:
            "the recorder stopped without finishing; the recording ends at its last keyframe"
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
            let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?
                .uint64Value
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
            throw .damaged(
                "the replay ends at step \(machine.step), before step \(step): the recording claims more steps than it holds"
            )
        }
    }

    /// The step nearest the end (the live head, while it grows) that a seek reaches by
    /// replaying at most `budget` steps: from where the machine is, when that is past the
    /// newest keyframe before the end, else from that keyframe. A view following a head that
    /// moves millions of steps a frame shows this step, so that it does not replay the whole
    /// run a second time; a head that moves less (or stands) it reaches exactly.
    public func step(reachableReplaying budget: UInt64) -> UInt64 {
        let end = totalSteps
        let keyframe = keyframes[keyframeIndex(atOrBefore: end)].step
        let start = machine.step <= end && machine.step >= keyframe ? machine.step : keyframe
        return min(end, start &+ budget)
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
            let range =
                index > restoredKeyframe
                ? (restoredKeyframe + 1)...index : (index + 1)...max(index + 1, restoredKeyframe)
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
                throw .damaged(
                    "keyframe \(index) (step \(keyframes[index].step)) does not match its recorded state hash"
                )
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
        let json = try PageCompression.decompress(try file.readState(keyframe: index), maximumSize: 1 << 20)
        let state: MachineState
        do {
            state = try JSONDecoder().decode(MachineState.self, from: Data(json))
        } catch {
            throw .damaged("the state of keyframe \(index) does not decode (\(error))")
        }
        if let problem = state.validationProblem {
            throw .damaged("keyframe \(index) holds an impossible state: \(problem)")
        }
        guard state.step == keyframes[index].step else {
            throw .damaged(
                "keyframe \(index) claims step \(keyframes[index].step) but its state is at step \(state.step)"
            )
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
        let data = try PageCompression.decompress(
            try file.readPage(page, keyframe: keyframe), expectedSize: Machine.pageSize)
        if pageCache.count > 4096 { pageCache.removeAll(keepingCapacity: true) }
        pageCache[key] = data
        return data
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
    /// Everything since the last committed keyframe.
    var events: RecordedEvents

    /// Input delivered since the last committed keyframe, oldest first.
    public var inputs: [InputEvent] { events.inputs }
    /// Console output since the last committed keyframe: the bytes and the step that wrote each.
    public var console: [ConsoleChunk] { events.console }
    /// Markers since the last committed keyframe, in order.
    public var markers: [Marker] { events.allMarkers }
}

/// What `info` shows about a recording.
public struct RecordingSummary: Sendable {
    /// The firmware and board.
    public var header: RecordingHeader
    /// How the run ended (for a growing recording: where it is so far).
    public var ending: RecordingEnding
    /// Keyframes read so far.
    public var keyframeCount: Int
    /// Size of the file on disk (including a write-ahead log while it is being written).
    public var fileBytes: UInt64
    /// Number of markers of each kind, sorted by kind.
    public var markerCounts: [(kind: MarkerKind, count: Int)]
}
