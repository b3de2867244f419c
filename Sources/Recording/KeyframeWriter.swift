import Foundation
import Machine

/// A keyframe as the recorder takes it, between two steps on the emulator's thread: the state,
/// its hash and copies of the pages written since the last keyframe, nothing encoded yet.
struct KeyframeCapture: Sendable {
    var index: Int
    var step: UInt64
    var state: MachineState
    var stateHash: UInt64
    /// The pages written in the interval, their written lines, and their bytes as of `step`.
    var pages: [(delta: PageDelta, bytes: [UInt8])]
    var executedChunks: [Int]
    /// What happened in the interval besides the steps.
    var events: RecordedEvents

    /// Takes keyframe `index` of `machine` as it is now, with `events` (what happened since
    /// the previous one), and starts the machine's next interval: takes its dirty lines and
    /// executed chunks. Keyframe 0 (`initial`) holds every non-zero page of the loaded image.
    init(index: Int, of machine: Machine, initial: Bool, events: RecordedEvents) {
        var pages: [(delta: PageDelta, bytes: [UInt8])] = []
        if initial {
            _ = machine.takeDirtyLines()
            for page in machine.nonZeroPages() {
                pages.append((PageDelta(page: page, lines: UInt64.max), machine.page(page)))
            }
        } else {
            for delta in machine.takeDirtyLines() { pages.append((delta, machine.page(delta.page))) }
        }
        self.index = index
        step = machine.step
        state = machine.state
        stateHash = machine.stateHash
        self.pages = pages
        executedChunks = machine.takeExecutedChunks()
        self.events = events
    }

    /// About how much memory the capture holds (its pages), for the writer's queue bound.
    var byteCount: Int { pages.count * Machine.pageSize }

    /// The keyframe as the file stores it: the state as JSON and every page compressed.
    func encoded(with compressor: PageCompression.Compressor) throws(RecordingError) -> KeyframeBatch {
        let json: [UInt8]
        do {
            // Sorted keys: the same run always writes the same bytes.
            json = try SortedJSONEncoder.encode(state)
        } catch {
            throw .io("cannot encode the machine state: \(error)")
        }
        return KeyframeBatch(
            index: index, step: step, state: compressor.compress(json), stateHash: stateHash,
            pages: pages.map { StoredPage(delta: $0.delta, data: compressor.compress($0.bytes)) },
            executedChunks: executedChunks, events: events)
    }
}

/// Commits a recording's keyframes on a thread of its own, in order, so that the run goes on
/// while the last keyframe is encoded (the state to JSON, pages through zstd) and written
/// (SQLite). The emulator's thread only takes the keyframe (`KeyframeCapture`).
///
/// A keyframe is committed, as before, in one transaction with everything that happened in its
/// interval — and with the keyframes queued with it: at full speed the run takes a keyframe
/// every millisecond or so, and committing `keyframesPerCommit` of them at once (or what came
/// within `commitDelay` of the first) writes each B-tree page once for all of them. Until then
/// they wait in the queue, whose events a live view still reaches through `uncommitted`. The
/// queue holds at most `maximumQueued` keyframes and `maximumQueuedBytes` of pages: a
/// recorder that outruns the disk waits for it. A write that fails ends the writing: the
/// keyframes after it are dropped, and the next `submit` or `waitUntilWritten` throws the
/// error.
final class KeyframeWriter: @unchecked Sendable {
    private let file: RecordingFile
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [KeyframeCapture] = []
    private var queuedBytes = 0
    private var committedCount: Int
    private var failure: RecordingError?
    private var isClosing = false
    private var isDone = false
    /// Threads waiting for everything to be committed (the writer then does not wait).
    private var waiters = 0
    /// When the oldest queued keyframe must be committed at the latest.
    private var commitDeadline = Date.distantFuture

    /// Keyframes taken but not yet committed, at most: enough to ride out a checkpoint's
    /// `fsync` (tens of milliseconds, while the run takes a keyframe every millisecond).
    static let maximumQueued = 64
    /// Page bytes taken but not yet committed, at most (unless one keyframe alone holds more).
    static let maximumQueuedBytes = 64 << 20
    /// Keyframes committed in one transaction when that many are queued.
    static let keyframesPerCommit = 8
    /// How long a keyframe waits for others to share its transaction, at most (seconds).
    static let commitDelay = 0.02

    /// A writer appending to `file`, which holds `committedCount` keyframes; its thread starts
    /// at once.
    init(file: RecordingFile, committedCount: Int) {
        self.file = file
        self.committedCount = committedCount
        let thread = Thread { [self] in self.writeLoop() }
        thread.name = "timescope-keyframes"
        thread.start()
    }

    /// Queues `capture` to be committed after those queued before it; waits while the queue
    /// is full. Throws the error of an earlier write that failed.
    func submit(_ capture: KeyframeCapture) throws(RecordingError) {
        condition.lock()
        defer { condition.unlock() }
        while failure == nil && !queue.isEmpty
            && (queue.count >= Self.maximumQueued
                || queuedBytes + capture.byteCount > Self.maximumQueuedBytes)
        {
            condition.wait()
        }
        if let failure { throw failure }
        if queue.isEmpty { commitDeadline = Date(timeIntervalSinceNow: Self.commitDelay) }
        queue.append(capture)
        queuedBytes += capture.byteCount
        // The writer learns of the first keyframe (to wait for its deadline) and of a full
        // transaction's worth; the ones between would only wake it for nothing.
        if queue.count == 1 || queue.count >= Self.keyframesPerCommit { condition.broadcast() }
    }

    /// Waits until every queued keyframe is committed; throws the error of a write that failed.
    func waitUntilWritten() throws(RecordingError) {
        condition.lock()
        defer { condition.unlock() }
        waiters += 1
        defer { waiters -= 1 }
        condition.broadcast()
        while failure == nil && !queue.isEmpty { condition.wait() }
        if let failure { throw failure }
    }

    /// The keyframes committed so far, and the events of those still queued (in order).
    var uncommitted: (committedCount: Int, events: RecordedEvents) {
        condition.lock()
        defer { condition.unlock() }
        var events = RecordedEvents()
        for capture in queue { events.append(capture.events) }
        return (committedCount, events)
    }

    /// Commits what is queued, then ends the thread (and waits for it).
    func close() {
        condition.lock()
        isClosing = true
        condition.broadcast()
        while !isDone { condition.wait() }
        condition.unlock()
    }

    private func writeLoop() {
        let compressor = PageCompression.Compressor()
        condition.lock()
        while true {
            while queue.isEmpty && !isClosing && failure == nil { condition.wait() }
            guard !queue.isEmpty, failure == nil else { break }
            // Wait for a transaction's worth of keyframes, or the first one's deadline, or
            // someone who waits for them all.
            while failure == nil && !isClosing && waiters == 0 && queue.count < Self.keyframesPerCommit {
                if !condition.wait(until: commitDeadline) { break }
            }
            guard failure == nil else { break }
            let batch = Array(queue.prefix(Self.keyframesPerCommit * 2))
            condition.unlock()
            var error: RecordingError?
            do {
                var encoded: [KeyframeBatch] = []
                for capture in batch { encoded.append(try capture.encoded(with: compressor)) }
                try file.append(encoded)
            } catch let failed {
                error = failed
            }
            condition.lock()
            queue.removeFirst(batch.count)
            queuedBytes -= batch.reduce(0) { $0 + $1.byteCount }
            if let error {
                failure = error
                queue.removeAll()
                queuedBytes = 0
            } else {
                committedCount += batch.count
            }
            commitDeadline = Date(timeIntervalSinceNow: Self.commitDelay)
            condition.broadcast()
        }
        isDone = true
        condition.broadcast()
        condition.unlock()
    }
}
