import Foundation
import GRDB
import Machine
@testable import Recording
import Testing
import TestSupport

/// Sources travel with the recording: `record` embeds the files the firmware's line tables
/// name, byte for byte, within the bounds (4 MiB a file, 32 MiB in all); a reader gets them
/// back from the recording alone; recordings made before this still open.
@Suite struct EmbeddedSourceTests {
    /// The test firmware's directory: its line tables name files relative to it (`make -C`).
    static let firmwareDirectory = TimescopeProcess.packageRoot.appendingPathComponent("Firmware").path

    /// The bytes of the file at `path`.
    func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Where two byte strings first differ ("same" when they do not), for failure messages
    /// that do not print megabytes.
    func difference(_ left: [UInt8]?, _ right: [UInt8]) -> String {
        guard let left else { return "missing" }
        guard let index = zip(left, right).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset
        else {
            return left.count == right.count ? "same" : "\(left.count) bytes instead of \(right.count)"
        }
        return "differs at byte \(index)"
    }

    @Test func recordEmbedsEverySourceOfTheFirmwareByteForByte() throws {
        guard let elf = try TestFirmware.elf("workload") else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("workload.tsr")
        let record = try CLI.run(["record", elf, "-o", recording])
        #expect(record.status == 0, "\(CLI.describe(record))")
        let timeline = try Timeline(path: recording)
        let entries = try timeline.embeddedSources()
        // The files workload is built from (Firmware/Makefile), found on disk, not taken from
        // what the recorder wrote.
        let ownFiles =
            try FileManager.default.contentsOfDirectory(atPath: Self.firmwareDirectory + "/workload")
            .filter { $0.hasSuffix(".c") }.map { "workload/" + $0 } + ["common/start.S"]
        let names = Set(entries.map(\.path))
        for file in ownFiles {
            #expect(names.contains(file), "\(file) is embedded: \(names.sorted())")
        }
        for entry in entries {
            let onDisk = try bytes(
                entry.path.hasPrefix("/") ? entry.path : Self.firmwareDirectory + "/" + entry.path)
            let embedded = try #require(try timeline.embeddedSource(path: entry.path))
            #expect(difference(embedded.contents, onDisk) == "same", "\(entry.path) is the file on disk")
            #expect(entry.size == onDisk.count)
            #expect(embedded.path == entry.path)
        }
        #expect(try timeline.embeddedSource(path: "workload/no-such-file.c") == nil)

        // The ELF's modification time is kept, to the microsecond.
        let elfModified = try #require(
            try FileManager.default.attributesOfItem(atPath: elf)[.modificationDate] as? Date)
        let recorded = try #require(timeline.summary.header.firmwareModified)
        #expect(abs(recorded.timeIntervalSince(elfModified)) < 1e-5, "\(recorded) vs \(elfModified)")

        // info lists the same files with the same sizes.
        let info = try CLI.run(["info", recording, "--json"])
        let json = try parseJSON(info.stdoutText.trimmingCharacters(in: .newlines))
        let listed = try #require(json["sources"]?.elements)
        #expect(listed.map { $0["path"]?.string } == entries.map(\.path))
        #expect(listed.map { $0["bytes"]?.unsigned } == entries.map { UInt64($0.size) })
        let text = try CLI.run(["info", recording])
        let total = entries.reduce(0) { $0 + $1.size }
        #expect(
            text.stdoutText.contains("sources      \(entries.count) files, \(total) bytes"),
            "\(text.stdoutText)")
    }

    @Test func theEmbeddedCopyOutlivesTheFileItWasReadFrom() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let sources = scratch.file("src")
        try FileManager.default.createDirectory(atPath: sources, withIntermediateDirectories: false)
        let firmware = try TinyCFirmware.build(in: sources)
        let originals = try firmware.sources.map { try bytes($0) }
        let recording = scratch.file("tiny.tsr")
        let record = try CLI.run(["record", firmware.elf, "-o", recording])
        #expect(record.status == 0, "\(CLI.describe(record))")
        try FileManager.default.removeItem(atPath: sources)

        let timeline = try Timeline(path: recording)
        #expect(try timeline.embeddedSources().map(\.path) == firmware.sources)
        for (path, original) in zip(firmware.sources, originals) {
            #expect(
                try difference(timeline.embeddedSource(path: path)?.contents, original) == "same", "\(path)")
        }
        #expect(try timeline.verify().firstMismatch == nil)
    }

    /// Files of `size` bytes (a pattern that differs per file) named `name` in `directory`.
    func makeFile(_ directory: TemporaryDirectory, _ name: String, size: Int, seed: UInt8 = 1) throws
        -> String
    {
        let path = directory.file(name)
        var bytes = [UInt8](repeating: 0, count: size)
        var value = seed
        for index in bytes.indices {
            value = value &* 31 &+ 7
            bytes[index] = 0x20 + value % 90
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theBoundsKeepOutFilesOverFourMebibytesAndStopAtThirtyTwoInAll() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let perFile = RecordingLimits.maximumSourceFileBytes
        let total = RecordingLimits.maximumSourceBytes
        let mebibyte = 1 << 20
        // In name order: one byte over the per-file bound; exactly the bound; then files of
        // 3 MiB up to 31 MiB in all; a 4 MiB file that would pass 32 MiB; a 1 MiB file that
        // still fits (32 MiB exactly); a byte that no longer does.
        let tooBig = try makeFile(scratch, "a-too-big.c", size: perFile + 1)
        let exact = try makeFile(scratch, "b-exact.c", size: perFile)
        let threes = (total - perFile - mebibyte) / (3 * mebibyte)
        var paths = [tooBig, exact]
        for index in 0..<threes {
            paths.append(try makeFile(scratch, "c-\(index).c", size: 3 * mebibyte, seed: UInt8(index + 2)))
        }
        let filled = perFile + threes * 3 * mebibyte
        let overTotal = try makeFile(scratch, "d-over.c", size: total - filled + 1)
        let fits = try makeFile(scratch, "e-fits.c", size: total - filled)
        let oneByte = try makeFile(scratch, "f-one-byte.c", size: 1)
        let device = scratch.file("h-device.c")
        try FileManager.default.createSymbolicLink(atPath: device, withDestinationPath: "/dev/zero")
        paths += [overTotal, fits, oneByte, scratch.file("g-missing.c"), device, "/etc/passwd"]

        let collection = SourceCollection(reading: paths)
        #expect(collection.sources.map(\.path) == [exact] + paths[2..<(2 + threes)] + [fits])
        #expect(collection.totalBytes == total)
        let reasons = Dictionary(
            uniqueKeysWithValues: collection.omitted.map { ($0.candidate.path, $0.reason) })
        #expect(reasons[tooBig] == .tooLarge(bytes: UInt64(perFile + 1)))
        #expect(reasons[overTotal] == .overTotal(bytes: UInt64(total - filled + 1)))
        #expect(reasons[oneByte] == .overTotal(bytes: 1))
        #expect(reasons[scratch.file("g-missing.c")].map { "\($0)".contains("no such file") } == true)
        #expect(reasons[device].map { "\($0)".contains("character device") } == true)
        // A name that is not a source file's is not read at all (DWARF can name any file).
        #expect(reasons["/etc/passwd"] == .notSource)

        // A recording holds exactly those, and gives the largest back intact.
        guard let elf = try TestFirmware.elf("timer") else { return }
        let recording = scratch.file("bounds.tsr")
        _ = try Recordings.record(
            elf: elf, keyframeInterval: 1000, to: recording, sources: collection.sources)
        let timeline = try Timeline(path: recording)
        let entries = try timeline.embeddedSources()
        #expect(entries.map(\.path) == collection.sources.map(\.path))
        #expect(entries.reduce(0) { $0 + $1.size } == total)
        #expect(try difference(timeline.embeddedSource(path: exact)?.contents, bytes(exact)) == "same")
        #expect(try timeline.verify().firstMismatch == nil)
    }

    @Test func theRecorderRefusesSourcesAReaderWouldRefuse() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let scratch = try ScratchDirectory()
        let now = Date()
        let cases: [(String, [EmbeddedSource])] = [
            (
                "a file over 4 MiB",
                [
                    EmbeddedSource(
                        path: "big.c",
                        contents: [UInt8](repeating: 0x41, count: RecordingLimits.maximumSourceFileBytes + 1),
                        modified: now)
                ]
            ),
            ("an empty path", [EmbeddedSource(path: "", contents: [], modified: now)]),
            ("a path with an escape", [EmbeddedSource(path: "a\u{1B}[2J.c", contents: [], modified: now)]),
            (
                "the same path twice",
                [
                    EmbeddedSource(path: "a.c", contents: [1], modified: now),
                    EmbeddedSource(path: "a.c", contents: [2], modified: now),
                ]
            ),
        ]
        for (what, sources) in cases {
            let path = scratch.file("refused.tsr")
            #expect(throws: RecordingError.self, "\(what)") {
                _ = try Recorder(
                    path: path, machine: try Reference.machine(elf: elf), keyframeInterval: 1000,
                    sources: sources)
            }
            #expect(!FileManager.default.fileExists(atPath: path), "\(what): nothing written")
        }
    }

    @Test func pathsWithControlCharactersStayOut() throws {
        let scratch = try ScratchDirectory()
        let plain = try makeFile(scratch, "plain.c", size: 10)
        let escaped = try makeFile(scratch, "e\u{1B}[31m.c", size: 10)
        let collection = SourceCollection(reading: [plain, escaped])
        #expect(collection.sources.map(\.path) == [plain])
        #expect(collection.omitted.map(\.reason) == [.badName])
    }

    @Test func aFileNamedTwiceIsEmbededOnceUnderItsName() throws {
        let scratch = try ScratchDirectory()
        let first = try makeFile(scratch, "one.c", size: 10, seed: 1)
        let second = try makeFile(scratch, "two.c", size: 20, seed: 2)
        let collection = SourceCollection(reading: [
            SourceCollection.Candidate(name: "main.c", path: first),
            SourceCollection.Candidate(name: "main.c", path: second),
            SourceCollection.Candidate(name: "main.c", path: first),
        ])
        #expect(collection.sources.map(\.path) == ["main.c"])
        #expect(try collection.sources.first?.contents == bytes(first))
        #expect(collection.omitted.map(\.reason) == [.sameName])
    }

    /// A copy of `Recordings/crash.tsr` as it was committed before sources were embedded
    /// (format 1), kept so that this stays tested once the demos are recorded again.
    static let formatOneFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/crash-format1.tsr").path

    @Test(arguments: [
        formatOneFixture,
        TimescopeProcess.packageRoot.appendingPathComponent("Recordings/crash.tsr").path,
    ])
    func aRecordingMadeBeforeSourcesWereEmbeddedStillOpens(_ path: String) throws {
        let scratch = try ScratchDirectory()
        let copy = scratch.file("old.tsr")
        try FileSurgery.copy(path, to: copy)
        let version = try FileSurgery.read(copy) { db in try Int.fetchOne(db, sql: "PRAGMA user_version") }
        let timeline = try Timeline(path: copy)
        #expect(timeline.summary.ending.reason == .crashed)
        if version == 1 {
            #expect(try timeline.embeddedSources().isEmpty)
            #expect(try timeline.embeddedSource(path: "crash/sensorhub.c") == nil)
            #expect(timeline.summary.header.firmwareModified == nil)
        }
        #expect(try timeline.verify().firstMismatch == nil)
        let verify = try CLI.run(["verify", copy])
        #expect(verify.status == 0, "\(CLI.describe(verify))")
        let info = try CLI.run(["info", copy])
        #expect(info.status == 0 && info.stdoutText.contains("sources"), "\(CLI.describe(info))")
    }

    @Test func theFixtureIsFormatOne() throws {
        let version = try FileSurgery.read(Self.formatOneFixture) { db in
            try Int.fetchOne(db, sql: "PRAGMA user_version")
        }
        #expect(version == 1)
    }

    /// Gives a format-2 recording format 1's header table, exactly as format 1 defines it
    /// (its `source` table stays unless `droppingSources`).
    static func makeFormatOneHeader(_ db: Database, droppingSources: Bool) throws {
        if droppingSources { try db.execute(sql: "DROP TABLE source") }
        try db.execute(sql: "ALTER TABLE recording DROP COLUMN firmware_modified")
        let statement = String(RecordingFile.schemaVersion1.split(separator: ";")[0])
        try db.execute(sql: "PRAGMA writable_schema = ON")
        try db.execute(
            sql: "UPDATE sqlite_schema SET sql = ? WHERE name = 'recording'", arguments: [statement])
        try db.execute(sql: "PRAGMA writable_schema = OFF")
    }

    /// A format-2 recording turned into format 1 (its source table and firmware time taken
    /// out) opens; the same file still labelled format 2 does not.
    @Test func formatOneIsTheFormatTwoSchemaWithoutItsSources() throws {
        guard let run = try Recordings.timerWithSources() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("downgraded.tsr")
        try FileSurgery.copy(run.path, to: path)
        try FileSurgery.rewriteAsFormatTwo(path)
        try FileSurgery.edit(path) { db in try Self.makeFormatOneHeader(db, droppingSources: true) }
        #expect(throws: RecordingError.self) { try Timeline(path: path) }
        try FileSurgery.edit(path) { db in try db.execute(sql: "PRAGMA user_version = 1") }
        let timeline = try Timeline(path: path)
        #expect(try timeline.embeddedSources().isEmpty)
        #expect(try timeline.verify().firstMismatch == nil)
    }

    @Test func aZstdBombIsRefusedWithinTheDeclaredSize() throws {
        guard let run = try Recordings.timerWithSources() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("bomb.tsr")
        try FileSurgery.copy(run.path, to: path)
        let victim = try #require(try Timeline(path: run.path).embeddedSources().first)
        try FileSurgery.edit(path) { db in
            try db.execute(
                sql: "UPDATE source SET size = ?, data = ? WHERE path = ?",
                arguments: [
                    RecordingLimits.maximumSourceFileBytes,
                    Data(ZstdFrame.rle(byte: 0x41, count: 1 << 30, declaredSize: nil)), victim.path,
                ])
        }
        let timeline = try Timeline(path: path)
        // The list holds (it reads no content); the file does not decompress, and the run
        // itself still replays.
        #expect(try timeline.embeddedSources().count == 4)
        do {
            _ = try timeline.embeddedSource(path: victim.path)
            Issue.record("a zstd bomb decompressed")
        } catch {
            #expect(
                error.description.contains("the embedded source \(victim.path) does not decompress"),
                "\(error)")
        }
        try timeline.seek(to: timeline.totalSteps)
        #expect(throws: RecordingError.self) { try timeline.verify() }
    }
}
