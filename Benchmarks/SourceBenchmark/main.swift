import DebugInfo
import Foundation
import Inspector
import Machine
import Recording

// Measures the source-level figures of issue 11 (release build):
//   1. opening a recording whose ELF has ≥ 1 MiB of DWARF and building the first source-level
//      frame (call stack, every frame's variables, the source line);
//   2. building an 8-deep stack with 30 variables;
//   3. reverse-next, reverse-step and reverse-finish at random points of a ≥ 1e9-step
//      recording (mean and p99), and next/finish over a call that ran ~1e8 steps.
//
//   swift run -c release source-benchmark
//
// It builds its two firmware programs with the RISC-V cross compiler (firmware/stepping.c,
// and a generated program with thousands of types and functions) and records them first.

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let common = root.appendingPathComponent("../../Firmware/common").standardized.path
let work = NSTemporaryDirectory() + "timescope-source-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }

func compile(_ sources: [String], to output: String, extra: [String] = []) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
        [
            "riscv64-unknown-elf-gcc", "-march=rv32imac_zicsr_zifencei", "-mabi=ilp32", "-g",
            "-ffreestanding",
            "-nostdlib", "-nostartfiles", "-static", "-fno-builtin", "-I", common, "-T", common + "/virt.ld",
            "-Wl,--no-warn-rwx-segments", "-o", output, common + "/start.S",
        ] + extra + sources + ["-lgcc"]
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "compile", code: Int(process.terminationStatus))
    }
}

func record(_ elf: String) throws -> String {
    let path = elf + ".tsr"
    let machine = try Machine(firmware: Firmware.load(contentsOf: elf))
    _ = try Recorder(path: path, machine: machine).run(maxSteps: nil)
    return path
}

/// A C program with thousands of struct types and functions (≥ 1 MiB of DWARF at -O0), whose
/// main reaches an 8-deep call chain holding 30 variables, then ends.
func generatedProgram() -> String {
    var text = "#include \"board.h\"\n"
    let typeCount = 2400
    for index in 0..<typeCount {
        text += """
            struct record\(index) {
                uint32_t id; int16_t delta; uint8_t flags; char name[12];
                struct record\(max(0, index - 1)) *previous; union { uint32_t word; uint8_t bytes[4]; } raw;
                unsigned int low : 3, high : 5; const volatile uint16_t status; uint32_t values[6];
            };
            static struct record\(index) table\(index)[2];
            static uint32_t __attribute__((noinline)) visit\(index)(struct record\(index) *item, uint32_t seed)
            {
                uint32_t local_a = seed * \(index + 3)u;
                uint32_t local_b = item->id ^ local_a;
                item->values[seed % 6] = local_b;
                item->raw.word += local_a;
                return local_b + item->low;
            }

            """
    }
    // The chain: depth 8, about four variables a frame.
    for depth in (0..<8).reversed() {
        let next = depth == 7 ? "total += table0[0].id;" : "total += chain\(depth + 1)(a + 1, b ^ a);"
        text += """
            static uint32_t __attribute__((noinline)) chain\(depth)(uint32_t a, uint32_t b)
            {
                uint32_t total = a + b;
                struct record\(depth) *item = &table\(depth)[a & 1];
                uint32_t mixed = visit\(depth)(item, total);
                \(next)
                return total + mixed;
            }

            """
    }
    text += "int main(void)\n{\n    uint32_t sum = 0;\n"
    for index in stride(from: 0, to: typeCount, by: 97) {
        text += "    sum += visit\(index)(&table\(index)[1], sum);\n"
    }
    text += "    sum += chain0(sum, 7);\n    return (int)(sum & 0);\n}\n"
    return text
}

/// A 200×60 terminal that draws nothing.
final class BenchmarkTerminal: TerminalDevice {
    let size = (width: 200, height: 60)
    func draw(_ grid: ScreenGrid) {}
    func readKey(timeout milliseconds: Int) -> Key? { nil }
}

struct Clock: InspectorClock { var now: Double { monotonicSeconds() } }

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

func milliseconds(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }

// 1 and 2: the big DWARF.
let bigSource = work + "/bigdwarf.c"
try generatedProgram().write(toFile: bigSource, atomically: true, encoding: .utf8)
let bigELF = work + "/bigdwarf.elf"
try compile([bigSource], to: bigELF, extra: ["-O0"])
let bigFirmware = try Firmware.load(contentsOf: bigELF)
print("big-DWARF firmware: \(try DebugInfo(firmware: bigFirmware).dwarfByteCount / 1024) KiB of DWARF")
let bigRecording = try record(bigELF)
do {
    // The deepest point of the chain: where chain7 calls visit7.
    let start = monotonicSeconds()
    let timeline = try Timeline(path: bigRecording)
    let timelineOpened = monotonicSeconds()
    let debugInfo = try DebugInfo(firmware: timeline.machine.firmware)
    let debugInfoRead = monotonicSeconds()
    let target = TargetState(machine: timeline.machine)
    let stack = debugInfo.callStack(target)
    let unwound = monotonicSeconds()
    var variableCount = 0
    for index in stack.frames.indices {
        let variables = debugInfo.variables(ofFrame: index, in: stack, target: target)
        variableCount += variables.arguments.count + variables.locals.count
    }
    let opened = monotonicSeconds() - start
    print(
        "open + first source-level frame (\(stack.frames.count) frames): \(milliseconds(opened)) (recording \(milliseconds(timelineOpened - start)), DWARF \(milliseconds(debugInfoRead - timelineOpened)), stack \(milliseconds(unwound - debugInfoRead)))"
    )

    // What `timescope view` does before the user sees anything: open the recording, read the
    // DWARF, build and draw the first source-level frame (200×60).
    let viewStart = monotonicSeconds()
    let viewed = try Timeline(path: bigRecording)
    let terminal = BenchmarkTerminal()
    let session = InspectorSession(timeline: viewed, terminal: terminal, clock: Clock())
    terminal.draw(session.frame())
    print(
        "view: open + first source-level frame drawn, 200×60: \(milliseconds(monotonicSeconds() - viewStart)) (source pane: \(session.state.sourceFacts != nil))"
    )

    let chain = try required(timeline.machine.firmware.symbols.symbol(named: "visit7"))
    let hit = try required(try timeline.nextExecution(of: [chain.address], after: 0) { _ in true })
    try timeline.seek(to: hit.step - 1)
    var times: [Double] = []
    var frames = 0
    for _ in 0..<200 {
        let begin = monotonicSeconds()
        let target = TargetState(machine: timeline.machine)
        let stack = debugInfo.callStack(target)
        variableCount = 0
        for index in stack.frames.indices {
            let variables = debugInfo.variables(ofFrame: index, in: stack, target: target)
            variableCount += variables.arguments.count + variables.locals.count
        }
        frames = stack.frames.count
        times.append(monotonicSeconds() - begin)
    }
    print(
        "stack of \(frames) frames with \(variableCount) variables: mean \(milliseconds(times.reduce(0, +) / Double(times.count))), p99 \(milliseconds(percentile(times, 0.99)))"
    )
}

// 3: stepping on a ≥ 1e9-step recording.
let steppingELF = work + "/stepping.elf"
try compile([root.appendingPathComponent("firmware/stepping.c").path], to: steppingELF, extra: ["-O2"])
let recordStart = monotonicSeconds()
let steppingRecording = try record(steppingELF)
let timeline = try Timeline(path: steppingRecording)
print(
    "stepping recording: \(timeline.totalSteps) steps, recorded in \(String(format: "%.1f", monotonicSeconds() - recordStart)) s"
)
let debugInfo = try DebugInfo(firmware: timeline.machine.firmware)
let stepper = SourceStepper(timeline: timeline, debugInfo: debugInfo)
var seed: UInt64 = 0x5eed
/// A fixed sequence of pseudo-random numbers, so that every run measures the same points.
func nextRandom(_ seed: inout UInt64) -> UInt64 {
    seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return seed >> 11
}
for (name, move) in [("reverse-next", SourceMove.next), ("reverse-step", .step), ("reverse-finish", .finish)]
{
    var times: [Double] = []
    var moved = 0
    for _ in 0..<100 {
        let point = 1000 + nextRandom(&seed) % (timeline.totalSteps - 2000)
        try timeline.seek(to: point)
        let begin = monotonicSeconds()
        let landed = try stepper.destination(of: move, from: point, backward: true)
        if landed != nil { moved += 1 }
        times.append(monotonicSeconds() - begin)
        if ProcessInfo.processInfo.environment["SOURCE_BENCH_VERBOSE"] != nil, let last = times.last,
            last > 0.1
        {
            try timeline.seek(to: point)
            let function =
                debugInfo.callStack(TargetState(machine: timeline.machine)).frames.first?.function ?? "?"
            print(
                "  slow \(name) from \(point) in \(function) to \(landed.map(String.init) ?? "nil"): \(milliseconds(last))"
            )
        }
    }
    print(
        "\(name): mean \(milliseconds(times.reduce(0, +) / Double(times.count))), p99 \(milliseconds(percentile(times, 0.99))) (\(moved)/100 moved)"
    )
}
// next over the long call: from the line that calls busy(value, LONG_ROUNDS).
let sourceLines = try String(contentsOf: root.appendingPathComponent("firmware/stepping.c"), encoding: .utf8)
    .split(separator: "\n", omittingEmptySubsequences: false)
let callLine = try required(sourceLines.firstIndex { $0.contains("busy(value, LONG_ROUNDS)") }) + 1
let callAddresses = debugInfo.lines.addresses(file: "stepping.c", line: callLine)
let callHit = try required(try timeline.nextExecution(of: Set(callAddresses), after: 0) { _ in true })
var begin = monotonicSeconds()
let afterCall = try required(try stepper.destination(of: .next, from: callHit.step - 1, backward: false))
print(
    "next over the long call (\(afterCall - (callHit.step - 1)) steps): \(milliseconds(monotonicSeconds() - begin))"
)
let intoCall = try required(try stepper.destination(of: .step, from: callHit.step - 1, backward: false))
begin = monotonicSeconds()
let finished = try required(try stepper.destination(of: .finish, from: intoCall, backward: false))
print(
    "finish out of the long call (\(finished - intoCall) steps): \(milliseconds(monotonicSeconds() - begin))")
begin = monotonicSeconds()
_ = try stepper.destination(of: .next, from: afterCall, backward: true)
print("reverse-next over the long call: \(milliseconds(monotonicSeconds() - begin))")

struct Missing: Error {}

/// The value, or a thrown error when there is none.
func required<T>(_ value: T?) throws -> T {
    guard let value else { throw Missing() }
    return value
}
