import Foundation
import Machine
import Testing

/// Encodings checked by hand against the RISC-V spec encoding tables and objdump's spelling.
@Suite("Disassembler")
struct DisassemblerTests {
    struct Example: Sendable, CustomTestStringConvertible {
        let bits: UInt32
        var pc: UInt32 = 0x8000_0000
        let text: String
        var length = 4

        var testDescription: String { "0x" + String(bits, radix: 16) + " → " + text }
    }

    static let examples: [Example] = [
        Example(bits: 0x0000_0013, text: "nop"),
        Example(bits: 0x8082, text: "ret", length: 2),
        Example(bits: 0x0000_8067, text: "ret"),
        Example(bits: 0x0000_0073, text: "ecall"),
        Example(bits: 0x0010_0073, text: "ebreak"),
        Example(bits: 0x9002, text: "ebreak", length: 2),
        Example(bits: 0x3020_0073, text: "mret"),
        Example(bits: 0x1050_0073, text: "wfi"),
        Example(bits: 0x0ff0_000f, text: "fence"),
        Example(bits: 0x0330_000f, text: "fence rw,rw"),
        Example(bits: 0x0000_100f, text: "fence.i"),
        Example(bits: 0xffc5_8513, text: "addi a0,a1,-4"),
        Example(bits: 0x00a0_0513, text: "li a0,10"),
        Example(bits: 0x0005_8513, text: "mv a0,a1"),
        Example(bits: 0xfff5_4513, text: "not a0,a0"),
        Example(bits: 0x40a0_0533, text: "neg a0,a0"),
        Example(bits: 0x0015_3513, text: "seqz a0,a0"),
        Example(bits: 0x00a0_3533, text: "snez a0,a0"),
        Example(bits: 0x8000_0537, text: "lui a0,0x80000"),
        Example(bits: 0x4501, text: "li a0,0", length: 2),
        Example(bits: 0x852e, text: "mv a0,a1", length: 2),
        Example(bits: 0x1141, text: "addi sp,sp,-16", length: 2),  // c.addi
        Example(bits: 0x717d, text: "addi sp,sp,-16", length: 2),  // c.addi16sp
        Example(bits: 0x0015, text: "c.nop 5", length: 2),  // HINT
        Example(bits: 0x3000_22f3, text: "csrr t0,mstatus"),
        Example(bits: 0x3052_9073, text: "csrw mtvec,t0"),
        Example(bits: 0x3004_6073, text: "csrsi mstatus,8"),
        Example(bits: 0x7c00_2573, text: "csrr a0,0x7c0"),
        Example(bits: 0xc000_2573, text: "rdcycle a0"),
        Example(bits: 0x1005_25af, text: "lr.w a1,(a0)"),
        Example(bits: 0x0c65_25af, text: "amoswap.w.aq a1,t1,(a0)"),
        Example(bits: 0x0100_006f, text: "j 80000010"),
        Example(bits: 0x8000_00ef, pc: 0x8010_0000, text: "jal 80000000"),
        Example(bits: 0xfe05_0ee3, text: "beqz a0,7ffffffc"),
        Example(bits: 0xc000_1073, text: "unimp"),
        Example(bits: 0x0000, text: "unimp", length: 2),
        Example(bits: 0x0000_000b, text: ".4byte 0xb"),
        Example(bits: 0x6000, text: ".2byte 0x6000", length: 2),  // c.flw: no F extension
    ]

    @Test(arguments: examples)
    func knownEncodingReadsAsObjdumpPrintsIt(_ example: Example) {
        let instruction = Disassembler.disassemble(example.bits, at: example.pc)
        #expect(instruction.text == example.text)
        #expect(instruction.length == example.length)
    }

    @Test func branchTargetIsFollowedByTheSymbolTheCallerNames() {
        let instruction = Disassembler.disassemble(0x0100_006f, at: 0x8000_0000) { address in
            address == 0x8000_0010 ? "main+0x10" : nil
        }
        #expect(
            instruction == DisassembledInstruction(length: 4, mnemonic: "j", operands: "80000010 <main+0x10>")
        )
        #expect(instruction.text == "j 80000010 <main+0x10>")
    }

    @Test func compressedInstructionIgnoresTheUpperHalfword() {
        #expect(Disassembler.disassemble(0xdead_4501, at: 0).text == "li a0,0")
    }

    @Test func everyHalfwordDecodes() {
        var malformed: [UInt32] = []
        for value in UInt32(0)...0xffff {
            let instruction = Disassembler.disassemble(value, at: 0x8000_0000)
            let expectedLength = value & 0b11 == 0b11 ? 4 : 2
            if instruction.length != expectedLength || instruction.mnemonic.isEmpty {
                malformed.append(value)
            }
        }
        #expect(
            malformed.isEmpty,
            "first malformed halfword: \(malformed.first.map { String($0, radix: 16) } ?? "")")
    }
}

// MARK: - Comparison with objdump

/// Compares the disassembler with `riscv64-unknown-elf-objdump -d` line by line.
///
/// These tests need Debian's RISC-V cross binutils (`binutils-riscv64-unknown-elf`). Without them
/// they fail, unless TIMESCOPE_ALLOW_MISSING_TOOLS=1 is set, in which case they are skipped.
@Suite(
    "Disassembler against objdump",
    .enabled(
        if: ObjdumpOracle.Toolchain.isAvailableOrRequired,
        "riscv64-unknown-elf binutils are missing and TIMESCOPE_ALLOW_MISSING_TOOLS=1"))
struct DisassemblerObjdumpTests {
    static let fixture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/disassembler-coverage.asm")

    @Test func coverageFixtureMatchesObjdumpLineByLine() throws {
        let toolchain = try ObjdumpOracle.Toolchain.required()
        let listing = try toolchain.disassemble(assemblySource: Self.fixture, linkedAt: 0x8000_0000)
        let symbols = listing.symbols
        let mismatches = listing.instructions.compactMap { line in
            line.mismatch(
                Disassembler.disassemble(line.bits, at: line.address) { symbols.name(for: $0) },
                keepingSymbols: true)
        }
        #expect(listing.instructions.count >= 390, "objdump listed too few instructions:\n\(listing.raw)")
        report(mismatches, outOf: listing.instructions.count)
    }

    @Test func everyCompressedEncodingMatchesObjdump() throws {
        let toolchain = try ObjdumpOracle.Toolchain.required()
        let halfwords = (UInt32(0)...0xffff).filter { $0 & 0b11 != 0b11 }
        let listing = try toolchain.disassemble(rawInstructions: halfwords, length: 2)
        let mismatches = listing.instructions.compactMap { line in
            line.mismatch(Disassembler.disassemble(line.bits, at: line.address), keepingSymbols: false)
        }
        #expect(listing.instructions.count == halfwords.count)
        report(mismatches, outOf: listing.instructions.count)
    }

    @Test func sampledStandardEncodingsMatchObjdump() throws {
        let toolchain = try ObjdumpOracle.Toolchain.required()
        let words = ObjdumpOracle.StandardEncodingSample.words()
        let listing = try toolchain.disassemble(rawInstructions: words, length: 4)
        let mismatches = listing.instructions.compactMap { line in
            line.mismatch(Disassembler.disassemble(line.bits, at: line.address), keepingSymbols: false)
        }
        #expect(listing.instructions.count == words.count)
        report(mismatches, outOf: listing.instructions.count)
    }

    private func report(
        _ mismatches: [String], outOf total: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for mismatch in mismatches.prefix(30) {
            Issue.record(Comment(rawValue: mismatch), sourceLocation: sourceLocation)
        }
        #expect(
            mismatches.count == 0, "\(mismatches.count) of \(total) objdump lines differ",
            sourceLocation: sourceLocation)
    }
}

/// objdump as a test oracle: the toolchain runner, the listing parser and the encoding sample.
/// A namespace, so these helpers cannot collide with other test files in the module.
enum ObjdumpOracle {
    /// The 32-bit words compared with objdump: every major opcode × funct3 × funct7 with random
    /// registers, the same with register fields biased to 0 / 1 / 31 (where the pseudo-instructions
    /// live) and immediates biased to 0 / ±1 / extremes, every CSR number under every CSR instruction,
    /// and one-bit neighbours of the fixed SYSTEM and MISC-MEM encodings. Deterministic, so a failure
    /// reproduces.
    enum StandardEncodingSample {
        static func words() -> [UInt32] {
            var random = SplitMix64(seed: 0x7155_c09e_d15a_5e11)
            var words: [UInt32] = []
            let opcodes = stride(from: UInt32(0b11), through: 0x7f, by: 4).filter { ($0 >> 2) & 0x7 != 0x7 }
            let registerFields: UInt32 = 0x01ff_8f80  // rs2, rs1, rd
            for opcode in opcodes {
                for funct3 in UInt32(0)..<8 {
                    for funct7 in UInt32(0)..<128 {
                        words.append(
                            funct7 << 25 | random.nextWord() & registerFields | funct3 << 12 | opcode)
                        let rs2 = random.pick([0, 1, 0x1f, random.nextWord() & 0x1f])
                        let rs1 = random.pick([0, 1, random.nextWord() & 0x1f])
                        let rd = random.pick([0, 1, random.nextWord() & 0x1f])
                        words.append(funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode)
                        let biasedFunct7 = random.pick([0, 0x7f, 0x40])
                        words.append(
                            biasedFunct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode)
                    }
                }
            }
            // The opcodes whose funct7 picks the instruction get more register-biased samples, so
            // pseudo-instructions (neg, snez, sltz, …) and lr.w (rs2 = 0) turn up for every funct7.
            let dense: [(opcode: UInt32, funct7s: [UInt32], samples: Int)] = [
                (0x33, [0x00, 0x01, 0x20], 32), (0x13, [0x00, 0x20, 0x7f], 32), (0x2f, Array(0..<128), 8),
            ]
            for (opcode, funct7s, samples) in dense {
                for funct3 in UInt32(0)..<8 {
                    for funct7 in funct7s {
                        for _ in 0..<samples {
                            let rs2 = random.pick([0, 1, 0x1f, random.nextWord() & 0x1f])
                            let rs1 = random.pick([0, 1, random.nextWord() & 0x1f])
                            let rd = random.pick([0, 1, random.nextWord() & 0x1f])
                            words.append(
                                funct7 << 25 | rs2 << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode)
                        }
                    }
                }
            }
            for csr in UInt32(0)..<4096 {
                for funct3 in [1, 2, 3, 5, 6, 7] as [UInt32] {
                    let rs1 = random.pick([0, random.nextWord() & 0x1f])
                    let rd = random.pick([0, random.nextWord() & 0x1f])
                    words.append(csr << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | 0x73)
                }
            }
            let fixedEncodings: [UInt32] = [
                0x0000_0073, 0x0010_0073, 0x0020_0073, 0x1020_0073, 0x2020_0073, 0x3020_0073,
                0x7b20_0073, 0x1050_0073, 0x1040_0073, 0x1200_0073, 0x0ff0_000f, 0x8330_000f,
                0x0000_100f, 0xc000_1073, 0x0000_0013, 0x0000_8067,
            ]
            for encoding in fixedEncodings {
                words.append(encoding)
                for bit in UInt32(2)..<32 { words.append(encoding ^ (1 << bit)) }
            }
            return words.filter { $0 & 0b11 == 0b11 && ($0 >> 2) & 0x7 != 0x7 }
        }
    }

    /// Steele, Lea and Flood's SplitMix64: a tiny seeded generator, so samples are reproducible.
    struct SplitMix64 {
        private var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
            return z ^ (z >> 31)
        }

        mutating func nextWord() -> UInt32 { UInt32(truncatingIfNeeded: next() >> 32) }

        mutating func pick(_ choices: [UInt32]) -> UInt32 {
            choices[Int(next() % UInt64(choices.count))]
        }
    }

    /// One instruction line of an objdump listing: `80000024:\tffc58513          \taddi\ta0,a1,-4`.
    struct ListedInstruction {
        let address: UInt32
        let bits: UInt32
        let length: Int
        let mnemonic: String
        /// The operands with objdump's trailing `# …` address comment removed (the disassembler
        /// decodes one instruction at a time and cannot know what an earlier auipc or lui loaded).
        let operands: String
        let source: String

        /// Parses an instruction line; nil for headers, blank lines and `...` gaps.
        init?(_ line: Substring) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, fields[0].hasSuffix(":"),
                let address = UInt32(fields[0].dropLast().trimmingCharacters(in: .whitespaces), radix: 16)
            else { return nil }
            let hexDigits = fields[1].filter { !$0.isWhitespace }
            guard hexDigits.count == 4 || hexDigits.count == 8, let bits = UInt32(hexDigits, radix: 16) else {
                return nil
            }
            var operands = fields.count > 3 ? fields[3...].joined(separator: "\t") : ""
            if let comment = operands.range(of: "#") { operands = String(operands[..<comment.lowerBound]) }
            self.address = address
            self.bits = bits
            self.length = hexDigits.count / 2
            self.mnemonic = fields[2].trimmingCharacters(in: .whitespaces)
            self.operands = operands.trimmingCharacters(in: .whitespaces)
            self.source = String(line)
        }

        /// Describes how `instruction` differs from this line, or nil when it reads the same.
        ///
        /// - Parameter keepingSymbols: compare objdump's `<symbol+offset>` after targets; otherwise
        ///   the part from ` <` on is dropped (used for objects that have no meaningful symbols).
        func mismatch(_ instruction: DisassembledInstruction, keepingSymbols: Bool) -> String? {
            var expectedOperands = operands
            if !keepingSymbols, let symbol = expectedOperands.range(of: " <") {
                expectedOperands = String(expectedOperands[..<symbol.lowerBound])
            }
            let expectedMnemonic = Self.canonicalMnemonic(mnemonic, operands: expectedOperands)
            if instruction.mnemonic == expectedMnemonic && instruction.operands == expectedOperands
                && instruction.length == length
            {
                return nil
            }
            let expected =
                expectedOperands.isEmpty ? expectedMnemonic : expectedMnemonic + " " + expectedOperands
            return source + "\n  expected: \(expected) (\(length) bytes)"
                + "\n  actual:   \(instruction.text) (\(instruction.length) bytes)"
        }

        /// Undoes binutils 2.40's habit of printing an immediate instruction under its register-form
        /// alias: `add a0,a1,-4` for addi, `sll a0,a1,0x3` for slli, `csrw mstatus,8` for csrwi,
        /// `csrrs a0,mstatus,8` for csrrsi. The disassembler prints the spec's `i` mnemonic instead,
        /// as earlier binutils releases print them; everything else on the line must match exactly.
        static func canonicalMnemonic(_ mnemonic: String, operands: String) -> String {
            let aliasesWithImmediateForms: Set<String> = [
                "add", "and", "or", "xor", "sll", "srl", "sra",
                "csrw", "csrs", "csrc", "csrrw", "csrrs", "csrrc",
            ]
            guard aliasesWithImmediateForms.contains(mnemonic),
                let last = operands.split(separator: ",").last?.first,
                last.isNumber || last == "-"
            else { return mnemonic }
            return mnemonic + "i"
        }
    }

    /// The symbols objdump printed as `80000020 <immediates>:` headers, used to name targets the
    /// way objdump does: the closest symbol at or below the address, plus a hex offset.
    struct SymbolTable {
        private var symbols: [(address: UInt32, name: String)] = []

        mutating func add(headerLine line: Substring) {
            guard line.hasSuffix(">:"), let open = line.firstIndex(of: "<"),
                let address = UInt32(line[..<open].trimmingCharacters(in: .whitespaces), radix: 16)
            else { return }
            let name = line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)]
            symbols.append((address, String(name)))
        }

        func name(for address: UInt32) -> String? {
            guard let symbol = symbols.filter({ $0.address <= address }).max(by: { $0.address < $1.address })
            else {
                return nil
            }
            let offset = address - symbol.address
            return offset == 0 ? symbol.name : symbol.name + "+0x" + String(offset, radix: 16)
        }
    }

    struct Listing {
        let raw: String
        var instructions: [ListedInstruction] = []
        var symbols = SymbolTable()

        init(_ raw: String) {
            self.raw = raw
            for line in raw.split(separator: "\n") {
                if let instruction = ListedInstruction(line) {
                    instructions.append(instruction)
                } else if line.first?.isHexDigit == true {
                    symbols.add(headerLine: line)
                }
            }
        }
    }

    /// Debian's `riscv64-unknown-elf` binutils, found on PATH.
    struct Toolchain {
        static let allowMissingVariable = "TIMESCOPE_ALLOW_MISSING_TOOLS"
        static let assemblerArguments = ["-march=rv32imac_zicsr_zifencei", "-mabi=ilp32"]

        let assembler: URL
        let linker: URL
        let objdump: URL

        /// The toolchain on PATH, or nil if any of its tools is missing.
        static let onPath: Toolchain? = {
            guard let assembler = executable(named: "riscv64-unknown-elf-as"),
                let linker = executable(named: "riscv64-unknown-elf-ld"),
                let objdump = executable(named: "riscv64-unknown-elf-objdump")
            else { return nil }
            return Toolchain(assembler: assembler, linker: linker, objdump: objdump)
        }()

        /// False only when the tools are missing and the environment says that is acceptable.
        static var isAvailableOrRequired: Bool {
            onPath != nil || ProcessInfo.processInfo.environment[allowMissingVariable] != "1"
        }

        static func required() throws -> Toolchain {
            guard let toolchain = onPath else {
                throw ToolchainError(
                    description: """
                        riscv64-unknown-elf-as, -ld and -objdump must be on PATH to compare the disassembler \
                        with objdump. Install them (Debian/Ubuntu: apt-get install binutils-riscv64-unknown-elf) \
                        or set \(allowMissingVariable)=1 to skip these tests.
                        """)
            }
            return toolchain
        }

        private static func executable(named name: String) -> URL? {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for directory in path.split(separator: ":") {
                let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            return nil
        }

        /// Assembles and links `source` with `.text` at `address`, and returns `objdump -d` of the image.
        func disassemble(assemblySource source: URL, linkedAt address: UInt32) throws -> Listing {
            try withScratchDirectory { directory in
                let object = directory.appendingPathComponent("fixture.o")
                let image = directory.appendingPathComponent("fixture.elf")
                try run(assembler, Self.assemblerArguments + ["-o", object.path, source.path])
                try run(
                    linker,
                    [
                        "-m", "elf32lriscv", "--no-relax", "-e", "_start",
                        "-Ttext=0x" + String(address, radix: 16), "-o", image.path, object.path,
                    ])
                return Listing(try run(objdump, ["-d", image.path]))
            }
        }

        /// Assembles `encodings` as `.insn` directives at address 0 and returns `objdump -d -z` of the
        /// object (`-z` so zero encodings are listed, not elided).
        func disassemble(rawInstructions encodings: [UInt32], length: Int) throws -> Listing {
            // Name the privileged spec gas 2.40 writes by default for firmware that uses CSRs; without
            // it objdump would pick the newest spec's CSR names for this object.
            var source = ".attribute priv_spec, 1\n.attribute priv_spec_minor, 11\n.text\n"
            source.reserveCapacity(encodings.count * 20)
            for encoding in encodings {
                source += ".insn " + String(length) + ", 0x" + String(encoding, radix: 16) + "\n"
            }
            return try withScratchDirectory { directory in
                let assembly = directory.appendingPathComponent("encodings.S")
                let object = directory.appendingPathComponent("encodings.o")
                try source.write(to: assembly, atomically: false, encoding: .utf8)
                try run(assembler, Self.assemblerArguments + ["-o", object.path, assembly.path])
                return Listing(try run(objdump, ["-d", "-z", object.path]))
            }
        }

        private func withScratchDirectory<Result>(_ body: (URL) throws -> Result) throws -> Result {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("timescope-disassembler-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try body(directory)
        }

        /// Runs `tool` and returns its standard output; throws with its standard error if it fails.
        /// Output goes through files, not pipes, so a chatty tool cannot fill a pipe and stall.
        @discardableResult
        private func run(_ tool: URL, _ arguments: [String]) throws -> String {
            let directory = FileManager.default.temporaryDirectory
            let outputURL = directory.appendingPathComponent("timescope-\(UUID().uuidString).out")
            let errorURL = directory.appendingPathComponent("timescope-\(UUID().uuidString).err")
            guard FileManager.default.createFile(atPath: outputURL.path, contents: nil),
                FileManager.default.createFile(atPath: errorURL.path, contents: nil)
            else {
                throw ToolchainError(description: "cannot create output files in \(directory.path)")
            }
            defer {
                try? FileManager.default.removeItem(at: outputURL)
                try? FileManager.default.removeItem(at: errorURL)
            }
            let output = try FileHandle(forWritingTo: outputURL)
            let errors = try FileHandle(forWritingTo: errorURL)
            let process = Process()
            process.executableURL = tool
            process.arguments = arguments
            process.standardOutput = output
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            try output.close()
            try errors.close()
            let stdout = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
            guard process.terminationStatus == 0 else {
                let stderr = String(decoding: try Data(contentsOf: errorURL), as: UTF8.self)
                throw ToolchainError(
                    description: "\(tool.lastPathComponent) \(arguments.joined(separator: " ")) failed "
                        + "(exit \(process.terminationStatus)):\n\(stderr)")
            }
            return stdout
        }
    }

    struct ToolchainError: Error, CustomStringConvertible {
        let description: String
    }
}
