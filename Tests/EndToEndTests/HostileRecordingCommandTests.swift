import Foundation
import Testing
import TestSupport

/// Recordings are mailed between people: every command that reads one (`info`, `state`,
/// `find`, `verify`, `view`, `watch --follow`), run as a user runs it, refuses a hostile file
/// with one line on stderr and exit status 2, within seconds and tens of megabytes. The files
/// are made from the shipped `Recordings/timer.tsr` with the `sqlite3` shell, the way an
/// attacker would.
@Suite struct HostileRecordingCommandTests {
    /// The `sqlite3` shell, which plants the SQL in the files.
    static let sqlite = RequiredTool("sqlite3", packages: ["sqlite3"])
    static let goodRecording = TimescopeProcess.packageRoot.appendingPathComponent("Recordings/timer.tsr")
        .path

    /// Every command that reads recordings; `REC` is the file.
    static let readers: [[String]] = [
        ["info", "REC"], ["state", "REC", "--at", "50%", "--json"],
        ["find", "REC", "--event", "console", "--before", "end"],
        ["verify", "REC"], ["view", "REC", "--print-frame", "80x24"], ["watch", "--follow", "REC"],
    ]
    /// Seconds a refusal may take (they take milliseconds).
    static let secondsAllowed = 10.0
    /// Peak resident memory a refusal may take (a debug build starts at about 30 MiB).
    static let megabytesAllowed = 100.0

    /// A hostile recording: how to make it at a path, and what the refusal says.
    struct Hostile: Sendable, CustomTestStringConvertible {
        var name: String
        /// Words the one-line error must contain.
        var message: String
        /// Makes the file at `path` (nil: the test uses `fixedPath` itself).
        var make: (@Sendable (_ path: String) throws -> Void)?
        /// A path used as it is (`/dev/zero`).
        var fixedPath: String?
        /// Whether `make` runs the `sqlite3` shell.
        var needsShell = false

        var testDescription: String { name }

        /// A copy of the good recording changed by `sql`, run by the `sqlite3` shell.
        static func sql(_ name: String, message: String, _ sql: String) -> Hostile {
            Hostile(
                name: name, message: message,
                make: { path in
                    try FileManager.default.copyItem(atPath: goodRecording, toPath: path)
                    let result = try runProcess(try sqliteShell(), [path, sql])
                    guard result.status == 0 else {
                        throw ProcessFailure("sqlite3 failed on '\(name)': \(result.stderr)")
                    }
                }, needsShell: true)
        }
    }

    static func sqliteShell() throws -> String {
        try sqlite.check()
        return sqlite.path ?? "sqlite3"
    }

    static let tenMegabytes = "printf('%.*c', 10000000, 'x')"

    static let hostileFiles: [Hostile] = [
        .sql(
            "a table replaced by a view over an endless recursive query", message: "'marker' is a view",
            """
            DROP TABLE marker;
            CREATE VIEW marker AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
                SELECT n AS id, n AS step, 'console' AS kind, 0 AS pc, 0 AS value, NULL AS text FROM r;
            """),
        .sql(
            "a view returning a 1 GB zeroblob", message: "'keyframe' is a view",
            """
            DROP TABLE keyframe;
            CREATE VIEW keyframe AS SELECT 0 AS idx, 0 AS step, zeroblob(1000000000) AS state, 0 AS state_hash, x'' AS executed;
            """),
        .sql(
            "a generated column of 1e9 bytes",
            message: "the table 'keyframe' is not defined as a recording defines it",
            """
            CREATE TABLE hostile (idx INTEGER PRIMARY KEY, step INTEGER NOT NULL UNIQUE, state BLOB NOT NULL,
                state_hash INTEGER NOT NULL, executed BLOB GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL);
            INSERT INTO hostile (idx, step, state, state_hash) SELECT idx, step, state, state_hash FROM keyframe;
            DROP TABLE keyframe;
            ALTER TABLE hostile RENAME TO keyframe;
            """),
        .sql(
            "a trigger", message: "unexpected trigger 'planted'",
            "CREATE TRIGGER planted AFTER INSERT ON marker BEGIN SELECT 1; END;"),
        .sql(
            "an interval, a keyframe step and a total of 2^62",
            message: "its keyframe interval is 4611686018427387904 steps",
            """
            UPDATE recording SET keyframe_interval = 4611686018427387904;
            UPDATE keyframe SET step = 4611686018427387904 WHERE idx = (SELECT MAX(idx) FROM keyframe);
            UPDATE ending SET total_steps = 4611686018427387904;
            """),
        .sql(
            "a board of 2 GiB − 4 KiB with a page row for every page",
            message: "keyframe 0 stores 524287 pages",
            """
            UPDATE recording SET board = '{"misalignedAccess":"perform","name":"virt","ramBase":2147483648,"ramSize":2147479552,"reset":"rom"}';
            WITH RECURSIVE p(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM p WHERE n < 524286)
                INSERT OR IGNORE INTO page (page, keyframe, lines, data)
                SELECT n, 0, -1, (SELECT data FROM page ORDER BY length(data) LIMIT 1) FROM p;
            """),
        .sql(
            "a marker kind with an escape sequence", message: #"unknown kind 'con\u{1B}[31msole'"#,
            "UPDATE marker SET kind = 'con' || char(27) || '[31msole' WHERE id = (SELECT MIN(id) FROM marker);"
        ),
        .sql(
            "a board name with an escape sequence", message: #"its board 'v\u{1B}]0;pwned\u{7}' is unknown"#,
            #"UPDATE recording SET board = '{"name":"v\u001b]0;pwned\u0007","ramBase":2147483648,"ramSize":134217728}';"#
        ),
        .sql(
            "a 10 MB firmware name", message: "a value in the header is longer than",
            "UPDATE recording SET firmware_name = \(tenMegabytes);"),
        .sql(
            "a 10 MB board name", message: "a value in the header is longer than",
            #"UPDATE recording SET board = '{"name":"' || "# + tenMegabytes
                + #" || '","ramBase":2147483648,"ramSize":134217728}';"#),
        .sql(
            "a 10 MB end detail", message: "a value in the ending is longer than",
            "UPDATE ending SET detail = \(tenMegabytes);"),
        .sql(
            "a 10 MB marker kind", message: "a value in the marker counts is longer than",
            "UPDATE marker SET kind = \(tenMegabytes) WHERE id = (SELECT MIN(id) FROM marker);"),
        Hostile(
            name: "a FIFO", message: "is a FIFO (named pipe), not a regular file",
            make: { path in
                guard mkfifo(path, 0o600) == 0 else {
                    throw ProcessFailure("mkfifo \(path): \(String(cString: strerror(errno)))")
                }
            }),
        Hostile(
            name: "/dev/zero",
            message: "/dev/zero is a character device, not a regular file: it cannot be a recording",
            fixedPath: "/dev/zero"),
        Hostile(
            name: "a directory", message: "is a directory, not a recording",
            make: { path in
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }),
    ]

    @Test(arguments: hostileFiles)
    func everyReaderRefusesAHostileRecordingInOneLineQuickly(_ hostile: Hostile) throws {
        if hostile.needsShell {
            guard try RequiredTool.require(Self.sqlite) else { return }
        }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let path = hostile.fixedPath ?? directory + "/hostile.tsr"
        try hostile.make?(path)
        for command in Self.readers {
            let run = try MeasuredRun(command.map { $0 == "REC" ? path : $0 })
            let what = "\(hostile.name): timescope \(command.joined(separator: " "))"
            #expect(run.status == 2, "\(what): \(run)")
            #expect(
                run.stderrLines.count == 1 && run.stderr.hasPrefix("timescope: error:"), "\(what): \(run)")
            #expect(run.stderr.contains(hostile.message), "\(what): expected '\(hostile.message)' in \(run)")
            #expect(run.stderr.count < 600, "\(what): an error line of \(run.stderr.count) characters")
            #expect(
                !run.stderr.utf8.contains { $0 < 0x20 && $0 != 0x0A },
                "\(what): a control character reached the terminal")
            #expect(run.seconds < Self.secondsAllowed, "\(what) took \(run.seconds) s")
            #expect(run.peakMegabytes < Self.megabytesAllowed, "\(what) took \(run.peakMegabytes) MiB")
        }
    }

    /// A firmware name and an end detail full of escape sequences (to recolour, retitle and
    /// clear the terminal): the recording opens, and what reaches the terminal shows the
    /// escapes instead of obeying them, cut to a sane length.
    @Test func escapeSequencesInARecordingAreShownNotObeyed() throws {
        guard try RequiredTool.require(Self.sqlite) else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let path = directory + "/escapes.tsr"
        try Hostile.sql(
            "escapes", message: "",
            """
            UPDATE recording SET firmware_name = 'fw' || char(27) || '[31m' || char(27) || ']0;pwned' || char(7) || '.elf';
            UPDATE ending SET detail = char(27) || '[2J' || char(13) || printf('%.*c', 3000, 'y');
            """
        ).make?(path)
        for command in [
            ["info", path], ["info", path, "--json"], ["view", path, "--print-frame", "120x40"],
        ] {
            let run = try MeasuredRun(command)
            let what = "timescope \(command.joined(separator: " "))"
            #expect(run.status == 0, "\(what): \(run)")
            let output = run.stdout + Array(run.stderr.utf8)
            #expect(
                !output.contains(0x1B) && !output.contains(0x07) && !output.contains(0x0D),
                "\(what): an escape sequence reached the terminal")
        }
        let info = String(decoding: try MeasuredRun(["info", path]).stdout, as: UTF8.self)
        #expect(info.contains(#"fw\u{1B}[31m\u{1B}]0;pwned\u{7}.elf"#), "\(info)")
        let ended = info.split(separator: "\n").first { $0.hasPrefix("ended") } ?? ""
        #expect(ended.hasSuffix("…") && ended.count < 260, "\(ended.count) characters: \(ended.prefix(80))…")
    }

    /// A finished recording whose header still says WAL mode (its recorder folded it while a
    /// reader had it open, or it was mailed without its log) is read without creating
    /// anything beside it.
    @Test func readingAFinishedRecordingCreatesNoFileBesideIt() throws {
        guard try RequiredTool.require(Self.sqlite) else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let path = directory + "/finished.tsr"
        // The shell's last connection checkpoints and deletes the log; the header stays WAL.
        try Hostile.sql("WAL mode", message: "", "PRAGMA journal_mode = WAL;").make?(path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["finished.tsr"])
        for command in Self.readers where command[0] != "watch" {
            let run = try MeasuredRun(command.map { $0 == "REC" ? path : $0 })
            #expect(run.status == 0, "timescope \(command.joined(separator: " ")): \(run)")
        }
        // Without a terminal the follower stops after opening the file.
        _ = try MeasuredRun(["watch", "--follow", path])
        let left = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(left == ["finished.tsr"], "files beside the recording: \(left)")
    }

    /// Firmware given to `run`, `record` and `watch` must be a regular file too: a FIFO would
    /// block the open forever, /dev/zero never ends, a directory is not an ELF file.
    @Test(arguments: ["fifo", "zero", "directory"])
    func firmwareThatIsNotARegularFileIsRefusedInOneLine(_ kind: String) throws {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        var firmware = directory + "/firmware.elf"
        let message: String
        switch kind {
        case "fifo":
            #expect(mkfifo(firmware, 0o600) == 0)
            message = "is a FIFO (named pipe), not a regular file: it cannot be an ELF file"
        case "zero":
            firmware = "/dev/zero"
            message = "/dev/zero is a character device, not a regular file: it cannot be an ELF file"
        default:
            try FileManager.default.createDirectory(atPath: firmware, withIntermediateDirectories: false)
            message = "is a directory, not an ELF file"
        }
        for command in [
            ["run", firmware], ["record", firmware, "-o", directory + "/out.tsr"], ["watch", firmware],
        ] {
            let run = try MeasuredRun(command)
            let what = "timescope \(command.joined(separator: " "))"
            #expect(
                run.status == 2 && run.stderrLines.count == 1 && run.stderr.contains(message),
                "\(what): \(run)")
            #expect(run.seconds < Self.secondsAllowed, "\(what) took \(run.seconds) s")
        }
    }
}

/// A finished run of the built `timescope`, with its wall time and peak resident memory (its
/// VmHWM on Linux, `wait4`'s resource usage elsewhere; a `Process` reports neither).
struct MeasuredRun: CustomStringConvertible {
    var status: Int32
    var stdout: [UInt8]
    var stderr: String
    var seconds: Double
    /// Peak resident set size in MiB.
    var peakMegabytes: Double

    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }

    var description: String {
        "status \(status), \(String(format: "%.2f", seconds)) s, \(String(format: "%.1f", peakMegabytes)) MiB, stderr: \(String(stderr.prefix(400)).debugDescription)"
    }

    /// Runs `timescope arguments` with standard input from /dev/null; fails when it does not
    /// finish within `timeout` seconds (it is killed).
    init(_ arguments: [String], timeout: Double = 60) throws {
        let binary = try TimescopeProcess.binaryPath()
        let temporary = try TemporaryDirectory("measured")
        defer { temporary.remove() }
        let scratch = temporary.path
        #if canImport(Glibc)
            var actions = posix_spawn_file_actions_t()
        #else
            var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 1, scratch + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(
            &actions, 2, scratch + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let start = Date()
        // The tests' environment: a session never lands in the real home.
        let environment: [UnsafeMutablePointer<CChar>?] =
            TimescopeProcess.environment().map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for variable in environment { free(variable) } }
        let spawned = posix_spawn(&pid, binary, &actions, nil, argv, environment)
        guard spawned == 0 else {
            throw ProcessFailure("cannot start \(binary): \(String(cString: strerror(spawned)))")
        }
        var waitStatus: Int32 = 0
        var usage = rusage()
        // On Linux, wait4's ru_maxrss of a child started by posix_spawn (vfork) includes this
        // test process's own size, since the child borrowed our memory until exec. VmHWM in
        // /proc is the child's own high-water mark, and it only grows: poll it (every
        // millisecond) while it runs. A run too short to be sampled cannot have touched
        // anywhere near the bound: faulting in 100 MiB takes tens of milliseconds.
        var highWaterKiB: Double = 0
        while wait4(pid, &waitStatus, WNOHANG, &usage) != pid {
            if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
            {
                highWaterKiB = max(highWaterKiB, kib)
            }
            if Date().timeIntervalSince(start) > timeout {
                kill(pid, SIGKILL)
                _ = wait4(pid, &waitStatus, 0, &usage)
                throw ProcessFailure(
                    "timescope \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; killed"
                )
            }
            usleep(1000)
        }
        seconds = Date().timeIntervalSince(start)
        // The low 7 bits: the signal that ended it, 0 when it exited (then bits 8-15 hold the code).
        let signal = waitStatus & 0x7F
        status = signal == 0 ? (waitStatus >> 8) & 0xFF : 128 + signal
        #if canImport(Darwin)
            peakMegabytes = Double(usage.ru_maxrss) / 1_048_576
        #else
            peakMegabytes = highWaterKiB / 1024
        #endif
        stdout = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stdout"))) ?? Data())
        stderr = String(
            decoding: (try? Data(contentsOf: URL(fileURLWithPath: scratch + "/stderr"))) ?? Data(),
            as: UTF8.self)
    }
}
