import ArgumentParser
import Foundation
import Machine
import Recording

/// `timescope find`: when did something happen?
struct FindCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "find",
        abstract: "Find the nearest step that wrote memory, executed an address, or raised an event.",
        discussion: """
            Prints "step N pc 0x…" (or exits 1 with "not found"). Step N is the step that did \
            it: for a write, `state --at N-1` shows the old bytes and `state --at N` the new ones; \
            for --pc, `state --at N-1` has pc there; an input byte at N is delivered after step N, \
            so `state --at N+1` is the first to hold it. --before WHEN finds the nearest match at or \
            before WHEN (the state at WHEN already shows it); --after WHEN the nearest after it. \
            ADDR is hex as printed (8000103c), a symbol or section ± decimal offsets (sensors+56), \
            or a register read in the state at WHEN (sp+8:4, s0-20). --pc also takes a source line, \
            FILE:LINE (sensorhub.c:80: every address gdb's `break` would use). --last-write and \
            --next-write also take a C expression naming an object (sensors[2].read, p->name), \
            evaluated in the innermost frame of the state at WHEN.
            """
    )

    @Argument(
        help: ArgumentHelp("The recording (a path, or the name of a kept session).", valueName: "rec.tsr"))
    var recording: String
    @Option(
        help: ArgumentHelp(
            "The last write to ADDR[:LEN] (default length: the symbol's size, else 1), or to the object a C expression names (sensors[2].read).",
            valueName: "addr[:len]|expr"),
        transform: WriteTargetArgument.init(parsing:))
    var lastWrite: WriteTargetArgument?
    @Option(
        help: ArgumentHelp(
            "The next write to ADDR[:LEN] or to a C expression's object.", valueName: "addr[:len]|expr"),
        transform: WriteTargetArgument.init(parsing:))
    var nextWrite: WriteTargetArgument?
    @Option(
        help: ArgumentHelp(
            "Execution of the instruction at an address or symbol, or of a source line (FILE:LINE).",
            valueName: "addr|file:line"),
        transform: CodeLocationArgument.init(parsing:))
    var pc: CodeLocationArgument?
    @Option(
        help: ArgumentHelp(
            "A marker kind (\(MarkerKind.namedKinds.prefix(6).map(\.rawValue).joined(separator: ", ")), a trap kind such as illegal-instruction or timer-interrupt), or the family exception or interrupt.",
            valueName: "kind"),
        transform: EventKind.init(parsing:))
    var event: EventKind?
    @Option(
        help: ArgumentHelp(
            "Search backwards from this step, including it (a step, start, end or P%, ± N: end-100).",
            valueName: "when"), transform: When.init(parsing:))
    var before: When?
    @Option(
        help: ArgumentHelp("Search forwards from this step.", valueName: "when"),
        transform: When.init(parsing:))
    var after: When?
    @Flag(help: "Print {\"step\": N, \"pc\": N}.") var json = false

    func validate() throws {
        let queries: [Any?] = [lastWrite, nextWrite, pc, event]
        guard queries.compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --last-write, --next-write, --pc, --event")
        }
        guard (before == nil) != (after == nil) else {
            throw ValidationError("give exactly one of --before WHEN or --after WHEN")
        }
        if lastWrite != nil && after != nil {
            throw ValidationError("--last-write searches backwards: use --before")
        }
        if nextWrite != nil && before != nil {
            throw ValidationError("--next-write searches forwards: use --after")
        }
    }

    func run() throws {
        let timeline = try Timeline(path: SessionDirectory.recording(named: recording))
        let option = before != nil ? "--before" : "--after"
        guard let when = before ?? after else { return }
        let from = try when.step(in: timeline, option: option)
        // Registers and C expressions are read in the state at WHEN.
        if lastWrite?.dependsOnState == true || nextWrite?.dependsOnState == true
            || pc?.readsRegisters == true
        {
            try timeline.seek(to: from)
        }
        let range = try (lastWrite ?? nextWrite).map { argument in
            try argument.range(in: timeline, option: lastWrite != nil ? "--last-write" : "--next-write")
        }
        let addresses = try pc.map { argument in try argument.addresses(in: timeline, option: "--pc") }
        let progress = ProgressLine(label: "searching", total: 1000)
        defer { progress.finish() }
        let report: (Double) -> Void = { progress.update(UInt64($0 * 1000)) }
        let match: TimelineMatch?
        if before != nil {
            // The library's `before` is strict; the CLI's includes the step itself.
            let step = from + 1
            if let range {
                match = try timeline.lastWrite(to: range, before: step, progress: report)
            } else if let addresses {
                match = try timeline.lastExecution(of: addresses, before: step) { _ in true }
            } else {
                match = try timeline.marker(kind: event?.kind ?? "", before: step).map {
                    TimelineMatch(step: $0.step, pc: $0.pc)
                }
            }
        } else {
            if let range {
                match = try timeline.nextWrite(to: range, after: from, progress: report)
            } else if let addresses {
                match = try timeline.nextExecution(of: addresses, after: from) { _ in true }
            } else {
                match = try timeline.marker(kind: event?.kind ?? "", after: from).map {
                    TimelineMatch(step: $0.step, pc: $0.pc)
                }
            }
        }
        progress.finish()
        guard let match else {
            FileHandle.standardError.write(Data("not found\n".utf8))
            throw ExitCode(1)
        }
        if json {
            print(JSONValue.object([("step", .unsigned(match.step)), ("pc", .u32(match.pc))]).text)
        } else {
            let place = timeline.machine.firmware.symbols.describe(match.pc).map { " (\($0))" } ?? ""
            print("step \(match.step) pc \(hex(match.pc))\(place)")
        }
    }
}
