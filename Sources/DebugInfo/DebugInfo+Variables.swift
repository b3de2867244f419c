@preconcurrency import CDwarf

/// A variable and its value at one step.
public struct Variable: Sendable {
    /// Its name.
    public var name: String
    /// Its C type.
    public var type: DebugType
    /// Its value (optimized out where the compiler kept none at this pc).
    public var value: DebugValue
    /// Where it is in memory, when all of it is in memory.
    public var address: UInt32?
    /// For an argument: the value it had when the function was entered, when the caller's
    /// call site says (gdb's `NAME@entry`); nil when unknown.
    public var entryValue: DebugValue?

    /// A variable and its value.
    public init(
        name: String, type: DebugType, value: DebugValue, address: UInt32? = nil,
        entryValue: DebugValue? = nil
    ) {
        self.name = name
        self.type = type
        self.value = value
        self.address = address
        self.entryValue = entryValue
    }
}

/// The arguments and locals of one frame, as gdb's `info args` and `info locals` list them.
public struct FrameVariables: Sendable {
    /// The function's parameters, in order.
    public var arguments: [Variable]
    /// The locals of the lexical blocks that hold the frame's pc, innermost block first.
    public var locals: [Variable]
}

/// A global or file-static variable's entry.
struct GlobalVariable {
    var offset: UInt64
    var unitOffset: UInt64
    var isExternal: Bool
}

extension DebugInfo {
    /// The arguments and locals of frame `index` of `stack`, read from `target`.
    public func variables(ofFrame index: Int, in stack: CallStack, target: TargetState) -> FrameVariables {
        lock.withLock {
            guard stack.frames.indices.contains(index), let offset = stack.frames[index].functionOffset else {
                return FrameVariables(arguments: [], locals: [])
            }
            let frame = stack.frames[index]
            let context = expressionContext(forFrame: index, in: stack, target: target)
            var function = Dwarf_Die()
            guard dwarf_offdie(dwarf, Dwarf_Off(offset), &function) != nil else {
                return FrameVariables(arguments: [], locals: [])
            }
            let entryPC = frame.isInlined ? nil : DIE.lowPC(&function)
            let atEntry = DIE.lowPC(&function) == frame.lookupPC
            let arguments = scopeEntries(of: &function, tag: Int32(DW_TAG_formal_parameter)).map { entry in
                var argument = variable(entry, at: frame.lookupPC, in: context, atFunctionEntry: atEntry)
                if let entryPC, argument.type.isScalar, argument.type.size <= 4,
                    let value = valueAtEntry(of: entry, entryPC: entryPC, in: context)
                {
                    let bytes = withUnsafeBytes(of: value.littleEndian, Array.init)
                    argument.entryValue = DebugValue.decode(bytes[...], as: argument.type)
                }
                return argument
            }
            var locals: [Variable] = []
            for blockOffset in frame.blockOffsets + [offset] {
                var block = Dwarf_Die()
                guard dwarf_offdie(dwarf, Dwarf_Off(blockOffset), &block) != nil else { continue }
                for entry in scopeEntries(of: &block, tag: Int32(DW_TAG_variable)) {
                    var entry = entry
                    guard
                        !DIE.flag(&entry, Int32(DW_AT_declaration)) || DIE.has(&entry, Int32(DW_AT_location))
                    else { continue }
                    locals.append(variable(entry, at: frame.lookupPC, in: context, atFunctionEntry: atEntry))
                }
            }
            return FrameVariables(arguments: arguments, locals: locals)
        }
    }

    /// The children of a scope with `tag`: the concrete ones in order, then those of its
    /// abstract origin that the concrete scope does not mention (gdb shows them too, as
    /// optimized out).
    func scopeEntries(of scope: inout Dwarf_Die, tag: Int32) -> [Dwarf_Die] {
        var entries: [Dwarf_Die] = []
        var mentioned: Set<UInt64> = []
        for child in DIE.children(&scope) {
            var child = child
            // A lexical block without code ranges is no scope of its own: gdb reads its
            // variables as the enclosing block's.
            if tag == Int32(DW_TAG_variable), DIE.tag(&child) == Int32(DW_TAG_lexical_block),
                !DIE.has(&child, Int32(DW_AT_low_pc)), !DIE.has(&child, Int32(DW_AT_ranges))
            {
                entries += scopeEntries(of: &child, tag: tag)
                continue
            }
            guard DIE.tag(&child) == tag else { continue }
            entries.append(child)
            if var origin = DIE.reference(&child, Int32(DW_AT_abstract_origin)) {
                mentioned.insert(DIE.offset(&origin))
            }
        }
        if var origin = DIE.reference(&scope, Int32(DW_AT_abstract_origin)) {
            for child in DIE.children(&origin) {
                var child = child
                guard DIE.tag(&child) == tag, !mentioned.contains(DIE.offset(&child)) else { continue }
                entries.append(child)
            }
        }
        return entries
    }

    /// The value an argument had when its function was entered: its location at the entry
    /// (a register, or an expression of entry values only — registers then hold other things),
    /// with the registers' entry values from the caller's call site.
    private func valueAtEntry(of entry: Dwarf_Die, entryPC: UInt32, in context: ExpressionContext) -> UInt32?
    {
        var entry = entry
        guard var attribute = DIE.attribute(&entry, Int32(DW_AT_location)) else { return nil }
        var ops: UnsafeMutablePointer<Dwarf_Op>?
        var count = 0
        guard dwarf_getlocation_addr(&attribute, Dwarf_Addr(entryPC), &ops, &count, 1) == 1, let ops,
            count > 0,
            count <= 16
        else { return nil }
        let allowed: Set<Int32> = [
            Int32(DW_OP_entry_value), Int32(DW_OP_GNU_entry_value), Int32(DW_OP_stack_value),
            Int32(DW_OP_plus_uconst), Int32(DW_OP_plus), Int32(DW_OP_minus), Int32(DW_OP_constu),
            Int32(DW_OP_consts),
        ]
        if count == 1, let register = LocationExpression.register(named: ops[0]) {
            return context.entryValue(register)
        }
        for index in 0..<count {
            let atom = Int32(ops[index].atom)
            guard allowed.contains(atom) || (atom >= Int32(DW_OP_lit0) && atom <= Int32(DW_OP_lit31)) else {
                return nil
            }
        }
        let location = LocationExpression.evaluate(ops, count: count, attribute: &attribute, in: context)
        guard case .bytes(let bytes) = location else { return nil }
        return littleEndianWord(bytes)
    }

    /// Reads the variable `entry` at `pc`.
    func variable(
        _ entry: Dwarf_Die, at pc: UInt32, in context: ExpressionContext, atFunctionEntry: Bool = false
    )
        -> Variable
    {
        var entry = entry
        let name = DIE.name(&entry) ?? "?"
        let type = type(of: &entry)
        let location = location(
            of: &entry, attribute: Int32(DW_AT_location), at: pc, in: context,
            atFunctionEntry: atFunctionEntry)
        return Variable(
            name: name, type: type, value: read(type, at: location, in: context), address: location.address)
    }

    /// Where the value of `entry`'s location attribute is at `pc` (or its constant value).
    func location(
        of entry: inout Dwarf_Die, attribute name: Int32, at pc: UInt32, in context: ExpressionContext,
        atFunctionEntry: Bool = false
    )
        -> ValueLocation
    {
        if var constant = DIE.attribute(&entry, Int32(DW_AT_const_value)) {
            var block = Dwarf_Block()
            if dwarf_formblock(&constant, &block) == 0, let data = block.data, block.length <= 1 << 16 {
                return .bytes(Array(UnsafeBufferPointer(start: data, count: Int(block.length))))
            }
            var value: Dwarf_Sword = 0
            if dwarf_formsdata(&constant, &value) == 0 {
                return .bytes(withUnsafeBytes(of: value.littleEndian, Array.init))
            }
            return .optimizedOut
        }
        guard var attribute = DIE.attribute(&entry, name) else { return .optimizedOut }
        var ops: UnsafeMutablePointer<Dwarf_Op>?
        var count = 0
        if atFunctionEntry {
            // An empty range at the function's entry is an "entry PC record": where the value
            // is at exactly that instruction (gdb's dwarf2_find_location_expression).
            var offset = 0
            var base: Dwarf_Addr = 0
            var start: Dwarf_Addr = 0
            var end: Dwarf_Addr = 0
            var entries = 0
            repeat {
                var found: UnsafeMutablePointer<Dwarf_Op>?
                var length = 0
                offset = dwarf_getlocations(&attribute, offset, &base, &start, &end, &found, &length)
                entries += 1
                if offset > 0, start == end, start == Dwarf_Addr(pc), let found, length > 0 {
                    return LocationExpression.evaluate(
                        found, count: length, attribute: &attribute, in: context)
                }
            } while offset > 0 && entries < 10_000
        }
        guard dwarf_getlocation_addr(&attribute, Dwarf_Addr(pc), &ops, &count, 1) == 1, let ops else {
            return .optimizedOut
        }
        return LocationExpression.evaluate(ops, count: count, attribute: &attribute, in: context)
    }

    /// The value of a `type` at `location`, as much of it as `print` shows.
    func read(_ type: DebugType, at location: ValueLocation, in context: ExpressionContext) -> DebugValue {
        var size = type.size
        if case .array(let element, let count) = type.resolved.kind {
            size = element.size * min(count ?? 0, DebugValue.elementLimit)
        }
        guard size > 0 else {
            if case .array = type.resolved.kind { return .elements([], count: 0) }
            return .optimizedOut
        }
        guard size <= 1 << 20, let bytes = context.bytes(of: location, size: size) else {
            if let address = location.address { return .unreadable(address) }
            return .optimizedOut
        }
        return DebugValue.decode(bytes[...], as: type)
    }

    /// What the location expressions of frame `index` read: its registers, frame address,
    /// frame base and the entry values its caller's call site gives.
    func expressionContext(forFrame index: Int, in stack: CallStack, target: TargetState, depth: Int = 0)
        -> ExpressionContext
    {
        let frame = stack.frames[index]
        var registers = frame.registers
        if registers.count != 32 { registers = Array(repeating: nil, count: 32) }
        var context = ExpressionContext(registers: registers, cfa: frame.cfa, frameBase: nil, target: target)
        if let physical = frame.physicalFunctionOffset {
            var function = Dwarf_Die()
            if dwarf_offdie(dwarf, Dwarf_Off(physical), &function) != nil {
                let base = location(
                    of: &function, attribute: Int32(DW_AT_frame_base), at: frame.lookupPC, in: context)
                switch base {
                case .memory(let address): context.frameBase = address
                case .register(let number): context.frameBase = registers[number]
                default: break
                }
            }
        }
        // A trap handler's caller is interrupted code, with no call site; a recursion's entry
        // values can go through many callers.
        let handler = stack.frames.last { $0.physicalIndex == frame.physicalIndex }
        guard depth < 64, handler?.isTrapHandler != true,
            let callerIndex = stack.frames.firstIndex(where: { $0.physicalIndex == frame.physicalIndex + 1 })
        else { return context }
        context.entryValue = { [unowned self] register in
            self.entryValue(of: register, callerIndex: callerIndex, in: stack, target: target, depth: depth)
        }
        if let physical = frame.physicalFunctionOffset {
            context.parameterValue = { [unowned self] unitOffset in
                self.removedParameter(
                    unitOffset, calleeOffset: physical, callerIndex: callerIndex, in: stack, target: target,
                    depth: depth)
            }
        }
        return context
    }

    /// The value `register` had when the callee of frame `callerIndex` was entered, from the
    /// caller's call site at the return address (`DW_TAG_call_site_parameter`), as gdb finds
    /// entry values.
    private func entryValue(
        of register: Int, callerIndex: Int, in stack: CallStack, target: TargetState, depth: Int
    )
        -> UInt32?
    {
        let caller = stack.frames[callerIndex]
        guard let physical = caller.physicalFunctionOffset else { return nil }
        var function = Dwarf_Die()
        guard dwarf_offdie(dwarf, Dwarf_Off(physical), &function) != nil,
            var site = callSite(returningTo: caller.pc, in: &function)
        else { return nil }
        let callerContext = expressionContext(
            forFrame: callerIndex, in: stack, target: target, depth: depth + 1)
        for child in DIE.children(&site) {
            var parameter = child
            let tag = DIE.tag(&parameter)
            guard tag == Int32(DW_TAG_call_site_parameter) || tag == Int32(DW_TAG_GNU_call_site_parameter),
                var where_ = DIE.ownAttribute(&parameter, Int32(DW_AT_location))
            else { continue }
            var ops: UnsafeMutablePointer<Dwarf_Op>?
            var count = 0
            guard dwarf_getlocation(&where_, &ops, &count) == 0, count == 1, let ops else { continue }
            guard LocationExpression.register(named: ops[0]) == register else { continue }
            return callValue(of: &parameter, at: caller.lookupPC, in: callerContext)
        }
        return nil
    }

    /// What a call site passed for one parameter: its `DW_AT_call_value`, a DWARF expression
    /// read in the caller's frame. Its value is the top of the stack (an address left there is
    /// the value, not a place to read), or the register it names.
    private func callValue(of parameter: inout Dwarf_Die, at pc: UInt32, in context: ExpressionContext)
        -> UInt32?
    {
        let attribute =
            DIE.has(&parameter, Int32(DW_AT_call_value))
            ? Int32(DW_AT_call_value) : Int32(DW_AT_GNU_call_site_value)
        switch location(of: &parameter, attribute: attribute, at: pc, in: context) {
        case .memory(let value): return value
        case .register(let number): return context.registers[number]
        case let location: return context.word(of: location)
        }
    }

    /// The value of a parameter the compiler removed from the function at `calleeOffset`
    /// (`DW_OP_GNU_parameter_ref`): the caller's call site says what it passed
    /// (`DW_AT_call_parameter`); where it does not say, the value is unknown, as in gdb.
    private func removedParameter(
        _ unitOffset: UInt64, calleeOffset: UInt64, callerIndex: Int, in stack: CallStack,
        target: TargetState,
        depth: Int
    ) -> UInt32? {
        var callee = Dwarf_Die()
        var unit = Dwarf_Die()
        guard dwarf_offdie(dwarf, Dwarf_Off(calleeOffset), &callee) != nil,
            dwarf_diecu(&callee, &unit, nil, nil) != nil
        else { return nil }
        let unitStart = DIE.offset(&unit) - UInt64(dwarf_cuoffset(&unit))
        let parameter = unitStart + unitOffset
        let caller = stack.frames[callerIndex]
        guard let callerFunction = caller.physicalFunctionOffset else { return nil }
        var function = Dwarf_Die()
        guard dwarf_offdie(dwarf, Dwarf_Off(callerFunction), &function) != nil else { return nil }
        let callerContext = expressionContext(
            forFrame: callerIndex, in: stack, target: target, depth: depth + 1)
        if var site = callSite(returningTo: caller.pc, in: &function) {
            for child in DIE.children(&site) {
                var child = child
                guard
                    var named = DIE.reference(&child, Int32(DW_AT_call_parameter))
                        ?? DIE.reference(&child, Int32(DW_AT_abstract_origin)),
                    DIE.offset(&named) == parameter
                else { continue }
                return callValue(of: &child, at: caller.lookupPC, in: callerContext)
            }
        }
        return nil
    }

    /// The call site in `scope` (searched through its blocks) whose return address is `pc`.
    private func callSite(returningTo pc: UInt32, in scope: inout Dwarf_Die, depth: Int = 0) -> Dwarf_Die? {
        guard depth < 64 else { return nil }
        for child in DIE.children(&scope) {
            var child = child
            switch DIE.tag(&child) {
            case Int32(DW_TAG_call_site):
                if var attribute = DIE.ownAttribute(&child, Int32(DW_AT_call_return_pc)) {
                    var returnPC: Dwarf_Addr = 0
                    if dwarf_formaddr(&attribute, &returnPC) == 0, returnPC == Dwarf_Addr(pc) { return child }
                }
            case Int32(DW_TAG_GNU_call_site):
                var low: Dwarf_Addr = 0
                if dwarf_lowpc(&child, &low) == 0, low == Dwarf_Addr(pc) { return child }
            case Int32(DW_TAG_lexical_block), Int32(DW_TAG_inlined_subroutine):
                if let found = callSite(returningTo: pc, in: &child, depth: depth + 1) { return found }
            default: break
            }
        }
        return nil
    }
}
