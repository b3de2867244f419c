import Foundation
import GRDB
import Machine

/// The `.tsr` file: one SQLite database (see docs/recording-format.md for the schema and its
/// diagram). `RecordingFile` owns the connection and knows the SQL; `Recorder` writes through
/// it and `Timeline` reads through it. Everything read back is validated before use: a
/// recording is untrusted input.
final class RecordingFile {
    /// The schema version this build reads and writes (`PRAGMA user_version`).
    static let formatVersion = 4
    /// The format versions this build reads: 1 (before embedded sources), 2 (before marker
    /// batches), 3 (before 16-byte executed chunks) and 4.
    static let readableVersions: ClosedRange<Int> = 1...4
    static let formatName = "timescope-recording"

    let database: DatabaseQueue
    let path: String
    /// The limits and time budget of a connection that reads (nil for the recorder's own).
    let defences: ConnectionDefences?
    /// The file's format version (`readableVersions`): format 1 has no embedded sources,
    /// formats 1 and 2 keep every marker in the `marker` table (no `marker_batch`), and
    /// formats 1 to 3 number executed code in chunks of 256 bytes.
    let version: Int

    /// log2 of the size of the executed-code chunks the file's keyframes list.
    var executedChunkShift: UInt32 { RecordingFile.executedChunkShift(version: version) }

    /// log2 of the executed-chunk size of format `version`.
    static func executedChunkShift(version: Int) -> UInt32 { version >= 4 ? 4 : 8 }

    init(
        database: DatabaseQueue, path: String, defences: ConnectionDefences? = nil,
        version: Int = RecordingFile.formatVersion
    ) {
        self.database = database
        self.path = path
        self.defences = defences
        self.version = version
    }

    // MARK: Creating

    /// Creates a recording at `path` holding `header`, the `sources` (compressed; the caller
    /// keeps them within `RecordingLimits`) and `firstKeyframe`, open for appending in WAL
    /// mode, so that another process can read it while it grows.
    ///
    /// Nothing at `path` changes until the new recording has its first keyframe: it is
    /// written under a staging name beside `path`, closed (which folds its write-ahead log
    /// into the one file), renamed over `path` in one atomic step and reopened there. A
    /// follower waiting for `path` never sees a recording without a keyframe, and a failure
    /// leaves what was at `path` as it was. Only nothing, an empty file or a recording no live
    /// process is writing is replaced (see `refusal(toReplace:)`); a symbolic link is written
    /// through.
    static func create(
        path requested: String, header: RecordingHeader, sources: [EmbeddedSource] = [],
        firstKeyframe: KeyframeBatch
    )
        throws(RecordingError)
        -> RecordingFile
    {
        if let refusal = refusal(toReplace: requested) {
            throw .invalidRequest("will not write a recording to \(requested): \(refusal)")
        }
        let path = (try? resolvedPath(requested)) ?? requested
        let staging = stagingPath(for: path)
        remove(path: staging)
        // Sorted keys: the same board always writes the same bytes.
        let boardEncoder = JSONEncoder()
        boardEncoder.outputFormatting = .sortedKeys
        do {
            let database = try DatabaseQueue(path: staging)
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA page_size = 16384")
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            try database.write { db in
                try db.execute(sql: schema)
                try db.execute(sql: "PRAGMA user_version = \(formatVersion)")
                try db.execute(
                    sql: """
                        INSERT INTO recording (id, format, firmware_name, firmware_sha256, firmware, board, keyframe_interval,
                            firmware_modified)
                        VALUES (1, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        formatName, header.firmwareName, header.firmwareSHA256, Data(header.firmware),
                        try String(decoding: boardEncoder.encode(header.board), as: UTF8.self),
                        Int64(header.keyframeInterval), header.firmwareModified?.recordedNanoseconds,
                    ])
                for source in sources {
                    try db.execute(
                        sql: "INSERT INTO source (path, size, modified, data) VALUES (?, ?, ?, ?)",
                        arguments: [
                            source.path, source.contents.count, source.modified.recordedNanoseconds,
                            Data(PageCompression.compress(source.contents)),
                        ])
                }
                try db.execute(
                    sql: "INSERT INTO writer (id, pid, host) VALUES (1, ?, ?)",
                    arguments: [Int64(getpid()), hostName()])
            }
            try RecordingFile(database: database, path: requested).append([firstKeyframe])
            // The last connection's close checkpoints the log into the file and deletes it.
            try database.close()
            guard !FileManager.default.fileExists(atPath: staging + "-wal") else {
                throw RecordingError.io("cannot fold the new recording's write-ahead log into \(staging)")
            }
            try publish(staging, at: path)
        } catch {
            remove(path: staging)
            if let error = error as? RecordingError { throw error }
            throw .io("cannot create \(requested): \(describe(error))")
        }
        do {
            // The file stays in WAL mode; SQLite makes fresh write-ahead files beside `path`.
            let database = try DatabaseQueue(path: path)
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            return RecordingFile(database: database, path: requested)
        } catch {
            throw .io("cannot reopen \(requested): \(describe(error))")
        }
    }

    /// Deletes a recording and the files SQLite keeps beside it, if any. Unlinks files only: a
    /// directory at one of those names is not a recording's and stays.
    static func remove(path: String) {
        for suffix in [""] + companionSuffixes { unlink(path + suffix) }
    }

    /// The schema this build writes (format 4): format 3's, with each page's written 8-byte
    /// granules beside its written lines (`page.granules`, 64 bytes; NULL: every granule of the
    /// lines).
    static let schema =
        headerVersion2 + tables(pageKey: "keyframe, page", granules: true) + sourceTable + markerBatchTable

    /// The schema of format 3 (recordings made before granules), which this build still reads:
    /// format 2's, with the marker batches (traps, semihosting calls and HTIF commands packed a
    /// keyframe interval to a row, `MarkerBatch`) and the pages keyed by keyframe first (a
    /// keyframe's pages are appended together, and readers take them a keyframe range at a time).
    static let schemaVersion3 =
        headerVersion2 + tables(pageKey: "keyframe, page") + sourceTable + markerBatchTable

    /// The marker batches, from format 3 on.
    private static let markerBatchTable = """
        CREATE TABLE marker_batch (
            id INTEGER PRIMARY KEY,
            first_step INTEGER NOT NULL,
            last_step INTEGER NOT NULL,
            count INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """

    /// The schema of format 2 (recordings made before markers were batched), which this build
    /// still reads: format 1's, with the firmware file's modification time in the header and
    /// the embedded sources.
    static let schemaVersion2 = headerVersion2 + tables(pageKey: "page, keyframe") + sourceTable

    /// The header table from format 2 on.
    private static let headerVersion2 = """
        CREATE TABLE recording (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format TEXT NOT NULL,
            firmware_name TEXT NOT NULL,
            firmware_sha256 TEXT NOT NULL,
            firmware BLOB NOT NULL,
            board TEXT NOT NULL,
            keyframe_interval INTEGER NOT NULL,
            firmware_modified INTEGER
        );
        """

    /// The embedded sources, from format 2 on.
    private static let sourceTable = """
        CREATE TABLE source (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            modified INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        """

    /// The schema of format 1 (recordings made before sources were embedded), which this build
    /// still reads.
    static let schemaVersion1 = """
        CREATE TABLE recording (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            format TEXT NOT NULL,
            firmware_name TEXT NOT NULL,
            firmware_sha256 TEXT NOT NULL,
            firmware BLOB NOT NULL,
            board TEXT NOT NULL,
            keyframe_interval INTEGER NOT NULL
        );
        """ + tables(pageKey: "page, keyframe")

    /// The tables every format has besides the header, the `page` table with the primary key
    /// `pageKey` (formats 1 and 2: `page, keyframe`) and, from format 4 on, `granules`.
    private static func tables(pageKey: String, granules: Bool = false) -> String {
        """
        CREATE TABLE keyframe (
            idx INTEGER PRIMARY KEY,
            step INTEGER NOT NULL UNIQUE,
            state BLOB NOT NULL,
            state_hash INTEGER NOT NULL,
            executed BLOB NOT NULL
        );
        CREATE TABLE page (
            page INTEGER NOT NULL,
            keyframe INTEGER NOT NULL,
            lines INTEGER NOT NULL,\(granules ? "\n    granules BLOB," : "")
            data BLOB NOT NULL,
            PRIMARY KEY (\(pageKey))
        ) WITHOUT ROWID;
        CREATE TABLE input (
            seq INTEGER PRIMARY KEY,
            step INTEGER NOT NULL,
            byte INTEGER NOT NULL
        );
        CREATE TABLE marker (
            id INTEGER PRIMARY KEY,
            step INTEGER NOT NULL,
            kind TEXT NOT NULL,
            pc INTEGER NOT NULL,
            value INTEGER NOT NULL,
            text TEXT
        );
        CREATE INDEX marker_by_kind ON marker (kind, step);
        CREATE INDEX marker_by_step ON marker (step);
        CREATE TABLE console (
            id INTEGER PRIMARY KEY,
            first_step INTEGER NOT NULL,
            steps BLOB NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE writer (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pid INTEGER NOT NULL,
            host TEXT NOT NULL
        );
        CREATE TABLE ending (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            total_steps INTEGER NOT NULL,
            reason TEXT NOT NULL,
            exit_code INTEGER,
            detail TEXT
        );
        """
    }

    /// Writes keyframes, each with everything that happened since the previous one, in one
    /// transaction: a reader (or a crash) sees all of them or none. The statements are
    /// prepared once per connection (GRDB caches them).
    func append(_ batches: [KeyframeBatch]) throws(RecordingError) {
        do {
            try database.write { db in
                let keyframe = try db.cachedStatement(
                    sql:
                        "INSERT INTO keyframe (idx, step, state, state_hash, executed) VALUES (?, ?, ?, ?, ?)"
                )
                let page = try db.cachedStatement(
                    sql: "INSERT INTO page (page, keyframe, lines, granules, data) VALUES (?, ?, ?, ?, ?)")
                for batch in batches {
                    try keyframe.execute(arguments: [
                        batch.index, Int64(batch.step), Data(batch.state), Int64(bitPattern: batch.stateHash),
                        Data(Self.encodeIndices(batch.executedChunks)),
                    ])
                    for stored in batch.pages {
                        try page.execute(arguments: [
                            stored.page, batch.index, Int64(bitPattern: stored.lines),
                            Self.encodeGranules(stored.delta), Data(stored.data),
                        ])
                    }
                    try Self.insertEvents(db, batch.events)
                }
            }
        } catch {
            throw .io("cannot write to \(path): \(error)")
        }
    }

    /// The input, markers and console output of a batch.
    private static func insertEvents(_ db: Database, _ events: RecordedEvents) throws {
        if !events.inputs.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT INTO input (step, byte) VALUES (?, ?)")
            for input in events.inputs {
                try statement.execute(arguments: [Int64(input.step), Int(input.byte)])
            }
        }
        if !events.markers.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO marker (step, kind, pc, value, text) VALUES (?, ?, ?, ?, ?)")
            for marker in events.markers {
                try statement.execute(arguments: [
                    Int64(marker.step), marker.kind.rawValue, Int64(marker.pc), Int64(marker.value),
                    marker.text,
                ])
            }
        }
        let batches = events.markerBatches.filter { $0.count > 0 }
        if !batches.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO marker_batch (first_step, last_step, count, data) VALUES (?, ?, ?, ?)")
            for batch in batches {
                try statement.execute(arguments: [
                    Int64(batch.firstStep), Int64(batch.lastStep), batch.count, Data(batch.bytes),
                ])
            }
        }
        let chunks = events.console.filter { !$0.bytes.isEmpty }
        if !chunks.isEmpty {
            let statement = try db.cachedStatement(
                sql: "INSERT INTO console (first_step, steps, data) VALUES (?, ?, ?)")
            for chunk in chunks {
                try statement.execute(arguments: [
                    Int64(chunk.steps[0]), Data(Self.encodeSteps(chunk.steps)), Data(chunk.bytes),
                ])
            }
        }
    }

    /// Records how the run ended, then folds the write-ahead log back into the one file
    /// (unless a reader has the file open: then `compact()` can try again later). `events`
    /// are what happened since the last keyframe when the run ended exactly at it (no
    /// keyframe of their own: the last one already has the state).
    func finish(_ ending: RecordingEnding, events: RecordedEvents = RecordedEvents()) throws(RecordingError) {
        do {
            try database.write { db in
                try Self.insertEvents(db, events)
                try db.execute(
                    sql:
                        "INSERT OR REPLACE INTO ending (id, total_steps, reason, exit_code, detail) VALUES (1, ?, ?, ?, ?)",
                    arguments: [
                        Int64(ending.totalSteps), ending.reason.rawValue, ending.exitCode.map { Int64($0) },
                        ending.detail,
                    ])
            }
        } catch {
            throw .io("cannot finish \(path): \(error)")
        }
        compact()
    }

    /// Copies the write-ahead log into the database and leaves WAL mode, so the recording is
    /// one file. Returns false when a reader still has the file open (the WAL then stays
    /// beside it, complete and readable).
    @discardableResult
    func compact() -> Bool {
        do {
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE")
                guard mode?.lowercased() == "delete" else { throw RecordingError.io("still in WAL mode") }
            }
            return true
        } catch {
            return false
        }
    }

    /// Folds a finished recording that was left in WAL mode (a reader had it open when its
    /// recorder finished) back into one file. Does nothing to an unfinished one.
    static func foldIfFinished(path: String) {
        guard FileManager.default.fileExists(atPath: path + "-wal"),
            let database = try? DatabaseQueue(path: path),
            (try? database.read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ending)") }))
                == true
        else { return }
        RecordingFile(database: database, path: path).compact()
    }

    /// Who writes the recording, from the `writer` row (absent in files of older builds).
    func writer() -> RecordingWriter {
        guard
            let row = try? read(
                "the writer", { db in try Row.fetchOne(db, sql: "SELECT pid, host FROM writer WHERE id = 1") }
            ),
            let pid = row.integer("pid"), let host = row.text("host"), pid > 0, pid <= Int64(Int32.max)
        else { return .unknown }
        guard host == hostName() else { return .unknown }
        // Signal 0 checks that the process exists; EPERM means it exists but is not ours.
        if kill(pid_t(pid), 0) == 0 || errno == EPERM { return .running(pid: Int32(pid)) }
        return .stopped(pid: Int32(pid))
    }

    // MARK: Encodings

    /// A page's granule mask as `page.granules` stores it (64 bytes, little-endian words), or
    /// NULL when it says no more than the line mask.
    static func encodeGranules(_ delta: PageDelta) -> Data? {
        guard delta.granules != PageDelta.granules(ofLines: delta.lines) else { return nil }
        var bytes = Data(capacity: 64)
        for lane in 0..<8 {
            withUnsafeBytes(of: delta.granules[lane].littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// The granule mask of a `page` row: no column (format 3 and older) or NULL, every granule
    /// of `lines`; else a blob of 64 bytes whose granules lie exactly in `lines` (nil when it is
    /// not: a damaged row).
    static func decodeGranules(_ row: Row, lines: UInt64) -> SIMD8<UInt64>? {
        guard row.hasColumn("granules"), !(row["granules"] as DatabaseValue).isNull else {
            return PageDelta.granules(ofLines: lines)
        }
        guard let data = row.blob("granules"), data.count == 64 else { return nil }
        var granules = SIMD8<UInt64>(repeating: 0)
        let bytes = [UInt8](data)
        for lane in 0..<8 {
            var word: UInt64 = 0
            for byte in 0..<8 { word |= UInt64(bytes[lane * 8 + byte]) << UInt64(byte * 8) }
            granules[lane] = word
        }
        return PageDelta.lines(ofGranules: granules) == lines ? granules : nil
    }

    /// Little-endian u32 list.
    static func encodeIndices(_ values: [Int]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
    }

    static func decodeIndices(_ bytes: [UInt8]) throws(RecordingError) -> [Int] {
        guard bytes.count % 4 == 0 else {
            throw .damaged("an index list has \(bytes.count) bytes, not a multiple of 4")
        }
        return stride(from: 0, to: bytes.count, by: 4).map { base in
            Int(bytes[base]) | Int(bytes[base + 1]) << 8 | Int(bytes[base + 2]) << 16 | Int(bytes[base + 3])
                << 24
        }
    }

    /// Steps as LEB128 deltas from the first.
    static func encodeSteps(_ steps: [UInt64]) -> [UInt8] {
        var output: [UInt8] = []
        var previous = steps.first ?? 0
        for step in steps {
            LEB128.append(step - previous, to: &output)
            previous = step
        }
        return output
    }

    static func decodeSteps(_ bytes: [UInt8], first: UInt64, count: Int) throws(RecordingError) -> [UInt64] {
        var steps: [UInt64] = []
        steps.reserveCapacity(count)
        var current = first
        var index = 0
        try bytes.withUnsafeBufferPointer { buffer throws(RecordingError) in
            while steps.count < count {
                guard let delta = LEB128.read(buffer, at: &index) else {
                    throw .damaged("a console step list is cut short")
                }
                current &+= delta
                steps.append(current)
            }
        }
        return steps
    }
}

/// What a recording says about itself before any step: the firmware and the board.
public struct RecordingHeader: Sendable {
    /// File name of the firmware ELF.
    public var firmwareName: String
    /// SHA-256 of the ELF, 64 hex digits.
    public var firmwareSHA256: String
    /// The ELF file itself.
    public var firmware: [UInt8]
    /// The board the firmware ran on.
    public var board: BoardConfiguration
    /// Steps between keyframes.
    public var keyframeInterval: UInt64
    /// When the firmware's ELF file was last modified before it was recorded (nil in
    /// recordings made before Timescope kept it, and for firmware that came from no file).
    public var firmwareModified: Date? = nil
}

/// The process that writes a recording, as far as a reader can tell.
public enum RecordingWriter: Equatable, Sendable {
    /// The recording has its ending.
    case finished
    /// Not finished, and its recorder process is alive.
    case running(pid: Int32)
    /// Not finished, and its recorder process is gone (killed or crashed).
    case stopped(pid: Int32)
    /// Not finished; the file does not say who writes it (or it was written on another host).
    case unknown
}

/// This machine's host name (with the pid, it names a recorder process).
func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
    return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// How a recorded run ended.
public enum EndReason: String, Sendable, CaseIterable {
    case exited, crashed, stalled, reset
    case stepLimit = "step-limit"
    /// The recorder stopped before the firmware ended (Ctrl-C, or it was killed: then the
    /// recording ends at its last keyframe).
    case interrupted
}

/// The end of a recording.
public struct RecordingEnding: Sendable, Equatable {
    /// The step the run ended at.
    public var totalSteps: UInt64
    /// Why it ended.
    public var reason: EndReason
    /// The firmware's exit code, when it exited.
    public var exitCode: Int32?
    /// The crash report or other one-line detail.
    public var detail: String?

    /// One line for the inspector's banner.
    public var headline: String {
        if reason == .exited, let exitCode { return "exited with code \(exitCode) at step \(totalSteps)" }
        if let detail { return (reason == .crashed ? "CRASH: " : "") + detail }
        return "\(reason.rawValue) at step \(totalSteps)"
    }
}

/// A noteworthy step: a trap, a console line, an input byte, a semihosting/HTIF call, the end.
public struct Marker: Sendable, Equatable {
    /// The step that did it (state at `step` shows its effect); for input, the step after
    /// which the byte was delivered (state at `step + 1` is the first to hold it).
    public var step: UInt64
    /// See `MarkerKind`.
    public var kind: MarkerKind
    /// The pc of the instruction that did it.
    public var pc: UInt32
    /// mcause for traps, the byte for input, the operation for semihosting, the exit code…
    public var value: UInt32
    /// The console line, or the crash description.
    public var text: String?
}

/// What happened in a keyframe interval besides the steps: the input delivered, the markers
/// (those with a row each, and the packed ones) and the console output.
struct RecordedEvents: Sendable, Equatable {
    var inputs: [InputEvent] = []
    /// Console lines, input, the end: one row each in the `marker` table.
    var markers: [Marker] = []
    /// Traps, semihosting calls, HTIF commands, packed (`MarkerBatch`); only the last may be
    /// below `MarkerBatch.targetBytes`.
    var markerBatches: [MarkerBatch] = []
    var console: [ConsoleChunk] = []

    /// Whether nothing happened.
    var isEmpty: Bool {
        inputs.isEmpty && markers.isEmpty && console.isEmpty && markerBatches.allSatisfy { $0.count == 0 }
    }

    /// Appends what happened later.
    mutating func append(_ later: RecordedEvents) {
        inputs += later.inputs
        markers += later.markers
        markerBatches += later.markerBatches
        console += later.console
    }

    /// Every marker, the packed ones unpacked, in the order the recorder saw them.
    var allMarkers: [Marker] { markers(in: 0...UInt64.max) }

    /// The markers with steps in `steps`, in order, at most `limit`.
    func markers(in steps: ClosedRange<UInt64>, limit: Int = .max) -> [Marker] {
        var packed: [Marker] = []
        for batch in markerBatches where packed.count < limit {
            packed += batch.markers(in: steps, limit: limit - packed.count)
        }
        let rows = markers.filter { steps.contains($0.step) }
        return Array(Marker.merged(packed: packed, rows: rows).prefix(limit))
    }
}

/// Everything written with one keyframe.
struct KeyframeBatch {
    var index: Int
    var step: UInt64
    /// zstd(JSON MachineState).
    var state: [UInt8]
    var stateHash: UInt64
    var pages: [StoredPage]
    var executedChunks: [Int]
    var events: RecordedEvents
}

/// Typed column reads that return nil on a type mismatch instead of trapping (GRDB's `as T?`
/// subscript traps, and SQLite stores whatever it is given: a recording is untrusted).
extension Row {
    func integer(_ column: String) -> Int64? { Int64.fromDatabaseValue(self[column] as DatabaseValue) }
    func text(_ column: String) -> String? {
        let value = self[column] as DatabaseValue
        guard case .string(let string) = value.storage else { return nil }
        return string
    }
    func blob(_ column: String) -> Data? {
        let value = self[column] as DatabaseValue
        guard case .blob(let data) = value.storage else { return nil }
        return data
    }
}
