import DebugInfo
import Foundation
@testable import Inspector
import Machine
import Recording
import Testing
import TestSupport

/// The source pane's text: the recording's embedded copy, else the file on disk (saying when
/// it is newer than the firmware), else "source not available: FILE".
@Suite struct SourceLibraryTests {
    /// The lines of `text` as a person reads them (no line ends).
    func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// A library with no embedded copies, whose firmware was modified at `firmwareModified`.
    func diskOnly(firmwareModified: Date?) -> SourceLibrary {
        SourceLibrary(
            embeddedCopy: { _ throws(RecordingError) in nil },
            reference: firmwareModified.map { SourceLibrary.Reference(date: $0, what: "the firmware") })
    }

    func write(_ text: String, to path: String, modified: Date? = nil) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        if let modified {
            try FileManager.default.setAttributes([.modificationDate: modified], ofItemAtPath: path)
        }
    }

    @Test func aRecordingShowsItsSourceAfterTheFileIsGone() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let sources = scratch.file("src")
        try FileManager.default.createDirectory(atPath: sources, withIntermediateDirectories: false)
        let firmware = try TinyCFirmware.build(in: sources)
        let recording = scratch.file("tiny.tsr")
        let record = try TimescopeProcess.run(["record", firmware.elf, "-o", recording])
        #expect(record.status == 0, "\(record)")
        try FileManager.default.removeItem(atPath: sources)

        let library = SourceLibrary(timeline: try Timeline(path: recording), debugInfo: nil)
        for (path, text) in zip(firmware.sources, [TinyCFirmware.program, TinyCFirmware.header]) {
            let source = library.source(for: path)
            #expect(source.origin == .embedded, "\(path): \(source)")
            #expect(source.lines == lines(text))
            #expect(source.note == nil)
        }
        let missing = library.source(for: sources + "/other.c")
        #expect(missing.origin == .unavailable && missing.lines.isEmpty)
        #expect(missing.note == "source not available: \(sources)/other.c")
    }

    @Test func aFileOnDiskIsShownAndSaysWhenItIsNewerThanTheFirmware() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.file("main.c")
        let built = Date(timeIntervalSince1970: 1_700_000_000)
        try write("int main(void) {\n    return 0;\n}\n", to: path, modified: built.addingTimeInterval(-60))
        let older = diskOnly(firmwareModified: built).source(for: path)
        #expect(older.origin == .disk)
        #expect(older.lines == ["int main(void) {", "    return 0;", "}"])
        #expect(older.note == nil, "edited before the firmware was built: \(older)")

        try write("int main(void) {\n    return 1;\n}\n", to: path, modified: built.addingTimeInterval(60))
        let newer = diskOnly(firmwareModified: built).source(for: path)
        #expect(newer.origin == .disk)
        #expect(newer.lines[1] == "    return 1;")
        #expect(newer.note == "\(path) is newer than the firmware")
    }

    @Test func aRelativeNameIsReadWhereItWasCompiled() throws {
        let scratch = try TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: scratch.file("timer"), withIntermediateDirectories: false)
        try write("void tick(void) {}\n", to: scratch.file("timer/timer.c"))
        let library = SourceLibrary(
            embeddedCopy: { _ throws(RecordingError) in nil },
            compiledPath: { scratch.file($0) }, reference: nil)
        let source = library.source(for: "timer/timer.c")
        #expect(source.origin == .disk && source.lines == ["void tick(void) {}"], "\(source)")
    }

    /// A recording that holds no sources (as before they were embedded) shows the test
    /// firmware's files from the checkout, where its line tables say they were compiled.
    @Test func withoutAnEmbeddedCopyTheFileIsReadWhereItWasCompiled() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf("timer")
        let scratch = try TemporaryDirectory()
        let recording = scratch.file("timer.tsr")
        let recorder = try Recorder(
            path: recording, machine: try Machine(firmware: Firmware.load(contentsOf: elf), board: .virt()),
            keyframeInterval: 1000)
        _ = try recorder.run(maxSteps: 2000)
        let timeline = try Timeline(path: recording)
        #expect(try timeline.embeddedSources().isEmpty)
        let debugInfo = try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: elf))))
        let library = SourceLibrary(timeline: timeline, debugInfo: debugInfo)
        let checkout = TimescopeProcess.packageRoot.appendingPathComponent("Firmware/timer/timer.c").path
        let source = library.source(for: "timer/timer.c")
        #expect(source.origin == .disk, "\(source)")
        #expect(source.lines == lines(try String(contentsOfFile: checkout, encoding: .utf8)))
        let unresolved = SourceLibrary(timeline: timeline, debugInfo: nil).source(for: "timer/timer.c")
        #expect(unresolved.origin == .unavailable, "without debug information the name is read as it is")
    }

    @Test func theEmbeddedCopyWinsOverTheFileOnDisk() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.file("main.c")
        try write("edited since\n", to: path)
        let copy = EmbeddedSource(path: path, contents: Array("as recorded\n".utf8), modified: Date())
        let library = SourceLibrary(
            embeddedCopy: { name throws(RecordingError) in name == path ? copy : nil },
            reference: SourceLibrary.Reference(date: .distantPast, what: "the firmware"))
        #expect(library.source(for: path) == SourceText(lines: ["as recorded"], origin: .embedded, note: nil))
    }

    @Test func aDamagedEmbeddedCopyFallsBackToDiskAndSaysSo() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.file("main.c")
        let library = SourceLibrary(
            embeddedCopy: { _ throws(RecordingError) in
                throw .damaged("the embedded source x does not decompress")
            }, reference: nil)
        let unavailable = library.source(for: path)
        #expect(unavailable.origin == .unavailable)
        #expect(
            unavailable.note
                == "source not available: \(path) (its embedded copy is damaged: the embedded source x does not decompress)"
        )
        try write("on disk\n", to: path)
        library.forget()
        let fallback = library.source(for: path)
        #expect(fallback.origin == .disk && fallback.lines == ["on disk"])
        #expect(fallback.note?.contains("its embedded copy is damaged") == true, "\(fallback)")
    }

    @Test func whatCannotBeReadSafelyIsNotAvailable() throws {
        let scratch = try TemporaryDirectory()
        let fifo = scratch.file("fifo.c")
        #expect(mkfifo(fifo, 0o600) == 0)
        let big = scratch.file("big.c")
        try Data(count: RecordingLimits.maximumSourceFileBytes + 1).write(to: URL(fileURLWithPath: big))
        let library = diskOnly(firmwareModified: nil)
        for path in [fifo, big, "/dev/zero", scratch.path, scratch.file("missing.c")] {
            let source = library.source(for: path)
            #expect(source.origin == .unavailable && source.lines.isEmpty, "\(path): \(source)")
            #expect(source.note == "source not available: \(path)")
        }
    }

    @Test func linesAreSafeToDraw() throws {
        let bytes =
            Array("a\tb\r\n\u{1B}[2Jclear\n\tx\u{07}\n".utf8) + [0xFF, 0x0A]
            + Array(repeating: 0x41, count: 5000)
        #expect(
            SourceLibrary.lines(of: bytes) == [
                "a       b", "\\u{1B}[2Jclear", "        x\\u{7}", "\u{FFFD}",
                String(repeating: "A", count: SourceLibrary.maximumLineLength) + "…",
            ])
        #expect(SourceLibrary.lines(of: []) == [])
        #expect(SourceLibrary.lines(of: Array("\n\n".utf8)) == ["", ""])
    }

    @Test func decodedFilesAreKeptUntilForgotten() throws {
        let scratch = try TemporaryDirectory()
        let path = scratch.file("main.c")
        try write("first\n", to: path)
        let library = diskOnly(firmwareModified: nil)
        #expect(library.source(for: path).lines == ["first"])
        try write("second\n", to: path)
        #expect(library.source(for: path).lines == ["first"], "kept")
        library.forget()
        #expect(library.source(for: path).lines == ["second"])
    }

    /// A recording made before sources were embedded has no firmware time: a file on disk is
    /// compared with the recording file's own.
    @Test func anOldRecordingComparesWithTheRecordingFile() throws {
        let scratch = try TemporaryDirectory()
        let copy = scratch.file("crash.tsr")
        try FileManager.default.copyItem(atPath: DemoRecording.crash, toPath: copy)
        let recorded = Date(timeIntervalSince1970: 1_700_000_000)
        try FileManager.default.setAttributes([.modificationDate: recorded], ofItemAtPath: copy)
        let timeline = try Timeline(path: copy)
        guard timeline.summary.header.firmwareModified == nil else { return }  // recorded again since
        let path = scratch.file("sensorhub.c")
        try write("int x;\n", to: path, modified: recorded.addingTimeInterval(1))
        let source = SourceLibrary(timeline: timeline, debugInfo: nil).source(for: path)
        #expect(source.origin == .disk && source.note == "\(path) is newer than the recording", "\(source)")
    }
}
