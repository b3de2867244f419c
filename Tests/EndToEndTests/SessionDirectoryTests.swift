import Foundation
import Testing
import TestSupport

/// Every session is kept, as rr keeps traces: `record` without `-o` writes
/// `$XDG_DATA_HOME/timescope/NAME-N.tsr` (else `~/.local/share/timescope/`), points `latest` at
/// it and says where on stderr; `view` alone opens the latest; `ls` lists them. Each test has
/// its own XDG_DATA_HOME, so nothing reaches the real home.
@Suite struct SessionDirectoryTests {
    /// The timer firmware (3.5 k steps), or nil when the cross compiler is missing and that is allowed.
    func timer() throws -> String? {
        guard try RequiredTool.require(.crossCompiler, .make) else { return nil }
        return try FirmwareBuilder.elf("timer")
    }

    func run(_ arguments: [String], dataHome: String) throws -> ProcessResult {
        try TimescopeProcess.run(arguments, environment: ["XDG_DATA_HOME": dataHome])
    }

    @Test func recordWithoutOutputKeepsNumberedSessionsAndPointsLatestAtTheNewest() throws {
        guard let elf = try timer() else { return }
        let home = try TemporaryDirectory("data-home")
        defer { home.remove() }
        let sessions = home.file("timescope")
        for number in 1...2 {
            let result = try run(["record", elf], dataHome: home.path)
            #expect(result.status == 0, "\(result)")
            #expect(
                result.stderrLines == ["timescope: recording saved to \(sessions)/timer-\(number).tsr"],
                "\(result)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: sessions).sorted()
        #expect(names == ["latest", "timer-1.tsr", "timer-2.tsr"], "\(names)")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: sessions + "/latest") == "timer-2.tsr")
        let permissions =
            try FileManager.default.attributesOfItem(atPath: sessions)[.posixPermissions] as? Int
        #expect(permissions == 0o700, "the directory is private: \(String(permissions ?? 0, radix: 8))")

        let verify = try run(["verify", sessions + "/timer-1.tsr"], dataHome: home.path)
        #expect(verify.status == 0, "a kept session is a complete recording: \(verify)")
        // By name, without the directory or the extension.
        let info = try run(["info", "timer-1", "--json"], dataHome: home.path)
        #expect(try ParsedJSON.parse(info.stdoutText)["endReason"]?.string == "exited", "\(info)")
    }

    @Test func viewWithoutARecordingOpensTheLatestSession() throws {
        guard let elf = try timer() else { return }
        let home = try TemporaryDirectory("data-home")
        defer { home.remove() }
        let none = try run(["view", "--print-frame", "100x30"], dataHome: home.path)
        #expect(none.status == 2, "\(none)")
        #expect(
            none.stderrLines.count == 1
                && none.stderr.hasPrefix("timescope: error: no recording given, and no session kept in "),
            "\(none)")

        #expect(try run(["record", elf, "--max-steps", "2000"], dataHome: home.path).status == 4)
        #expect(try run(["record", elf], dataHome: home.path).status == 0)
        let latest = try run(["view", "--print-frame", "100x30"], dataHome: home.path)
        let named = try run(
            ["view", home.file("timescope/timer-2.tsr"), "--print-frame", "100x30"], dataHome: home.path)
        #expect(latest.status == 0, "\(latest)")
        #expect(latest.stdoutText == named.stdoutText, "view alone is view of timer-2.tsr")
        #expect(
            latest.stdoutText.contains("exited with code 0"),
            "the complete run, not the step-limited one: \(latest.stdoutText.prefix(200))")
    }

    @Test func withoutXDGDataHomeSessionsGoUnderTheHomeDirectory() throws {
        guard let elf = try timer() else { return }
        let home = try TemporaryDirectory("home")
        defer { home.remove() }
        let result = try TimescopeProcess.run(
            ["record", elf], environment: ["XDG_DATA_HOME": "", "HOME": home.path])
        let kept = home.file(".local/share/timescope/timer-1.tsr")
        #expect(result.stderrLines.last == "timescope: recording saved to \(kept)", "\(result)")
        #expect(FileManager.default.fileExists(atPath: kept))
    }

    /// `ls`: name, size, steps, ending, age, newest last, `latest` marked; a file that is not a
    /// recording gets a line saying so and the others are still listed.
    @Test func lsListsNewestLastAndSurvivesDamagedFiles() throws {
        guard let elf = try timer() else { return }
        let home = try TemporaryDirectory("data-home")
        defer { home.remove() }
        let empty = try run(["ls"], dataHome: home.path)
        #expect(empty.status == 0 && empty.stdoutText.hasPrefix("no recordings kept in "), "\(empty)")

        #expect(try run(["record", elf, "--max-steps", "2000"], dataHome: home.path).status == 4)
        let sessions = home.file("timescope")
        try Data("this is not a recording\n".utf8).write(to: URL(fileURLWithPath: sessions + "/notes.tsr"))
        #expect(try run(["record", elf], dataHome: home.path).status == 0)
        // Newest last: make the order of the modification times certain.
        for (name, age) in [("timer-1.tsr", 300.0), ("notes.tsr", 200.0), ("timer-2.tsr", 100.0)] {
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: sessions + "/" + name)
        }

        let list = try run(["ls"], dataHome: home.path)
        #expect(list.status == 0, "\(list)")
        let lines = list.stdoutText.split(separator: "\n").map(String.init)
        try #require(lines.count == 4, "the directory, then one line a file: \(list.stdoutText)")
        #expect(lines[0] == sessions)
        #expect(
            lines[1].hasPrefix("  timer-1.tsr") && lines[1].contains("2000 steps")
                && lines[1].contains("step-limit"), "\(lines[1])")
        #expect(lines[1].contains("5 min ago") && !lines[1].hasSuffix("latest"), "\(lines[1])")
        #expect(
            lines[2].hasPrefix("  notes.tsr") && lines[2].contains("damaged: not a Timescope recording"),
            "\(lines[2])")
        #expect(
            lines[3].hasPrefix("  timer-2.tsr") && lines[3].contains("exited 0")
                && lines[3].hasSuffix("latest"), "\(lines[3])")
    }

    /// A session directory that cannot be one is refused before anything runs.
    @Test func aSessionDirectoryThatIsAFileIsRefused() throws {
        guard let elf = try timer() else { return }
        let home = try TemporaryDirectory("data-home")
        defer { home.remove() }
        try Data("in the way\n".utf8).write(to: URL(fileURLWithPath: home.file("timescope")))
        let result = try run(["record", elf], dataHome: home.path)
        #expect(result.status == 2 && result.stdout.isEmpty, "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.contains("is not a directory"), "\(result)")
    }

    /// A firmware that does not load claims no name: the directory is not even made.
    @Test func aFailedStartLeavesNothingBehind() throws {
        let home = try TemporaryDirectory("data-home")
        defer { home.remove() }
        let result = try run(["record", home.file("missing.elf")], dataHome: home.path)
        #expect(result.status == 2, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: home.file("timescope")))
    }
}
