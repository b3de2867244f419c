import Machine
import Testing
import TestSupport

/// Compiled blocks must be invisible: every run gives the same states, output and end as the
/// interpreter, including code that rewrites itself and data that shares a page with code.
@Suite struct TranslationTests {
    /// Runs `firmware` to the end in both modes and compares the state hash at checkpoints
    /// spread over the run (including odd steps that cut blocks in the middle).
    private func expectSameRun(_ firmware: Firmware, input: [UInt8] = [], checkpoints: Int = 9) throws {
        func makeMachine(compiled: Bool) throws -> (Machine, Box) {
            let machine = try Machine(firmware: firmware, board: .virt(ramSize: 4 << 20))
            machine.compilesBlocks = compiled
            machine.queueInput(input)
            let output = Box()
            machine.consoleSink = { output.bytes.append($0) }
            return (machine, output)
        }
        let (reference, referenceOutput) = try makeMachine(compiled: false)
        let referenceEnd = reference.run(until: 50_000_000)
        let totalSteps = reference.step
        #expect(totalSteps > 10)

        let (interpreted, _) = try makeMachine(compiled: false)
        let (compiled, compiledOutput) = try makeMachine(compiled: true)
        for index in 1...checkpoints {
            let target = totalSteps * UInt64(index) / UInt64(checkpoints) + UInt64(index % 3)
            let expectedEnd = interpreted.run(until: target)
            let end = compiled.run(until: target)
            #expect(end == expectedEnd)
            #expect(compiled.step == interpreted.step, "step at checkpoint \(target)")
            #expect(
                compiled.stateHash == interpreted.stateHash,
                "state at step \(interpreted.step) of \(firmware.name)")
        }
        #expect(compiled.run(until: 50_000_000) == referenceEnd)
        #expect(compiledOutput.bytes == referenceOutput.bytes)
    }

    final class Box: @unchecked Sendable { var bytes: [UInt8] = [] }

    @Test(arguments: ["exerciser", "timer", "workload", "semihost", "htif"])
    func compiledBlocksMatchTheInterpreterOnTestFirmware(_ name: String) throws {
        try expectSameRun(Firmware.load(contentsOf: FirmwareBuilder.elf(name)))
    }

    @Test func compiledBlocksMatchTheInterpreterWithUARTInput() throws {
        try expectSameRun(
            Firmware.load(contentsOf: FirmwareBuilder.elf("echo")), input: Array("hello, world\nq".utf8))
    }

    /// The loop patches the immediate of its own `addi` every round (without FENCE.I, which
    /// Timescope does not need: it always executes what memory holds). Spec result: the sum
    /// 1 + 2 + … + 10 = 55 once each patched immediate takes effect in the next round.
    @Test func selfModifyingCodeExecutesTheNewInstructions() throws {
        let source = """
                .globl _start
            _start:
                li a0, 0            # sum
                li a1, 1            # next immediate
                li a2, 11
                la a3, patched
            loop:
                # build "addi a0, a0, imm" = imm << 20 | a0 << 15 | a0 << 7 | 0x13
                slli t0, a1, 20
                li t1, (10 << 15) | (10 << 7) | 0x13
                or t0, t0, t1
                sw t0, 0(a3)
                j patched
                .balign 4
            patched:
                .4byte 0x00000013   # nop, rewritten before it runs
                addi a1, a1, 1
                bne a1, a2, loop
                EXIT 0
            """
        for compiled in [false, true] {
            let machine = try makeMachine(source)
            machine.compilesBlocks = compiled
            let end = machine.run(until: 10_000)
            #expect(end == .exited(code: 0, via: .finisher))
            #expect(machine.state.x[10] == 55, "compiled: \(compiled)")
        }
    }

    /// Stores to data right next to the code (same page, other lines) must not disturb it.
    @Test func dataOnACodePageDoesNotDisturbTheCode() throws {
        let source = """
                .globl _start
            _start:
                la a3, buffer
                li a0, 0
                li a1, 200
            loop:
                sw a0, 0(a3)
                lw t0, 0(a3)
                add a0, t0, 1
                bne a0, a1, loop
                EXIT 0
                .balign 64
            buffer:
                .4byte 0
            """
        try expectSameRun(Assembler.firmware(TestProgram.prelude + source))
        let machine = try makeMachine(source)
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state.x[10] == 200)
    }
}
