import ArgumentParser
import Foundation
import Machine
import Recording

/// `timescope record`: `run`, plus a recording of every step.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run firmware and record the run for `view`, `state` and `find`.",
        discussion: """
            Same console output and exit status as `run`. The recording is complete \
            however the run ends (exit, crash, step limit, Ctrl-C). Without -o it is kept in \
            the session directory ($XDG_DATA_HOME/timescope, else ~/.local/share/timescope) as \
            NAME-N.tsr, and `latest` points to it: `timescope ls` lists them, `timescope view` \
            opens the latest. An existing recording at -o is replaced once the new one holds \
            its first keyframe; anything else there is refused.

            \(FirmwareSources.help)
            """
    )

    @OptionGroup var machine: MachineOptions

    @OptionGroup var recordingOptions: RecordingOptions

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp(
            "The recording to write (.tsr); without it, a new one in the session directory.",
            valueName: "rec.tsr"))
    var output: String?

    @Option(
        help: ArgumentHelp(
            "Deliver another recording's input at the steps it was recorded (e.g. a watch session), on its board unless --board, --ram or --misaligned say otherwise: the new recording reproduces it.",
            valueName: "rec.tsr"))
    var replayInput: String?

    func run() throws {
        if let output {
            try OutputFile(path: output, option: "-o").checkForRecording(firmware: machine.firmware)
        }
        // A replay runs on the replayed recording's board unless the options say otherwise.
        let replayed = replayInput.map(SessionDirectory.recording(named:))
        let source = try replayed.map { path throws(RecordingError) in try Timeline(path: path) }
        let session = try machine.makeMachine(base: source?.summary.header.board)
        let console = ConsoleWriter()
        session.consoleSink = { console.write($0) }
        var scheduled: [InputEvent] = []
        if let replayInput, let source {
            if source.summary.header.firmware != session.firmware.fileBytes {
                FileHandle.standardError.write(
                    Data(
                        "timescope: warning: \(replayInput) recorded other firmware; its input may mean nothing here\n"
                            .utf8))
            }
            scheduled = source.inputLog
        }
        let sources = FirmwareSources(
            firmware: session.firmware, path: machine.firmware, options: recordingOptions)
        let target = try RecordingTarget(output: output, firmware: machine.firmware)
        let recorder: Recorder
        do {
            recorder = try Recorder(
                path: target.path, machine: session,
                keyframeInterval: recordingOptions.keyframeInterval.steps,
                scheduledInput: scheduled, firmwareModified: sources.firmwareModified,
                sources: sources.collection.sources)
        } catch {
            target.recorderFailed()
            throw error
        }
        target.recorderStarted()
        let progress = ProgressLine(label: "recording", total: machine.maxSteps)
        InterruptSignal.install()
        let reason = try recorder.run(
            maxSteps: machine.maxSteps, shouldStop: { InterruptSignal.isRaised },
            progress: { step in progress.update(step) })
        progress.finish()
        console.flush()
        var outcome = RunOutcome(reason, machine: session)
        if InterruptSignal.isRaised {
            outcome.message = "interrupted at step \(session.step); the recording ends there"
            outcome.exitStatus = 130
        }
        if let message = outcome.message {
            FileHandle.standardError.write(Data("timescope: \(message)\n".utf8))
        }
        if target.directory != nil {
            FileHandle.standardError.write(Data("timescope: recording saved to \(target.path)\n".utf8))
        }
        throw ExitCode(outcome.exitStatus)
    }
}

/// Ctrl-C while recording: finish the file instead of dying.
enum InterruptSignal {
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    static var isRaised: Bool { raised != 0 }

    static func install() {
        signal(SIGINT) { _ in InterruptSignal.raised = 1 }
        signal(SIGTERM) { _ in InterruptSignal.raised = 1 }
        unblock()
    }

    /// A parent (Foundation's Process, some launchers) may have blocked the stop signals;
    /// Timescope wants them.
    static func unblock() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, number) }
        sigprocmask(SIG_UNBLOCK, &signals, nil)
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressLine {
    private let label: String
    private let total: UInt64?
    private let isVisible = isatty(2) != 0
    private var lastDraw = Date.distantPast

    init(label: String, total: UInt64?) {
        self.label = label
        self.total = total
    }

    func update(_ value: UInt64) {
        guard isVisible, Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        var line = "\r\(label): step \(value)"
        if let total, total > 0 {
            let fraction = min(1, Double(value) / Double(total))
            let width = 30
            let filled = Int(fraction * Double(width))
            line +=
                " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] "
            line += String(Int(fraction * 100)) + "%"
        }
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
    }

    func finish() {
        guard isVisible, lastDraw != .distantPast else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
