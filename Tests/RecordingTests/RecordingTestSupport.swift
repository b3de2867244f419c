import Foundation
import GRDB
import Machine
@testable import Recording
import Testing
import TestSupport

// Shared fixtures of the recording tests: recordings made once per test process, reference
// machines that run the same firmware without any recording, the CLI, and file surgery.

/// A directory of scratch files, removed when the value goes away (TestSupport's fixture).
typealias ScratchDirectory = TemporaryDirectory

/// Where the firmware comes from. Needs the cross compiler: without it a test fails with the
/// install hint, unless TIMESCOPE_ALLOW_MISSING_TOOLS=1 (then `nil`: the test returns early).
enum TestFirmware {
    /// `Firmware/<name>` built as an ELF, or nil when the tools are missing and that is allowed.
    static func elf(_ name: String) throws -> String? {
        guard try RequiredTool.require(.crossCompiler, .make) else { return nil }
        return try FirmwareBuilder.elf(name)
    }

    /// An assembled test program (`TestProgram.prelude` + `source`), or nil as above.
    static func assembled(_ source: String) throws -> String? {
        guard try RequiredTool.require(.crossCompiler) else { return nil }
        return try Assembler.elf(TestProgram.prelude + source)
    }
}

/// A recording on disk and what it was made from.
struct RecordedRun: Sendable {
    var path: String
    var elf: String
    var input: [UInt8]
    var keyframeInterval: UInt64
    /// The step at which the run ended (the recording's last step).
    var totalSteps: UInt64
    var reason: StopReason

    /// A machine that runs the same firmware with the same input, without a recorder.
    func referenceMachine(compiled: Bool = true) throws -> Machine {
        try Reference.machine(elf: elf, input: input, compiled: compiled)
    }
}

enum Reference {
    /// A fresh machine for `elf` on the default board (as `timescope run` builds it), with
    /// `input` queued for the UART.
    static func machine(elf: String, input: [UInt8] = [], compiled: Bool = true) throws -> Machine {
        let machine = try Machine(firmware: Firmware.load(contentsOf: elf), board: .virt())
        machine.compilesBlocks = compiled
        if !input.isEmpty { machine.queueInput(input) }
        return machine
    }

    /// A fresh machine run to step `step` (or to where the firmware ended, if earlier).
    static func machine(elf: String, input: [UInt8] = [], at step: UInt64) throws -> Machine {
        let machine = try machine(elf: elf, input: input)
        _ = machine.run(until: step)
        return machine
    }
}

/// Records through the library (`Recorder`), the way `timescope record` does.
enum Recordings {
    /// Records `elf` with `input` into `path`, embedding `sources`.
    static func record(
        elf: String, input: [UInt8] = [], keyframeInterval: UInt64, to path: String, maxSteps: UInt64? = nil,
        sources: [EmbeddedSource] = []
    ) throws -> RecordedRun {
        let machine = try Reference.machine(elf: elf, input: input)
        let recorder = try Recorder(
            path: path, machine: machine, keyframeInterval: keyframeInterval, sources: sources)
        let reason = try recorder.run(maxSteps: maxSteps)
        return RecordedRun(
            path: path, elf: elf, input: input, keyframeInterval: keyframeInterval, totalSteps: machine.step,
            reason: reason)
    }

    /// Recordings shared by the tests of one process (never modified: copy before surgery).
    static let directory: String = {
        guard let scratch = try? TemporaryDirectory("recording-tests") else { return NSTemporaryDirectory() }
        sharedScratch = scratch
        atexit { Recordings.sharedScratch?.remove() }
        return scratch.path
    }()
    nonisolated(unsafe) private static var sharedScratch: TemporaryDirectory?

    private static func shared(_ name: String, input: [UInt8] = [], interval: UInt64) -> Result<
        RecordedRun?, any Error
    > {
        Result {
            guard let elf = try TestFirmware.elf(name) else { return nil }
            return try record(
                elf: elf, input: input, keyframeInterval: interval, to: directory + "/\(name)-\(interval).tsr"
            )
        }
    }

    private static let timerRun = shared("timer", interval: 1000)
    private static let timerWithSourcesRun = Result { () throws -> RecordedRun? in
        guard let elf = try TestFirmware.elf("timer") else { return nil }
        return try record(
            elf: elf, keyframeInterval: 1000, to: directory + "/timer-with-sources.tsr",
            sources: SourceCollection(reading: timerSourcePaths).sources)
    }
    private static let echoRun = shared("echo", input: Array("hello, world\nq".utf8), interval: 1000)
    private static let workloadRun = shared("workload", interval: 10_000)

    /// `timer` (3.5 k steps, 10 timer and 2 software interrupts), a keyframe every 1000 steps.
    static func timer() throws -> RecordedRun? { try timerRun.get() }
    /// `echo` with input `hello, world\nq`, a keyframe every 1000 steps.
    static func echo() throws -> RecordedRun? { try echoRun.get() }
    /// `workload` (2.4 M steps), a keyframe every 10 000 steps.
    static func workload() throws -> RecordedRun? { try workloadRun.get() }
    /// `timer` as `timer()`, embedding its C and assembly sources and the board header.
    static func timerWithSources() throws -> RecordedRun? { try timerWithSourcesRun.get() }

    /// The files `timer` is built from, in the checkout.
    static var timerSourcePaths: [String] {
        let firmware = TimescopeProcess.packageRoot.appendingPathComponent("Firmware").path
        return ["timer/timer.c", "timer/trap.S", "common/start.S", "common/board.h"].map {
            firmware + "/" + $0
        }
    }
}

/// The built `timescope` binary.
enum CLI {
    /// Runs `timescope arguments`; fails the test when it does not finish in `timeout` seconds.
    static func run(_ arguments: [String], timeout: TimeInterval = 120) throws -> ProcessResult {
        try TimescopeProcess.run(arguments, timeout: timeout)
    }

    /// Runs `timescope arguments` with its address space capped at `megabytes` (through
    /// `ulimit -v`), so that an attempt to allocate a gigabyte fails loudly instead of
    /// succeeding lazily.
    static func runCapped(_ arguments: [String], megabytes: Int = 768, timeout: TimeInterval = 60) throws
        -> ProcessResult
    {
        let binary = try TimescopeProcess.binaryPath()
        let quoted = ([binary] + arguments).map {
            "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }
        return try runProcess(
            "/bin/bash", ["-c", "ulimit -v \(megabytes * 1024); exec " + quoted.joined(separator: " ")],
            timeout: timeout)
    }

    /// Describes a result for failure messages.
    static func describe(_ result: ProcessResult) -> String { result.description }
}

/// Checks the error contract: exit status 2 and exactly one line on stderr, starting with
/// "timescope: error:".
func expectCleanError(
    _ result: ProcessResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
    let oneLine = lines.count == 2 && lines[1].isEmpty && lines[0].hasPrefix("timescope: error:")
    #expect(
        result.status == 2 && oneLine,
        "\(what): expected status 2 and one line 'timescope: error: …' on stderr; got \(CLI.describe(result))",
        sourceLocation: sourceLocation)
}

/// Opening `.tsr` files directly, to damage them on purpose.
enum FileSurgery {
    /// Copies `source` to `destination` (replacing it).
    static func copy(_ source: String, to destination: String) throws {
        try? FileManager.default.removeItem(atPath: destination)
        try FileManager.default.copyItem(atPath: source, toPath: destination)
    }

    /// Runs `body` on the recording's SQLite database, read-write.
    static func edit(_ path: String, _ body: (Database) throws -> Void) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try body(db)
        }
        try queue.close()
    }

    /// Rewrites a recording as format 2 stored it: every marker a row of the `marker` table,
    /// in the order a reader lists them (the packed ones too), no `marker_batch` table, the
    /// pages keyed by page first, and executed code in 256-byte chunks.
    static func rewriteAsFormatTwo(_ path: String) throws {
        let timeline = try Timeline(path: path)
        let markers = try timeline.markers(in: 0...UInt64.max, limit: .max)
        let ramChunks = Int(timeline.summary.header.board.ramSize >> Machine.executedChunkShift)
        let shift = Int(8 - Machine.executedChunkShift)
        let pageTable = try #require(
            RecordingFile.schemaVersion2.split(separator: ";").first { $0.contains("CREATE TABLE page") })
        try edit(path) { db in
            try db.execute(sql: "ALTER TABLE page RENAME TO page_format3")
            try db.execute(sql: String(pageTable))
            try db.execute(sql: "INSERT INTO page SELECT page, keyframe, lines, data FROM page_format3")
            try db.execute(sql: "DROP TABLE page_format3")
            try db.execute(sql: "DELETE FROM marker")
            for marker in markers {
                try db.execute(
                    sql: "INSERT INTO marker (step, kind, pc, value, text) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        Int64(marker.step), marker.kind.rawValue, Int64(marker.pc), Int64(marker.value),
                        marker.text,
                    ])
            }
            try db.execute(sql: "DROP TABLE marker_batch")
            let rows = try Row.fetchAll(db, sql: "SELECT idx, executed FROM keyframe")
            for row in rows {
                let chunks = try RecordingFile.decodeIndices(Array(row["executed"] as Data))
                let old = Set(
                    chunks.map {
                        $0 < ramChunks ? $0 >> shift : (ramChunks >> shift) + ($0 - ramChunks) >> shift
                    })
                try db.execute(
                    sql: "UPDATE keyframe SET executed = ? WHERE idx = ?",
                    arguments: [Data(RecordingFile.encodeIndices(old.sorted())), row["idx"] as Int64])
            }
            try db.execute(sql: "PRAGMA user_version = 2")
        }
    }

    /// Runs a read on the recording's database.
    static func read<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return try queue.read(body)
    }
}

/// The state of `machine` as `run --dump-state` writes it (without the trailing newline).
func dumpStateText(_ machine: Machine) -> String {
    machine.state.json(stateHash: machine.stateHash).text
}

/// Parses one line of JSON output; fails the test when it is not JSON.
func parseJSON(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ParsedJSON {
    do {
        return try ParsedJSON.parse(text)
    } catch {
        Issue.record("not JSON (\(error)): \(text.prefix(400))", sourceLocation: sourceLocation)
        throw error
    }
}

/// The RAM pages on which two machines differ (for failure messages).
func differingPages(_ a: Machine, _ b: Machine) -> [Int] {
    let left = a.snapshot().pages
    let right = b.snapshot().pages
    return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
}

/// The steps a seek test visits: 0, the end, every kind of keyframe neighbourhood, and random
/// steps, in a random order (so that seeks jump both ways, near and far).
func seekTargets(
    total: UInt64, interval: UInt64, randomCount: Int, boundaryCount: Int, using random: inout SeededGenerator
)
    -> [UInt64]
{
    var targets: Set<UInt64> = [0, total, total &- 1, 1]
    let keyframes = total / interval
    var boundaries = Array(1...max(1, keyframes))
    boundaries.shuffle(using: &random)
    for k in boundaries.prefix(boundaryCount) {
        let step = k * interval
        for candidate in [step - 1, step, step + 1] where candidate <= total { targets.insert(candidate) }
    }
    for _ in 0..<randomCount { targets.insert(UInt64.random(in: 0...total, using: &random)) }
    var ordered = targets.filter { $0 <= total }.sorted()
    ordered.shuffle(using: &random)
    // A long backward jump and a long forward one, whatever the shuffle did.
    ordered += [total, 0, total / 2 + 1]
    return ordered
}
