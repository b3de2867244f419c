import Foundation
import Machine
import TestSupport
import Testing

/// The devices of QEMU's `virt` board as shared/boards/virt.md describes them: ns16550a UART,
/// PLIC, CLINT, sifive_test, HTIF and semihosting.
@Suite("Devices")
struct DeviceTests {
    static let machineTimerInterrupt: UInt32 = 0x8000_0007
    static let machineSoftwareInterrupt: UInt32 = 0x8000_0003
    static let machineExternalInterrupt: UInt32 = 0x8000_000B

    /// Enables UART receive interrupts through PLIC source 10 (priority 1, context 0,
    /// threshold 0) and mie.MEIE. Clobbers t0, t1.
    static let enableUARTInterrupt = """
            li t0, UART
            li t1, 1
            sb t1, 1(t0)            # IER: received data available
            li t0, PLIC
            li t1, 1
            sw t1, 4*10(t0)         # priority[10] = 1
            li t0, PLIC + 0x2000
            li t1, 1 << 10
            sw t1, 0(t0)            # context 0 enables source 10
            li t0, PLIC + 0x200000
            sw zero, 0(t0)          # threshold 0
            li t1, 0x800
            csrs mie, t1            # MEIE
        """

    // MARK: UART

    @Test func bytesWrittenToTHRReachTheConsole() throws {
        let machine = try makeMachine(
            """
                li t0, UART
                li t1, 'H'
                sb t1, 0(t0)
                li t1, 'i'
                sb t1, 0(t0)
                li t1, 0x0A21           # sw: the register takes the low byte ('!')
                sw t1, 0(t0)
                li t1, '\\n'
                sb t1, 0(t0)
                EXIT 0
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(recorder.text == "Hi!\n")
    }

    @Test func lsrReportsTransmitterEmptyAndDataReady() throws {
        let machine = try makeMachine(
            """
                li t0, UART
                lbu s0, 5(t0)           # nothing received: THRE | TEMT
            wait:
                lbu s1, 5(t0)
                andi t1, s1, 1
                beqz t1, wait
                lbu s2, 0(t0)           # RBR
                lbu s3, 5(t0)           # drained: DR clear again
                EXIT 0
            """)
        try machine.step(untilSymbol: "wait")
        machine.queueInput([0x5A])
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        let state = machine.state
        #expect(state[.s0] == 0x60)
        #expect(state[.s1] == 0x61)
        #expect(state[.s2] == 0x5A)
        #expect(state[.s3] == 0x60)
    }

    /// Reads `count` bytes from the UART (polling LSR.DR) into `buffer`, then exits.
    static func readBytes(_ count: Int, enableFIFO: Bool) -> String {
        """
            li t0, UART
            \(enableFIFO ? "li t1, 1\n    sb t1, 2(t0)            # FCR: FIFO enable" : "")
        ready:
            la s0, buffer
            li s1, \(count)
        loop:
            lbu t1, 5(t0)
            andi t1, t1, 1
            beqz t1, loop
            lbu t2, 0(t0)
            sb t2, 0(s0)
            addi s0, s0, 1
            addi s1, s1, -1
            bnez s1, loop
            EXIT 0
            .data
        buffer: .space \(count)
        """
    }

    @Test func queuedInputArrivesInOrderThroughAOneByteHoldingRegisterWithoutFIFO() throws {
        let machine = try makeMachine(Self.readBytes(3, enableFIFO: false))
        machine.queueInput(Array("abc".utf8))
        #expect(machine.run(until: 1) == .stepLimit)
        #expect(machine.state.uart.receiveFIFO == Array("a".utf8), "FIFO disabled: room for one byte")
        #expect(machine.queuedInputCount == 2)
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(machine.readRAM(try machine.address(of: "buffer"), count: 3) == Array("abc".utf8))
        #expect(machine.queuedInputCount == 0)
    }

    @Test func theReceiveFIFOHolds16BytesWhenEnabledThroughFCR() throws {
        let text = Array("abcdefghijklmnopqrst".utf8)  // 20 bytes
        let machine = try makeMachine(Self.readBytes(text.count, enableFIFO: true))
        try machine.step(untilSymbol: "ready")
        machine.queueInput(text)
        #expect(machine.run(until: machine.step + 1) == .stepLimit)
        #expect(machine.state.uart.receiveFIFO == Array(text.prefix(16)))
        #expect(machine.queuedInputCount == 4)
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(machine.readRAM(try machine.address(of: "buffer"), count: text.count) == text)
    }

    @Test func togglingFIFOEnableFlushesTheReceiverAsQEMUDoes() throws {
        let machine = try makeMachine(
            """
                li t0, UART
                lbu s0, 5(t0)           # DR: a byte is waiting
                li t1, 1
                sb t1, 2(t0)            # FCR: FIFO enable (flushes both FIFOs)
                lbu s1, 5(t0)
                EXIT 0
            """)
        machine.queueInput([0x11])
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state[.s0] & 1 == 1)
        #expect(machine.state[.s1] & 1 == 0)
        #expect(machine.state.uart.receiveFIFO.isEmpty)
    }

    @Test func deliverInputRefusesAByteWhenTheReceiverIsFull() throws {
        let machine = try makeMachine("EXIT 0")
        #expect(machine.deliverInput(1))
        #expect(!machine.deliverInput(2), "FIFO disabled at reset: one byte only")
        #expect(machine.state.uart.receiveFIFO == [1])
    }

    @Test func loopbackSendsTransmittedBytesToTheReceiverNotTheConsole() throws {
        let machine = try makeMachine(
            """
                li t0, UART
                li t1, 0x10
                sb t1, 4(t0)            # MCR: loopback
                li t1, 'x'
                sb t1, 0(t0)
                lbu s0, 5(t0)           # DR set
                lbu s1, 0(t0)
                EXIT 0
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(recorder.console.isEmpty)
        #expect(machine.state[.s0] & 1 == 1)
        #expect(machine.state[.s1] == UInt32(UInt8(ascii: "x")))
    }

    @Test func divisorLatchAccessDoesNotTransmit() throws {
        let machine = try makeMachine(
            """
                li t0, UART
                li t1, 0x80
                sb t1, 3(t0)            # LCR.DLAB
                li t1, 3
                sb t1, 0(t0)            # DLL
                sb zero, 1(t0)          # DLM
                lbu s0, 0(t0)
                li t1, 0x03
                sb t1, 3(t0)            # 8N1, DLAB off
                li t1, 'k'
                sb t1, 0(t0)
                EXIT 0
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(recorder.text == "k")
        #expect(machine.state[.s0] == 3)
        #expect(machine.state.uart.divisor == 3)
    }

    // MARK: PLIC

    @Test func uartReceiveInterruptIsClaimedThroughThePLIC() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
            \(Self.enableUARTInterrupt)
                li t0, PLIC + 0x200000
                li t1, 1
                sw t1, 0(t0)            # threshold 1: priority 1 is not above it
                csrr s0, mip            # no MEIP
                sw zero, 0(t0)          # threshold 0
                csrr s1, mip            # MEIP
                li t0, UART
                lbu s7, 2(t0)           # IIR: received data available
                csrsi mstatus, 8
            spin:
                j spin
                .balign 4
            handler:
                csrr s2, mcause
                li t0, PLIC + 0x200004
                lw s3, 0(t0)            # claim: 10
                lw s4, 0(t0)            # nothing else to claim: 0
                li t1, UART
                lbu s5, 0(t1)           # RBR: the line drops
                sw s3, 0(t0)            # complete
                li t2, PLIC + 0x1000
                lw s6, 0(t2)            # pending bits
                csrr s8, mip
                EXIT 0
            """)
        machine.queueInput([0x42])
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        let state = machine.state
        #expect(state[.s0] & 0x800 == 0, "threshold 1 masks priority 1")
        #expect(state[.s1] & 0x800 != 0, "MEIP once a claimable source exists")
        #expect(state[.s7] & 0x0F == 0x04, "IIR: received data available")
        #expect(state[.s2] == Self.machineExternalInterrupt)
        #expect(state[.s3] == 10)
        #expect(state[.s4] == 0)
        #expect(state[.s5] == 0x42)
        #expect(state[.s6] == 0)
        #expect(state[.s8] & 0x800 == 0)
        #expect(state.csr.mepc == (try machine.address(of: "spin")))
    }

    @Test func aLevelTriggeredSourceIsPendingAgainAfterCompleteWhileItsLineIsHigh() throws {
        let machine = try makeMachine(
            """
            \(Self.enableUARTInterrupt)
                li t0, PLIC + 0x200004
                lw s0, 0(t0)            # claim 10
                lw s1, 0(t0)            # 0 while claimed
                sw s0, 0(t0)            # complete; the UART still has data
                lw s2, 0(t0)            # 10 again
                sw s2, 0(t0)
                EXIT 0
            """)
        machine.queueInput([1, 2])
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        let state = machine.state
        #expect([state[.s0], state[.s1], state[.s2]] == [10, 0, 10])
    }

    // MARK: CLINT

    @Test func mtimeAdvancesOneTickPer100Steps() throws {
        let machine = try makeMachine(
            """
                li t0, MTIME
            site:
                lw s0, 0(t0)
                lw s1, 4(t0)
            spin:
                j spin
            """)
        try machine.step(untilSymbol: "site")
        machine.run(until: 250)
        #expect(machine.mtime == 2)
        machine.run(until: 299)
        #expect(machine.mtime == 2)
        machine.run(until: 300)
        #expect(machine.mtime == 3)
        #expect(machine.state[.s0] == 0)
        #expect(machine.state[.s1] == 0)
        machine.run(until: 123_456)
        #expect(machine.mtime == 1234)
        #expect(machine.state.mtime == 1234)
    }

    @Test func mtimeIsReadableThroughTheClintAndTheTimeCSR() throws {
        let machine = try makeMachine(
            """
                li t0, 2000
            delay:
                addi t0, t0, -1
                bnez t0, delay
                li t1, MTIME
            site:
                lw s0, 0(t1)
                csrr s1, time
                csrr s2, timeh
                EXIT 0
            """)
        try machine.step(untilSymbol: "site")
        let siteStep = machine.step
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        let state = machine.state
        #expect(UInt64(state[.s0]) == siteStep / 100)
        #expect(UInt64(state[.s1]) == (siteStep + 1) / 100)
        #expect(state[.s2] == 0)
    }

    @Test func mtimecmpAtOrBelowMtimeRaisesMTIP() throws {
        let machine = try runToExit(
            """
                csrr s0, mip            # mtimecmp = 0 at reset: MTIP pending
                li t0, MTIMECMP
                li t1, 0x7fffffff
                sw t1, 4(t0)
                csrr s1, mip            # far future: clear
                li t2, MTIME
                lw t3, 0(t2)
                sw t3, 0(t0)            # low word = mtime, high still large
                sw zero, 4(t0)          # mtimecmp = mtime (≤ mtime)
                csrr s2, mip
                lw s3, 0(t0)
                lw s4, 4(t0)
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s0] & 0x80 != 0)
        #expect(state[.s1] & 0x80 == 0)
        #expect(state[.s2] & 0x80 != 0)
        #expect(state[.s4] == 0)
    }

    static let timerProgram = """
            SET_MTVEC handler
            li t0, MTIMECMP
            li t1, 50
            sw t1, 0(t0)            # mtimecmp = 50 ticks = step 5000
            li t1, 0x80
            csrw mie, t1            # MTIE
            csrsi mstatus, 8
        spin:
            j spin
            .balign 4
        handler:
            csrr s0, mcause
            csrr s1, time
            EXIT 0
        """

    @Test func theTimerInterruptIsTakenAtTheStepWhereMtimeReachesMtimecmp() throws {
        let machine = try makeMachine(Self.timerProgram)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 5000) == .stepLimit)
        #expect(recorder.traps.isEmpty, "mtime is 49 until step 5000")
        #expect(machine.state.csr.mip & 0x80 != 0, "MTIP at step 5000")
        #expect(machine.run(until: 5001) == .stepLimit)
        let spin = try machine.address(of: "spin")
        #expect(recorder.traps == [.init(cause: Self.machineTimerInterrupt, pc: spin, value: 0, step: 5001)])
        #expect(machine.pc == (try machine.address(of: "handler")))
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state[.s0] == Self.machineTimerInterrupt)
        #expect(machine.state[.s1] == 50)
    }

    @Test func theTimerInterruptIsTakenAtTheSameStepWhenRunInSlices() throws {
        let machine = try makeMachine(Self.timerProgram)
        let recorder = machine.recordOutput()
        var limit: UInt64 = 0
        while limit < 6000 {
            limit += 7
            if machine.run(until: limit) != .stepLimit { break }
        }
        #expect(recorder.traps.first?.step == 5001)
    }

    @Test func wfiWithTheTimerArmedIdlesToTheDeadlineAsOneStepThenTakesTheInterrupt() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
                li t0, MTIMECMP
                li t1, 50
                sw t1, 0(t0)
                li t1, 0x80
                csrw mie, t1
                csrsi mstatus, 8
            wfi_site:
                wfi
            after_wfi:
                EXIT 1
                .balign 4
            handler:
                csrr s0, mcause
                csrr s1, time
                csrr s2, mcycle
                csrr s3, minstret
                EXIT 0
            """)
        let recorder = machine.recordOutput()
        try machine.step(untilSymbol: "wfi_site")
        let w = machine.step
        let afterWFI = try machine.address(of: "after_wfi")
        #expect(machine.run(until: w + 1) == .stepLimit)
        #expect(machine.pc == afterWFI, "WFI retired")
        #expect(machine.state.isWaitingForInterrupt)
        #expect(machine.run(until: w + 2) == .stepLimit)
        var state = machine.state
        #expect(state.step == w + 2, "the idle wait is one step")
        #expect(state.cycles == 5000, "and skips to the deadline")
        #expect(machine.mtime == 50)
        #expect(recorder.traps.isEmpty)
        #expect(machine.run(until: w + 3) == .stepLimit)
        #expect(
            recorder.traps == [.init(cause: Self.machineTimerInterrupt, pc: afterWFI, value: 0, step: w + 3)])
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        state = machine.state
        #expect(state[.s0] == Self.machineTimerInterrupt)
        #expect(state[.s1] == 50)
        // A read counts the reading instruction itself, as on QEMU.
        #expect(
            state[.s2] == 5000 + 1 + 2 + 1, "cycles: the deadline, the trap entry, two csrr, the reading one")
        #expect(
            UInt64(state[.s3]) == w + 1 + 3 + 1,
            "minstret: everything up to WFI, WFI, three csrr, the reading one")
        #expect(state.nonRetiredSteps == 2, "the idle wait and the trap entry")
    }

    @Test func aTimerInterruptInsideAStraightLineBlockHasAnExactMepc() throws {
        let machine = try makeMachine(
            """
                .option norvc
                SET_MTVEC handler
                li t0, MTIMECMP
                li t1, 50
                sw t1, 0(t0)
                li t1, 0x80
                csrw mie, t1
                csrsi mstatus, 8
                li a0, 0
            first_add:
                .rept 6000
                addi a0, a0, 1
                .endr
                EXIT 1
                .balign 4
            handler:
                EXIT 0
            """)
        try machine.step(untilSymbol: "first_add")
        let k = machine.step
        #expect(k < 5000)
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        let state = machine.state
        let executed = UInt32(5000 - k)  // addi instructions retired before step 5000
        #expect(state.csr.mcause == Self.machineTimerInterrupt)
        #expect(state[.a0] == executed)
        #expect(state.csr.mepc == (try machine.address(of: "first_add")) + 4 * executed)
    }

    @Test func writingMtimeMovesTheTimerDeadline() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
                li t0, MTIME
                li t1, 1000
                sw zero, 4(t0)
            write_site:
                sw t1, 0(t0)            # mtime = 1000
                li t0, MTIMECMP
                li t1, 1002
                sw zero, 4(t0)
                sw t1, 0(t0)            # two ticks later
                li t1, 0x80
                csrw mie, t1
                csrsi mstatus, 8
            spin:
                j spin
                .balign 4
            handler:
                li t0, MTIME
                lw s0, 0(t0)
                lw s1, 4(t0)
                EXIT 0
            """)
        let recorder = machine.recordOutput()
        try machine.step(untilSymbol: "write_site")
        let s = machine.step  // cycles when the store to mtime executes
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        let deadline = (s / 100 + 2) * 100
        #expect(recorder.traps.first?.step == deadline + 1)
        #expect(machine.state[.s0] == 1002)
        #expect(machine.state[.s1] == 0)
    }

    @Test func vectoredInterruptsLandOnTheirOwnEntries() throws {
        let machine = try makeMachine(
            """
                .option norvc
                la t0, vectors
                ori t0, t0, 1
                csrw mtvec, t0
                la s0, log
            \(Self.enableUARTInterrupt)
                li t0, 0x880            # MEIE | MTIE (MTIP is pending since reset)
                csrw mie, t0
                csrsi mstatus, 8
                li s1, 2
            wait:
                bne s2, s1, wait
                EXIT 0
                .balign 64
            vectors:
                .rept 16
                j bad
                .endr
            bad:
                EXIT 9
            timer:
                li t0, 7
                sw t0, 0(s0)
                addi s0, s0, 4
                addi s2, s2, 1
                li t0, MTIMECMP
                li t1, -1
                sw t1, 4(t0)
                mret
            external:
                li t0, 11
                sw t0, 0(s0)
                addi s0, s0, 4
                addi s2, s2, 1
                li t0, PLIC + 0x200004
                lw t1, 0(t0)
                li t2, UART
                lbu zero, 0(t2)
                sw t1, 0(t0)
                mret
                .data
            log: .space 8
            """)
        machine.queueInput([0x20])
        // Patch the table: entry 7 → timer, entry 11 → external (each entry is one jal).
        let vectors = try machine.address(of: "vectors")
        func jal(from: UInt32, to: UInt32) -> UInt32 {
            let offset = to &- from
            return (offset & 0x10_0000) << 11 | (offset & 0x7FE) << 20 | (offset & 0x800) << 9
                | (offset & 0xF_F000) | 0x6F
        }
        var page = machine.page(Int((vectors - 0x8000_0000) / 4096))
        for (cause, target) in [
            (7, try machine.address(of: "timer")), (11, try machine.address(of: "external")),
        ] {
            let entry = vectors + UInt32(cause) * 4
            let word = jal(from: entry, to: target)
            let offset = Int(entry % 4096)
            for byte in 0..<4 { page[offset + byte] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(byte))) }
        }
        machine.writePage(Int((vectors - 0x8000_0000) / 4096), page)
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        #expect(
            try machine.readWords(at: "log", count: 2) == [11, 7], "external first, each at base + 4 × cause")
    }

    @Test func byteLoadsFromDevicesSignExtend() throws {
        let machine = try runToExit(
            """
                li t0, UART
                lb s0, 6(t0)            # MSR: 0xB0 (DCD, DSR, CTS)
                lbu s1, 6(t0)
                EXIT 0
            """)
        #expect(machine.state[.s0] == 0xFFFF_FFB0)
        #expect(machine.state[.s1] == 0xB0)
    }

    @Test func wfiWakesWithoutATrapWhenMIEIsOff() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, MTIMECMP
                li t1, 20
                sw t1, 0(t0)
                li t1, 0x80
                csrw mie, t1            # MTIE, but mstatus.MIE stays 0
                wfi
                li t2, MTIME
                lw s0, 0(t2)
                EXIT 0
                .balign 4
            handler:
                EXIT 1
            """)
        #expect(machine.state[.s0] == 20)
        #expect(machine.state.csr.mcause == 0)
    }

    @Test func wfiWithNothingArmedWaitsForInput() throws {
        let machine = try makeMachine(
            """
                li t0, MTIMECMP
                li t1, 100
                sw t1, 0(t0)            # armed, but MTIE is off: cannot wake the hart
            wfi_site:
                wfi
                EXIT 0
            """)
        #expect(machine.run(until: 1_000_000) == .waitingForInput)
        #expect(machine.pc == (try machine.address(of: "wfi_site")) + 4)
        let step = machine.step
        #expect(machine.run(until: 1_000_000) == .waitingForInput)
        #expect(machine.step == step, "waiting takes no steps")
    }

    @Test func uartInputWakesAHartWaitingInWFI() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
            \(Self.enableUARTInterrupt)
                csrsi mstatus, 8
                wfi
                EXIT 1
                .balign 4
            handler:
                csrr s0, mcause
                li t0, UART
                lbu s1, 0(t0)
                EXIT 0
            """)
        #expect(machine.run(until: 1_000_000) == .waitingForInput)
        machine.queueInput([0x37])
        #expect(machine.run(until: 1_000_000) == .exited(code: 0, via: .finisher))
        #expect(machine.state[.s0] == Self.machineExternalInterrupt)
        #expect(machine.state[.s1] == 0x37)
    }

    @Test func msipRaisesAMachineSoftwareInterrupt() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, 8
                csrw mie, t0            # MSIE
                csrsi mstatus, 8
                li t1, MSIP
                li t2, 1
                sw t2, 0(t1)
            after:
                EXIT 1
                .balign 4
            handler:
                csrr s0, mcause
                csrr s1, mepc
                csrr s3, mip
                li t1, MSIP
                sw zero, 0(t1)
                lw s2, 0(t1)
                csrr s4, mip
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s0] == Self.machineSoftwareInterrupt)
        #expect(state[.s1] == (try machine.address(of: "after")), "taken right after the store")
        #expect(state[.s3] & 0x8 != 0)
        #expect(state[.s2] == 0)
        #expect(state[.s4] & 0x8 == 0)
    }

    @Test func anInterruptMadeTakeableByMretIsTakenAtTheReturnAddress() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, 8
                csrw mie, t0            # MSIE; mstatus.MIE is set only by mret's MPIE
                li s0, 0
                csrsi mstatus, 8        # MIE = 1 before the ecall: MPIE will be 1
                ecall
            after_ecall:
                EXIT 1
                .balign 4
            handler:
                bnez s0, second
                li s0, 1
                li t1, MSIP
                li t2, 1
                sw t2, 0(t1)            # pending, but MIE is 0 inside the handler
                csrr t0, mepc
                addi t0, t0, 4
                csrw mepc, t0
                mret                    # MIE = MPIE = 1: the interrupt is taken at once
            second:
                csrr s1, mcause
                csrr s2, mepc
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s1] == Self.machineSoftwareInterrupt)
        #expect(state[.s2] == (try machine.address(of: "after_ecall")))
    }

    @Test func theTransmitterEmptyInterruptIsRaisedAcknowledgedByIIRAndRaisedAgainByTHR() throws {
        let machine = try runToExit(
            """
                li t0, PLIC
                li t1, 1
                sw t1, 4*10(t0)
                li t0, PLIC + 0x2000
                li t1, 1 << 10
                sw t1, 0(t0)
                li t0, UART
                li t1, 2
                sb t1, 1(t0)            # IER: THR empty
                csrr s0, mip            # MEIP: the transmitter is empty
                lbu s1, 2(t0)           # IIR: THR empty (0x2); reading acknowledges it
                lbu s2, 2(t0)           # no interrupt pending (0x1)
                csrr s3, mip
                li t1, 'z'
                sb t1, 0(t0)            # transmitted at once: THR empty again
                lbu s4, 2(t0)
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s0] & 0x800 != 0)
        #expect(state[.s1] & 0x0F == 0x02)
        #expect(state[.s2] & 0x0F == 0x01)
        #expect(state[.s3] & 0x800 == 0)
        #expect(state[.s4] & 0x0F == 0x02)
    }

    @Test func pendingInterruptsAreTakenInPriorityOrderExternalSoftwareTimer() throws {
        let machine = try makeMachine(
            """
                SET_MTVEC handler
                la s0, log
                li s1, 0
                li s2, 3
            \(Self.enableUARTInterrupt)
                li t0, MSIP
                li t1, 1
                sw t1, 0(t0)            # MSIP; MTIP is pending since reset (mtimecmp = 0)
                li t0, 0x888
                csrw mie, t0
                csrsi mstatus, 8        # all three pending at once
            wait:
                bne s1, s2, wait
                EXIT 0
                .balign 4
            handler:
                csrr t0, mcause
                sw t0, 0(s0)
                addi s0, s0, 4
                addi s1, s1, 1
                li t1, 0x8000000B
                beq t0, t1, external
                li t1, 0x80000003
                beq t0, t1, software
                li t1, MTIMECMP         # timer: push mtimecmp far away
                li t2, -1
                sw t2, 4(t1)
                sw t2, 0(t1)
                mret
            external:
                li t1, PLIC + 0x200004
                lw t2, 0(t1)
                li t0, UART
                lbu zero, 0(t0)
                sw t2, 0(t1)
                mret
            software:
                li t1, MSIP
                sw zero, 0(t1)
                mret
                .data
            log: .space 16
            """)
        machine.queueInput([0x41])
        #expect(machine.run(until: 100_000) == .exited(code: 0, via: .finisher))
        #expect(
            try machine.readWords(at: "log", count: 4)
                == [
                    Self.machineExternalInterrupt, Self.machineSoftwareInterrupt, Self.machineTimerInterrupt,
                    0,
                ])
    }

    // MARK: sifive_test

    @Test(arguments: [
        ("0x5555", StopReason.exited(code: 0, via: .finisher)),
        ("(7 << 16) | 0x3333", .exited(code: 7, via: .finisher)),
        ("(255 << 16) | 0x3333", .exited(code: 255, via: .finisher)),
        ("0x7777", .resetRequested),
    ])
    func theFinisherEndsTheRun(_ value: String, expected: StopReason) throws {
        let (machine, reason) = try runProgram(
            """
                li t0, FINISHER
                li t1, \(value)
            site:
                sw t1, 0(t0)
                li s0, 1                # never runs
                j .
            """)
        #expect(reason == expected)
        #expect(machine.pc == (try machine.address(of: "site")) + 4, "the store retired")
        #expect(machine.state[.s0] == 0)
    }

    @Test func theFinisherAcceptsHalfwordWritesAndIgnoresOtherValues() throws {
        let (_, reason) = try runProgram(
            """
                li t0, FINISHER
                li t1, 0x1234
                sw t1, 0(t0)            # unknown value: ignored
                li t1, 0x5555
                sh t1, 0(t0)
                j .
            """)
        #expect(reason == .exited(code: 0, via: .finisher))
    }

    @Test func aByteWriteToTheFinisherIsAnAccessFault() throws {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                li t0, FINISHER
                li t1, 0x55
                sb t1, 0(t0)
                j .
                .balign 4
            handler:
                csrr s0, mcause
                csrr s1, mtval
                EXIT 0
            """)
        #expect(machine.state[.s0] == 7)
        #expect(machine.state[.s1] == TestProgram.finisher)
    }

    // MARK: HTIF

    static let tohost = """
            .section .tohost, "aw", @progbits
            .balign 8
            .globl tohost
        tohost: .dword 0
            .globl fromhost
        fromhost: .dword 0
        """

    @Test func htifExitCompletesWhenTheHighWordOfTohostIsWritten() throws {
        let machine = try makeMachine(
            """
                la t0, tohost
                li t1, (5 << 1) | 1
                sw t1, 0(t0)
            low_written:
                sw zero, 4(t0)
                EXIT 1
            \(Self.tohost)
            """)
        #expect(try machine.step(untilSymbol: "low_written") == nil, "the low word alone does nothing")
        #expect(machine.run(until: 10_000) == .exited(code: 5, via: .htif))
    }

    @Test(arguments: [true, false])
    func htifStillWorksWhenTohostSharesAPageWithRewrittenCode(compiled: Bool) throws {
        let machine = try makeMachine(
            """
                .option norvc
                la t0, patch_site
                li t1, 0x00100513       # addi a0, zero, 1
                sw t1, 0(t0)            # rewrites code on tohost's page
            patch_site:
                nop
                la t2, tohost
                li t3, (6 << 1) | 1
                sw t3, 0(t2)
                sw zero, 4(t2)
                EXIT 1
                .balign 64
                .globl tohost
            tohost: .dword 0
                .globl fromhost
            fromhost: .dword 0
            """, compiled: compiled)
        #expect(try machine.address(of: "tohost") >> 12 == machine.address(of: "patch_site") >> 12)
        #expect(machine.run(until: 10_000) == .exited(code: 6, via: .htif))
        #expect(machine.state[.a0] == 1)
    }

    @Test func htifConsolePutcharPrintsAndAnswersInFromhost() throws {
        let machine = try makeMachine(
            """
                la t0, tohost
                li t1, 'Q'
                sw t1, 0(t0)
                li t1, 0x01010000       # device 1, command 1
                sw t1, 4(t0)
                lw s0, 0(t0)            # the host cleared tohost
                lw s1, 4(t0)
                la t2, fromhost
                lw s2, 0(t2)
                lw s3, 4(t2)
                EXIT 0
            \(Self.tohost)
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(recorder.text == "Q")
        let state = machine.state
        #expect([state[.s0], state[.s1]] == [0, 0])
        #expect([state[.s2], state[.s3]] == [0, 0x0101_0000])
    }

    // MARK: Semihosting

    static func semihostingCall(_ operation: Int, block: String) -> String {
        """
            li a0, \(operation)
            la a1, \(block)
            .option push
            .option norvc
            .balign 4
            slli x0, x0, 0x1f
            ebreak
            srai x0, x0, 7
            .option pop
        """
    }

    @Test func semihostingWrite0PrintsAString() throws {
        let machine = try makeMachine(
            """
            \(Self.semihostingCall(4, block: "message"))
                mv s0, a0
            \(Self.semihostingCall(0x20, block: "exit_block"))
                EXIT 1
                .data
            message: .asciz "hello, semihosting\\n"
                .balign 4
            exit_block: .word 0x20026, 7
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 7, via: .semihosting))
        #expect(recorder.text == "hello, semihosting\n")
        #expect(machine.state[.s0] == 0)
        #expect(recorder.traps.isEmpty, "a semihosting ebreak is not a breakpoint trap")
    }

    @Test func semihostingWritecAndWrite() throws {
        let machine = try makeMachine(
            """
            \(Self.semihostingCall(3, block: "character"))
            \(Self.semihostingCall(5, block: "write_block"))
                mv s0, a0               # bytes not written: 0
            \(Self.semihostingCall(0x18, block: "character"))
                EXIT 1
                .data
            character: .byte '>'
            text: .ascii "abc"
                .balign 4
            write_block: .word 2, text, 3
            """)
        let recorder = machine.recordOutput()
        let reason = machine.run(until: 10_000)
        #expect(recorder.text == ">abc")
        #expect(machine.state[.s0] == 0)
        // SYS_EXIT with a reason that is not ADP_Stopped_ApplicationExit reports failure.
        #expect(reason == .exited(code: 1, via: .semihosting))
    }

    @Test func semihostingFeatureProbeAndTTYCallsWorkAsPicolibcUsesThem() throws {
        let machine = try makeMachine(
            """
            \(Self.semihostingCall(1, block: "open_features"))
                mv s0, a0               # handle
                la t0, flen_block
                sw s0, 0(t0)
                la t0, read_block
                sw s0, 0(t0)
            \(Self.semihostingCall(0x0C, block: "flen_block"))
                mv s1, a0               # length 5
            \(Self.semihostingCall(6, block: "read_block"))
                mv s2, a0               # bytes not read: 0
            \(Self.semihostingCall(1, block: "open_tty"))
                mv s3, a0               # stdout handle
                la t0, write_block
                sw s3, 0(t0)
            \(Self.semihostingCall(5, block: "write_block"))
                mv s4, a0
                la t0, flen_block
                sw s3, 0(t0)
            \(Self.semihostingCall(9, block: "flen_block"))
                mv s5, a0               # isatty(stdout) = 1
            \(Self.semihostingCall(2, block: "flen_block"))
                mv s6, a0               # close: 0
                EXIT 0
                .data
            features_name: .asciz ":semihosting-features"
            tty_name: .asciz ":tt"
            text: .ascii "tty!"
            buffer: .space 8
                .balign 4
            open_features: .word features_name, 0, 21
            open_tty: .word tty_name, 4, 3
            flen_block: .word 0
            read_block: .word 0, buffer, 5
            write_block: .word 0, text, 4
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        let state = machine.state
        #expect(state[.s0] != 0xFFFF_FFFF, "the features file opens")
        #expect(state[.s1] == 5)
        #expect(state[.s2] == 0)
        #expect(machine.readRAM(try machine.address(of: "buffer"), count: 5) == Array("SHFB".utf8) + [0b11])
        #expect(state[.s3] != 0xFFFF_FFFF)
        #expect(state[.s4] == 0)
        #expect(recorder.text == "tty!")
        #expect(state[.s5] == 1)
        #expect(state[.s6] == 0)
    }

    @Test func htifWriteSyscallPrintsTheBuffer() throws {
        let machine = try makeMachine(
            """
                la t0, tohost
                la t1, sysblock
                sw t1, 0(t0)
                sw zero, 4(t0)
                la t2, fromhost
                lw s0, 0(t2)
                la t3, sysblock
                lw s1, 0(t3)            # the result: bytes written
                EXIT 0
                .data
                .balign 8
            message: .ascii "htif!"
                .balign 8
            sysblock: .word 64, 0, 1, 0, message, 0, 5, 0
            \(Self.tohost)
            """)
        let recorder = machine.recordOutput()
        #expect(machine.run(until: 10_000) == .exited(code: 0, via: .finisher))
        #expect(recorder.text == "htif!")
        #expect(machine.state[.s0] == 1)
        #expect(machine.state[.s1] == 5)
    }

    @Test func semihostingReadsOfTheConsoleSeeEndOfFileAndCanTriggerTheWriteWatch() throws {
        let machine = try makeMachine(
            """
            \(Self.semihostingCall(1, block: "open_tty"))
                la t0, read_block
                sw a0, 0(t0)
            \(Self.semihostingCall(6, block: "read_block"))
                mv s0, a0               # bytes not read: all 4 (end of file)
            \(Self.semihostingCall(1, block: "open_features"))
                la t0, read_features
                sw a0, 0(t0)
            \(Self.semihostingCall(6, block: "read_features"))
                mv s1, a0
                EXIT 0
                .data
            tty_name: .asciz ":tt"
            features_name: .asciz ":semihosting-features"
                .balign 4
            open_tty: .word tty_name, 0, 3
            open_features: .word features_name, 0, 21
            read_block: .word 0, buffer, 4
            read_features: .word 0, buffer, 5
            buffer: .space 8
            """)
        let buffer = try machine.address(of: "buffer")
        machine.setWriteWatch(buffer..<buffer + 1)
        var reasons: [StopReason] = []
        var reason = machine.run(until: 10_000)
        while case .watchpoint = reason {
            reasons.append(reason)
            reason = machine.run(until: 10_000)
        }
        #expect(reason == .exited(code: 0, via: .finisher))
        #expect(machine.state[.s0] == 4)
        #expect(machine.state[.s1] == 0)
        #expect(reasons.count == 1, "the host's write into the buffer stops like a store would")
    }

    @Test func semihostingExitWithApplicationExitIsSuccess() throws {
        let (_, reason) = try runProgram(
            """
                li a0, 0x18
                li a1, 0x20026
                .option push
                .option norvc
                .balign 4
                slli x0, x0, 0x1f
                ebreak
                srai x0, x0, 7
                .option pop
                EXIT 1
            """)
        #expect(reason == .exited(code: 0, via: .semihosting))
    }
}
