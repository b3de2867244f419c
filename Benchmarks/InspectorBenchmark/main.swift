import Foundation
import Inspector
import Machine
import Recording

// Measures the inspector's figures from issue 4 (release build) on a recording of the
// CPU-bound workload (about 2e9 steps): opening the recording and drawing the first frame,
// building and drawing one 200×60 frame, and holding → / ← (one step per key, every step
// rendered); and live mode (issue 5): the live head drawn while the workload is recorded on
// the emulator thread, against `record` alone.
//
//   swift run -c release inspector-benchmark [workload-bench.elf | recording.tsr]

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A 200×60 terminal that keeps the last grid, like the curses one keeps the screen.
final class BenchmarkTerminal: TerminalDevice {
    let size = (width: 200, height: 60)
    var drawn = 0
    func draw(_ grid: ScreenGrid) { drawn += grid.cells.count }
    func readKey(timeout milliseconds: Int) -> Key? { nil }
}

struct Clock: InspectorClock { var now: Double { monotonicSeconds() } }

/// A terminal for the live run: no keys until the run has ended (then q), and the time of
/// every frame drawn.
final class LiveTerminal: TerminalDevice {
    let size = (width: 200, height: 60)
    let recorder: LiveRecorder
    var frameTimes: [Double] = []
    init(recorder: LiveRecorder) { self.recorder = recorder }
    func draw(_ grid: ScreenGrid) { frameTimes.append(monotonicSeconds()) }
    func readKey(timeout milliseconds: Int) -> Key? {
        if recorder.status.ending != nil { return .character("q") }
        usleep(UInt32(milliseconds) * 1000)
        return nil
    }
}

let input = CommandLine.arguments.dropFirst().first ?? "Firmware/build/workload-bench.elf"
var path = input
var temporary: String?
var recordSeconds: Double?
do {
    if !input.hasSuffix(".tsr") {
        path = NSTemporaryDirectory() + "timescope-inspector-bench-\(getpid()).tsr"
        temporary = path
        let machine = try Machine(firmware: Firmware.load(contentsOf: input))
        let start = monotonicSeconds()
        _ = try Recorder(path: path, machine: machine).run(maxSteps: nil)
        recordSeconds = monotonicSeconds() - start
    }
    defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }

    // Opening and the first frame (what `timescope view` does before the user sees anything).
    let openStart = monotonicSeconds()
    let timeline = try Timeline(path: path)
    let terminal = BenchmarkTerminal()
    let session = InspectorSession(timeline: timeline, terminal: terminal, clock: Clock())
    let first = session.frame()
    terminal.draw(first)
    let openTime = monotonicSeconds() - openStart

    // One frame at a new position: build the machine view and render, 200×60.
    var frameTimes: [Double] = []
    var renderTimes: [Double] = []
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<100 {
        // A jump to a random tenth: seek, build the view, render and draw (send draws).
        let key = Character(String(Int.random(in: 0...9, using: &generator)))
        let start = monotonicSeconds()
        session.send(.key(.character(key)))
        frameTimes.append(monotonicSeconds() - start)
        // Rendering alone, with the view already built (cached).
        let renderStart = monotonicSeconds()
        _ = session.frame()
        renderTimes.append(monotonicSeconds() - renderStart)
    }

    // Holding → and ←: every key moves one step and draws the frame.
    session.send(.key(.character("5")))
    let holdSteps = 300
    let forwardStart = monotonicSeconds()
    for _ in 0..<holdSteps { session.send(.key(.right)) }
    let forwardRate = Double(holdSteps) / (monotonicSeconds() - forwardStart)
    let backStart = monotonicSeconds()
    for _ in 0..<holdSteps { session.send(.key(.left)) }
    let backRate = Double(holdSteps) / (monotonicSeconds() - backStart)

    func describe(_ values: [Double]) -> String {
        let sorted = values.sorted()
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        return String(
            format: "mean %.2f ms, p99 %.2f ms", mean * 1000,
            sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000)
    }
    print(
        "inspector benchmark: \(timeline.summary.header.firmwareName), \(timeline.totalSteps) steps, 200×60")
    print(String(format: "  open + first frame   %.1f ms  (target <= 500 ms)", openTime * 1000))
    print("  frame at a new step  \(describe(frameTimes))  (seek + view + render)")
    print("  render only          \(describe(renderTimes))  (target <= 5 ms)")
    print(String(format: "  hold →               %.0f steps/s drawn  (target >= 30)", forwardRate))
    print(String(format: "  hold ←               %.0f steps/s drawn  (target >= 30)", backRate))

    // Live: the same firmware recorded on the emulator thread while the inspector follows its
    // head, 30 frames a second; against `record` alone (measured above).
    if let recordSeconds {
        let livePath = NSTemporaryDirectory() + "timescope-inspector-bench-live-\(getpid()).tsr"
        defer { Recorder.removeRecording(at: livePath) }
        let machine = try Machine(firmware: Firmware.load(contentsOf: input))
        let live = LiveRecorder(recorder: try Recorder(path: livePath, machine: machine))
        let terminal = LiveTerminal(recorder: live)
        let start = monotonicSeconds()
        live.start()
        let liveTimeline = try Timeline(path: livePath)
        InspectorSession(
            timeline: liveTimeline, terminal: terminal, clock: Clock(), live: WatchedRecorder(live)
        ).run()
        live.stop()
        let ended = live.status
        let liveSeconds = monotonicSeconds() - start
        // Frames while the run was going (not the frames after it ended).
        let times = terminal.frameTimes.filter { $0 <= start + liveSeconds }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        let fps = Double(times.count) / liveSeconds
        print(String(format: "  live: record alone   %.2f s", recordSeconds))
        print(
            String(
                format: "  live: watch          %.2f s for %llu steps (%.2f× record; target <= 1.20×)",
                liveSeconds, ended.tail.step, liveSeconds / recordSeconds))
        print(
            String(
                format:
                    "  live: head frames    %.1f per second (target >= 30), frame gap p99 %.1f ms, max %.1f ms",
                fps,
                (gaps.isEmpty ? 0 : gaps[min(gaps.count - 1, gaps.count * 99 / 100)]) * 1000,
                (gaps.last ?? 0) * 1000))
    }
} catch {
    FileHandle.standardError.write(Data("inspector-benchmark: \(error)\n".utf8))
    exit(2)
}
