import Foundation

/// A fresh, private directory for one test's files, removed with everything in it when the
/// value goes away, at `remove()`, or at the end of `with`. The one way the test targets make
/// scratch space.
///
/// ```swift
/// let scratch = try TemporaryDirectory()
/// defer { scratch.remove() }
/// let recording = scratch.file("run.tsr")      // <tmp>/timescope-test-XXXXXX/run.tsr
/// ```
///
/// Swift may release an object right after its last use, before the end of its scope: a test
/// that only takes paths from the directory keeps it with `defer { scratch.remove() }` (or
/// uses `with`), so that it is not removed while a subprocess still writes there.
///
/// Made with `mkdtemp` under the system's temporary directory: unique, mode 0700, never shared
/// with another test or process.
public final class TemporaryDirectory: @unchecked Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates the directory; `label` goes into its name (`timescope-<label>-XXXXXX`), to tell
    /// leftovers apart.
    public init(_ label: String = "test") throws {
        var template = Array((NSTemporaryDirectory() + "/timescope-\(label)-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }
        }
        guard made != nil else {
            throw ProcessFailure("cannot create a temporary directory: \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .replacingOccurrences(of: "//", with: "/")
    }

    deinit { remove() }

    /// The path of `name` inside the directory (nothing is created).
    public func file(_ name: String) -> String { path + "/" + name }

    /// Removes the directory and everything in it now (deinit does it otherwise).
    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Runs `body` with a fresh directory, removed when `body` returns or throws.
    public static func with<Result>(_ label: String = "test", _ body: (TemporaryDirectory) throws -> Result)
        throws -> Result
    {
        let directory = try TemporaryDirectory(label)
        defer { directory.remove() }
        return try body(directory)
    }
}
