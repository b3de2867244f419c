import Foundation
import GRDB
import Machine
import Recording
import Testing
import TestSupport

/// Mutated recordings opened in-process: `Timeline(path:)` and everything after it must
/// either work or throw a `RecordingError`; a trap here takes the whole test process down.
/// A third of the mutations are on the file's bytes, a third on values inside the database
/// (which reach the validation code far more often than random bytes do), and a third on its
/// schema (views, triggers, generated columns, extra tables and indexes, dropped and renamed
/// columns), which must always be refused, and quickly.
@Suite struct ReaderFuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["TIMESCOPE_FUZZ_ITERATIONS"] ?? "") ?? 200
    static let verbose = ProcessInfo.processInfo.environment["TIMESCOPE_FUZZ_VERBOSE"] == "1"

    /// Random edits of the bytes: bit flips, byte stores, zeroed or copied runs, truncation.
    static func mutateBytes(_ bytes: inout [UInt8], using random: inout SeededGenerator) -> String {
        var done: [String] = []
        for _ in 0..<Int.random(in: 1...6, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                let bit = Int.random(in: 0..<8, using: &random)
                bytes[at] ^= UInt8(1 << bit)
                done.append("flip \(at).\(bit)")
            case 4...5:
                let value = [0, 0xFF, 0x7F, 0x80, UInt8.random(in: 0...255, using: &random)].randomElement(
                    using: &random)!
                bytes[at] = value
                done.append("set \(at)=\(value)")
            case 6:
                let count = min(bytes.count - at, Int.random(in: 1...512, using: &random))
                for index in at..<(at + count) { bytes[index] = 0 }
                done.append("zero \(at)+\(count)")
            case 7:
                let from = Int.random(in: 0..<bytes.count, using: &random)
                let count = min(bytes.count - at, bytes.count - from, Int.random(in: 1...256, using: &random))
                bytes.replaceSubrange(at..<(at + count), with: bytes[from..<(from + count)])
                done.append("copy \(from)->\(at)+\(count)")
            case 8:
                // Write a big-endian 32-bit extreme: SQLite's headers and cells are big-endian.
                let value: UInt32 = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF].randomElement(
                    using: &random)!
                for index in 0..<4 where at + index < bytes.count {
                    bytes[at + index] = UInt8(truncatingIfNeeded: value >> (24 - 8 * index))
                }
                done.append("u32 \(at)=\(value)")
            default:
                if Int.random(in: 0..<4, using: &random) == 0 {
                    bytes.removeSubrange(at...)
                    done.append("truncate \(at)")
                }
            }
        }
        return done.joined(separator: ", ")
    }

    /// Columns that hold numbers, blobs and text, by table, with their key columns.
    static let tables:
        [(name: String, keys: [String], integers: [String], blobs: [String], texts: [String])] = [
            (
                "recording", ["id"], ["keyframe_interval", "firmware_modified"], ["firmware"],
                ["format", "firmware_name", "firmware_sha256", "board"]
            ),
            ("keyframe", ["idx"], ["idx", "step", "state_hash"], ["state", "executed"], []),
            ("page", ["page", "keyframe"], ["page", "keyframe", "lines"], ["data"], []),
            ("marker", ["id"], ["step", "pc", "value"], [], ["kind", "text"]),
            ("marker_batch", ["id"], ["first_step", "last_step", "count"], ["data"], []),
            ("console", ["id"], ["first_step"], ["steps", "data"], []),
            ("ending", ["id"], ["total_steps", "exit_code"], [], ["reason", "detail"]),
            ("source", ["id"], ["size", "modified"], ["data"], ["path"]),
        ]

    static func integer(using random: inout SeededGenerator) -> Int64 {
        [
            -1, 0, 1, 2, 7, 4095, 4096, 32767, 1 << 31, 1 << 32, 1 << 40, Int64.max, Int64.min,
            Int64.random(in: -100...100_000, using: &random),
        ]
        .randomElement(using: &random)!
    }

    static func blob(using random: inout SeededGenerator) -> [UInt8] {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return []
        case 1:
            return (0..<Int.random(in: 1...64, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
        case 2:
            return ZstdFrame.rle(
                byte: 0, count: UInt64.random(in: 0...(1 << 30), using: &random), declaredSize: nil)
        case 3:
            return ZstdFrame.raw(
                (0..<Int.random(in: 0...5000, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                })
        default:
            return ZstdFrame.rle(
                byte: 0x41, count: 4096,
                declaredSize: [UInt64(4096), 1 << 30, 0].randomElement(using: &random)!)
        }
    }

    /// Random edits of values in the database: one to three of: set a number to an extreme,
    /// replace a blob, replace a text, delete a row, duplicate a row with a new key.
    static func mutateDatabase(_ path: String, using random: inout SeededGenerator) throws -> String {
        var done: [String] = []
        try FileSurgery.edit(path) { db in
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let table = tables.randomElement(using: &random)!
                let keyList = table.keys.joined(separator: ", ")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT \(keyList) FROM \(table.name) ORDER BY \(keyList)")
                guard let row = rows.randomElement(using: &random) else { continue }
                let condition = table.keys.map { "\($0) = ?" }.joined(separator: " AND ")
                let keyValues = StatementArguments(table.keys.map { row[$0] as DatabaseValue })
                do {
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0...3 where !table.integers.isEmpty:
                        let column = table.integers.randomElement(using: &random)!
                        let value = integer(using: &random)
                        try db.execute(
                            sql: "UPDATE \(table.name) SET \(column) = ? WHERE \(condition)",
                            arguments: [value] + keyValues)
                        done.append("\(table.name).\(column)=\(value)")
                    case 4...5 where !table.blobs.isEmpty:
                        let column = table.blobs.randomElement(using: &random)!
                        let value = blob(using: &random)
                        try db.execute(
                            sql: "UPDATE \(table.name) SET \(column) = ? WHERE \(condition)",
                            arguments: [Data(value)] + keyValues)
                        done.append("\(table.name).\(column)=blob(\(value.count))")
                    case 6 where !table.texts.isEmpty:
                        let column = table.texts.randomElement(using: &random)!
                        let value = [
                            "", "x", "virt", "{}", "exited", "timer-interrupt",
                            String(repeating: "9", count: 300),
                        ].randomElement(using: &random)!
                        try db.execute(
                            sql: "UPDATE \(table.name) SET \(column) = ? WHERE \(condition)",
                            arguments: [value] + keyValues)
                        done.append("\(table.name).\(column)='\(value.prefix(20))'")
                    case 7:
                        try db.execute(
                            sql: "DELETE FROM \(table.name) WHERE \(condition)", arguments: keyValues)
                        done.append("delete \(table.name) row")
                    default:
                        // A copy of the row under a new key.
                        let columns = try db.columns(in: table.name).map(\.name)
                        let copied = columns.map { table.keys.contains($0) ? "? AS \($0)" : $0 }.joined(
                            separator: ", ")
                        let newKey = integer(using: &random)
                        try db.execute(
                            sql:
                                "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) SELECT \(copied) FROM \(table.name) WHERE \(condition)",
                            arguments: StatementArguments(Array(repeating: newKey, count: table.keys.count))
                                + keyValues)
                        done.append("copy \(table.name) row to key \(newKey)")
                    }
                } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                    done.append("(constraint refused an edit of \(table.name))")
                }
            }
        }
        return done.joined(separator: ", ")
    }

    /// One or two schema attacks on random tables. Returns what was done, and whether any
    /// attack took (SQLite refuses some, such as dropping a key column).
    static func mutateSchema(_ path: String, using random: inout SeededGenerator) throws -> (
        description: String, applied: Bool
    ) {
        var done: [String] = []
        var applied = false
        try FileSurgery.edit(path) { db in
            for _ in 0..<Int.random(in: 1...2, using: &random) {
                let table = tables.randomElement(using: &random)!.name
                guard try db.tableExists(table) else { continue }
                let columns = try db.columns(in: table).map(\.name)
                let column = columns.randomElement(using: &random)!
                let attack = SchemaAttacks.all.randomElement(using: &random)!
                let selectList = columns.map { (name: String) -> String in
                    let value =
                        attack.value == "n" || name == column
                        ? attack.value.replacingOccurrences(of: "{C}", with: name) : name
                    return value + " AS " + name
                }.joined(separator: ", ")
                do {
                    try db.inSavepoint {
                        for statement in attack.statements {
                            let sql: String = statement.replacingOccurrences(
                                of: "{COLUMNS}", with: selectList
                            )
                            .replacingOccurrences(of: "{T}", with: table).replacingOccurrences(
                                of: "{C}", with: column)
                            try db.execute(sql: sql)
                        }
                        return .commit
                    }
                    applied = true
                    done.append("\(attack.name) on \(table).\(column)")
                } catch let error as DatabaseError {
                    done.append(
                        "(SQLite refused \(attack.name) on \(table).\(column): \(error.message ?? "?"))")
                }
            }
        }
        return (done.joined(separator: ", "), applied)
    }

    static let isWorker = ProcessInfo.processInfo.environment["TIMESCOPE_FUZZ_WORKER"] == "1"

    /// Runs the fuzz loop in a child process (this test binary again, running only
    /// `fuzzWorker`), so that a trap in the reader fails this test with the seed and the
    /// mutation that caused it instead of killing every other test of the process.
    @Test(.enabled(if: !isWorker)) func mutatedRecordingsThrowOrWorkButNeverTrap() throws {
        guard try Recordings.timer() != nil else { return }
        let seed = TestSeed.make("reader fuzz")
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0]))
            .resolvingSymlinksInPath().path
        var environment = ProcessInfo.processInfo.environment
        environment["TIMESCOPE_FUZZ_WORKER"] = "1"
        environment[TestSeed.variable] = TestSeed.describe(seed)
        let result = try runProcess(
            executable, ["--testing-library", "swift-testing", "--filter", "ReaderFuzzTests/fuzzWorker"],
            environment: environment, timeout: 600)
        let log = result.stderrLines.filter {
            $0.hasPrefix("fuzz ") || $0.contains("Fatal error") || $0.hasPrefix("reader fuzz")
        }
        let summary = result.stdoutText.split(separator: "\n").filter { $0.contains("reader fuzz") }
        #expect(
            result.status == 0 && !summary.isEmpty,
            """
            the reader fuzz worker (seed \(TestSeed.describe(seed))) ended with status \(result.status); last trials:
            \(log.suffix(4).joined(separator: "\n"))
            \((result.stdoutText + result.stderr).split(separator: "\n").filter { $0.contains("recorded an issue") || ($0.hasPrefix("↳") && !$0.hasPrefix("↳ ///")) }.prefix(8).joined(separator: "\n"))
            """)
        if let line = summary.first { print(line) }
    }

    @Test(.enabled(if: isWorker)) func fuzzWorker() throws {
        guard let run = try Recordings.timerWithSources() else { return }
        let seed = TestSeed.make("reader fuzz worker")
        try Self.fuzz(run, seed: seed, iterations: Self.iterations)
    }

    static func fuzz(_ run: RecordedRun, seed: UInt64, iterations: Int) throws {
        var random = SeededGenerator(seed: seed)
        let scratch = try ScratchDirectory("fuzz")
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: run.path)))
        var opened = 0
        var refused = 0
        var skipped = 0
        for trial in 0..<iterations {
            let path = scratch.file("fuzz-\(trial).tsr")
            let mutation: String
            var mustBeRefused = false
            switch trial % 3 {
            case 0:
                var bytes = good
                mutation = Self.mutateBytes(&bytes, using: &random)
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            case 1:
                try FileSurgery.copy(run.path, to: path)
                mutation = try Self.mutateDatabase(path, using: &random)
            default:
                try FileSurgery.copy(run.path, to: path)
                (mutation, mustBeRefused) = try Self.mutateSchema(path, using: &random)
            }
            if let keep = ProcessInfo.processInfo.environment["TIMESCOPE_FUZZ_KEEP"], Int(keep) == trial {
                try? FileManager.default.removeItem(
                    atPath: NSTemporaryDirectory() + "timescope-fuzz-\(trial).tsr")
                try FileManager.default.copyItem(
                    atPath: path, toPath: NSTemporaryDirectory() + "timescope-fuzz-\(trial).tsr")
            }
            // Unbuffered, so that the last line survives a trap.
            FileHandle.standardError.write(Data("fuzz \(trial): \(mutation)\n".utf8))
            let probe = UInt64.random(in: 0...run.totalSteps, using: &random)
            let start = Date()
            defer {
                let seconds = Date().timeIntervalSince(start)
                #expect(
                    !mustBeRefused || seconds < 10,
                    "trial \(trial) (\(mutation)): refusing it took \(seconds) s")
            }
            do {
                let timeline = try Timeline(path: path)
                #expect(
                    !mustBeRefused, "trial \(trial) (\(mutation)): a recording with a changed schema opened")
                opened += 1
                let total = timeline.totalSteps
                // A mutated file may claim a very long run; seeking there would just be slow.
                guard total <= 4 * run.totalSteps else {
                    skipped += 1
                    continue
                }
                for step in [total, 0, min(probe, total), total / 2] { try timeline.seek(to: step) }
                _ = try timeline.lastWrite(to: 0x800F_FF00..<0x8010_0000, before: total)
                _ = try timeline.nextExecution(of: timeline.machine.firmware.entry, after: 0)
                _ = try timeline.marker(kind: MarkerKind.interruptFamily, before: total)
                _ = try timeline.markers(in: 0...total)
                _ = try timeline.stateJSON(memory: [0x8000_0000..<0x8000_0040])
                for entry in try timeline.embeddedSources() {
                    _ = try timeline.embeddedSource(path: entry.path)
                }
                let verdict = try timeline.verify()
                if Self.verbose {
                    print(
                        "fuzz \(trial) -> opened, verify \(verdict.firstMismatch == nil ? "ok" : "mismatch")")
                }
            } catch {
                if Self.verbose {
                    print(
                        "fuzz \(trial) -> \(error.description.replacingOccurrences(of: path, with: "F").prefix(200))"
                    )
                }
                refused += 1
                let text = error.description
                #expect(
                    !text.isEmpty && !text.contains("\n"),
                    "trial \(trial) (\(mutation)): the error is one line: \(text.debugDescription)")
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        print(
            "reader fuzz (seed \(TestSeed.describe(seed))): \(iterations) mutations, \(opened) opened, \(refused) refused, \(skipped) not replayed (claimed > 4x the steps)"
        )
        #expect(refused > 0 && opened > 0, "the mutations reach both outcomes")
    }
}
