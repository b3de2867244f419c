/// Compiles a translated block to x86-64 machine code that runs inside `CompiledRuntime`: the
/// fast path of every instruction inline, jumps linked straight to the blocks they reach, and
/// an exit to Swift for everything else.
///
/// A compiled block:
///
/// ```
///   entry:  sub rbp, COUNT ; jl budget      the budget must cover the whole block
///           cmp [generation of each page], G ; jne stale     the code is what memory holds
///           mov byte [executed block], 1     (the recorder's "where did code run" index)
///           …instructions…
///           jmp/jcc → link stub → CompiledRuntime.chain, which patches the jump to go straight
///                                 to the target's code from then on
///   exit stubs, out of the straight line: give back the steps not taken, pc → eax, leave
/// ```
///
/// Nine guest registers (`RegisterAssignment`) live in host registers for the whole time compiled code
/// runs, across blocks; the others are read and written in `x` (through r15). A block never
/// calls out: anything that needs Swift (devices, misaligned or faulting addresses, stores
/// to watched lines, SYSTEM, AMOs, the division cases x86 traps on) leaves *before* that
/// instruction, with every earlier one done and nothing of it, and the interpreter carries on
/// from there. The interpreter stays the reference; compiled code only takes the paths where
/// both agree, which the differential tests check.
struct BlockCompiler {
    typealias Register = X86Assembler.Register
    typealias Memory = X86Assembler.Memory

    /// What the machine looks like to compiled code.
    struct Layout {
        var ramBase: UInt32
        var ramSize: UInt32
        /// Whether misaligned loads inside RAM simply happen (the board performs them).
        var performsMisalignedLoads: Bool
        var context: ExecutionContext
        var runtime: CompiledRuntime
        var registers: RegisterAssignment
    }

    /// Bytes of the guard a block at a breakpoint starts with (`mov eax, pc; jmp exit`).
    static let breakpointGuardLength = 10

    /// The block to compile.
    struct Block {
        /// Whether a breakpoint is set at the block's start: arriving there from compiled code
        /// returns to the dispatcher, which decides whether to stop.
        var isBreakpoint: Bool
        var instructions: UnsafeBufferPointer<DecodedInstruction>
        /// The address of each instruction.
        var addresses: UnsafePointer<UInt32>
        /// Address after the last instruction.
        var end: UInt32
        /// Page generations the translation was made from: (page index, generation).
        var pages: [(page: Int, generation: UInt32)]
        /// The block's number: its flag in the executed-block flags.
        var serial: Int
    }

    private let layout: Layout
    private let block: Block
    private var code: X86Assembler
    private var exits: [(fixup: Int, index: Int)] = []
    private var links: [(fixup: Int, target: UInt32)] = []

    private init(_ block: Block, layout: Layout, origin: UInt) {
        self.block = block
        self.layout = layout
        code = X86Assembler(origin: origin)
    }

    /// Machine code for `block`, to be placed at `origin`.
    static func compile(_ block: Block, layout: Layout, origin: UInt) -> [UInt8] {
        var compiler = BlockCompiler(block, layout: layout, origin: origin)
        return compiler.emit()
    }

    private var count: Int { block.instructions.count }
    private var pc: UInt32 { block.addresses[0] }

    private mutating func emit() -> [UInt8] {
        let context = layout.context
        if block.isBreakpoint {
            code.move(.rax, immediate: pc)
            code.jump(toAddress: layout.runtime.exitDispatch)
            precondition(code.count == BlockCompiler.breakpointGuardLength)
        }
        code.operate(.sub, .rbp, immediate: UInt32(count), wide: true)
        let budget = code.jump(if: .less)
        var stale: [Int] = []
        for (page, generation) in block.pages {
            let displacement = context.pageGenerationsOffset + page * 4
            code.compare32(Memory(base: .r15, displacement: Int32(displacement)), immediate: generation)
            stale.append(code.jump(if: .notEqual))
        }
        code.store8(
            Memory(base: .r15, displacement: Int32(context.executedBlocksOffset + block.serial)), immediate: 1
        )
        var finished = false
        for (index, op) in block.instructions.enumerated() where !finished {
            finished = !emit(op, index: index)
        }
        if !finished { link(to: block.end) }

        // Out of the straight line: the budget does not cover the block; the block is stale.
        code.bind(budget)
        code.operate(.add, .rbp, immediate: UInt32(count), wide: true)
        code.move(.rax, immediate: pc)
        code.jump(toAddress: layout.runtime.exitDispatch)
        if !stale.isEmpty {
            for fixup in stale { code.bind(fixup) }
            code.operate(.add, .rbp, immediate: UInt32(count), wide: true)
            code.move(.rax, immediate: pc)
            code.loadAddress(.rdx, ofPosition: 0)  // the entry other blocks jump to
            code.jump(toAddress: layout.runtime.exitStale)
        }
        // Exits before an instruction: give back the steps of it and those after it.
        var stubs: [Int: Int] = [:]
        for exit in exits {
            if let stub = stubs[exit.index] {
                code.bind(exit.fixup, to: stub)
                continue
            }
            stubs[exit.index] = code.count
            code.bind(exit.fixup)
            code.operate(.add, .rbp, immediate: UInt32(count - exit.index), wide: true)
            code.move(.rax, immediate: block.addresses[exit.index])
            code.jump(toAddress: layout.runtime.exitInterpret)
        }
        // Links not made yet: the runtime finds the target and patches the jump.
        for link in links {
            code.bind(link.fixup)
            code.move(.rax, immediate: link.target)
            code.loadAddress(.rdx, ofPosition: link.fixup)
            code.jump(toAddress: layout.runtime.chain)
        }
        return code.bytes
    }

    // MARK: Guest registers

    private func host(_ register: UInt8) -> Register? { layout.registers.host(register) }

    private func slot(_ register: UInt8) -> Memory {
        Memory(base: .r15, displacement: Int32(ExecutionContext.registersOffset) + Int32(register) * 4)
    }

    /// Puts guest `register`'s value into `reg`.
    private mutating func read(_ register: UInt8, into reg: Register) {
        if register == 0 {
            code.operate(.xor, reg, reg)
        } else if let host = host(register) {
            if host != reg { code.move(reg, host) }
        } else {
            code.load32(reg, slot(register))
        }
    }

    /// A host register that holds guest `register`: its own, or `scratch` loaded with it.
    private mutating func value(of register: UInt8, orLoadInto scratch: Register) -> Register {
        if let host = host(register) { return host }
        read(register, into: scratch)
        return scratch
    }

    /// op reg, guest register
    private mutating func operate(_ operation: X86Assembler.Operation, _ reg: Register, guest register: UInt8)
    {
        if register == 0 {
            code.operate(operation, reg, immediate: 0)
        } else if let host = host(register) {
            code.operate(operation, reg, host)
        } else {
            code.operate(operation, reg, slot(register))
        }
    }

    private mutating func write(_ register: UInt8, from reg: Register) {
        guard register != DecodedInstruction.discard else { return }
        if let host = host(register) {
            if host != reg { code.move(host, reg) }
        } else {
            code.store32(slot(register), reg)
        }
    }

    private mutating func write(_ register: UInt8, immediate: UInt32) {
        guard register != DecodedInstruction.discard else { return }
        if let host = host(register) {
            code.move(host, immediate: immediate)
        } else {
            code.store32(slot(register), immediate: immediate)
        }
    }

    /// rd = rs1 OP rs2 for the two-operand x86 forms: computed in rd's own register when
    /// that does not overwrite rs2 first, else in eax.
    private mutating func binary(
        _ rd: UInt8, _ rs1: UInt8, _ rs2: UInt8, commutative: Bool,
        _ operation: (inout BlockCompiler, Register, UInt8) -> Void
    ) {
        var (a, b) = (rs1, rs2)
        if commutative && b == rd && a != rd { swap(&a, &b) }
        let own = host(rd)
        let target = own != nil && (b != rd || a == rd) ? own ?? .rax : .rax
        if !(a == rd && target == own) { read(a, into: target) }
        operation(&self, target, b)
        write(rd, from: target)
    }

    /// rd = rs1 OP imm.
    private mutating func immediate(
        _ rd: UInt8, _ rs1: UInt8, _ operation: (inout BlockCompiler, Register) -> Void
    ) {
        let target = host(rd) ?? .rax
        if !(rs1 == rd && target == host(rd)) { read(rs1, into: target) }
        operation(&self, target)
        write(rd, from: target)
    }

    // MARK: Instructions

    /// Leaves compiled code before instruction `index` when the last comparison says so.
    private mutating func exit(if condition: X86Assembler.Condition, before index: Int) {
        exits.append((code.jump(if: condition), index))
    }

    /// Goes on at `target` (a jump to a link stub, patched to the target's code once known).
    private mutating func link(to target: UInt32, if condition: X86Assembler.Condition? = nil) {
        let fixup = condition.map { code.jump(if: $0) } ?? code.jump()
        links.append((fixup, target))
    }

    /// Emits one instruction; false when it ended the block.
    private mutating func emit(_ op: DecodedInstruction, index: Int) -> Bool {
        let rd = op.rd
        let imm = op.immediate
        let writes = rd != DecodedInstruction.discard
        switch op.kind {
        case .addi, .xori, .ori, .andi:
            guard writes else { break }
            if op.rs1 == 0 {
                write(rd, immediate: op.kind == .andi ? 0 : imm)
            } else if op.kind == .addi, let target = host(rd), let source = host(op.rs1),
                target != source
            {
                code.loadAddress32(target, Memory(base: source, displacement: Int32(bitPattern: imm)))
            } else {
                let operation: X86Assembler.Operation =
                    [.addi: .add, .xori: .xor, .ori: .or, .andi: .and][op.kind] ?? .add
                immediate(rd, op.rs1) { compiler, reg in
                    if imm != 0 || operation == .and { compiler.code.operate(operation, reg, immediate: imm) }
                }
            }
        case .slli, .srli, .srai:
            guard writes else { break }
            let kind: X86Assembler.Shift =
                op.kind == .slli ? .left : op.kind == .srli ? .rightLogical : .rightArithmetic
            immediate(rd, op.rs1) { compiler, reg in
                if imm & 31 != 0 { compiler.code.shift(kind, reg, by: UInt8(imm & 31)) }
            }
        case .slti, .sltiu, .slt, .sltu:
            guard writes else { break }
            let a = value(of: op.rs1, orLoadInto: .rax)
            if op.kind == .slti || op.kind == .sltiu {
                code.operate(.cmp, a, immediate: imm)
            } else {
                operate(.cmp, a, guest: op.rs2)
            }
            code.setAL(op.kind == .slti || op.kind == .slt ? .less : .below)
            write(rd, from: .rax)
        case .add, .sub, .xor, .or, .and:
            guard writes else { break }
            let operation: X86Assembler.Operation =
                [.add: .add, .sub: .sub, .xor: .xor, .or: .or, .and: .and][op.kind] ?? .add
            binary(rd, op.rs1, op.rs2, commutative: op.kind != .sub) { compiler, reg, b in
                compiler.operate(operation, reg, guest: b)
            }
        case .sll, .srl, .sra:
            guard writes else { break }
            read(op.rs2, into: .rcx)
            let kind: X86Assembler.Shift =
                op.kind == .sll ? .left : op.kind == .srl ? .rightLogical : .rightArithmetic
            immediate(rd, op.rs1) { compiler, reg in compiler.code.shiftByCL(kind, reg) }
        case .mul:
            guard writes else { break }
            if op.rs1 == 0 || op.rs2 == 0 {
                write(rd, immediate: 0)
                break
            }
            binary(rd, op.rs1, op.rs2, commutative: true) { compiler, reg, b in
                if let host = compiler.host(b) {
                    compiler.code.multiply(reg, host)
                } else {
                    compiler.code.multiply(reg, compiler.slot(b))
                }
            }
        case .mulh, .mulhsu, .mulhu:
            guard writes else { break }
            readWide(op.rs1, into: .rax, signed: op.kind != .mulhu)
            readWide(op.rs2, into: .rcx, signed: op.kind == .mulh)
            code.multiply64(.rax, .rcx)
            code.shift(.rightLogical, .rax, by: 32, wide: true)
            write(rd, from: .rax)
        case .div, .divu, .rem, .remu:
            guard writes else { break }  // no trap, no other effect
            let signed = op.kind == .div || op.kind == .rem
            read(op.rs2, into: .rcx)
            code.test(.rcx, .rcx)
            exit(if: .equal, before: index)  // division by zero: the interpreter has the spec's result
            read(op.rs1, into: .rax)
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
            write(rd, from: op.kind == .div || op.kind == .divu ? .rax : .rdx)
        case .lui, .auipc:  // auipc was made absolute at translation
            write(rd, immediate: imm)
        case .fence:
            break
        case .lw, .lh, .lhu, .lb, .lbu:
            guard emitAddressCheck(op, index: index, isLoad: true) else {
                exits.append((code.jump(), index))
                return false
            }
            guard writes else { break }
            let target = host(rd) ?? .rax
            let memory = Memory(base: .r14, index: .rdx)
            switch op.kind {
            case .lw: code.load32(target, memory)
            case .lh: code.loadExtended(target, memory, bits: 16, signed: true)
            case .lhu: code.loadExtended(target, memory, bits: 16, signed: false)
            case .lb: code.loadExtended(target, memory, bits: 8, signed: true)
            default: code.loadExtended(target, memory, bits: 8, signed: false)
            }
            write(rd, from: target)
        case .sw, .sh, .sb:
            guard emitAddressCheck(op, index: index, isLoad: false) else {
                exits.append((code.jump(), index))
                return false
            }
            let context = layout.context
            code.move(.rcx, .rdx)
            code.shift(.rightLogical, .rcx, by: UInt8(Machine.lineShift))
            code.compare8(
                Memory(base: .r15, index: .rcx, displacement: Int32(context.watchedLinesOffset)), immediate: 0
            )
            exit(if: .notEqual, before: index)  // translated code or tohost lives on that line
            // The store is aligned: it lies in one granule.
            code.move(.rax, .rdx)
            code.shift(.rightLogical, .rax, by: UInt8(Machine.granuleShift))
            code.store8(
                Memory(base: .r15, index: .rax, displacement: Int32(context.dirtyGranulesOffset)),
                immediate: 1)
            code.shift(.rightLogical, .rcx, by: UInt8(12 - Machine.lineShift))
            code.store8(
                Memory(base: .r15, index: .rcx, displacement: Int32(context.dirtyPagesOffset)), immediate: 1)
            let value = value(of: op.rs2, orLoadInto: .rax)
            let memory = Memory(base: .r14, index: .rdx)
            switch op.kind {
            case .sw: code.store32(memory, value)
            case .sh: code.store16(memory, value)
            default: code.store8(memory, value)
            }
        case .jal:
            write(rd, immediate: block.end)
            link(to: imm)
            return false
        case .jalr:
            if let source = host(op.rs1) {
                code.loadAddress32(.rax, Memory(base: source, displacement: Int32(bitPattern: imm)))
            } else {
                read(op.rs1, into: .rax)
                if imm != 0 { code.operate(.add, .rax, immediate: imm) }
            }
            code.operate(.and, .rax, immediate: ~1)
            write(rd, immediate: block.end)  // after reading rs1, which may be rd
            CompiledRuntime.emitLookup(&code, missing: layout.runtime.exitDispatch)
            code.jump(
                through: Memory(base: .r15, index: .rcx, displacement: CompiledRuntime.lookupCodeDisplacement)
            )
            return false
        case .beq, .bne, .blt, .bge, .bltu, .bgeu:
            let a = value(of: op.rs1, orLoadInto: .rax)
            operate(.cmp, a, guest: op.rs2)
            let condition: X86Assembler.Condition =
                [
                    .beq: .equal, .bne: .notEqual, .blt: .less, .bge: .greaterOrEqual, .bltu: .below,
                    .bgeu: .aboveOrEqual,
                ][op.kind]
                ?? .equal
            link(to: imm, if: condition)
            link(to: block.end)
            return false
        case .system, .atomic, .illegal:
            exits.append((code.jump(), index))
            return false
        }
        return true
    }

    /// Sign- or zero-extends guest `register` into the 64-bit `reg`.
    private mutating func readWide(_ register: UInt8, into reg: Register, signed: Bool) {
        guard signed && register != 0 else { return read(register, into: reg) }
        if let host = host(register) {
            code.signExtend64(reg, host)
        } else {
            code.loadSignExtended64(reg, slot(register))
        }
    }

    /// Leaves the access's RAM offset (rs1 + imm - RAM base) in edx, and exits before `index`
    /// unless the access lies in RAM and is aligned (or is a load the board does misaligned).
    /// False when the board's RAM base is not word-aligned (alignment of the offset would not
    /// be the address's): every access then goes to the interpreter.
    private mutating func emitAddressCheck(_ op: DecodedInstruction, index: Int, isLoad: Bool) -> Bool {
        guard layout.ramBase & 3 == 0 else { return false }
        let size = op.kind.accessSize
        let displacement = op.immediate &- layout.ramBase
        if op.rs1 == 0 {
            code.move(.rdx, immediate: displacement)
        } else if let host = host(op.rs1) {
            code.loadAddress32(.rdx, Memory(base: host, displacement: Int32(bitPattern: displacement)))
        } else {
            code.load32(.rdx, slot(op.rs1))
            code.operate(.add, .rdx, immediate: displacement)
        }
        code.operate(.cmp, .rdx, immediate: layout.ramSize - size)
        exit(if: .above, before: index)
        if size > 1 && !(isLoad && layout.performsMisalignedLoads) {
            code.test(.rdx, immediate: size - 1)
            exit(if: .notEqual, before: index)
        }
        return true
    }
}
