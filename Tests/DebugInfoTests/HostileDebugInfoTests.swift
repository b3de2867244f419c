import DebugInfo
import Foundation
import Machine
import Recording
import Testing
import TestSupport

/// Debug information is read from untrusted ELF files: damaged `.debug_*` sections give "no
/// debug info: REASON" or answers, never a crash or a hang, and the rest keeps working.
@Suite struct HostileDebugInfoTests {
    static let root = TimescopeProcess.packageRoot.appendingPathComponent("Recordings")

    /// The `.debug_*` sections of an ELF32 file: (offset, size) in the file.
    func debugSections(_ bytes: [UInt8]) throws -> [(name: String, range: Range<Int>)] {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        let table = u32(0x20)
        let size = u16(0x2e)
        let count = u16(0x30)
        let names = u32(table + size * u16(0x32) + 0x10)
        return (0..<count).compactMap { index in
            let header = table + size * index
            var end = names + u32(header)
            while bytes[end] != 0 { end += 1 }
            let name = String(decoding: bytes[(names + u32(header))..<end], as: UTF8.self)
            guard name.hasPrefix(".debug_") else { return nil }
            let offset = u32(header + 0x10)
            return (name, offset..<(offset + u32(header + 0x14)))
        }
    }

    @Test func damagedSectionsGiveAReasonOrAnswersNeverACrash() throws {
        let elf = Array(try Data(contentsOf: Self.root.appendingPathComponent("crash/crash.elf")))
        let sections = try debugSections(elf)
        try #require(sections.count >= 5, "the demo has DWARF: \(sections.map(\.name))")
        let timeline = try Timeline(path: Self.root.appendingPathComponent("crash.tsr").path)
        try timeline.seek(to: 684)
        let target = TargetState(machine: timeline.machine)
        var random = SeededGenerator(seed: 11)
        var refused = 0
        var answered = 0
        for round in 0..<400 {
            var bytes = elf
            let section = sections[round % sections.count]
            // Flip a few bytes, or overwrite a run with 0xff (huge lengths, counts, offsets).
            if round % 3 == 0 {
                let start =
                    section.range.lowerBound + Int(random.next() % UInt64(max(1, section.range.count)))
                for index in start..<min(start + 16, section.range.upperBound) { bytes[index] = 0xff }
            } else {
                for _ in 0..<(1 + Int(random.next() % 8)) {
                    let index =
                        section.range.lowerBound + Int(random.next() % UInt64(max(1, section.range.count)))
                    bytes[index] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            do {
                let info = try DebugInfo(elf: bytes)
                let stack = info.callStack(target)
                for index in stack.frames.indices {
                    _ = info.variables(ofFrame: index, in: stack, target: target)
                }
                _ = try? info.evaluate("sensors[2].read", in: stack, target: target)
                _ = info.lines.location(of: target.pc)
                answered += 1
            } catch {
                #expect(error.description.hasPrefix("no debug info: "), "\(section.name): \(error)")
                refused += 1
            }
        }
        #expect(refused + answered == 400)
    }

    @Test func anELFWithoutDWARFSaysSo() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let directory = try TemporaryDirectory()
        let stripped = directory.path + "/stripped.elf"
        let strip = try runProcess(
            "/usr/bin/env",
            [
                "riscv64-unknown-elf-strip", "-g", "-o", stripped,
                Self.root.appendingPathComponent("crash/crash.elf").path,
            ])
        try #require(strip.status == 0, "strip: \(strip.stderr)")
        #expect(throws: DebugInfoError.absent) {
            try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: stripped))))
        }
        #expect(DebugInfoError.absent.description == "no debug info: the ELF has no DWARF sections")
    }

    @Test func expressionsThatAreNotCSayWhy() throws {
        let elf = Array(try Data(contentsOf: Self.root.appendingPathComponent("crash/crash.elf")))
        let info = try DebugInfo(elf: elf)
        let timeline = try Timeline(path: Self.root.appendingPathComponent("crash.tsr").path)
        try timeline.seek(to: 684)
        let target = TargetState(machine: timeline.machine)
        let stack = info.callStack(target)
        for (text, message) in [
            ("nosuch", "No symbol \"nosuch\" in current context."),
            ("sensors[", "A syntax error in expression, near `'."),
            ("sensors.name", "Attempt to extract a component of a value that is not a structure."),
            ("sensors[0].nosuch", "There is no member named nosuch."),
            ("*active_sensors", "Attempt to take contents of a non-pointer value."),
            ("$nosuch", "No register named \"$nosuch\"."),
            ("sensors @ 1", "Invalid character '@' in expression."),
        ] {
            #expect(throws: ExpressionError.self, "\(text)") {
                try info.evaluate(text, in: stack, target: target)
            }
            do {
                _ = try info.evaluate(text, in: stack, target: target)
            } catch {
                #expect(error.description == message, "\(text)")
            }
        }
    }
}
