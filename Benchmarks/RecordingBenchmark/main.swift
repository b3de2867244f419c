import Foundation
import Machine
import Recording

// Measures the time-travel engine's figures from issue 3 on the CPU-bound workload
// (release build): recording cost against a plain run, file size per 1e9 steps, opening a
// recording (`info`), random seeks (mean and p99), step back, and reverse searches across the
// whole recording.
//
//   swift run -c release recording-benchmark [workload-bench.elf] [--seeks N]
//
// The ELF defaults to the one `make -C Firmware` builds.

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = now()
    let result = try body()
    return (result, now() - start)
}

func milliseconds(_ seconds: Double) -> String { String(format: "%.2f ms", seconds * 1000) }

var arguments = Array(CommandLine.arguments.dropFirst())
var seekCount = 300
if let index = arguments.firstIndex(of: "--seeks"), index + 1 < arguments.count,
    let value = Int(arguments[index + 1])
{
    seekCount = value
    arguments.removeSubrange(index...(index + 1))
}
let elf = arguments.first ?? "Firmware/build/workload-bench.elf"
let path = NSTemporaryDirectory() + "timescope-bench-\(getpid()).tsr"
defer { try? FileManager.default.removeItem(atPath: path) }

do {
    let firmware = try Firmware.load(contentsOf: elf)

    // 1. A plain run, then a recorded run of the same firmware.
    let plain = try Machine(firmware: firmware)
    let (_, runTime) = measure { plain.run(until: .max) }
    let steps = plain.step
    let recorded = try Machine(firmware: firmware)
    let (_, recordTime) = try measure { () throws -> StopReason in
        let recorder = try Recorder(path: path, machine: recorded)
        return try recorder.run(maxSteps: nil)
    }
    let fileBytes =
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.doubleValue ?? 0

    // 2. Opening (what `info` does).
    let (timeline, openTime) = try measure { try Timeline(path: path) }

    // 3. Random seeks, in random order (seeded, so runs compare).
    var generator = SplitMix64(seed: 0x7153_C09E)
    var seekTimes: [Double] = []
    for _ in 0..<seekCount {
        let target = generator.next() % (steps + 1)
        let (_, time) = try measure { try timeline.seek(to: target) }
        seekTimes.append(time)
    }
    seekTimes.sort()

    // 4. Step back from random positions.
    var backTimes: [Double] = []
    for _ in 0..<max(10, seekCount / 3) {
        let position = 1 + generator.next() % steps
        try timeline.seek(to: position)
        let (_, time) = try measure { try timeline.seek(to: position - 1) }
        backTimes.append(time)
    }
    backTimes.sort()

    // 5. Reverse searches from the end back to the very start: main's first instruction and
    //    the word main saves its return address to run only at the start.
    guard let main = firmware.symbols.address(of: "main") else {
        throw LoadError("the firmware has no 'main'")
    }
    guard let firstMain = try timeline.nextExecution(of: main, after: 0) else {
        throw LoadError("main never runs")
    }
    try timeline.seek(to: firstMain.step)
    let frameWord = timeline.machine.state.x[2] &- 4
    let (reverseContinue, reverseTime) = try measure { try timeline.lastExecution(of: main, before: steps) }
    let (lastWrite, lastWriteTime) = try measure {
        try timeline.lastWrite(to: frameWord..<frameWord + 4, before: steps)
    }

    func percentile(_ values: [Double], _ p: Double) -> Double {
        values[min(values.count - 1, Int(Double(values.count) * p))]
    }
    let mean = seekTimes.reduce(0, +) / Double(seekTimes.count)
    print(
        "recording benchmark: \(elf), \(steps) steps, keyframe every \(Recorder.defaultKeyframeInterval) steps"
    )
    print("  run                 \(String(format: "%.3f s", runTime))")
    print(
        "  record              \(String(format: "%.3f s", recordTime))  (\(String(format: "%.2f", recordTime / runTime))x run; target <= 1.3x)"
    )
    print(
        "  file                \(Int(fileBytes)) bytes = \(String(format: "%.2f", fileBytes / 1e6 / (Double(steps) / 1e9))) MB per 1e9 steps (target <= 16)"
    )
    print("  open (info)         \(milliseconds(openTime))  (target <= 500 ms)")
    print(
        "  random seek         mean \(milliseconds(mean)), p99 \(milliseconds(percentile(seekTimes, 0.99))), max \(milliseconds(seekTimes.last ?? 0))  (\(seekTimes.count) seeks; target mean <= 16 ms, p99 <= 33 ms)"
    )
    print(
        "  step back           mean \(milliseconds(backTimes.reduce(0, +) / Double(backTimes.count))), p99 \(milliseconds(percentile(backTimes, 0.99)))  (target <= 16 ms)"
    )
    print(
        "  reverse-continue    \(milliseconds(reverseTime)) to main from the end: step \(reverseContinue?.step ?? 0)  (target <= 1 s)"
    )
    print(
        "  last write          \(milliseconds(lastWriteTime)) to \(hex(frameWord)) from the end: step \(lastWrite?.step ?? 0)  (target <= 1 s)"
    )
} catch {
    FileHandle.standardError.write(Data("recording-benchmark: \(error)\n".utf8))
    exit(2)
}

/// A small seeded generator, so every run seeks to the same steps.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
