import Dispatch
import Foundation
import GRDB
import GRDBSQLite

/// The defences a connection to an untrusted recording runs with, installed before SQLite
/// reads anything of the file:
///
/// - `PRAGMA trusted_schema = OFF`: no function with side effects runs from the schema;
/// - defensive mode (`SQLITE_DBCONFIG_DEFENSIVE`): no SQL can corrupt the file;
/// - limits (`sqlite3_limit`): no value longer than `maximumValueBytes` (a longer one fails
///   with `SQLITE_TOOBIG` before it is allocated; a read that needs the firmware raises the
///   limit for itself), and small limits on statement length, columns, expression depth and
///   compound selects, which a hostile schema would need;
/// - a time budget: a progress handler interrupts any read that runs longer than
///   `timeBudget` seconds (`SQLITE_INTERRUPT`).
///
/// The schema itself is then checked against the one Timescope writes (`RecordingFile.open`),
/// so these are the second line: they hold even where the schema check has a gap.
final class ConnectionDefences: @unchecked Sendable {
    /// Seconds any one read may take.
    var timeBudget: Double
    /// When the read in progress must stop (`DispatchTime` nanoseconds); 0 between reads.
    /// Set by the caller before it hands a read to the connection's queue and cleared after
    /// (which orders it with the progress handler's reads on that queue).
    private var deadline: UInt64 = 0
    /// Whether defensive mode is on (it is switched on through a call SQLite does not make
    /// easy for Swift: see `enableDefensiveMode`).
    private(set) var isDefensive = false

    init(timeBudget: Double = RecordingLimits.queryTimeBudget) {
        self.timeBudget = timeBudget
    }

    /// Configures a connection as it opens (`Configuration.prepareDatabase`).
    func install(on db: Database) throws {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(message: "the connection is closed")
        }
        for (limit, value) in Self.limits { sqlite3_limit(connection, limit, value) }
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_progress_handler(
            connection, Self.instructionsPerCheck,
            { context in
                guard let context else { return 0 }
                return Unmanaged<ConnectionDefences>.fromOpaque(context).takeUnretainedValue().isOverBudget
                    ? 1 : 0
            }, context)
        try db.execute(sql: "PRAGMA trusted_schema = OFF")
        // Checks every b-tree cell's size as it is read: a damaged page fails instead of
        // being believed.
        try db.execute(sql: "PRAGMA cell_size_check = ON")
        isDefensive = Self.enableDefensiveMode(connection)
    }

    /// Runs `body` (which reads through the connection) within the time budget.
    func withinBudget<T>(_ body: () throws -> T) rethrows -> T {
        deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeBudget * 1e9)
        defer { deadline = 0 }
        return try body()
    }

    private var isOverBudget: Bool { deadline != 0 && DispatchTime.now().uptimeNanoseconds > deadline }

    /// Sets the longest value SQLite materialises on `db`'s connection (see `RecordingFile.read`).
    static func setMaximumValueBytes(_ bytes: Int, on db: Database) {
        sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, Int32(clamping: bytes))
    }

    /// The progress handler runs every this many virtual-machine instructions (a few
    /// microseconds of work): often enough to stop on time, rarely enough to cost nothing.
    private static let instructionsPerCheck: Int32 = 1000

    /// Limits far above anything Timescope's schema and queries need, far below what an attack
    /// through the schema would.
    private static let limits: [(Int32, Int32)] = [
        (SQLITE_LIMIT_LENGTH, Int32(RecordingLimits.maximumValueBytes)),
        (SQLITE_LIMIT_SQL_LENGTH, 64 << 10),
        (SQLITE_LIMIT_COLUMN, 64),
        (SQLITE_LIMIT_EXPR_DEPTH, 64),
        (SQLITE_LIMIT_COMPOUND_SELECT, 4),
        (SQLITE_LIMIT_VDBE_OP, 100_000),
        (SQLITE_LIMIT_ATTACHED, 0),
        (SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (SQLITE_LIMIT_WORKER_THREADS, 0),
    ]

    /// `sqlite3_db_config`, found at run time: it is variadic, which Swift cannot call.
    nonisolated(unsafe) private static let databaseConfigFunction: UnsafeMutableRawPointer? = dlsym(
        dlopen(nil, RTLD_NOW), "sqlite3_db_config")

    /// Switches on `SQLITE_DBCONFIG_DEFENSIVE` and returns whether SQLite reports it on. The
    /// variadic `sqlite3_db_config(db, op, int, int*)` is called through a non-variadic type
    /// that puts the arguments where a variadic call does: in registers on x86-64 (System V)
    /// and on Linux's arm64, on the stack in 8-byte slots on Apple's arm64 (six unused register
    /// arguments push them there).
    private static func enableDefensiveMode(_ connection: OpaquePointer) -> Bool {
        guard let function = databaseConfigFunction else { return false }
        var enabled: Int32 = 0
        #if canImport(Darwin) && arch(arm64)
            typealias DatabaseConfig =
                @convention(c) (
                    OpaquePointer?, Int32, Int, Int, Int, Int, Int, Int, Int, UnsafeMutablePointer<Int32>?
                ) -> Int32
            let result = unsafeBitCast(function, to: DatabaseConfig.self)(
                connection, SQLITE_DBCONFIG_DEFENSIVE, 0, 0, 0, 0, 0, 0, 1, &enabled)
        #else
            typealias DatabaseConfig =
                @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<Int32>?) -> Int32
            let result = unsafeBitCast(function, to: DatabaseConfig.self)(
                connection, SQLITE_DBCONFIG_DEFENSIVE, 1, &enabled)
        #endif
        return result == SQLITE_OK && enabled == 1
    }
}
