import Machine
import Testing
import TestSupport

/// Compiled blocks must be invisible: every run gives the same states, output and end as the
/// interpreter, including code that rewrites itself and data that shares a page with code.
@Suite struct TranslationTests {
    /// Runs `firmware` to the end in both modes and compares the state hash and the written
    /// granules since the previous checkpoint at checkpoints spread over the run (including odd
    /// steps that cut blocks in the middle). With `steppingIndex`, a third machine steps one
    /// instruction at a time, and every chunk of code an instruction ran from in the interval
    /// must be among the executed chunks either mode reports (they may hold more: a block
    /// counts as run from its entry).
    private func expectSameRun(
        _ firmware: Firmware, input: [UInt8] = [], checkpoints: Int = 9, ramSize: UInt32 = 4 << 20,
        seed: UInt64? = nil, steppingIndex: Bool = false
    ) throws -> StopReason {
        func makeMachine(compiled: Bool) throws -> (Machine, Box) {
            let machine = try Machine(firmware: firmware, board: .virt(ramSize: ramSize))
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
        let (stepped, _) = try makeMachine(compiled: false)
        let trapped = Flag()
        stepped.eventSink = { event in if case .trap = event { trapped.isSet = true } }
        var steppedChunks = 0
        var previous: UInt64 = 0
        for index in 1...checkpoints {
            let target = totalSteps * UInt64(index) / UInt64(checkpoints) + UInt64(index % 3)
            let expectedEnd = interpreted.run(until: target)
            if steppingIndex && index % 2 == 1 && target < totalSteps {
                // Every other interval, the translations are dropped halfway: what ran before
                // still counts.
                _ = compiled.run(until: (previous + target) / 2)
                compiled.compilesBlocks = true
            }
            previous = target
            let end = compiled.run(until: target)
            #expect(end == expectedEnd)
            #expect(compiled.step == interpreted.step, "step at checkpoint \(target)")
            let what =
                "at step \(interpreted.step) of \(firmware.name)\(seed.map { ", seed \(TestSeed.describe($0))" } ?? "")"
            #expect(compiled.stateHash == interpreted.stateHash, "state \(what)")
            // The recording's index of the interval: the same granules were written, and every
            // chunk that ran is listed.
            #expect(
                compiled.takeDirtyLines() == interpreted.takeDirtyLines(),
                "written lines and granules \(what)")
            let compiledChunks = Set(compiled.takeExecutedChunks())
            let interpretedChunks = Set(interpreted.takeExecutedChunks())
            guard steppingIndex else { continue }
            var ran: Set<Int> = []
            while stepped.step < interpreted.step {
                let pc = stepped.pc
                trapped.isSet = false
                guard stepped.run(until: stepped.step + 1) == .stepLimit else { break }
                if !trapped.isSet, let chunk = stepped.executedChunk(of: pc) { ran.insert(chunk) }
            }
            steppedChunks += ran.count
            #expect(
                ran.isSubset(of: compiledChunks),
                "compiled: unlisted chunks \(ran.subtracting(compiledChunks)) \(what)")
            #expect(
                ran.isSubset(of: interpretedChunks),
                "interpreted: unlisted chunks \(ran.subtracting(interpretedChunks)) \(what)")
        }
        #expect(!steppingIndex || steppedChunks > 0, "the stepping machine saw code run")
        #expect(compiled.run(until: 50_000_000) == referenceEnd)
        #expect(compiledOutput.bytes == referenceOutput.bytes)
        return referenceEnd
    }

    final class Box: @unchecked Sendable { var bytes: [UInt8] = [] }
    final class Flag: @unchecked Sendable { var isSet = false }

    @Test(arguments: ["exerciser", "timer", "workload", "semihost", "htif"])
    func compiledBlocksMatchTheInterpreterOnTestFirmware(_ name: String) throws {
        _ = try expectSameRun(Firmware.load(contentsOf: FirmwareBuilder.elf(name)), steppingIndex: true)
    }

    /// The benchmark set: call-heavy code, 64-bit arithmetic through libgcc, byte loops, switch
    /// tables, recursion, memcpy/memset, and a timer interrupt every few thousand instructions
    /// arriving inside chained blocks. Many checkpoints at odd steps cut chains everywhere.
    @Test(arguments: BenchmarkFirmware.programs)
    func compiledBlocksMatchTheInterpreterOnTheBenchmarkSet(_ name: String) throws {
        _ = try expectSameRun(
            Firmware.load(contentsOf: BenchmarkFirmware.smallELF(name)), checkpoints: 23, ramSize: 16 << 20)
    }

    /// Random programs over all 31 registers (the ones compiled code keeps in host registers
    /// and the ones it keeps in memory, in every combination as source and destination), with
    /// every ALU, M, load and store instruction, forward branches, calls and returns, and the
    /// division cases the hardware would trap on.
    @Test func randomProgramsMatchTheInterpreter() throws {
        let seed = TestSeed.make("randomProgramsMatchTheInterpreter")
        var random = SeededGenerator(seed: seed)
        for _ in 0..<8 {
            let source = RandomProgram.source(using: &random)
            let end = try expectSameRun(
                Assembler.firmware(TestProgram.prelude + source), checkpoints: 31, seed: seed,
                steppingIndex: true)
            #expect(end == .exited(code: 0, via: .finisher), "seed \(TestSeed.describe(seed))")
        }
    }

    /// A jump already linked to a block, and a return looked up in the jump table, reach the
    /// block after its code was rewritten (the stale block forwards to its new translation).
    @Test func linkedJumpsAndReturnsReachRewrittenCode() throws {
        let source = """
                .globl _start
            _start:
                li a0, 0
                li s2, 1            # next immediate
                li s3, 40
                la s4, patched
            loop:
                slli t0, s2, 20
                li t1, (10 << 15) | (10 << 7) | 0x13
                or t0, t0, t1
                sw t0, 0(s4)        # addi a0, a0, s2
                jal ra, patched     # linked after the first round
                beq s2, s3, done
                addi s2, s2, 1
                j loop
            done:
                EXIT 0
                .balign 64
            patched:
                .4byte 0x00000013
                ret                 # looked up in the jump table
            """
        _ = try expectSameRun(
            Assembler.firmware(TestProgram.prelude + source), checkpoints: 17, steppingIndex: true)
        for compiled in [false, true] {
            let machine = try makeMachine(source)
            machine.compilesBlocks = compiled
            #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
            #expect(machine.state.x[10] == (1...40).reduce(0, +), "compiled: \(compiled)")
        }
    }

    /// Breakpoints at every function of a benchmark program (reached by linked jumps, calls
    /// and returns looked up in the jump table): compiled code stops at the same steps as the
    /// interpreter, and running on from each stop goes on the same way.
    @Test(arguments: ["calls", "switch", "interrupts"])
    func breakpointsStopCompiledCodeWhereTheInterpreterStops(_ name: String) throws {
        let firmware = try Firmware.load(contentsOf: BenchmarkFirmware.smallELF(name))
        let functions = Set(firmware.symbols.symbols.filter { $0.kind == .function }.map(\.address))
        #expect(functions.count > 5)
        var stops: [[UInt64]] = []
        for compiled in [false, true] {
            let machine = try Machine(firmware: firmware, board: .virt(ramSize: 16 << 20))
            machine.compilesBlocks = compiled
            machine.setBreakpoints(functions)
            var steps: [UInt64] = []
            while steps.count < 3000, machine.run(until: 50_000_000) == .breakpoint {
                #expect(functions.contains(machine.pc))
                steps.append(machine.step)
            }
            stops.append(steps)
        }
        #expect(stops[0].count > 500)
        #expect(stops[1] == stops[0])
    }

    @Test func compiledBlocksMatchTheInterpreterWithUARTInput() throws {
        _ = try expectSameRun(
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
        _ = try expectSameRun(Assembler.firmware(TestProgram.prelude + source))
        let machine = try makeMachine(source)
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state.x[10] == 200)
    }
}

/// Random RV32IM programs for `TranslationTests`: every register 1…31 as source and
/// destination, all ALU/M/load/store forms, forward branches, and calls, repeated in a loop.
enum RandomProgram {
    private static let alu = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"]
    private static let multiply = ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"]
    private static let immediate = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
    private static let shifts = ["slli", "srli", "srai"]
    private static let loads = [("lw", 4), ("lh", 2), ("lhu", 2), ("lb", 1), ("lbu", 1)]
    private static let stores = [("sw", 4), ("sh", 2), ("sb", 1)]
    private static let branches = ["beq", "bne", "blt", "bge", "bltu", "bgeu"]
    /// Values that make division and comparisons interesting.
    private static let special: [Int64] = [0, 1, -1, 0x7FFF_FFFF, -0x8000_0000, 0x80, 0xFF, 0xFFFF]

    static func source<G: RandomNumberGenerator>(using random: inout G) -> String {
        // Most operands come from a few registers (some kept in host registers by compiled
        // code, some not), so that rd = rs1, rd = rs2 and rs1 = rs2 are frequent.
        let hot = [0, 2, 5, 9, 14, 15, 18, 31]
        func index() -> Int {
            Int.random(in: 0..<10, using: &random) < 7
                ? hot.randomElement(using: &random) ?? 0 : Int.random(in: 0...31, using: &random)
        }
        func register() -> String { "x\(index())" }
        // ra is only written by calls, so that returns go back.
        func destination() -> String {
            var register = 1
            while register == 1 { register = index() }
            return "x\(register)"
        }
        func base() -> String {
            var register = 0
            while register <= 1 { register = index() }
            return "x\(register)"
        }
        func value() -> Int64 {
            Bool.random(using: &random)
                ? special.randomElement(using: &random) ?? 0
                : Int64(Int32(truncatingIfNeeded: random.next()))
        }
        func instructions(_ count: Int, label: inout Int) -> [String] {
            var lines: [String] = []
            for _ in 0..<count {
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<25:
                    lines.append(
                        "\(alu.randomElement(using: &random) ?? "add") \(destination()), \(register()), \(register())"
                    )
                case 25..<35:
                    lines.append(
                        "\(multiply.randomElement(using: &random) ?? "mul") \(destination()), \(register()), \(register())"
                    )
                case 35..<50:
                    let imm = Int.random(in: -2048...2047, using: &random)
                    lines.append(
                        "\(immediate.randomElement(using: &random) ?? "addi") \(destination()), \(register()), \(imm)"
                    )
                case 50..<57:
                    let amount = Int.random(in: 0...31, using: &random)
                    lines.append(
                        "\(shifts.randomElement(using: &random) ?? "slli") \(destination()), \(register()), \(amount)"
                    )
                case 57..<62:
                    lines.append("li \(destination()), \(value())")
                case 62..<65:
                    lines.append("lui \(destination()), \(Int.random(in: 0...0xFFFFF, using: &random))")
                    lines.append("auipc \(destination()), \(Int.random(in: 0...0xFFFFF, using: &random))")
                case 65..<80:
                    let base = base()
                    let (name, size) = loads.randomElement(using: &random) ?? ("lw", 4)
                    let offset = Int.random(in: 0..<(1024 / size), using: &random) * size
                    lines.append("la \(base), buffer")
                    lines.append("\(name) \(destination()), \(offset)(\(base))")
                case 80..<92:
                    let base = base()
                    let (name, size) = stores.randomElement(using: &random) ?? ("sw", 4)
                    let offset = Int.random(in: 0..<(1024 / size), using: &random) * size
                    lines.append("la \(base), buffer")
                    lines.append("\(name) \(register()), \(offset)(\(base))")
                case 92..<97:
                    label += 1
                    let target = "skip\(label)"
                    lines.append(
                        "\(branches.randomElement(using: &random) ?? "beq") \(register()), \(register()), \(target)"
                    )
                    lines += instructions(Int.random(in: 1...4, using: &random), label: &label)
                    lines.append("\(target):")
                default:
                    lines.append("call helper")
                }
            }
            return lines
        }
        var label = 0
        let body = instructions(400, label: &label)
        let helper = instructions(6, label: &label).filter { !$0.hasPrefix("call") }
        var lines = [".globl _start", "_start:"]
        for index in 2...31 { lines.append("li x\(index), \(value())") }
        lines.append("loop:")
        lines += body
        lines += [
            "la t0, counter", "lw t1, 0(t0)", "addi t1, t1, -1", "sw t1, 0(t0)", "bnez t1, loop", "EXIT 0",
        ]
        lines += ["helper:"] + helper + ["ret"]
        lines += [".data", ".balign 64", "counter: .4byte 30", ".balign 64", "buffer: .fill 1024, 1, 0x5a"]
        return lines.map { $0.hasSuffix(":") || $0.hasPrefix(".") ? $0 : "    " + $0 }.joined(separator: "\n")
            + "\n"
    }
}
