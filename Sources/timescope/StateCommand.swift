import ArgumentParser
import DebugInfo
import Foundation
import Machine
import Recording

/// `timescope state`: the machine state at chosen steps, as text a person reads (gdb's
/// conventions) or as JSON (`run --dump-state`'s schema).
struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Print the machine state at steps of a recording: pc, registers, CSRs, memory.",
        discussion: """
            One block per --at (one JSON object per line with --json). WHEN is a step, start, \
            end or P%, each ± a number of steps (end-100, 50%+10); +N or -N counts from the \
            previous --at (--at 684 --at -1). --memory takes ADDR:LEN, where ADDR is hex (as \
            printed: 8000103c), a symbol or section ± decimal offsets (sensors+56), or a register \
            read in the state at that --at (sp:16, s0-20:4).
            """
    )

    @Argument(
        help: ArgumentHelp("The recording (a path, or the name of a kept session).", valueName: "rec.tsr"))
    var recording: String
    // Unconditional: `--at -1` is a WHEN, not an option.
    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "A step, start, end or P%, ± N steps; +N/-N from the previous --at. Repeatable.",
            valueName: "when"),
        transform: When.init(parsing:))
    var at: [When] = []
    @Option(
        help: ArgumentHelp(
            "Memory to show: ADDR[:LEN] (LEN default 4, or a data symbol's size). Repeatable.",
            valueName: "addr:len"),
        transform: AddressRangeArgument.init(parsing:))
    var memory: [AddressRangeArgument] = []
    @Flag(help: "Print one JSON object per --at (the `run --dump-state` schema plus \"memory\").") var json =
        false
    @Flag(
        help: "Add the call stack with each frame's arguments and locals (gdb's bt, info args, info locals).")
    var frames = false
    @Option(
        name: .customLong("eval"),
        help: ArgumentHelp(
            "A C expression to evaluate in the innermost frame (names, . -> [] * &, + -, casts, $pc $sp $a0). Repeatable.",
            valueName: "expr"))
    var expressions: [String] = []

    func validate() throws {
        guard !at.isEmpty else {
            throw ValidationError("give at least one --at WHEN (a step, start, end or P%)")
        }
    }

    func run() throws {
        let timeline = try Timeline(path: SessionDirectory.recording(named: recording))
        var previous: UInt64?
        for (index, when) in at.enumerated() {
            let step = try when.step(in: timeline, option: "--at", relativeTo: previous)
            previous = step
            try timeline.seek(to: step)
            // Registers in the expressions are read in this step's state.
            let ranges = try memory.map { argument throws(RecordingError) in
                try argument.range(in: timeline, option: "--memory", defaultLength: 4)
            }
            var dumps: [(label: String, start: UInt32, bytes: [UInt8])] = []
            for (argument, range) in zip(memory, ranges) {
                guard let bytes = timeline.machine.readMemory(range.lowerBound, count: range.count) else {
                    throw RecordingError.invalidRequest(
                        "--memory: \(argument) (\(hex(range.lowerBound)), \(range.count) bytes) is not inside RAM or the reset ROM"
                    )
                }
                dumps.append((argument.description, range.lowerBound, bytes))
            }
            let source = try sourceLevel(timeline)
            if json {
                var object = try timeline.stateJSON(memory: ranges)
                if let source, case .object(var members) = object {
                    members += source.json
                    object = .object(members)
                }
                print(object.text)
                continue
            }
            if index > 0 { print("") }
            print(
                StateText(state: timeline.machine.state, symbols: timeline.machine.firmware.symbols).lines(
                    memory: dumps
                ).joined(separator: "\n"))
            if let source { print(source.text.joined(separator: "\n")) }
        }
    }
}

extension StateCommand {
    /// The frames and expressions asked for at the timeline's step, as JSON members and as
    /// gdb's text; nil when neither was asked for.
    private func sourceLevel(_ timeline: Timeline) throws -> (json: [(String, JSONValue)], text: [String])? {
        guard frames || !expressions.isEmpty else { return nil }
        let debugInfo: DebugInfo
        do {
            debugInfo = try DebugInfoCache.shared.debugInfo(for: timeline.machine.firmware)
        } catch {
            // Everything else still works: the state is printed, the frames are empty and the
            // expressions say why.
            var json: [(String, JSONValue)] = [("debugInfoError", .string(error.description))]
            if frames { json.append(("frames", .array([]))) }
            if !expressions.isEmpty {
                json.append(
                    (
                        "eval",
                        .array(
                            expressions.map {
                                .object([("expr", .string($0)), ("error", .string(error.description))])
                            })
                    ))
            }
            return (json, ["", error.description])
        }
        let target = TargetState(machine: timeline.machine)
        let stack = debugInfo.callStack(target)
        let printer = ValueText(symbols: timeline.machine.firmware.symbols, target: target)
        var json: [(String, JSONValue)] = []
        var text: [String] = []
        if frames {
            json.append(("frames", debugInfo.framesJSON(stack, target: target)))
            text.append("")
            text += printer.backtrace(stack) { debugInfo.variables(ofFrame: $0, in: stack, target: target) }
            if !stack.frames.isEmpty {
                let variables = debugInfo.variables(ofFrame: 0, in: stack, target: target)
                text += ["", "info args"]
                text +=
                    variables.arguments.isEmpty
                    ? ["No arguments."]
                    : variables.arguments.flatMap { argument in
                        var lines = [
                            "\(argument.name) = \(printer.text(argument.value, type: argument.type))"
                        ]
                        // gdb's `set print entry-values if-needed`: the value at the entry too,
                        // when it differs.
                        if let entry = argument.entryValue, entry.json != argument.value.json {
                            lines.append(
                                "\(argument.name)@entry = \(printer.text(entry, type: argument.type))")
                        }
                        return lines
                    }
                text += ["", "info locals"]
                text +=
                    variables.locals.isEmpty
                    ? ["No locals."]
                    : variables.locals.map { "\($0.name) = \(printer.text($0.value, type: $0.type))" }
            }
        }
        if !expressions.isEmpty {
            var evaluations: [JSONValue] = []
            text.append("")
            for expression in expressions {
                do {
                    let evaluation = try debugInfo.evaluate(expression, in: stack, target: target)
                    evaluations.append(evaluation.json)
                    text.append(
                        "\(expression) = (\(evaluation.type)) \(printer.text(evaluation.value, type: evaluation.type))"
                    )
                } catch {
                    evaluations.append(
                        .object([("expr", .string(expression)), ("error", .string(error.description))]))
                    text.append("\(expression): \(error.description)")
                }
            }
            json.append(("eval", .array(evaluations)))
        }
        return (json, text)
    }
}

/// A machine state as text, the way gdb shows one: `pc 0x80000358 <poll_sensors+0x1e>`, the
/// registers by ABI name in four columns, the machine-mode CSRs, and memory as `x/16xb` does.
///
/// ```
/// step 684
/// pc       0x80000358 <copy_name+0x1e>
/// zero     0x00000000   ra   0x800002a8   sp   0x87ffffd0   gp   0x80001800
/// …        (eight rows: x0 … x31)
/// mstatus  0x00001800   mtvec    0x80000100 <trap_vector>
/// mie      0x00000000   mepc     0x00000000
/// mip      0x00000000   mcause   0x00000000
/// mscratch 0x00000000   mtval    0x00000000
/// mcycle   684   minstret 684   mtime 6
///
/// x/8xb 0x80001038 (sensors+56:8)
/// 0x80001038 <sensors+56>:	0x74	0x65	0x72	0x31	0x00	0x00	0x00	0x00
/// ```
struct StateText {
    let state: MachineState
    let symbols: SymbolTable

    func lines(memory: [(label: String, start: UInt32, bytes: [UInt8])]) -> [String] {
        var lines = ["step \(state.step)", "pc       " + located(state.pc)]
        let names = RegisterName.abi
        for row in 0..<8 {
            let cells = (0..<4).map { column in
                let index = row * 4 + column
                return names[index].padding(toLength: 4, withPad: " ", startingAt: 0) + " "
                    + hex(state.x[index])
            }
            lines.append(cells.joined(separator: "   "))
        }
        let csr = state.csr
        let cause = csr.mcause == 0 && state.pendingTrap == nil ? "" : " (\(TrapCause.name(of: csr.mcause)))"
        lines += [
            "mstatus  \(hex(csr.mstatus))   mtvec    \(located(csr.mtvec))",
            "mie      \(hex(csr.mie))   mepc     \(located(csr.mepc))",
            "mip      \(hex(csr.mip))   mcause   \(hex(csr.mcause))\(cause)",
            "mscratch \(hex(csr.mscratch))   mtval    \(hex(csr.mtval))",
            "mcycle   \(state.mcycle)   minstret \(state.minstret)   mtime \(state.mtime)",
        ]
        for dump in memory {
            lines += ["", "x/\(dump.bytes.count)xb \(hex(dump.start)) (\(dump.label))"]
            // Eight bytes a line, as gdb prints bytes.
            for offset in stride(from: 0, to: dump.bytes.count, by: 8) {
                let address = dump.start &+ UInt32(offset)
                let label = symbols.describe(address).map { " <\($0)>" } ?? ""
                let bytes = dump.bytes[offset..<min(offset + 8, dump.bytes.count)].map {
                    "0x" + hexDigits($0, width: 2)
                }
                lines.append("\(hex(address))\(label):\t" + bytes.joined(separator: "\t"))
            }
        }
        return lines
    }

    /// `0x80000358 <poll_sensors+0x1e>`, or the bare value where no symbol covers it.
    private func located(_ address: UInt32) -> String {
        hex(address) + (symbols.describe(address).map { " <\($0)>" } ?? "")
    }
}
