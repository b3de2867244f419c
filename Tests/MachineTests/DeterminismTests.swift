import Foundation
import Machine
import TestSupport
import Testing

/// The determinism contract (Machine.swift): the state after N steps depends only on the
/// firmware, the board and the input; slicing a run, snapshots and restores change nothing.
@Suite("Determinism")
struct DeterminismTests {
    /// A busy program: timer interrupts every few ticks, WFI, AMOs spread over four pages,
    /// UART output and polled UART input, compressed and uncompressed code.
    static let workload = """
            SET_MTVEC handler
            li s0, 0                # timer interrupts taken
            li s1, 0x12345          # LCG state
            li s2, 0                # iterations
            li s3, 0                # sum of received bytes
            li t0, MTIME
            lw t1, 0(t0)
            addi t1, t1, 3
            li t0, MTIMECMP
            sw zero, 4(t0)
            sw t1, 0(t0)
            li t0, 0x80
            csrw mie, t0
            csrsi mstatus, 8
        main:
            li t0, 1103515245
            mul s1, s1, t0
            li t0, 12345
            add s1, s1, t0
            srli t1, s1, 16
            li t3, 0x3FFC
            and t1, t1, t3          # a word in 16 KiB
            la t2, buffer
            add t2, t2, t1
            amoadd.w zero, s1, (t2)
            sh s1, 2(t2)
            li t4, UART
            lbu t5, 5(t4)
            andi t5, t5, 1
            beqz t5, 1f
            lbu t5, 0(t4)
            add s3, s3, t5
        1:  addi s2, s2, 1
            andi t3, s2, 63
            bnez t3, main
            wfi
            j main
            .balign 4
        handler:                    # uses only a0, a1: main owns the t and s registers
            addi s0, s0, 1
            li a0, MTIMECMP
            lw a1, 0(a0)
            addi a1, a1, 3
            sw a1, 0(a0)
            li a0, UART
            li a1, '.'
            sb a1, 0(a0)
            mret
            .data
            .balign 4096
        buffer: .space 16384
        """

    static let input = Array("determinism is a contract\n".utf8)

    /// A small deterministic generator (SplitMix64) for slice sizes and fuzzing.
    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func workloadMachine(withInput: Bool = true) throws -> (Machine, OutputRecorder) {
        let machine = try makeMachine(Self.workload)
        let recorder = machine.recordOutput()
        if withInput { machine.queueInput(Self.input) }
        return (machine, recorder)
    }

    @Test func runningInOneGoOrInSlicesReachesTheSameState() throws {
        let target: UInt64 = 60_000
        let (whole, wholeOutput) = try workloadMachine()
        #expect(whole.run(until: target) == .stepLimit)

        let (sliced, slicedOutput) = try workloadMachine()
        var random = SplitMix(state: 42)
        // Single steps at first (cuts inside every translated block), then random slices.
        while sliced.step < 3000 { #expect(sliced.run(until: sliced.step + 1) == .stepLimit) }
        while sliced.step < target {
            let next = min(target, sliced.step + 1 + random.next() % 700)
            #expect(sliced.run(until: next) == .stepLimit)
        }

        #expect(whole.state.csr.mcause == 0x8000_0007, "the workload took timer interrupts")
        #expect(whole.state[.s3] != 0, "and read input")
        #expect(whole.state.idleCycles > 0, "and idled in WFI")
        #expect(sliced.state == whole.state)
        #expect(sliced.stateHash == whole.stateHash)
        #expect(sliced.snapshot() == whole.snapshot())
        #expect(slicedOutput.console == wholeOutput.console)
        #expect(slicedOutput.traps == wholeOutput.traps)
    }

    @Test func twoFreshMachinesAgreeAtEveryCheckpoint() throws {
        let (first, _) = try workloadMachine()
        let (second, _) = try workloadMachine()
        #expect(first.stateHash == second.stateHash)
        for checkpoint in stride(from: UInt64(1000), through: 40_000, by: 1000) {
            first.run(until: checkpoint)
            second.run(until: checkpoint)
            #expect(first.stateHash == second.stateHash, "at step \(checkpoint)")
            #expect(first.state == second.state, "at step \(checkpoint)")
        }
    }

    @Test func restoringASnapshotAndRunningOnRepeatsTheRun() throws {
        let (machine, _) = try workloadMachine(withInput: false)
        #expect(machine.run(until: 10_000) == .stepLimit)
        let snapshot = machine.snapshot()
        let hashAtSnapshot = machine.stateHash
        #expect(machine.run(until: 30_000) == .stepLimit)
        let stateAfter = machine.state
        let hashAfter = machine.stateHash

        machine.restore(snapshot)
        #expect(machine.stateHash == hashAtSnapshot)
        #expect(machine.state == snapshot.state)
        #expect(machine.run(until: 30_000) == .stepLimit)
        #expect(machine.state == stateAfter)
        #expect(machine.stateHash == hashAfter)

        // The same snapshot restored into another machine of the same board.
        let (other, _) = try workloadMachine(withInput: false)
        other.run(until: 5_000)
        other.restore(snapshot)
        #expect(other.stateHash == hashAtSnapshot)
        #expect(other.run(until: 30_000) == .stepLimit)
        #expect(other.stateHash == hashAfter)
    }

    @Test func restoringASnapshotTakenBeforeCodeWasPatchedRunsTheOriginalCode() throws {
        // The loop rewrites one of its own instructions at iteration 100; a restore to before
        // the patch must not run a stale translation of the patched code (or vice versa).
        let source = """
                .option norvc
                li s0, 0
                li s1, 0
            loop:
                addi s0, s0, 1
            patch_site:
                addi s1, s1, 1          # becomes addi s1, s1, 2 at s0 == 100
                li t0, 100
                bne s0, t0, 1f
                la t1, patch_site
                li t2, 0x00248493       # addi s1, s1, 2
                sw t2, 0(t1)
            1:  j loop
            """
        let machine = try makeMachine(source)
        #expect(machine.run(until: 300) == .stepLimit)
        let beforePatch = machine.snapshot()
        #expect(machine.run(until: 2_000) == .stepLimit)
        let expected = machine.state
        let expectedHash = machine.stateHash

        let fresh = try makeMachine(source)
        fresh.run(until: 2_000)
        #expect(fresh.state == expected)

        machine.restore(beforePatch)
        #expect(machine.run(until: 2_000) == .stepLimit)
        #expect(machine.state == expected)
        #expect(machine.stateHash == expectedHash)
        // s1 counts 1 per iteration until the patch, 2 after it (the run may stop between
        // the two addi instructions of an iteration).
        let s0 = expected[.s0]
        #expect(s0 > 100)
        #expect([100 + 2 * (s0 - 100), 100 + 2 * (s0 - 101)].contains(expected[.s1]))
    }

    @Test func changingOneRAMByteOrOneRegisterChangesTheHash() throws {
        let (machine, _) = try workloadMachine(withInput: false)
        machine.run(until: 5_000)
        let hash = machine.stateHash
        let state = machine.state

        var changed = state
        changed.x[Register.a5.rawValue] ^= 1
        machine.restore(changed)
        #expect(machine.stateHash != hash)
        machine.restore(state)
        #expect(machine.stateHash == hash)

        // A byte in a page the program never touched, then one in its buffer.
        for address: UInt32 in [0x800F_F123, try machine.address(of: "buffer") + 5] {
            let index = Int((address - 0x8000_0000) / 4096)
            let original = machine.page(index)
            var page = original
            page[Int(address % 4096)] ^= 0x40
            machine.writePage(index, page)
            #expect(machine.stateHash != hash, "byte at \(hex(address))")
            machine.writePage(index, original)
            #expect(machine.stateHash == hash)
        }
    }

    @Test func everyFieldOfTheStateFeedsTheHash() throws {
        let (machine, _) = try workloadMachine(withInput: false)
        machine.run(until: 5_000)
        let state = machine.state
        let hash = machine.stateHash
        // PendingTrap has no public initializer: borrow one from a machine at a trap entry (the
        // only steps whose state holds one), and move it to this state's step.
        let (inHandler, _) = try workloadMachine(withInput: false)
        while inHandler.state.pendingTrap == nil { inHandler.run(until: inHandler.step + 1) }
        var someTrap = inHandler.state.pendingTrap
        someTrap?.step = state.step
        let mutations: [(String, (inout MachineState) -> Void)] = [
            ("step", { $0.step += 1 }),
            ("pc", { $0.pc += 2 }),
            ("x31", { $0.x[31] ^= 0x8000_0000 }),
            ("mstatus", { $0.csr.mstatus ^= 0x80 }),
            ("mie", { $0.csr.mie ^= 0x8 }),
            ("mip", { $0.csr.mip ^= 0x800 }),
            ("mtvec", { $0.csr.mtvec ^= 0x100 }),
            ("mscratch", { $0.csr.mscratch ^= 1 }),
            ("mepc", { $0.csr.mepc ^= 4 }),
            ("mcause", { $0.csr.mcause ^= 1 }),
            ("mtval", { $0.csr.mtval ^= 1 }),
            ("mcounteren", { $0.csr.mcounteren ^= 1 }),
            ("mcountinhibit", { $0.csr.mcountinhibit ^= 4 }),
            ("mcycleOffset", { $0.csr.mcycleOffset ^= 1 }),
            ("minstretOffset", { $0.csr.minstretOffset ^= 1 }),
            ("pmpcfg", { $0.csr.pmpcfg[2] ^= 1 }),
            ("pmpaddr", { $0.csr.pmpaddr[7] ^= 1 }),
            ("nonRetiredSteps", { $0.nonRetiredSteps += 1 }),
            ("idleCycles", { $0.idleCycles += 1 }),
            ("reservation", { $0.reservation = 0x8000_1000 }),
            ("isWaitingForInterrupt", { $0.isWaitingForInterrupt.toggle() }),
            ("pendingTrap", { $0.pendingTrap = $0.pendingTrap == nil ? someTrap : nil }),
            ("uart.receiveFIFO", { $0.uart.receiveFIFO.append(0x41) }),
            ("uart.ier", { $0.uart.ier ^= 1 }),
            ("uart.lcr", { $0.uart.lcr ^= 3 }),
            ("uart.scr", { $0.uart.scr ^= 0xFF }),
            ("uart.fcr", { $0.uart.fcr ^= 1 }),
            ("uart.divisor", { $0.uart.divisor ^= 1 }),
            ("clint.msip", { $0.clint.msip ^= 1 }),
            ("clint.mtimecmp", { $0.clint.mtimecmp ^= 1 << 40 }),
            ("clint.mtimeOffset", { $0.clint.mtimeOffset ^= 1 }),
            ("plic.priority", { $0.plic.priority[10] ^= 1 }),
            ("plic.enable", { $0.plic.enable[0] ^= 1 << 10 }),
            ("plic.threshold", { $0.plic.threshold[0] ^= 1 }),
            ("plic.claimed", { $0.plic.claimed[0] ^= 1 << 10 }),
            ("plic.pending", { $0.plic.pending[0] ^= 1 << 10 }),
            ("semihosting", { $0.semihosting.featuresPosition += 1 }),
            ("htif", { $0.htif.lastCommand ^= 1 }),
        ]
        for (name, mutate) in mutations {
            var changed = state
            mutate(&changed)
            machine.restore(changed)
            #expect(machine.state == changed, "\(name) survives restore")
            #expect(machine.stateHash != hash, "\(name) must feed the hash")
        }
        machine.restore(state)
        #expect(machine.stateHash == hash)
    }

    @Test func aStateSurvivesACodableRoundTripAndRestoresToTheSameFuture() throws {
        let (machine, _) = try workloadMachine()
        machine.run(until: 12_345)
        let snapshot = machine.snapshot()
        let data = try JSONEncoder().encode(snapshot.state)
        let decoded = try JSONDecoder().decode(MachineState.self, from: data)
        #expect(decoded == snapshot.state)

        machine.run(until: 20_000)
        let expectedHash = machine.stateHash
        var decodedSnapshot = snapshot
        decodedSnapshot.state = decoded
        machine.restore(decodedSnapshot)
        machine.run(until: 20_000)
        #expect(machine.stateHash == expectedHash)
    }

    @Test func aSnapshotTakenWhileWaitingInWFIResumesTheWait() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
                li t0, MTIMECMP
                li t1, 40
                sw t1, 0(t0)
                li t1, 0x80
                csrw mie, t1
                csrsi mstatus, 8
                wfi
                EXIT 1
                .balign 4
            handler:
                EXIT 0
            """)
        while !machine.state.isWaitingForInterrupt { machine.run(until: machine.step + 1) }
        let snapshot = machine.snapshot()
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        let finalState = machine.state
        machine.restore(snapshot)
        #expect(machine.state.isWaitingForInterrupt)
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state == finalState)
    }

    @Test func takeDirtyPagesReportsExactlyThePagesStoredTo() throws {
        let machine = try makeMachine(
            """
                li t0, 0x80003000
                li t1, 0xAB
                sb t1, 7(t0)            # page 3
                li t0, 0x80005FFC
                sw t1, 0(t0)            # page 5
                li t0, 0x800C8000
                sh t1, 0x7FE(t0)        # page 200
                li t0, 0x80040000
                amoor.w zero, t1, (t0)  # page 64
                li t0, 0x80007000
                lw t2, 0(t0)            # a load: page 7 stays clean
                EXIT 0
            """)
        #expect(machine.takeDirtyPages().isEmpty, "loading the image is not a store")
        #expect(machine.run(until: 1_000) == .exited(code: 0, via: .finisher))
        #expect(machine.takeDirtyPages() == [3, 5, 64, 200])
        #expect(machine.takeDirtyPages().isEmpty, "a new interval starts")
    }

    @Test(arguments: [true, false])
    func takeDirtyLinesReportsTheLinesAndGranulesStoredTo(compiled: Bool) throws {
        let machine = try makeMachine(
            """
                li t0, 0x80003000
                li t1, 0xAB
                sb t1, 7(t0)            # page 3, line 0, granule 0
                sb t1, 0x47(t0)         # page 3, line 1, granule 8
                li t0, 0x80004000
                sw t1, 6(t0)            # page 4, misaligned: granules 0 and 1 of line 0
                li t0, 0x80005FFC
                sw t1, 0(t0)            # page 5, line 63, granule 511
                li t0, 0x800C8000
                sh t1, 0x7FE(t0)        # page 200, line 31, granule 255
                EXIT 0
            """)
        machine.compilesBlocks = compiled
        #expect(machine.run(until: 1_000) == .exited(code: 0, via: .finisher))
        let lines = machine.takeDirtyLines()
        #expect(lines.map(\.page) == [3, 4, 5, 200])
        #expect(lines.map(\.lines) == [0b11, 0b1, 1 << 63, 1 << 31])
        func granules(_ bits: [Int]) -> SIMD8<UInt64> {
            var mask = SIMD8<UInt64>(repeating: 0)
            for bit in bits { mask[bit >> 6] |= 1 << UInt64(bit & 63) }
            return mask
        }
        #expect(
            lines.map(\.granules) == [granules([0, 8]), granules([0, 1]), granules([511]), granules([255])])
        #expect(machine.takeDirtyLines().isEmpty)
    }

    @Test func takeDirtyPagesCoversStoresSplitAcrossRunCalls() throws {
        let machine = try makeMachine(
            """
                li t0, 0x80010000
                li t1, 1
                sw t1, 0(t0)            # page 16
            second:
                li t2, 0x80011000
                sw t1, 0(t2)            # page 17
                sw t1, 8(t0)            # page 16 again
                EXIT 0
            """)
        try machine.step(untilSymbol: "second")
        #expect(machine.takeDirtyPages() == [16])
        #expect(machine.run(until: 1_000) == .exited(code: 0, via: .finisher))
        #expect(machine.takeDirtyPages() == [16, 17])
    }
}

/// Breakpoints and the write watch: debugger stops that must not change what the run does.
@Suite("Run control")
struct RunControlTests {
    static let loop = """
            .option norvc
            li s0, 0
            la s1, cell
        loop:
            addi s0, s0, 1
            addi t0, s0, 100
        middle:
            addi t1, t0, 1          # in the middle of a straight-line block
            sw t1, 0(s1)
            sw t1, 8(s1)            # beside the watched word
            li t2, 5
            bne s0, t2, loop
            amoadd.w zero, t2, (s1)
            EXIT 0
            .data
            .balign 8
        cell: .word 0, 0, 0
        """

    @Test(arguments: [true, false])
    func aBreakpointStopsBeforeTheInstructionAndRunningOnStopsAtTheNextHit(compiled: Bool) throws {
        let machine = try makeMachine(Self.loop, compiled: compiled)
        let middle = try machine.address(of: "middle")
        machine.setBreakpoints([middle])
        var hits: [(step: UInt64, s0: UInt32, t1: UInt32)] = []
        var reason = machine.run(until: 10_000)
        while reason == .breakpoint {
            #expect(machine.pc == middle)
            hits.append((machine.step, machine.state[.s0], machine.state[.t1]))
            reason = machine.run(until: 10_000)
        }
        #expect(reason == .exited(code: 0, via: .finisher))
        #expect(hits.map(\.s0) == [1, 2, 3, 4, 5])
        #expect(
            hits.map(\.t1) == [0, 102, 103, 104, 105], "the instruction at the breakpoint has not run yet")
        // Consecutive hits are one loop iteration (7 instructions) apart.
        #expect(zip(hits.dropFirst(), hits).allSatisfy { $0.step - $1.step == 7 })
    }

    @Test(arguments: [true, false])
    func breakpointsDoNotChangeTheRun(compiled: Bool) throws {
        let plain = try makeMachine(Self.loop, compiled: compiled)
        #expect(plain.run(until: 10_000) == .exited(code: 0, via: .finisher))
        let stopped = try makeMachine(Self.loop, compiled: compiled)
        stopped.setBreakpoints([try stopped.address(of: "middle"), try stopped.address(of: "loop")])
        var stops = 0
        while stopped.run(until: 10_000) == .breakpoint { stops += 1 }
        #expect(stops == 10)
        #expect(stopped.state == plain.state)
        #expect(stopped.stateHash == plain.stateHash)
    }

    @Test func aBreakpointAtTheCurrentPcStopsAtOnceUnlessItJustStoppedThere() throws {
        // The timeline's "when did pc X run" search counts a hit at its starting state.
        let machine = try makeMachine(Self.loop)
        let loop = try machine.address(of: "loop")
        try machine.step(untilPC: loop)
        let step = machine.step
        machine.setBreakpoints([loop])
        #expect(machine.run(until: 10_000) == .breakpoint)
        #expect(machine.step == step)
        #expect(machine.run(until: 10_000) == .breakpoint, "the next iteration")
        #expect(machine.step == step + 7)
    }

    @Test(arguments: [true, false])
    func theWriteWatchStopsRightAfterAStoreIntoItsRange(compiled: Bool) throws {
        let machine = try makeMachine(Self.loop, compiled: compiled)
        let cell = try machine.address(of: "cell")
        machine.setWriteWatch(cell..<cell + 4)
        var stops: [(pc: UInt32, s0: UInt32)] = []
        var reason = machine.run(until: 10_000)
        while case .watchpoint(let pc) = reason {
            stops.append((pc, machine.state[.s0]))
            #expect(machine.pc == pc + 4, "stopped after the writing instruction")
            reason = machine.run(until: 10_000)
        }
        #expect(reason == .exited(code: 0, via: .finisher))
        let store = try machine.address(of: "middle") + 4
        let amo = try machine.address(of: "middle") + 20
        #expect(
            stops.map(\.pc) == [store, store, store, store, store, amo],
            "the store beside the range never stops")
        #expect(stops.map(\.s0) == [1, 2, 3, 4, 5, 5])
        #expect(try machine.readWords(at: "cell", count: 3) == [111, 0, 106])
    }

    /// The read watch stops right after every instruction that read a byte of its range —
    /// word, halfword and byte loads, a misaligned load that straddles into it, LR and an AMO —
    /// and `takeWatchedAccess` says what each read; loads beside the range and stores into it
    /// do not stop. With a write watch too, the store stops as a store.
    @Test(arguments: [true, false])
    func theReadWatchStopsRightAfterEveryLoadFromItsRange(compiled: Bool) throws {
        let source = """
                .option norvc
                la s1, cell
            loads:
                lw t0, 4(s1)            # the watched word
                lbu t0, 7(s1)           # its last byte
                lh t0, 2(s1)            # beside it: not watched
                lw t0, 6(s1)            # misaligned, bytes 6..9: straddles in
                lw t0, 8(s1)            # beside it
                lr.w t0, (s1)           # beside it
                addi s2, s1, 4
                lr.w t0, (s2)
                amoadd.w t0, t0, (s2)
                sw t0, 4(s1)            # a store
                EXIT 0
                .data
                .balign 8
            cell: .word 0, 0x44332211, 0
            """
        let machine = try makeMachine(source, compiled: compiled)
        let cell = try machine.address(of: "cell")
        let loads = try machine.address(of: "loads")
        machine.setReadWatch(cell + 4..<cell + 8)
        var accesses: [WatchedAccess] = []
        var reason = machine.run(until: 10_000)
        while case .watchpoint(let pc) = reason {
            let access = try #require(machine.takeWatchedAccess())
            #expect(access.pc == pc && machine.pc == pc + 4, "stopped after the reading instruction")
            accesses.append(access)
            reason = machine.run(until: 10_000)
        }
        #expect(reason == .exited(code: 0, via: .finisher))
        let expected: [(offset: UInt32, address: UInt32, size: UInt32)] = [
            (0, 4, 4), (4, 7, 1), (12, 6, 4), (28, 4, 4), (32, 4, 4),
        ]
        #expect(
            accesses
                == expected.map {
                    WatchedAccess(
                        pc: loads + $0.offset, address: cell + $0.address, size: $0.size, isLoad: true)
                }, "\(accesses)")

        // A read watch and a write watch: the store stops as one.
        let again = try makeMachine(source, compiled: compiled)
        again.setReadWatch(cell + 4..<cell + 8)
        again.setWriteWatch(cell + 4..<cell + 8)
        var last: WatchedAccess?
        while case .watchpoint = again.run(until: 10_000) { last = again.takeWatchedAccess() }
        #expect(last == WatchedAccess(pc: loads + 36, address: cell + 4, size: 4, isLoad: false))
    }
}
