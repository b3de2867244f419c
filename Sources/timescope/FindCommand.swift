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
            Prints "step N pc 0x…" (or exits 1 with "not found"). Step N is the step that did
            it: for a write, `state --at N-1` shows the old bytes and `state --at N` the new ones;
            for --pc, `state --at N-1` has pc there; an input byte at N is delivered after step N,
            so `state --at N+1` is the first to hold it. --before WHEN finds the nearest match at or
            before WHEN (the state at WHEN already shows it); --after WHEN the nearest after it.
            """
    )

    @Argument(help: ArgumentHelp("The recording.", valueName: "rec.tsr")) var recording: String
    @Option(help: ArgumentHelp("The last write to ADDR[:LEN] (default length: the symbol's size, else 1).", valueName: "addr[:len]"))
    var lastWrite: String?
    @Option(help: ArgumentHelp("The next write to ADDR[:LEN].", valueName: "addr[:len]"))
    var nextWrite: String?
    @Option(help: ArgumentHelp("Execution of the instruction at an address or symbol.", valueName: "addr"))
    var pc: String?
    @Option(help: ArgumentHelp("A marker kind (see `info`), or 'exception' / 'interrupt'.", valueName: "kind"))
    var event: String?
    @Option(help: ArgumentHelp("Search backwards from this step, including it (a step, 'end' or P%).", valueName: "when"))
    var before: String?
    @Option(help: ArgumentHelp("Search forwards from this step.", valueName: "when")) var after: String?
    @Flag(help: "Print {\"step\": N, \"pc\": N}.") var json = false

    func validate() throws {
        let queries = [lastWrite, nextWrite, pc, event].compactMap { $0 }
        guard queries.count == 1 else { throw ValidationError("give exactly one of --last-write, --next-write, --pc, --event") }
        guard (before == nil) != (after == nil) else { throw ValidationError("give exactly one of --before WHEN or --after WHEN") }
        if lastWrite != nil && after != nil { throw ValidationError("--last-write searches backwards: use --before") }
        if nextWrite != nil && before != nil { throw ValidationError("--next-write searches forwards: use --after") }
    }

    func run() throws {
        let timeline = try Timeline(path: recording)
        let progress = ProgressLine(label: "searching", total: 1000)
        defer { progress.finish() }
        let report: (Double) -> Void = { progress.update(UInt64($0 * 1000)) }
        let match: TimelineMatch?
        if let before {
            // The library's `before` is strict; the CLI's includes the step itself.
            let step = try timeline.step(for: before) + 1
            if let lastWrite {
                match = try timeline.lastWrite(to: timeline.range(for: lastWrite), before: step, progress: report)
            } else if let pc {
                match = try timeline.lastExecution(of: timeline.address(for: pc), before: step, progress: report)
            } else {
                match = try timeline.marker(kind: event ?? "", before: step).map { TimelineMatch(step: $0.step, pc: $0.pc) }
            }
        } else {
            let step = try timeline.step(for: after ?? "0")
            if let nextWrite {
                match = try timeline.nextWrite(to: timeline.range(for: nextWrite), after: step, progress: report)
            } else if let pc {
                match = try timeline.nextExecution(of: timeline.address(for: pc), after: step, progress: report)
            } else {
                match = try timeline.marker(kind: event ?? "", after: step).map { TimelineMatch(step: $0.step, pc: $0.pc) }
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
