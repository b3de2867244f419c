import ArgumentParser
import Foundation
import Inspector
import Machine
import Recording
import Terminal

/// `timescope view`: the inspector on a recording.
struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Open a recording in the inspector (opens at the end: a post-mortem starts at the crash).",
        discussion:
            "Keys: ←/→ step, e/o/t a source line into/over/out (E/O/T back), a source or disassembly, Home/End, [ ] markers, W last write, b/w break/watch, c/C continue, ? all keys, q quit."
    )

    @Argument(
        help: ArgumentHelp(
            "The recording (a path, or the name of a kept session); without it, the latest session.",
            valueName: "rec.tsr"))
    var recording: String?
    @Option(
        help: ArgumentHelp(
            "Open at this step (a step, start, end or P%, ± N: end-100) instead of the end.",
            valueName: "when"), transform: When.init(parsing:))
    var at: When?
    @Option(
        help: ArgumentHelp(
            "Print one frame of this size (e.g. 200x60) as text, with these keys typed first, and exit.",
            valueName: "WxH"),
        transform: FrameSize.init(parsing:))
    var printFrame: FrameSize?
    @Option(
        help: ArgumentHelp(
            "Keys to type before --print-frame draws (characters; \\n Enter, \\e Escape, \\l \\r \\u \\d arrows).",
            valueName: "keys"))
    var keys: String = ""

    func run() throws {
        let timeline = try Timeline(path: try path())
        let start = try at.map { when throws(RecordingError) in try when.step(in: timeline, option: "--at") }
        if let printFrame {
            let terminal = TextTerminal(
                width: printFrame.width, height: printFrame.height, keys: TextTerminal.parse(keys))
            let session = InspectorSession(
                timeline: timeline, terminal: terminal, clock: SystemClock(), step: start)
            while let key = terminal.nextScriptedKey() { session.send(.key(key)) }
            print(session.frame().text)
            return
        }
        let terminal = try openInspectorTerminal()
        defer { terminal.end() }
        InspectorSession(timeline: timeline, terminal: terminal, clock: SystemClock(), step: start).run()
    }
}

extension ViewCommand {
    /// The recording to open: the argument (a path or a kept session's name), else the latest
    /// session.
    private func path() throws(LoadError) -> String {
        if let recording { return SessionDirectory.recording(named: recording) }
        let directory = try SessionDirectory.forUser()
        guard let latest = directory.latest else {
            throw LoadError(
                "no recording given, and no session kept in \(directory.path) yet: give rec.tsr, or record one (timescope record fw.elf)"
            )
        }
        return latest
    }
}

/// The curses screen for an inspector, with the stop signals unblocked; a terminal that cannot
/// be used is a load error (one line, exit status 2).
func openInspectorTerminal() throws(LoadError) -> TerminalScreen {
    InterruptSignal.unblock()
    do {
        return try TerminalScreen()
    } catch {
        throw LoadError("\(error)")
    }
}

/// A terminal that is a fixed-size text buffer fed with scripted keys (for --print-frame).
final class TextTerminal: TerminalDevice {
    let size: (width: Int, height: Int)
    private var keys: [Key]

    init(width: Int, height: Int, keys: [Key]) {
        size = (width, height)
        self.keys = keys
    }

    func draw(_ grid: ScreenGrid) {}
    func readKey(timeout milliseconds: Int) -> Key? { nextScriptedKey() }

    func nextScriptedKey() -> Key? { keys.isEmpty ? nil : keys.removeFirst() }

    static func parse(_ text: String) -> [Key] {
        var keys: [Key] = []
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            guard character == "\\", let escape = iterator.next() else {
                keys.append(.character(character))
                continue
            }
            switch escape {
            case "n": keys.append(.enter)
            case "e": keys.append(.escape)
            case "l": keys.append(.left)
            case "r": keys.append(.right)
            case "u": keys.append(.up)
            case "d": keys.append(.down)
            case "t": keys.append(.tab)
            case "h": keys.append(.home)
            case "E": keys.append(.end)
            default: keys.append(.character(escape))
            }
        }
        return keys
    }
}

/// Monotonic seconds from the system clock.
struct SystemClock: InspectorClock {
    var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
