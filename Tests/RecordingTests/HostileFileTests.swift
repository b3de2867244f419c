import Foundation
import GRDB
import Machine
@testable import Recording
import Testing
import TestSupport

/// Recordings are untrusted input. Every damaged or hostile file gives exit status 2 and one
/// clear line on stderr: never a crash, a hang or a huge allocation (the commands run with
/// their address space capped at 768 MiB, so believing a 1 GiB claim crashes them), and
/// within seconds. Hostile files (SQL objects planted in the schema, counts and steps that
/// would replay for years, a board of 2 GiB with a page row for every page, FIFOs and devices,
/// escape sequences and megabytes in strings) are refused by every command that reads
/// recordings, with a message naming what is wrong.
@Suite struct HostileFileTests {
    /// A damaged recording: how to make it from a good one, and which commands must refuse it.
    struct Damage: Sendable, CustomTestStringConvertible {
        /// Which good recording to start from.
        enum Base: Sendable {
            case timer, echo
            /// `timer` with its four source files embedded.
            case timerWithSources
            /// A firmware that never ends (an endless loop), recorded for 5000 steps: a replay
            /// of it runs as far as a file claims.
            case spin
        }

        var name: String
        var base: Base = .timer
        /// Damages the copy at `path` of `run`.
        var make: @Sendable (_ path: String, _ run: RecordedRun) throws -> Void
        /// Commands (arguments after the program name; `REC` is the file) that must exit 2.
        /// Every other command must still end cleanly (0, or 2 with one line), never crash.
        var refusedBy: [[String]] = Damage.allCommands
        /// Words every refusal must contain (nil: any clear error will do).
        var message: String? = nil
        /// Seconds each command may take.
        var seconds: Double = 30

        var testDescription: String { name }

        static let info = ["info", "REC", "--json"]
        static let stateEnd = ["state", "REC", "--at", "end", "--json"]
        static let verify = ["verify", "REC"]
        static let findEvent = ["find", "REC", "--event", "console", "--before", "end"]
        static let allCommands = [info, stateEnd, verify, findEvent]
        static let stateHalfway = ["state", "REC", "--at", "50%", "--json"]
        static let view = ["view", "REC", "--print-frame", "80x24"]
        static let follow = ["watch", "--follow", "REC"]
        /// Every command that reads recordings.
        static let everyReader = [info, stateEnd, stateHalfway, verify, findEvent, view, follow]

        /// A hostile change made with SQL: every reader refuses it within 10 s, saying `message`.
        static func hostile(_ name: String, base: Base = .timer, message: String, _ statements: String...)
            -> Damage
        {
            Damage(
                name: name, base: base,
                make: { path, _ in
                    try FileSurgery.edit(path) { db in
                        for statement in statements { try db.execute(sql: statement) }
                    }
                }, refusedBy: everyReader, message: message, seconds: 10)
        }

        /// A hostile file put at the recording's path by `make`: every reader refuses it within
        /// 10 s, saying `message`.
        static func hostileFile(
            _ name: String, message: String, _ make: @escaping @Sendable (_ path: String) throws -> Void
        ) -> Damage {
            Damage(
                name: name, make: { path, _ in try make(path) }, refusedBy: everyReader, message: message,
                seconds: 10)
        }

        /// A damage done with SQL on the recording's database.
        static func sql(
            _ name: String, base: Base = .timer, refusedBy: [[String]] = allCommands, _ statements: String...
        ) -> Damage {
            Damage(
                name: name, base: base,
                make: { path, _ in
                    try FileSurgery.edit(path) { db in
                        for statement in statements { try db.execute(sql: statement) }
                    }
                }, refusedBy: refusedBy)
        }

        /// Replaces a blob column of matching rows with `blob`.
        static func blob(
            _ name: String, base: Base = .timer, table: String, column: String, where condition: String,
            refusedBy: [[String]] = allCommands, message: String? = nil,
            _ blob: @escaping @Sendable (RecordedRun) throws -> [UInt8]
        ) -> Damage {
            Damage(
                name: name, base: base,
                make: { path, run in
                    let bytes = try blob(run)
                    try FileSurgery.edit(path) { db in
                        try db.execute(
                            sql: "UPDATE \(table) SET \(column) = ? WHERE \(condition)",
                            arguments: [Data(bytes)])
                        #expect(db.changesCount > 0, "\(name): the UPDATE hit no row")
                    }
                }, refusedBy: refusedBy, message: message)
        }

        /// A damage of the embedded sources, made with SQL on `timer` with its sources: the
        /// commands that read them (`info`, `verify`, or those in `refusedBy`) refuse it
        /// saying `message`; the others, which never look at sources, still work.
        static func source(
            _ name: String, refusedBy: [[String]] = [info, verify], message: String, _ statements: String...
        ) -> Damage {
            Damage(
                name: name, base: .timerWithSources,
                make: { path, _ in
                    try FileSurgery.edit(path) { db in
                        for statement in statements {
                            try db.execute(sql: statement)
                            #expect(db.changesCount > 0, "\(name): \(statement.prefix(60)) changed nothing")
                        }
                    }
                }, refusedBy: refusedBy, message: message, seconds: 10)
        }

        /// Replaces the file's bytes.
        static func bytes(_ name: String, _ transform: @escaping @Sendable ([UInt8]) -> [UInt8]) -> Damage {
            Damage(
                name: name,
                make: { path, _ in
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

    static let damages: [Damage] =
        [
            // Not a recording at all.
            .bytes("an empty file") { _ in [] },
            .bytes("a text file") { _ in Array("this is not a recording\nreally not\n".utf8) },
            .bytes("the first half of a recording") { Array($0.prefix($0.count / 2)) },
            .bytes("a recording cut just after the SQLite header") { Array($0.prefix(100)) },
            Damage(
                name: "a SQLite database that is not a recording",
                make: { path, _ in
                    try FileManager.default.removeItem(atPath: path)
                    try FileSurgery.edit(path) { db in
                        try db.execute(sql: "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('hi')")
                    }
                }),
            Damage(
                name: "a missing file", make: { path, _ in try FileManager.default.removeItem(atPath: path) }),

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

            .sql(
                "a schema whose SQL is broken across lines", "PRAGMA writable_schema = ON",
                "UPDATE sqlite_schema SET sql = 'CREATE TABLE page (page INTEGER \"NOT NULL,' || char(10) || '    data BLOB)' WHERE name = 'page'"
            ),

            // Values of the wrong type: SQLite stores whatever it is given.
            .sql("a page line mask that is a blob", "UPDATE page SET lines = x'0102' WHERE keyframe = 1"),
            .sql("a keyframe step that is text", "UPDATE keyframe SET step = 'soon' WHERE idx = 1"),
            .sql("a keyframe interval that is text", "UPDATE recording SET keyframe_interval = 'often'"),
            .sql("a firmware name that is not UTF-8", "UPDATE recording SET firmware_name = x'ff'"),
            .sql(
                "a marker kind that is not UTF-8",
                "UPDATE marker SET kind = x'ff' WHERE id = (SELECT MIN(id) FROM marker)"),
            .sql("an end reason that is not UTF-8", "UPDATE ending SET reason = x'ff'"),
            .sql(
                "an input byte that is text", base: .echo,
                "UPDATE input SET byte = 'A' WHERE seq = (SELECT MIN(seq) FROM input)"),
            .sql("a firmware that is text", "UPDATE recording SET firmware = 'not an ELF'"),

            // The header.
            .sql("no header row", "DELETE FROM recording"),
            .sql(
                "a board with 4 GiB of RAM",
                #"UPDATE recording SET board = '{"name":"virt","ramBase":2147483648,"ramSize":4294967296}'"#),
            .sql(
                "a board with 4 GiB - 4 KiB of RAM",
                #"UPDATE recording SET board = '{"name":"virt","ramBase":2147483648,"ramSize":4294963200}'"#),
            .sql(
                "a board with no RAM",
                #"UPDATE recording SET board = '{"name":"virt","ramBase":2147483648,"ramSize":0}'"#),
            .sql(
                "a board with RAM at 0",
                #"UPDATE recording SET board = '{"name":"virt","ramBase":0,"ramSize":134217728}'"#),
            .sql(
                "a board of an unknown kind",
                #"UPDATE recording SET board = '{"name":"pdp11","ramBase":2147483648,"ramSize":134217728}'"#),
            .sql("a board that is not JSON", "UPDATE recording SET board = 'virt, 128 MiB'"),
            .sql("a keyframe interval of -1", "UPDATE recording SET keyframe_interval = -1"),
            .sql("a keyframe interval of 0", "UPDATE recording SET keyframe_interval = 0"),
            .sql(
                "a firmware cut in half",
                "UPDATE recording SET firmware = substr(firmware, 1, length(firmware) / 2)"),
            .sql(
                "a firmware whose SHA-256 does not match",
                "UPDATE recording SET firmware_sha256 = '" + String(repeating: "0", count: 64) + "'"),
            .sql("a firmware that is not an ELF", "UPDATE recording SET firmware = zeroblob(4096)"),

            // Keyframes.
            .sql("no keyframes", "DELETE FROM keyframe"),
            .sql("a keyframe at step -5", "UPDATE keyframe SET step = -5 WHERE idx = 1"),
            .sql("a keyframe with index -1", "UPDATE keyframe SET idx = -1 WHERE idx = 0"),
            .sql("keyframe steps that go backwards", "UPDATE keyframe SET step = 500 WHERE idx = 2"),
            .sql("a first keyframe that is not at step 0", "UPDATE keyframe SET step = 7 WHERE idx = 0"),
            .sql(
                "an executed-chunk list of 5 bytes",
                "UPDATE keyframe SET executed = x'0102030405' WHERE idx = 1"),
            .sql("an empty state blob", "UPDATE keyframe SET state = x'' WHERE idx = 0"),
            .blob("a reset state with 3 registers", table: "keyframe", column: "state", where: "idx = 0") {
                run in
                try resetState(run) { $0.x = [0, 1, 2] }
            },
            .blob(
                "a keyframe state with 3 registers", table: "keyframe", column: "state", where: "idx = 2",
                refusedBy: [atKeyframe2]
            ) { run in
                try keyframe2State(run) { $0.x = [0, 1, 2] }
            },
            .blob(
                "a keyframe state at the wrong step", table: "keyframe", column: "state", where: "idx = 2",
                refusedBy: [atKeyframe2]
            ) { run in
                try keyframe2State(run) { $0.step = 1_999 }
            },
            .blob(
                "a keyframe state with more non-retired steps than steps", table: "keyframe", column: "state",
                where: "idx = 2",
                refusedBy: [atKeyframe2]
            ) { run in
                try keyframe2State(run) { $0.nonRetiredSteps = UInt64.max }
            },
            .blob(
                "a keyframe state with a 1000-byte UART FIFO", table: "keyframe", column: "state",
                where: "idx = 2",
                refusedBy: [atKeyframe2]
            ) { run in
                try keyframe2State(run) { $0.uart.receiveFIFO = Array(repeating: 0x41, count: 1000) }
            },
            .blob(
                "a keyframe state altered inside a valid frame (a1 changed)", table: "keyframe",
                column: "state", where: "idx = 2",
                refusedBy: [atKeyframe2]
            ) { run in
                try keyframe2State(run) { $0.x[11] ^= 0x10 }
            },
            .blob(
                "a keyframe state altered inside a valid frame (pc moved)", table: "keyframe",
                column: "state", where: "idx = 2",
                refusedBy: [atKeyframe2]
            ) { run in
                try keyframe2State(run) { $0.pc &+= 4 }
            },
            Damage(
                name: "a page altered inside a valid frame (one byte changed)",
                make: { path, run in
                    let reference = try Reference.machine(
                        elf: run.elf, input: run.input, at: 2 * run.keyframeInterval)
                    try FileSurgery.edit(path) { db in
                        let page = try #require(
                            try Int.fetchOne(db, sql: "SELECT MIN(page) FROM page WHERE keyframe = 2"))
                        var bytes = reference.page(page)
                        bytes[100] ^= 0xFF
                        try db.execute(
                            sql: "UPDATE page SET data = ? WHERE keyframe = 2 AND page = ?",
                            arguments: [Data(ZstdFrame.raw(bytes)), page])
                    }
                }, refusedBy: [atKeyframe2]),
            .blob("a keyframe state that is not JSON", table: "keyframe", column: "state", where: "idx = 0") {
                _ in
                ZstdFrame.raw(Array("{\"step\": 0, \"pc\": ".utf8))
            },
            .blob(
                "a state that expands to 1 GiB and says so", table: "keyframe", column: "state",
                where: "idx = 0"
            ) { _ in
                ZstdFrame.rle(byte: 0x20, count: gibibyte, declaredSize: gibibyte)
            },
            .blob(
                "a state that expands to 1 GiB without saying so", table: "keyframe", column: "state",
                where: "idx = 0"
            ) { _ in
                ZstdFrame.rle(byte: 0x20, count: gibibyte, declaredSize: nil)
            },

            // Pages.
            .blob(
                "a page that expands to 1 GiB and says so", table: "page", column: "data",
                where: "keyframe = 0"
            ) { _ in
                ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: gibibyte)
            },
            .blob(
                "a page that expands to 1 GiB without saying so", table: "page", column: "data",
                where: "keyframe = 0"
            ) { _ in
                ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: nil)
            },
            .blob(
                "a page that claims 4096 bytes but holds 1 GiB", table: "page", column: "data",
                where: "keyframe = 0"
            ) { _ in
                ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: 4096)
            },
            .blob("a page of 4095 bytes", table: "page", column: "data", where: "keyframe = 0") { _ in
                ZstdFrame.raw([UInt8](repeating: 1, count: 4095))
            },
            .blob("a page that is not zstd", table: "page", column: "data", where: "keyframe = 0") { _ in
                [0, 1, 2, 3, 4, 5, 6, 7]
            },
            .blob(
                "a later page that expands to 1 GiB", table: "page", column: "data",
                where: "keyframe = (SELECT MAX(keyframe) FROM page)",
                refusedBy: [Damage.stateEnd]
            ) { _ in
                ZstdFrame.rle(byte: 0, count: gibibyte, declaredSize: nil)
            },
            .sql(
                "a page with index -1",
                "UPDATE page SET page = -1 WHERE keyframe = 1 AND page = (SELECT MIN(page) FROM page WHERE keyframe = 1)"
            ),
            .sql(
                "a page beyond the end of RAM",
                "UPDATE page SET page = 32768 WHERE keyframe = 1 AND page = (SELECT MIN(page) FROM page WHERE keyframe = 1)"
            ),
            .hostile(
                "a granule mask of 8 bytes", message: "has a granule mask that does not match its lines",
                "UPDATE page SET granules = x'0100000000000000' WHERE keyframe = 1"),
            .hostile(
                "a granule mask without a granule in its lines",
                message: "has a granule mask that does not match its lines",
                "UPDATE page SET granules = zeroblob(64) WHERE keyframe = 1"),
            .hostile(
                "a granule mask as text", message: "has a granule mask that does not match its lines",
                "UPDATE page SET granules = 'ab' WHERE keyframe = 1"),
            .sql("a page of keyframe 99", "UPDATE page SET keyframe = 99 WHERE keyframe = 1"),
            .sql("a page of keyframe -1", "UPDATE page SET keyframe = -1 WHERE keyframe = 1"),
            .sql(
                "an empty page blob", refusedBy: [Damage.stateEnd],
                "INSERT INTO page (page, keyframe, lines, data) VALUES (200, 2, 1, x'')"),

            // Inputs and the ending.
            .sql(
                "an input at step -1", base: .echo,
                "UPDATE input SET step = -1 WHERE seq = (SELECT MIN(seq) FROM input)"),
            .sql(
                "an input byte of 300", base: .echo,
                "UPDATE input SET byte = 300 WHERE seq = (SELECT MIN(seq) FROM input)"),
            .sql(
                "inputs out of order", base: .echo,
                "UPDATE input SET step = 100000 WHERE seq = (SELECT MIN(seq) FROM input)"),
            .sql("a total of -1 steps", "UPDATE ending SET total_steps = -1"),
            .sql("a total beyond the last keyframe", "UPDATE ending SET total_steps = total_steps + 1"),
            .sql("an unknown end reason", "UPDATE ending SET reason = 'exploded'"),
            .sql(
                "a last keyframe 10^12 steps in",
                refusedBy: [Damage.stateEnd, ["state", "REC", "--at", "50%", "--json"]],
                "UPDATE keyframe SET step = 1000000000000 WHERE idx = (SELECT MAX(idx) FROM keyframe)",
                "UPDATE ending SET total_steps = 1000000000000"),
        ] + hostileDamages + sourceDamages

    /// The first embedded source's row.
    static let firstSource = "id = (SELECT MIN(id) FROM source)"

    /// `bytes` as the hex digits of an SQL blob literal.
    static func sqlHex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Embedded sources that break a bound, are not what they claim, or could fool the
    /// terminal: refused with a message by what reads them, never believed.
    static let sourceDamages: [Damage] = [
        .source(
            "an embedded source claiming 5 MiB", message: "claims a size that is not 0 to 4 MiB",
            "UPDATE source SET size = 5242880 WHERE \(firstSource)"),
        .source(
            "an embedded source claiming a negative size", message: "claims a size that is not 0 to 4 MiB",
            "UPDATE source SET size = -1 WHERE \(firstSource)"),
        .source(
            "9000 embedded sources", message: "it embeds 9004 source files; a recording holds at most 8192",
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9000)
            INSERT INTO source (path, size, modified, data) SELECT 'planted/' || i || '.c', 0, 0, x'' FROM n
            """),
        .source(
            "embedded sources of 36 MiB in all", message: "its embedded sources hold more than 32 MiB",
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9)
            INSERT INTO source (path, size, modified, data) SELECT 'big/' || i || '.c', 4194304, 0, x'00' FROM n
            """),
        .source(
            "an embedded source whose content is text", message: "is not a blob",
            "UPDATE source SET data = 'int main(void) { return 0; }' WHERE \(firstSource)"),
        .source(
            "an embedded source whose path is a blob", message: "path is not text",
            "UPDATE source SET path = x'2f6d61696e2e63' WHERE \(firstSource)"),
        .source(
            "an embedded source path with an escape sequence",
            message: #"the embedded source path a\u{1B}[2J.c holds control characters"#,
            "UPDATE source SET path = 'a' || char(27) || '[2J.c' WHERE \(firstSource)"),
        .source(
            "a 10 MB embedded source path", message: "embedded sources",
            "UPDATE source SET path = \(tenMegabytes) WHERE \(firstSource)"),
        .source(
            "an embedded source's time that is text", message: "modification time that is not an integer",
            "UPDATE source SET modified = 'yesterday' WHERE \(firstSource)"),
        .source(
            "an embedded source larger than its size says", refusedBy: [Damage.verify],
            message: "does not decompress",
            "UPDATE source SET size = size - 1 WHERE \(firstSource)"),
        // zstd bombs in a row that claims the most a source may have (so that the 32 kB of
        // RLE blocks pass the compressed-size check): decompressed into 4 MiB at most.
        .source(
            "an embedded source that expands to 1 GiB without saying so", refusedBy: [Damage.verify],
            message: "does not decompress",
            "UPDATE source SET size = 4194304, data = x'\(sqlHex(ZstdFrame.rle(byte: 0x41, count: gibibyte, declaredSize: nil)))' WHERE \(firstSource)"
        ),
        .source(
            "an embedded source that expands to 1 GiB and says so", refusedBy: [Damage.verify],
            message: "claims 1073741824 bytes",
            "UPDATE source SET size = 4194304, data = x'\(sqlHex(ZstdFrame.rle(byte: 0x41, count: gibibyte, declaredSize: gibibyte)))' WHERE \(firstSource)"
        ),
        .blob(
            "an embedded source bigger compressed than zstd makes it", base: .timerWithSources,
            table: "source", column: "data", where: "id = (SELECT MIN(id) FROM source)",
            refusedBy: [Damage.info, Damage.verify], message: "more than zstd makes of"
        ) { _ in
            [UInt8](repeating: 0x41, count: 1 << 20)
        },
        .blob(
            "an embedded source that is not zstd", base: .timerWithSources,
            table: "source", column: "data", where: "id = (SELECT MIN(id) FROM source)",
            refusedBy: [Damage.verify], message: "is not zstd data"
        ) { _ in
            [0, 1, 2, 3, 4, 5, 6, 7]
        },

        // The schema of either format, and nothing in between.
        Damage(
            name: "a source table in a format-1 file", base: .timerWithSources,
            make: { path, _ in
                try FileSurgery.rewriteAsFormatTwo(path)
                try FileSurgery.edit(path) { db in
                    try EmbeddedSourceTests.makeFormatOneHeader(db, droppingSources: false)
                    try db.execute(sql: "PRAGMA user_version = 1")
                }
            }, refusedBy: Damage.everyReader, message: "unexpected table 'source'", seconds: 10),
        .hostile(
            "a format-2 file labelled format 1",
            message: "the table 'recording' is not defined as a recording defines it",
            "PRAGMA user_version = 1"),
        .hostile(
            "a format-2 file without its source table", message: "it has no table 'source'",
            "DROP TABLE source"),
        .hostile(
            "a column added to the source table",
            message: "the table 'source' is not defined as a recording defines it",
            "ALTER TABLE source ADD COLUMN extra BLOB"),
        .hostile(
            "format 5", message: "has format version 5; this Timescope reads versions 1 to 4",
            "PRAGMA user_version = 5"),
        Damage(
            name: "a format-4 file labelled format 2", base: .timer,
            make: { path, _ in
                try FileSurgery.edit(path) { db in try db.execute(sql: "PRAGMA user_version = 2") }
            }, refusedBy: Damage.everyReader,
            message: "the table 'page' is not defined as a recording defines it",
            seconds: 10),
        .hostile(
            "a format-3 file without its marker batches", message: "it has no table 'marker_batch'",
            "DROP TABLE marker_batch"),
        .hostile(
            "a firmware time that is text", message: "its firmware's modification time is not an integer",
            "UPDATE recording SET firmware_modified = 'yesterday'"),
    ]

    /// 2 GiB − 4 KiB of RAM, the most a board can have.
    static let largestBoard =
        #"{"misalignedAccess":"perform","name":"virt","ramBase":2147483648,"ramSize":2147479552,"reset":"rom"}"#
    /// A row for every page of the largest board, at keyframe `keyframe`, each a tiny valid
    /// zstd frame of a zero page.
    static func pageRowForEveryPage(keyframe: Int) -> String {
        let zeroPage = ZstdFrame.rle(byte: 0, count: 4096, declaredSize: 4096).map {
            String(format: "%02X", $0)
        }.joined()
        return """
            WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 524286)
            INSERT OR IGNORE INTO page (page, keyframe, lines, data) SELECT n, \(keyframe), -1, x'\(zeroPage)' FROM p
            """
    }
    static let tenMegabytes = "printf('%.*c', 10000000, 'x')"
    static let twoToThe62 = "4611686018427387904"

    static let hostileDamages: [Damage] = [
        // SQL objects planted in the schema. Without the schema check a view over an endless
        // query hangs every command, a zeroblob view or a generated column allocates a gigabyte.
        .hostile(
            "a table replaced by a view over an endless recursive query", message: "'marker' is a view",
            "DROP TABLE marker",
            """
            CREATE VIEW marker AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
            SELECT n AS id, n AS step, 'console' AS kind, 0 AS pc, 0 AS value, NULL AS text FROM r
            """),
        .hostile(
            "a view returning a 1 GB zeroblob as a column", message: "'keyframe' is a view",
            "DROP TABLE keyframe",
            "CREATE VIEW keyframe AS SELECT 0 AS idx, 0 AS step, zeroblob(1000000000) AS state, 0 AS state_hash, x'' AS executed"
        ),
        .hostile(
            "a generated column of 1e9 bytes",
            message: "the table 'keyframe' is not defined as a recording defines it",
            """
            CREATE TABLE hostile (idx INTEGER PRIMARY KEY, step INTEGER NOT NULL UNIQUE, state BLOB NOT NULL,
                state_hash INTEGER NOT NULL, executed BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL)
            """,
            "INSERT INTO hostile (idx, step, state, state_hash) SELECT idx, step, state, state_hash FROM keyframe",
            "DROP TABLE keyframe", "ALTER TABLE hostile RENAME TO keyframe"),
        .hostile(
            "a trigger", message: "unexpected trigger 'planted'",
            "CREATE TRIGGER planted AFTER INSERT ON marker BEGIN SELECT 1; END"),
        .hostile(
            "an extra index", message: "unexpected index 'page_by_keyframe'",
            "CREATE INDEX page_by_keyframe ON page (keyframe)"),
        .hostile("an extra table", message: "unexpected table 'notes'", "CREATE TABLE notes (text TEXT)"),
        .hostile(
            "a column added to the page table",
            message: "the table 'page' is not defined as a recording defines it",
            "ALTER TABLE page ADD COLUMN extra BLOB"),

        // Steps that would replay for years: the firmware never ends, so a replay runs as far
        // as the file says.
        .hostile(
            "an interval, a keyframe and a total of 2^62 steps", base: .spin,
            message: "its keyframe interval is \(twoToThe62) steps",
            "UPDATE recording SET keyframe_interval = \(twoToThe62)",
            "UPDATE keyframe SET step = \(twoToThe62) WHERE idx = (SELECT MAX(idx) FROM keyframe)",
            "UPDATE ending SET total_steps = \(twoToThe62)"),
        .hostile(
            "the largest interval with a keyframe and a total of 2^62 steps", base: .spin,
            message: "more than the interval 1000000000",
            "UPDATE recording SET keyframe_interval = 1000000000",
            "UPDATE keyframe SET step = \(twoToThe62) WHERE idx = 1", "DELETE FROM keyframe WHERE idx > 1",
            "UPDATE ending SET total_steps = \(twoToThe62)"),
        .hostile(
            "a keyframe off the interval's grid", base: .spin,
            message: "keyframe 2 is at step 1500, not at a multiple of the interval 1000",
            "UPDATE keyframe SET step = 1500 WHERE idx = 2"),
        .hostile(
            "more keyframes than the total allows", base: .spin, message: "more than a run of 1000 steps",
            "UPDATE ending SET total_steps = 1000"),

        // Sizes: a board of 2 GiB − 4 KiB whose every page has a row.
        .hostile(
            "a board of 2 GiB with a page row for every page at keyframe 0",
            message: "keyframe 0 stores 524287 pages",
            "UPDATE recording SET board = '\(largestBoard)'", pageRowForEveryPage(keyframe: 0)),
        .hostile(
            "a board of 2 GiB with a page row for every page at keyframe 1",
            message: "keyframe 1 stores 524287 pages",
            "UPDATE recording SET board = '\(largestBoard)'", pageRowForEveryPage(keyframe: 1)),
        .hostile(
            "an executed-code list of a million chunks",
            message: "keyframe 1 lists 1000000 chunks of executed code",
            "UPDATE keyframe SET executed = zeroblob(4000000) WHERE idx = 1"),

        // Marker batches: every entry decoded and checked, steps in order and inside the run.
        .hostile(
            "a marker batch that claims one marker more than it holds", message: "a marker batch",
            "UPDATE marker_batch SET count = count + 1 WHERE id = (SELECT MIN(id) FROM marker_batch)"),
        .hostile(
            "a marker batch that claims 2^62 markers",
            message: "a marker batch claims 4611686018427387904 markers",
            "UPDATE marker_batch SET count = \(twoToThe62) WHERE id = (SELECT MIN(id) FROM marker_batch)"),
        .hostile(
            "a marker batch with a byte after its markers", message: "a marker batch",
            "UPDATE marker_batch SET data = data || x'00' WHERE id = (SELECT MIN(id) FROM marker_batch)"),
        .hostile(
            "a marker batch cut short", message: "a marker batch",
            "UPDATE marker_batch SET data = substr(data, 1, length(data) - 1) WHERE id = (SELECT MIN(id) FROM marker_batch)"
        ),
        .hostile(
            "a marker with an unknown tag", message: "holds an unknown tag",
            "UPDATE marker_batch SET count = 1, last_step = first_step, data = x'0007000000800f00' WHERE id = (SELECT MIN(id) FROM marker_batch)"
        ),
        .hostile(
            "a marker value of 36 bits", message: "holds a value that is not 32 bits",
            "UPDATE marker_batch SET count = 1, last_step = first_step, data = x'000000000080808080801000' WHERE id = (SELECT MIN(id) FROM marker_batch)"
        ),
        .hostile(
            "a marker batch that does not end at its last step", message: "does not end at its last step",
            "UPDATE marker_batch SET last_step = last_step + 1 WHERE id = (SELECT MIN(id) FROM marker_batch)"),
        .hostile(
            "marker batches that go backwards", message: "marker batches go backwards in steps",
            "UPDATE marker_batch SET first_step = 1, last_step = 1, count = 1, data = x'0000000000800f00' WHERE id = (SELECT MAX(id) FROM marker_batch)"
        ),
        .hostile(
            "a marker batch past the end of the run",
            message: "a marker batch lies past the end of the recording",
            "UPDATE marker_batch SET first_step = \(twoToThe62), last_step = \(twoToThe62), count = 1, data = x'0000000000800f00' WHERE id = (SELECT MAX(id) FROM marker_batch)"
        ),
        Damage(
            name: "a marker batch of a hundred trap causes", base: .timer,
            make: { path, _ in
                try FileSurgery.edit(path) { db in
                    guard let first = try Int64.fetchOne(db, sql: "SELECT MIN(first_step) FROM marker_batch")
                    else {
                        Issue.record("the recording has no marker batch")
                        return
                    }
                    var batch = MarkerBatch()
                    for cause in UInt32(100)..<200 {
                        batch.append(step: UInt64(first), tag: .trap, pc: 0x8000_0000, value: cause)
                    }
                    try db.execute(
                        sql:
                            "UPDATE marker_batch SET last_step = first_step, count = 100, data = ? WHERE id = (SELECT MIN(id) FROM marker_batch)",
                        arguments: [Data(batch.bytes)])
                }
            }, refusedBy: Damage.everyReader, message: "its markers have more than 64 kinds", seconds: 10),

        // Strings: escape sequences where only known words belong, megabytes anywhere.
        .hostile(
            "a marker kind with an escape sequence", message: #"unknown kind 'con\u{1B}[31msole'"#,
            "UPDATE marker SET kind = 'con' || char(27) || '[31msole' WHERE id = (SELECT MIN(id) FROM marker)"
        ),
        .hostile(
            "a board name with an escape sequence", message: #"its board 'v\u{1B}[2Jx' is unknown"#,
            #"UPDATE recording SET board = '{"name":"v\u001b[2Jx","ramBase":2147483648,"ramSize":134217728}'"#
        ),
        .hostile(
            "a 10 MB firmware name", message: "a value in the header is longer than",
            "UPDATE recording SET firmware_name = \(tenMegabytes)"),
        .hostile(
            "a 10 MB board name", message: "a value in the header is longer than",
            #"UPDATE recording SET board = '{"name":"' || "# + tenMegabytes
                + #" || '","ramBase":2147483648,"ramSize":134217728}'"#),
        .hostile(
            "a 10 MB end detail", message: "a value in the ending is longer than",
            "UPDATE ending SET detail = \(tenMegabytes)"),
        .hostile(
            "a 10 MB marker kind", message: "a value in the marker counts is longer than",
            "UPDATE marker SET kind = \(tenMegabytes) WHERE id = (SELECT MIN(id) FROM marker)"),
        .hostile(
            "a 100 kB firmware name", message: "its firmware name is 100000 bytes long",
            "UPDATE recording SET firmware_name = printf('%.*c', 100000, 'x')"),
        .hostile(
            "a 1 MB board name", message: "its board description is",
            #"UPDATE recording SET board = '{"name":"' || printf('%.*c', 1000000, 'x') || '","ramBase":2147483648,"ramSize":134217728}'"#
        ),
        .hostile(
            "a 100 kB end detail", message: "its end detail is 100000 bytes long",
            "UPDATE ending SET detail = printf('%.*c', 100000, 'x')"),

        // Files that are not files: opening a FIFO blocks until something writes to it,
        // /dev/zero never ends.
        .hostileFile("a FIFO", message: "is a FIFO (named pipe), not a regular file") { path in
            try FileManager.default.removeItem(atPath: path)
            guard mkfifo(path, 0o600) == 0 else { throw POSIXError(.EEXIST) }
        },
        .hostileFile(
            "a FIFO where the write-ahead log goes",
            message: "-wal is beside the recording and is not a regular file"
        ) { path in
            guard mkfifo(path + "-wal", 0o600) == 0 else { throw POSIXError(.EEXIST) }
        },
        .hostileFile("a link to /dev/zero", message: "is a character device, not a regular file") { path in
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/zero")
        },
        .hostileFile("a directory", message: "is a directory, not a recording") { path in
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        },
    ]

    @Test(arguments: damages)
    func aDamagedRecordingGivesOneClearErrorAndStatus2(_ damage: Damage) throws {
        let run: RecordedRun?
        switch damage.base {
        case .timer: run = try Recordings.timer()
        case .echo: run = try Recordings.echo()
        case .spin: run = try Self.spinRun.get()
        case .timerWithSources: run = try Recordings.timerWithSources()
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
            let start = Date()
            let result = try CLI.runCapped(arguments, timeout: max(60, damage.seconds * 2))
            let seconds = Date().timeIntervalSince(start)
            let what = "\(damage.name): timescope \(command.joined(separator: " "))"
            #expect(seconds < damage.seconds, "\(what) took \(seconds) s")
            if damage.refusedBy.contains(command) {
                expectCleanError(result, what)
                if let message = damage.message {
                    #expect(
                        result.stderr.contains(message),
                        "\(what): expected '\(message)' in \(result.stderr.prefix(500).debugDescription)")
                    #expect(
                        result.stderr.count < 600,
                        "\(what): the error line has \(result.stderr.count) characters")
                    #expect(
                        !result.stderr.utf8.contains { $0 < 0x20 && $0 != 0x0A },
                        "\(what): a control character reached the terminal")
                }
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

    /// A firmware that never ends, recorded for 5000 steps with a keyframe every 1000.
    static let spinRun: Result<RecordedRun?, any Error> = Result {
        guard let elf = try TestFirmware.assembled("loop:\n    addi t0, t0, 1\n    j loop\n") else {
            return nil
        }
        return try Recordings.record(
            elf: elf, keyframeInterval: 1000, to: Recordings.directory + "/spin-1000.tsr", maxSteps: 5000)
    }

    /// Strings from the file reach the terminal with their control characters escaped and
    /// cut to 200 characters: a firmware name that would recolour and retitle the terminal, an
    /// end detail that would clear it, a console line with a bell.
    @Test func stringsFromTheFileAreShownEscapedAndCut() throws {
        guard let run = try Recordings.timer() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("escapes.tsr")
        try FileSurgery.copy(run.path, to: path)
        try FileSurgery.edit(path) { db in
            try db.execute(
                sql:
                    "UPDATE recording SET firmware_name = 'evil' || char(27) || '[31mRED' || char(27) || ']0;title' || char(7) || char(10) || '.elf'"
            )
            try db.execute(
                sql:
                    "UPDATE ending SET detail = char(27) || '[2J' || char(155) || '2J' || printf('%.*c', 5000, 'y')"
            )
            try db.execute(
                sql: "UPDATE marker SET text = 'ring' || char(7) || char(27) || '[5m' WHERE kind = 'console'")
        }
        let commands = [
            ["info", path], ["info", path, "--json"], ["view", path, "--print-frame", "200x50"],
            ["view", path, "--at", "0", "--print-frame", "200x50", "--keys", "/ring\\n"],
        ]
        for command in commands {
            let result = try CLI.runCapped(command)
            let what = "timescope \(command.joined(separator: " "))"
            #expect(result.status == 0, "\(what): \(CLI.describe(result))")
            let output = result.stdout + Array(result.stderr.utf8)
            #expect(
                !output.contains(0x1B) && !output.contains(0x07),
                "\(what): an escape sequence reached the terminal")
            #expect(
                !result.stdoutText.unicodeScalars.contains { (0x80...0x9F).contains($0.value) },
                "\(what): a C1 control reached the terminal")
        }
        let info = try CLI.run(["info", path]).stdoutText.split(separator: "\n")
        #expect(info.contains { $0.hasSuffix(#"evil\u{1B}[31mRED\u{1B}]0;title\u{7}\n.elf"#) }, "\(info)")
        let ended = try #require(info.first { $0.hasPrefix("ended") })
        #expect(ended.hasSuffix("…") && ended.count < 260, "the end detail is cut: \(ended.count) characters")
    }

    /// A finished recording is read without writing anything beside it, even when its header
    /// still says WAL mode (a recorder that folded it while a reader had it open, or a file
    /// mailed without its log): no `-wal` or `-shm` appears.
    @Test func readingAFinishedRecordingWritesNothingBesideIt() throws {
        guard let run = try Recordings.timer() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("finished.tsr")
        try FileSurgery.copy(run.path, to: path)
        // Closing the last connection checkpoints and deletes the log; the header stays WAL.
        try FileSurgery.edit(path) { db in _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") }
        let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(20))
        #expect(header[18] == 2 && header[19] == 2, "the file is in WAL mode")
        for command in HostileFileTests.Damage.allCommands + [Damage.view] {
            let result = try CLI.runCapped(command.map { $0 == "REC" ? path : $0 })
            #expect(
                result.status == 0, "timescope \(command.joined(separator: " ")): \(CLI.describe(result))")
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
        #expect(left == ["finished.tsr"], "files beside the recording: \(left)")
    }

    /// The reading connection runs with SQLite's defences on: an untrusted schema runs no
    /// function with side effects, defensive mode is on, no value longer than 4 MiB is made,
    /// and a query that runs past the time budget is interrupted.
    @Test func theReadingConnectionRunsWithItsDefencesOn() throws {
        guard let run = try Recordings.timer() else { return }
        let file = try RecordingFile.open(path: run.path)
        let defences = try #require(file.defences)
        #expect(defences.isDefensive)
        #expect(
            try file.read("the trust setting") { db in try Int.fetchOne(db, sql: "PRAGMA trusted_schema") }
                == 0)
        #expect(
            throws: RecordingError.damaged(
                "a value in a big value is longer than the 4194304 bytes a recording holds there")
        ) {
            try file.read("a big value") { db in try Data.fetchOne(db, sql: "SELECT zeroblob(5000000)") }
        }
        defences.timeBudget = 0.5
        let start = Date()
        #expect(throws: RecordingError.damaged("reading an endless query took longer than 0.5 s")) {
            try file.read("an endless query") { db in
                try Int.fetchOne(
                    db,
                    sql:
                        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
                )
            }
        }
        #expect(Date().timeIntervalSince(start) < 5)
        // The connection still works after an interruption.
        #expect(
            try file.read("the format version") { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
                == RecordingFile.formatVersion)
    }

    /// What reaches the terminal from a file: control characters escaped, cut to 200
    /// Unicode scalars (a "character" of a million combining marks included).
    @Test func untrustedTextIsEscapedAndCut() {
        #expect(UntrustedText.displayable("fw\u{1B}[2J.elf") == #"fw\u{1B}[2J.elf"#)
        #expect(UntrustedText.displayable("a\nb\tc\rd") == #"a\nb\tc\rd"#)
        #expect(UntrustedText.displayable("\u{9B}2J \u{202E}txt.exe") == #"\u{9B}2J \u{202E}txt.exe"#)
        #expect(UntrustedText.displayable("ünïcødé ✓") == "ünïcødé ✓")
        let long = UntrustedText.displayable(String(repeating: "x", count: 10_000_000))
        #expect(long == String(repeating: "x", count: 200) + "…")
        let zalgo = UntrustedText.displayable("a" + String(repeating: "\u{0301}", count: 1_000_000))
        #expect(zalgo.unicodeScalars.count == 201)
    }

    /// Marker kinds are the fixed ones and those of trap causes, written exactly as a
    /// recorder writes them.
    @Test func onlyKnownMarkerKindsAreKnown() {
        for kind in [
            "console", "input", "exit", "crash", "ecall", "timer-interrupt", "load-misaligned",
            "exception-12", "interrupt-5",
        ] {
            #expect(MarkerKind.isKnown(MarkerKind(rawValue: kind)), "\(kind)")
        }
        for kind in [
            "", "consoles", "con\u{1B}[31msole", "exception-0012", "exception-+12", "exception-2147483648",
            "interrupt-70000", "exception-2",
        ] {
            #expect(!MarkerKind.isKnown(MarkerKind(rawValue: kind)), "\(kind)")
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
                let what =
                    "bit \(bit) of byte \(position) flipped (seed \(TestSeed.describe(seed))): timescope \(command[0])"
                if result.status == 0 {
                    if result.stdoutText != good.stdoutText {
                        silent.append("bit \(bit) of byte \(position) (\(command[0]))")
                    }
                } else if !(command[0] == "find" && result.status == 1 && result.stderrLines == ["not found"])
                {
                    expectCleanError(result, what)
                }
            }
        }
        if !silent.isEmpty {
            print(
                "note: \(silent.count) of \(Self.bitFlipCount) bit flips changed an answer without an error (seed \(TestSeed.describe(seed))): \(silent.joined(separator: ", "))"
            )
        }
    }
}
