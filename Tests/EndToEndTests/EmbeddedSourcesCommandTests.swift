import Foundation
import Testing
import TestSupport

/// `record` and `watch` embed the source files the firmware's line tables name, within the
/// bound their help states; a firmware without debug information, or with broken DWARF,
/// records exactly as before, with no sources.
@Suite struct EmbeddedSourcesCommandTests {
    /// `info --json`'s `sources`: path and size of each embedded file.
    func embedded(_ recording: String) throws -> [(path: String, bytes: UInt64)] {
        let info = try TimescopeProcess.run(["info", recording, "--json"])
        try #require(info.status == 0, "info: \(info)")
        let json = try ParsedJSON.parse(info.stdoutText)
        let sources = try #require(json["sources"]?.elements, "info --json has sources: \(json)")
        return try sources.map { source in
            (try #require(source["path"]?.string), try #require(source["bytes"]?.unsigned))
        }
    }

    /// The size of the file at `path`.
    func size(_ path: String) throws -> UInt64 {
        try #require(
            (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value)
    }

    @Test func recordEmbedsTheSourcesTheLineTablesName() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firmware = try TinyCFirmware.build(in: scratch.path)
        let recording = scratch.file("tiny.tsr")
        let record = try TimescopeProcess.run(["record", firmware.elf, "-o", recording])
        #expect(record.status == 0 && record.stderr.isEmpty, "\(record)")
        let sources = try embedded(recording)
        #expect(sources.map(\.path) == firmware.sources)
        #expect(try sources.map(\.bytes) == firmware.sources.map(size))
        let text = try TimescopeProcess.run(["info", recording])
        let total = try firmware.sources.map(size).reduce(0, +)
        #expect(text.stdoutText.contains("sources      2 files, \(total) bytes"), "\(text.stdoutText)")
    }

    @Test func noSourcesEmbedsNone() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firmware = try TinyCFirmware.build(in: scratch.path)
        try #require(!firmware.sources.isEmpty)
        let recording = scratch.file("none.tsr")
        let record = try TimescopeProcess.run(["record", firmware.elf, "--no-sources", "-o", recording])
        #expect(record.status == 0 && record.stderr.isEmpty, "\(record)")
        #expect(try embedded(recording).isEmpty)
    }

    @Test func watchEmbedsTheSourcesToo() throws {
        guard try RequiredTool.require(.crossCompiler, TmuxDriver.tool) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firmware = try TinyCFirmware.build(in: scratch.path)
        let recording = scratch.file("watched.tsr")
        let driver = try TmuxDriver(["watch", firmware.elf, "-o", recording], width: 120, height: 40)
        defer { driver.kill() }
        try driver.waitFor("the run to end", timeout: 30) { $0.contains("exited with code 0") }
        try driver.sendKeys("q")
        try driver.waitFor("the inspector to exit", timeout: 30) { screen in
            screen.components(separatedBy: "\n").contains { $0.hasPrefix("EXITED ") }
        }
        let sources = try embedded(recording)
        #expect(sources.map(\.path) == firmware.sources)
        #expect(try sources.map(\.bytes) == firmware.sources.map(size))
    }

    /// The same run, recorded: same output and status as `run`, nothing on stderr, no
    /// sources, and a recording that verifies.
    func expectRecordsAsBefore(_ elf: String, in scratch: TemporaryDirectory, _ what: String) throws {
        let recording = scratch.file("plain.tsr")
        let plain = try TimescopeProcess.run(["run", elf])
        let record = try TimescopeProcess.run(["record", elf, "-o", recording])
        #expect(
            record.status == plain.status && record.stdout == plain.stdout, "\(what): \(record) vs \(plain)")
        #expect(record.stderr.isEmpty, "\(what): \(record.stderr)")
        #expect(try embedded(recording).isEmpty, "\(what): no sources")
        let verify = try TimescopeProcess.run(["verify", recording])
        #expect(verify.status == 0, "\(what): \(verify)")
    }

    @Test func firmwareWithoutDebugInformationRecordsAsBefore() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let assembled = try Assembler.elf("li t0, 0x100000\nli t1, 0x5555\nsw t1, 0(t0)\n1: j 1b\n")
        try expectRecordsAsBefore(assembled, in: scratch, "assembled without -g")

        let firmware = try TinyCFirmware.build(in: scratch.path)
        let stripped = scratch.file("stripped.elf")
        let strip = try runProcess(
            "/usr/bin/env", ["riscv64-unknown-elf-strip", "--strip-debug", "-o", stripped, firmware.elf])
        #expect(strip.status == 0, "\(strip)")
        try expectRecordsAsBefore(stripped, in: scratch, "stripped of its debug information")
    }

    @Test func brokenDebugInformationRecordsAsBefore() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firmware = try TinyCFirmware.build(in: scratch.path)
        // Overwrite the line tables and the units with 0xFF, as a damaged file would have
        // them (readelf gives each section's offset and size).
        let sections = try runProcess(
            "/usr/bin/env", ["riscv64-unknown-elf-readelf", "-S", "-W", firmware.elf])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: firmware.elf)))
        var broken: [String] = []
        for line in sections.stdoutText.split(separator: "\n") {
            let fields = line.replacingOccurrences(of: "[ ", with: "[").split(separator: " ")
            guard let index = fields.firstIndex(where: { $0 == ".debug_line" || $0 == ".debug_info" }),
                fields.count > index + 4, let offset = Int(fields[index + 3], radix: 16),
                let count = Int(fields[index + 4], radix: 16), offset + count <= bytes.count
            else { continue }
            for position in offset..<(offset + count) { bytes[position] = 0xFF }
            broken.append(String(fields[index]))
        }
        #expect(Set(broken) == [".debug_line", ".debug_info"], "readelf -S: \(sections.stdoutText)")
        let damaged = scratch.file("damaged.elf")
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        try expectRecordsAsBefore(damaged, in: scratch, "with broken DWARF")
    }

    @Test(arguments: ["record", "watch"])
    func helpStatesTheBound(_ command: String) throws {
        let help = try TimescopeProcess.run([command, "--help"])
        let text = help.stdoutText.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(help.status == 0)
        #expect(text.contains("each at most 4 MiB, 32 MiB in all"), "\(help.stdoutText)")
    }
}
