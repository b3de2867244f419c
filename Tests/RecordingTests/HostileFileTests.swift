import Foundation
import GRDB
import Machine
import Recording
import Testing
import TestSupport

/// Recordings are untrusted input. Every damaged or hostile file gives exit status 2 and one
/// clear line on stderr: never a crash, a hang or a huge allocation (the commands run with
/// their address space capped at 768 MiB, so believing a 1 GiB claim crashes them).
@Suite struct HostileFileTests {
    /// A damaged recording: how to make it from a good one, and which commands must refuse it.
    struct Damage: Sendable, CustomTestStringConvertible {
        /// Which good recording to start from.
        enum Base: Sendable { case timer, echo }

        var name: String
        var base: Base = .timer
        /// Damages the copy at `path` of `run`.
        var make: @Sendable (_ path: String, _ run: RecordedRun) throws -> Void
        /// Commands (arguments after the program name; `REC` is the file) that must exit 2.
        /// Every other command must still end cleanly (0, or 2 with one line), never crash.
        var refusedBy: [[String]] = Damage.allCommands

        var testDescription: String { name }

        static let info = ["info", "REC", "--json"]
        static let stateEnd = ["state", "REC", "--at", "end", "--json"]
        static let verify = ["verify", "REC"]
        static let findEvent = ["find", "REC", "--event", "console", "--before", "end"]
        static let allCommands = [info, stateEnd, verify, findEvent]

        /// A damage done with SQL on the recording's database.
        static func sql(_ name: String, base: Base = .timer, refusedBy: [[String]] = allCommands, _ statements: String...) -> Damage {
            Damage(name: name, base: base, make: { path, _ in
                try FileSurgery.edit(path) { db in
                    for statement in statements { try db.execute(sql: statement) }
                }
            }, refusedBy: refusedBy)
        }

        /// Replaces a blob column of matching rows with `blob`.
        static func blob(_ name: String, table: String, column: String, where condition: String, refusedBy: [[String]] = allCommands,
                         _ blob: @escaping @Sendable (RecordedRun) throws -> [UInt8]) -> Damage {
            Damage(name: name, make: { path, run in
                let bytes = try blob(run)
                try FileSurgery.edit(path) { db in
                    try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(condition)", arguments: [Data(bytes)])
                    #expect(db.changesCount > 0, "\(name): the UPDATE hit no row")
                }
            }, refusedBy: refusedBy)
        }

        /// Replaces the file's bytes.
        static func bytes(_ name: String, _ transform: @escaping @Sendable ([UInt8]) -> [UInt8]) -> Damage {
            Damage(name: name, make: { path, _ in
                let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                try Data(transform(original)).write(to: URL(fileURLWithPath: path))
            })
        }
    }

    static let gibibyte: UInt64 = 1 << 30

    /// The JSON state of keyframe 0 (the reset state), changed by `change`, stored as zstd.
    static func resetState(_ run: RecordedRun, _ change: (inout MachineState) -> Void) throws -> [UInt8] {
        var state = try Reference.machine(elf: run.elf, input: run.input).state
        change(&state)
        return ZstdFrame.raw(Array(try JSONEncoder().encode(state)))
    }

    /// The JSON state at keyframe 2 (step 2000), changed by `change`, stored as zstd.
    static func keyframe2State(_ run: RecordedRun, _ change: (inout MachineState) -> Void) throws -> [UInt8] {
        var state = try Reference.machine(elf: run.elf, input: run.input, at: 2 * run.keyframeInterval).state
        change(&state)
        return ZstdFrame.raw(Array(try JSONEncoder().encode(state)))
    }

    static let atKeyframe2 = ["state", "REC", "--at", "2000", "--json"]

    static let damages: [Damage] = [
        // Not a recording at all.
        .bytes("an empty file") { _ in [] },
        .bytes("a text file") { _ in Array("this is not a recording\nreally not\n".utf8) },
        .bytes("the first half of a recording") { Array($0.prefix($0.count / 2)) },
        .bytes("a recording cut just after the SQLite header") { Array($0.prefix(100)) },
        Damage(name: "a SQLite database that is not a recording", make: { path, _ in
            try FileManager.default.removeItem(atPath: path)
            try FileSurgery.edit(path) { db in try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hi')") }
        }),
        Damage(name: "a directory", make: { path, _ in
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        }),
        Damage(name: "a missing file", make: { path, _ in try FileManager.default.removeItem(atPath: path) }),

        // Schema changes.
        .sql("format version 99", "PRAGMA user_version = 99"),
        .sql("format version 0", "PRAGMA user_version = 0"),
        .sql("the page table dropped", "DROP TABLE page"),
        .sql("the keyframe table dropped", "DROP TABLE keyframe"),
        .sql("the input table dropped", "DROP TABLE input"),
        .sql("the marker table dropped", "DROP TABLE marker"),
        .sql("a keyframe column renamed", "ALTER TABLE keyframe RENAME COLUMN state_hash TO hash"),
        .sql("a page column renamed", "ALTER TABLE page RENAME COLUMN data TO bytes"),
        .sql("another format name", "UPDATE recording SET format = 'something-else'"),

        .sql("a schema whose SQL is broken across lines", "PRAGMA writable_schema = ON",
             "UPDATE sqlite_schema SET sql = 'CREATE TABLE page (page INTEGER \"NOT NULL,' || char(10) || '    data BLOB)' WHERE name = 'page'"),

        // Values of the wrong type: SQLite stores whatever it is given.
        .sql("a page line mask that is a blob", "UPDATE page SET lines = x'0102' WHERE keyframe = 1"),
        .sql("a keyframe step that is text", "UPDATE keyframe SET step = 'soon' WHERE idx = 1"),
        .sql("a keyframe interval that is text", "UPDATE recording SET keyframe_interval = 'often'"),
        .sql("a firmware name that is not UTF-8", "UPDATE recording SET firmware_name = x'ff'"),
        .sql("a marker kind that is not UTF-8", "UPDATE marker SET kind = x'ff' WHERE id = (SELECT MIN(id) FROM marker)"),
        .sql("an end reason that is not UTF-8", "UPDATE ending SET reason = x'ff'"),
        .sql("an input byte that is text", base: .echo, "UPDATE input SET byte = 'A' WHERE seq = (SELECT MIN(seq) FROM input)"),
        .sql("a firmware that is text", "UPDATE recording SET firmware = 'not an ELF'"),

        // The header.
        .sql("no header row", "DELETE FROM recording"),
        .sql("a board with 4 GiB of RAM", #"UPDATE recording SET board = '{"name":"virt","ramBase":2147483648,"ramSize":4294967296}'"#),
        .sql("a board with 4 GiB - 4 KiB of RAM", #"UPDATE recording SET board = '{"name":"virt","ramBase":2147483648,"ramSize":4294963200}'"#),
        .sql("a board with no RAM", #"UPDATE recording SET board = '{"name":"virt","ramBase":2147483648,"ramSize":0}'"#),
        .sql("a board with RAM at 0", #"UPDATE recording SET board = '{"name":"virt","ramBase":0,"ramSize":134217728}'"#),
        .sql("a board of an unknown kind", #"UPDATE recording SET board = '{"name":"pdp11","ramBase":2147483648,"ramSize":134217728}'"#),
        .sql("a board that is not JSON", "UPDATE recording SET board = 'virt, 128 MiB'"),
        .sql("a keyframe interval of -1", "UPDATE recording SET keyframe_interval = -1"),
        .sql("a keyframe interval of 0", "UPDATE recording SET keyframe_interval = 0"),
        .sql("a firmware cut in half", "UPDATE recording SET firmware = substr(firmware, 1, length(firmware) / 2)"),
        .sql("a firmware whose SHA-256 does not match", "UPDATE recording SET firmware_sha256 = '" + String(repeating: "0", count: 64) + "'"),
        .sql("a firmware that is not an ELF", "UPDATE recording SET firmware = zeroblob(4096)"),

        // Keyframes.
        .sql("no keyframes", "DELETE FROM keyframe"),
        .sql("a keyframe at step -5", "UPDATE keyframe SET step = -5 WHERE idx = 1"),
        .sql("a keyframe with index -1", "UPDATE keyframe SET idx = -1 WHERE idx = 0"),
        .sql("keyframe steps that go backwards", "UPDATE keyframe SET step = 500 WHERE idx = 2"),
        .sql("a first keyframe that is not at step 0", "UPDATE keyframe SET step = 7 WHERE idx = 0"),
        .sql("an executed-chunk list of 5 bytes", "UPDATE keyframe SET executed = x'0102030405' WHERE idx = 1"),
        .sql("an empty state blob", "UPDATE keyframe SET state = x'' WHERE idx = 0"),
        .blob("a reset state with 3 registers", table: "keyframe", column: "state", where: "idx = 0") { run in
            try resetState(run) { $0.x = [0, 1, 2] }
        },
        .blob("a keyframe state with 3 registers", table: "keyframe", column: "state", where: "idx = 2", refusedBy: [atKeyframe2]) { run in
            try keyframe2State(run) { $0.x = [0, 1, 2] }
        },
        .blob("a keyframe state at the wrong step", table: "keyframe", column: "state", where: "idx = 2", refusedBy: [atKeyframe2]) { run in
            try keyframe2State(run) { $0.step = 1_999 }
        },
        .blob("a keyframe state with more non-retired steps than steps", table: "keyframe", column: "state", where: "idx = 2",
              refusedBy: [atKeyframe2]) { run in
            try keyframe2State(run) { $0.nonRetiredSteps = UInt64.max }
        },
        .blob("a keyframe state with a 1000-byte UART FIFO", table: "keyframe", column: "state", where: "idx = 2",
              refusedBy: [atKeyframe2]) { run in
            try keyframe2State(run) { $0.uart.receiveFIFO = Array(repeating: 0x41, count: 1000) }
        },
        .blob("a keyframe state altered inside a valid frame (a1 changed)", table: "keyframe", column: "state", where: "idx = 2",
              refusedBy: [atKeyframe2]) { run in
            try keyframe2State(run) { $0.x[11] ^= 0x10 }
        },
        .blob("a keyframe state altered inside a valid frame (pc moved)", table: "keyframe", column: "state", where: "idx = 2",
              refusedBy: [atKeyframe2]) { run in
            try keyframe2State(run) { $0.pc &+= 4 }
        },
        Damage(name: "a page altered inside a valid frame (one byte changed)", make: { path, run in
            let reference = try Reference.machine(elf: run.elf, input: run.input, at: 2 * run.keyframeInterval)
            try FileSurgery.edit(path) { db in
                let page = try #require(try Int.fetchOne(db, sql: "SELECT MIN(page) FROM page WHERE keyframe = 2"))
                var bytes = reference.page(page)
                bytes[100] ^= 0xFF
                try db.execute(sql: "UPDATE page SET data = ? WHERE keyframe = 2 AND page = ?", arguments: [Data(ZstdFrame.raw(bytes)), page])
            }
        }, refusedBy: [atKeyframe2]),
        .blob("a keyframe state that is not JSON", table: "keyframe", column: "state", where: "idx = 0") { _ in
            ZstdFrame.raw(Array("{\"step\": 0, \"pc\": ".utf8))
        },
        .blob("a state that expands to 1 GiB and says so", table: "keyframe", column: "state", where: "idx = 0") { _ in
            ZstdFrame.rle(byte: 0x20, count: gibibyte, declaredSize: gibibyte)
        },
        .blob("a state that expands to 1 GiB without saying so", table: "keyframe", column: "state", where: "idx = 0") { _ in
            ZstdFrame.rle(byte: 0x20, count: gibibyte, declaredSize: nil)
        },

        // Pages.
        .blob("a page that expands to 1 GiB and says so", table: "page", column: "data", where: "keyframe = 0") { _ in
            ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: gibibyte)
        },
        .blob("a page that expands to 1 GiB without saying so", table: "page", column: "data", where: "keyframe = 0") { _ in
            ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: nil)
        },
        .blob("a page that claims 4096 bytes but holds 1 GiB", table: "page", column: "data", where: "keyframe = 0") { _ in
            ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: 4096)
        },
        .blob("a page of 4095 bytes", table: "page", column: "data", where: "keyframe = 0") { _ in
            ZstdFrame.raw([UInt8](repeating: 1, count: 4095))
        },
        .blob("a page that is not zstd", table: "page", column: "data", where: "keyframe = 0") { _ in [0, 1, 2, 3, 4, 5, 6, 7] },
        .blob("a later page that expands to 1 GiB", table: "page", column: "data", where: "keyframe = (SELECT MAX(keyframe) FROM page)",
              refusedBy: [Damage.stateEnd]) { _ in
            ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: nil)
        },
        .sql("a page with index -1", "UPDATE page SET page = -1 WHERE keyframe = 1 AND page = (SELECT MIN(page) FROM page WHERE keyframe = 1)"),
        .sql("a page beyond the end of RAM",
             "UPDATE page SET page = 32768 WHERE keyframe = 1 AND page = (SELECT MIN(page) FROM page WHERE keyframe = 1)"),
        .sql("a page of keyframe 99", "UPDATE page SET keyframe = 99 WHERE keyframe = 1"),
        .sql("a page of keyframe -1", "UPDATE page SET keyframe = -1 WHERE keyframe = 1"),
        .sql("an empty page blob", refusedBy: [Damage.stateEnd], "INSERT INTO page (page, keyframe, lines, data) VALUES (200, 2, 1, x'')"),

        // Inputs and the ending.
        .sql("an input at step -1", base: .echo, "UPDATE input SET step = -1 WHERE seq = (SELECT MIN(seq) FROM input)"),
        .sql("an input byte of 300", base: .echo, "UPDATE input SET byte = 300 WHERE seq = (SELECT MIN(seq) FROM input)"),
        .sql("inputs out of order", base: .echo, "UPDATE input SET step = 100000 WHERE seq = (SELECT MIN(seq) FROM input)"),
        .sql("a total of -1 steps", "UPDATE ending SET total_steps = -1"),
        .sql("a total beyond the last keyframe", "UPDATE ending SET total_steps = total_steps + 1"),
        .sql("an unknown end reason", "UPDATE ending SET reason = 'exploded'"),
        .sql("a last keyframe 10^12 steps in", refusedBy: [Damage.stateEnd, ["state", "REC", "--at", "50%", "--json"]],
             "UPDATE keyframe SET step = 1000000000000 WHERE idx = (SELECT MAX(idx) FROM keyframe)",
             "UPDATE ending SET total_steps = 1000000000000"),
    ]

    @Test(arguments: damages)
    func aDamagedRecordingGivesOneClearErrorAndStatus2(_ damage: Damage) throws {
        let run: RecordedRun?
        switch damage.base {
        case .timer: run = try Recordings.timer()
        case .echo: run = try Recordings.echo()
        }
        guard let run else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("damaged.tsr")
        try FileSurgery.copy(run.path, to: path)
        try damage.make(path, run)
        var commands = Damage.allCommands
        for command in damage.refusedBy where !commands.contains(command) { commands.append(command) }
        for command in commands {
            let arguments = command.map { $0 == "REC" ? path : $0 }
            let result = try CLI.runCapped(arguments)
            let what = "\(damage.name): timescope \(command.joined(separator: " "))"
            if damage.refusedBy.contains(command) {
                expectCleanError(result, what)
            } else {
                // Still a clean ending: success, a verdict (verify's 1: does not verify;
                // find's 1: not found) with one line, or a clean error.
                #expect(result.status < 128, "\(what) crashed: \(CLI.describe(result))")
                let verdict = result.status == 1 && (command == Damage.verify || command == Damage.findEvent)
                if verdict {
                    #expect(result.stderrLines.count == 1, "\(what): \(CLI.describe(result))")
                } else if result.status != 0 {
                    expectCleanError(result, what)
                }
            }
        }
    }

    /// Bit flips anywhere in the file: each flipped copy gives the answers of the good file or
    /// one clear error with status 2; never a crash or a hang. (A flip inside a compressed
    /// block can also change an answer silently: that is counted and printed here, and pinned
    /// deterministically by the "altered inside a valid frame" damages above.)
    static let bitFlipCount = Int(ProcessInfo.processInfo.environment["TIMESCOPE_BIT_FLIPS"] ?? "") ?? 24

    @Test func bitFlipsGiveAClearErrorOrTheRightAnswers() throws {
        guard let run = try Recordings.timer() else { return }
        let seed = TestSeed.make("bit flips")
        var random = SeededGenerator(seed: seed)
        let scratch = try ScratchDirectory()
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: run.path)))
        let commands = [
            ["info", "REC", "--json"], ["state", "REC", "--at", "end", "--at", "1500", "--json"],
            ["find", "REC", "--last-write", "0x800ffff0:16", "--before", "end", "--json"],
        ]
        func outputs(_ path: String) throws -> [ProcessResult] {
            try commands.map { command in try CLI.runCapped(command.map { $0 == "REC" ? path : $0 }) }
        }
        let expected = try outputs(run.path)
        var silent: [String] = []
        for trial in 0..<Self.bitFlipCount {
            var bytes = good
            let position = Int.random(in: 0..<bytes.count, using: &random)
            let bit = Int.random(in: 0..<8, using: &random)
            bytes[position] ^= UInt8(1 << bit)
            let path = scratch.file("flip-\(trial).tsr")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            for (command, (result, good)) in zip(commands, zip(try outputs(path), expected)) {
                let what = "bit \(bit) of byte \(position) flipped (seed \(TestSeed.describe(seed))): timescope \(command[0])"
                if result.status == 0 {
                    if result.stdoutText != good.stdoutText { silent.append("bit \(bit) of byte \(position) (\(command[0]))") }
                } else if !(command[0] == "find" && result.status == 1 && result.stderrLines == ["not found"]) {
                    expectCleanError(result, what)
                }
            }
        }
        if !silent.isEmpty {
            print("note: \(silent.count) of \(Self.bitFlipCount) bit flips changed an answer without an error (seed \(TestSeed.describe(seed))): \(silent.joined(separator: ", "))")
        }
    }
}
