import Foundation
import Inspector
import Machine
import Recording
import TestSupport

/// The demo recordings committed in `Recordings/`, found from this file's place in the repo,
/// and the facts about them the tests rely on.
enum DemoRecording {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Recordings")

    /// The post-mortem demo: `sensors[2].read` is overwritten by `copy_name` early on and the
    /// firmware jumps through it at the very end.
    static var crash: String { directory.appendingPathComponent("crash.tsr").path }
    static var echo: String { directory.appendingPathComponent("echo.tsr").path }
    static var timer: String { directory.appendingPathComponent("timer.tsr").path }
    /// The crash demo's firmware, for its symbols.
    static var crashELF: String { directory.appendingPathComponent("crash/crash.elf").path }

    /// The crash demo's last step: the crash.
    static let crashSteps: UInt64 = 5_482_256
    /// The step at which `copy_name` writes the last byte of "thermometer1" over `sensors[2].read`.
    static let corruptingStep: UInt64 = 684
    /// `jalr a5` in `poll_sensors`: the call through the corrupted pointer.
    static let callThroughReadPointer: UInt32 = 0x8000_035e
}

/// A terminal of a fixed (but changeable) size that hands out no keys and counts frames.
final class FakeTerminal: TerminalDevice {
    var size: (width: Int, height: Int)
    private(set) var framesDrawn = 0
    private(set) var lastGrid: ScreenGrid?
    /// What `readKey` returns, in turn (nil: no key before the timeout); then q.
    var keys: [Key?] = []

    init(width: Int, height: Int) {
        size = (width, height)
    }

    func draw(_ grid: ScreenGrid) {
        framesDrawn += 1
        lastGrid = grid
    }

    func readKey(timeout milliseconds: Int) -> Key? { keys.isEmpty ? .character("q") : keys.removeFirst() }
}

/// TestSupport's clock that never moves: progress lines are never redrawn mid-search, so
/// frames depend on the keys alone.
extension FrozenClock: InspectorClock {}

extension InspectorSession {
    /// The inspector on `recording` in a fake terminal of `width` × `height`, at `step` (the
    /// end, like `timescope view`, when nil). At the machine level (`a` pressed, when the
    /// firmware has debug information) the screen is the disassembly, memory and console.
    static func open(
        _ recording: String, width: Int, height: Int, step: UInt64? = nil, atMachineLevel: Bool = false
    ) throws -> (InspectorSession, FakeTerminal) {
        let terminal = FakeTerminal(width: width, height: height)
        let session = InspectorSession(
            timeline: try Timeline(path: recording), terminal: terminal, clock: FrozenClock(), step: step)
        if atMachineLevel && session.state.isSourceLevel { session.press(.character("a")) }
        return (session, terminal)
    }

    /// Sends each key in turn, as if typed.
    func press(_ keys: Key...) {
        for key in keys { send(.key(key)) }
    }

    /// Types `text` one character per key; a newline is Enter.
    func type(_ text: String) {
        for character in text { send(.key(character == "\n" ? .enter : .character(character))) }
    }
}
