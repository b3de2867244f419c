import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// gdb's view of a firmware's source-level state — frames, arguments, locals, expressions — at
/// chosen points of a run on QEMU: the oracle for `timescope state --frames/--eval`.
///
/// One call starts `qemu-system-riscv32 -M virt` halted (`-S`, the machine options of
/// `scripts/qemu-run.sh`, so that the run is the one the other QEMU tests compare) with its
/// gdbstub on a Unix socket, and `gdb-multiarch -nx -batch` running `scripts/gdb-frames.py`,
/// which puts a breakpoint on every requested address, runs the firmware once, and at the N-th
/// time each address is about to execute dumps the stop as JSON. gdb stops *before* the
/// instruction at the address runs: `TimescopeStops` maps a stop to the Timescope step whose
/// state is the same. Both processes are killed however the call ends (a timeout included).
///
/// ```swift
/// let run = try GDBOracle.run(elf: elf, at: [GDBStopRequest(address: 0x8000_02f2, hit: 3)],
///                             expressions: ["results[5]", "&results[2]", "$sp"])
/// run.stops[0].frames[0].function   // "descend"
/// ```
public enum GDBOracle {
    static var script: String {
        TimescopeProcess.packageRoot.appendingPathComponent("scripts/gdb-frames.py").path
    }

    /// Runs `elf` on QEMU under gdb and returns the stops that were reached, in the order they
    /// happened (several hits of one address in hit order). Requests the run never reached
    /// (the firmware ended first) are left out; `run(elf:at:expressions:timeout:)` lists them.
    public static func stops(
        elf: String, at requests: [(address: UInt32, hit: Int)], expressions: [String] = [],
        timeout: TimeInterval = 120
    ) throws -> [GDBStop] {
        try run(
            elf: elf, at: requests.map { GDBStopRequest(address: $0.address, hit: $0.hit) },
            expressions: expressions, timeout: timeout
        ).stops
    }

    /// Runs `elf` on QEMU under gdb, stopping at each request, and returns everything: the
    /// stops reached, the requests not reached, how the run ended and the console output.
    ///
    /// A run that goes `stallSeconds` without reaching another requested stop is ended there
    /// (QEMU is killed; the rest is unreached): firmware may never end on QEMU (the crash
    /// demo loops on access faults at mtvec 0), and gdb waits as long as it runs.
    ///
    /// Throws `ToolMissing` when QEMU or gdb-multiarch is missing, and `ProcessFailure` when
    /// QEMU or gdb fails, the script reports an error, or the run takes longer than `timeout`.
    public static func run(
        elf: String, at requests: [GDBStopRequest], expressions: [String] = [], stallSeconds: Double = 5,
        timeout: TimeInterval = 120
    ) throws -> GDBRun {
        for tool in [RequiredTool.qemu, .gdb] { try tool.check() }
        guard FileManager.default.fileExists(atPath: elf) else { throw ProcessFailure("no such ELF: \(elf)") }
        let scratch = try TemporaryDirectory("gdb")
        defer { scratch.remove() }
        let socket = scratch.file("gdb.sock")
        // sun_path holds 108 bytes on Linux, 104 on macOS.
        guard socket.utf8.count < 100 else {
            throw ProcessFailure("the gdbstub socket path is too long for a Unix socket: \(socket)")
        }
        let qemu = try startProcess(
            "qemu-system-riscv32",
            [
                "-M", "virt", "-bios", "none", "-nographic", "-icount", "shift=0,sleep=off",
                "-semihosting-config", "enable=on,target=native,chardev=serial0", "-kernel", elf, "-S",
                "-chardev", "socket,id=gdbstub,path=\(socket),server=on,wait=off", "-gdb", "chardev:gdbstub",
            ], stdout: scratch.file("console"), stderr: scratch.file("qemu.err"))
        defer { stopProcess(qemu) }
        let request = JSONRequest.stops(
            target: socket, stops: requests, expressions: expressions, output: scratch.file("result.json"),
            qemuPID: qemu.processIdentifier, stallSeconds: stallSeconds)
        let result = try runScript(
            request: request, elf: elf, in: scratch, timeout: timeout, alsoWatching: qemu)
        let document = try decode(result, in: scratch)
        if case .string(let message)? = document["error"] {
            throw ProcessFailure("gdb-frames.py: \(message)\n\(logs(scratch))")
        }
        let stops = try (document["stops"]?.elements ?? []).map { try GDBStop(json: $0) }
        let unreached = (document["unreached"]?.elements ?? []).compactMap { item -> GDBStopRequest? in
            guard let address = item["address"]?.unsigned, let hit = item["hit"]?.unsigned else { return nil }
            return GDBStopRequest(address: UInt32(truncatingIfNeeded: address), hit: Int(hit))
        }
        stopProcess(qemu)
        let console = (try? Data(contentsOf: URL(fileURLWithPath: scratch.file("console")))) ?? Data()
        return GDBRun(
            stops: stops, unreached: unreached, ended: document["ended"]?.string, console: [UInt8](console))
    }

    /// The functions of `elf` that have debug information, as gdb sees them (no QEMU needed),
    /// with the addresses a test may stop at: see `GDBFunction`.
    public static func functions(elf: String, timeout: TimeInterval = 60) throws -> [GDBFunction] {
        try RequiredTool.gdb.check()
        let scratch = try TemporaryDirectory("gdb")
        defer { scratch.remove() }
        let request = JSONRequest.discover(output: scratch.file("result.json"))
        let result = try runScript(
            request: request, elf: elf, in: scratch, timeout: timeout, alsoWatching: nil)
        let document = try decode(result, in: scratch)
        return try (document["functions"]?.elements ?? []).map { try GDBFunction(json: $0) }
    }

    // MARK: Running gdb

    private enum JSONRequest {
        case stops(
            target: String, stops: [GDBStopRequest], expressions: [String], output: String, qemuPID: Int32,
            stallSeconds: Double)
        case discover(output: String)

        var output: String {
            switch self {
            case .stops(_, _, _, let output, _, _), .discover(let output): output
            }
        }

        var text: String {
            switch self {
            case .stops(let target, let stops, let expressions, let output, let pid, let stall):
                let list = stops.map { "{\"address\":\($0.address),\"hit\":\($0.hit)}" }.joined(
                    separator: ",")
                let texts = expressions.map(Self.quoted).joined(separator: ",")
                return """
                    {"mode":"stops","target":\(Self.quoted(target)),"stops":[\(list)],\
                    "expressions":[\(texts)],"output":\(Self.quoted(output)),"qemuPid":\(pid),\
                    "stallSeconds":\(stall)}
                    """
            case .discover(let output):
                return "{\"mode\":\"discover\",\"output\":\(Self.quoted(output))}"
            }
        }

        static func quoted(_ text: String) -> String {
            var quoted = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": quoted += "\\\""
                case "\\": quoted += "\\\\"
                case _ where scalar.value < 0x20: quoted += String(format: "\\u%04x", scalar.value)
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        }
    }

    private static func runScript(
        request: JSONRequest, elf: String, in scratch: TemporaryDirectory, timeout: TimeInterval,
        alsoWatching qemu: Process?
    ) throws -> ProcessOutcome {
        let requestPath = scratch.file("request.json")
        try request.text.write(toFile: requestPath, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["GDB_FRAMES_REQUEST"] = requestPath
        let gdb = try startProcess(
            "gdb-multiarch", ["-nx", "-batch", "-q", "-x", script, elf], stdout: scratch.file("gdb.out"),
            stderr: scratch.file("gdb.err"), environment: environment)
        defer { stopProcess(gdb) }
        let deadline = Date().addingTimeInterval(timeout)
        while gdb.isRunning {
            if Date() > deadline {
                stopProcess(gdb)
                if let qemu { stopProcess(qemu) }
                throw ProcessFailure(
                    "gdb-frames.py on \(elf) did not finish within \(Int(timeout)) s; gdb and QEMU killed\n"
                        + logs(scratch))
            }
            usleep(2_000)
        }
        gdb.waitUntilExit()
        return ProcessOutcome(status: gdb.terminationStatus, output: request.output)
    }

    private struct ProcessOutcome {
        var status: Int32
        var output: String
    }

    private static func decode(_ outcome: ProcessOutcome, in scratch: TemporaryDirectory) throws -> ParsedJSON
    {
        guard let data = FileManager.default.contents(atPath: outcome.output) else {
            throw ProcessFailure(
                "gdb-frames.py wrote no result (gdb exit status \(outcome.status))\n\(logs(scratch))")
        }
        do {
            return try ParsedJSON.parse([UInt8](data))
        } catch {
            throw ProcessFailure("gdb-frames.py wrote bad JSON: \(error)\n\(logs(scratch))")
        }
    }

    /// gdb's and QEMU's output, for failure messages.
    private static func logs(_ scratch: TemporaryDirectory) -> String {
        ["gdb.out", "gdb.err", "qemu.err"].map { name in
            let text = (try? String(contentsOfFile: scratch.file(name), encoding: .utf8)) ?? ""
            return "--- \(name):\n" + String(text.suffix(4000))
        }.joined(separator: "\n")
    }

    private static func startProcess(
        _ tool: String, _ arguments: [String], stdout: String, stderr: String,
        environment: [String: String]? = nil
    ) throws -> Process {
        guard let path = RequiredTool(tool, packages: []).path else {
            throw ProcessFailure("\(tool) is not on PATH")
        }
        _ = FileManager.default.createFile(atPath: stdout, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdout))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderr))
        do {
            try process.run()
        } catch {
            throw ProcessFailure("cannot start \(path): \(error.localizedDescription)")
        }
        return process
    }

    /// Ends `process` if it still runs: SIGTERM, then SIGKILL after half a second.
    private static func stopProcess(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(0.5)
        while process.isRunning && Date() < deadline { usleep(2_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A stop to make: the `hit`-th time (from 1) the instruction at `address` is about to run.
public struct GDBStopRequest: Hashable, Sendable, CustomStringConvertible {
    /// The instruction's address.
    public var address: UInt32
    /// Which execution of it, from 1.
    public var hit: Int

    /// A request for the `hit`-th execution of `address`.
    public init(address: UInt32, hit: Int) {
        self.address = address
        self.hit = hit
    }

    /// `0x800002f2#3`.
    public var description: String { "0x\(String(address, radix: 16))#\(hit)" }
}

/// What one `GDBOracle.run` gave.
public struct GDBRun: Sendable {
    /// The stops reached, in the order they happened.
    public var stops: [GDBStop]
    /// The requests the run never reached.
    public var unreached: [GDBStopRequest]
    /// How the run ended before every request was reached (gdb's words), or nil.
    public var ended: String?
    /// What the firmware printed up to where gdb let go of it.
    public var console: [UInt8]
}

/// The state at one stop, as gdb shows it.
public struct GDBStop: Sendable {
    /// The request this stop answers.
    public var request: GDBStopRequest
    /// pc (the requested address).
    public var pc: UInt32
    /// x0…x31, read with the remote `g` packet.
    public var x: [UInt32]
    /// Machine-mode CSRs QEMU's gdbstub shows: mstatus, mie, mip, mtvec, mepc, mcause, mtval,
    /// mscratch.
    public var csr: [String: UInt32]
    /// The text of `bt`.
    public var backtrace: String
    /// Why unwinding stopped after the last frame (gdb's `frame_stop_reason_string`, e.g.
    /// "no reason" at an outermost frame), or an error.
    public var backtraceEnd: String?
    /// The frames, innermost first.
    public var frames: [GDBFrame]
    /// The requested expressions, evaluated in the innermost frame, in request order.
    public var evaluations: [GDBEvaluation]
    /// The stop as the script wrote it.
    public var json: ParsedJSON

    init(json: ParsedJSON) throws {
        guard let address = json["address"]?.unsigned, let hit = json["hit"]?.unsigned,
            let pc = json["pc"]?.unsigned, let x = json["x"]?.elements
        else { throw ProcessFailure("gdb-frames.py: a stop without address, hit, pc or x") }
        request = GDBStopRequest(address: UInt32(truncatingIfNeeded: address), hit: Int(hit))
        self.pc = UInt32(truncatingIfNeeded: pc)
        self.x = x.map { UInt32(truncatingIfNeeded: $0.unsigned ?? 0) }
        var csr: [String: UInt32] = [:]
        if case .object(let members)? = json["csr"] {
            for (name, value) in members {
                if let value = value.unsigned { csr[name] = UInt32(truncatingIfNeeded: value) }
            }
        }
        self.csr = csr
        backtrace = json["bt"]?.string ?? ""
        backtraceEnd = json["backtraceEnd"]?.string
        frames = (json["frames"]?.elements ?? []).map(GDBFrame.init(json:))
        evaluations = (json["eval"]?.elements ?? []).map(GDBEvaluation.init(json:))
        self.json = json
    }
}

/// One frame of a stop, as gdb's Python API gives it.
public struct GDBFrame: Sendable {
    /// The function's name (`frame.name()`): the DWARF name where there is debug information
    /// (`descend`, not the symbol `descend.isra.0`), else the ELF symbol's; nil when none.
    public var function: String?
    /// The frame's pc: the stop's pc in frame 0 and in inline frames, the return address in a
    /// caller's frame (its line is the call's, looked up at pc − 1).
    public var pc: UInt32?
    /// The source file as the line table names it (`frames/frames.c`), nil without a line.
    public var file: String?
    /// gdb's full path of that file.
    public var fullPath: String?
    /// The line (for a frame that called an inlined function: the line of the inlined call).
    public var line: Int?
    /// Whether this is an inlined call (gdb's INLINE_FRAME).
    public var inlined: Bool
    /// gdb's frame type: normal, inline, sigtramp, …
    public var kind: String
    /// Whether gdb has a function with debug information for it.
    public var hasDebugInfo: Bool
    /// The arguments, as `info args` lists them.
    public var args: [GDBVariable]
    /// The locals, as `info locals` lists them: innermost block first, out to the function.
    public var locals: [GDBVariable]
    /// The text of `info args` and `info locals` in this frame.
    public var infoArgs: String
    /// See `infoArgs`.
    public var infoLocals: String
    /// gdb's error where it could not describe the frame.
    public var error: String?

    init(json: ParsedJSON) {
        function = json["function"]?.string
        pc = json["pc"]?.unsigned.map { UInt32(truncatingIfNeeded: $0) }
        file = json["file"]?.string
        fullPath = json["fullname"]?.string
        line = json["line"]?.unsigned.map { Int($0) }
        inlined = json["inlined"] == .bool(true)
        kind = json["kind"]?.string ?? ""
        hasDebugInfo = json["hasDebugInfo"] == .bool(true)
        args = (json["args"]?.elements ?? []).map(GDBVariable.init(json:))
        locals = (json["locals"]?.elements ?? []).map(GDBVariable.init(json:))
        infoArgs = json["infoArgs"]?.string ?? ""
        infoLocals = json["infoLocals"]?.string ?? ""
        error = json["error"]?.string
    }

    /// `descend at frames.c:34 (0x800002f2)`, for messages.
    public var summary: String {
        let place =
            file.map { " at \(($0 as NSString).lastPathComponent):\(line.map(String.init) ?? "?")" } ?? ""
        let address = pc.map { " (0x\(String($0, radix: 16)))" } ?? ""
        return "\(function ?? "??")\(inlined ? " [inlined]" : "")\(place)\(address)"
    }
}

/// An argument or local, as gdb reads it in its frame.
public struct GDBVariable: Sendable {
    /// The variable's name.
    public var name: String
    /// Its type as `whatis` prints it (`char *`, `struct sensor *`, `char [16]`).
    public var type: String
    /// The value in the issue's JSON form (see `scripts/gdb-frames.py`); `.null` when
    /// optimized out or unreadable.
    public var value: ParsedJSON
    /// gdb says `<optimized out>`.
    public var optimizedOut: Bool
    /// gdb's error when it could not read the value (e.g. "Cannot access memory at address …").
    public var error: String?
    /// A variable of an inner block with the same name hides this one (gdb lists both).
    public var shadowed: Bool
    /// What `whatis NAME` printed in the frame (nil for a shadowed variable).
    public var whatis: String?

    init(json: ParsedJSON) {
        name = json["name"]?.string ?? ""
        type = json["type"]?.string ?? ""
        value = json["value"] ?? .null
        optimizedOut = json["optimizedOut"] == .bool(true)
        error = json["error"]?.string
        shadowed = json["shadowed"] == .bool(true)
        whatis = json["whatis"]?.string
    }
}

/// One expression evaluated at a stop (`print` and `whatis` in the innermost frame).
public struct GDBEvaluation: Sendable {
    /// The expression as given.
    public var expression: String
    /// The value's address, when it has one (an lvalue in memory).
    public var address: UInt32?
    /// Its type as `whatis` prints it; nil when gdb could not evaluate the expression.
    public var type: String?
    /// The value in the issue's JSON form.
    public var value: ParsedJSON
    /// gdb says `<optimized out>`.
    public var optimizedOut: Bool
    /// gdb's error: the expression means nothing here ("No symbol \"x\" in current context.")
    /// or its value cannot be read.
    public var error: String?
    /// What `whatis EXPR` printed.
    public var whatis: String?
    /// What `print EXPR` printed, without the `$N = `.
    public var printed: String?

    init(json: ParsedJSON) {
        expression = json["expr"]?.string ?? ""
        address = json["address"]?.unsigned.map { UInt32(truncatingIfNeeded: $0) }
        type = json["type"]?.string
        value = json["value"] ?? .null
        optimizedOut = json["optimizedOut"] == .bool(true)
        error = json["error"]?.string
        whatis = json["whatis"]?.string
        printed = json["print"]?.string.map { text in
            guard text.hasPrefix("$"), let equals = text.range(of: " = ") else { return text }
            return String(text[equals.upperBound...])
        }
    }
}

/// A function with debug information and the addresses where a test may stop in it, from
/// `GDBOracle.functions(elf:)`.
public struct GDBFunction: Sendable {
    /// Its DWARF name (`descend`).
    public var name: String
    /// The ELF symbol at its start (`descend.isra.0`).
    public var symbol: String
    /// Its first instruction.
    public var start: UInt32
    /// The end of its code (exclusive).
    public var end: UInt32
    /// Where `break NAME` puts its breakpoint in this copy (after the prologue).
    public var breakAt: [UInt32]
    /// The addresses right after each call in it (the pc its frame shows while the callee
    /// runs).
    public var returnSites: [UInt32]
    /// Instructions gdb cannot step over in software (wfi, mret, ecall, ebreak): a breakpoint
    /// there would let the firmware run away.
    public var noStop: [UInt32]
    /// Every address where the line table starts a row, with its line and the inlined
    /// functions active there (innermost first; empty outside inlined code).
    public var rows: [(pc: UInt32, line: Int, inlined: [String])]

    init(json: ParsedJSON) throws {
        guard let name = json["name"]?.string, let start = json["start"]?.unsigned,
            let end = json["end"]?.unsigned
        else { throw ProcessFailure("gdb-frames.py: a function without name, start or end") }
        self.name = name
        symbol = json["symbol"]?.string ?? name
        self.start = UInt32(truncatingIfNeeded: start)
        self.end = UInt32(truncatingIfNeeded: end)
        func addresses(_ key: String) -> [UInt32] {
            (json[key]?.elements ?? []).compactMap { $0.unsigned.map { UInt32(truncatingIfNeeded: $0) } }
        }
        breakAt = addresses("breakAt")
        returnSites = addresses("returnSites")
        noStop = addresses("noStop")
        rows = (json["rows"]?.elements ?? []).compactMap { row in
            guard let pc = row["pc"]?.unsigned, let line = row["line"]?.unsigned else { return nil }
            return (
                UInt32(truncatingIfNeeded: pc), Int(line),
                (row["inlined"]?.elements ?? []).compactMap(\.string)
            )
        }
    }
}

extension GDBFunction {
    /// Addresses to stop at in this function, chosen from what gdb says about it (not from
    /// anything Timescope says): its first instruction (before the prologue), where `break
    /// NAME` stops (after it), the first two return sites, the first row of each distinct
    /// stack of inlined calls (up to four), and up to `rows` more line-table rows spread over
    /// the function. Never an instruction gdb cannot step over (`noStop`).
    public func stopAddresses(rows: Int = 4) -> [UInt32] {
        var chosen = Set([start] + breakAt + returnSites.prefix(2))
        var stacks = Set<[String]>()
        for row in self.rows where !row.inlined.isEmpty && stacks.count < 4 && !stacks.contains(row.inlined) {
            stacks.insert(row.inlined)
            chosen.insert(row.pc)
        }
        let plain = self.rows.map(\.pc).filter { !chosen.contains($0) }
        if !plain.isEmpty && rows > 0 {
            let stride = max(1, plain.count / rows)
            for index in Swift.stride(from: stride / 2, to: plain.count, by: stride).prefix(rows) {
                chosen.insert(plain[index])
            }
        }
        return chosen.subtracting(noStop).sorted()
    }
}
