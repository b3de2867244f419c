import DebugInfo
import Foundation
import Testing
import TestSupport

/// pc → file:line and file:line → addresses, against binutils' addr2line and gdb (the
/// oracles) on firmware built with `-g`: the crash demo (-O2) and the test firmware.
@Suite struct SourceLinesTests {
    static let crashELF = TimescopeProcess.packageRoot.appendingPathComponent("Recordings/crash/crash.elf")
        .path

    /// Every instruction address of `elf`'s code, from objdump.
    func instructionAddresses(_ elf: String) throws -> [UInt32] {
        let dump = try runProcess("/usr/bin/env", ["riscv64-unknown-elf-objdump", "-d", elf])
        #expect(dump.status == 0, "objdump: \(dump.stderr)")
        return dump.stdoutText.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 1)
            guard fields.count == 2, line.hasPrefix("8"),
                let address = UInt32(fields[0].trimmingCharacters(in: .whitespaces), radix: 16)
            else { return nil }
            return address
        }
    }

    /// gdb, not binutils' addr2line, is the oracle: addr2line 2.40 names the wrong file for
    /// code inlined from a header in DWARF 5 (`timer.c:84` where the row says `board.h:84`,
    /// as gdb and objdump -dl agree).
    @Test(arguments: ["crash", "exerciser", "timer", "workload", "semihost"])
    func everyInstructionMapsToTheLineGdbGives(_ program: String) throws {
        guard try RequiredTool.require(.crossCompiler, .make, .gdb) else { return }
        let elf = program == "crash" ? Self.crashELF : try FirmwareBuilder.elf(program)
        let info = try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: elf))))
        let addresses = try instructionAddresses(elf)
        try #require(addresses.count > 50)
        let commands = NSTemporaryDirectory() + "timescope-gdb-\(UUID().uuidString).gdb"
        // Each answer after a marker line, so an answer of two lines cannot shift the rest.
        try addresses.map { "echo @@\\n\ninfo line *0x\(String($0, radix: 16))" }.joined(separator: "\n")
            .write(toFile: commands, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: commands) }
        let gdb = try runProcess(
            "/usr/bin/env", ["gdb-multiarch", "-batch", "-nx", "-x", commands, elf], timeout: 600)
        var answers = gdb.stdoutText.components(separatedBy: "@@\n").dropFirst().map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // gdb's answers depend on which units earlier questions expanded: a unit whose range
        // ends at pc can shadow the one that starts there ("No line number information").
        // Ask those again of a fresh gdb, highest address first, so that no unit below one of
        // them is expanded before it is asked; any still unanswered, each of its own gdb.
        let unanswered = answers.indices.filter {
            $0 < addresses.count && answers[$0].hasPrefix("No line number")
        }
        .sorted { addresses[$0] > addresses[$1] }
        if !unanswered.isEmpty {
            try unanswered.map { "echo @@\\n\ninfo line *0x\(String(addresses[$0], radix: 16))" }.joined(
                separator: "\n"
            )
            .write(toFile: commands, atomically: true, encoding: .utf8)
            let again = try runProcess(
                "/usr/bin/env", ["gdb-multiarch", "-batch", "-nx", "-x", commands, elf], timeout: 600)
            let replies = again.stdoutText.components(separatedBy: "@@\n").dropFirst()
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            for (index, reply) in zip(unanswered, replies) { answers[index] = reply }
            for index in unanswered where answers[index].hasPrefix("No line number") {
                let fresh = try runProcess(
                    "/usr/bin/env",
                    [
                        "gdb-multiarch", "-batch", "-nx", "-ex",
                        "info line *0x\(String(addresses[index], radix: 16))", elf,
                    ])
                answers[index] = fresh.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        var compared = 0
        for (address, answer) in zip(addresses, answers) {
            let ours = info.lines.location(of: address)
            // `Line 84 of "common/board.h" starts at address …`, or `No line number information …`.
            guard answer.hasPrefix("Line "), let quote = answer.firstIndex(of: "\""),
                let end = answer[answer.index(after: quote)...].firstIndex(of: "\""),
                let number = Int(answer.dropFirst(5).prefix { $0.isNumber })
            else {
                #expect(
                    ours == nil,
                    "\(hex(address)): gdb knows no line (\(answer)), we say \(String(describing: ours))")
                continue
            }
            let file = (String(answer[answer.index(after: quote)..<end]) as NSString).lastPathComponent
            #expect(ours?.description == "\(file):\(number)", "\(hex(address)): gdb says \(file):\(number)")
            compared += 1
        }
        #expect(compared > addresses.count / 2, "most instructions have a line")
    }

    @Test func aLineStartsWhereGdbSaysItDoes() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let info = try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: Self.crashELF))))
        var checked = 0
        for line in stride(from: 20, through: 125, by: 3) {
            let gdb = try runProcess(
                "/usr/bin/env",
                ["gdb-multiarch", "-batch", "-nx", "-ex", "info line sensorhub.c:\(line)", Self.crashELF])
            let text = gdb.stdoutText
            let ours = info.lines.addresses(file: "sensorhub.c", line: line)
            // "Line N of "file" starts at address 0x… <fn+k> and ends at 0x….", or "… is at
            // address 0x… but contains no code.", or "Line N of … is out of range".
            // "is at address 0x… but contains no code": the line's entry has no length (the
            // next entry starts at the same address); gdb still breaks there.
            if let range = text.range(of: "starts at address 0x") ?? text.range(of: "is at address 0x") {
                let digits = text[range.upperBound...].prefix { $0.isHexDigit }
                #expect(
                    ours.first.map { String($0, radix: 16) } == String(digits),
                    "line \(line): gdb says \(text)")
                checked += 1
            } else {
                #expect(ours.isEmpty, "line \(line) has no code for gdb (\(text)); we give \(ours)")
            }
        }
        #expect(checked >= 3)
    }

    @Test func anELFWithoutDWARFSaysSoAndAGarbageOneToo() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let directory = NSTemporaryDirectory() + "timescope-dwarf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stripped = directory + "/stripped.elf"
        let strip = try runProcess(
            "/usr/bin/env", ["riscv64-unknown-elf-strip", "-g", "-o", stripped, Self.crashELF])
        #expect(strip.status == 0)
        #expect(throws: DebugInfoError.absent) {
            try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: stripped))))
        }
        #expect(throws: DebugInfoError.self) {
            try DebugInfo(elf: [0x7F, 0x45, 0x4C, 0x46] + [UInt8](repeating: 0xFF, count: 200))
        }
        #expect(throws: DebugInfoError.self) { try DebugInfo(elf: []) }
    }

    func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}

/// pc → the functions it is in (inlined calls first), against binutils' addr2line -f -i
/// (its function names are right; its file names are not, see above).
@Suite struct FunctionScopeTests {
    @Test(arguments: ["crash", "timer", "workload"])
    func everyInstructionIsInTheFunctionsAddr2lineNames(_ program: String) throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = program == "crash" ? SourceLinesTests.crashELF : try FirmwareBuilder.elf(program)
        let info = try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: elf))))
        let addresses = try SourceLinesTests().instructionAddresses(elf)
        // addr2line -f -i -a: for each address a line "0x…", then name / file:line pairs.
        let oracle = try runProcess(
            "/usr/bin/env",
            ["riscv64-unknown-elf-addr2line", "-f", "-i", "-a", "-e", elf]
                + addresses.map { String($0, radix: 16) })
        var expected: [[String]] = []
        var lines = oracle.stdoutText.split(separator: "\n").map(String.init)[...]
        while let first = lines.first {
            lines = lines.dropFirst()
            guard first.hasPrefix("0x") else { continue }
            var names: [String] = []
            while let name = lines.first, !name.hasPrefix("0x") {
                names.append(name)
                lines = lines.dropFirst(2)
            }
            expected.append(names)
        }
        try #require(expected.count == addresses.count)
        var compared = 0
        for (address, names) in zip(addresses, expected) where names != ["??"] {
            let ours = info.functions(at: address)
            // Assembly has no function entries in DWARF: addr2line names its ELF symbol there.
            if ours.isEmpty, let file = info.lines.location(of: address)?.file,
                file.hasSuffix(".S") || file.hasSuffix(".s")
            {
                continue
            }
            #expect(ours == names, "0x\(String(address, radix: 16))")
            compared += 1
        }
        #expect(compared > addresses.count / 2)
    }
}
