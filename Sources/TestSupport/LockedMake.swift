import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One `make -C DIRECTORY OUT=OUTPUT [TARGET]` of firmware into a cache directory, taking turns
/// with other test processes through a file lock in that directory (`FirmwareBuilder`,
/// `BenchmarkFirmware`).
enum LockedMake {
    /// Runs make in `directory` (relative to the package root) into `output`, then checks that
    /// every file of `expected` (names in `output`) exists.
    static func build(_ directory: String, into output: String, targets: [String] = [], expected: [String])
        throws
    {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let lockPath = output + "/.lock"
        let lock = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard lock >= 0 else { throw ProcessFailure("cannot open \(lockPath): errno \(errno)") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ProcessFailure("cannot lock \(lockPath): errno \(errno)") }
        }
        defer { flock(lock, LOCK_UN) }

        let path = TimescopeProcess.packageRoot.appendingPathComponent(directory).path
        guard let make = RequiredTool.make.path else {
            throw ProcessFailure(RequiredTool.make.missingMessage)
        }
        let arguments = ["-C", path, "OUT=\(output)"] + targets
        let result = try runProcess(make, arguments, timeout: 600)
        guard result.status == 0 else {
            throw ProcessFailure(
                "make \(arguments.joined(separator: " ")) failed with status \(result.status):\n"
                    + result.stdoutText + result.stderr)
        }
        for file in expected where !FileManager.default.fileExists(atPath: "\(output)/\(file)") {
            throw ProcessFailure("make succeeded but \(output)/\(file) is missing")
        }
    }
}
