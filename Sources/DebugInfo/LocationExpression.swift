@preconcurrency import CDwarf

/// Where a variable's value is, as a DWARF location description says.
enum ValueLocation: Sendable {
    /// In memory at the address.
    case memory(UInt32)
    /// In the register (DWARF number 0…31: x0…x31).
    case register(Int)
    /// Not stored anywhere: the value's bytes (`DW_OP_stack_value`, `DW_OP_implicit_value`).
    case bytes([UInt8])
    /// Pieces in order, each with its size in bytes; a nil location is an optimized-out piece.
    case pieces([(location: ValueLocation?, size: Int)])
    /// The compiler kept no value at this pc.
    case optimizedOut

    /// The memory address, when the whole value is in memory.
    var address: UInt32? {
        if case .memory(let address) = self { return address }
        return nil
    }
}

/// What a location expression reads: a frame's registers (nil where the unwinder could not
/// recover them), its canonical frame address, the frame base and memory.
struct ExpressionContext {
    var registers: [UInt32?]
    var cfa: UInt32?
    var frameBase: UInt32?
    var target: TargetState
    /// The value a register had when the frame's function was entered (`DW_OP_entry_value`),
    /// found through the caller's call site; nil when it cannot be recovered.
    var entryValue: (Int) -> UInt32? = { _ in nil }
    /// The value the caller passed for the parameter whose entry is at this unit-relative
    /// offset (`DW_OP_GNU_parameter_ref`: a parameter the compiler removed).
    var parameterValue: (UInt64) -> UInt32? = { _ in nil }

    /// The 4-byte value at `location`, or nil where it is unavailable.
    func word(of location: ValueLocation) -> UInt32? {
        bytes(of: location, size: 4).flatMap(littleEndianWord)
    }

    /// The bytes of `location`, `size` long, or nil where any of it is unavailable.
    func bytes(of location: ValueLocation, size: Int) -> [UInt8]? {
        guard size >= 0, size <= 1 << 20 else { return nil }
        switch location {
        case .memory(let address):
            return target.read(address, size)
        case .register(let number):
            var bytes: [UInt8] = []
            var register = number
            while bytes.count < size {
                guard register < 32, let value = registers[register] else { return nil }
                bytes += withUnsafeBytes(of: value.littleEndian, Array.init)
                register += 1
            }
            return Array(bytes.prefix(size))
        case .bytes(let bytes):
            return bytes.count >= size
                ? Array(bytes.prefix(size)) : bytes + Array(repeating: 0, count: size - bytes.count)
        case .pieces(let pieces):
            var bytes: [UInt8] = []
            for piece in pieces {
                guard let location = piece.location, let part = self.bytes(of: location, size: piece.size)
                else {
                    return nil
                }
                bytes += part
            }
            guard bytes.count >= size else { return nil }
            return Array(bytes.prefix(size))
        case .optimizedOut:
            return nil
        }
    }
}

/// Evaluates DWARF location expressions (DWARF 2–5 as GCC emits them) over a frame.
enum LocationExpression {
    /// The location `count` operations at `ops` describe. `attribute` is the attribute they
    /// came from (libdw needs it for `DW_OP_entry_value`'s sub-expression).
    static func evaluate(
        _ ops: UnsafeMutablePointer<Dwarf_Op>, count: Int, attribute: UnsafeMutablePointer<Dwarf_Attribute>?,
        in context: ExpressionContext, depth: Int = 0
    ) -> ValueLocation {
        guard count > 0, count <= 10_000, depth < 8 else { return .optimizedOut }
        var stack: [UInt32] = []
        var current: ValueLocation?
        var pieces: [(location: ValueLocation?, size: Int)] = []
        func pop() -> UInt32? { stack.popLast() }
        var index = 0
        while index < count {
            let op = ops[index]
            index += 1
            let atom = Int32(op.atom)
            let number = op.number
            switch atom {
            case Int32(DW_OP_addr): stack.append(UInt32(truncatingIfNeeded: number))
            case Int32(DW_OP_lit0)...Int32(DW_OP_lit31): stack.append(UInt32(atom - Int32(DW_OP_lit0)))
            case Int32(DW_OP_const1u), Int32(DW_OP_const2u), Int32(DW_OP_const4u), Int32(DW_OP_const8u),
                Int32(DW_OP_constu), Int32(DW_OP_const1s), Int32(DW_OP_const2s), Int32(DW_OP_const4s),
                Int32(DW_OP_const8s), Int32(DW_OP_consts):
                stack.append(UInt32(truncatingIfNeeded: number))
            case Int32(DW_OP_reg0)...Int32(DW_OP_reg31):
                current = .register(Int(atom - Int32(DW_OP_reg0)))
            case Int32(DW_OP_regx):
                guard number < 32 else { return .optimizedOut }
                current = .register(Int(number))
            case Int32(DW_OP_breg0)...Int32(DW_OP_breg31):
                guard let base = context.registers[Int(atom - Int32(DW_OP_breg0))] else {
                    return .optimizedOut
                }
                stack.append(base &+ UInt32(truncatingIfNeeded: number))
            case Int32(DW_OP_bregx):
                guard number < 32, let base = context.registers[Int(number)] else { return .optimizedOut }
                stack.append(base &+ UInt32(truncatingIfNeeded: op.number2))
            case Int32(DW_OP_fbreg):
                guard let base = context.frameBase else { return .optimizedOut }
                stack.append(base &+ UInt32(truncatingIfNeeded: number))
            case Int32(DW_OP_call_frame_cfa):
                guard let cfa = context.cfa else { return .optimizedOut }
                stack.append(cfa)
            case Int32(DW_OP_plus_uconst):
                guard let top = pop() else { return .optimizedOut }
                stack.append(top &+ UInt32(truncatingIfNeeded: number))
            case Int32(DW_OP_dup):
                guard let top = stack.last else { return .optimizedOut }
                stack.append(top)
            case Int32(DW_OP_drop):
                guard pop() != nil else { return .optimizedOut }
            case Int32(DW_OP_over):
                guard stack.count >= 2 else { return .optimizedOut }
                stack.append(stack[stack.count - 2])
            case Int32(DW_OP_pick):
                guard number < stack.count else { return .optimizedOut }
                stack.append(stack[stack.count - 1 - Int(number)])
            case Int32(DW_OP_swap):
                guard stack.count >= 2 else { return .optimizedOut }
                stack.swapAt(stack.count - 1, stack.count - 2)
            case Int32(DW_OP_rot):
                guard stack.count >= 3 else { return .optimizedOut }
                let top = stack.removeLast()
                stack.insert(top, at: stack.count - 2)
            case Int32(DW_OP_deref), Int32(DW_OP_deref_size):
                let size = atom == Int32(DW_OP_deref) ? 4 : Int(number)
                guard let address = pop(), (1...4).contains(size),
                    let bytes = context.target.read(address, size), bytes.count == size
                else { return .optimizedOut }
                stack.append(bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) })
            case Int32(DW_OP_neg), Int32(DW_OP_not), Int32(DW_OP_abs):
                guard let top = pop() else { return .optimizedOut }
                switch atom {
                case Int32(DW_OP_neg): stack.append(0 &- top)
                case Int32(DW_OP_not): stack.append(~top)
                default:
                    let signed = Int32(bitPattern: top)
                    stack.append(UInt32(bitPattern: signed < 0 ? 0 &- signed : signed))
                }
            case Int32(DW_OP_plus), Int32(DW_OP_minus), Int32(DW_OP_mul), Int32(DW_OP_and), Int32(DW_OP_or),
                Int32(DW_OP_xor), Int32(DW_OP_shl), Int32(DW_OP_shr), Int32(DW_OP_shra), Int32(DW_OP_div),
                Int32(DW_OP_mod), Int32(DW_OP_eq), Int32(DW_OP_ne), Int32(DW_OP_lt), Int32(DW_OP_gt),
                Int32(DW_OP_le), Int32(DW_OP_ge):
                guard let right = pop(), let left = pop() else { return .optimizedOut }
                guard let result = binary(atom, left, right) else { return .optimizedOut }
                stack.append(result)
            case Int32(DW_OP_stack_value):
                guard let top = pop() else { return .optimizedOut }
                current = .bytes(withUnsafeBytes(of: top.littleEndian, Array.init))
            case Int32(DW_OP_implicit_value):
                var block = Dwarf_Block()
                guard let attribute,
                    dwarf_getlocation_implicit_value(attribute, ops + (index - 1), &block) == 0,
                    block.length <= 1 << 16, let data = block.data
                else { return .optimizedOut }
                current = .bytes(Array(UnsafeBufferPointer(start: data, count: Int(block.length))))
            case Int32(DW_OP_entry_value), Int32(DW_OP_GNU_entry_value):
                guard let register = entryRegister(attribute, ops + (index - 1)),
                    let value = context.entryValue(register)
                else { return .optimizedOut }
                stack.append(value)
            case Int32(DW_OP_GNU_parameter_ref):
                guard let value = context.parameterValue(number) else { return .optimizedOut }
                stack.append(value)
            case Int32(DW_OP_piece):
                let location: ValueLocation? = current ?? pop().map { .memory($0) }
                pieces.append((location, Int(min(number, 1 << 16))))
                current = nil
                stack.removeAll()
            case Int32(DW_OP_nop):
                break
            case Int32(DW_OP_reinterpret), Int32(DW_OP_GNU_reinterpret):
                // The same bits read as another type of the same size (an int as a float):
                // the type is the variable's own, so the bits stay as they are.
                guard !stack.isEmpty else { return .optimizedOut }
            default:
                // DW_OP_implicit_pointer, DW_OP_GNU_parameter_ref, typed-stack operations,
                // control flow: gdb shows such values as optimized out or synthetic too.
                return .optimizedOut
            }
        }
        if !pieces.isEmpty { return .pieces(pieces) }
        if let current { return current }
        guard let top = stack.last else { return .optimizedOut }
        return .memory(top)
    }

    private static func binary(_ atom: Int32, _ left: UInt32, _ right: UInt32) -> UInt32? {
        let signedLeft = Int32(bitPattern: left)
        let signedRight = Int32(bitPattern: right)
        switch atom {
        case Int32(DW_OP_plus): return left &+ right
        case Int32(DW_OP_minus): return left &- right
        case Int32(DW_OP_mul): return left &* right
        case Int32(DW_OP_and): return left & right
        case Int32(DW_OP_or): return left | right
        case Int32(DW_OP_xor): return left ^ right
        case Int32(DW_OP_shl): return right >= 32 ? 0 : left << right
        case Int32(DW_OP_shr): return right >= 32 ? 0 : left >> right
        case Int32(DW_OP_shra): return UInt32(bitPattern: signedLeft >> min(right, 31))
        case Int32(DW_OP_div):
            guard signedRight != 0 else { return nil }
            return UInt32(bitPattern: signedLeft.dividedReportingOverflow(by: signedRight).partialValue)
        case Int32(DW_OP_mod):
            guard right != 0 else { return nil }
            return left % right
        case Int32(DW_OP_eq): return left == right ? 1 : 0
        case Int32(DW_OP_ne): return left != right ? 1 : 0
        case Int32(DW_OP_lt): return signedLeft < signedRight ? 1 : 0
        case Int32(DW_OP_gt): return signedLeft > signedRight ? 1 : 0
        case Int32(DW_OP_le): return signedLeft <= signedRight ? 1 : 0
        case Int32(DW_OP_ge): return signedLeft >= signedRight ? 1 : 0
        default: return nil
        }
    }

    /// The register a `DW_OP_entry_value` asks about, when its sub-expression is a single
    /// `DW_OP_regN` (the only form GCC emits and gdb resolves).
    private static func entryRegister(
        _ attribute: UnsafeMutablePointer<Dwarf_Attribute>?, _ op: UnsafeMutablePointer<Dwarf_Op>
    ) -> Int? {
        guard let attribute else { return nil }
        var inner = Dwarf_Attribute()
        guard dwarf_getlocation_attr(attribute, op, &inner) == 0 else { return nil }
        var innerOps: UnsafeMutablePointer<Dwarf_Op>?
        var innerCount = 0
        guard dwarf_getlocation(&inner, &innerOps, &innerCount) == 0, innerCount == 1, let innerOps else {
            return nil
        }
        return register(named: innerOps[0])
    }

    /// The register (0…31) a `DW_OP_regN` or `DW_OP_regx` names, or nil for other operations.
    static func register(named op: Dwarf_Op) -> Int? {
        let atom = Int32(op.atom)
        if atom >= Int32(DW_OP_reg0) && atom <= Int32(DW_OP_reg31) { return Int(atom - Int32(DW_OP_reg0)) }
        if atom == Int32(DW_OP_regx) && op.number < 32 { return Int(op.number) }
        return nil
    }
}
