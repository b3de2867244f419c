import Machine
import TestSupport
import Testing

/// QEMU's `virt` reset: the reset ROM at 0x1000 runs as steps 1–6, with the device tree in RAM
/// where QEMU puts it (facts from QEMU 7.2's hw/riscv/boot.c, checked on QEMU by the
/// `resetinfo` differential firmware).
@Suite("Reset")
struct ResetTests {
    static let program = """
            nop
            EXIT 0
        """

    func machine(ramSize: UInt32 = 128 << 20) throws -> Machine {
        try makeMachine(Self.program, ramSize: ramSize, reset: .resetROM)
    }

    @Test func theHartStartsInTheResetROMAndReachesRAMAfterSixSteps() throws {
        let machine = try machine()
        #expect(machine.step == 0)
        #expect(machine.pc == 0x1000)
        #expect(machine.state.x.allSatisfy { $0 == 0 })
        var pcs: [UInt32] = []
        for step in 1...6 {
            #expect(machine.run(until: UInt64(step)) == .stepLimit)
            pcs.append(machine.pc)
        }
        #expect(pcs == [0x1004, 0x1008, 0x100C, 0x1010, 0x1014, 0x8000_0000])
        let state = machine.state
        #expect(state[.a0] == 0, "hart id")
        #expect(state[.a1] == 0x87E0_0000, "the device tree, as on QEMU with 128 MiB")
        #expect(state[.a2] == 0x1028, "QEMU's fw_dynamic_info")
        #expect(state[.t0] == 0x8000_0000)
        #expect(machine.run(until: 100) == .exited(code: 0, via: .finisher))
    }

    @Test func theROMIsCodeLikeAnyOtherForDebuggers() throws {
        let machine = try machine()
        #expect(machine.instructionBits(at: 0x1000) == 0x0000_0297)
        #expect(machine.instructionBits(at: 0x1014) == 0x0002_8067)
        #expect(Disassembler.disassemble(0x0000_0297, at: 0x1000).text.hasPrefix("auipc"))
        #expect(machine.executedChunk(of: 0x1000) != nil, "the ROM has a place in the execution index")
        #expect(machine.executedChunk(of: 0x1000) != machine.executedChunk(of: machine.ramBase))
    }

    @Test(arguments: [
        (UInt32(128 << 20), UInt32(0x87E0_0000)), (1 << 30, 0xBFE0_0000), (64 << 20, 0x83E0_0000),
    ])
    func theDeviceTreeLiesWhereQEMUPutsIt(ramSize: UInt32, address: UInt32) throws {
        let machine = try machine(ramSize: ramSize)
        machine.run(until: 6)
        #expect(machine.state[.a1] == address)
        let header = try #require(machine.readRAM(address, count: 8))
        #expect(header[0..<4] == [0xD0, 0x0D, 0xFE, 0xED], "magic, big-endian")
        let size = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        #expect(size > 40 && size < 4096)
    }

    @Test func theROMReadsLikeMemoryAndIgnoresStores() throws {
        let rom = try makeMachine(
            """
                li t0, 0x1000
                lw s2, 0x18(t0)
                lw s3, 0x28(t0)
                li t1, 0x12345678
                sw t1, 0(t0)
                lw s4, 0(t0)
                lhu s5, 0x1b(t0)        # misaligned: performed (0x80, 0x00)
                EXIT 0
            """, reset: .resetROM)
        #expect(rom.run(until: 1_000) == .exited(code: 0, via: .finisher))
        #expect(rom.state[.s2] == 0x8000_0000)
        #expect(rom.state[.s3] == 0x4942_534F)
        #expect(rom.state[.s4] == 0x0000_0297, "the store was ignored")
        #expect(rom.state[.s5] == 0x0080)
    }

    @Test func recordingsOfEarlierBuildsResetAtTheEntryWithoutAROM() throws {
        let machine = try makeMachine(Self.program, reset: .entry)
        #expect(machine.pc == machine.firmware.entry)
        #expect(machine.instructionBits(at: 0x1000) == nil)
        let decoded = try JSONDecoder().decode(
            BoardConfiguration.self,
            from: Data(#"{"name":"virt","ramBase":2147483648,"ramSize":134217728}"#.utf8))
        #expect(decoded.reset == .entry)
        #expect(decoded.misalignedAccess == .trap)
        let current = try JSONDecoder().decode(
            BoardConfiguration.self, from: JSONEncoder().encode(BoardConfiguration.virt()))
        #expect(current == .virt())
        #expect(current.reset == .resetROM && current.misalignedAccess == .perform)
    }
}

import Foundation
