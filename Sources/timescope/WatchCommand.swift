import ArgumentParser
import Foundation
import Inspector
import Machine
import Recording
import Terminal

/// `timescope watch`: the firmware runs live in the inspector and is recorded as it goes; or
/// `--follow` a recording another process is writing.
struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract:
            "Run firmware live in the inspector, recording as it goes (or follow a recording being written).",
        discussion: """
            The firmware runs on its own thread while the inspector shows its live head. Space \
            pauses and resumes it; every scrub key of `view` travels back (the firmware keeps \
            running); End or F follows the head again; i types into the firmware's UART (Esc \
            stops typing); < and > change the pacing. q or Ctrl-C quits and leaves a complete \
            recording: at -o, else kept in the session directory as NAME-N.tsr (see `record`; \
            `timescope view` alone opens the latest).

              timescope watch echo.elf
              timescope watch fw.elf -o session.tsr --speed realtime
              timescope record fw.elf -o long.tsr & timescope watch --follow long.tsr

            \(FirmwareSources.help)
            """
    )

    @Argument(help: ArgumentHelp("The firmware: an ELF32 RISC-V executable.", valueName: "firmware.elf"))
    var firmware: String?

    @OptionGroup var board: BoardOptions

    @OptionGroup var recordingOptions: RecordingOptions

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "Keep the session in this recording (.tsr); without it, a new one in the session directory.",
            valueName: "rec.tsr"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Pacing: max (default), realtime (against the board's 1 GHz clock), or a multiple such as 10x or 0.5x.",
            valueName: "speed"), transform: LivePacing.init(parsing:))
    var speed: LivePacing = .fastest

    @Option(
        help: ArgumentHelp(
            "Follow a recording another process is writing, instead of running firmware.",
            valueName: "rec.tsr"))
    var follow: String?

    func validate() throws {
        if follow != nil && firmware != nil {
            throw ValidationError("give firmware.elf or --follow rec.tsr, not both")
        }
        if follow == nil && firmware == nil {
            throw ValidationError("watch needs firmware.elf (or --follow rec.tsr)")
        }
    }

    func run() throws {
        if let follow { return try followRecording(SessionDirectory.recording(named: follow)) }
        guard let firmware else { return }
        if let output { try OutputFile(path: output, option: "-o").checkForRecording(firmware: firmware) }
        let machine = try board.makeMachine(firmware: firmware)
        let sources = FirmwareSources(firmware: machine.firmware, path: firmware, options: recordingOptions)
        let live: LiveRecorder
        let target: RecordingTarget
        do {
            // The terminal first: when it cannot be opened, nothing has been written.
            let terminal = try openInspectorTerminal()
            defer { terminal.end() }
            target = try RecordingTarget(output: output, firmware: firmware)
            let recorder: Recorder
            do {
                recorder = try Recorder(
                    path: target.path, machine: machine,
                    keyframeInterval: recordingOptions.keyframeInterval.steps,
                    firmwareModified: sources.firmwareModified, sources: sources.collection.sources)
            } catch {
                target.recorderFailed()
                throw error
            }
            target.recorderStarted()
            live = LiveRecorder(recorder: recorder, pacing: speed, maxSteps: board.maxSteps)
            live.start()
            // However this block is left, the run stops and the file gets its ending.
            defer { live.stop() }
            let timeline = try Timeline(path: target.path)
            InspectorSession(
                timeline: timeline, terminal: terminal, clock: SystemClock(), live: WatchedRecorder(live)
            ).run()
        }
        // The inspector's reader is closed now: fold the file into one.
        live.recorder.compact()
        let status = live.status
        if let failure = status.failure { throw LoadError(failure) }
        let summary = status.ending.map { "\($0.totalSteps) steps, \($0.headline)" } ?? "unfinished"
        FileHandle.standardError.write(Data("timescope: session saved to \(target.path) (\(summary))\n".utf8))
    }

    /// Opens a recording that another process may have only just started, waiting up to five
    /// seconds for its first keyframe. Only a file that is not a recording yet (missing,
    /// empty, without its schema or first keyframe) is waited for: a damaged or hostile one
    /// fails at once.
    private func followRecording(_ path: String) throws {
        let deadline = Date(timeIntervalSinceNow: 5)
        var said = false
        var timeline: Timeline?
        while timeline == nil {
            do {
                timeline = try Timeline(path: path)
            } catch {
                guard case .incomplete = error, Date() < deadline else { throw error }
                if !said {
                    FileHandle.standardError.write(
                        Data("timescope: waiting for \(path) to hold a recording…\n".utf8))
                }
                said = true
                usleep(50_000)
            }
        }
        do {
            guard let opened = timeline else { return }
            let terminal = try openInspectorTerminal()
            defer { terminal.end() }
            InspectorSession(timeline: opened, terminal: terminal, clock: SystemClock(), live: FollowedFile())
                .run()
        }
        // If the recorder finished while this reader had the file open, it could not fold
        // its write-ahead log back in; with the reader closed, that can be done now.
        timeline = nil
        Timeline.foldIfFinished(path: path)
    }
}
