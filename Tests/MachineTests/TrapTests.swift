import Foundation
import Machine
import TestSupport
import Testing

/// Exceptions, interrupts' vectoring, mret, crash detection and step accounting
/// (privileged spec 3.1.6–3.1.20, 3.3.2; board facts from shared/boards/virt.md).
@Suite("Traps")
struct TrapTests {
    static let mstatusMIE: UInt32 = 1 << 3
    static let mstatusMPIE: UInt32 = 1 << 7
    static let mstatusMPP: UInt32 = 3 << 11

    /// Runs `body` with a direct-mode handler that exits 0 at once, so the state at the exit
    /// shows the trap's mcause/mepc/mtval/mstatus. `site` labels the faulting instruction.
    func trap(
        _ body: String, compiled: Bool = true, misaligned: BoardConfiguration.MisalignedAccess = .perform
    ) throws -> (
        machine: Machine, site: UInt32, handler: UInt32
    ) {
        let machine = try runToExit(
            compiled: compiled, misaligned: misaligned,
            """
                SET_MTVEC handler
            \(body)
                EXIT 1                  # no trap happened
                .balign 4
            handler:
                EXIT 0
            """)
        return (machine, try machine.address(of: "site"), try machine.address(of: "handler"))
    }

    // MARK: Synchronous exceptions

    @Test func ecallTrapsWithCause11AndMepcAtTheEcall() throws {
        let (machine, site, _) = try trap(
            """
            site:
                ecall
            """)
        let csr = machine.state.csr
        #expect(csr.mcause == 11)
        #expect(csr.mepc == site)
        #expect(csr.mtval == 0)
    }

    @Test func ebreakTrapsWithCause3AndMtvalThePc() throws {
        let (machine, site, _) = try trap(
            """
                .option norvc
                nop
            site:
                ebreak
            """)
        let csr = machine.state.csr
        #expect(csr.mcause == 3)
        #expect(csr.mepc == site)
        #expect(csr.mtval == site)
    }

    @Test func compressedEbreakTrapsLikeEbreak() throws {
        let (machine, site, _) = try trap(
            """
            site:
                c.ebreak
            """)
        let csr = machine.state.csr
        #expect(csr.mcause == 3)
        #expect(csr.mepc == site)
        #expect(csr.mtval == site)
    }

    @Test(arguments: [
        (".2byte 0x0000", UInt32(0)),  // the all-zero halfword: defined illegal, mtval 0
        (".word 0xFFFFFFFF", 0xFFFF_FFFF),
        (".word 0x0000000B", 0x0000_000B),  // custom-0 opcode
        (".word 0x04005033", 0x0400_5033),  // OP with funct7 2: reserved
        (".word 0x0000302F", 0x0000_302F),  // AMO with funct3 3 (RV64 .d)
        (".word 0x1015252F", 0x1015_252F),  // lr.w with rs2 != 0: reserved
        (".2byte 0x6000", 0x6000),  // c.flw: no F extension
        (".2byte 0x4002", 0x4002),  // c.lwsp with rd = x0: reserved
        (".word 0x00001073 | (0x7c0 << 20)", 0x7C00_1073),  // csrw 0x7c0, zero: unknown CSR
        (".word 0x10200073", 0x1020_0073),  // sret: no S-mode
        (".word 0x12000073", 0x1200_0073),  // sfence.vma: no S-mode
        (".word 0x000000F3", 0x0000_00F3),  // ecall with rd != 0: reserved
        (".word 0x34004073", 0x3400_4073),  // SYSTEM funct3 4, rs1 = 0: reserved
        (".word 0x3400C073", 0x3400_C073),  // SYSTEM funct3 4, rs1 != 0: reserved
        (".word 0x02051513", 0x0205_1513),  // slli a0, a0, 32: shamt[5] is reserved on RV32
        (".word 0x02055513", 0x0205_5513),  // srli a0, a0, 32
        (".word 0x00053503", 0x0005_3503),  // ld: RV64
        (".word 0x00056503", 0x0005_6503),  // lwu: RV64
        (".word 0x00A53023", 0x00A5_3023),  // sd: RV64
        (".word 0x00002063", 0x0000_2063),  // branch funct3 2
        (".word 0x00001067", 0x0000_1067),  // jalr with funct3 1
        (".word 0x0000001B", 0x0000_001B),  // OP-IMM-32: RV64
        (".word 0x00052007", 0x0005_2007),  // flw: no F
        (".word 0x0000200F", 0x0000_200F),  // MISC-MEM funct3 2
        (".2byte 0x0004", 0x0004),  // c.addi4spn with nzuimm 0
        (".2byte 0x6101", 0x6101),  // c.addi16sp with nzimm 0
        (".2byte 0x6081", 0x6081),  // c.lui with nzimm 0
        (".2byte 0x8002", 0x8002),  // c.jr x0
        (".2byte 0x2000", 0x2000),  // c.fld
        (".2byte 0xE002", 0xE002),  // c.fswsp
        (".2byte 0x9C01", 0x9C01),  // c.subw: RV64
        (".2byte 0x1002", 0x1002),  // c.slli with shamt[5] = 1: reserved on RV32
        (".2byte 0x9001", 0x9001),  // c.srli with shamt[5] = 1: reserved on RV32
        (".2byte 0x8000", 0x8000),  // quadrant 0, funct3 4: reserved
    ])
    func illegalInstructionsTrapWithTheirBitsInMtval(_ word: String, bits: UInt32) throws {
        let (machine, site, _) = try trap(
            """
            site:
                \(word)
            """)
        let csr = machine.state.csr
        #expect(csr.mcause == 2)
        #expect(csr.mepc == site)
        #expect(csr.mtval == bits)
    }

    static let misalignedCases: [(String, UInt32, UInt32)] = [
        ("lw a0, 2(s0)", UInt32(4), UInt32(2)),
        ("lw a0, 1(s0)", 4, 1),
        ("lh a0, 1(s0)", 4, 1),
        ("lhu a0, 3(s0)", 4, 3),
        ("sw a0, 2(s0)", 6, 2),
        ("sw a0, 3(s0)", 6, 3),
        ("sh a0, 1(s0)", 6, 1),
    ]

    static let misalignedAtomicCases: [(String, UInt32, UInt32)] = [
        ("lr.w a0, (s1)", 4, 2),
        ("amoadd.w a0, a1, (s1)", 6, 2),
        ("sc.w a0, a1, (s1)", 6, 2),
    ]

    /// On a board configured to trap them (`--misaligned trap`), every misaligned access
    /// raises address-misaligned; LR/SC and AMOs do on every board.
    @Test(
        arguments: (misalignedCases.map { ($0, BoardConfiguration.MisalignedAccess.trap) }
            + misalignedAtomicCases.flatMap { c in
                BoardConfiguration.MisalignedAccess.allCases.map { (c, $0) }
            })
            .flatMap { c in [true, false].map { (c.0.0, c.0.1, c.0.2, c.1, $0) } })
    func misalignedAccessesTrapWithTheAddress(
        _ instruction: String, cause: UInt32, offset: UInt32, misaligned: BoardConfiguration.MisalignedAccess,
        compiled: Bool
    ) throws {
        let (machine, site, _) = try trap(
            """
                la s0, data
                addi s1, s0, 2
            site:
                \(instruction)
                .data
                .balign 8
            data: .space 16
            """, compiled: compiled, misaligned: misaligned)
        let data = try machine.address(of: "data")
        let csr = machine.state.csr
        #expect(csr.mcause == cause)
        #expect(csr.mepc == site)
        #expect(csr.mtval == data + offset)
        #expect(
            try machine.readWords(at: "data", count: 4) == [0, 0, 0, 0], "a trapping store writes nothing")
    }

    static let holeCases: [(String, UInt32, UInt32)] = [
        ("lw a0, 0(s0)", UInt32(5), UInt32(0)),
        ("lb a0, 3(s0)", 5, 3),
        ("lhu a0, 2(s0)", 5, 2),
        ("sw a0, 0(s0)", 7, 0),
        ("sh a0, 2(s0)", 7, 2),
        ("sb a0, 1(s0)", 7, 1),
        ("amoswap.w a0, a1, (s0)", 7, 0),  // spec: store/AMO access fault (QEMU says 5)
    ]

    @Test(arguments: holeCases.flatMap { c in [true, false].map { (c.0, c.1, c.2, $0) } })
    func accessesToAHoleInTheMapFaultWithTheAddress(
        _ instruction: String, cause: UInt32, offset: UInt32, compiled: Bool
    ) throws {
        let (machine, site, _) = try trap(
            """
                li s0, HOLE
            site:
                \(instruction)
            """, compiled: compiled)
        let csr = machine.state.csr
        #expect(csr.mcause == cause)
        #expect(csr.mepc == site)
        #expect(csr.mtval == TestProgram.hole + offset)
    }

    static let pastEndCases: [(String, UInt32)] = [
        ("lw a0, 0(s0)", 5), ("lbu a0, 0(s0)", 5), ("sw a0, 0(s0)", 7), ("sb a0, 0(s0)", 7),
    ]

    @Test(arguments: pastEndCases.flatMap { c in [true, false].map { (c.0, c.1, $0) } })
    func accessesPastTheEndOfRAMFault(_ instruction: String, cause: UInt32, compiled: Bool) throws {
        // 1 MiB of RAM: 0x8010_0000 is the first byte past it.
        let (machine, site, _) = try trap(
            """
                li s0, 0x80100000
            site:
                \(instruction)
            """, compiled: compiled)
        let csr = machine.state.csr
        #expect(csr.mcause == cause)
        #expect(csr.mepc == site)
        #expect(csr.mtval == 0x8010_0000)
    }

    @Test func theLastWordOfRAMIsAccessible() throws {
        let machine = try runToExit(
            """
                li s0, 0x80100000
                li t0, 0x12345678
                sw t0, -4(s0)
                lw a0, -4(s0)
                lbu a1, -1(s0)
                EXIT 0
            """)
        #expect(machine.state[.a0] == 0x1234_5678)
        #expect(machine.state[.a1] == 0x12)
    }

    @Test func jumpingIntoAHoleRaisesAnInstructionAccessFault() throws {
        let (machine, _, _) = try trap(
            """
                li t0, HOLE
            site:
                jalr ra, 0(t0)
            """)
        let csr = machine.state.csr
        #expect(csr.mcause == 1)
        #expect(csr.mepc == TestProgram.hole)
        #expect(csr.mtval == TestProgram.hole)
        #expect(machine.state[.ra] == (try machine.address(of: "site")) + 4, "the jump itself retired")
    }

    @Test func jumpingPastTheEndOfRAMRaisesAnInstructionAccessFault() throws {
        let (machine, _, _) = try trap(
            """
                li t0, 0x80100000
            site:
                jr t0
            """)
        let csr = machine.state.csr
        #expect(csr.mcause == 1)
        #expect(csr.mepc == 0x8010_0000)
        #expect(csr.mtval == 0x8010_0000)
    }

    @Test func aCompressedInstructionInTheLastHalfwordOfRAMRunsThenFetchFaultsPastTheEnd() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, 0x800FFFFE
                li t1, 0x451D           # c.li a0, 7
                sh t1, 0(t0)
                jr t0
                .balign 4
            handler:
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.a0] == 7)
        #expect(state.csr.mcause == 1)
        #expect(state.csr.mepc == 0x8010_0000)
        #expect(state.csr.mtval == 0x8010_0000)
    }

    @Test func aWordInstructionStraddlingTheEndOfRAMFetchFaults() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, 0x800FFFFE
                li t1, 0x0513           # low half of a 32-bit addi a0, ...
                sh t1, 0(t0)
                jr t0
                .balign 4
            handler:
                EXIT 0
            """)
        let state = machine.state
        #expect(state.csr.mcause == 1)
        #expect(state.csr.mepc == 0x800F_FFFE)
        #expect([0x800F_FFFE, 0x8010_0000].contains(state.csr.mtval), "mtval \(hex(state.csr.mtval))")
    }

    @Test func mieKeepsOnlyImplementedInterruptsAndMipIgnoresWrites() throws {
        let machine = try runToExit(
            """
                li t0, -1
                csrw mie, t0
                csrr s0, mie
                csrw mie, zero
                csrr s1, mip            # MTIP: mtimecmp is 0 at reset
                csrw mip, zero
                csrr s2, mip
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s0] == 0x888)
        #expect(state[.s1] == 0x80)
        #expect(state[.s2] == 0x80)
    }

    @Test func mcountinhibitFreezesMcycleAndMinstret() throws {
        let machine = try runToExit(
            """
                .option norvc
                csrwi mcountinhibit, 5  # CY and IR
                csrr s0, mcycle
                csrr s1, minstret
                nop
                nop
                csrr s2, mcycle
                csrr s3, minstret
                csrwi mcountinhibit, 0
                nop
                csrr s4, minstret
                csrr s5, mcycle
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s2] == state[.s0])
        #expect(state[.s3] == state[.s1])
        #expect(state[.s4] > state[.s3])
        #expect(state[.s5] > state[.s2])
    }

    // MARK: mstatus and mret

    @Test(arguments: [true, false])
    func trapEntryClearsMIEAndSavesItInMPIE(_ interruptsEnabled: Bool) throws {
        let (machine, _, _) = try trap(
            """
                csrw mstatus, \(interruptsEnabled ? "8" : "0")   # mie is 0: nothing can interrupt
                csrr s0, mstatus
            site:
                ecall
            """)
        let state = machine.state
        #expect(state[.s0] == Self.mstatusMPP | (interruptsEnabled ? Self.mstatusMIE : 0))
        #expect(state.csr.mstatus & Self.mstatusMIE == 0, "MIE is cleared on entry")
        #expect(state.csr.mstatus & Self.mstatusMPIE == (interruptsEnabled ? Self.mstatusMPIE : 0))
        #expect(state.csr.mstatus & Self.mstatusMPP == Self.mstatusMPP)
    }

    @Test(arguments: [true, false])
    func mretRestoresMIEFromMPIEAndSetsMPIE(_ previous: Bool) throws {
        let machine = try runToExit(
            """
                la t0, after
                csrw mepc, t0
                li t1, \(previous ? 0x80 : 0)       # MPIE as the handler would find it; MIE 0
                csrw mstatus, t1
                mret
                EXIT 1
            after:
                csrr s0, mstatus
                csrw mstatus, zero
                EXIT 0
            """)
        let mstatus = machine.state[.s0]
        #expect(mstatus & Self.mstatusMIE == (previous ? Self.mstatusMIE : 0))
        #expect(mstatus & Self.mstatusMPIE == Self.mstatusMPIE)
        #expect(mstatus & Self.mstatusMPP == Self.mstatusMPP)
    }

    @Test func aHandlerCanReturnWithMretAndTrapAgain() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li s0, 0
                ecall
                ecall
                ebreak
                EXIT 0
                .balign 4
            handler:
                addi s0, s0, 1
                csrr t0, mepc
                lhu t1, 0(t0)           # ebreak may have been assembled as c.ebreak
                andi t1, t1, 3
                li t2, 3
                addi t0, t0, 2
                bne t1, t2, 1f
                addi t0, t0, 2
            1:  csrw mepc, t0
                mret
            """)
        #expect(machine.state[.s0] == 3)
    }

    // MARK: Vectored mode

    @Test func vectoredMtvecSendsInterruptsToBasePlus4TimesCauseAndExceptionsToBase() throws {
        let machine = try runToExit(
            """
                .option norvc
                la t0, vectors
                ori t0, t0, 1           # vectored mode
                csrw mtvec, t0
                li s0, 0
                ecall                   # exception: to the base
                li t0, 8                # MSIE
                csrw mie, t0
                csrsi mstatus, 8
                li t1, MSIP
                li t2, 1
                sw t2, 0(t1)            # software interrupt: to base + 4 * 3
            spin:
                j spin
                .balign 64
            vectors:
                j exception             # +0: exceptions
                j bad
                j bad
                j software                # +12: cause 3 (MSI)
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
                j bad
            exception:
                li s0, 1
                csrr s1, mcause
                csrr t0, mepc
                addi t0, t0, 4
                csrw mepc, t0
                mret
            software:
                csrr s2, mcause
                EXIT 0
            bad:
                EXIT 9
            """)
        let state = machine.state
        #expect(state[.s0] == 1)
        #expect(state[.s1] == 11)
        #expect(state[.s2] == 0x8000_0003)
        #expect(state.csr.mepc == (try machine.address(of: "spin")))
    }

    // MARK: Crash detection

    @Test func aTrapWithNoHandlerCrashesWithTheFirstTrapsCauseAndPc() throws {
        let (machine, reason) = try runProgram(
            """
                csrw mtvec, zero        # nothing is mapped at 0
                nop
            site:
                .word 0xFFFFFFFF
                EXIT 0
            """)
        let site = try machine.address(of: "site")
        guard case .crashed(let report) = reason else {
            Issue.record("expected a crash, got \(reason)")
            return
        }
        #expect(report.cause == 2)
        #expect(report.pc == site)
        #expect(report.value == 0xFFFF_FFFF)
        #expect(report.step == machine.step, "the fatal fetch fault is not a step")
        #expect(report.reason.contains("cannot run"), "\(report.reason)")
        #expect(machine.state.csr.mepc == site, "state is left just before the fatal trap")
        #expect(machine.state.csr.mcause == 2)
        #expect(machine.run(until: 1_000_000) == reason, "running on reports the same crash")
    }

    @Test func aHandlerWhoseFirstInstructionFaultsOnItselfCrashes() throws {
        // mtvec points at a load from a hole: the handler's first instruction raises the
        // exception whose handler it is. Re-entering cannot change anything: a crash, reported
        // with the ecall that led there.
        let (machine, reason) = try runProgram(
            """
                SET_MTVEC handler
                li t0, HOLE
            site:
                ecall
                EXIT 0
                .balign 4
            handler:
                lw t1, 0(t0)
                mret
            """)
        let site = try machine.address(of: "site")
        guard case .crashed(let report) = reason else {
            Issue.record("expected a crash, got \(reason)")
            return
        }
        #expect(report.cause == 11)
        #expect(report.pc == site)
        #expect(report.value == 0)
        #expect(report.reason.contains("cannot run"), "\(report.reason)")
        #expect(machine.state.csr.mcause == 11, "the fatal load fault was not taken")
        #expect(machine.state.csr.mepc == site)
    }

    @Test func anEcallAsTheFirstInstructionOfAnInterruptHandlerCrashes() throws {
        let (machine, reason) = try runProgram(
            """
                SET_MTVEC handler
                li t0, 0x80
                csrw mie, t0            # MTIP is pending since reset
                csrsi mstatus, 8
                j .
                .balign 4
            handler:
                ecall                   # would overwrite mepc of the interrupt
                mret
            """)
        guard case .crashed(let report) = reason else {
            Issue.record("expected a crash, got \(reason)")
            return
        }
        #expect(machine.state.csr.mcause == 0x8000_0007, "the interrupt's CSRs are kept")
        #expect(report.cause == 11)
        #expect(report.pc == (try machine.address(of: "handler")))
    }

    @Test func aCompressedEbreakBetweenTheSemihostingMarkersIsABreakpoint() throws {
        let (machine, site, _) = try trap(
            """
                li a0, 4
                .option push
                .option norvc
                .balign 4
                slli x0, x0, 0x1f
            site:
                .2byte 0x9002           # c.ebreak
                .2byte 0x0001           # c.nop: keep the next marker word-aligned
                srai x0, x0, 7
                .option pop
            """)
        #expect(machine.state.csr.mcause == 3)
        #expect(machine.state.csr.mepc == site)
    }

    @Test func anIllegalInstructionInAHandlerCrashes() throws {
        let (_, reason) = try runProgram(
            """
                SET_MTVEC handler
                ebreak
                EXIT 0
                .balign 4
            handler:
                .2byte 0
            """)
        guard case .crashed(let report) = reason else {
            Issue.record("expected a crash, got \(reason)")
            return
        }
        #expect(report.cause == 3)
    }
}

/// What a step is: one retired instruction, one trap entry, or one WFI idle wait.
@Suite("Steps")
struct StepTests {
    @Test func eachRetiredInstructionIsOneStep() throws {
        let machine = try makeMachine(
            """
                .option norvc
                nop
                addi a0, a0, 1
                addi a0, a0, 1
                j 1f
            1:  addi a0, a0, 1
                EXIT 0
            """)
        for step in 1...5 {
            #expect(machine.run(until: UInt64(step)) == .stepLimit)
            #expect(machine.step == UInt64(step))
        }
        #expect(machine.pc == 0x8000_0014)
        #expect(machine.state[.a0] == 3)
        #expect(machine.state.minstret == 5)
    }

    @Test func aTrapEntryIsOneStepAndTheFaultingInstructionDoesNotCount() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
            site:
                ecall
                EXIT 1
                .balign 4
            handler:
                addi a0, zero, 5
                EXIT 0
            """)
        let recorder = machine.recordOutput()
        let site = try machine.address(of: "site")
        let handler = try machine.address(of: "handler")
        try machine.step(untilPC: site)
        let before = machine.step
        #expect(machine.state.minstret == before, "only retired instructions so far")
        #expect(machine.run(until: before + 1) == .stepLimit)
        #expect(machine.pc == handler, "one step later the trap has been entered")
        #expect(machine.state.csr.mcause == 11)
        #expect(machine.state[.a0] == 0, "the handler has not run yet")
        #expect(recorder.traps == [.init(cause: 11, pc: site, value: 0, step: before + 1)])
        #expect(machine.run(until: before + 2) == .stepLimit)
        #expect(machine.state[.a0] == 5)
        let state = machine.state
        #expect(state.minstret == before + 1, "the addi retired; the ecall did not")
        #expect(state.nonRetiredSteps == 1)
        #expect(state.mcycle == before + 2)
    }

    @Test func minstretCountsRetiredInstructionsAndMcycleCountsSteps() throws {
        let machine = try runToExit(
            """
                .option norvc
                SET_MTVEC handler
                csrr s0, minstret       # M
                csrr s1, mcycle         # C (the step count before this instruction)
                nop
                ecall                   # a step, not retired
                .balign 4
            handler:
                csrr s2, minstret       # M + 3: csrr s0, csrr s1, nop
                csrr s3, mcycle         # C + 4: csrr s1, nop, trap entry, csrr s2
                csrr s4, instret
                csrr s5, cycle
                csrr s6, minstreth
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s2] == state[.s0] + 3)
        #expect(state[.s3] == state[.s1] + 4)
        #expect(state[.s4] == state[.s2] + 2)
        #expect(state[.s5] == state[.s3] + 2)
        #expect(state[.s6] == 0)
        #expect(state[.s1] == state[.s0] + 1, "before any trap or idle wait, cycles = instructions retired")
    }

    /// As on QEMU (checked there): after `csrw minstret, 1000` the next instruction reads 1001,
    /// because a read counts the reading instruction itself.
    @Test func writingMinstretAndMcycleSetsWhatTheNextInstructionReads() throws {
        let machine = try runToExit(
            """
                .option norvc
                li t0, 1000
                csrw minstret, t0
                csrr s0, minstret       # 1001: this read counts itself
                csrr s1, minstret       # 1002
                li t0, 1000
                csrw mcycle, t0
                csrr s3, mcycle         # 1001
                li t1, 0x7FFFFFFF
                csrw mcycleh, t1
                csrr s2, mcycleh
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s0] == 1001)
        #expect(state[.s1] == 1002)
        #expect(state[.s3] == 1001)
        #expect(state[.s2] == 0x7FFF_FFFF)
    }
}

private func runToExit(
    compiled: Bool, misaligned: BoardConfiguration.MisalignedAccess = .perform, _ source: String
) throws -> Machine {
    try TestSupport.runToExit(source, compiled: compiled, misaligned: misaligned)
}
