/// Compiles a translated block to x86-64 machine code: the fast path of every instruction
/// inline, and an exit for everything else.
///
/// The generated function has the C signature
/// `uint64_t block(uint32_t *x, uint8_t *ram, uint8_t *dirtyLines, uint8_t *watched, uint8_t *dirtyPages)`:
///
/// ```
///   rbx = x (guest registers, slot 32 swallows writes to x0)   r12 = RAM
///   r13 = dirty flags, one per 64-byte line                      r14 = watched flags, one per 64-byte line
///   r15 = dirty flags, one per 4 KiB page
/// ```
///
/// It returns the next pc when the whole block ran, or `1 << 32 | i` when instruction `i`
/// needs the interpreter (a device access, a misaligned or faulting address, a store to a
/// watched line, a division the hardware would trap on, SYSTEM, AMOs): instructions before
/// `i` have completed and nothing of `i` has happened, so the interpreter simply carries on
/// from there. The interpreter stays the reference; compiled code only ever takes the paths
/// where both agree, which the differential tests check.
struct BlockCompiler {
    typealias Register = X86Assembler.Register
    typealias Memory = X86Assembler.Memory

    /// Bit 32 of the result: the block stopped before an instruction.
    static let exitFlag: UInt64 = 1 << 32

    let ramBase: UInt32
    let ramSize: UInt32
    private var code = X86Assembler()
    private var exits: [(fixup: Int, index: Int)] = []

    init(ramBase: UInt32, ramSize: UInt32) {
        self.ramBase = ramBase
        self.ramSize = ramSize
    }

    private func register(_ index: UInt8) -> Memory { Memory(base: .rbx, displacement: Int32(index) * 4) }

    /// Machine code for `instructions` (a block ending at `end`).
    static func compile(
        _ instructions: UnsafeBufferPointer<DecodedInstruction>, end: UInt32, ramBase: UInt32, ramSize: UInt32
    ) -> [UInt8] {
        var compiler = BlockCompiler(ramBase: ramBase, ramSize: ramSize)
        return compiler.emit(instructions, end: end)
    }

    private mutating func emit(_ instructions: UnsafeBufferPointer<DecodedInstruction>, end: UInt32)
        -> [UInt8]
    {
        for reg in [Register.rbx, .r12, .r13, .r14, .r15] { code.push(reg) }
        code.move(.rbx, .rdi, wide: true)
        code.move(.r12, .rsi, wide: true)
        code.move(.r13, .rdx, wide: true)
        code.move(.r14, .rcx, wide: true)
        code.move(.r15, .r8, wide: true)
        var finished = false
        for (index, op) in instructions.enumerated() {
            if !emit(op, index: index, end: end) {
                finished = true
                break
            }
        }
        if !finished { complete(with: end) }
        // Exit stubs, out of the straight line.
        var stubs: [Int: Int] = [:]
        for exit in exits {
            if let stub = stubs[exit.index] {
                code.bind(exit.fixup, to: stub)
                continue
            }
            stubs[exit.index] = code.count
            code.bind(exit.fixup)
            code.move64(.rax, immediate: BlockCompiler.exitFlag | UInt64(exit.index))
            epilogue()
        }
        return code.bytes
    }

    private mutating func epilogue() {
        for reg in [Register.r15, .r14, .r13, .r12, .rbx] { code.pop(reg) }
        code.ret()
    }

    /// Returns `pc` as the next pc.
    private mutating func complete(with pc: UInt32) {
        code.move(.rax, immediate: pc)
        epilogue()
    }

    /// Leaves the block before instruction `index` when the last comparison says so.
    private mutating func exit(if condition: X86Assembler.Condition, before index: Int) {
        exits.append((code.jump(if: condition), index))
    }

    /// Emits one instruction; false when it ended the block.
    private mutating func emit(_ op: DecodedInstruction, index: Int, end: UInt32) -> Bool {
        let rd = register(op.rd)
        let rs1 = register(op.rs1)
        let rs2 = register(op.rs2)
        let imm = op.immediate
        switch op.kind {
        case .addi, .xori, .ori, .andi:
            if op.rs1 == 0 && op.kind != .andi {
                code.store32(rd, immediate: imm)
                return true
            }
            code.load32(.rax, rs1)
            let operation: X86Assembler.Operation =
                [.addi: .add, .xori: .xor, .ori: .or, .andi: .and][op.kind] ?? .add
            code.operate(operation, .rax, immediate: imm)
            code.store32(rd, .rax)
        case .slti, .sltiu:
            code.load32(.rax, rs1)
            code.operate(.cmp, .rax, immediate: imm)
            code.setAL(op.kind == .slti ? .less : .below)
            code.store32(rd, .rax)
        case .slli, .srli, .srai:
            code.load32(.rax, rs1)
            let kind: X86Assembler.Shift =
                op.kind == .slli ? .left : op.kind == .srli ? .rightLogical : .rightArithmetic
            code.shift(kind, .rax, by: UInt8(imm & 31))
            code.store32(rd, .rax)
        case .add, .sub, .xor, .or, .and:
            code.load32(.rax, rs1)
            let operation: X86Assembler.Operation =
                [.add: .add, .sub: .sub, .xor: .xor, .or: .or, .and: .and][op.kind] ?? .add
            code.operate(operation, .rax, rs2)
            code.store32(rd, .rax)
        case .sll, .srl, .sra:
            code.load32(.rax, rs1)
            code.load32(.rcx, rs2)
            code.shiftByCL(op.kind == .sll ? .left : op.kind == .srl ? .rightLogical : .rightArithmetic, .rax)
            code.store32(rd, .rax)
        case .slt, .sltu:
            code.load32(.rax, rs1)
            code.operate(.cmp, .rax, rs2)
            code.setAL(op.kind == .slt ? .less : .below)
            code.store32(rd, .rax)
        case .mul:
            code.load32(.rax, rs1)
            code.multiply(.rax, rs2)
            code.store32(rd, .rax)
        case .mulh, .mulhsu, .mulhu:
            if op.kind == .mulhu { code.load32(.rax, rs1) } else { code.loadSignExtended64(.rax, rs1) }
            if op.kind == .mulh { code.loadSignExtended64(.rcx, rs2) } else { code.load32(.rcx, rs2) }
            code.multiply64(.rax, .rcx)
            code.shift(.rightLogical, .rax, by: 32, wide: true)
            code.store32(rd, .rax)
        case .div, .divu, .rem, .remu:
            let signed = op.kind == .div || op.kind == .rem
            code.load32(.rcx, rs2)
            code.test(.rcx, .rcx)
            exit(if: .equal, before: index)  // division by zero: the interpreter has the spec's result
            code.load32(.rax, rs1)
            if signed {
                // INT_MIN / -1 overflows on x86 (#DE); the interpreter handles it.
                code.operate(.cmp, .rcx, immediate: UInt32.max)
                let notMinusOne = code.jump(if: .notEqual)
                code.operate(.cmp, .rax, immediate: 0x8000_0000)
                exit(if: .equal, before: index)
                code.bind(notMinusOne)
                code.signExtendEAXIntoEDX()
            } else {
                code.move(.rdx, immediate: 0)
            }
            code.divide(by: .rcx, signed: signed)
            code.store32(rd, op.kind == .div || op.kind == .divu ? .rax : .rdx)
        case .lui, .auipc:  // auipc was made absolute at translation
            code.store32(rd, immediate: imm)
        case .fence:
            break
        case .lw, .lh, .lhu, .lb, .lbu:
            let size = op.kind.accessSize
            emitAddressCheck(rs1, imm, size: size, index: index)
            let memory = Memory(base: .r12, index: .rdx)
            switch op.kind {
            case .lw: code.load32(.rax, memory)
            case .lh: code.loadExtended(.rax, memory, bits: 16, signed: true)
            case .lhu: code.loadExtended(.rax, memory, bits: 16, signed: false)
            case .lb: code.loadExtended(.rax, memory, bits: 8, signed: true)
            default: code.loadExtended(.rax, memory, bits: 8, signed: false)
            }
            code.store32(rd, .rax)
        case .sw, .sh, .sb:
            let size = op.kind.accessSize
            emitAddressCheck(rs1, imm, size: size, index: index)
            code.move(.rcx, .rdx)
            code.shift(.rightLogical, .rcx, by: UInt8(Machine.lineShift))
            code.compare8(Memory(base: .r14, index: .rcx), immediate: 0)
            exit(if: .notEqual, before: index)  // translated code or tohost lives on that line
            code.store8(Memory(base: .r13, index: .rcx), immediate: 1)
            code.shift(.rightLogical, .rcx, by: UInt8(12 - Machine.lineShift))
            code.store8(Memory(base: .r15, index: .rcx), immediate: 1)
            code.load32(.rax, rs2)
            let memory = Memory(base: .r12, index: .rdx)
            switch op.kind {
            case .sw: code.store32(memory, .rax)
            case .sh: code.store16(memory, .rax)
            default: code.store8(memory, .rax)
            }
        case .jal:
            if op.rd != DecodedInstruction.discard { code.store32(rd, immediate: end) }
            complete(with: imm)
            return false
        case .jalr:
            code.load32(.rax, rs1)
            code.operate(.add, .rax, immediate: imm)
            code.operate(.and, .rax, immediate: ~1)
            if op.rd != DecodedInstruction.discard { code.store32(rd, immediate: end) }
            epilogue()
            return false
        case .beq, .bne, .blt, .bge, .bltu, .bgeu:
            code.load32(.rax, rs1)
            code.operate(.cmp, .rax, rs2)
            let condition: X86Assembler.Condition =
                [
                    .beq: .equal, .bne: .notEqual, .blt: .less, .bge: .greaterOrEqual, .bltu: .below,
                    .bgeu: .aboveOrEqual,
                ][op.kind]
                ?? .equal
            let taken = code.jump(if: condition)
            complete(with: end)
            code.bind(taken)
            complete(with: imm)
            return false
        case .system, .atomic, .illegal:
            exits.append((code.jump(), index))
            return false
        }
        return true
    }

    /// Computes the address rs1 + imm, leaves its RAM offset in edx, and exits before
    /// `index` unless the access lies in RAM and is naturally aligned.
    private mutating func emitAddressCheck(_ base: Memory, _ immediate: UInt32, size: UInt32, index: Int) {
        code.load32(.rax, base)
        code.operate(.add, .rax, immediate: immediate)
        code.move(.rdx, .rax)
        code.operate(.sub, .rdx, immediate: ramBase)
        code.operate(.cmp, .rdx, immediate: ramSize - size)
        exit(if: .above, before: index)
        if size > 1 {
            code.test(.rax, immediate: size - 1)
            exit(if: .notEqual, before: index)
        }
    }
}
