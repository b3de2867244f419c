import Foundation

/// A host tool that some tests need (the cross compiler, QEMU, gdb), and the Debian package
/// that provides it.
///
/// A missing tool makes those tests FAIL with the install command, never skip: a machine that
/// silently skips the QEMU comparisons would pass without checking anything. Set
/// `TIMESCOPE_ALLOW_MISSING_TOOLS=1` to let them pass with a note on stderr instead (for a
/// quick run on a machine without the tools; CI never sets it).
public struct RequiredTool: Sendable {
    /// The executable's name, looked up on PATH.
    public var name: String
    /// Debian packages that provide it.
    public var packages: [String]

    /// Makes a requirement for `name` from `packages`.
    public init(_ name: String, packages: [String]) {
        self.name = name
        self.packages = packages
    }

    /// The RISC-V cross compiler (and its binutils and C library) that builds the firmware.
    public static let crossCompiler = RequiredTool(
        "riscv64-unknown-elf-gcc",
        packages: ["gcc-riscv64-unknown-elf", "binutils-riscv64-unknown-elf", "picolibc-riscv64-unknown-elf"])
    /// QEMU, the oracle for differential tests.
    public static let qemu = RequiredTool("qemu-system-riscv32", packages: ["qemu-system-misc"])
    /// gdb with RISC-V support, the client of QEMU's gdbstub in lock-step tests.
    public static let gdb = RequiredTool("gdb-multiarch", packages: ["gdb-multiarch"])
    /// Python 3, which `scripts/qemu-lockstep.sh` uses to pick a free TCP port.
    public static let python = RequiredTool("python3", packages: ["python3"])
    /// GNU make, which builds the firmware.
    public static let make = RequiredTool("make", packages: ["make"])

    /// The full path of the tool, or nil when it is not on PATH.
    public var path: String? {
        let directories =
            (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return directories.lazy.filter { !$0.isEmpty }.map { $0 + "/" + name }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The message a test fails with when the tool is missing.
    public var missingMessage: String {
        "\(name) is not installed: install \(packages.joined(separator: " ")) "
            + "(apt-get install \(packages.joined(separator: " "))), "
            + "or set TIMESCOPE_ALLOW_MISSING_TOOLS=1 to skip the tests that need it"
    }

    /// Throws `ToolMissing` when the tool is not installed (whatever the environment says).
    public func check() throws {
        if path == nil { throw ToolMissing(description: missingMessage) }
    }

    /// True when `TIMESCOPE_ALLOW_MISSING_TOOLS=1` is set.
    public static var missingToolsAllowed: Bool {
        ProcessInfo.processInfo.environment["TIMESCOPE_ALLOW_MISSING_TOOLS"] == "1"
    }

    /// Checks that every tool in `tools` is installed.
    ///
    /// Returns true when all are there. When one is missing, throws `ToolMissing` (the test
    /// fails with the install hint), or, with `TIMESCOPE_ALLOW_MISSING_TOOLS=1`, prints a note
    /// to stderr and returns false so the caller can return early.
    public static func require(_ tools: RequiredTool...) throws -> Bool {
        let missing = tools.filter { $0.path == nil }
        guard !missing.isEmpty else { return true }
        let message = missing.map(\.missingMessage).joined(separator: "; ")
        if missingToolsAllowed {
            FileHandle.standardError.write(
                Data("note: skipping a test (TIMESCOPE_ALLOW_MISSING_TOOLS=1): \(message)\n".utf8))
            return false
        }
        throw ToolMissing(description: message)
    }
}

/// A tool a test needs is not installed; the description says what to install.
public struct ToolMissing: Error, CustomStringConvertible, Sendable {
    /// Which tool is missing and the command that installs it.
    public var description: String
}
