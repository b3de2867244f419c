import Foundation
import Testing
import TestSupport

/// Source-level time travel (issue 11) against gdb, the oracle: `timescope state REC --at STEP
/// --frames/--eval EXPR --json` at the states where gdb-multiarch, attached to QEMU's gdbstub,
/// stops (`GDBOracle`, `scripts/gdb-frames.py`), for the firmware of `Firmware/frames`,
/// `Firmware/structs` and `Firmware/irqstack` built `-O0 -g` and `-O2 -g`, and the crash demo.
///
/// The stops are chosen from what gdb says about each ELF, never from Timescope's answers: for
/// every function with debug information, its first instruction, where `break NAME` stops, the
/// return sites of its first calls, the first row of each inlined call and a few more line-table
/// rows (`GDBFunction.stopAddresses`), each at its first and third execution (a function's
/// entry also at its second); for the crash demo also the crash itself (`--at end`) and the copy
/// of "thermometer1" in copy_name. Each program is run once under gdb (all its stops in one
/// QEMU+gdb session) and recorded once, shared by the tests below through `OracleCases`.
///
/// `gdbStopsAreTimescopeSteps` holds today (the step rule, `TimescopeStops`); the frame and
/// eval comparisons fail until `state --frames`/`--eval` exist.
@Suite struct SourceLevelOracleTests {
    static let programs =
        FirmwareBuilder.sourceLevelPrograms.flatMap { ["\($0)-O0", "\($0)-O2"] } + ["crash"]

    /// gdb's stop at the N-th execution of ADDR is the state `TimescopeStops` names (R − 1 for
    /// the R of `find --pc ADDR`, N times): pc and x0…x31 from `timescope state --json` equal
    /// what QEMU's gdbstub reports, and so do the machine-mode CSRs (see `csrDifferences`).
    /// Every request gdb reached has its step, every one it did not has none.
    @Test(arguments: programs)
    func gdbStopsAreTimescopeSteps(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        #expect(oracle.run.stops.count >= 20, "\(program): gdb reached only \(oracle.run.stops.count) stops")
        for request in oracle.run.unreached {
            #expect(
                oracle.steps[request] == nil,
                "\(program): gdb never reached \(request) (\(oracle.run.ended ?? "")), Timescope has it at step \(oracle.steps[request].map(String.init) ?? "")"
            )
        }
        let stops = oracle.run.stops.filter { stop in
            let found = oracle.steps[stop.request] != nil
            #expect(
                found, "\(program): gdb stopped at \(stop.request), the recording never runs it that often")
            return found
        }
        let states = try oracle.timescopeStates(for: stops, options: [])
        try #require(states.count == stops.count)
        var failures = 0
        for (stop, state) in zip(stops, states) {
            let step = oracle.steps[stop.request] ?? 0
            var differences: [String] = []
            if state["pc"]?.unsigned != UInt64(stop.pc) {
                differences.append(
                    "pc: gdb 0x\(String(stop.pc, radix: 16)), Timescope \(state["pc"].map(render) ?? "none")")
            }
            let registers =
                state["x"]?.elements?.map { $0.unsigned.map { UInt32(truncatingIfNeeded: $0) } } ?? []
            for index in 0..<32 where registers.count != 32 || registers[index] != stop.x[index] {
                let ours =
                    index < registers.count ? registers[index].map { "0x" + String($0, radix: 16) } : nil
                differences.append(
                    "x\(index): gdb 0x\(String(stop.x[index], radix: 16)), Timescope \(ours ?? "none")")
            }
            differences += csrDifferences(stop, state)
            if !differences.isEmpty {
                failures += 1
                if failures <= 10 {
                    Issue.record(
                        """
                        \(program): gdb's stop at \(stop.request) is not Timescope's step \(step):
                        \(differences.joined(separator: "\n"))
                        gdb's bt:
                        \(stop.backtrace)
                        """)
                }
            }
        }
        #expect(failures == 0, "\(program): \(failures) of \(stops.count) stops differ")
    }

    /// The oracle's own consistency, on every program: each variable's and expression's type
    /// (`str(value.type)`) is what `whatis` prints, every frame with debug information has a
    /// file and line, and the stops cover what the firmware is for (optimized-out variables,
    /// inlined frames and entry values at -O2, structs, the handler on the stack).
    @Test(arguments: programs)
    func gdbSideIsConsistent(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        for stop in oracle.run.stops {
            for (index, frame) in stop.frames.enumerated() {
                if frame.hasDebugInfo {
                    #expect(
                        frame.file != nil && frame.line != nil, "\(program) \(stop.request) frame \(index)")
                }
                // The Python API's lists are what `info args`/`info locals` print, name by name.
                #expect(
                    frame.args.map(\.name) == printedNames(frame.infoArgs)
                        && frame.locals.map(\.name) == printedNames(frame.infoLocals),
                    "\(program) \(stop.request) frame \(index): args \(frame.args.map(\.name)), locals \(frame.locals.map(\.name)); gdb prints \(frame.infoArgs.debugDescription) \(frame.infoLocals.debugDescription)"
                )
                for variable in frame.args + frame.locals where !variable.shadowed {
                    #expect(
                        variable.whatis == variable.type,
                        "\(program) \(stop.request) frame \(index) \(variable.name): str(type) \(variable.type.debugDescription), whatis \(String(describing: variable.whatis))"
                    )
                }
            }
            for evaluation in stop.evaluations where evaluation.error == nil {
                #expect(
                    evaluation.whatis == evaluation.type,
                    "\(program) \(stop.request) \(evaluation.expression): str(type) \(String(describing: evaluation.type)), whatis \(String(describing: evaluation.whatis))"
                )
            }
        }
        let frames = oracle.run.stops.flatMap(\.frames)
        let variables = frames.flatMap { $0.args + $0.locals }
        #expect(
            frames.contains { $0.args.contains { $0.value != .null } },
            "\(program): some argument has a value")
        if program.hasSuffix("-O2") {
            #expect(variables.contains { $0.optimizedOut }, "\(program): something is optimized out")
        }
        switch program {
        case "frames-O2":
            #expect(frames.contains { $0.inlined && $0.function == "square" }, "square inlined")
            #expect(
                frames.contains { $0.inlined && $0.function == "sum_of_squares" }, "sum_of_squares inlined")
            #expect(
                oracle.run.stops.contains { $0.backtrace.contains("@entry=") }, "bt shows entry values")
        case "frames-O0":
            #expect(variables.contains { $0.shadowed }, "tally's inner i shadows the loop's")
            #expect(frames.filter { $0.function == "descend" }.count >= 4, "descend recursion on the stack")
        case "structs-O0", "structs-O2":
            #expect(variables.contains { $0.type == "struct device *" })
            #expect(variables.contains { $0.type == "union reading" })
            #expect(variables.contains { $0.type == "event_handler" })
        case "irqstack-O0", "irqstack-O2":
            #expect(
                oracle.run.stops.contains {
                    $0.frames.contains { $0.function == "trap_handler" } && $0.frames.count > 3
                },
                "stops with the handler and the interrupted code on the stack")
        case "crash":
            #expect(oracle.run.stops.contains { $0.pc == OracleCase.crashHandler })
        default: break
        }
    }

    /// `--frames` equals gdb's backtrace, arguments and locals at every stop (see
    /// `SourceLevelComparison` for the rules; `OracleCase.frameLimit` for the stops inside the
    /// interrupt handler, where only the frames down to the handler are compared).
    @Test(arguments: programs)
    func framesMatchGdb(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        let stops = oracle.comparableStops
        let states = try oracle.timescopeStates(for: stops, options: ["--frames"])
        try #require(states.count == stops.count)
        var failures = 0
        for (stop, state) in zip(stops, states) {
            let differences = SourceLevelComparison.frameDifferences(
                gdb: stop, timescope: state, limit: oracle.frameLimit(stop))
            guard !differences.isEmpty else { continue }
            failures += 1
            if failures <= 15 {
                Issue.record(
                    """
                    \(program) at gdb's stop \(stop.request) (step \(oracle.steps[stop.request] ?? 0)):
                    \(differences.joined(separator: "\n"))
                    gdb's bt:
                    \(stop.backtrace)
                    """)
            }
        }
        #expect(failures == 0, "\(program): \(failures) of \(stops.count) stops differ from gdb")
    }

    /// `--eval` equals gdb's `print`/`whatis` of globals, members, pointers, array elements,
    /// casts, `$pc`/`$sp`, and the locals in scope, in the innermost frame at every stop.
    @Test(arguments: programs)
    func evaluationsMatchGdb(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        let stops = oracle.comparableStops
        let options = oracle.expressions.flatMap { ["--eval", $0] }
        let states = try oracle.timescopeStates(for: stops, options: options)
        try #require(states.count == stops.count)
        var failures = 0
        for (stop, state) in zip(stops, states) {
            let differences = SourceLevelComparison.evaluationDifferences(gdb: stop, timescope: state)
            guard !differences.isEmpty else { continue }
            failures += 1
            if failures <= 15 {
                Issue.record(
                    """
                    \(program) at gdb's stop \(stop.request) (step \(oracle.steps[stop.request] ?? 0), \
                    \(stop.frames.first?.summary ?? "?")):
                    \(differences.joined(separator: "\n"))
                    """)
            }
        }
        #expect(failures == 0, "\(program): \(failures) of \(stops.count) stops differ from gdb")
    }

    /// With the handler on the stack: the frames gdb can unwind — from the innermost down to
    /// the handler, `trap_handler` — equal Timescope's first frames. gdb's frames beyond it
    /// are not compared: GCC's `interrupt("machine")` CFI says nothing of mepc, so gdb takes
    /// the interrupted code's ra for the handler's return address: it leaves out the
    /// interrupted function and goes on from wherever ra points, at -O0 into a wrong frame
    /// (`#3 accumulate (values=0x80000570 <accumulate+70>, count=-2147479488)`, then
    /// `#4 0x800fffa0 in ?? ()`; Firmware/README.md).
    @Test(arguments: ["irqstack-O0", "irqstack-O2"])
    func handlerFramesMatchGdbDownToTheTrap(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        let stops = oracle.comparableStops.filter { stop in
            stop.frames.contains { $0.function == "trap_handler" }
        }
        try #require(stops.count >= 4, "\(program): stops inside the handler")
        #expect(stops.contains { ($0.frames.firstIndex { $0.function == "trap_handler" } ?? 0) >= 2 })
        let states = try oracle.timescopeStates(for: stops, options: ["--frames"])
        try #require(states.count == stops.count)
        for (stop, state) in zip(stops, states) {
            let limit = oracle.frameLimit(stop)
            let differences = SourceLevelComparison.frameDifferences(
                gdb: stop, timescope: state, limit: limit)
            #expect(
                differences.isEmpty,
                """
                \(program) at \(stop.request), frames 0..<\(limit ?? 0):
                \(differences.joined(separator: "\n"))
                gdb's bt:
                \(stop.backtrace)
                """)
        }
    }

    /// The step rule against the command line itself: for some stops of two programs,
    /// `timescope find REC --pc ADDR --after P --json` N times gives R with `state --at R-1`
    /// at pc ADDR, and R − 1 is the step `TimescopeStops` names.
    @Test(arguments: ["frames-O2", "crash"])
    func stepRuleIsWhatFindPcPrints(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        let sample = oracle.run.stops.enumerated().filter { $0.offset % 9 == 0 }.map(\.element).prefix(12)
        try #require(sample.count >= 4)
        for stop in sample {
            var after: UInt64 = 0
            var found: UInt64?
            for _ in 0..<stop.request.hit {
                let find = try TimescopeProcess.run([
                    "find", oracle.recording, "--pc", String(stop.pc, radix: 16), "--after", String(after),
                    "--json",
                ])
                guard find.status == 0, let step = try ParsedJSON.parse(find.stdoutText)["step"]?.unsigned
                else {
                    found = nil
                    break
                }
                after = step
                found = step
            }
            if stop.pc == OracleCase.crashHandler && program == "crash" {
                // The crash's state is the recording's last: nothing runs the handler.
                #expect(found == nil && oracle.steps[stop.request] == oracle.totalSteps)
                continue
            }
            #expect(found.map { $0 - 1 } == oracle.steps[stop.request], "\(stop.request)")
        }
    }

    /// The names `info args`/`info locals` print, one `NAME = VALUE` a line (`set print
    /// pretty off`); none for "No locals.", "No arguments.", "No symbol table info available.".
    func printedNames(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            // `NAME@entry = VALUE`: an argument gdb knows only at function entry.
            line.range(of: " = ").map {
                String(line[..<$0.lowerBound]).replacingOccurrences(of: "@entry", with: "")
            }
        }
    }

    /// The comparison itself, today: gdb's answers in Timescope's format compare equal at every
    /// stop, and each kind of difference is reported with both sides.
    @Test(arguments: ["frames-O2", "structs-O0", "irqstack-O2", "crash"])
    func comparisonAcceptsGdbsOwnAnswersAndReportsDifferences(_ program: String) throws {
        let oracle = try OracleCases.shared.get(program)
        for stop in oracle.comparableStops {
            let state = SourceLevelComparison.expectedState(from: stop)
            let frames = SourceLevelComparison.frameDifferences(gdb: stop, timescope: state)
            let evaluations = SourceLevelComparison.evaluationDifferences(gdb: stop, timescope: state)
            #expect(
                frames.isEmpty && evaluations.isEmpty, "\(program) \(stop.request): \(frames + evaluations)")
        }
        // A stop with a local that has a value, a struct or array value, and a caller.
        let stop = try #require(
            oracle.comparableStops.first { stop in
                stop.frames.count > 1
                    && stop.frames[0].locals.contains { local in
                        !local.optimizedOut && local.error == nil && local.value != .null
                    }
            })
        let state = SourceLevelComparison.expectedState(from: stop)
        func mutated(_ change: (inout [(String, ParsedJSON)]) -> Void) -> ParsedJSON {
            guard case .object(var members) = state, case .array(var frames)? = state["frames"],
                case .object(var frame) = frames[0]
            else { return state }
            change(&frame)
            frames[0] = .object(frame)
            members = members.map { $0.0 == "frames" ? ("frames", .array(frames)) : $0 }
            return .object(members)
        }
        let local = try #require(
            stop.frames[0].locals.first { !$0.optimizedOut && $0.error == nil && $0.value != .null })
        let changes: [(String, (inout [(String, ParsedJSON)]) -> Void)] = [
            ("line", { $0 = $0.map { $0.0 == "line" ? ("line", .integer("99999")) : $0 } }),
            ("function", { $0 = $0.map { $0.0 == "function" ? ("function", .string("elsewhere")) : $0 } }),
            (
                "inlined",
                { $0 = $0.map { $0.0 == "inlined" ? ("inlined", .bool(!stop.frames[0].inlined)) : $0 } }
            ),
            ("locals", { $0 = $0.map { $0.0 == "locals" ? ("locals", .array([])) : $0 } }),
            (
                local.name,
                {
                    $0 = $0.map { member in
                        guard member.0 == "locals", case .array(let locals) = member.1 else { return member }
                        return (
                            "locals",
                            .array(
                                locals.map { entry in
                                    guard entry["name"]?.string == local.name,
                                        case .object(let fields) = entry
                                    else {
                                        return entry
                                    }
                                    return .object(
                                        fields.map { $0.0 == "value" ? ("value", .string("wrong")) : $0 })
                                })
                        )
                    }
                }
            ),
        ]
        for (what, change) in changes {
            let differences = SourceLevelComparison.frameDifferences(gdb: stop, timescope: mutated(change))
            #expect(!differences.isEmpty, "a changed \(what) goes unnoticed")
            #expect(
                differences.allSatisfy { $0.contains("gdb") && $0.contains("Timescope") }, "\(differences)")
        }
        #expect(
            SourceLevelComparison.valueDifferences(
                gdb: .nonInteger("4.3604576e+27"), timescope: .nonInteger("4.3604575972782487e+27"), path: ""
            ).isEmpty,
            "a float as its exact double")
        #expect(
            !SourceLevelComparison.valueDifferences(
                gdb: .nonInteger("0.1"), timescope: .nonInteger("0.1000001"), path: ""
            ).isEmpty)
        #expect(
            !SourceLevelComparison.valueDifferences(
                gdb: .integer("3"), timescope: .nonInteger("3.0"), path: ""
            ).isEmpty)
        #expect(
            SourceLevelComparison.valueDifferences(
                gdb: .nonInteger("2.0"), timescope: .integer("2"), path: ""
            ).isEmpty)
    }

    func csrDifferences(_ stop: GDBStop, _ state: ParsedJSON) -> [String] {
        var differences: [String] = []
        // QEMU reads all-ones from its PCIe window (0x3000_0000…) where Timescope has no
        // memory: the crash demo's jump to 0x31726574 is an illegal instruction there (mcause
        // 2, mtval ffffffff) and an access fault here (mcause 1). Firmware/README.md.
        let mepc = stop.csr["mepc"] ?? 0
        let qemuOnlyMemory =
            (0x2000_0000..<0x2400_0000).contains(mepc) || (0x3000_0000..<0x8000_0000).contains(mepc)
        for name in ["mepc", "mcause", "mtval", "mtvec", "mie", "mip", "mscratch", "mstatus"] {
            guard var gdb = stop.csr[name],
                var ours = state["csr"]?[name]?.unsigned.map({ UInt32(truncatingIfNeeded: $0) })
            else {
                differences.append(
                    "\(name): gdb \(stop.csr[name].map { String($0, radix: 16) } ?? "none"), Timescope none")
                continue
            }
            if qemuOnlyMemory && (name == "mcause" || name == "mtval") { continue }
            if name == "mstatus" {
                // MIE and MPIE. MPP is WARL: QEMU's hart has U-mode, so it resets to 0 and an
                // mret sets it to U; Timescope's M-only hart always reads M (Firmware/README.md).
                // QEMU's other fields are its S-mode and FPU state.
                gdb &= 0x88
                ours &= 0x88
            }
            if gdb != ours {
                differences.append(
                    "\(name): gdb 0x\(String(gdb, radix: 16)), Timescope 0x\(String(ours, radix: 16))")
            }
        }
        return differences
    }

    func render(_ value: ParsedJSON) -> String { SourceLevelComparison.render(value) }
}

/// One program's gdb run, recording and stop steps, made once per test process.
final class OracleCase: @unchecked Sendable {
    /// The crash demo installs no trap handler: mtvec stays 0, and the crash's state (the
    /// recording's last) has pc 0 (Recordings/crash/start.S).
    static let crashHandler: UInt32 = 0
    /// Where the corrupted pointer sends the crash demo: "ter1" of "thermometer1" read as a
    /// little-endian word (sensorhub.c).
    static let crashTarget: UInt32 = 0x3172_6574

    let program: String
    let elf: String
    let expressions: [String]
    let run: GDBRun
    let recording: String
    let steps: [GDBStopRequest: UInt64]
    let totalSteps: UInt64
    private let scratch: TemporaryDirectory

    init(program: String) throws {
        for tool in [RequiredTool.crossCompiler, .make, .qemu, .gdb] { try tool.check() }
        self.program = program
        elf =
            program == "crash"
            ? TimescopeProcess.packageRoot.appendingPathComponent("Recordings/crash/crash.elf").path
            : try FirmwareBuilder.elf(program)
        expressions = Self.expressions(program)
        let functions = try GDBOracle.functions(elf: elf)
        // Each address at its first and third execution; a function's entry also at the second
        // (the second call: another caller, another call site's entry values).
        var requests = functions.flatMap { function in
            let entries = Set([function.start] + function.breakAt)
            return function.stopAddresses().flatMap { address in
                (entries.contains(address) ? [1, 2, 3] : [1, 3]).map {
                    GDBStopRequest(address: address, hit: $0)
                }
            }
        }
        if program == "crash" {
            requests.append(GDBStopRequest(address: Self.crashHandler, hit: 1))
            requests.append(GDBStopRequest(address: Self.crashTarget, hit: 1))
            // copy_name's loop runs 5 times for "temp", 5 for "baro": the 15th is the third
            // call, copying "thermometer1" over the read pointer.
            for function in functions where function.name == "copy_name" {
                requests += function.rows.map { GDBStopRequest(address: $0.pc, hit: 15) }
            }
        }
        run = try GDBOracle.run(elf: elf, at: requests, expressions: expressions, timeout: 180)
        scratch = try TemporaryDirectory("oracle")
        recording = scratch.file("\(program).tsr")
        // Keyframes close together: finding the stops seeks often (the crash demo runs 5.5 M steps).
        let record = try TimescopeProcess.run([
            "record", elf, "-o", recording, "--keyframe-interval", "20000",
        ])
        guard record.status == (program == "crash" ? 3 : 0) else {
            throw ProcessFailure("timescope record \(elf): \(record)")
        }
        steps = try TimescopeStops.steps(recording: recording, for: requests)
        let info = try TimescopeProcess.run(["info", recording, "--json"])
        totalSteps = try ParsedJSON.parse(info.stdoutText)["totalSteps"]?.unsigned ?? 0
    }

    /// The stops whose frames and values are compared: all gdb reached, but the crash demo's
    /// stop at 0x31726574, where QEMU has memory (its PCIe window, all ones) that Timescope does
    /// not have, and gdb's unwinder reads it (it gives up: `#0 0x31726574 in ?? ()` and no
    /// caller, whereas at the crash's next state, pc 0 where neither has memory, it unwinds
    /// through ra to poll_sensors and main).
    var comparableStops: [GDBStop] {
        run.stops.filter { !(program == "crash" && $0.pc == Self.crashTarget) && steps[$0.request] != nil }
    }

    /// How many of gdb's frames to compare at `stop`: with the interrupt handler on the stack,
    /// the frames down to it (see `handlerFramesMatchGdbDownToTheTrap`); else all.
    func frameLimit(_ stop: GDBStop) -> Int? {
        stop.frames.firstIndex { $0.function == "trap_handler" }.map { $0 + 1 }
    }

    /// `timescope state REC --at S1 --at S2 … OPTIONS --json`, one object per stop.
    func timescopeStates(for stops: [GDBStop], options: [String]) throws -> [ParsedJSON] {
        let ats = stops.flatMap { ["--at", String(steps[$0.request] ?? 0)] }
        let result = try TimescopeProcess.run(
            ["state", recording] + ats + options + ["--json"], timeout: 300)
        guard result.status == 0 else {
            throw ProcessFailure(
                "timescope state \(recording) … \(options.prefix(4).joined(separator: " ")) --json failed: \(result)"
            )
        }
        return try result.stdoutText.split(separator: "\n").map { try ParsedJSON.parse(String($0)) }
    }

    static func expressions(_ program: String) -> [String] {
        let registers = ["$pc", "$sp", "$ra"]
        switch program {
        case let name where name.hasPrefix("frames"):
            return [
                "results", "results[5]", "&results[2]", "*&results[1]", "call_count", "message", "message[3]",
                "&message", "noise", "(char)noise", "(unsigned short)noise", "(int)message[0] + 1",
                "counter", "*counter", "depth", "label", "total", "acc", "bytes[1]", "span.length",
            ] + registers
        case let name where name.hasPrefix("structs"):
            return [
                "registry.count", "registry.devices[1]", "registry.devices[1].name", "registry.head",
                "registry.head->next", "*registry.head", "&registry.devices[2]", "registry.devices[0].flags",
                "registry.devices[0].flags.bias", "registry.devices[3].calibration.gain",
                "registry.devices[0].calibration.offset", "registry.devices[0].on_event",
                "registry.devices[2].label", "registry.devices[1].mode", "spare", "spare.last.halves[1]",
                "spare.mode", "(int)spare.mode", "default_calibration", "default_calibration.trim[2]",
                "status_words", "events_handled", "sizeof(struct device)", "*device", "device->name",
                "device->calibration", "sample", "calibration->trim", "scaled", "corrected",
            ] + registers
        case let name where name.hasPrefix("irqstack"):
            return [
                "tick_log", "tick_log[1]", "&tick_log[1]", "ticks", "stage_depth", "sink", "*slot",
                "slot->token",
                "cause", "token", "values[2]", "here",
            ] + registers
        default:
            return [
                "sensors", "sensors[2].read", "&sensors[1]", "sensors[2]", "sensors[2].name", "*sensors",
                "active_sensors", "sensors[0].read", "(unsigned char)sensors[2].name[9]", "*sensor",
                "sensor->name", "i", "round",
            ] + registers
        }
    }
}

/// Each program's `OracleCase`, made on first use and shared by the tests of this process
/// (they run in parallel; each program is made once).
final class OracleCases: @unchecked Sendable {
    static let shared = OracleCases()

    private final class Entry: @unchecked Sendable {
        let lock = NSLock()
        var result: Result<OracleCase, any Error>?
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    func get(_ program: String) throws -> OracleCase {
        lock.lock()
        let entry = entries[program] ?? Entry()
        entries[program] = entry
        lock.unlock()
        entry.lock.lock()
        defer { entry.lock.unlock() }
        if let result = entry.result { return try result.get() }
        let result = Result { try OracleCase(program: program) }
        entry.result = result
        return try result.get()
    }
}
