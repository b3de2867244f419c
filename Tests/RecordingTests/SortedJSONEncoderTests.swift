import Foundation
import Machine
@testable import Recording
import Testing
import TestSupport

/// Keyframes store the machine state as JSON with sorted keys, written by `SortedJSONEncoder`
/// instead of Foundation's `JSONEncoder`: it must write exactly the bytes `JSONEncoder` does,
/// for every state a run passes through, and hand what it cannot write to `JSONEncoder`.
@Suite struct SortedJSONEncoderTests {
    static func foundationBytes<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    /// States of firmware that takes traps (a pending trap in the state), waits with input in
    /// the UART's FIFO and exits, every 13 steps and at a trap entry.
    @Test(arguments: [("timer", ""), ("traps", ""), ("echo", "hello, world\nq"), ("htif", "")])
    func aStateIsWrittenByteForByteAsJSONEncoderWritesIt(_ firmware: (name: String, input: String)) throws {
        guard let elf = try TestFirmware.elf(firmware.name) else { return }
        let machine = try Reference.machine(elf: elf, input: Array(firmware.input.utf8))
        var trapSteps: Set<UInt64> = []
        machine.eventSink = { event in
            if case .trap(let trap) = event { trapSteps.insert(trap.step) }
        }
        var checked = 0
        var sawInput = false
        while checked < 2000 {
            let reason = machine.run(until: machine.step + 13)
            let state = machine.state
            sawInput = sawInput || !state.uart.receiveFIFO.isEmpty
            let fast = try SortedJSONEncoder.encodeFast(state)
            let reference = try Self.foundationBytes(state)
            #expect(fast == reference, "step \(state.step): \(String(decoding: fast, as: UTF8.self))")
            if fast != reference { return }
            checked += 1
            if reason != .stepLimit { break }
        }
        #expect(checked > 0)
        if firmware.name == "echo" { #expect(sawInput, "some state had input waiting in the FIFO") }
        // A state right at a trap entry holds the trap.
        if let step = trapSteps.min() {
            let atTrap = try Reference.machine(elf: elf, input: Array(firmware.input.utf8), at: step)
            #expect(atTrap.state.pendingTrap != nil)
            #expect(try SortedJSONEncoder.encodeFast(atTrap.state) == Self.foundationBytes(atTrap.state))
        }
    }

    struct Unusual: Encodable {
        var name = "a/b \"c\"\n"
        var ratio = 0.1
        var numbers: [Int8] = [-128, 0, 127]
        var maybe: Int? = nil
        var extremes: [UInt64] = [0, 9, 10, .max]
        var signed: [Int64] = [.min, -1, .max]
    }

    /// Strings and floating point are JSONEncoder's to write: the fast path refuses them and
    /// `encode` gives JSONEncoder's bytes.
    @Test func whatItDoesNotWriteFallsBackToJSONEncoder() throws {
        #expect(throws: SortedJSONEncoder.Unsupported.self) { try SortedJSONEncoder.encodeFast(Unusual()) }
        #expect(try SortedJSONEncoder.encode(Unusual()) == Self.foundationBytes(Unusual()))
        struct Numbers: Encodable {
            var zed: [UInt64] = [0, 9, 10, .max]
            var alpha: [Int64] = [.min, -1, .max]
            var bits: [Bool] = [true, false]
            var absent: UInt32? = nil
            var present: UInt16? = 7
            var empty: [UInt8] = []
            var nested: [[UInt32]] = [[1, 2], []]
        }
        #expect(try SortedJSONEncoder.encodeFast(Numbers()) == Self.foundationBytes(Numbers()))
    }
}
