import Foundation

/// A small C firmware built with `-g` into a directory of the test's own, so that tests can
/// change, copy or delete the sources its line tables name: `tiny.c` (a loop, then exit 0
/// through the sifive_test finisher) including `tiny.h` (an inline helper, so the line tables
/// name two files). Compiled with absolute paths: the line tables name the files as
/// `<directory>/tiny.c` and `<directory>/tiny.h`.
///
/// ```swift
/// let scratch = try TemporaryDirectory()
/// let firmware = try TinyCFirmware.build(in: scratch.path)
/// // firmware.elf, firmware.sources == [".../tiny.c", ".../tiny.h"]
/// ```
public struct TinyCFirmware: Sendable {
    /// The ELF file.
    public var elf: String
    /// The absolute paths of its source files, as its line tables name them.
    public var sources: [String]

    /// The C file.
    public static let program = """
        #include "tiny.h"

        /* The stack _start sets up; the loop's running total. */
        unsigned char tiny_stack[1024] __attribute__((aligned(16)));
        volatile unsigned int total;

        int main(void) {
            for (unsigned int i = 0; i < 100; i++) {
                total = add_twice(total, i);
            }
            *(volatile unsigned int *)0x100000 = 0x5555; /* sifive_test: exit 0 */
            for (;;) {
            }
        }

        __attribute__((naked, section(".text.init"))) void _start(void) {
            __asm__ volatile("la sp, tiny_stack + 1024\\n\\tcall main\\n");
        }

        """

    /// The header `tiny.c` includes.
    public static let header = """
        /* Inlined into main: the line tables name this file too. */
        static inline unsigned int add_twice(unsigned int total, unsigned int value) {
            total += value;
            total += value;
            return total;
        }

        """

    /// Writes `tiny.c`, `tiny.h` (`program` and `header` unless given) and a linker script
    /// into `directory` and builds `tiny.elf` there with `riscv64-unknown-elf-gcc -g`. Throws
    /// `ToolMissing` without the cross compiler, a `ProcessFailure` with gcc's output when it
    /// fails.
    public static func build(in directory: String, program: String = program, header: String = header) throws
        -> TinyCFirmware
    {
        try RequiredTool.crossCompiler.check()
        let source = directory + "/tiny.c"
        let headerPath = directory + "/tiny.h"
        let script = directory + "/tiny.ld"
        let elf = directory + "/tiny.elf"
        try program.write(toFile: source, atomically: true, encoding: .utf8)
        try header.write(toFile: headerPath, atomically: true, encoding: .utf8)
        try Assembler.linkerScript.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try runProcess(
            "/usr/bin/env",
            [
                "riscv64-unknown-elf-gcc", "-march=rv32imac", "-mabi=ilp32", "-O1", "-g", "-ffreestanding",
                "-nostdlib", "-nostartfiles", "-static", "-T", script, "-o", elf, source,
            ], timeout: 120)
        guard result.status == 0 else {
            throw ProcessFailure("riscv64-unknown-elf-gcc failed: \(result.stdoutText)\(result.stderr)")
        }
        return TinyCFirmware(elf: elf, sources: [source, headerPath])
    }
}
