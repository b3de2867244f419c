import Foundation

/// What a finished subprocess left behind.
public struct ProcessResult: Sendable {
    /// The exit status (for a process killed by a signal: 128 + the signal number).
    public var status: Int32
    /// Everything the process wrote to its standard output, byte for byte.
    public var stdout: [UInt8]
    /// Everything the process wrote to its standard error, decoded as UTF-8.
    public var stderr: String

    /// Standard output decoded as UTF-8 (for messages; compare `stdout` for exact bytes).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// The non-empty lines of standard error.
    public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

extension ProcessResult: CustomStringConvertible {
    /// Status, standard error and the start of standard output, for failure messages.
    public var description: String {
        "status \(status), stderr: \(stderr.debugDescription), stdout: \(String(stdoutText.prefix(300)).debugDescription)"
    }
}

/// Why a subprocess could not be run to its end.
public struct ProcessFailure: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do about it.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}

/// Runs `executable` with `arguments`, feeds it `stdin` (nil: /dev/null) and waits for it.
///
/// Standard output and error go to temporary files rather than pipes, so a chatty process can
/// never block on a full pipe while we wait for it. A process still running after `timeout`
/// seconds is killed and reported as a failure, so a hanging firmware fails its test instead
/// of hanging the suite.
public func runProcess(
    _ executable: String, _ arguments: [String], stdin: [UInt8]? = nil,
    environment: [String: String]? = nil, timeout: TimeInterval = 120
) throws -> ProcessResult {
    let scratch = try TemporaryDirectory("process")
    defer { scratch.remove() }
    let outURL = URL(fileURLWithPath: scratch.file("stdout"))
    let errURL = URL(fileURLWithPath: scratch.file("stderr"))
    let inURL = URL(fileURLWithPath: scratch.file("stdin"))
    for (url, bytes) in [(outURL, []), (errURL, []), (inURL, stdin ?? [])] {
        try Data(bytes).write(to: url)
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    let inHandle = stdin == nil ? FileHandle.nullDevice : try FileHandle(forReadingFrom: inURL)
    defer {
        try? outHandle.close()
        try? errHandle.close()
        if stdin != nil { try? inHandle.close() }
    }
    process.standardOutput = outHandle
    process.standardError = errHandle
    process.standardInput = inHandle
    do {
        try process.run()
    } catch {
        throw ProcessFailure("cannot start \(executable): \(error.localizedDescription)")
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline {
            // SIGKILL, to the process and everything it started (gdb under `timescope gdb`):
            // a SIGTERM can be ignored, and a child left running keeps the wait below waiting.
            killTree(process.processIdentifier)
            process.waitUntilExit()
            throw ProcessFailure(
                "\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; killed"
            )
        }
        usleep(5_000)
    }
    process.waitUntilExit()
    let status =
        process.terminationReason == .uncaughtSignal
        ? 128 + process.terminationStatus : process.terminationStatus
    let out = (try? Data(contentsOf: outURL)) ?? Data()
    let err = (try? Data(contentsOf: errURL)) ?? Data()
    return ProcessResult(status: status, stdout: [UInt8](out), stderr: String(decoding: err, as: UTF8.self))
}

/// Sends SIGKILL to `pid` and to every process descended from it (found through /proc).
func killTree(_ pid: pid_t) {
    var parents: [pid_t: pid_t] = [:]
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in entries {
        guard let child = pid_t(entry),
            let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { continue }
        // After "pid (name) ": the state, then the parent's pid.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        if fields.count > 1, let parent = pid_t(fields[1]) { parents[child] = parent }
    }
    var doomed = [pid]
    var index = 0
    while index < doomed.count {
        let current = doomed[index]
        doomed += parents.filter { $0.value == current }.map(\.key)
        index += 1
    }
    for victim in doomed { kill(victim, SIGKILL) }
}

/// Finds and runs the built `timescope` executable, the way a user runs it.
public enum TimescopeProcess {
    /// The root of the Swift package (the directory holding `Package.swift`), found from this
    /// source file's location: tests always run from a source checkout.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // TestSupport
        .deletingLastPathComponent()  // Sources
        .deletingLastPathComponent()

    /// Path of the `timescope` binary under test.
    ///
    /// Looked up in this order: `$TIMESCOPE_BINARY`; next to the running test executable
    /// (SwiftPM puts the test bundle and the products of one build in the same directory, so
    /// this is the binary `swift test` just built, debug or release); then
    /// `<package>/.build/debug/timescope`.
    public static func binaryPath() throws -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["TIMESCOPE_BINARY"], !override.isEmpty {
            candidates.append(override)
        }
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var directory = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        // Linux: .build/<triple>/debug/Foo.xctest is the executable itself. macOS:
        // .build/debug/Foo.xctest/Contents/MacOS/Foo, three levels below the products.
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("timescope").path)
            directory.deleteLastPathComponent()
        }
        candidates.append(packageRoot.appendingPathComponent(".build/debug/timescope").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw ProcessFailure(
            "the timescope binary was not found (looked in: \(candidates.joined(separator: ", "))); "
                + "build it with `swift build` or point TIMESCOPE_BINARY at it")
    }

    /// Runs `timescope` with `arguments` (e.g. `["run", "fw.elf"]`), feeding `stdin`, in this
    /// process's environment with `environment` set on top. `XDG_DATA_HOME` points into
    /// `dataHome` unless `environment` sets it: a test never keeps sessions in the real home.
    public static func run(
        _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
        timeout: TimeInterval = 120
    ) throws -> ProcessResult {
        try runProcess(
            binaryPath(), arguments, stdin: stdin, environment: Self.environment(environment),
            timeout: timeout)
    }

    /// The environment a test runs `timescope` in: this process's, `XDG_DATA_HOME` set to
    /// `dataHome`, then `overrides`.
    public static func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_DATA_HOME"] = dataHome
        environment.merge(overrides) { _, override in override }
        return environment
    }

    /// The `XDG_DATA_HOME` of every `timescope` a test starts without its own: a directory of
    /// this test process, removed when it exits. Where it cannot be made, a path that does not
    /// exist under /nonexistent, so that keeping a session fails instead of reaching the home.
    public static let dataHome: String = {
        guard let directory = try? TemporaryDirectory("data-home") else {
            return "/nonexistent/timescope-test-data-home"
        }
        dataHomeDirectory = directory
        atexit { TimescopeProcess.dataHomeDirectory?.remove() }
        return directory.path
    }()

    nonisolated(unsafe) private static var dataHomeDirectory: TemporaryDirectory?
}
