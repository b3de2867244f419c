import Foundation
import Machine

/// Assembles RISC-V source text with the installed cross binutils and links it at 0x8000_0000,
/// so that tests run real machine code produced by an independent tool.
///
/// Layout (see `linkerScript`): `.text` at 0x8000_0000, then `.data`/`.bss` on their own 4 KiB
/// page, then `.tohost` on a page of its own. Builds are cached in a temporary directory keyed
/// by a hash of the source and the tool flags, so a rerun does not invoke the tools again.
///
/// When the toolchain is missing, every entry point throws `Assembler.Failure` with the
/// packages to install: tests that need machine code then fail, they never pass or skip.
public enum Assembler {
    /// Why an assembly could not be produced.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// What went wrong, with the tool's output and the numbered source when it failed.
        public var description: String
        /// Wraps a message.
        public init(_ description: String) { self.description = description }
    }

    /// `-march` used for assembling: everything the emulated hart implements.
    public static let architecture = "rv32imac_zicsr_zifencei"
    /// Tool name prefix of the Debian cross toolchain.
    public static let toolPrefix = "riscv64-unknown-elf-"
    static let installHint =
        "install gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf "
        + "(apt-get install gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf)"

    /// The linker script every test program is linked with.
    public static let linkerScript = """
        OUTPUT_ARCH(riscv)
        ENTRY(_start)
        SECTIONS
        {
          . = 0x80000000;
          .text : { *(.text.init) *(.text .text.*) }
          . = ALIGN(4096);
          .data : { *(.rodata .rodata.*) *(.data .data.*) *(.sdata .sdata.*) }
          .bss : { *(.sbss .sbss.*) *(.bss .bss.*) *(COMMON) }
          . = ALIGN(4096);
          .tohost : { *(.tohost) }
          _end = .;
        }
        """

    /// Assembles and links `source` and returns the path of the ELF executable.
    /// `_start` is the entry point; a source without a `_start` label gets one at its first
    /// instruction (the code is placed in `.text` unless the source says otherwise).
    public static func elf(_ source: String) throws -> String {
        let text = normalized(source)
        let key = fnv1a64(text + "\u{0}" + architecture + "\u{0}" + linkerScript)
        let directory = try cacheDirectory()
        let elfPath = directory + "/" + hexDigits(key) + ".elf"
        if FileManager.default.fileExists(atPath: elfPath) { return elfPath }

        let assembler = try tool("as")
        let linker = try tool("ld")
        // Unique scratch names: tests run in parallel and may build the same source at once.
        let scratch = directory + "/" + UUID().uuidString
        let sourcePath = scratch + ".S"
        let objectPath = scratch + ".o"
        let scriptPath = scratch + ".ld"
        let linkedPath = scratch + ".elf"
        defer {
            for path in [sourcePath, objectPath, scriptPath, linkedPath] {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        try text.write(toFile: sourcePath, atomically: true, encoding: .utf8)
        try linkerScript.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        try run(
            assembler, ["-march=\(architecture)", "-mabi=ilp32", "-o", objectPath, sourcePath], source: text)
        try run(
            linker, ["-m", "elf32lriscv", "-N", "-T", scriptPath, "-o", linkedPath, objectPath], source: text)
        // Publish atomically; a concurrent build of the same source produces the same bytes.
        if rename(linkedPath, elfPath) != 0 && !FileManager.default.fileExists(atPath: elfPath) {
            throw Failure("cannot move \(linkedPath) to \(elfPath): errno \(errno)")
        }
        return elfPath
    }

    /// Assembles `source` and loads the result with `Firmware.load(contentsOf:)`.
    public static func firmware(_ source: String) throws -> Firmware {
        try Firmware.load(contentsOf: elf(source))
    }

    /// The bytes of the ELF file built from `source`.
    public static func elfBytes(_ source: String) throws -> [UInt8] {
        let path = try elf(source)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure("cannot read \(path)")
        }
        return [UInt8](data)
    }

    // MARK: Internals

    static func normalized(_ source: String) -> String {
        var text = source
        if !text.contains("_start") {
            text = "    .section .text.init, \"ax\"\n    .globl _start\n_start:\n" + text
        }
        if !text.hasSuffix("\n") { text += "\n" }
        return text
    }

    /// Finds `riscv64-unknown-elf-<name>` on PATH (and in /usr/bin, /usr/local/bin).
    static func tool(_ name: String) throws -> String {
        let file = toolPrefix + name
        var directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(
            String.init)
        directories += ["/usr/bin", "/usr/local/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + file
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw Failure("the RISC-V cross toolchain is missing (\(file) is not on PATH): \(installHint)")
    }

    static func cacheDirectory() throws -> String {
        let directory = NSTemporaryDirectory() + "timescope-test-asm-\(getuid())"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure("cannot create the assembler cache \(directory): \(error)")
        }
        return directory
    }

    static func run(_ executable: String, _ arguments: [String], source: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try process.run()
        } catch {
            throw Failure("cannot run \(executable): \(error). \(installHint)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let numbered = source.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .map { String(format: "%4d  ", $0.offset + 1) + $0.element }.joined(separator: "\n")
            throw Failure(
                "\((executable as NSString).lastPathComponent) failed (status \(process.terminationStatus)):\n"
                    + String(decoding: output, as: UTF8.self) + "\nsource:\n" + numbered)
        }
    }

    /// FNV-1a, 64 bits: a stable cache key (Swift's `Hasher` is seeded per process).
    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01B3
        }
        return hash
    }
}
