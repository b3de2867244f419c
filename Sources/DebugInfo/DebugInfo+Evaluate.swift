@preconcurrency import CDwarf
import Machine

/// The value of an expression at one step: what gdb's `print` and `whatis` say of it.
public struct Evaluation: Sendable {
    /// The expression as given.
    public var expression: String
    /// Its C type.
    public var type: DebugType
    /// Its value.
    public var value: DebugValue
    /// Where it is in memory, when it is an object in memory (`sensors[2].read`; not `&x`).
    public var address: UInt32?

    /// `{"expr", "address" (when it has one), "type", "value"}`, with `"optimizedOut": true`
    /// (or `"error"`) when the value is null.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("expr", .string(expression))]
        if let address { members.append(("address", .u32(address))) }
        members += [("type", .string(type.description)), ("value", value.json)]
        switch value {
        case .optimizedOut: members.append(("optimizedOut", .bool(true)))
        case .unreadable(let address):
            members.append(
                ("error", .string("Cannot access memory at address 0x" + String(address, radix: 16))))
        default: break
        }
        return .object(members)
    }
}

extension DebugInfo {
    /// Evaluates `text` in frame `index` of `stack` (names are looked up in that frame's
    /// scopes first, then the file's statics, then globals) over `target`.
    public func evaluate(_ text: String, frame index: Int = 0, in stack: CallStack, target: TargetState)
        throws(ExpressionError) -> Evaluation
    {
        lock.lock()
        defer { lock.unlock() }
        do {
            let expression = try Expression.parse(text) { [unowned self] name in self.namedType(name) != nil }
            var evaluator = Evaluator(debugInfo: self, stack: stack, frameIndex: index, target: target)
            let operand = try evaluator.evaluate(expression)
            let value: DebugValue
            if case .function = operand.type.resolved.kind, let address = operand.location.address {
                value = .unsigned(UInt64(address))
            } else {
                value = read(operand.type, at: operand.location, in: evaluator.context)
            }
            return Evaluation(
                expression: text, type: operand.type, value: value,
                address: operand.location.address ?? operand.bitFieldAddress)
        }
    }

    /// The globals and file statics by name.
    func globals() -> [String: [GlobalVariable]] {
        if let known = caches.globals { return known }
        var globals: [String: [GlobalVariable]] = [:]
        var types: [String: [UInt64]] = [:]
        for unit in DIE.units(of: dwarf) {
            var unit = unit
            let unitOffset = DIE.offset(&unit)
            for child in DIE.children(&unit) {
                var child = child
                let tag = DIE.tag(&child)
                guard let name = DIE.name(&child) else { continue }
                switch tag {
                case Int32(DW_TAG_variable), Int32(DW_TAG_subprogram):
                    if tag == Int32(DW_TAG_subprogram) && DIE.lowPC(&child) == nil { continue }
                    if tag == Int32(DW_TAG_variable) && !DIE.has(&child, Int32(DW_AT_location))
                        && !DIE.has(&child, Int32(DW_AT_const_value))
                    {
                        continue
                    }
                    globals[name, default: []].append(
                        GlobalVariable(
                            offset: DIE.offset(&child), unitOffset: unitOffset,
                            isExternal: DIE.flag(&child, Int32(DW_AT_external))))
                case Int32(DW_TAG_typedef), Int32(DW_TAG_base_type):
                    types[TypeNames.canonical(name), default: []].append(DIE.offset(&child))
                case Int32(DW_TAG_structure_type):
                    types["struct " + name, default: []].append(DIE.offset(&child))
                case Int32(DW_TAG_union_type): types["union " + name, default: []].append(DIE.offset(&child))
                case Int32(DW_TAG_enumeration_type):
                    types["enum " + name, default: []].append(DIE.offset(&child))
                default: break
                }
            }
        }
        caches.globals = globals
        caches.namedTypes = types
        return globals
    }

    /// The type named `name` (`uint32_t`, `struct sensor`, `unsigned int`), or nil.
    func namedType(_ name: String) -> DebugType? {
        _ = globals()
        let key = TypeNames.canonical(name)
        // A cast to base-type keywords is gdb's own type, spelled its way.
        if TypeNames.isKeywordType(name), let builtin = TypeNames.builtin[key] { return builtin }
        for offset in caches.namedTypes?[key] ?? [] {
            var die = Dwarf_Die()
            guard dwarf_offdie(dwarf, Dwarf_Off(offset), &die) != nil else { continue }
            // A complete definition rather than a declaration.
            if DIE.flag(&die, Int32(DW_AT_declaration)) { continue }
            return type(at: &die)
        }
        return TypeNames.builtin[key]
    }
}

/// The spellings of C's base types: GCC names them `long unsigned int`, people write
/// `unsigned long`.
enum TypeNames {
    /// A key that two spellings of one type share.
    static func canonical(_ name: String) -> String {
        let words = name.split(separator: " ").map(String.init)
        guard words.contains(where: { ["unsigned", "signed", "short", "long", "int", "char"].contains($0) }),
            !words.contains("struct"), !words.contains("union"), !words.contains("enum")
        else { return name }
        var kept = words
        if kept.contains("char") {
            kept.removeAll { $0 == "int" }
        } else {
            kept.removeAll { $0 == "signed" }
            if kept.count > 1 { kept.removeAll { $0 == "int" } }
            if kept.isEmpty || kept == ["unsigned"] { kept.append("int") }
        }
        return kept.sorted().joined(separator: " ")
    }

    /// How gdb spells a C base type GCC names otherwise (`short int` is `short`, `long
    /// unsigned int` is `unsigned long`); other names are kept.
    static func gdbSpelling(_ name: String) -> String {
        let words = name.split(separator: " ").map(String.init)
        let known: Set<String> = ["unsigned", "signed", "short", "long", "int", "char"]
        guard words.count > 1, words.allSatisfy({ known.contains($0) }) else { return name }
        let longs = words.filter { $0 == "long" }.count
        let isUnsigned = words.contains("unsigned")
        if words.contains("char") {
            return isUnsigned ? "unsigned char" : words.contains("signed") ? "signed char" : "char"
        }
        let size = words.contains("short") ? "short" : longs == 2 ? "long long" : longs == 1 ? "long" : "int"
        if size == "int" { return isUnsigned ? "unsigned int" : "int" }
        return isUnsigned ? "unsigned " + size : size
    }

    /// Whether `name` is made of C's base-type keywords only (`unsigned short`).
    static func isKeywordType(_ name: String) -> Bool {
        let known: Set<String> = [
            "unsigned", "signed", "short", "long", "int", "char", "float", "double", "_Bool", "void",
        ]
        let words = name.split(separator: " ").map(String.init)
        return !words.isEmpty && words.allSatisfy { known.contains($0) }
    }

    /// Base types for casts when the DWARF names none.
    static let builtin: [String: DebugType] = {
        let types: [(String, DebugType.Encoding, Int)] = [
            ("char", .unsignedChar, 1), ("signed char", .signedChar, 1), ("unsigned char", .unsignedChar, 1),
            ("short", .signed, 2), ("unsigned short", .unsigned, 2), ("int", .signed, 4),
            ("unsigned int", .unsigned, 4), ("long", .signed, 4), ("unsigned long", .unsigned, 4),
            ("long long", .signed, 8), ("unsigned long long", .unsigned, 8), ("_Bool", .boolean, 1),
            ("float", .float, 4), ("double", .float, 8),
        ]
        var table: [String: DebugType] = ["void": .void]
        for (name, encoding, size) in types {
            table[canonical(name)] = DebugType(.base(name: name, encoding: encoding, size: size))
        }
        return table
    }()
}

/// An expression's value while it is being evaluated: a type and where the value is.
struct Operand {
    var type: DebugType
    var location: ValueLocation
    /// For a bit-field: the address of its storage unit, as gdb reports it.
    var bitFieldAddress: UInt32?
}

/// Evaluates parsed expressions in one frame.
struct Evaluator {
    let debugInfo: DebugInfo
    let stack: CallStack
    let frameIndex: Int
    let target: TargetState
    let context: ExpressionContext

    init(debugInfo: DebugInfo, stack: CallStack, frameIndex: Int, target: TargetState) {
        self.debugInfo = debugInfo
        self.stack = stack
        self.frameIndex = frameIndex
        self.target = target
        if stack.frames.indices.contains(frameIndex) {
            context = debugInfo.expressionContext(forFrame: frameIndex, in: stack, target: target)
        } else {
            context = ExpressionContext(
                registers: target.registers.map { $0 }, cfa: nil, frameBase: nil, target: target)
        }
    }

    mutating func evaluate(_ expression: Expression, depth: Int = 0) throws(ExpressionError) -> Operand {
        guard depth < 100 else { throw ExpressionError("expression nested too deeply") }
        switch expression {
        case .name(let name):
            return try lookup(name)
        case .integer(let value):
            let type: DebugType =
                value <= UInt64(Int32.max)
                ? .int : value <= UInt64(UInt32.max) ? .unsignedInt : .unsignedLongLong
            return Operand(type: type, location: .bytes(Self.bytes(value, size: type.size)))
        case .register(let name):
            return try register(name)
        case .member(let base, let name):
            return try member(of: evaluate(base, depth: depth + 1), name)
        case .arrow(let base, let name):
            return try member(of: dereference(evaluate(base, depth: depth + 1)), name)
        case .index(let base, let index):
            let array = try evaluate(base, depth: depth + 1)
            let position = try integer(evaluate(index, depth: depth + 1))
            return try element(of: array, at: position)
        case .dereference(let base):
            return try dereference(evaluate(base, depth: depth + 1))
        case .addressOf(let base):
            let operand = try evaluate(base, depth: depth + 1)
            guard let address = operand.location.address else {
                throw ExpressionError("Attempt to take address of value not located in memory.")
            }
            return Operand(
                type: DebugType(.pointer(operand.type)),
                location: .bytes(Self.bytes(UInt64(address), size: 4)))
        case .negate(let base):
            let operand = try evaluate(base, depth: depth + 1)
            let value = try integer(operand)
            let type = Self.promoted(operand.type)
            return Operand(
                type: type, location: .bytes(Self.bytes(UInt64(bitPattern: 0 &- value), size: type.size)))
        case .add(let left, let right):
            return try arithmetic(
                evaluate(left, depth: depth + 1), evaluate(right, depth: depth + 1), subtract: false)
        case .subtract(let left, let right):
            return try arithmetic(
                evaluate(left, depth: depth + 1), evaluate(right, depth: depth + 1), subtract: true)
        case .sizeOfType(let name):
            guard var type = debugInfo.namedType(name.base) else {
                throw ExpressionError("No symbol \"\(name.base)\" in current context.")
            }
            for _ in 0..<name.pointers { type = DebugType(.pointer(type)) }
            return Operand(type: .int, location: .bytes(Self.bytes(UInt64(type.size), size: 4)))
        case .sizeOf(let base):
            let operand = try evaluate(base, depth: depth + 1)
            return Operand(type: .int, location: .bytes(Self.bytes(UInt64(operand.type.size), size: 4)))
        case .cast(let name, let base):
            let operand = try evaluate(base, depth: depth + 1)
            guard var type = debugInfo.namedType(name.base) else {
                throw ExpressionError("No symbol \"\(name.base)\" in current context.")
            }
            for _ in 0..<name.pointers { type = DebugType(.pointer(type)) }
            guard type.isScalar else {
                if type.size == operand.type.size { return Operand(type: type, location: operand.location) }
                throw ExpressionError("Invalid cast.")
            }
            let value = try integer(operand)
            return Operand(
                type: type, location: .bytes(Self.bytes(UInt64(bitPattern: value), size: type.size)))
        }
    }

    /// A name: the frame's scopes first, then the file's statics, then globals.
    private func lookup(_ name: String) throws(ExpressionError) -> Operand {
        if stack.frames.indices.contains(frameIndex), let found = frameVariable(name) { return found }
        let globals = debugInfo.globals()[name] ?? []
        var unitOffset: UInt64?
        let pc = stack.frames.indices.contains(frameIndex) ? stack.frames[frameIndex].lookupPC : target.pc
        var unit = Dwarf_Die()
        if dwarf_addrdie(debugInfo.dwarf, Dwarf_Addr(pc), &unit) != nil { unitOffset = DIE.offset(&unit) }
        let ordered =
            globals.filter { $0.unitOffset == unitOffset }
            + globals.filter { $0.unitOffset != unitOffset && $0.isExternal }
            + globals.filter { $0.unitOffset != unitOffset && !$0.isExternal }
        guard let global = ordered.first else {
            throw ExpressionError("No symbol \"\(name)\" in current context.")
        }
        var die = Dwarf_Die()
        guard dwarf_offdie(debugInfo.dwarf, Dwarf_Off(global.offset), &die) != nil else {
            throw ExpressionError("No symbol \"\(name)\" in current context.")
        }
        if DIE.tag(&die) == Int32(DW_TAG_subprogram) {
            let address = DIE.lowPC(&die) ?? 0
            return Operand(type: debugInfo.type(at: &die), location: .memory(address))
        }
        return Operand(
            type: debugInfo.type(of: &die),
            location: debugInfo.location(of: &die, attribute: Int32(DW_AT_location), at: pc, in: context))
    }

    private func frameVariable(_ name: String) -> Operand? {
        let frame = stack.frames[frameIndex]
        guard let function = frame.functionOffset else { return nil }
        for scopeOffset in frame.blockOffsets + [function] {
            var scope = Dwarf_Die()
            guard dwarf_offdie(debugInfo.dwarf, Dwarf_Off(scopeOffset), &scope) != nil else { continue }
            var entries = debugInfo.scopeEntries(of: &scope, tag: Int32(DW_TAG_variable))
            if scopeOffset == function {
                entries += debugInfo.scopeEntries(of: &scope, tag: Int32(DW_TAG_formal_parameter))
            }
            for entry in entries {
                var entry = entry
                guard DIE.name(&entry) == name else { continue }
                return Operand(
                    type: debugInfo.type(of: &entry),
                    location: debugInfo.location(
                        of: &entry, attribute: Int32(DW_AT_location), at: frame.lookupPC, in: context))
            }
        }
        return nil
    }

    static let registerNames: [String: Int] = {
        var names: [String: Int] = ["fp": 8]
        for index in 0..<32 { names["x\(index)"] = index }
        let abi = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
            "a6",
            "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
        ]
        for (index, name) in abi.enumerated() { names[name] = index }
        return names
    }()

    /// `$pc`, `$sp`, `$a0`…: gdb's types (`void (*)()` for pc and ra, `void *` for sp, gp, tp
    /// and fp, `long` for the rest), read in the selected frame.
    private func register(_ name: String) throws(ExpressionError) -> Operand {
        if name == "pc" {
            let pc = stack.frames.indices.contains(frameIndex) ? stack.frames[frameIndex].pc : target.pc
            let type = DebugType(
                .pointer(
                    DebugType(
                        .function(returns: .void, parameters: [], isPrototyped: false, isVariadic: false))))
            return Operand(type: type, location: .bytes(Self.bytes(UInt64(pc), size: 4)))
        }
        guard let number = Self.registerNames[name] else {
            throw ExpressionError("No register named \"$\(name)\".")
        }
        let code = DebugType(
            .pointer(
                DebugType(.function(returns: .void, parameters: [], isPrototyped: false, isVariadic: false))))
        let type =
            number == 1
            ? code
            : [2, 3, 4, 8].contains(number)
                ? DebugType(.pointer(.void)) : DebugType(.base(name: "long", encoding: .signed, size: 4))
        guard let value = context.registers[number] else {
            return Operand(type: type, location: .optimizedOut)
        }
        return Operand(type: type, location: .bytes(Self.bytes(UInt64(value), size: 4)))
    }

    private func member(of operand: Operand, _ name: String) throws(ExpressionError) -> Operand {
        guard case .structure = operand.type.resolved.kind else {
            throw ExpressionError("Attempt to extract a component of a value that is not a structure.")
        }
        guard let (member, offset) = Self.find(name, in: operand.type, depth: 0) else {
            throw ExpressionError("There is no member named \(name).")
        }
        if let bits = member.bits {
            let bytes = debugInfo.read(operand.type, at: operand.location, in: context)
            guard case .members = bytes else { return Operand(type: member.type, location: .optimizedOut) }
            // Read the bit-field through the decoder, then store its value as bytes.
            let whole = context.bytes(of: operand.location, size: operand.type.size)
            guard let whole else { return Operand(type: member.type, location: .optimizedOut) }
            let field = DebugType(
                .structure(
                    keyword: "struct", name: nil, size: whole.count,
                    members: [DebugType.Member(name: name, type: member.type, offset: offset, bits: bits)]))
            guard case .members(let values) = DebugValue.decode(whole[...], as: field),
                let value = values.first?.value.integer
            else { return Operand(type: member.type, location: .optimizedOut) }
            // gdb gives a bit-field the address of its storage unit (the member type's size).
            var storage: UInt32?
            if let base = operand.location.address {
                let bit = offset * 8 + bits.offset
                let container = max(member.type.size, 1) * 8
                let start = bit % container + bits.width <= container ? bit - bit % container : bit - bit % 8
                storage = base &+ UInt32(truncatingIfNeeded: start / 8)
            }
            return Operand(
                type: member.type,
                location: .bytes(Self.bytes(UInt64(bitPattern: value), size: max(member.type.size, 1))),
                bitFieldAddress: storage)
        }
        return Operand(
            type: member.type,
            location: Self.offset(operand.location, by: offset, size: member.type.size, context: context))
    }

    /// A member by name, looking into anonymous struct and union members, and its offset.
    private static func find(_ name: String, in type: DebugType, depth: Int) -> (DebugType.Member, Int)? {
        guard depth < 16 else { return nil }
        for member in type.members {
            if member.name == name { return (member, member.offset) }
            if member.name.isEmpty, let (inner, offset) = find(name, in: member.type, depth: depth + 1) {
                return (inner, member.offset + offset)
            }
        }
        return nil
    }

    /// The part of `location` that starts `offset` bytes in.
    private static func offset(
        _ location: ValueLocation, by offset: Int, size: Int, context: ExpressionContext
    )
        -> ValueLocation
    {
        if case .memory(let address) = location {
            return .memory(address &+ UInt32(truncatingIfNeeded: offset))
        }
        guard let bytes = context.bytes(of: location, size: offset + size) else { return .optimizedOut }
        return .bytes(Array(bytes[offset...]))
    }

    private func dereference(_ operand: Operand) throws(ExpressionError) -> Operand {
        switch operand.type.resolved.kind {
        case .pointer(let target):
            if case .void = target.resolved.kind {
                throw ExpressionError("Attempt to take contents of a non-pointer value.")
            }
            let address = UInt32(truncatingIfNeeded: try integer(operand))
            return Operand(type: target, location: .memory(address))
        case .array(let element, _):
            return Operand(
                type: element,
                location: Self.offset(operand.location, by: 0, size: element.size, context: context))
        default:
            throw ExpressionError("Attempt to take contents of a non-pointer value.")
        }
    }

    private func element(of operand: Operand, at index: Int64) throws(ExpressionError) -> Operand {
        switch operand.type.resolved.kind {
        case .array(let element, _):
            let offset = Int(truncatingIfNeeded: index) &* element.size
            if case .memory(let address) = operand.location {
                return Operand(
                    type: element, location: .memory(address &+ UInt32(truncatingIfNeeded: offset)))
            }
            guard index >= 0, index < 1 << 20 else { throw ExpressionError("no such vector element") }
            return Operand(
                type: element,
                location: Self.offset(operand.location, by: offset, size: element.size, context: context))
        case .pointer(let target):
            let base = UInt32(truncatingIfNeeded: try integer(operand))
            let offset = UInt32(truncatingIfNeeded: index &* Int64(max(target.size, 1)))
            return Operand(type: target, location: .memory(base &+ offset))
        default:
            throw ExpressionError("cannot subscript something of type `\(operand.type)'")
        }
    }

    private func arithmetic(_ left: Operand, _ right: Operand, subtract: Bool) throws(ExpressionError)
        -> Operand
    {
        func pointee(_ operand: Operand) -> DebugType? {
            switch operand.type.resolved.kind {
            case .pointer(let target): target
            case .array(let element, _): element
            default: nil
            }
        }
        if let target = pointee(left) {
            let base = try address(of: left)
            if subtract, let other = pointee(right) {
                let difference = Int64(Int32(bitPattern: base &- (try address(of: right))))
                _ = other
                let quotient = difference / Int64(max(target.size, 1))
                return Operand(
                    type: .int, location: .bytes(Self.bytes(UInt64(bitPattern: quotient), size: 4)))
            }
            let scaled = try integer(right) &* Int64(max(target.size, 1))
            let result =
                subtract
                ? base &- UInt32(truncatingIfNeeded: scaled) : base &+ UInt32(truncatingIfNeeded: scaled)
            return Operand(
                type: DebugType(.pointer(target)), location: .bytes(Self.bytes(UInt64(result), size: 4)))
        }
        if !subtract, let target = pointee(right) {
            let base = try address(of: right)
            let result = base &+ UInt32(truncatingIfNeeded: try integer(left) &* Int64(max(target.size, 1)))
            return Operand(
                type: DebugType(.pointer(target)), location: .bytes(Self.bytes(UInt64(result), size: 4)))
        }
        let type = Self.common(left.type, right.type)
        let a = try integer(left)
        let b = try integer(right)
        let result = subtract ? a &- b : a &+ b
        return Operand(type: type, location: .bytes(Self.bytes(UInt64(bitPattern: result), size: type.size)))
    }

    /// The address a pointer holds or where an array starts.
    private func address(of operand: Operand) throws(ExpressionError) -> UInt32 {
        if case .array = operand.type.resolved.kind {
            guard let address = operand.location.address else {
                throw ExpressionError("Attempt to take address of value not located in memory.")
            }
            return address
        }
        return UInt32(truncatingIfNeeded: try integer(operand))
    }

    /// The integer value of a scalar operand (sign-extended for signed types).
    private func integer(_ operand: Operand) throws(ExpressionError) -> Int64 {
        guard operand.type.isScalar else {
            if case .array = operand.type.resolved.kind, let address = operand.location.address {
                return Int64(address)
            }
            throw ExpressionError("Argument to arithmetic operation not a number or boolean.")
        }
        switch debugInfo.read(operand.type, at: operand.location, in: context) {
        case .signed(let value): return value
        case .unsigned(let value): return Int64(bitPattern: value)
        case .float(let value): return Int64(value)
        case .unreadable(let address):
            throw ExpressionError("Cannot access memory at address 0x\(String(address, radix: 16))")
        default: throw ExpressionError("value has been optimized out")
        }
    }

    /// C's integer promotion: smaller types become int.
    private static func promoted(_ type: DebugType) -> DebugType {
        if type.size < 4 { return .int }
        if case .base(_, .float, _) = type.resolved.kind { return .longLong }
        return type.size > 4 ? type : (isUnsigned(type) ? .unsignedInt : .int)
    }

    /// The usual arithmetic conversions, for the integer types Timescope evaluates.
    private static func common(_ left: DebugType, _ right: DebugType) -> DebugType {
        let a = promoted(left)
        let b = promoted(right)
        if a.size == 8 || b.size == 8 {
            return (a.size == 8 && isUnsigned(a)) || (b.size == 8 && isUnsigned(b))
                ? .unsignedLongLong : .longLong
        }
        return isUnsigned(a) || isUnsigned(b) ? .unsignedInt : .int
    }

    private static func isUnsigned(_ type: DebugType) -> Bool {
        switch type.resolved.kind {
        case .base(_, let encoding, _):
            encoding == .unsigned || encoding == .unsignedChar || encoding == .boolean
        case .enumeration(_, _, let isSigned, _): !isSigned
        case .pointer: true
        default: false
        }
    }

    static func bytes(_ value: UInt64, size: Int) -> [UInt8] {
        (0..<max(size, 1)).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * min($0, 7))) }
    }
}
