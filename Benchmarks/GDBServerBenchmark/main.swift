import Foundation
import GDBServer
import Machine
import Recording

// Measures issue 13's figures: gdb-multiarch driving `timescope gdbserver` on a recording of
// ≥ 1e9 steps (release build). gdb's own Python times each command (`gdb.execute` between two
// `time.perf_counter()`), so the figures are what a person at the gdb prompt waits:
//
//   reverse-stepi at N random steps (mean, p99), each after `monitor seek` there;
//   reverse-continue from the end to a write watchpoint whose last write is near the start
//   (the word of the recording last written earliest: the search crosses the whole recording);
//   continue from the start to a breakpoint first reached near the end (`print_hex`, or the
//   symbol given with --break).
//
//   swift build -c release --product timescope
//   .build/release/timescope record Firmware/build/workload-bench.elf -o /tmp/workload.tsr
//   swift run -c release gdbserver-benchmark /tmp/workload.tsr [--steps N] [--break SYMBOL]

var arguments = Array(CommandLine.arguments.dropFirst())
@MainActor func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    let value = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
    return value
}
let stepCount = option("--steps").flatMap(Int.init) ?? 200
let breakSymbol = option("--break") ?? "print_hex"
guard let path = arguments.first else {
    print("usage: gdbserver-benchmark REC.tsr [--steps N] [--break SYMBOL]")
    exit(2)
}

do {
    let timeline = try Timeline(path: path)
    let total = timeline.totalSteps
    print("recording \(path): \(total) steps, \(timeline.summary.keyframeCount) keyframes")

    // The stack word last written earliest: main's saved registers, below the initial sp
    // (which `_start` sets within its first instructions).
    try timeline.seek(to: min(total, 50))
    let top = timeline.machine.register(2)
    var watch: (address: UInt32, step: UInt64)?
    for offset in stride(from: UInt32(4), through: 256, by: 4) {
        let address = top &- offset
        guard let last = try timeline.lastWrite(to: address..<(address + 4), before: total) else { continue }
        // gdb's `watch` goes on past a store that leaves the value as it was.
        guard let store = try timeline.store(at: last.step), store.old != store.new else { continue }
        if last.step < watch?.step ?? .max { watch = (address, last.step) }
    }
    guard let watch else {
        print("no stack word of this recording is written: give another recording")
        exit(1)
    }
    print(
        String(
            format: "watch 0x%08x: last written at step %llu (%.4f%% of the recording)", watch.address,
            watch.step, Double(watch.step) / Double(total) * 100))

    let scratch = NSTemporaryDirectory() + "timescope-gdb-bench-\(getpid())"
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let elf = scratch + "/firmware.elf"
    try Data(timeline.machine.firmware.fileBytes).write(to: URL(fileURLWithPath: elf))
    let listener = try RemoteListener(port: 0)
    let server = Thread {
        guard let client = listener.accept(), let timeline = try? Timeline(path: path),
            let target = try? ReplayTarget(timeline: timeline)
        else { return }
        RemoteConnection(input: client, output: client, session: RemoteSession(target: target)).serve()
        close(client)
    }
    server.start()

    let result = scratch + "/result.json"
    let script = scratch + "/bench.py"
    try """
    import gdb, json, random, time
    def timed(command):
        start = time.perf_counter()
        out = gdb.execute(command, to_string=True)
        return time.perf_counter() - start, out
    def when():
        return int(gdb.execute("monitor when", to_string=True).split()[1])
    gdb.execute("set pagination off")
    gdb.execute("target remote 127.0.0.1:\(listener.port)")
    random.seed(13)
    back = []
    for _ in range(\(stepCount)):
        step = random.randrange(1, \(total))
        gdb.execute("monitor seek %d" % step, to_string=True)
        gdb.execute("maintenance flush register-cache", to_string=True)
        seconds, _ = timed("reverse-stepi")
        assert when() == step - 1, "reverse-stepi from %d" % step
        back.append(seconds)
    gdb.execute("monitor seek end", to_string=True)
    gdb.execute("maintenance flush register-cache", to_string=True)
    gdb.execute("watch *(unsigned int *)0x\(String(watch.address, radix: 16))", to_string=True)
    watch_seconds, watch_out = timed("reverse-continue")
    watch_step = when()
    gdb.execute("delete", to_string=True)
    gdb.execute("monitor seek start", to_string=True)
    gdb.execute("maintenance flush register-cache", to_string=True)
    gdb.execute("break \(breakSymbol)", to_string=True)
    break_seconds, break_out = timed("continue")
    break_step = when()
    json.dump({"back": back, "watch": watch_seconds, "watchStep": watch_step, "watchOut": watch_out,
               "break": break_seconds, "breakStep": break_step, "breakOut": break_out},
              open("\(result)", "w"))

    """.write(toFile: script, atomically: true, encoding: .utf8)
    let gdb = Process()
    gdb.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    gdb.arguments = ["gdb-multiarch", "-nx", "-batch", "-q", "-x", script, elf]
    try gdb.run()
    gdb.waitUntilExit()
    guard let data = FileManager.default.contents(atPath: result),
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
        let back = json["back"] as? [Double], let watchSeconds = json["watch"] as? Double,
        let breakSeconds = json["break"] as? Double, let watchStep = json["watchStep"] as? Int,
        let breakStep = json["breakStep"] as? Int
    else {
        print("gdb wrote no result (status \(gdb.terminationStatus))")
        exit(1)
    }
    let sorted = back.sorted()
    let mean = back.reduce(0, +) / Double(max(1, back.count))
    let p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    print(
        String(
            format: "reverse-stepi at %d random steps: mean %.1f ms, p99 %.1f ms, max %.1f ms", back.count,
            mean * 1000, p99 * 1000, (sorted.last ?? 0) * 1000))
    print(
        String(
            format:
                "reverse-continue from the end to the watchpoint: %.0f ms (stopped at step %d; the write is step %llu)",
            watchSeconds * 1000, watchStep, watch.step))
    print(
        String(
            format:
                "continue from the start to break %@: %.0f ms (stopped at step %d, %.1f%% of the recording)",
            breakSymbol, breakSeconds * 1000, breakStep, Double(breakStep) / Double(total) * 100))
} catch {
    print("gdbserver-benchmark: \(error)")
    exit(1)
}
