import Foundation
import Machine
import Recording
import Testing
import TestSupport

/// `find --event KIND` walks the markers: traps by cause (and the `interrupt` / `exception`
/// families), console lines, the exit.
@Suite struct MarkerSearchTests {
    /// An interrupt entry seen by single-stepping: the step, its cause and the pc it
    /// interrupted.
    struct Entry: Equatable, CustomStringConvertible {
        var step: UInt64
        var code: UInt32
        var pc: UInt32
        var description: String { "interrupt \(code) at step \(step), pc \(hex(pc))" }
    }

    /// Finds interrupt entries from the states alone: mstatus.MIE drops, mcause is an
    /// interrupt, mepc is the pc before the step and pc jumped to the trap vector. Also notes
    /// the steps that wrote a newline to the console.
    static func scanTimer(_ elf: String) throws -> (entries: [Entry], newlines: [UInt64], total: UInt64) {
        let machine = try Reference.machine(elf: elf, compiled: false)
        var console = 0
        machine.consoleSink = { byte in console += byte == 0x0A ? 1 : 0 }
        var entries: [Entry] = []
        var newlines: [UInt64] = []
        while true {
            let before = machine.state
            let printed = console
            let reason = machine.run(until: before.step + 1)
            guard machine.step == before.step + 1 else { break }
            let after = machine.state
            let base = after.csr.mtvec & ~3
            let code = after.csr.mcause & 0x7FFF_FFFF
            let vector = after.csr.mtvec & 3 == 1 ? base + 4 * code : base
            if before.csr.mstatus & 8 != 0 && after.csr.mstatus & 8 == 0
                && after.csr.mcause & 0x8000_0000 != 0
                && after.csr.mepc == before.pc && after.pc == vector
            {
                entries.append(Entry(step: after.step, code: code, pc: before.pc))
            }
            if console != printed { newlines.append(after.step) }
            if reason != .stepLimit { break }
        }
        return (entries, newlines, machine.step)
    }

    /// Every match of `find --event kind`, walking forwards with `--after`.
    static func walk(_ recording: String, kind: String, limit: Int = 50) throws -> [(
        step: UInt64, pc: UInt32
    )] {
        var found: [(step: UInt64, pc: UInt32)] = []
        var after: UInt64 = 0
        while found.count < limit {
            let result = try CLI.run(["find", recording, "--event", kind, "--after", String(after), "--json"])
            if result.status == 1 {
                #expect(result.stderr.contains("not found"), "\(CLI.describe(result))")
                break
            }
            #expect(result.status == 0, "find --event \(kind) --after \(after): \(CLI.describe(result))")
            guard result.status == 0 else { break }
            let json = try parseJSON(result.stdoutText.trimmingCharacters(in: .newlines))
            guard let step = json["step"]?.unsigned, let pc = json["pc"]?.unsigned, step > after else {
                Issue.record("find --event \(kind) --after \(after) answered \(result.stdoutText)")
                break
            }
            found.append((step, UInt32(pc)))
            after = step
        }
        return found
    }

    @Test func timerInterruptMarkersAreTheTenTicksAndTheTwoSoftwareInterrupts() throws {
        guard let run = try Recordings.timer() else { return }
        let scan = try Self.scanTimer(run.elf)
        let timer = scan.entries.filter { $0.code == 7 }
        let software = scan.entries.filter { $0.code == 3 }
        // Firmware/README.md: five ticks and one msip per mtvec mode.
        try #require(
            timer.count == 10 && software.count == 2,
            "the scan finds the README's interrupts: \(scan.entries)")

        let foundTimer = try Self.walk(run.path, kind: "timer-interrupt")
        #expect(foundTimer.map(\.step) == timer.map(\.step), "timer-interrupt markers at the entry steps")
        #expect(foundTimer.map(\.pc) == timer.map(\.pc), "timer-interrupt markers carry the interrupted pc")
        let foundSoftware = try Self.walk(run.path, kind: "software-interrupt")
        #expect(foundSoftware.map(\.step) == software.map(\.step))
        #expect(foundSoftware.map(\.pc) == software.map(\.pc))
        let family = try Self.walk(run.path, kind: "interrupt")
        #expect(
            family.map(\.step) == scan.entries.map(\.step),
            "the interrupt family is both kinds, in step order")

        // Backwards, --before WHEN includes WHEN.
        let last = try #require(timer.last)
        let before = try CLI.run([
            "find", run.path, "--event", "timer-interrupt", "--before", String(last.step), "--json",
        ])
        #expect(
            try parseJSON(before.stdoutText.trimmingCharacters(in: .newlines))["step"]?.unsigned == last.step)
        let earlier = try CLI.run([
            "find", run.path, "--event", "timer-interrupt", "--before", String(last.step - 1), "--json",
        ])
        #expect(
            try parseJSON(earlier.stdoutText.trimmingCharacters(in: .newlines))["step"]?.unsigned
                == timer[timer.count - 2].step)
        let none = try CLI.run([
            "find", run.path, "--event", "interrupt", "--before", String(scan.entries[0].step - 1),
        ])
        #expect(none.status == 1 && none.stderr.contains("not found"), "\(CLI.describe(none))")
        let noExceptions = try CLI.run(["find", run.path, "--event", "exception", "--after", "0"])
        #expect(
            noExceptions.status == 1, "the timer firmware takes no exception: \(CLI.describe(noExceptions))")
    }

    @Test func consoleAndExitMarkersAreAtTheStepsThatCausedThem() throws {
        guard let run = try Recordings.timer() else { return }
        let scan = try Self.scanTimer(run.elf)
        #expect(scan.newlines.count == 17, "Firmware/README.md: the timer prints 17 lines")
        let timeline = try Timeline(path: run.path)
        var steps: [UInt64] = []
        var after: UInt64 = 0
        while let marker = try timeline.marker(kind: MarkerKind.console, after: after), steps.count < 100 {
            steps.append(marker.step)
            after = marker.step
        }
        #expect(steps == scan.newlines, "a console marker at each step that wrote a newline")
        let lines = try timeline.markers(in: 0...timeline.totalSteps).filter { $0.kind == MarkerKind.console }
            .compactMap(\.text)
        #expect(
            lines.first == "timer start" && lines.last == "timer done",
            "console markers hold the lines: \(lines)")

        let exit = try CLI.run(["find", run.path, "--event", "exit", "--before", "end", "--json"])
        #expect(
            try parseJSON(exit.stdoutText.trimmingCharacters(in: .newlines))["step"]?.unsigned == scan.total,
            "the exit is the last step")
    }

    @Test func inputMarkersFollowTheBytesIntoTheUART() throws {
        guard let run = try Recordings.echo() else { return }
        let timeline = try Timeline(path: run.path)
        let inputs = try timeline.markers(in: 0...timeline.totalSteps).filter { $0.kind == MarkerKind.input }
        #expect(
            inputs.map { UInt8(truncatingIfNeeded: $0.value) } == run.input,
            "one input marker per byte, in order")
        #expect(inputs.map(\.step) == inputs.map(\.step).sorted())
        let external = try Self.walk(run.path, kind: "external-interrupt")
        #expect(!external.isEmpty, "the UART raises PLIC interrupts")
        let family = try Self.walk(run.path, kind: "interrupt")
        #expect(family.map(\.step) == external.map(\.step))
    }
}
