import ArgumentParser
import Foundation
import GDBServer
import Recording

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `timescope gdb`: gdb attached to a recording in one command — the server on a free port,
/// gdb with the recording's embedded ELF (so symbols and source lines are there) connected to
/// it.
struct GDBCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gdb",
        abstract: "Open a recording in gdb, with reverse execution (reverse-stepi, reverse-continue, watch).",
        discussion: """
            Runs gdb-multiarch (else riscv64-unknown-elf-gdb, or the gdb given with --gdb) on the \
            recording's embedded firmware, attached to a Timescope server at the end of the \
            recording. Arguments after -- go to gdb (-batch -ex 'bt'…).
            """
    )

    @Argument(
        help: ArgumentHelp("The recording (a path, or the name of a kept session).", valueName: "rec.tsr"))
    var recording: String
    @Option(
        help: ArgumentHelp(
            "The gdb to run (default: gdb-multiarch, else riscv64-unknown-elf-gdb).", valueName: "path"))
    var gdb: String?
    @Option(
        help: ArgumentHelp(
            "Where the target starts: a step, start, end or P%, ± N (default: end).", valueName: "when"),
        transform: When.init(parsing:))
    var at: When?
    @Argument(parsing: .postTerminator, help: "Arguments for gdb.") var gdbArguments: [String] = []

    /// The gdbs tried in order when --gdb is not given.
    static let candidates = ["gdb-multiarch", "riscv64-unknown-elf-gdb", "riscv32-unknown-elf-gdb"]

    func run() throws {
        let path = SessionDirectory.recording(named: recording)
        let timeline = try Timeline(path: path)
        let start = try at?.step(in: timeline, option: "--at", relativeTo: nil)
        guard let executable = findGDB() else {
            Timescope.fail(
                gdb.map { "no executable gdb at \($0)" }
                    ?? "no gdb with RISC-V support found (\(Self.candidates.joined(separator: ", "))): "
                    + "install gdb-multiarch (apt-get install gdb-multiarch) or name one with --gdb")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
            "timescope-gdb-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let firmware = timeline.machine.firmware
        let name = (firmware.name as NSString).lastPathComponent
        let elf = scratch.appendingPathComponent(name.isEmpty ? "firmware.elf" : name)
        try Data(firmware.fileBytes).write(to: elf)
        let listener: RemoteListener
        do {
            listener = try RemoteListener(port: 0)
        } catch {
            Timescope.fail(error.description)
        }
        // gdb reads the registers again after a `monitor seek` moved the target.
        let script = scratch.appendingPathComponent("timescope.gdb")
        try """
        define hookpost-monitor
        maintenance flush register-cache
        end
        target remote 127.0.0.1:\(listener.port)

        """.write(to: script, atomically: true, encoding: .utf8)
        signal(SIGPIPE, SIG_IGN)
        let server = Thread {
            guard let client = listener.accept(),
                let timeline = try? Timeline(path: path),
                let target = try? ReplayTarget(timeline: timeline, at: start)
            else { return }
            RemoteConnection(input: client, output: client, session: RemoteSession(target: target)).serve()
            close(client)
        }
        server.start()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-q", "-x", script.path] + gdbArguments + [elf.path]
        // Ctrl-C belongs to gdb, which sends it to the server over the connection.
        signal(SIGINT, SIG_IGN)
        try process.run()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: scratch)
        throw ExitCode(process.terminationStatus)
    }

    private func findGDB() -> String? {
        if let gdb {
            return gdb.contains("/")
                ? (FileManager.default.isExecutableFile(atPath: gdb) ? gdb : nil) : lookUp(gdb)
        }
        return Self.candidates.lazy.compactMap(lookUp).first
    }

    private func lookUp(_ name: String) -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(
            String.init)
        return directories.lazy.map { $0 + "/" + name }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }
}
