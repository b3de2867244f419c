import Foundation
import Machine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds the benchmark set (`Benchmarks/Firmware`, see its README) once per test process and
/// hands out the ELF paths of its small variants (a few million instructions each; the
/// billion-instruction builds are `scripts/bench.sh`'s).
///
/// Like `FirmwareBuilder`: `make -C Benchmarks/Firmware OUT=<cache> small`, the cache in the
/// temporary directory keyed by the checkout's path, one build per process, a file lock between
/// processes.
public enum BenchmarkFirmware {
    /// The programs of the set, as `Benchmarks/Firmware/Makefile` lists them.
    public static let programs = ["calls", "int64", "bytes", "switch", "recursion", "memory", "interrupts"]

    /// The directory the ELF files are built into.
    public static let outputDirectory: String = {
        let root = TimescopeProcess.packageRoot.path
        return NSTemporaryDirectory()
            + "timescope-benchmark-firmware-\(getuid())-\(hexDigits(Assembler.fnv1a64(root)))"
    }()

    /// The path of the small variant of `name` (`<name>-small.elf`), building the small variants
    /// first if that has not happened in this process yet.
    ///
    /// Throws `ToolMissing` when the cross compiler or make is missing, or a `ProcessFailure`
    /// with make's output when the build fails.
    public static func smallELF(_ name: String) throws -> String {
        for tool in [RequiredTool.make, .crossCompiler] { try tool.check() }
        guard programs.contains(name) else {
            throw ProcessFailure(
                "no benchmark program named '\(name)'; known: \(programs.joined(separator: ", "))")
        }
        try build.get()
        return outputDirectory + "/" + name + "-small.elf"
    }

    /// The one build of this process: make's outcome, computed on first use.
    private static let build: Result<Void, any Error> = Result { try buildSmallVariants() }

    private static func buildSmallVariants() throws {
        try LockedMake.build(
            "Benchmarks/Firmware", into: outputDirectory, targets: ["small"],
            expected: programs.map { "\($0)-small.elf" })
    }
}
