import Foundation
import GRDB
import GRDBSQLite
import Machine

/// Opening a recording to read it, and reading it: a recording is untrusted input (it is
/// mailed between people), so before SQLite runs a single query of Timescope's on it:
///
///     path ──stat──▶ a regular file? (no FIFO, device or directory is ever opened)
///          ──read 100 bytes──▶ a SQLite header? in WAL mode with no log beside it?
///          ──open read-only, defences on (ConnectionDefences)──▶
///          ──PRAGMA user_version──▶ format 1, 2, 3 or 4?
///          ──sqlite_master──▶ exactly that format's tables and indexes? (no view, trigger,
///                             generated column or extra object)
///
/// Then every read goes through `read(_:_:)`: within the time budget, with values bounded.
extension RecordingFile {
    /// Opens an existing recording read-only and checks that it is one (see above). A finished
    /// recording is read without creating anything beside it: a file still in WAL mode
    /// without its log (its recorder finished while a reader had it open, or it was mailed
    /// without its log) is opened as immutable, since nothing writes to it.
    static func open(path: String) throws(RecordingError) -> RecordingFile {
        let start = try firstBytes(of: path)
        // SQLite opens the write-ahead files itself, for reading and writing: a FIFO there
        // would block it.
        var info = stat()
        for suffix in ["-wal", "-shm"]
        where stat(path + suffix, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
            throw .io("\(path + suffix) is beside the recording and is not a regular file; remove it")
        }
        let hasLog = FileManager.default.fileExists(atPath: path + "-wal")
        guard start.size > 0 || hasLog else {
            throw .incomplete("not a Timescope recording: \(path) is empty")
        }
        if start.size > 0 && !start.bytes.starts(with: Array("SQLite format 3\0".utf8)) {
            throw .notARecording("\(path) is not a SQLite database")
        }
        // Bytes 18 and 19 of the header: the write and read versions, 2 in WAL mode.
        let isInWALMode = start.bytes.count >= 20 && start.bytes[18] == 2 && start.bytes[19] == 2
        if isInWALMode && !hasLog && supportsURIs {
            let file = try connect(path, immutable: true)
            // A recording without its ending may be one a recorder has just renamed into
            // place and is about to reopen: read it as a growing one.
            if try file.read(
                "the ending", { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ending)") })
                == true
            {
                return file
            }
        }
        return try connect(path, immutable: false)
    }

    /// Runs a read within the time budget, turning SQLite errors (a missing table or column, a
    /// corrupted page, a value too long, a query interrupted) into "damaged" errors. No value
    /// longer than `maximumBytes` is materialised: the firmware's read raises it.
    func read<T>(
        _ what: String, valuesUpTo maximumBytes: Int = RecordingLimits.maximumValueBytes,
        _ body: (Database) throws -> T
    )
        throws(RecordingError) -> T
    {
        do {
            guard let defences else { return try database.read(body) }
            return try defences.withinBudget {
                try database.read { db in
                    if maximumBytes != RecordingLimits.maximumValueBytes {
                        ConnectionDefences.setMaximumValueBytes(maximumBytes, on: db)
                    }
                    defer {
                        if maximumBytes != RecordingLimits.maximumValueBytes {
                            ConnectionDefences.setMaximumValueBytes(RecordingLimits.maximumValueBytes, on: db)
                        }
                    }
                    return try body(db)
                }
            }
        } catch let error as RecordingError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
            throw .damaged("reading \(what) took longer than \(Self.seconds(defences?.timeBudget ?? 0))")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_TOOBIG {
            throw .damaged(
                "a value in \(what) is longer than the \(maximumBytes) bytes a recording holds there")
        } catch {
            throw .damaged("cannot read \(what) (\(Self.describe(error)))")
        }
    }

    /// One line, and safe to show: SQLite's messages can quote schema SQL (names and
    /// newlines from the file).
    static func describe(_ error: Error) -> String {
        let text = (error as? DatabaseError).map { $0.message ?? "\($0.resultCode)" } ?? "\(error)"
        return UntrustedText.displayable(text.split(whereSeparator: \.isWhitespace).joined(separator: " "))
    }

    /// "10 s", "0.5 s".
    private static func seconds(_ value: Double) -> String {
        (value.rounded() == value ? String(Int(value)) : String(value)) + " s"
    }

    // MARK: Before SQLite

    /// The file's first 100 bytes (the SQLite header) and its size; only a regular file is
    /// opened.
    private static func firstBytes(of path: String) throws(RecordingError) -> RegularFile.Contents {
        var info = stat()
        if stat(path, &info) != 0 && errno == ENOENT { throw .incomplete("\(path): no such file") }
        do {
            return try RegularFile.read(atPath: path, upTo: 100, expecting: "a recording")
        } catch {
            throw .io(error.description)
        }
    }

    /// Whether this SQLite takes `file:` URIs for file names (needed for `immutable=1`). The
    /// common builds do; without it a WAL-mode file gets its `-wal` and `-shm` files.
    private static let supportsURIs = sqlite3_compileoption_used("USE_URI") == 1

    /// `path` as a `file:` URI with `immutable=1`: SQLite then takes no locks and opens no
    /// write-ahead log, so it creates nothing beside the file.
    private static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var escaped = ""
        for character in absolute.unicodeScalars {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return "file://" + escaped + "?immutable=1"
    }

    // MARK: Connecting

    /// Opens the database with its defences on and checks its format version and schema.
    private static func connect(_ path: String, immutable: Bool) throws(RecordingError) -> RecordingFile {
        let defences = ConnectionDefences()
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "recording"
        configuration.prepareDatabase { db in try defences.install(on: db) }
        let file: RecordingFile
        do {
            let database = try defences.withinBudget {
                try DatabaseQueue(path: immutable ? immutableURI(path) : path, configuration: configuration)
            }
            file = RecordingFile(database: database, path: path, defences: defences)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
            throw .notARecording(
                "\(path): its schema took longer than \(seconds(defences.timeBudget)) to read")
        } catch {
            throw .notARecording("\(path) is not a readable SQLite database (\(describe(error)))")
        }
        let version =
            try file.read("the format version") { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
            ?? 0
        let objects = try file.read("the schema") { db in
            // Every statement of the schema is at most SQLITE_LIMIT_SQL_LENGTH long (64 KiB), or
            // it would not have parsed: 64 rows are a few megabytes at most.
            try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master LIMIT 64")
        }
        guard readableVersions.contains(version) else {
            if version == 0 && objects.isEmpty {
                throw .incomplete("not a Timescope recording: \(path) has no Timescope schema")
            }
            if version == 0 { throw .notARecording("\(path) has no Timescope schema") }
            throw .notARecording(
                "\(path) has format version \(version); this Timescope reads versions \(readableVersions.lowerBound) to \(readableVersions.upperBound)"
            )
        }
        try checkSchema(objects, version: version)
        return RecordingFile(database: file.database, path: path, defences: defences, version: version)
    }

    // MARK: The schema

    /// One object of the schema as `sqlite_master` lists it.
    struct SchemaObject: Equatable {
        var type: String
        var table: String
        /// The statement that creates it, with runs of white space as one space (nil for an
        /// index SQLite makes for a UNIQUE constraint).
        var sql: String?
    }

    /// The objects a format's schema creates, by name: its statements, and the indexes of its
    /// UNIQUE constraints (keyframe.step; from format 2 also source.path).
    static func expectedSchema(version: Int) -> [String: SchemaObject] {
        switch version {
        case 1: expectedSchemaVersion1
        case 2: expectedSchemaVersion2
        case 3: expectedSchemaVersion3
        default: expectedSchemaCurrent
        }
    }

    private static let expectedSchemaCurrent = schemaObjects(schema)
    private static let expectedSchemaVersion3 = schemaObjects(schemaVersion3)
    private static let expectedSchemaVersion2 = schemaObjects(schemaVersion2)
    private static let expectedSchemaVersion1 = schemaObjects(schemaVersion1)

    /// The objects the statements of `schema` create.
    private static func schemaObjects(_ schema: String) -> [String: SchemaObject] {
        var objects: [String: SchemaObject] = [:]
        for statement in schema.split(separator: ";") {
            let words = statement.split(whereSeparator: \.isWhitespace).map(String.init)
            guard words.count > 4, words[0] == "CREATE" else { continue }
            let type = words[1].lowercased()
            let table = type == "index" ? words[4] : words[2]
            objects[words[2]] = SchemaObject(type: type, table: table, sql: normalized(String(statement)))
        }
        for table in ["keyframe", "source"] where objects[table] != nil {
            objects["sqlite_autoindex_\(table)_1"] = SchemaObject(type: "index", table: table, sql: nil)
        }
        return objects
    }

    /// Tables files of older builds lack.
    static let optionalTables: Set<String> = ["writer"]

    /// Checks that the schema is exactly the one Timescope writes in format `version`: the
    /// same tables with the same columns, types and constraints, the same indexes, and nothing
    /// else — no view (a view over an endless recursive query would hang every read), no
    /// trigger, no generated or hidden column (one computing a gigabyte per row), no virtual
    /// table.
    static func checkSchema(_ objects: [Row], version: Int) throws(RecordingError) {
        let wanted = expectedSchema(version: version)
        var seen: Set<String> = []
        for object in objects {
            guard let type = object.text("type"), let name = object.text("name"),
                let table = object.text("tbl_name")
            else {
                throw .damaged("its schema lists an object without a name")
            }
            let shownName = UntrustedText.displayable(name)
            guard let expected = wanted[name] else {
                throw .damaged(
                    "its schema holds an unexpected \(UntrustedText.displayable(type)) '\(shownName)'")
            }
            guard type == expected.type else {
                throw .damaged(
                    "'\(shownName)' is a \(UntrustedText.displayable(type)), where a recording has a \(expected.type)"
                )
            }
            guard table == expected.table, object.text("sql").map(normalized) == expected.sql else {
                throw .damaged("the \(expected.type) '\(shownName)' is not defined as a recording defines it")
            }
            guard seen.insert(name).inserted else { throw .damaged("its schema lists '\(shownName)' twice") }
        }
        for (name, object) in wanted.sorted(by: { $0.key < $1.key })
        where !seen.contains(name) && !optionalTables.contains(name) && object.sql != nil {
            throw .damaged("it has no \(object.type) '\(name)'")
        }
    }

    /// SQL with every run of white space as one space.
    private static func normalized(_ sql: String) -> String {
        sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
