import Foundation
import Machine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds the project's test firmware (`Firmware/`, see its README) once per test process and
/// hands out the ELF paths.
///
/// The build runs `make -C Firmware OUT=<cache>` where the cache directory lives in the
/// temporary directory and is keyed by the checkout's path, so reruns only rebuild what
/// changed and two checkouts never share objects. Tests in one process share the build through
/// a `static let`; test processes running at the same time take turns through a file lock.
public enum FirmwareBuilder {
    /// The programs `make` builds (Firmware/README.md describes each).
    public static let programs =
        [
            "exerciser", "timer", "echo", "workload", "workload-bench", "semihost", "htif", "resetinfo",
            "misaligned", "traps",
        ] + sourceLevelPrograms.flatMap { ["\($0)-O0", "\($0)-O2"] }

    /// The programs for source-level comparisons with gdb, each built as `NAME-O0` (`-O0 -g`)
    /// and `NAME-O2` (`-O2 -g`).
    public static let sourceLevelPrograms = ["frames", "structs", "irqstack"]

    /// The directory the ELF files are built into.
    public static let outputDirectory: String = {
        let root = TimescopeProcess.packageRoot.path
        let key = Assembler.fnv1a64(root)
        return NSTemporaryDirectory() + "timescope-firmware-\(getuid())-\(hexDigits(key))"
    }()

    /// The path of `Firmware/<name>` built as `<name>.elf`, building every program first if
    /// that has not happened in this process yet.
    ///
    /// Throws `ToolMissing` when the cross compiler or make is missing (the message says which
    /// packages to install), or a `ProcessFailure` with make's output when the build fails.
    public static func elf(_ name: String) throws -> String {
        for tool in [RequiredTool.make, .crossCompiler] { try tool.check() }
        guard programs.contains(name) else {
            throw ProcessFailure(
                "no test firmware named '\(name)'; known: \(programs.joined(separator: ", "))")
        }
        try build.get()
        return outputDirectory + "/" + name + ".elf"
    }

    /// The one build of this process: make's outcome, computed on first use.
    private static let build: Result<Void, any Error> = Result { try buildAll() }

    private static func buildAll() throws {
        try LockedMake.build(
            "Firmware", into: outputDirectory, targets: [], expected: programs.map { "\($0).elf" })
    }
}
