/// What one instruction is about to do, as a debugger previews it before it runs: the memory
/// it reads or writes and where control goes next.
///
/// Decoded with the interpreter's own decoder (`DecodedInstruction`), so the preview and the
/// execution agree on every field:
///
/// ```
/// // lw a5,8(s0) with s0 = 8000104c
/// InstructionEffect.preview(bits, at: pc, registers: state.x)  // .load(address: 0x80001054, size: 4)
/// ```
public enum InstructionEffect: Equatable, Sendable {
    /// How an unconditional jump uses the link register.
    public enum JumpKind: Equatable, Sendable {
        /// It links (`call`, `jal ra,…`, `jalr ra,…`): the target returns here.
        case call
        /// `ret` (`jalr x0,0(ra)` or through t0, the alternate link register).
        case `return`
        /// Any other jump (`j`, `jr`, tail calls).
        case jump
    }

    /// A load of `size` bytes from `address` (LR.W included).
    case load(address: UInt32, size: Int)
    /// A store of the low `size` bytes of `value` to `address` (SC.W included: it may fail).
    case store(address: UInt32, size: Int, value: UInt32)
    /// An atomic read-modify-write of the word at `address` with `operand` (`amoadd.w`…).
    case readModifyWrite(address: UInt32, operand: UInt32)
    /// A conditional branch to `target`, taken or not with the registers as they are.
    case branch(target: UInt32, isTaken: Bool)
    /// A jump to `target`.
    case jump(target: UInt32, kind: JumpKind)

    /// The effect of the instruction `bits` at `pc` with `registers` (x0…x31; x0 reads as 0),
    /// or nil for an instruction that neither touches memory nor moves pc elsewhere.
    public static func preview(_ bits: UInt32, at pc: UInt32, registers: [UInt32]) -> InstructionEffect? {
        let op = DecodedInstruction.decode(bits)
        func value(_ index: UInt8) -> UInt32 {
            index == 0 || Int(index) >= registers.count ? 0 : registers[Int(index)]
        }
        let base = value(op.rs1)
        // The decoder sends writes to x0 to a scratch slot; a link register is ra (x1) or t0 (x5).
        let links = op.rd == 1 || op.rd == 5
        switch op.kind {
        case .lb, .lbu, .lh, .lhu, .lw:
            return .load(address: base &+ op.immediate, size: Int(op.kind.accessSize))
        case .sb, .sh, .sw:
            return .store(address: base &+ op.immediate, size: Int(op.kind.accessSize), value: value(op.rs2))
        case .atomic:
            // A extension 8.2-8.4: funct5 in bits 31:27; the address is rs1 with no offset.
            switch op.immediate >> 27 {
            case 0x02: return .load(address: base, size: 4)
            case 0x03: return .store(address: base, size: 4, value: value(op.rs2))
            default: return .readModifyWrite(address: base, operand: value(op.rs2))
            }
        case .beq, .bne, .blt, .bge, .bltu, .bgeu:
            let a = base
            let b = value(op.rs2)
            let isTaken: Bool
            switch op.kind {
            case .beq: isTaken = a == b
            case .bne: isTaken = a != b
            case .blt: isTaken = Int32(bitPattern: a) < Int32(bitPattern: b)
            case .bge: isTaken = Int32(bitPattern: a) >= Int32(bitPattern: b)
            case .bltu: isTaken = a < b
            default: isTaken = a >= b
            }
            return .branch(target: pc &+ op.immediate, isTaken: isTaken)
        case .jal:
            return .jump(target: pc &+ op.immediate, kind: links ? .call : .jump)
        case .jalr:
            let isReturn =
                !links && op.rd == DecodedInstruction.discard && (op.rs1 == 1 || op.rs1 == 5)
                && op.immediate == 0
            return .jump(
                target: (base &+ op.immediate) & ~1, kind: links ? .call : isReturn ? .return : .jump)
        default:
            return nil
        }
    }
}
