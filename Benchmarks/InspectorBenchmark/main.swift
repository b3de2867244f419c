import Foundation
import Inspector
import Machine
import Recording

// Measures the inspector's figures from issue 4 (release build) on a recording of the
// CPU-bound workload (about 2e9 steps): opening the recording and drawing the first frame,
// building and drawing one 200×60 frame, and holding → / ← (one step per key, every step
// rendered); live mode (issue 5): the live head drawn while the workload is recorded on
// the emulator thread, against `record` alone; and the source level (issue 11): a 200×60
// frame with source, an 8-deep call stack and 30 variables, built and drawn at each step
// (firmware/frames.c, compiled with the RISC-V cross compiler and recorded first).
//
//   swift run -c release inspector-benchmark [workload-bench.elf | recording.tsr]
//   swift run -c release inspector-benchmark --source      (the source-level case alone)

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

/// The mean and the 99th percentile of `values` (seconds), in milliseconds.
func describe(_ values: [Double]) -> String {
    let sorted = values.sorted()
    let mean = sorted.reduce(0, +) / Double(sorted.count)
    return String(
        format: "mean %.2f ms, p99 %.2f ms", mean * 1000,
        sorted[min(sorted.count - 1, sorted.count * 99 / 100)] * 1000)
}

/// The source-level case: firmware/frames.c at the innermost of its 8 frames, 200×60, with
/// `*sample` opened and one watch expression, so that the variables pane has 30 rows; then
/// a frame per step (seek, machine view, call stack, variables, source, render and draw).
func sourceLevelBenchmark() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    let common = root.appendingPathComponent("../../Firmware/common").standardized.path
    let work = NSTemporaryDirectory() + "timescope-inspector-source-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: work) }
    let elf = work + "/frames.elf"
    let compiler = Process()
    compiler.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    compiler.arguments = [
        "riscv64-unknown-elf-gcc", "-march=rv32imac_zicsr_zifencei", "-mabi=ilp32", "-g", "-O0",
        "-ffreestanding", "-nostdlib", "-nostartfiles", "-static", "-fno-builtin", "-I", common, "-T",
        common + "/virt.ld", "-Wl,--no-warn-rwx-segments", "-o", elf, common + "/start.S",
        root.appendingPathComponent("firmware/frames.c").path, "-lgcc",
    ]
    try compiler.run()
    compiler.waitUntilExit()
    guard compiler.terminationStatus == 0 else { throw BenchmarkError("riscv64-unknown-elf-gcc failed") }
    let recording = work + "/frames.tsr"
    _ = try Recorder(path: recording, machine: Machine(firmware: Firmware.load(contentsOf: elf))).run(
        maxSteps: nil)
    let timeline = try Timeline(path: recording)
    guard let innermost = timeline.machine.firmware.symbols.symbol(named: "innermost"),
        let first = try timeline.nextHit(of: [StopRule(.execution(innermost.address))], after: 0)
    else { throw BenchmarkError("innermost never runs") }
    let terminal = BenchmarkTerminal()
    // Into the loop of the innermost function: every local has its value.
    let session = InspectorSession(
        timeline: timeline, terminal: terminal, clock: Clock(), step: first.step + 120)
    session.send(.key(.character("p")))
    for character in "samples[0].total" { session.send(.key(.character(character))) }
    session.send(.key(.enter))
    // The watch, seed, round, then sample: open it.
    for key in [Key.tab, .down, .down, .down, .right] { session.send(.key(key)) }
    let frameCount = session.state.sourceFacts?.frameCount ?? 0
    let rowCount = session.state.sourceFacts?.variables.count ?? 0
    var frameTimes: [Double] = []
    var renderTimes: [Double] = []
    for _ in 0..<300 {
        let start = monotonicSeconds()
        session.send(.key(.character("l")))
        frameTimes.append(monotonicSeconds() - start)
        let renderStart = monotonicSeconds()
        _ = session.frame()
        renderTimes.append(monotonicSeconds() - renderStart)
    }
    print("inspector benchmark, source level: frames.elf, \(timeline.totalSteps) steps, 200×60")
    print(
        "  source frame at a new step  \(describe(frameTimes))  (\(frameCount) frames, \(rowCount) variable rows; seek + views + render; target <= 5 ms)"
    )
    print("  source frame, render only   \(describe(renderTimes))")
}

/// Why the benchmark cannot go on.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

if CommandLine.arguments.dropFirst().first == "--source" {
    do {
        try sourceLevelBenchmark()
    } catch {
        FileHandle.standardError.write(Data("inspector-benchmark: \(error)\n".utf8))
        exit(2)
    }
    exit(0)
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
    try sourceLevelBenchmark()
} catch {
    FileHandle.standardError.write(Data("inspector-benchmark: \(error)\n".utf8))
    exit(2)
}
