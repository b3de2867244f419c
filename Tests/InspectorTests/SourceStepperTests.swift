import DebugInfo
import Foundation
import Inspector
import Machine
import Recording
import Testing

@Suite("Source stepping on the crash demo")
struct SourceStepperTests {
    func describe(_ timeline: Timeline, _ debugInfo: DebugInfo, _ step: UInt64) throws -> String {
        try timeline.seek(to: step)
        let stack = debugInfo.callStack(TargetState(machine: timeline.machine))
        let frame = stack.frames.first
        return
            "\(step) \(frame?.function ?? "?") \(frame?.location?.description ?? "?") pc=\(String(timeline.machine.pc, radix: 16))"
    }

    @Test func walk() throws {
        let timeline = try Timeline(path: DemoRecording.crash)
        let debugInfo = try DebugInfo(firmware: timeline.machine.firmware)
        let stepper = SourceStepper(timeline: timeline, debugInfo: debugInfo)
        let main = try #require(timeline.machine.firmware.symbols.symbol(named: "main"))
        var step =
            try #require(try timeline.nextExecution(of: [main.address], after: 0) { _ in true }).step - 1
        print("start:", try describe(timeline, debugInfo, step))
        for move in [
            SourceMove.next, .step, .step, .step, .next, .next, .step, .step, .step, .finish, .next, .next,
            .next, .next, .step, .step, .finish, .next,
        ] {
            guard let next = try stepper.destination(of: move, from: step, backward: false) else { break }
            step = next
            print("fwd \(move):", try describe(timeline, debugInfo, step))
        }
        for move in [
            SourceMove.next, .next, .next, .step, .step, .step, .step, .finish, .next, .next, .next, .next,
            .next, .next,
        ] {
            guard let next = try stepper.destination(of: move, from: step, backward: true) else { break }
            step = next
            print("back \(move):", try describe(timeline, debugInfo, step))
        }
        #expect(step > 0)
    }
}
