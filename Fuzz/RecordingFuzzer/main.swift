// libFuzzer target for the recording reader: every input is written to a file and opened as
// a recording; whatever opens is then seeked and searched. Any trap is a bug (recordings are
// untrusted input). See Fuzz/README.md to build it with libFuzzer and run it.
//
// Inputs that start with the SQLite header are recordings, mutated byte by byte. Any other
// input is a recipe of schema attacks (views, triggers, generated columns, extra tables and
// indexes, dropped and renamed columns) applied to a copy of a base recording: a recording
// whose schema was changed must never open.
import Foundation
import GRDB
import Recording
import TestSupport

private let path = NSTemporaryDirectory() + "timescope-libfuzzer-\(getpid()).tsr"

/// The recording recipes start from: $TIMESCOPE_FUZZ_BASE, else the shipped timer recording.
private let basePath = ProcessInfo.processInfo.environment["TIMESCOPE_FUZZ_BASE"] ?? "Recordings/timer.tsr"

// Built by plain `swift build` too: then it replays the files given as arguments (a corpus, or
// a crash libFuzzer saved) through the same function, so a reported input can be checked with
// an ordinary build. Built for fuzzing (`-DLIBFUZZER -parse-as-library -sanitize=fuzzer`, see
// Fuzz/README.md), libFuzzer's driver takes over: SwiftPM links an executable's `main` to
// `<Module>_main`, and with -parse-as-library there is none, so this one hands over.

/// Runs each file through the fuzz target; 0 when every input was handled (a trap stops the
/// process, as under libFuzzer).
func replay(_ paths: ArraySlice<String>) -> CInt {
    guard !paths.isEmpty else {
        FileHandle.standardError.write(
            Data(
                "usage: RecordingFuzzer FILE... (replays inputs; build with -sanitize=fuzzer to fuzz)\n".utf8)
        )
        return 2
    }
    for path in paths {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("RecordingFuzzer: cannot read \(path)\n".utf8))
            return 2
        }
        let input = [UInt8](bytes) + [0]  // never empty, so it has an address; the 0 is not passed
        _ = input.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { recordingFuzzerTestOneInput($0, buffer.count - 1) }
        }
        print("\(path): handled")
    }
    return 0
}

/// libFuzzer's entry: one input, written to a file and opened as a recording (or a recipe of schema attacks).
@_cdecl("LLVMFuzzerTestOneInput")
public func recordingFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var attacks: [String] = []
    if input.starts(with: Array("SQLite format 3".utf8)) {
        guard (try? Data(input).write(to: URL(fileURLWithPath: path))) != nil else { return 0 }
    } else {
        guard (try? FileManager.default.copyItem(atPath: basePath, toPath: path)) != nil else { return 0 }
        attacks = applySchemaAttacks(recipe: input)
    }
    guard let timeline = try? Timeline(path: path) else { return 0 }
    if !attacks.isEmpty {
        fatalError("a recording whose schema was changed opened: \(attacks.joined(separator: ", "))")
    }
    let total = timeline.totalSteps
    // A file may claim a very long run; replaying it is slow, not wrong.
    guard total <= 1_000_000 else { return 0 }
    for step in [total, 0, total / 2, total / 3] { _ = try? timeline.seek(to: step) }
    _ = try? timeline.lastWrite(to: 0x800F_FF00..<0x8010_0000, before: total)
    _ = try? timeline.nextExecution(of: timeline.machine.firmware.entry, after: 0)
    _ = try? timeline.marker(kind: MarkerKind.interruptFamily, before: total)
    _ = try? timeline.markers(in: 0...total)
    _ = try? timeline.stateJSON(memory: [0x8000_0000..<0x8000_0040])
    for entry in (try? timeline.embeddedSources()) ?? [] {
        _ = try? timeline.embeddedSource(path: entry.path)
    }
    return 0
}

private let tables = [
    "recording", "keyframe", "page", "input", "marker", "marker_batch", "console", "writer", "ending",
    "source",
]

/// Applies the attacks `recipe` picks (three bytes each: attack, table, column) to the file
/// at `path`; returns those SQLite accepted.
private func applySchemaAttacks(recipe: [UInt8]) -> [String] {
    guard let database = try? DatabaseQueue(path: path) else { return [] }
    defer { try? database.close() }
    var applied: [String] = []
    for start in stride(from: 0, to: recipe.count - 2, by: 3).prefix(4) {
        let attack = SchemaAttacks.all[Int(recipe[start]) % SchemaAttacks.all.count]
        let table = tables[Int(recipe[start + 1]) % tables.count]
        try? database.writeWithoutTransaction { db in
            guard try db.tableExists(table) else { return }
            let columns = try db.columns(in: table).map(\.name)
            let column = columns[Int(recipe[start + 2]) % columns.count]
            let selectList = columns.map { (name: String) -> String in
                let value =
                    attack.value == "n" || name == column
                    ? attack.value.replacingOccurrences(of: "{C}", with: name) : name
                return value + " AS " + name
            }.joined(separator: ", ")
            try db.inSavepoint {
                for statement in attack.statements {
                    let sql: String = statement.replacingOccurrences(of: "{COLUMNS}", with: selectList)
                        .replacingOccurrences(of: "{T}", with: table).replacingOccurrences(
                            of: "{C}", with: column)
                    try db.execute(sql: sql)
                }
                return .commit
            }
            applied.append("\(attack.name) on \(table).\(column)")
        }
    }
    return applied
}

// Last in the file: in a plain build this is the program, and the globals above are
// initialised before it runs.
#if LIBFUZZER
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
    ) -> CInt

    /// The program's entry in a fuzzing build: hands over to libFuzzer's driver.
    @_cdecl("RecordingFuzzer_main")
    public func recordingFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?)
        -> CInt
    {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, recordingFuzzerTestOneInput)
    }
#else
    exit(replay(CommandLine.arguments.dropFirst()))
#endif
