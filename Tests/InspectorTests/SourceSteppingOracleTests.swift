import DebugInfo
import Foundation
import Inspector
import Machine
import Recording
import Testing
import TestSupport

/// Source stepping agrees with gdb: from the same breakpoint, gdb's `next`, `step` and
/// `finish` on QEMU (scripts/gdb-steps.sh) and Timescope's moves on a recording of the same
/// run land in the same states (pc and every register). Backwards there is no oracle (gdb
/// cannot record RISC-V), so reverse moves are checked against the forward ones: reverse-next
/// from where `next` landed goes back to the start of the line `next` left.
@Suite struct SourceSteppingOracleTests {
    /// One line of gdb-steps.sh: the move and the registers after it (pc, then x1…x31).
    struct GDBState: Equatable {
        var move: String
        var registers: [UInt32]
    }

    func gdbStates(_ elf: String, _ location: String, _ moves: [String]) throws -> [GDBState] {
        let script = TimescopeProcess.packageRoot.appendingPathComponent("scripts/gdb-steps.sh").path
        let result = try runProcess("/bin/bash", [script, elf, location] + moves, timeout: 180)
        try #require(result.status == 0, "gdb-steps.sh: \(result.stderr)")
        return result.stdoutText.split(separator: "\n").map { line in
            let fields = line.split(separator: " ").dropFirst()
            return GDBState(
                move: String(fields.first ?? ""),
                registers: fields.dropFirst().compactMap { UInt32($0, radix: 16) })
        }
    }

    func registers(_ timeline: Timeline, at step: UInt64) throws -> [UInt32] {
        try timeline.seek(to: step)
        let state = timeline.machine.state
        return [state.pc] + state.x.dropFirst()
    }

    func describe(_ timeline: Timeline, _ debugInfo: DebugInfo, _ step: UInt64?) throws -> String {
        guard let step else { return "nil" }
        try timeline.seek(to: step)
        let frame = debugInfo.callStack(TargetState(machine: timeline.machine)).frames.first
        return
            "step \(step) pc \(String(timeline.machine.pc, radix: 16)) \(frame?.function ?? "?") \(frame?.location?.description ?? "?")"
    }

    /// Runs the moves on both sides and compares; returns the steps Timescope landed on.
    @discardableResult
    func compare(elf: String, recording: String, location: String, moves: [String]) throws -> [UInt64] {
        let gdb = try gdbStates(elf, location, moves)
        try #require(gdb.first?.move == "start" && gdb.first?.registers.count == 32, "gdb: \(gdb)")
        let timeline = try Timeline(path: recording)
        let debugInfo = try DebugInfo(firmware: timeline.machine.firmware)
        let stepper = SourceStepper(timeline: timeline, debugInfo: debugInfo)
        // The start: the first time the breakpoint's pc runs with gdb's registers.
        let startRegisters = gdb[0].registers
        let hit = try #require(
            try timeline.nextExecution(of: [startRegisters[0]], after: 0) { machine in
                (1..<32).allSatisfy { machine.register($0) == startRegisters[$0] }
            })
        var step = hit.step - 1
        var landed: [UInt64] = [step]
        for expected in gdb.dropFirst() {
            let move: SourceMove = expected.move == "next" ? .next : expected.move == "step" ? .step : .finish
            let destination = try stepper.destination(of: move, from: step, backward: false)
            let got = try destination.map { try registers(timeline, at: $0) }
            let from = try describe(timeline, debugInfo, step)
            let to = try describe(timeline, debugInfo, destination)
            #expect(
                got == expected.registers,
                "\(location) move \(landed.count) \(expected.move) from \(from): Timescope \(to), gdb pc \(String(expected.registers[0], radix: 16))"
            )
            guard let destination, got == expected.registers else { break }
            step = destination
            landed.append(step)
        }
        return landed
    }

    /// Reverse moves undo the forward ones gdb agreed with: reverse-next from where a `next`
    /// landed in the same frame goes back no further than where that `next` started, to the
    /// start of a line-table row of the same function; reverse-finish from where a `step` entered a function goes back to the
    /// call instruction, with sp as the callee found it.
    func checkReverse(recording: String, landed: [UInt64], moves: [String]) throws {
        let timeline = try Timeline(path: recording)
        let debugInfo = try DebugInfo(firmware: timeline.machine.firmware)
        let stepper = SourceStepper(timeline: timeline, debugInfo: debugInfo)
        var checked = 0
        for index in 1..<landed.count {
            let before = landed[index - 1]
            let after = landed[index]
            try timeline.seek(to: before)
            let beforeStack = debugInfo.callStack(TargetState(machine: timeline.machine))
            let beforeLine = stepper.place(at: timeline.machine.pc).line
            try timeline.seek(to: after)
            let afterStack = debugInfo.callStack(TargetState(machine: timeline.machine))
            // (From a function's first instruction, gdb's reverse-next goes on back to the call.)
            try timeline.seek(to: before)
            let atEntry = debugInfo.function(containing: timeline.machine.pc)?.entry == timeline.machine.pc
            if moves[index - 1] == "next", !atEntry,
                beforeStack.frames.first?.function == afterStack.frames.first?.function,
                beforeStack.frames.first?.cfa == afterStack.frames.first?.cfa
            {
                let back = try #require(try stepper.destination(of: .next, from: after, backward: true))
                try timeline.seek(to: back)
                let pc = timeline.machine.pc
                let backStack = debugInfo.callStack(TargetState(machine: timeline.machine))
                #expect(
                    back >= before && back < after && debugInfo.lines.row(at: pc)?.range.lowerBound == pc
                        && backStack.frames.first?.function == beforeStack.frames.first?.function,
                    "reverse-next from \(after) went to \(back), not back to a line of the frame at \(before) (\(String(describing: beforeLine)))"
                )
                checked += 1
            }
            if moves[index - 1] == "step", afterStack.frames.count > beforeStack.frames.count,
                let calleeFrame = afterStack.frames.first?.cfa
            {
                let back = try #require(try stepper.destination(of: .finish, from: after, backward: true))
                try timeline.seek(to: back)
                let isCall: Bool
                if let bytes = timeline.machine.readMemory(timeline.machine.pc, count: 4) {
                    let half = UInt32(bytes[0]) | UInt32(bytes[1]) << 8
                    let word = half | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
                    isCall =
                        half & 3 == 3
                        ? (word & 0x7f == 0x6f || word & 0x7f == 0x67) && (word >> 7) & 31 == 1
                        : (half & 0xe003 == 0x2001) || (half & 0xf07f == 0x9002 && (half >> 7) & 31 != 0)
                } else {
                    isCall = false
                }
                #expect(
                    back >= before && back < after && isCall && timeline.machine.register(2) == calleeFrame,
                    "reverse-finish from \(after) went to \(back), not to the call")
                checked += 1
            }
        }
        #expect(checked > 0, "no move was checked backwards")
    }

    @Test func theCrashDemoMovesAsGdbMoves() throws {
        guard try RequiredTool.require(.qemu, .gdb) else { return }
        let elf = DemoRecording.crashELF
        let moves = [
            "next", "next", "step", "next", "finish", "next", "step", "step", "step", "finish", "next",
            "next", "next",
        ]
        let landed = try compare(
            elf: elf, recording: DemoRecording.crash, location: "register_sensor", moves: moves)
        try checkReverse(recording: DemoRecording.crash, landed: landed, moves: moves)
        let pollMoves = [
            "next", "next", "step", "next", "next", "finish", "next", "step", "next", "next", "next", "next",
            "next", "next",
        ]
        let polled = try compare(
            elf: elf, recording: DemoRecording.crash, location: "poll_sensors", moves: pollMoves)
        try checkReverse(recording: DemoRecording.crash, landed: polled, moves: pollMoves)
        try compare(
            elf: elf, recording: DemoRecording.crash, location: "sensorhub.c:72",
            moves: ["next", "next", "next", "finish", "next", "next", "step", "step", "next", "next"])
    }
}
