/// The shared code every compiled block runs between: entry from Swift, the exits back to it,
/// and the chaining routine that links a block's jump straight to the block it reaches.
///
/// While compiled code runs, host registers hold:
///
/// ```
///   r15 = ExecutionContext.base   r14 = RAM   rbp = step budget (signed: < 0 means overdrawn)
///   rax, rcx, rdx = scratch       the nine of `RegisterAssignment` = guest registers
/// ```
///
/// `enter(context, code)` loads them and jumps to `code`; every way out stores the pinned
/// guest registers back into `x` and the budget into the context, then returns
/// `reason << 32 | pc` (`Exit`): the pc to go on from and what Swift has to do there.
struct CompiledRuntime {
    typealias Register = X86Assembler.Register
    typealias Memory = X86Assembler.Memory

    /// Why compiled code returned.
    enum Exit: UInt64 {
        /// pc is where the next block starts: no compiled block there (or not yet linked), or
        /// the budget does not cover the whole block.
        case dispatch = 0
        /// The instruction at pc needs the interpreter (a device access, a misaligned or
        /// faulting address, a store to a watched line, SYSTEM, AMOs, division traps…).
        case interpret = 1
        /// The block at pc is stale (its code was rewritten); `ExecutionContext.staleEntry`
        /// says where its code starts, to forward it to the new translation.
        case stale = 2
    }

    /// The C signature of the entry: `uint64_t enter(void *context, const void *code)`.
    typealias Entry = @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer) -> UInt64

    /// Addresses of the routines, as placed in the code buffer.
    let enter: Entry
    let exitDispatch: UInt
    let exitInterpret: UInt
    let exitStale: UInt
    let chain: UInt

    /// Host registers saved by `enter` (the System V callee-saved ones).
    private static let saved: [Register] = [.rbx, .rbp, .r12, .r13, .r14, .r15]

    /// Assembles the runtime for address `origin` and the guest registers `registers` keeps in
    /// host registers; returns it with its machine code.
    static func assemble(at origin: UInt, registers: RegisterAssignment) -> (CompiledRuntime, [UInt8]) {
        var code = X86Assembler(origin: origin)
        let context = Register.r15
        func guest(_ index: UInt8) -> Memory {
            Memory(base: context, displacement: Int32(ExecutionContext.registersOffset) + Int32(index) * 4)
        }
        let budget = Memory(base: context, displacement: Int32(ExecutionContext.budgetOffset))

        // enter(rdi = context, rsi = code)
        let enterPosition = code.count
        for reg in saved { code.push(reg) }
        code.move(context, .rdi, wide: true)
        code.move(.rax, .rsi, wide: true)  // rsi and rdi are guest registers from here on
        code.load64(.r14, Memory(base: context, displacement: Int32(ExecutionContext.ramPointerOffset)))
        code.load64(.rbp, budget)
        for (index, host) in registers.pinned { code.load32(host, guest(index)) }
        code.jump(to: .rax)

        // Exits: rax = pc (upper half zero).
        let stalePosition = code.count
        code.store64(Memory(base: context, displacement: Int32(ExecutionContext.staleEntryOffset)), .rdx)
        code.move(.rcx, immediate: UInt32(Exit.stale.rawValue))
        let tag = code.jump()
        let interpretPosition = code.count
        code.move(.rcx, immediate: UInt32(Exit.interpret.rawValue))
        code.bind(tag)
        code.shift(.left, .rcx, by: 32, wide: true)
        code.operate(.or, .rax, .rcx, wide: true)
        let dispatchPosition = code.count
        for (index, host) in registers.pinned { code.store32(guest(index), host) }
        code.store64(budget, .rbp)
        for reg in saved.reversed() { code.pop(reg) }
        code.ret()

        // chain(eax = target pc, rdx = address of the rel32 that jumped here): find the
        // target's block; link the jump to it (so this costs nothing next time) and go on.
        let chainPosition = code.count
        emitLookup(&code, missing: origin + UInt(dispatchPosition))
        code.load64(.rcx, Memory(base: context, index: .rcx, displacement: lookupCodeDisplacement))
        code.move(.rax, .rcx, wide: true)
        code.operate(.sub, .rax, .rdx, wide: true)
        code.operate(.sub, .rax, immediate: 4, wide: true)
        code.store32(Memory(base: .rdx), .rax)
        code.jump(to: .rcx)

        let runtime = CompiledRuntime(
            enter: unsafeBitCast(origin + UInt(enterPosition), to: Entry.self),
            exitDispatch: origin + UInt(dispatchPosition), exitInterpret: origin + UInt(interpretPosition),
            exitStale: origin + UInt(stalePosition), chain: origin + UInt(chainPosition))
        return (runtime, code.bytes)
    }

    /// Displacement from r15 + rcx (as `emitLookup` leaves rcx) to the entry's code address.
    static let lookupCodeDisplacement = Int32(ExecutionContext.jumpTableOffset + 8)

    /// Looks up pc `eax` in the jump table: leaves the entry's offset in rcx, or jumps to
    /// `missing` (with eax still the pc) when the table has no block for it.
    static func emitLookup(_ code: inout X86Assembler, missing: UInt) {
        code.move(.rcx, .rax)
        code.shift(.rightLogical, .rcx, by: 1)
        code.operate(.and, .rcx, immediate: UInt32(BlockCache.tableSize - 1))
        code.shift(.left, .rcx, by: 4)
        code.operate(
            .cmp, .rax, Memory(base: .r15, index: .rcx, displacement: Int32(ExecutionContext.jumpTableOffset))
        )
        code.jump(if: .notEqual, toAddress: missing)
    }
}
