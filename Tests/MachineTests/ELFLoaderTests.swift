import Foundation
import Machine
import TestSupport
import Testing

/// `Firmware.load(contentsOf:)`: good executables load with their segments and symbols; broken
/// files are refused with a message that names the problem, and no input makes it crash.
@Suite("ELF loader")
struct ELFLoaderTests {
    /// A minimal ELF32 little-endian RISC-V executable built field by field (System V gABI),
    /// so each test can break exactly one thing.
    struct ELFImage {
        var elfClass: UInt8 = 1
        var dataEncoding: UInt8 = 1
        var type: UInt16 = 2  // ET_EXEC
        var machine: UInt16 = 243  // EM_RISCV
        var entry: UInt32 = 0x8000_0000
        var programHeaderOffset: UInt32 = 52
        var programHeaderEntrySize: UInt16 = 32
        var programHeaderCount: UInt16 = 1
        var segmentType: UInt32 = 1  // PT_LOAD
        var segmentOffset: UInt32 = 84
        var segmentAddress: UInt32 = 0x8000_0000
        var segmentFileSize: UInt32? = nil  // nil: the code's size
        var segmentMemorySize: UInt32? = nil
        /// lui t0, 0x100; lui t1, 5; addi t1, t1, 0x555; sw t1, 0(t0); j . (sifive_test exit 0)
        var code: [UInt32] = [0x0010_02B7, 0x0000_5337, 0x5553_0313, 0x0062_A023, 0x0000_006F]

        var bytes: [UInt8] {
            var out: [UInt8] = []
            func u8(_ v: UInt8) { out.append(v) }
            func u16(_ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
            func u32(_ v: UInt32) {
                for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(shift)) & 0xFF)) }
            }
            // e_ident
            out += [0x7F, 0x45, 0x4C, 0x46, elfClass, dataEncoding, 1, 0]
            out += [UInt8](repeating: 0, count: 8)
            u16(type)
            u16(machine)
            u32(1)  // e_version
            u32(entry)
            u32(programHeaderOffset)
            u32(0)  // e_shoff: no sections
            u32(0)  // e_flags
            u16(52)  // e_ehsize
            u16(programHeaderEntrySize)
            u16(programHeaderCount)
            u16(40)  // e_shentsize
            u16(0)  // e_shnum
            u16(0)  // e_shstrndx
            precondition(out.count == 52)
            let codeSize = UInt32(code.count * 4)
            // One program header at 52.
            u32(segmentType)
            u32(segmentOffset)
            u32(segmentAddress)  // p_vaddr
            u32(segmentAddress)  // p_paddr
            u32(segmentFileSize ?? codeSize)
            u32(segmentMemorySize ?? codeSize)
            u32(5)  // R+X
            u32(4)
            precondition(out.count == 84)
            code.forEach { u32($0) }
            return out
        }
    }

    /// A temporary file for `bytes`, removed by the caller's `defer`.
    static func write(_ bytes: [UInt8], name: String = UUID().uuidString + ".elf") throws -> String {
        let directory = NSTemporaryDirectory() + "timescope-elf-tests-\(getuid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Loads `bytes` through a file; returns the error's description, or nil when it loaded.
    static func loadError(_ bytes: [UInt8]) throws -> String? {
        let path = try write(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try Firmware.load(contentsOf: path)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Good files

    /// Symbol and section names reach the terminal: one with an escape sequence in it is
    /// shown escaped, not obeyed (an ELF is untrusted, like a recording).
    @Test func aSymbolNameWithATerminalEscapeIsShownEscaped() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let elf = try Assembler.elf(".globl _start\n_start:\n    nop\n    j .\n")
        let evil = elf + ".evil"
        let objcopy = try runProcess(
            "/usr/bin/env",
            [
                "riscv64-unknown-elf-objcopy", "--add-symbol", "evil\u{1B}[2Jname=.text:0,global,function",
                elf, evil,
            ])
        #expect(objcopy.status == 0, "objcopy: \(objcopy.stderr)")
        let firmware = try Firmware.load(contentsOf: evil)
        let names = firmware.symbols.describe(0x8000_0000) ?? ""
        #expect(
            !names.unicodeScalars.contains { $0.value == 0x1B }, "no raw escape: \(names.debugDescription)")
        #expect(
            firmware.symbols.address(of: #"evil\u{1B}[2Jname"#) == 0x8000_0000,
            "the escaped name is the symbol's name")
    }

    @Test func theHandBuiltImageLoadsAndRuns() throws {
        let path = try Self.write(ELFImage().bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let firmware = try Firmware.load(contentsOf: path)
        #expect(firmware.entry == 0x8000_0000)
        #expect(firmware.segments.count == 1)
        #expect(firmware.segments.first?.address == 0x8000_0000)
        #expect(firmware.segments.first?.memorySize == 20)
        let machine = try Machine(firmware: firmware, board: .virt(ramSize: 1 << 20))
        #expect(machine.run(until: 100) == .exited(code: 0, via: .finisher))
    }

    @Test func anAssembledELFLoadsWithEntrySegmentsAndSymbols() throws {
        let source =
            TestProgram.prelude + """
                    .section .text.init, "ax"
                    .globl _start
                _start:
                    nop
                    nop
                    j function
                    .globl function
                    .type function, @function
                function:
                    la t0, table
                    lw a0, 4(t0)
                    EXIT 0
                    .size function, . - function
                    .data
                    .globl table
                    .type table, @object
                table: .word 0x11111111, 0x22222222
                    .size table, 8
                    .bss
                zeros: .space 64
                """
        let firmware = try Assembler.firmware(source)
        let start = try #require(firmware.symbols.address(of: "_start"))
        let function = try #require(firmware.symbols.address(of: "function"))
        let table = try #require(firmware.symbols.address(of: "table"))
        #expect(firmware.entry == start)
        #expect(start == 0x8000_0000)
        #expect(table == 0x8000_1000, ".data starts on its own page")
        #expect(!firmware.segments.isEmpty)
        #expect(firmware.segments.allSatisfy { $0.bytes.count <= Int($0.memorySize) })
        #expect(firmware.segments.contains { $0.address <= table && table + 8 <= $0.address + $0.memorySize })
        #expect(firmware.symbols.symbol(named: "function")?.kind == .function)
        #expect(firmware.symbols.symbol(named: "table")?.kind == .object)
        #expect(firmware.symbols.symbol(named: "table")?.size == 8)
        #expect(firmware.symbols.describe(start) == "_start")
        #expect(firmware.symbols.describe(start + 2) == "_start+0x2")
        #expect(firmware.symbols.describe(function + 4) == "function+0x4")
        #expect(firmware.symbols.describe(table + 4) == "table+0x4")
        #expect(firmware.symbols.address(of: "no_such_symbol") == nil)
        #expect(firmware.sections.contains { $0.name == ".text" && $0.address == 0x8000_0000 })
        #expect(firmware.sections.contains { $0.name == ".data" && $0.address == table })

        let machine = try Machine(firmware: firmware, board: .virt(ramSize: 1 << 20))
        #expect(machine.pc == 0x1000, "the hart starts in the reset ROM")
        #expect(machine.run(until: 6) == .stepLimit)
        #expect(machine.pc == start, "the reset ROM jumps to the start of RAM, where _start is")
        #expect(machine.run(until: 1_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state[.a0] == 0x2222_2222)
        let zeros = try machine.address(of: "zeros")
        #expect(machine.readRAM(zeros, count: 64) == [UInt8](repeating: 0, count: 64))
    }

    // MARK: Broken files

    struct Broken: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let phrase: String
        var testDescription: String { name }
    }

    static let brokenFiles: [Broken] = {
        var cases: [Broken] = []
        cases.append(
            Broken(
                name: "not ELF", bytes: Array("#!/bin/sh\necho this is a script\n".utf8),
                phrase: "not an ELF file"))
        cases.append(Broken(name: "empty", bytes: [], phrase: "not an ELF file"))
        var image = ELFImage()
        image.elfClass = 2
        cases.append(Broken(name: "64-bit class", bytes: image.bytes, phrase: "64-bit"))
        image = ELFImage()
        image.dataEncoding = 2
        cases.append(Broken(name: "big-endian", bytes: image.bytes, phrase: "big-endian"))
        image = ELFImage()
        image.machine = 62  // x86-64
        cases.append(Broken(name: "wrong e_machine", bytes: image.bytes, phrase: "not RISC-V"))
        image = ELFImage()
        image.type = 1
        cases.append(Broken(name: "ET_REL", bytes: image.bytes, phrase: "relocatable"))
        image = ELFImage()
        image.type = 3
        cases.append(Broken(name: "ET_DYN", bytes: image.bytes, phrase: "not an executable"))
        cases.append(
            Broken(name: "truncated header", bytes: Array(ELFImage().bytes.prefix(40)), phrase: "truncated"))
        cases.append(
            Broken(
                name: "truncated program header table", bytes: Array(ELFImage().bytes.prefix(70)),
                phrase: "program header 0"))
        image = ELFImage()
        image.programHeaderOffset = 0x10000
        cases.append(
            Broken(
                name: "program header table beyond the file", bytes: image.bytes, phrase: "program header 0"))
        image = ELFImage()
        image.programHeaderCount = 0
        cases.append(Broken(name: "no program headers", bytes: image.bytes, phrase: "no program headers"))
        image = ELFImage()
        image.programHeaderEntrySize = 16
        cases.append(Broken(name: "tiny e_phentsize", bytes: image.bytes, phrase: "too small"))
        image = ELFImage()
        image.segmentFileSize = 4096
        image.segmentMemorySize = 4096
        cases.append(
            Broken(name: "segment beyond file end", bytes: image.bytes, phrase: "segment 0 needs bytes"))
        image = ELFImage()
        image.segmentOffset = 0xFFFF_FFF0
        cases.append(
            Broken(
                name: "segment offset beyond file end", bytes: image.bytes, phrase: "segment 0 needs bytes"))
        image = ELFImage()
        image.segmentFileSize = 20
        image.segmentMemorySize = 8
        cases.append(
            Broken(name: "filesz > memsz", bytes: image.bytes, phrase: "larger than its memory size"))
        image = ELFImage()
        image.segmentType = 4  // PT_NOTE
        cases.append(Broken(name: "no PT_LOAD", bytes: image.bytes, phrase: "no loadable"))
        return cases
    }()

    @Test(arguments: brokenFiles)
    func aBrokenFileIsRefusedWithAMessageNamingTheProblem(_ broken: Broken) throws {
        let message = try #require(try Self.loadError(broken.bytes), "\(broken.name) must not load")
        #expect(message.contains(broken.phrase), "\(message)")
        #expect(!message.contains("\n"), "one line: \(message)")
    }

    @Test func aMissingFileIsReported() throws {
        let path = NSTemporaryDirectory() + "timescope-no-such-file-\(UUID().uuidString).elf"
        #expect(throws: LoadError.self) { try Firmware.load(contentsOf: path) }
        do {
            _ = try Firmware.load(contentsOf: path)
        } catch {
            #expect(error.description.contains("no such file"), "\(error.description)")
        }
        do {
            _ = try Firmware.load(contentsOf: NSTemporaryDirectory())
            Issue.record("a directory must not load")
        } catch {
            #expect(error.description.contains("directory"), "\(error.description)")
        }
    }

    @Test func bytesInMemoryLoadLikeTheFile() throws {
        let bytes = ELFImage().bytes
        let firmware = try Firmware(elfBytes: bytes, name: "image.elf")
        #expect(firmware.entry == 0x8000_0000)
        #expect(firmware.segments.count == 1)
        var broken = bytes
        broken[18] = 62
        do {
            _ = try Firmware(elfBytes: broken, name: "broken.elf")
            Issue.record("a wrong e_machine must not load")
        } catch {
            #expect(error.description.hasPrefix("broken.elf: "), "\(error.description)")
            #expect(error.description.contains("not RISC-V"))
        }
    }

    @Test(
        arguments: [
            (UInt32(0x0000_1000), "below RAM"),
            (UInt32(0x8010_0000 - 8), "crossing the end of 1 MiB of RAM"),
            (UInt32(0xFFFF_FFF0), "at the top of the address space"),
        ] as [(UInt32, String)])
    func aSegmentOutsideRAMIsRefusedByTheMachine(_ address: UInt32, _ label: String) throws {
        var image = ELFImage()
        image.segmentAddress = address
        image.entry = address
        let path = try Self.write(image.bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let firmware = try Firmware.load(contentsOf: path)
        do {
            _ = try Machine(firmware: firmware, board: .virt(ramSize: 1 << 20))
            Issue.record("a segment \(label) must not load")
        } catch {
            #expect(error.description.contains("outside RAM"), "\(error.description)")
        }
    }

    /// `BoardConfiguration.named` refuses these sizes; a `Machine` built directly from
    /// `.virt(ramSize:)` must refuse them too. Otherwise the partial last page is left out of
    /// the page tables (dirty pages, hashing, snapshots) while stores still reach it.
    @Test(arguments: [UInt32(6144), 4095, 0])
    func aBoardWhoseRAMIsNotAWholeNumberOfPagesIsRefused(_ size: UInt32) {
        #expect(throws: LoadError.self, "RAM of \(size) bytes") {
            _ = try Machine(
                firmware: Firmware(name: "empty", entry: 0x8000_0000, segments: []),
                board: .virt(ramSize: size))
        }
    }

    @Test func aRawImageOutsideRAMIsRefused() {
        #expect(throws: LoadError.self) {
            try Machine(
                firmware: .raw(words: [0x13, 0x13], at: 0x8000_0000 + (1 << 20) - 4),
                board: .virt(ramSize: 1 << 20))
        }
    }

    // MARK: Addresses as people write them

    @Test func addressesAndRangesResolveFromHexSymbolsAndSections() throws {
        let firmware = try Assembler.firmware(
            TestProgram.prelude + """
                    .globl _start
                _start:
                    nop
                    EXIT 0
                    .data
                    .globl counter
                    .type counter, @object
                counter: .word 0, 0
                    .size counter, 8
                """)
        let counter = try #require(firmware.symbols.address(of: "counter"))
        #expect(firmware.address(for: "0x80000010") == 0x8000_0010)
        #expect(firmware.address(for: "1000") == 0x1000, "a bare number is hex, as addresses are printed")
        #expect(firmware.address(for: "_start+0x8") == 0x8000_0008)
        #expect(firmware.address(for: "counter+4") == counter + 4)
        #expect(firmware.address(for: ".data") == counter)
        #expect(firmware.address(for: "no_such_thing") == nil)
        #expect(
            firmware.range(for: "counter") == counter..<counter + 8, "an object's size is the default length")
        #expect(firmware.range(for: "0x80000000:16") == 0x8000_0000..<0x8000_0010)
        #expect(firmware.range(for: "0x80000000:0") == nil)
        #expect(firmware.range(for: "0xFFFFFFF0:0x20") == nil, "past the end of the address space")
    }

    /// `range(for:)` must answer for a range that ends exactly at the top of the 32-bit
    /// address space (it may say nil: Range<UInt32> cannot hold an upper bound of 2^32), and
    /// never trap. Runs in a child process so that a trap fails this test, not the whole run.
    @Test func aRangeEndingAtTheTopOfTheAddressSpaceDoesNotCrash() async {
        await #expect(processExitsWith: .success) {
            let firmware = Firmware.raw(words: [0x13])
            _ = firmware.range(for: "0xffffffff")
            _ = firmware.range(for: "0xfffffff0:16")
        }
    }

    // MARK: Fuzzing

    @Test func garbageAndMutatedFilesThrowOrLoadButNeverCrash() throws {
        let original = try Assembler.elfBytes(
            TestProgram.prelude + """
                    .globl _start
                    .type _start, @function
                _start:
                    la t0, tohost
                    li t1, 1
                    sw t1, 0(t0)
                    sw zero, 4(t0)
                    EXIT 0
                    .size _start, . - _start
                    .data
                message: .asciz "fuzz"
                    .section .tohost, "aw", @progbits
                    .balign 8
                    .globl tohost
                tohost: .dword 0
                    .globl fromhost
                fromhost: .dword 0
                """)
        #expect(try Self.loadError(original) == nil, "the seed file itself loads")
        var random = DeterminismTests.SplitMix(state: 0x5EED)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
        // Offsets of ELF header fields worth corrupting (e_phoff, e_shoff, counts, sizes...).
        let headerFields = [16, 18, 24, 28, 32, 42, 44, 46, 48, 50]
        let path = try Self.write([], name: "fuzz-\(UUID().uuidString).elf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var loaded = 0
        var refused = 0
        for round in 0..<1000 {
            var bytes = original
            switch round % 5 {
            case 0:  // random bytes, random length
                bytes = (0..<below(700)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if round % 10 == 0 && bytes.count >= 4 {
                    bytes.replaceSubrange(0..<4, with: [0x7F, 0x45, 0x4C, 0x46])
                }
            case 1:  // flip a few bytes anywhere
                for _ in 0..<(1 + below(8)) {
                    bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
                }
            case 2:  // truncate
                bytes = Array(bytes.prefix(below(bytes.count)))
            case 3:  // overwrite a header field with an extreme or random value
                let field = headerFields[below(headerFields.count)]
                let value: UInt32 = [
                    0, 1, 0xFFFF, 0xFFFF_FFFF, 0x7FFF_FFFF, UInt32(truncatingIfNeeded: random.next()),
                ][below(6)]
                for index in 0..<4
                where field + index < bytes.count
                    && (index < 2 || ![16, 18, 42, 44, 46, 48, 50].contains(field))
                {
                    bytes[field + index] = UInt8(truncatingIfNeeded: value >> (UInt32(index) * 8))
                }
            default:  // corrupt the section or program header tables
                let sectionTable =
                    Int(bytes[32]) | Int(bytes[33]) << 8 | Int(bytes[34]) << 16 | Int(bytes[35]) << 24
                let base = round % 2 == 0 ? sectionTable : 52
                for _ in 0..<(1 + below(4)) {
                    let offset = base + below(200)
                    if offset < bytes.count { bytes[offset] = UInt8(truncatingIfNeeded: random.next()) }
                }
            }
            let firmware: Firmware
            do {
                if round % 4 == 0 {  // through a file now and then, through memory otherwise
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    firmware = try Firmware.load(contentsOf: path)
                } else {
                    firmware = try Firmware(elfBytes: bytes, name: "fuzz.elf")
                }
            } catch let error as LoadError {
                #expect(!error.description.isEmpty)
                refused += 1
                continue
            }
            loaded += 1
            // Whatever loaded must also be safe to describe, build and run briefly.
            for symbol in firmware.symbols.symbols.prefix(20) {
                _ = firmware.symbols.describe(symbol.address)
                _ = firmware.symbols.describe(symbol.address &+ 3)
            }
            _ = firmware.symbols.describe(0)
            _ = firmware.symbols.describe(0xFFFF_FFFF)
            if let machine = try? Machine(firmware: firmware, board: .virt(ramSize: 1 << 20)) {
                _ = machine.run(until: 200)
                _ = machine.stateHash
            }
        }
        #expect(
            loaded > 0 && refused > 0,
            "the fuzzer exercised both outcomes (loaded \(loaded), refused \(refused))")
    }
}
