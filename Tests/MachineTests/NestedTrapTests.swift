import Machine
import TestSupport
import Testing

/// Nested traps are ordinary traps (privileged spec 3.1.6–3.1.20): patterns real firmware and
/// the official conformance tests use run to completion, and each trap inside a handler
/// overwrites mepc/mcause/mtval exactly as the first one did.
@Suite("Nested traps")
struct NestedTrapTests {
    @Test(arguments: [true, false])
    func theConformanceTestsCSRProbeChainRunsToCompletion(compiled: Bool) throws {
        // riscv-tests' `p` start-up: mtvec at the next instruction, then touch a CSR that may
        // not exist, several times in a row, with no mret in between.
        let machine = try runToExit(
            """
                la t0, 1f
                csrw mtvec, t0
                csrw satp, zero         # no S-mode: illegal, lands on 1f
            1:  la t0, 2f
                csrw mtvec, t0
                csrw medeleg, zero      # no S-mode: illegal
            2:  la t0, 3f
                csrw mtvec, t0
                csrr s1, mcause
                csrw pmpaddr0, zero     # exists: no trap
            3:  la t0, 4f
                csrw mtvec, t0
            last_probe:
                csrwi 0x7c0, 1          # custom CSR: illegal
            4:  csrr s2, mcause
                csrr s3, mepc
                EXIT 0
            """, compiled: compiled)
        #expect(machine.state[.s1] == 2, "the second probe trapped with illegal instruction")
        #expect(machine.state[.s2] == 2)
        #expect(machine.state[.s3] == (try machine.address(of: "last_probe")), "mepc is the last probe")
    }

    @Test(arguments: [true, false])
    func anEcallInsideAHandlerIsTakenAndReturnsIntoTheHandler(compiled: Bool) throws {
        // As riscv-tests' sbreak/shamt signal a pass: an ecall made inside a trap handler.
        let machine = try runToExit(
            """
                SET_MTVEC handler
            outer_site:
                .word 0                 # illegal: enters the handler
                li s4, 1                # reached after both returns
                EXIT 0
                .balign 4
            handler:
                csrr t0, mcause
                li t1, 11
                beq t0, t1, from_ecall
                csrr s2, mepc           # the outer trap's mepc, saved
                addi s5, s5, 1
            inner_site:
                ecall                   # a trap inside the handler
                addi s2, s2, 4
                csrw mepc, s2
                mret
            from_ecall:
                csrr s3, mepc
                addi s6, s6, 1
                addi t0, s3, 4
                csrw mepc, t0
                mret
            """, compiled: compiled)
        #expect(machine.state[.s4] == 1)
        #expect(machine.state[.s5] == 1 && machine.state[.s6] == 1, "one entry each")
        #expect(machine.state[.s2] == (try machine.address(of: "outer_site")) + 4)
        #expect(machine.state[.s3] == (try machine.address(of: "inner_site")))
    }

    @Test(arguments: [true, false])
    func nestedInterruptsWithSavedMepcAndMstatusReturnInOrder(compiled: Bool) throws {
        // A timer interrupt handler saves mepc/mstatus, re-enables interrupts and takes a
        // software interrupt inside itself; both return.
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, 0x88             # MTIE | MSIE
                csrw mie, t0
                csrsi mstatus, 8        # MTIP is pending since reset: taken at once
            resume:
                li s4, 1
                EXIT 0
                .balign 4
            handler:
                addi sp, sp, -8
                csrr t0, mepc
                sw t0, 0(sp)
                csrr t0, mstatus
                sw t0, 4(sp)
                csrr t0, mcause
                bltz t0, 1f
                EXIT 3                  # no exception expected
            1:  slli t0, t0, 1
                srli t0, t0, 1
                li t1, 7
                bne t0, t1, software
                # timer: silence it, raise MSIP, open interrupts: the software one nests here
                li t0, MTIMECMP
                li t1, -1
                sw t1, 4(t0)
                sw t1, 0(t0)
                li t0, MSIP
                li t1, 1
                sw t1, 0(t0)
                addi s5, s5, 1
                csrsi mstatus, 8
            nested_site:
                nop
                csrci mstatus, 8
                j done
            software:
                addi s6, s6, 1
                csrr s7, mepc
                li t0, MSIP
                sw zero, 0(t0)
            done:
                lw t0, 4(sp)
                csrw mstatus, t0
                lw t0, 0(sp)
                csrw mepc, t0
                addi sp, sp, 8
                mret
                .data
                .balign 16
                .space 256
            stack_top:
            """, compiled: compiled, setup: "la sp, stack_top")
        #expect(machine.state[.s4] == 1)
        #expect(machine.state[.s5] == 1 && machine.state[.s6] == 1)
        #expect(machine.state[.s7] == (try machine.address(of: "nested_site")), "taken as soon as MIE opened")
    }

    @Test(arguments: [true, false])
    func anExceptionInsideAnInterruptHandlerIsTakenAndTheHandlerReturns(compiled: Bool) throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, 0x80
                csrw mie, t0
                csrsi mstatus, 8        # MTIP pending since reset
                li s4, 1
                EXIT 0
                .balign 4
            handler:
                csrr t0, mcause
                bgez t0, fault
                csrr s2, mepc           # the interrupt's mepc
                li t0, MTIMECMP
                li t1, -1
                sw t1, 4(t0)
                li t0, HOLE
            fault_site:
                lw t1, 0(t0)            # an access fault inside the interrupt handler
                csrw mepc, s2
                mret
            fault:
                addi s5, s5, 1
                csrr s3, mtval
                csrr t0, mepc
                addi t0, t0, 4
                csrw mepc, t0
                mret
            """, compiled: compiled)
        #expect(machine.state[.s4] == 1)
        #expect(machine.state[.s5] == 1)
        #expect(machine.state[.s3] == TestProgram.hole)
    }

    @Test func aFaultAtTheVectorAfterAnInstructionRetiredThereIsNotACrash() throws {
        // The handler's first instruction runs; the second faults once, then the handler
        // changes course: legal, however close to the entry.
        let machine = try runToExit(
            """
                SET_MTVEC handler
                .word 0                 # illegal
                EXIT 0
                .balign 4
            handler:
                addi s2, s2, 1
                li t0, 2
                beq s2, t0, inner
                csrr s3, mepc
                ecall                   # a second trap before mret
                addi s3, s3, 4
                csrw mepc, s3
                mret
            inner:
                csrr t0, mepc
                addi t0, t0, 4
                csrw mepc, t0
                mret
            """, compiled: true)
        #expect(machine.state[.s2] == 2)
    }
}

private func runToExit(_ source: String, compiled: Bool, setup: String = "") throws -> Machine {
    try TestSupport.runToExit(setup + "\n" + source, compiled: compiled)
}

/// Misaligned loads and stores are performed by default, as QEMU's `virt` hart performs them.
@Suite("Misaligned accesses")
struct MisalignedAccessTests {
    @Test(arguments: [true, false])
    func misalignedLoadsAndStoresOfEverySizeAndOffsetArePerformed(compiled: Bool) throws {
        let machine = try TestSupport.runToExit(
            """
                la s0, data
                li a0, 0x11223344
                sw a0, 1(s0)            # bytes 1…4
                lw a1, 1(s0)
                lh a2, 3(s0)            # 0x1122
                lhu a3, 2(s0)           # 0x2233
                li t0, 0xFFFF8001
                sh t0, 7(s0)            # bytes 7, 8
                lh a4, 7(s0)            # sign-extended
                lhu a5, 7(s0)
                la s1, page_end         # across a 64-byte line and a 4 KiB page
                li t0, 0xA1B2C3D4
                sw t0, -3(s1)
                lw a6, -3(s1)
                lw a7, -1(s1)
                EXIT 0
                .data
                .balign 4096
            data: .space 64
                .space 4096 - 64
            page_end: .space 8
            """, compiled: compiled)
        let data = try machine.address(of: "data")
        #expect(machine.readRAM(data, count: 10) == [0, 0x44, 0x33, 0x22, 0x11, 0, 0, 0x01, 0x80, 0])
        #expect(machine.state[.a1] == 0x1122_3344)
        #expect(machine.state[.a2] == 0x1122)
        #expect(machine.state[.a3] == 0x2233)
        #expect(machine.state[.a4] == 0xFFFF_8001)
        #expect(machine.state[.a5] == 0x8001)
        #expect(machine.state[.a6] == 0xA1B2_C3D4)
        let end = try machine.address(of: "page_end")
        #expect(machine.readRAM(end - 3, count: 4) == [0xD4, 0xC3, 0xB2, 0xA1])
        #expect(machine.state[.a7] & 0xFFFF == 0xA1B2)
        #expect(machine.state.csr.mcause == 0, "nothing trapped")
    }

    @Test(arguments: [true, false])
    func aMisalignedStoreThatSpillsIntoCodeOnTheNextPageInvalidatesItsTranslation(compiled: Bool) throws {
        // The store's first byte is data on one page, its second byte the low byte of a
        // translated c.li on the next page: the translation must not survive.
        let machine = try TestSupport.runToExit(
            """
                .option rvc
                jal ra, target
                mv s2, a0
                la t0, target
                lbu t1, -1(t0)
                li t2, 0x0900
                or t1, t1, t2
                sh t1, -1(t0)           # c.li a0, 1 (0x4505) becomes c.li a0, 2 (0x4509)
                jal ra, target
                mv s3, a0
                EXIT 0
                .balign 4096
            target:
                .2byte 0x4505           # c.li a0, 1
                ret
            """, compiled: compiled)
        #expect(machine.state[.s2] == 1)
        #expect(machine.state[.s3] == 2, "the patched instruction ran")
    }

    @Test func aMisalignedAccessThatTouchesADeviceOrAHoleIsAnAccessFault() throws {
        let machine = try TestSupport.runToExit(
            """
                SET_MTVEC handler
                li t0, HOLE
            site:
                lw a0, 1(t0)
                EXIT 1
                .balign 4
            handler:
                EXIT 0
            """)
        #expect(machine.state.csr.mcause == 5)
        #expect(machine.state.csr.mtval == TestProgram.hole + 1)
        #expect(machine.state.csr.mepc == (try machine.address(of: "site")))
    }
}
