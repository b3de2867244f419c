import Foundation
import Testing
import TestSupport

/// Writing a recording (`record -o`, `watch -o`) or a state dump (`run --dump-state`) never
/// destroys anything else: a directory, the firmware, a file that is not a previous output of
/// the same kind. Refusals are status 2 with one `timescope: error:` line naming the option,
/// and nothing on disk changes. A previous recording is replaced only once the new one holds
/// its first keyframe.
@Suite struct OutputSafetyTests {
    /// The commands that write a recording with `-o`. `watch` refuses before it opens a
    /// terminal, so the refusal shows without one.
    static let recordingCommands = ["record", "watch"]

    // MARK: Refusals

    @Test(arguments: recordingCommands)
    func aDirectoryIsRefusedAndItsFilesStay(_ command: String) throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let directory = scratch + "/results"
        try FileManager.default.createDirectory(
            atPath: directory + "/nested", withIntermediateDirectories: true)
        try write("the user's notes\n", to: directory + "/notes.txt")
        try write("more\n", to: directory + "/nested/more.txt")
        let before = try snapshot(scratch)

        let result = try TimescopeProcess.run([command, elf, "-o", directory])
        expectRefusal(result, option: "-o", path: directory, saying: "directory")
        #expect(try snapshot(scratch) == before, "the directory and its files are as they were")
    }

    /// The firmware under its own name, through a symbolic link and through a hard link: the
    /// same file, told by device and inode.
    @Test(arguments: recordingCommands, ["same name", "symbolic link", "hard link"])
    func theFirmwareIsRefusedUnderAnyName(_ command: String, _ name: String) throws {
        guard let built = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let elf = scratch + "/fw.elf"
        try FileManager.default.copyItem(atPath: built, toPath: elf)
        let output: String
        switch name {
        case "symbolic link":
            output = scratch + "/fw.tsr"
            try FileManager.default.createSymbolicLink(atPath: output, withDestinationPath: "fw.elf")
        case "hard link":
            output = scratch + "/other-name.tsr"
            try FileManager.default.linkItem(atPath: elf, toPath: output)
        default:
            output = elf
        }
        let before = try snapshot(scratch)

        let result = try TimescopeProcess.run([command, elf, "-o", output])
        expectRefusal(result, option: "-o", path: output, saying: "firmware")
        #expect(try snapshot(scratch) == before, "the firmware's bytes (and the link) are unchanged")
        #expect(FileManager.default.contents(atPath: elf) == FileManager.default.contents(atPath: built))
    }

    @Test(arguments: recordingCommands)
    func aFileThatIsNotARecordingIsRefusedAndKept(_ command: String) throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let text = scratch + "/run.tsr"
        try write("not a recording: a user's file that happens to have this name\n", to: text)
        let before = try snapshot(scratch)

        let result = try TimescopeProcess.run([command, elf, "-o", text])
        expectRefusal(result, option: "-o", path: text, saying: "not a Timescope recording")
        #expect(try snapshot(scratch) == before)
    }

    /// Write-ahead files beside a path that holds no recording belong to some other database:
    /// SQLite would take them for the new recording's own.
    @Test func aStrayWriteAheadLogBesideThePathIsRefused() throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let output = scratch + "/run.tsr"
        try write("another database's log\n", to: output + "-wal")
        let before = try snapshot(scratch)

        let result = try TimescopeProcess.run(["record", elf, "-o", output])
        expectRefusal(result, option: "-o", path: output, saying: "run.tsr-wal")
        #expect(try snapshot(scratch) == before)
    }

    /// A recording another `record` is still writing is not replaced under it; once that
    /// recorder is dead (killed, its file left unfinished with its write-ahead log), it is.
    @Test func aRecordingStillBeingWrittenIsRefusedAndAnAbandonedOneReplaced() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let long = try FirmwareBuilder.elf("workload-bench")
        let elf = try FirmwareBuilder.elf("timer")
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let output = scratch + "/long.tsr"

        // Without --max-steps: far longer than this test lets it run.
        let recorder = Process()
        recorder.executableURL = URL(fileURLWithPath: try TimescopeProcess.binaryPath())
        recorder.arguments = ["record", long, "-o", output]
        recorder.standardOutput = FileHandle.nullDevice
        recorder.standardError = FileHandle.nullDevice
        try recorder.run()
        defer {
            if recorder.isRunning { kill(recorder.processIdentifier, SIGKILL) }
            recorder.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: output + "-wal") && recorder.isRunning
            && Date() < deadline
        { usleep(20_000) }
        try #require(FileManager.default.fileExists(atPath: output + "-wal"), "the recorder writes \(output)")

        let refused = try TimescopeProcess.run(["record", elf, "-o", output])
        expectRefusal(refused, option: "-o", path: output, saying: "pid \(recorder.processIdentifier)")
        #expect(recorder.isRunning, "the first recorder runs on")

        kill(recorder.processIdentifier, SIGKILL)
        recorder.waitUntilExit()
        let replaced = try TimescopeProcess.run(["record", elf, "-o", output])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let info = try infoJSON(output)
        #expect(info["firmware"]?.string == "timer.elf", "the new recording: \(info)")
        #expect(info["endReason"]?.string == "exited")
        #expect(
            try snapshot(scratch).keys.sorted() == ["long.tsr"],
            "one file: the old write-ahead files went with it")
    }

    // MARK: Replacing a recording

    @Test func anExistingRecordingIsReplacedAndNothingIsLeftBeside() throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let output = scratch + "/run.tsr"
        let first = try TimescopeProcess.run(["record", elf, "-o", output, "--max-steps", "1000"])
        #expect(first.status == 4, "\(first.stderr)")
        #expect(try infoJSON(output)["totalSteps"]?.unsigned == 1000)

        let second = try TimescopeProcess.run(["record", elf, "-o", output])
        #expect(second.status == 0, "\(second.stderr)")
        let info = try infoJSON(output)
        #expect(info["endReason"]?.string == "exited", "the new run replaced the old one: \(info)")
        #expect((info["totalSteps"]?.unsigned ?? 0) > 1000)
        #expect(
            try snapshot(scratch).keys.sorted() == ["run.tsr"], "no staging file and no write-ahead files")

        // An empty file (made by `mktemp`, say) may be replaced too.
        let empty = scratch + "/empty.tsr"
        try write("", to: empty)
        let intoEmpty = try TimescopeProcess.run(["record", elf, "-o", empty])
        #expect(intoEmpty.status == 0, "\(intoEmpty.stderr)")
        #expect(try infoJSON(empty)["endReason"]?.string == "exited")
    }

    /// A symbolic link to a recording is written through: the target is replaced, the link
    /// stays a link.
    @Test func aLinkToARecordingReplacesItsTarget() throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let target = scratch + "/today.tsr"
        let link = scratch + "/latest.tsr"
        #expect(try TimescopeProcess.run(["record", elf, "-o", target, "--max-steps", "1000"]).status == 4)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "today.tsr")

        let result = try TimescopeProcess.run(["record", elf, "-o", link])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: link) == "today.tsr", "still a link")
        #expect(try infoJSON(target)["endReason"]?.string == "exited", "the target holds the new run")
        #expect(try snapshot(scratch).keys.sorted() == ["latest.tsr", "today.tsr"])
    }

    /// A run that fails before its first keyframe is committed leaves the old recording byte
    /// for byte. A firmware that does not load fails before anything is written; a full disk
    /// (a file-size limit, with SIGXFSZ ignored so writes fail with EFBIG) fails while the new
    /// recording is being written — at each limit from "nothing fits" up to "it all fits".
    @Test func aRunThatFailsBeforeItsFirstKeyframeLeavesTheOldRecording() throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let output = scratch + "/keep.tsr"
        #expect(try TimescopeProcess.run(["record", elf, "-o", output, "--max-steps", "1000"]).status == 4)
        let before = try snapshot(scratch)

        let broken = scratch + "/broken.elf"
        try write("not an ELF\n", to: broken)
        let unloadable = try TimescopeProcess.run(["record", broken, "-o", output])
        #expect(unloadable.status == 2)
        #expect(try snapshot(scratch).filter { $0.key != "broken.elf" } == before)

        let binary = try TimescopeProcess.binaryPath()
        let limited = #"ulimit -f "$1"; shift; trap '' XFSZ; exec "$0" "$@""#
        var failures = 0
        var replaced = false
        for blocks in stride(from: 8, through: 2048, by: 8) {
            let result = try runProcess(
                "/bin/sh", ["-c", limited, binary, String(blocks), "record", elf, "-o", output])
            if result.status == 0 {
                replaced = true
                break
            }
            failures += 1
            #expect(
                result.status == 2 && result.stderrLines.count == 1,
                "limit \(blocks): \(result.status) \(result.stderr)")
            let after = try snapshot(scratch).filter { $0.key != "broken.elf" }
            #expect(
                after == before,
                "limit \(blocks) blocks: the old recording is untouched and no staging file is left: \(after.keys.sorted())"
            )
            if after != before { break }
        }
        #expect(failures >= 2, "the sweep failed at \(failures) limits")
        #expect(replaced, "with room enough the recording is written")
        #expect(try infoJSON(output)["endReason"]?.string == "exited")
    }

    // MARK: --dump-state

    @Test(arguments: ["firmware", "directory", "recording", "text file"])
    func dumpStateRefusesWhatIsNotAStateDump(_ kind: String) throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let local = scratch + "/fw.elf"
        try FileManager.default.copyItem(atPath: elf, toPath: local)
        let target: String
        let words: String
        switch kind {
        case "firmware":
            target = local
            words = "firmware"
        case "directory":
            target = scratch + "/dumps"
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            try write("an older dump, kept\n", to: target + "/kept.txt")
            words = "directory"
        case "recording":
            target = scratch + "/run.tsr"
            #expect(
                try TimescopeProcess.run(["record", local, "-o", target, "--max-steps", "1000"]).status == 4)
            words = "recording"
        default:
            target = scratch + "/state.json"
            try write("a user's notes, not JSON\n", to: target)
            words = "not a state dump"
        }
        let before = try snapshot(scratch)
        let result = try TimescopeProcess.run(["run", local, "--dump-state", target])
        expectRefusal(result, option: "--dump-state", path: target, saying: words)
        #expect(result.stdout.isEmpty, "refused before the firmware runs")
        #expect(try snapshot(scratch) == before)
    }

    /// A previous dump (or an empty file) is replaced, in one step: no staging file stays.
    @Test func dumpStateReplacesAPreviousDump() throws {
        guard let elf = try firmware() else { return }
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let scratch = temporary.path
        let dump = scratch + "/state.json"
        #expect(
            try TimescopeProcess.run(["run", elf, "--max-steps", "10", "--dump-state", dump]).status == 4)
        #expect(try ParsedJSON.parse(try read(dump))["step"]?.unsigned == 10)
        #expect(
            try TimescopeProcess.run(["run", elf, "--max-steps", "20", "--dump-state", dump]).status == 4)
        #expect(try ParsedJSON.parse(try read(dump))["step"]?.unsigned == 20)
        let empty = scratch + "/empty.json"
        try write("", to: empty)
        #expect(
            try TimescopeProcess.run(["run", elf, "--max-steps", "30", "--dump-state", empty]).status == 4)
        #expect(try ParsedJSON.parse(try read(empty))["step"]?.unsigned == 30)
        #expect(try snapshot(scratch).keys.sorted() == ["empty.json", "state.json"])
    }

    // MARK: Helpers

    private func firmware() throws -> String? {
        guard try RequiredTool.require(.crossCompiler, .make) else { return nil }
        return try FirmwareBuilder.elf("timer")
    }

    private func expectRefusal(
        _ result: ProcessResult, option: String, path: String, saying words: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(
            result.status == 2, "status \(result.status), stderr: \(result.stderr)",
            sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "one line: \(result.stderr)", sourceLocation: sourceLocation)
        let line = result.stderrLines.first ?? ""
        #expect(
            line.hasPrefix("timescope: error: \(option) \(path): "), "names the option and path: \(line)",
            sourceLocation: sourceLocation)
        #expect(line.contains(words), "says '\(words)': \(line)", sourceLocation: sourceLocation)
    }

    private func infoJSON(_ recording: String) throws -> ParsedJSON {
        let result = try TimescopeProcess.run(["info", recording, "--json"])
        try #require(result.status == 0, "info \(recording): \(result.stderr)")
        return try ParsedJSON.parse(result.stdout)
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Every entry under `directory` (hidden ones too), by relative path: a file's bytes, a
    /// link's destination, or a mark for a directory.
    private func snapshot(_ directory: String) throws -> [String: String] {
        var entries: [String: String] = [:]
        let manager = FileManager.default
        for name in try manager.subpathsOfDirectory(atPath: directory) {
            let path = directory + "/" + name
            let attributes = try manager.attributesOfItem(atPath: path)
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?:
                entries[name] = "link to " + (try manager.destinationOfSymbolicLink(atPath: path))
            case .typeDirectory?: entries[name] = "directory"
            default: entries[name] = (manager.contents(atPath: path) ?? Data()).base64EncodedString()
            }
        }
        return entries
    }
}
