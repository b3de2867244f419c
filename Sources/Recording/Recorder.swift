import Foundation
import Machine

/// Runs a machine and records it: keyframes every `keyframeInterval` steps, the input log,
/// markers and console output, and how the run ended.
///
/// Each keyframe is committed with everything that happened since the previous one, so a
/// recorder killed at any moment leaves a file that opens up to its last committed keyframe.
/// The emulator's thread only takes the keyframe (the state, the written pages); a
/// `KeyframeWriter` encodes and commits it on a thread of its own while the run goes on, and
/// `finish` waits for it. Traps, semihosting calls and HTIF commands are packed as they
/// happen (`MarkerBatch`), without an allocation each.
public final class Recorder {
    /// Steps between keyframes unless the user says otherwise. At the compiled code's 0.3–0.6
    /// ns per step a seek replays at most this many steps (5–10 ms, 2–5 ms on average), which
    /// keeps a seek inside one frame, while a 1e9-step run needs only 63 keyframes: taking and
    /// writing them (and the writer thread's share of the machine) cost a run at full speed
    /// 6–17 % of its time at this interval, 6–21 % at half of it (`scripts/bench.sh --record`).
    public static let defaultKeyframeInterval: UInt64 = 16_000_000

    /// The machine being recorded.
    public let machine: Machine
    /// Steps between keyframes.
    public let keyframeInterval: UInt64
    private let file: RecordingFile
    private let writer: KeyframeWriter
    /// Keyframes taken so far (committed, or queued to be).
    public private(set) var keyframeCount = 0
    private var lastKeyframeStep: UInt64 = 0
    /// What happened since the last keyframe, but for `packing`.
    // What the machine reports is noted on its own thread, once per trap or console byte:
    // these are not checked for exclusive access at run time (nothing else touches them).
    @exclusivity(unchecked) private var events = RecordedEvents()
    /// The marker batch being filled.
    @exclusivity(unchecked) private var packing = MarkerBatch()
    @exclusivity(unchecked) private var consoleLine: [UInt8] = []
    /// The machine's console sink before the recorder wrapped it (put back when it goes).
    private let forwardedConsole: (UInt8) -> Void
    /// Input to deliver at given steps (another recording's input log), and the next entry.
    private let scheduledInput: [InputEvent]
    private var nextScheduledInput = 0
    /// How the run ended, once `finish` has written it.
    public private(set) var ending: RecordingEnding?

    /// Creates the file with keyframe 0 (the reset state). `machine` must be at step 0; the
    /// recorder takes over its event sink and wraps its console sink. `scheduledInput` (in
    /// step order) is delivered to the UART receiver at exactly those steps, as a replay
    /// would: recording again with another recording's input log reproduces it.
    ///
    /// The recording embeds `sources` (compressed), the source files a reader shows
    /// (`SourceCollection` reads them within `RecordingLimits`' bounds, which they must keep:
    /// one path each, no two alike), and `firmwareModified`, when the firmware's file was last
    /// modified (a reader compares the source files on its disk with it).
    ///
    /// What is at `path` is replaced only by a recording holding keyframe 0, in one atomic
    /// rename; a directory, a file that is not a recording, or a recording another process is
    /// still writing is refused (`refusal(toWriteAt:)`) and left as it was.
    public init(
        path: String, machine: Machine, keyframeInterval: UInt64 = Recorder.defaultKeyframeInterval,
        scheduledInput: [InputEvent] = [], firmwareModified: Date? = nil, sources: [EmbeddedSource] = []
    ) throws(RecordingError) {
        guard machine.step == 0 else { throw .invalidRequest("a recording starts at step 0") }
        try Self.checkBounds(of: sources)
        guard keyframeInterval >= RecordingLimits.minimumKeyframeInterval else {
            throw .invalidRequest(
                "a keyframe interval of \(keyframeInterval) steps is too short: at least \(RecordingLimits.minimumKeyframeInterval)"
            )
        }
        guard keyframeInterval <= RecordingLimits.maximumKeyframeInterval else {
            throw .invalidRequest(
                "a keyframe interval of \(keyframeInterval) steps is too long: at most \(RecordingLimits.maximumKeyframeInterval)"
            )
        }
        self.machine = machine
        // The index in the grain of the format this build writes, whatever the machine had.
        machine.executedChunkShift = RecordingFile.executedChunkShift(version: RecordingFile.formatVersion)
        machine.keepsExecutedChunks = true
        self.keyframeInterval = keyframeInterval
        self.scheduledInput = scheduledInput
        let firmware = machine.firmware
        file = try RecordingFile.create(
            path: path,
            header: RecordingHeader(
                firmwareName: firmware.name, firmwareSHA256: SHA256.hexDigest(firmware.fileBytes),
                firmware: firmware.fileBytes, board: machine.board, keyframeInterval: keyframeInterval,
                firmwareModified: firmwareModified),
            sources: sources,
            firstKeyframe: KeyframeCapture(index: 0, of: machine, initial: true, events: RecordedEvents())
                .encoded(with: PageCompression.Compressor()))
        keyframeCount = 1
        writer = KeyframeWriter(file: file, committedCount: 1)
        let forward = machine.consoleSink
        forwardedConsole = forward
        // Unowned without a check: the sinks are the machine's, called once per event, and
        // `deinit` takes them back before the recorder goes.
        machine.consoleSink = { [unowned(unsafe) self] byte in
            forward(byte)
            self.noteConsole(byte)
        }
        machine.eventSink = { [unowned(unsafe) self] event in self.note(event) }
    }

    /// Runs until the firmware ends, `maxSteps` is reached or `shouldStop` says so (checked at
    /// least every million steps), writes the ending and closes the file.
    public func run(
        maxSteps: UInt64?, shouldStop: () -> Bool = { false }, progress: (UInt64) -> Void = { _ in }
    )
        throws(RecordingError) -> StopReason
    {
        let limit = maxSteps ?? .max
        while true {
            let reason = try record(until: min(limit, machine.step + 1_000_000))
            progress(machine.step)
            guard reason == .stepLimit, machine.step < limit else {
                try finish(reason)
                return reason
            }
            if shouldStop() {
                try finish(.stepLimit, interrupted: true)
                return .stepLimit
            }
        }
    }

    /// Runs to step `target` or until the firmware stops (it ends, or waits for input or a
    /// timer), taking each keyframe as its step is reached (the writer commits it a moment
    /// later: `waitUntilCommitted`). A live recorder calls this in slices, delivering input
    /// between them.
    public func record(until target: UInt64) throws(RecordingError) -> StopReason {
        precondition(ending == nil, "the recording is finished")
        while true {
            let nextKeyframe = (machine.step / keyframeInterval + 1) * keyframeInterval
            let stop = min(target, nextKeyframe)
            let reason =
                nextScheduledInput < scheduledInput.count
                ? machine.run(until: stop, delivering: scheduledInput, next: &nextScheduledInput)
                : machine.run(until: stop)
            guard reason == .stepLimit else { return reason }
            if machine.step == nextKeyframe { try writeKeyframe() }
            if machine.step >= target { return .stepLimit }
        }
    }

    deinit {
        machine.eventSink = nil
        machine.consoleSink = forwardedConsole
        writer.close()
    }

    /// What happened since the last committed keyframe (also in the keyframes still queued to
    /// be written): lets a timeline in this process show the live head before the next
    /// keyframe is in the file.
    public var tail: RecordingTail {
        var (committed, pending) = writer.uncommitted
        pending.append(eventsSinceKeyframe)
        return RecordingTail(
            keyframeCount: committed, step: ending?.totalSteps ?? machine.step, events: pending)
    }

    /// What happened since the last keyframe was taken, the batch being filled included.
    private var eventsSinceKeyframe: RecordedEvents {
        var since = events
        if packing.count > 0 { since.markerBatches.append(packing) }
        return since
    }

    /// Waits until every keyframe taken so far is committed to the file (`record(until:)`
    /// returns while the last ones may still be being written); throws the error of a write
    /// that failed.
    public func waitUntilCommitted() throws(RecordingError) {
        try writer.waitUntilWritten()
    }

    /// Writes how the run ended (`interrupted`: the user stopped it) with a last keyframe at
    /// the current step, once every keyframe before it is committed, and folds the file back
    /// into one when no reader has it open.
    @discardableResult
    public func finish(_ reason: StopReason, interrupted: Bool = false) throws(RecordingError)
        -> RecordingEnding
    {
        if let ending { return ending }
        let step = machine.step
        var ending = RecordingEnding(totalSteps: step, reason: .interrupted)
        switch reason {
        case .exited(let code, let mechanism):
            ending.reason = .exited
            ending.exitCode = code
            ending.detail = "exit code \(code) through \(mechanism.rawValue)"
            events.markers.append(
                Marker(
                    step: step, kind: MarkerKind.exit, pc: machine.pc, value: UInt32(bitPattern: code),
                    text: ending.detail))
        case .crashed(let report):
            ending.reason = .crashed
            let place = machine.firmware.symbols.describe(report.pc).map { " (\($0))" } ?? ""
            ending.detail =
                "\(TrapCause.name(of: report.cause)) at pc \(hex(report.pc))\(place), step \(report.step): \(report.reason)"
            events.markers.append(
                Marker(
                    step: step, kind: MarkerKind.crash, pc: report.pc, value: report.cause,
                    text: ending.detail))
        case .stepLimit, .waitingForTimer: ending.reason = interrupted ? .interrupted : .stepLimit
        case .waitingForInput: ending.reason = interrupted ? .interrupted : .stalled
        case .resetRequested: ending.reason = .reset
        case .breakpoint, .watchpoint: ending.reason = .interrupted
        }
        if !consoleLine.isEmpty { flushConsoleLine(step: step) }
        if step != lastKeyframeStep {
            try writeKeyframe()
            try waitUntilCommitted()
            try file.finish(ending)
        } else {
            // The run ended on a keyframe (a step limit or Ctrl-C at its step): what is still
            // pending (the console's last partial line, the end marker) joins the ending.
            try waitUntilCommitted()
            try file.finish(ending, events: eventsSinceKeyframe)
        }
        writer.close()
        self.ending = ending
        return ending
    }

    /// Deletes the recording at `path` and the write-ahead files beside it (a session not kept).
    public static func removeRecording(at path: String) {
        RecordingFile.remove(path: path)
    }

    /// Tries again to fold the write-ahead log into the one file (after readers closed it).
    @discardableResult
    public func compact() -> Bool { file.compact() }

    /// Refuses sources a reader would refuse (`RecordingFile.readSourceEntries`).
    private static func checkBounds(of sources: [EmbeddedSource]) throws(RecordingError) {
        guard sources.count <= RecordingLimits.maximumSourceFiles,
            Set(sources.map(\.path)).count == sources.count,
            sources.reduce(0, { $0 + $1.contents.count }) <= RecordingLimits.maximumSourceBytes
        else {
            throw .invalidRequest(
                "the sources to embed are not \(RecordingLimits.maximumSourceFiles) distinct files of \(RecordingLimits.maximumSourceBytes >> 20) MiB at most"
            )
        }
        for source in sources
        where source.contents.count > RecordingLimits.maximumSourceFileBytes
            || !SourceCollection.isEmbeddablePath(source.path)
        {
            throw .invalidRequest(
                "cannot embed \(UntrustedText.displayable(source.path)): a source file has at most \(RecordingLimits.maximumSourceFileBytes >> 20) MiB and a path of 1 to \(RecordingLimits.maximumSourcePathBytes) bytes without control characters"
            )
        }
    }

    // MARK: Keyframes

    /// Takes a keyframe at the current step and queues it for the writer.
    private func writeKeyframe() throws(RecordingError) {
        try writer.submit(
            KeyframeCapture(index: keyframeCount, of: machine, initial: false, events: eventsSinceKeyframe))
        keyframeCount += 1
        lastKeyframeStep = machine.step
        events = RecordedEvents()
        packing = MarkerBatch()
    }

    // MARK: Events

    private func note(_ event: MachineEvent) {
        switch event {
        case .trap(let trap):
            pack(step: trap.step, tag: .trap, value: trap.cause, pc: trap.pc, mtval: trap.value)
        case .input(let byte):
            // Delivered between steps: it first affects step `machine.step + 1`.
            events.inputs.append(InputEvent(step: machine.step, byte: byte))
            events.markers.append(
                Marker(
                    step: machine.step, kind: MarkerKind.input, pc: machine.pc, value: UInt32(byte), text: nil
                ))
        case .semihostingCall(let operation):
            pack(step: machine.step + 1, tag: .semihosting, value: operation, pc: machine.pc)
        case .htifCommand(let command):
            pack(
                step: machine.step + 1, tag: .htif, value: UInt32(truncatingIfNeeded: command), pc: machine.pc
            )
        }
    }

    /// Appends a marker to the batch being filled (a full one joins the interval's events).
    @inline(__always)
    private func pack(step: UInt64, tag: MarkerBatch.Tag, value: UInt32, pc: UInt32, mtval: UInt32 = 0) {
        if packing.bytes.count >= MarkerBatch.targetBytes {
            events.markerBatches.append(packing)
            packing = MarkerBatch()
        }
        packing.append(step: step, tag: tag, pc: pc, value: value, mtval: mtval)
    }

    /// Console bytes are written during a step: the step that wrote them is `step + 1`.
    private func noteConsole(_ byte: UInt8) {
        let step = machine.step + 1
        if events.console.isEmpty || events.console[events.console.count - 1].bytes.count >= 4096 {
            events.console.append(ConsoleChunk(steps: [], bytes: []))
        }
        events.console[events.console.count - 1].steps.append(step)
        events.console[events.console.count - 1].bytes.append(byte)
        if byte == 0x0A {
            flushConsoleLine(step: step)
        } else {
            consoleLine.append(byte)
            if consoleLine.count >= 1024 { flushConsoleLine(step: step) }
        }
    }

    private func flushConsoleLine(step: UInt64) {
        var text = String(decoding: consoleLine, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        events.markers.append(
            Marker(step: step, kind: MarkerKind.console, pc: machine.pc, value: 0, text: text))
        consoleLine.removeAll(keepingCapacity: true)
    }
}
