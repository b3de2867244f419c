import Machine
import Testing

/// What an instruction is about to do, previewed with the registers as they are. Each encoding
/// is checked against the disassembler first, so the test says which instruction it is.
@Suite("Instruction effects")
struct InstructionEffectTests {
    /// Registers with s0 = 0x80001034, a0 = 0x80001040, a1 = 5, a2 = 0x80002000,
    /// a5 = 0x31726574, ra = 0x8000036a.
    static let registers: [UInt32] = {
        var x = Array(repeating: UInt32(0), count: 32)
        x[1] = 0x8000_036a
        x[8] = 0x8000_1034
        x[10] = 0x8000_1040
        x[11] = 5
        x[12] = 0x8000_2000
        x[15] = 0x3172_6574
        return x
    }()

    private func effect(_ bits: UInt32, at pc: UInt32, is text: String, registers: [UInt32] = registers)
        -> InstructionEffect?
    {
        #expect(Disassembler.disassemble(bits, at: pc).text == text)
        return InstructionEffect.preview(bits, at: pc, registers: registers)
    }

    @Test func aLoadReadsRs1PlusItsOffset() {
        #expect(
            effect(0x0084_2783, at: 0x8000_0358, is: "lw a5,8(s0)") == .load(address: 0x8000_103c, size: 4))
    }

    @Test func aStoreWritesRs2AtRs1PlusItsOffset() {
        #expect(
            effect(0xfef5_0fa3, at: 0x8000_027c, is: "sb a5,-1(a0)")
                == .store(address: 0x8000_103f, size: 1, value: 0x3172_6574))
    }

    @Test func aBranchIsTakenOrNotWithTheRegistersAsTheyAre() {
        #expect(
            effect(0xfe07_9ae3, at: 0x8000_0280, is: "bnez a5,80000274")
                == .branch(target: 0x8000_0274, isTaken: true))
        var zero = Self.registers
        zero[15] = 0
        #expect(
            effect(0xfe07_9ae3, at: 0x8000_0280, is: "bnez a5,80000274", registers: zero)
                == .branch(target: 0x8000_0274, isTaken: false))
    }

    @Test func jumpsThatLinkAreCallsAndRetReturns() {
        #expect(
            effect(0xfbff_f0ef, at: 0x8000_0368, is: "jal 80000326")
                == .jump(target: 0x8000_0326, kind: .call))
        #expect(
            effect(0x9782, at: 0x8000_035e, is: "jalr a5") == .jump(target: 0x3172_6574, kind: .call),
            "c.jalr through a5")
        #expect(effect(0x8082, at: 0x8000_038a, is: "ret") == .jump(target: 0x8000_036a, kind: .return))
        #expect(effect(0x0000_8067, at: 0x8000_038a, is: "ret") == .jump(target: 0x8000_036a, kind: .return))
        #expect(effect(0x0007_8067, at: 0x8000_038a, is: "jr a5") == .jump(target: 0x3172_6574, kind: .jump))
    }

    @Test func atomicsUseRs1WithoutAnOffset() {
        #expect(
            effect(0x1006_252f, at: 0x8000_0000, is: "lr.w a0,(a2)") == .load(address: 0x8000_2000, size: 4))
        #expect(
            effect(0x18b6_252f, at: 0x8000_0000, is: "sc.w a0,a1,(a2)")
                == .store(address: 0x8000_2000, size: 4, value: 5))
        #expect(
            effect(0x00b6_252f, at: 0x8000_0000, is: "amoadd.w a0,a1,(a2)")
                == .readModifyWrite(address: 0x8000_2000, operand: 5))
    }

    @Test func otherInstructionsHaveNoEffectToPreview() {
        #expect(effect(0x0000_0013, at: 0x8000_0000, is: "nop") == nil)
        #expect(effect(0x1050_0073, at: 0x8000_0000, is: "wfi") == nil)
    }
}
