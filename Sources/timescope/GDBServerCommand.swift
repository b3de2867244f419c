import ArgumentParser
import Foundation
import GDBServer
import Recording

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `timescope gdbserver`: serves a recording to gdb or an IDE over the remote serial protocol,
/// with reverse execution.
struct GDBServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gdbserver",
        abstract: "Serve a recording to gdb or an IDE (gdb's remote protocol, with reverse execution).",
        discussion: """
            In gdb: target remote localhost:PORT (or: target remote | timescope gdbserver REC --stdio). \
            The target starts at the end of the recording (--at moves it). reverse-stepi, \
            reverse-continue, watch and break work as on a live target; `monitor help` lists \
            the recording's own commands (when, seek WHEN, info). One client at a time; after \
            one detaches, the next may connect.
            """
    )

    @Argument(
        help: ArgumentHelp("The recording (a path, or the name of a kept session).", valueName: "rec.tsr"))
    var recording: String
    @Option(help: "The TCP port to listen on (0: any free port, printed).") var port: UInt16 = 0
    @Option(help: ArgumentHelp("The IPv4 address to listen on.", valueName: "address")) var listen =
        "127.0.0.1"
    @Flag(help: "Serve one gdb on standard input and output instead of TCP.") var stdio = false
    @Option(
        help: ArgumentHelp(
            "Where the target starts: a step, start, end or P%, ± N (default: end).", valueName: "when"),
        transform: When.init(parsing:))
    var at: When?

    func run() throws {
        let path = SessionDirectory.recording(named: recording)
        let timeline = try Timeline(path: path)
        let start = try at?.step(in: timeline, option: "--at", relativeTo: nil)
        signal(SIGPIPE, SIG_IGN)
        if stdio {
            let session = RemoteSession(target: try ReplayTarget(timeline: timeline, at: start))
            RemoteConnection(input: STDIN_FILENO, output: STDOUT_FILENO, session: session).serve()
            return
        }
        let listener: RemoteListener
        do {
            listener = try RemoteListener(address: listen == "localhost" ? "127.0.0.1" : listen, port: port)
        } catch {
            Timescope.fail(error.description)
        }
        FileHandle.standardError.write(
            Data(
                "timescope: serving \(path) on \(listen):\(listener.port); in gdb: target remote \(listen == "0.0.0.0" ? "localhost" : listen):\(listener.port)\n"
                    .utf8))
        while let client = listener.accept() {
            let session = RemoteSession(target: try ReplayTarget(timeline: timeline, at: start))
            RemoteConnection(input: client, output: client, session: session).serve()
            close(client)
            if session.isKilled { return }
        }
    }
}
