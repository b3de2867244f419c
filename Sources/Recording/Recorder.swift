import Foundation
import Machine

/// Runs a machine and records it: keyframes every `keyframeInterval` steps, the input log,
/// markers and console output, and how the run ended.
///
/// Each keyframe is committed with everything that happened since the previous one, so a
/// recorder killed at any moment leaves a file that opens up to its last keyframe.
public final class Recorder {
    /// Steps between keyframes unless the user says otherwise. At ~0.7 ns per step a seek
    /// replays at most this many steps (~3 ms), which keeps a seek far inside one frame, while
    /// a 1e9-step run needs only 250 keyframes.
    public static let defaultKeyframeInterval: UInt64 = 4_000_000

    /// The machine being recorded.
    public let machine: Machine
    /// Steps between keyframes.
    public let keyframeInterval: UInt64
    private let file: RecordingFile
    /// Keyframes committed so far.
    public private(set) var keyframeCount = 0
    private var lastKeyframeStep: UInt64 = 0
    private var inputs: [InputEvent] = []
    private var markers: [Marker] = []
    private var console: [ConsoleChunk] = []
    private var consoleLine: [UInt8] = []
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
            firstKeyframe: try Self.keyframe(
                index: 0, of: machine, initial: true, inputs: [], markers: [], console: []))
        keyframeCount = 1
        let forward = machine.consoleSink
        machine.consoleSink = { [unowned self] byte in
            forward(byte)
            self.noteConsole(byte)
        }
        machine.eventSink = { [unowned self] event in self.note(event) }
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
    /// timer), committing each keyframe as its step is reached. A live recorder calls this
    /// in slices, delivering input between them.
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

    /// What happened since the last committed keyframe: lets a timeline in this process show
    /// the live head before the next keyframe is written.
    public var tail: RecordingTail {
        RecordingTail(
            keyframeCount: keyframeCount, step: ending?.totalSteps ?? machine.step, inputs: inputs,
            markers: markers, console: console)
    }

    /// Writes how the run ended (`interrupted`: the user stopped it) with a last keyframe at
    /// the current step, and folds the file back into one when no reader has it open.
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
            markers.append(
                Marker(
                    step: step, kind: MarkerKind.exit, pc: machine.pc, value: UInt32(bitPattern: code),
                    text: ending.detail))
        case .crashed(let report):
            ending.reason = .crashed
            let place = machine.firmware.symbols.describe(report.pc).map { " (\($0))" } ?? ""
            ending.detail =
                "\(TrapCause.name(of: report.cause)) at pc \(hex(report.pc))\(place), step \(report.step): \(report.reason)"
            markers.append(
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
            try file.finish(ending)
        } else {
            // The run ended on a keyframe (a step limit or Ctrl-C at its step): what is still
            // pending (the console's last partial line, the end marker) joins the ending.
            try file.finish(ending, inputs: inputs, markers: markers, console: console)
        }
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

    private func writeKeyframe() throws(RecordingError) {
        try file.append(
            Self.keyframe(
                index: keyframeCount, of: machine, initial: false, inputs: inputs, markers: markers,
                console: console))
        keyframeCount += 1
        lastKeyframeStep = machine.step
        inputs.removeAll(keepingCapacity: true)
        markers.removeAll(keepingCapacity: true)
        console.removeAll(keepingCapacity: true)
    }

    /// Keyframe `index` of `machine` as it is now, with what happened since the previous one.
    /// Takes the machine's dirty lines and executed chunks.
    private static func keyframe(
        index: Int, of machine: Machine, initial: Bool, inputs: [InputEvent],
        markers: [Marker],
        console: [ConsoleChunk]
    ) throws(RecordingError) -> KeyframeBatch {
        var pages: [StoredPage] = []
        if initial {
            // Keyframe 0 holds every non-zero page of the loaded image.
            _ = machine.takeDirtyLines()
            for page in machine.nonZeroPages() {
                pages.append(
                    StoredPage(
                        delta: PageDelta(page: page, lines: UInt64.max),
                        data: PageCompression.compress(machine.page(page))))
            }
        } else {
            for entry in machine.takeDirtyLines() {
                pages.append(
                    StoredPage(delta: entry, data: PageCompression.compress(machine.page(entry.page))))
            }
        }
        let state: [UInt8]
        do {
            // Sorted keys: the same run always writes the same bytes.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            state = PageCompression.compress(Array(try encoder.encode(machine.state)))
        } catch {
            throw .io("cannot encode the machine state: \(error)")
        }
        return KeyframeBatch(
            index: index, step: machine.step, state: state, stateHash: machine.stateHash, pages: pages,
            executedChunks: machine.takeExecutedChunks(), inputs: inputs, markers: markers, console: console)
    }

    // MARK: Events

    private func note(_ event: MachineEvent) {
        switch event {
        case .trap(let trap):
            markers.append(
                Marker(
                    step: trap.step, kind: MarkerKind.trap(cause: trap.cause), pc: trap.pc, value: trap.cause,
                    text: trap.value == 0 ? nil : "mtval \(hex(trap.value))"))
        case .input(let byte):
            // Delivered between steps: it first affects step `machine.step + 1`.
            inputs.append(InputEvent(step: machine.step, byte: byte))
            markers.append(
                Marker(
                    step: machine.step, kind: MarkerKind.input, pc: machine.pc, value: UInt32(byte), text: nil
                ))
        case .semihostingCall(let operation):
            markers.append(
                Marker(
                    step: machine.step + 1, kind: MarkerKind.semihosting, pc: machine.pc, value: operation,
                    text: nil))
        case .htifCommand(let command):
            markers.append(
                Marker(
                    step: machine.step + 1, kind: MarkerKind.htif, pc: machine.pc,
                    value: UInt32(truncatingIfNeeded: command), text: nil))
        }
    }

    /// Console bytes are written during a step: the step that wrote them is `step + 1`.
    private func noteConsole(_ byte: UInt8) {
        let step = machine.step + 1
        if console.isEmpty || console[console.count - 1].bytes.count >= 4096 {
            console.append(ConsoleChunk(steps: [], bytes: []))
        }
        console[console.count - 1].steps.append(step)
        console[console.count - 1].bytes.append(byte)
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
        markers.append(Marker(step: step, kind: MarkerKind.console, pc: machine.pc, value: 0, text: text))
        consoleLine.removeAll(keepingCapacity: true)
    }
}
