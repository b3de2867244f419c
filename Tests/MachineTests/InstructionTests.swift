import Foundation
import Machine
import TestSupport
import Testing

/// RV32I/M/A/C/Zicsr semantics. Programs are assembled with the cross binutils; expected values
/// come from the unprivileged spec, computed by the reference functions below (plain Swift
/// arithmetic written from the spec's definitions) or by hand.
@Suite("Instructions")
struct InstructionTests {
    // MARK: Reference semantics (unprivileged spec 2.4, 7.1, 7.2, 8.4)

    static func signed(_ value: UInt32) -> Int32 { Int32(bitPattern: value) }
    static func unsigned(_ value: Int32) -> UInt32 { UInt32(bitPattern: value) }

    /// The result of register-register op `name` on `a` and `b`.
    static func reference(_ name: String, _ a: UInt32, _ b: UInt32) -> UInt32 {
        let shift = b % 32  // only the low five bits of rs2 count
        switch name {
        case "add": return a &+ b
        case "sub": return a &- b
        case "sll": return shift == 0 ? a : a << shift
        case "slt": return signed(a) < signed(b) ? 1 : 0
        case "sltu": return a < b ? 1 : 0
        case "xor": return a ^ b
        case "srl": return a >> shift
        case "sra":
            // Arithmetic shift: copies of the sign bit come in from the left.
            var result = a
            for _ in 0..<shift { result = (result >> 1) | (result & 0x8000_0000) }
            return result
        case "or": return a | b
        case "and": return a & b
        case "mul": return a &* b
        case "mulh": return unsigned(signed(a).multipliedFullWidth(by: signed(b)).high)
        case "mulhu": return a.multipliedFullWidth(by: b).high
        case "mulhsu":
            // signed × unsigned: the unsigned high word, minus b when a is negative.
            let high = a.multipliedFullWidth(by: b).high
            return signed(a) < 0 ? high &- b : high
        case "div":
            if b == 0 { return 0xFFFF_FFFF }
            if a == 0x8000_0000 && b == 0xFFFF_FFFF { return 0x8000_0000 }
            return unsigned(signed(a) / signed(b))  // rounds towards zero
        case "divu": return b == 0 ? 0xFFFF_FFFF : a / b
        case "rem":
            if b == 0 { return a }
            if a == 0x8000_0000 && b == 0xFFFF_FFFF { return 0 }
            return unsigned(signed(a) % signed(b))  // sign of the dividend
        case "remu": return b == 0 ? a : a % b
        default: fatalError("no reference for \(name)")
        }
    }

    /// Operands that exercise signs, overflow and shift masking.
    static let operands: [UInt32] = [
        0, 1, 2, 3, 31, 32, 33, 63, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xFFFF_FFFF, 0xFFFF_FFFE,
        0x1234_5678, 0xFFFF_FFF9,
    ]

    /// A program that applies each op in `names` to every pair of `operands` and stores the
    /// results at `results`, in order.
    static func registerRegisterProgram(_ names: [String]) -> String {
        var text = "    .option norvc\n    la s0, results\n"
        var count = 0
        for name in names {
            for a in operands {
                for b in operands {
                    text += """
                            li a0, \(signed(a))
                            li a1, \(signed(b))
                            \(name) a2, a0, a1
                            sw a2, 0(s0)
                            addi s0, s0, 4

                        """
                    count += 1
                }
            }
        }
        text += "    EXIT 0\n    .data\n    .balign 4\nresults: .space \(count * 4)\n"
        return text
    }

    func checkRegisterRegister(_ names: [String], compiled: Bool) throws {
        let machine = try runToExit(compiled: compiled, Self.registerRegisterProgram(names))
        let results = try machine.readWords(
            at: "results", count: names.count * Self.operands.count * Self.operands.count)
        var index = 0
        var failures = 0
        for name in names {
            for a in Self.operands {
                for b in Self.operands {
                    let expected = Self.reference(name, a, b)
                    if results[index] != expected && failures < 20 {
                        failures += 1
                        Issue.record(
                            "\(name) \(hex(a)), \(hex(b)) gave \(hex(results[index])), expected \(hex(expected))"
                        )
                    }
                    index += 1
                }
            }
        }
    }

    // MARK: RV32I

    @Test(arguments: [true, false])
    func registerRegisterALUOpsFollowTheSpecOnEdgeOperands(compiled: Bool) throws {
        try checkRegisterRegister(
            ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and"], compiled: compiled)
    }

    @Test(arguments: [true, false])
    func registerShiftsUseOnlyTheLowFiveBitsOfRs2(compiled: Bool) throws {
        // Spot checks by hand, independent of the reference function.
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                li a0, 0x80000001
                li t0, 32
                sll a1, a0, t0      # shift by 32 → by 0
                li t0, 33
                sll a2, a0, t0      # by 1 → 0x00000002
                srl a3, a0, t0      # by 1 → 0x40000000
                sra a4, a0, t0      # by 1 → 0xC0000000
                li t0, -1
                srl a5, a0, t0      # by 31 → 1
                sra a6, a0, t0      # by 31 → 0xFFFFFFFF
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.a1] == 0x8000_0001)
        #expect(state[.a2] == 0x0000_0002)
        #expect(state[.a3] == 0x4000_0000)
        #expect(state[.a4] == 0xC000_0000)
        #expect(state[.a5] == 0x0000_0001)
        #expect(state[.a6] == 0xFFFF_FFFF)
    }

    @Test(arguments: [true, false])
    func registerImmediateALUOpsSignExtendTheirImmediate(compiled: Bool) throws {
        let immediates: [Int32] = [-2048, -1, 0, 1, 5, 2047, -1366]
        let names = ["addi", "slti", "sltiu", "xori", "ori", "andi"]
        let sources: [UInt32] = [0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_F800, 0x1234_5678]
        var text = "    .option norvc\n    la s0, results\n"
        var expected: [(String, UInt32)] = []
        for name in names {
            for a in sources {
                for imm in immediates {
                    text +=
                        "    li a0, \(Self.signed(a))\n    \(name) a2, a0, \(imm)\n    sw a2, 0(s0)\n    addi s0, s0, 4\n"
                    let b = Self.unsigned(imm)  // the sign-extended immediate
                    let value: UInt32
                    switch name {
                    case "addi": value = Self.reference("add", a, b)
                    case "slti": value = Self.reference("slt", a, b)
                    case "sltiu": value = Self.reference("sltu", a, b)
                    case "xori": value = Self.reference("xor", a, b)
                    case "ori": value = Self.reference("or", a, b)
                    default: value = Self.reference("and", a, b)
                    }
                    expected.append(("\(name) \(hex(a)), \(imm)", value))
                }
            }
        }
        text += "    EXIT 0\n    .data\n    .balign 4\nresults: .space \(expected.count * 4)\n"
        let machine = try runToExit(compiled: compiled, text)
        let results = try machine.readWords(at: "results", count: expected.count)
        for (index, (label, value)) in expected.enumerated() {
            #expect(results[index] == value, "\(label)")
        }
    }

    @Test(arguments: [true, false])
    func sltiuComparesAgainstTheSignExtendedImmediateAsUnsigned(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                li a0, 0xFFFFFFFE
                sltiu a1, a0, -1     # 0xFFFFFFFE < 0xFFFFFFFF → 1
                li a0, 0xFFFFFFFF
                sltiu a2, a0, -1     # equal → 0
                sltiu a3, zero, 1    # seqz of 0 → 1
                li a0, -5
                slti a4, a0, -4      # -5 < -4 → 1
                sltiu a5, a0, 4      # 0xFFFFFFFB < 4 → 0
                EXIT 0
            """)
        let state = machine.state
        #expect([state[.a1], state[.a2], state[.a3], state[.a4], state[.a5]] == [1, 0, 1, 1, 0])
    }

    @Test(arguments: [true, false])
    func immediateShiftsShiftByTheirShamt(compiled: Bool) throws {
        let amounts: [UInt32] = [0, 1, 4, 15, 31]
        let sources: [UInt32] = [0x8000_0001, 0x7FFF_FFFF, 0xF0F0_0F0F, 1]
        var text = "    .option norvc\n    la s0, results\n"
        var expected: [(String, UInt32)] = []
        for name in ["slli", "srli", "srai"] {
            for a in sources {
                for shamt in amounts {
                    text +=
                        "    li a0, \(Self.signed(a))\n    \(name) a2, a0, \(shamt)\n    sw a2, 0(s0)\n    addi s0, s0, 4\n"
                    let op = ["slli": "sll", "srli": "srl", "srai": "sra"][name]!
                    expected.append(("\(name) \(hex(a)), \(shamt)", Self.reference(op, a, shamt)))
                }
            }
        }
        text += "    EXIT 0\n    .data\n    .balign 4\nresults: .space \(expected.count * 4)\n"
        let machine = try runToExit(compiled: compiled, text)
        let results = try machine.readWords(at: "results", count: expected.count)
        for (index, (label, value)) in expected.enumerated() {
            #expect(results[index] == value, "\(label)")
        }
    }

    @Test(arguments: [true, false])
    func luiAndAuipcBuildUpperImmediates(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                lui a0, 0xABCDE
                lui a1, 0xFFFFF
            auipc_here:
                auipc a2, 0x12345
                auipc a3, 0xFFFFF    # pc - 4096 (pc of this auipc is auipc_here + 4)
                auipc a4, 0
                EXIT 0
            """)
        let state = machine.state
        let here = try machine.address(of: "auipc_here")
        #expect(state[.a0] == 0xABCD_E000)
        #expect(state[.a1] == 0xFFFF_F000)
        #expect(state[.a2] == here &+ 0x1234_5000)
        #expect(state[.a3] == here &+ 4 &- 4096)
        #expect(state[.a4] == here &+ 8)
    }

    @Test(arguments: [true, false])
    func jalAndJalrLinkTheNextInstructionAndJalrClearsBitZero(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                jal ra, target1
            return1:
                EXIT 1
            target1:
                mv s2, ra
                la t0, target2
                addi t0, t0, 1          # odd target: jalr clears bit 0
                jalr s3, 0(t0)
            return2:
                EXIT 2
            target2:
                la t1, target3
                jalr t1, 0(t1)          # rd == rs1: the target uses the old value
            return3:
                EXIT 3
            target3:
                mv s4, t1
                la t2, target4 + 8
                jalr s5, -8(t2)         # negative offset
            return4:
                EXIT 4
            target4:
                jal zero, target5       # jal x0 links nothing
                EXIT 5
            target5:
                jal s6, backward_done   # forward, then jump back below
            return6:
                EXIT 0
            backward_done:
                la t3, return6
                jalr zero, 0(t3)
            """)
        let state = machine.state
        #expect(state[.s2] == (try machine.address(of: "return1")))
        #expect(state[.s3] == (try machine.address(of: "return2")))
        #expect(state[.s4] == (try machine.address(of: "return3")))
        #expect(state[.s5] == (try machine.address(of: "return4")))
        #expect(state[.s6] == (try machine.address(of: "return6")))
        #expect(state[.zero] == 0)
    }

    @Test(arguments: [true, false])
    func branchesCompareSignedAndUnsignedBothWays(compiled: Bool) throws {
        let pairs: [(UInt32, UInt32)] = [
            (0, 0), (1, 2), (2, 1), (0xFFFF_FFFF, 1), (1, 0xFFFF_FFFF), (0x8000_0000, 0x7FFF_FFFF),
            (0x7FFF_FFFF, 0x8000_0000), (0xFFFF_FFFF, 0xFFFF_FFFF),
        ]
        let conditions: [(String, (UInt32, UInt32) -> Bool)] = [
            ("beq", { $0 == $1 }), ("bne", { $0 != $1 }),
            ("blt", { Self.signed($0) < Self.signed($1) }), ("bge", { Self.signed($0) >= Self.signed($1) }),
            ("bltu", { $0 < $1 }), ("bgeu", { $0 >= $1 }),
        ]
        var text = "    .option norvc\n    la s0, results\n"
        var expected: [(String, UInt32)] = []
        for (name, condition) in conditions {
            for (a, b) in pairs {
                text += """
                        li a0, \(Self.signed(a))
                        li a1, \(Self.signed(b))
                        \(name) a0, a1, 1f
                        li a2, 2          # not taken: falls through to here
                        j 2f
                    1:  li a2, 1          # taken
                    2:  sw a2, 0(s0)
                        addi s0, s0, 4

                    """
                expected.append(("\(name) \(hex(a)), \(hex(b))", condition(a, b) ? 1 : 2))
            }
        }
        text += "    EXIT 0\n    .data\n    .balign 4\nresults: .space \(expected.count * 4)\n"
        let machine = try runToExit(compiled: compiled, text)
        let results = try machine.readWords(at: "results", count: expected.count)
        for (index, (label, value)) in expected.enumerated() {
            #expect(results[index] == value, "\(label): 1 = taken, 2 = not taken")
        }
    }

    @Test(arguments: [true, false])
    func branchesReachFarTargetsForwardAndBackward(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                li a0, 0
                j start
            back:
                addi a0, a0, 10
                j done
            start:
                beq zero, zero, forward      # about +3 KiB
                EXIT 1
                .fill 750, 4, 0x00000013     # nops
            forward:
                addi a0, a0, 1
                bne a0, zero, back           # about -3 KiB
                EXIT 2
            done:
                EXIT 0
            """)
        #expect(machine.state[.a0] == 11)
    }

    @Test(arguments: [true, false])
    func loadsSignOrZeroExtend(compiled: Bool) throws {
        let bytes: [UInt8] = [0xF3, 0x82, 0x01, 0x80, 0x02, 0x7E, 0xFF, 0x7F]
        var text = "    .option norvc\n    la s1, data\n    la s0, results\n"
        var expected: [(String, UInt32)] = []
        func add(_ name: String, _ offset: Int, _ value: UInt32) {
            text += "    \(name) a0, \(offset)(s1)\n    sw a0, 0(s0)\n    addi s0, s0, 4\n"
            expected.append(("\(name) \(offset)", value))
        }
        for offset in 0..<8 {
            add("lb", offset, UInt32(bitPattern: Int32(Int8(bitPattern: bytes[offset]))))
            add("lbu", offset, UInt32(bytes[offset]))
        }
        for offset in stride(from: 0, to: 8, by: 2) {
            let half = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
            add("lh", offset, UInt32(bitPattern: Int32(Int16(bitPattern: half))))
            add("lhu", offset, UInt32(half))
        }
        for offset in [0, 4] {
            add("lw", offset, (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << ($1 * 8) })
        }
        // Negative offsets from a base past the data.
        text += "    addi s1, s1, 8\n"
        add("lw", -4, 0x7FFF_7E02)
        add("lh", -8, 0xFFFF_82F3)
        text += "    EXIT 0\n    .data\n    .balign 4\ndata: .byte "
        text += bytes.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
        text += "\n    .balign 4\nresults: .space \(expected.count * 4)\n"
        let machine = try runToExit(compiled: compiled, text)
        let results = try machine.readWords(at: "results", count: expected.count)
        for (index, (label, value)) in expected.enumerated() {
            #expect(results[index] == value, "\(label)")
        }
    }

    @Test(arguments: [true, false])
    func storesWriteOnlyTheirWidth(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                la s0, buffer
                li a0, 0xA1B2C3D4
                sb a0, 1(s0)       # D4 at +1
                sh a0, 6(s0)       # D4 C3 at +6
                sw a0, 8(s0)       # D4 C3 B2 A1 at +8
                addi s1, s0, 16
                sb a0, -1(s1)      # D4 at +15
                EXIT 0
                .data
                .balign 4
            buffer: .space 16
            """)
        let bytes = try #require(machine.readRAM(try machine.address(of: "buffer"), count: 16))
        #expect(bytes == [0, 0xD4, 0, 0, 0, 0, 0xD4, 0xC3, 0xD4, 0xC3, 0xB2, 0xA1, 0, 0, 0, 0xD4])
    }

    @Test(arguments: [true, false])
    func writesToX0AreDiscarded(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                la s0, word
                li a0, 7
                add x0, a0, a0
                addi x0, a0, 1
                lui x0, 0x12345
                auipc x0, 1
                lw x0, 0(s0)
                jal x0, 1f
            1:  csrrw x0, mscratch, a0
                csrr x0, mscratch
                mul x0, a0, a0
                amoadd.w x0, a0, (s0)
                lr.w x0, (s0)
                add a1, x0, x0      # reads of x0 still give 0
                addi a2, x0, 5
                andi a3, x0, -1     # 0
                ori a4, x0, -5
                xori a5, x0, 0x7ff
                slti a6, x0, 1      # 0 < 1
                sltiu a7, x0, 0     # 0 < 0: no
                sub s2, x0, a0      # -7
                EXIT 0
                .data
                .balign 4
            word: .word 0x11111111
            """)
        let state = machine.state
        #expect(state.x[0] == 0)
        #expect(state[.a1] == 0)
        #expect(state[.a2] == 5)
        #expect(state[.a3] == 0)
        #expect(state[.a4] == UInt32(bitPattern: -5))
        #expect(state[.a5] == 0x7FF)
        #expect(state[.a6] == 1)
        #expect(state[.a7] == 0)
        #expect(state[.s2] == UInt32(bitPattern: -7))
        // The AMO with rd = x0 still updated memory.
        #expect(try machine.readWords(at: "word", count: 1) == [0x1111_1118])
    }

    // MARK: M

    @Test(arguments: [true, false])
    func multiplyAndDivideFollowTheSpecIncludingDivisionByZeroAndOverflow(compiled: Bool) throws {
        try checkRegisterRegister(
            ["mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"], compiled: compiled)
    }

    @Test(arguments: [true, false])
    func divisionEdgeCasesByHand(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                li a0, 0x80000000
                li a1, -1
                div s2, a0, a1      # INT_MIN / -1 = INT_MIN
                rem s3, a0, a1      # remainder 0
                li t0, 17
                div s4, t0, zero    # x / 0 = -1
                rem s5, t0, zero    # x % 0 = x
                divu s6, t0, zero   # = 0xFFFFFFFF
                remu s7, t0, zero   # = x
                li t1, -7
                li t2, 2
                div s8, t1, t2      # -3 (towards zero)
                rem s9, t1, t2      # -1 (sign of dividend)
                li t3, 0xFFFFFFFF
                mulhsu s10, t3, t3  # -1 × 0xFFFFFFFF = -0xFFFFFFFF → high word 0xFFFFFFFF
                mulh s11, a0, a0    # 2^62 → high 0x40000000
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.s2] == 0x8000_0000)
        #expect(state[.s3] == 0)
        #expect(state[.s4] == 0xFFFF_FFFF)
        #expect(state[.s5] == 17)
        #expect(state[.s6] == 0xFFFF_FFFF)
        #expect(state[.s7] == 17)
        #expect(state[.s8] == UInt32(bitPattern: -3))
        #expect(state[.s9] == UInt32(bitPattern: -1))
        #expect(state[.s10] == 0xFFFF_FFFF)
        #expect(state[.s11] == 0x4000_0000)
    }

    // MARK: A

    @Test(arguments: [true, false])
    func lrScPairSucceedsAndScWithoutReservationFails(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                la s0, words
                addi s1, s0, 4
                li t0, 100
                sw t0, 0(s0)
                lr.w a0, (s0)          # 100, reserves words[0]
                li t1, 200
                sc.w a1, t1, (s0)      # succeeds: 0, stores 200
                lw a2, 0(s0)
                li t2, 300
                sc.w a3, t2, (s0)      # reservation used up: fails with 1
                lw a4, 0(s0)           # still 200
                lr.w t3, (s0)
                sc.w a5, t2, (s1)      # other address: fails
                lw a7, 0(s1)           # words[1] unchanged
                EXIT 0
                .data
                .balign 4
            words: .word 0, 0x55, 0x66
            """)
        let state = machine.state
        #expect(state[.a0] == 100)
        #expect(state[.a1] == 0)
        #expect(state[.a2] == 200)
        #expect(state[.a3] == 1)
        #expect(state[.a4] == 200)
        #expect(state[.a5] == 1)
        #expect(state[.a7] == 0x55)
        #expect(try machine.readWords(at: "words", count: 3) == [200, 0x55, 0x66])
    }

    @Test(arguments: [true, false])
    func scAfterATrapFails(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                SET_MTVEC handler
                la s0, word
                lr.w a0, (s0)
                ecall                  # the trap clears the reservation
                li t1, 9
                sc.w a1, t1, (s0)
                EXIT 0
                .balign 4
            handler:
                csrr t0, mepc
                addi t0, t0, 4
                csrw mepc, t0
                mret
                .data
                .balign 4
            word: .word 42
            """)
        #expect(machine.state[.a0] == 42)
        #expect(machine.state[.a1] == 1, "sc.w after a trap must fail")
        #expect(try machine.readWords(at: "word", count: 1) == [42])
    }

    @Test(arguments: [true, false])
    func everyAMOReturnsTheOldValueAndStoresTheSpecifiedNewOne(compiled: Bool) throws {
        let operations: [(String, (UInt32, UInt32) -> UInt32)] = [
            ("amoswap.w", { _, b in b }),
            ("amoadd.w", { $0 &+ $1 }),
            ("amoxor.w", { $0 ^ $1 }),
            ("amoand.w", { $0 & $1 }),
            ("amoor.w", { $0 | $1 }),
            ("amomin.w", { Self.signed($0) <= Self.signed($1) ? $0 : $1 }),
            ("amomax.w", { Self.signed($0) >= Self.signed($1) ? $0 : $1 }),
            ("amominu.w", { $0 <= $1 ? $0 : $1 }),
            ("amomaxu.w", { $0 >= $1 ? $0 : $1 }),
        ]
        let pairs: [(UInt32, UInt32)] = [
            (5, 0xFFFF_FFFD), (0xFFFF_FFFD, 5), (0x8000_0000, 0x7FFF_FFFF), (0xFFFF_FFFF, 1),
            (1, 0xFFFF_FFFF),
            (7, 7), (0x0F0F_0F0F, 0x00FF_00FF),
        ]
        var text = "    la s0, results\n    la s1, cell\n"
        var expected: [(String, UInt32)] = []
        for (name, operation) in operations {
            for (old, operand) in pairs {
                text += """
                        li t0, \(Self.signed(old))
                        sw t0, 0(s1)
                        li t1, \(Self.signed(operand))
                        \(name) a0, t1, (s1)
                        lw a1, 0(s1)
                        sw a0, 0(s0)
                        sw a1, 4(s0)
                        addi s0, s0, 8

                    """
                expected.append(("\(name) old \(hex(old)) operand \(hex(operand)): rd", old))
                expected.append(
                    ("\(name) old \(hex(old)) operand \(hex(operand)): memory", operation(old, operand)))
            }
        }
        text += "    EXIT 0\n    .data\n    .balign 4\ncell: .word 0\nresults: .space \(expected.count * 4)\n"
        let machine = try runToExit(compiled: compiled, text)
        let results = try machine.readWords(at: "results", count: expected.count)
        for (index, (label, value)) in expected.enumerated() {
            #expect(results[index] == value, "\(label)")
        }
    }

    @Test(arguments: [true, false])
    func amoWithRdEqualToRs2UsesTheOldOperand(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                la s0, cell
                li a0, 5
                amoadd.w a0, a0, (s0)   # memory 10 + 5, a0 = 10
                EXIT 0
                .data
                .balign 4
            cell: .word 10
            """)
        #expect(machine.state[.a0] == 10)
        #expect(try machine.readWords(at: "cell", count: 1) == [15])
    }

    // MARK: C

    @Test(arguments: [true, false])
    func compressedInstructionsExecuteLikeTheirExpansions(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option rvc
                la sp, stack_top
                c.addi4spn s0, sp, 16   # s0 = sp + 16
                c.li a0, -5             # a0 = -5
                c.li a1, 31
                c.lui a2, 0x1f          # 0x0001F000
                c.lui a3, 0xfffe0       # sign-extended: 0xFFFE0000
                mv s1, sp
                c.addi16sp sp, -64
                mv t0, sp               # s1 - 64
                c.addi16sp sp, 496
                mv t1, sp               # s1 - 64 + 496
                c.addi16sp sp, -432     # back to s1
                c.swsp a0, 8(sp)
                c.lwsp a4, 8(sp)        # a4 = -5
                c.sw a1, 4(s0)
                c.lw a5, 4(s0)          # a5 = 31
                c.addi a5, -1           # 30
                li s1, 0x80000010       # x9
                c.srli s1, 4            # 0x08000001
                li a0, 0x80000010       # x10
                c.srai a0, 4            # 0xF8000001
                li a1, 0x000000FF       # x11
                c.andi a1, -16          # 0xF0
                li a2, 100              # x12
                li a3, 58               # x13
                c.sub a2, a3            # 42
                li a4, 0xF0F0           # x14
                li a5, 0xFF00           # x15
                mv s2, a4
                c.xor a4, a5            # 0x0FF0
                mv s3, a4
                mv a4, s2
                c.or a4, a5             # 0xFFF0
                mv s4, a4
                mv a4, s2
                c.and a4, a5            # 0xF000
                mv s5, a4
                c.mv s6, a2             # 42
                c.add s6, a3            # 100
                li s7, 3
                c.slli s7, 30           # 0xC0000000
                EXIT 0
                .data
                .balign 16
            stack: .space 1024
            stack_top:
            """)
        let state = machine.state
        let stackTop = try machine.address(of: "stack_top")
        #expect(state[.s0] == stackTop + 16)
        #expect(state[.sp] == stackTop)
        #expect(state[.t0] == stackTop - 64)
        #expect(state[.t1] == stackTop - 64 + 496)
        #expect(state[.s1] == 0x0800_0001)
        #expect(state[.a0] == 0xF800_0001)
        #expect(state[.a1] == 0xF0)
        #expect(state[.a2] == 42)
        #expect(state[.s3] == 0x0FF0)
        #expect(state[.s4] == 0xFFF0)
        #expect(state[.s5] == 0xF000)
        #expect(state[.s6] == 100)
        #expect(state[.s7] == 0xC000_0000)
        // Memory written by c.swsp / c.sw.
        #expect(try machine.readWord(stackTop + 8) == UInt32(bitPattern: -5))
        #expect(try machine.readWord(stackTop + 16 + 4) == 31)
    }

    @Test(arguments: [true, false])
    func compressedLoadsAndImmediatesByHand(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option rvc
                c.li a0, -5
                c.li a1, 31
                c.lui a2, 0x1f
                c.lui a3, 0xfffe0
                la sp, stack_top
                c.swsp a0, 8(sp)
                c.lwsp a4, 8(sp)
                la s0, stack
                c.sw a1, 4(s0)
                c.lw a5, 4(s0)
                c.addi a5, -1
                EXIT 0
                .data
                .balign 16
            stack: .space 64
            stack_top:
            """)
        let state = machine.state
        #expect(state[.a0] == UInt32(bitPattern: -5))
        #expect(state[.a1] == 31)
        #expect(state[.a2] == 0x0001_F000)
        #expect(state[.a3] == 0xFFFE_0000)
        #expect(state[.a4] == UInt32(bitPattern: -5))
        #expect(state[.a5] == 30)
    }

    @Test(arguments: [true, false])
    func compressedJumpsAndBranchesLinkPcPlusTwo(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option rvc
                li s0, 0
                c.j over
                EXIT 1
            over:
            jal_site:
                c.jal function          # ra = jal_site + 2
                mv s1, ra
                la t0, function2
            jalr_site:
                c.jalr t0               # ra = jalr_site + 2
                mv s2, ra
                la t1, after_jr
                c.jr t1
                EXIT 2
            after_jr:
                li a0, 0
                c.beqz a0, zero_taken
                EXIT 3
            zero_taken:
                c.bnez a0, wrong        # not taken
                li a1, 7
                c.bnez a1, nonzero_taken
                EXIT 4
            nonzero_taken:
                c.beqz a1, wrong        # not taken
                li s3, 1
                EXIT 0
            wrong:
                EXIT 5
            function:
                addi s0, s0, 1
                c.jr ra
            function2:
                addi s0, s0, 10
                ret
            """)
        let state = machine.state
        #expect(state[.s0] == 11)
        #expect(state[.s1] == (try machine.address(of: "jal_site")) + 2)
        #expect(state[.s2] == (try machine.address(of: "jalr_site")) + 2)
        #expect(state[.s3] == 1)
    }

    @Test(arguments: [true, false])
    func compressedImmediatesAtTheEdgesOfTheirRanges(compiled: Bool) throws {
        // Extreme offsets set every bit of the scrambled immediate fields.
        let machine = try runToExit(
            compiled: compiled,
            """
                .option rvc
                la sp, frame
                c.addi4spn a5, sp, 1020     # nzuimm[9:2] all ones
                c.addi4spn a4, sp, 4
                li t0, 0x13579BDF
                c.swsp t0, 252(sp)          # uimm[7:2] all ones
                c.lwsp s2, 252(sp)
                c.swsp t0, 4(sp)
                c.lwsp s3, 4(sp)
                mv s0, sp
                li a0, 0x2468ACE0
                c.sw a0, 124(s0)            # uimm[6:2] all ones
                c.lw a1, 124(s0)
                c.addi16sp sp, -512         # nzimm[9] only
                mv s4, sp
                c.addi16sp sp, 496
                c.addi16sp sp, 16
                li a2, 0
                c.addi a2, -32              # imm[5] only
                li a3, 0
                c.addi a3, 31
                c.li s5, -32
                c.li s6, 31
                c.lui s7, 0xfffff           # nzimm = -1: 0xFFFFF000
                EXIT 0
                .data
                .balign 16
                .space 512
            frame: .space 1024
            """)
        let state = machine.state
        let frame = try machine.address(of: "frame")
        #expect(state[.a5] == frame + 1020)
        #expect(state[.a4] == frame + 4)
        #expect(state[.s2] == 0x1357_9BDF)
        #expect(state[.s3] == 0x1357_9BDF)
        #expect(try machine.readWord(frame + 252) == 0x1357_9BDF)
        #expect(try machine.readWord(frame + 124) == 0x2468_ACE0)
        #expect(state[.a1] == 0x2468_ACE0)
        #expect(state[.s4] == frame - 512)
        #expect(state[.sp] == frame)
        #expect(state[.a2] == UInt32(bitPattern: -32))
        #expect(state[.a3] == 31)
        #expect(state[.s5] == UInt32(bitPattern: -32))
        #expect(state[.s6] == 31)
        #expect(state[.s7] == 0xFFFF_F000)
    }

    @Test(arguments: [true, false])
    func compressedJumpsAndBranchesReachTheEdgesOfTheirRanges(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option rvc
                li s0, 0
                c.j far_forward             # about +1.9 KiB: c.j reaches ±2 KiB
            back_target:
                addi s0, s0, 100
                li a0, 0
                c.beqz a0, near_forward     # about +240 bytes: c.beqz reaches ±256
                EXIT 1
                .fill 110, 2, 0x0001        # c.nop
            near_forward:
                addi s0, s0, 1000
                li a1, 3
            countdown:
                c.addi a1, -1
                c.bnez a1, countdown        # backward
                li t0, 10000
                add s0, s0, t0
                EXIT 0
                .fill 800, 2, 0x0001
            far_forward:
                addi s0, s0, 1
                c.jal back_target_trampoline
                EXIT 2
            back_target_trampoline:
                c.j back_target             # about -1.9 KiB
            """)
        #expect(machine.state[.s0] == 11101)
    }

    /// A ladder of jumps over `c.ebreak` padding: every jump must land exactly on its target
    /// (a wrong offset lands in the padding and traps). Distances are chosen so that every
    /// bit of each immediate field is both set and clear somewhere.
    static func jumpLadder(
        forward: [Int], backward: [Int], jump: (String) -> String, minimumBackward: Int
    ) -> String {
        var text = """
                SET_MTVEC wrong_landing
                li s0, 0
                li s1, 0
                li a0, 0
                li a1, 1

            """
        for (index, distance) in forward.enumerated() {
            precondition(distance >= 2 && distance % 2 == 0)
            let jumpSize = 2  // every ladder jump here is compressed
            text += "    \(jump("fwd\(index)"))\n"
            let padding = (distance - jumpSize) / 2
            if padding > 0 { text += "    .fill \(padding), 2, 0x9002\n" }
            text += "fwd\(index):\n    addi s0, s0, 1\n"
        }
        for (index, distance) in backward.enumerated() {
            precondition(distance >= minimumBackward && distance % 2 == 0)
            // back: addi (4) + j (4) + padding, then the compressed jump back to `back`.
            let padding = (distance - 8) / 2
            text += """
                    .option push
                    .option norvc
                    j over\(index)
                back\(index):
                    addi s1, s1, 1
                    j after\(index)
                    .option pop

                """
            if padding > 0 { text += "    .fill \(padding), 2, 0x9002\n" }
            text += "over\(index):\n    \(jump("back\(index)"))\nafter\(index):\n"
        }
        text += """
                EXIT 0
                .balign 4
            wrong_landing:
                EXIT 3

            """
        return text
    }

    static let cjDistances = [2, 0x0A, 0x14, 0x28, 0x50, 0xA0, 0x106, 0x2AA, 0x402, 0x554, 0x7F6]

    @Test(arguments: [true, false])
    func cjLandsExactlyForEveryOffsetBit(compiled: Bool) throws {
        let backward = [8, 0x0A, 0x14, 0x28, 0x50, 0xA0, 0x106, 0x2AA, 0x402, 0x554, 0x800]
        let machine = try runToExit(
            compiled: compiled,
            ".option rvc\n"
                + Self.jumpLadder(
                    forward: Self.cjDistances, backward: backward, jump: { "c.j \($0)" }, minimumBackward: 8))
        #expect(machine.state[.s0] == UInt32(Self.cjDistances.count))
        #expect(machine.state[.s1] == UInt32(backward.count))
    }

    @Test(arguments: [true, false])
    func cjalLandsExactlyForEveryOffsetBitAndLinksPcPlusTwo(compiled: Bool) throws {
        let backward = [8, 0x0A, 0x14, 0x28, 0x50, 0xA0, 0x106, 0x2AA, 0x402, 0x554, 0x800]
        let machine = try runToExit(
            compiled: compiled,
            ".option rvc\n"
                + Self.jumpLadder(
                    forward: Self.cjDistances, backward: backward, jump: { "c.jal \($0)" }, minimumBackward: 8
                ))
        #expect(machine.state[.s0] == UInt32(Self.cjDistances.count))
        #expect(machine.state[.s1] == UInt32(backward.count))
        // The last c.jal was the final backward one: it sits just before after<n-1>.
        #expect(machine.state[.ra] == (try machine.address(of: "after\(backward.count - 1)")))
    }

    @Test(arguments: [true, false])
    func compressedBranchesLandExactlyForEveryOffsetBit(compiled: Bool) throws {
        let forward = [2, 0x0A, 0x14, 0x2C, 0x56, 0xAA, 0xFC]
        let backward = [8, 0x0A, 0x14, 0x2C, 0x56, 0xAA, 0x100]
        for (mnemonic, register) in [("c.beqz", "a0"), ("c.bnez", "a1")] {
            let machine = try runToExit(
                compiled: compiled,
                ".option rvc\n"
                    + Self.jumpLadder(
                        forward: forward, backward: backward, jump: { "\(mnemonic) \(register), \($0)" },
                        minimumBackward: 8))
            #expect(machine.state[.s0] == UInt32(forward.count), "\(mnemonic)")
            #expect(machine.state[.s1] == UInt32(backward.count), "\(mnemonic)")
        }
    }

    @Test(arguments: [true, false])
    func wordJumpsAndBranchesLandExactlyForEveryOffsetBit(compiled: Bool) throws {
        // jal reaches ±1 MiB, branches ±4 KiB; the ladder's jumps are 4 bytes here.
        func ladder(_ forward: [Int], _ backward: [Int], _ jump: @escaping (String) -> String) -> String {
            Self.jumpLadder(
                forward: forward.map { $0 - 2 }, backward: backward, jump: jump, minimumBackward: 8)
        }
        let jalForward = [4, 0x804, 0x1000, 0x2AA8, 0x15554, 0x40000]
        let jalBackward = [8, 0x800, 0x1554, 0x2AA8, 0x10000, 0x40000]
        let branchForward = [4, 0x2C, 0x56, 0x554, 0xAA8, 0xFF0]
        let branchBackward = [8, 0x2E, 0x554, 0xAA8, 0x1000]
        let cases: [(String, [Int], [Int], (String) -> String)] = [
            ("jal", jalForward, jalBackward, { "jal zero, \($0)" }),
            ("beq", branchForward, branchBackward, { "beq a0, zero, \($0)" }),
            ("bltu", branchForward, branchBackward, { "bltu a0, a1, \($0)" }),
        ]
        for (name, forward, backward, jump) in cases {
            // Forward distances count from the jump, which is 4 bytes: the ladder assumes 2, so
            // it pads one halfword less (distance - 2 passed in, padding = (d - 2 - 2) / 2).
            let source = ".option norvc\n" + ladder(forward, backward, jump)
            let machine = try TestSupport.runToExit(source, ramSize: 4 << 20, compiled: compiled)
            #expect(machine.state[.s0] == UInt32(forward.count), "\(name)")
            #expect(machine.state[.s1] == UInt32(backward.count), "\(name)")
        }
    }

    @Test(arguments: [true, false])
    func compressedInstructionsAdvancePcByTwo(compiled: Bool) throws {
        let machine = try makeMachine(
            compiled: compiled,
            """
                .option rvc
                c.li a0, 1              # 0x80000000
                .option push
                .option norvc
                addi a1, zero, 2        # 32-bit at 0x80000002
                .option pop
                c.addi a0, 3            # 0x80000006
                c.nop                   # 0x80000008
                EXIT 0
            """)
        var pcs: [UInt32] = [machine.pc]
        for step in 1...4 {
            #expect(machine.run(until: UInt64(step)) == .stepLimit)
            pcs.append(machine.pc)
        }
        #expect(pcs == [0x8000_0000, 0x8000_0002, 0x8000_0006, 0x8000_0008, 0x8000_000A])
        #expect(machine.state[.a0] == 4)
        #expect(machine.state[.a1] == 2)
    }

    // MARK: Zicsr

    @Test(arguments: [true, false])
    func csrReadModifyWriteFormsOnMscratch(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                li t0, 0xF0F0F0F0
                csrrw a0, mscratch, t0      # a0 = 0, mscratch = F0F0F0F0
                li t1, 0x0000FFFF
                csrrs a1, mscratch, t1      # a1 = F0F0F0F0, mscratch = F0F0FFFF
                li t2, 0xFF000000
                csrrc a2, mscratch, t2      # a2 = F0F0FFFF, mscratch = 00F0FFFF
                csrrwi a3, mscratch, 0x15   # a3 = 00F0FFFF, mscratch = 15
                csrrsi a4, mscratch, 0x0A   # a4 = 15, mscratch = 1F
                csrrci a5, mscratch, 0x03   # a5 = 1F, mscratch = 1C
                csrrs a6, mscratch, zero    # read only
                csrrc a7, mscratch, zero    # read only
                csrrsi s2, mscratch, 0      # read only
                csrrci s3, mscratch, 0      # read only
                csrr s4, mscratch
                csrrw s5, mscratch, s5      # rd == rs1: swap (s5 = 0)
                csrr s6, mscratch           # 0
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.a0] == 0)
        #expect(state[.a1] == 0xF0F0_F0F0)
        #expect(state[.a2] == 0xF0F0_FFFF)
        #expect(state[.a3] == 0x00F0_FFFF)
        #expect(state[.a4] == 0x15)
        #expect(state[.a5] == 0x1F)
        #expect(
            [state[.a6], state[.a7], state[.s2], state[.s3], state[.s4]] == Array(repeating: 0x1C, count: 5))
        #expect(state[.s5] == 0x1C)
        #expect(state[.s6] == 0)
        #expect(state.csr.mscratch == 0)
    }

    @Test(arguments: [true, false])
    func readOnlyCSRsCanBeReadWithRs1X0FormsWithoutTrapping(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                SET_MTVEC trapped
                csrrs a0, mhartid, zero
                csrrc a1, mvendorid, zero
                csrrsi a2, cycle, 0
                csrrci a3, instret, 0
                csrr a4, marchid
                csrr a5, mimpid
                li s0, 1
                EXIT 0
                .balign 4
            trapped:
                EXIT 9
            """)
        let state = machine.state
        #expect(state[.a0] == 0, "hart 0")
        #expect(state[.a1] == 0)
        #expect(state[.s0] == 1)
    }

    /// A program that executes `instruction` with a handler that exits 0; returns the machine
    /// stopped in the handler.
    func trapOn(_ instruction: String, setup: String = "") throws -> (Machine, UInt32) {
        let machine = try runToExit(
            """
                SET_MTVEC handler
                \(setup)
            site:
                \(instruction)
                EXIT 1
                .balign 4
            handler:
                EXIT 0
            """)
        return (machine, try machine.address(of: "site"))
    }

    @Test(arguments: [
        // (assembly, expected instruction bits from the spec encoding)
        ("csrw mhartid, a0", Encode.csr(1, rd: .zero, csr: 0xF14, rs1OrUimm: 10)),
        ("csrrw a1, cycle, a0", Encode.csr(1, rd: .a1, csr: 0xC00, rs1OrUimm: 10)),
        ("csrrs a1, cycle, t0", Encode.csr(2, rd: .a1, csr: 0xC00, rs1OrUimm: 5)),
        ("csrrci a1, time, 1", Encode.csr(7, rd: .a1, csr: 0xC01, rs1OrUimm: 1)),
        ("csrrwi zero, mvendorid, 0", Encode.csr(5, rd: .zero, csr: 0xF11, rs1OrUimm: 0)),
        ("csrr a0, 0x7c0", Encode.csr(2, rd: .a0, csr: 0x7C0, rs1OrUimm: 0)),
        ("csrw 0x7c0, a0", Encode.csr(1, rd: .zero, csr: 0x7C0, rs1OrUimm: 10)),
        ("csrr a0, 0x105", Encode.csr(2, rd: .a0, csr: 0x105, rs1OrUimm: 0)),  // stvec: no S-mode
    ])
    func writingAReadOnlyCSROrTouchingAnUnknownOneIsIllegal(_ instruction: String, bits: UInt32) throws {
        let (machine, site) = try trapOn(".option norvc\n    " + instruction, setup: "li t0, 0\n    li a0, 5")
        let csr = machine.state.csr
        #expect(csr.mcause == 2)
        #expect(csr.mepc == site)
        #expect(csr.mtval == bits, "mtval \(hex(csr.mtval)), expected the instruction \(hex(bits))")
    }

    @Test(arguments: [true, false])
    func misaReportsRV32WithACIM(compiled: Bool) throws {
        let machine = try runToExit(compiled: compiled, "csrr a0, misa\n    EXIT 0")
        let extensions = "ACIM".unicodeScalars.reduce(UInt32(0)) { $0 | 1 << ($1.value - 65) }
        #expect(machine.state[.a0] == (1 << 30 | extensions))
    }

    @Test(arguments: [true, false])
    func mstatusMPPReadsMachineModeEvenAfterWritingZero(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                csrr a0, mstatus
                csrw mstatus, zero
                csrr a1, mstatus
                li t0, 0x88           # MIE | MPIE
                csrw mstatus, t0
                csrr a2, mstatus
                csrw mstatus, zero
                EXIT 0
            """)
        let state = machine.state
        #expect((state[.a0] >> 11) & 3 == 3)
        #expect((state[.a1] >> 11) & 3 == 3)
        #expect(state[.a2] == 0x1888)
    }

    @Test(arguments: [true, false])
    func pmpCSRsStoreValuesAndTriggerCSRsReportNoTriggers(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                li t0, 0x1F1F1F1F
                csrw pmpcfg0, t0
                csrr a0, pmpcfg0
                li t1, 0x20000000
                csrw pmpaddr0, t1
                csrr a1, pmpaddr0
                li t2, 0x12345
                csrw pmpaddr15, t2
                csrr a2, pmpaddr15
                csrw pmpcfg3, t1
                csrr a3, pmpcfg3
                csrr a4, tselect
                csrw tselect, zero
                csrr a5, tselect
                csrr a6, tdata1
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.a0] == 0x1F1F_1F1F)
        #expect(state[.a1] == 0x2000_0000)
        #expect(state[.a2] == 0x12345)
        #expect(state[.a3] == 0x2000_0000)
        #expect(state[.a4] == 0)
        #expect(state[.a5] == 0)
        #expect(state[.a6] == 0)
    }

    @Test(arguments: [true, false])
    func mtvecKeepsDirectOrVectoredModeAndMepcClearsBitZero(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                li t0, 0x80001001
                csrw mtvec, t0
                csrr a0, mtvec          # vectored
                li t0, 0x80001002
                csrw mtvec, t0
                csrr a1, mtvec          # mode 2 is reserved
                li t0, 0x80000103
                csrw mepc, t0
                csrr a2, mepc           # bit 0 reads 0 (IALIGN 16)
                EXIT 0
            """)
        let state = machine.state
        #expect(state[.a0] == 0x8000_1001)
        #expect(state[.a1] & 3 != 2 && state[.a1] & 3 != 3, "reserved mode must not stick")
        #expect(state[.a2] == 0x8000_0102)
    }

    @Test(arguments: [true, false])
    func aStoreOverTheNextInstructionOfTheSameBlockTakesEffect(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                la t0, target
                li t1, 0x02a00513        # addi a0, zero, 42
                li a0, 0
                sw t1, 0(t0)             # same straight-line block as target
            target:
                addi a0, zero, 1
                la t0, target2
                li t1, 0x06300593        # addi a1, zero, 99
                amoswap.w zero, t1, (t0) # an AMO patches code too
            target2:
                addi a1, zero, 2
                EXIT 0
            """)
        #expect(machine.state[.a0] == 42)
        #expect(machine.state[.a1] == 99)
    }

    @Test(arguments: [true, false])
    func codeRewrittenOnEveryIterationStaysCorrectPastATranslationCacheFlush(compiled: Bool) throws {
        // Every iteration stores into the code page, so its blocks are translated again each
        // time; a few hundred thousand iterations fill the translation store and force a flush.
        let iterations: UInt32 = 300_000
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                li s0, 0
                li s1, 0
                li s2, \(iterations)
                la t1, scratch
            loop:
                addi s0, s0, 1
                add s1, s1, s0
                sw s0, 0(t1)             # a store to this very page
                bne s0, s2, loop
                EXIT 0
                .balign 4
            scratch: .word 0
            """, maxSteps: 10_000_000)
        let state = machine.state
        #expect(state[.s0] == iterations)
        #expect(state[.s1] == UInt32(truncatingIfNeeded: UInt64(iterations) * UInt64(iterations + 1) / 2))
        #expect(try machine.readWords(at: "scratch", count: 1) == [iterations])
    }

    @Test(arguments: [true, false])
    func selfModifyingCodeExecutesTheNewInstruction(compiled: Bool) throws {
        let machine = try runToExit(
            compiled: compiled,
            """
                .option norvc
                li s0, 0
                la t0, patched
                li t1, 0x02a00413        # addi s0, zero, 42
                j first
            first:
                jal ra, patched          # runs the old instruction (translates the block)
                sw t1, 0(t0)
                fence.i
                jal ra, patched          # must run the new one
                EXIT 0
            patched:
                addi s0, s0, 1
                ret
            """)
        #expect(machine.state[.s0] == 42)
    }
}

/// `runToExit`/`makeMachine` with the execution mode first, so every test here runs both with
/// compiled blocks and with the interpreter alone.
private func runToExit(compiled: Bool, _ source: String, maxSteps: UInt64 = 1_000_000) throws -> Machine {
    try TestSupport.runToExit(source, maxSteps: maxSteps, compiled: compiled)
}

private func makeMachine(compiled: Bool, _ source: String) throws -> Machine {
    try TestSupport.makeMachine(source, compiled: compiled)
}
