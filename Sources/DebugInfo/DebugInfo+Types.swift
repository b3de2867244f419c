@preconcurrency import CDwarf

extension DebugInfo {
    /// The type `die`'s `DW_AT_type` names (`void` when it has none).
    func type(of die: inout Dwarf_Die) -> DebugType {
        guard var target = DIE.reference(&die, Int32(DW_AT_type)) else { return .void }
        return type(at: &target)
    }

    /// The type the type entry `die` describes, read once and cached by its offset.
    func type(at die: inout Dwarf_Die, depth: Int = 0) -> DebugType {
        let key = DIE.offset(&die)
        if let known = caches.types[key] { return known }
        guard depth < 200 else { return .void }
        let type = DebugType(.void)
        // Cached before its parts are read, so that a struct pointing to itself ends.
        caches.types[key] = type
        type.kind = kind(of: &die, depth: depth)
        return type
    }

    private func referenced(_ die: inout Dwarf_Die, depth: Int) -> DebugType {
        guard var target = DIE.reference(&die, Int32(DW_AT_type)) else { return .void }
        return type(at: &target, depth: depth + 1)
    }

    private func kind(of die: inout Dwarf_Die, depth: Int) -> DebugType.Kind {
        let name = DIE.name(&die)
        let size = Int(min(DIE.unsigned(&die, Int32(DW_AT_byte_size)) ?? 0, 1 << 30))
        switch DIE.tag(&die) {
        case Int32(DW_TAG_base_type):
            let encoding: DebugType.Encoding =
                switch Int32(DIE.unsigned(&die, Int32(DW_AT_encoding)) ?? 0) {
                case Int32(DW_ATE_signed): .signed
                case Int32(DW_ATE_signed_char): .signedChar
                case Int32(DW_ATE_unsigned_char): .unsignedChar
                case Int32(DW_ATE_boolean): .boolean
                case Int32(DW_ATE_float): .float
                default: .unsigned
                }
            return .base(name: TypeNames.gdbSpelling(name ?? "?"), encoding: encoding, size: size)
        case Int32(DW_TAG_unspecified_type):
            return .base(name: name ?? "void", encoding: .unsigned, size: size)
        case Int32(DW_TAG_pointer_type), Int32(DW_TAG_reference_type), Int32(DW_TAG_rvalue_reference_type):
            return .pointer(referenced(&die, depth: depth))
        case Int32(DW_TAG_typedef):
            return .typedef(name: name ?? "?", referenced(&die, depth: depth))
        case Int32(DW_TAG_const_type):
            return .qualified("const", referenced(&die, depth: depth))
        case Int32(DW_TAG_volatile_type):
            return .qualified("volatile", referenced(&die, depth: depth))
        case Int32(DW_TAG_restrict_type):
            return .qualified("restrict", referenced(&die, depth: depth))
        case Int32(DW_TAG_atomic_type):
            return .qualified("_Atomic", referenced(&die, depth: depth))
        case Int32(DW_TAG_array_type):
            var element = referenced(&die, depth: depth)
            let counts = DIE.children(&die).compactMap { child -> Int?? in
                var child = child
                guard DIE.tag(&child) == Int32(DW_TAG_subrange_type) else { return nil }
                if let count = DIE.unsigned(&child, Int32(DW_AT_count)) { return Int(min(count, 1 << 30)) }
                if let upper = DIE.signed(&child, Int32(DW_AT_upper_bound)) {
                    let lower = DIE.signed(&child, Int32(DW_AT_lower_bound)) ?? 0
                    return Int(max(0, min(upper - lower + 1, 1 << 30)))
                }
                return .some(nil)
            }
            for count in counts.dropFirst().reversed() { element = DebugType(.array(element, count: count)) }
            return .array(element, count: counts.first ?? nil)
        case Int32(DW_TAG_structure_type), Int32(DW_TAG_union_type), Int32(DW_TAG_class_type):
            let keyword = DIE.tag(&die) == Int32(DW_TAG_union_type) ? "union" : "struct"
            let members = DIE.children(&die).compactMap { child -> DebugType.Member? in
                var child = child
                guard DIE.tag(&child) == Int32(DW_TAG_member) else { return nil }
                return member(&child, depth: depth)
            }
            return .structure(keyword: keyword, name: name, size: size, members: members)
        case Int32(DW_TAG_enumeration_type):
            var isSigned = false
            if case .base(_, let encoding, _) = referenced(&die, depth: depth).resolved.kind {
                isSigned = encoding == .signed || encoding == .signedChar
            }
            let enumerators = DIE.children(&die).compactMap { child -> (name: String, value: Int64)? in
                var child = child
                guard DIE.tag(&child) == Int32(DW_TAG_enumerator), let name = DIE.name(&child) else {
                    return nil
                }
                let value = DIE.signed(&child, Int32(DW_AT_const_value)) ?? 0
                return (name, value)
            }
            return .enumeration(
                name: name, size: size == 0 ? 4 : size, isSigned: isSigned, enumerators: enumerators)
        case Int32(DW_TAG_subroutine_type), Int32(DW_TAG_subprogram):
            var parameters: [DebugType] = []
            var isVariadic = false
            for child in DIE.children(&die) {
                var child = child
                switch DIE.tag(&child) {
                case Int32(DW_TAG_formal_parameter): parameters.append(referenced(&child, depth: depth))
                case Int32(DW_TAG_unspecified_parameters): isVariadic = true
                default: break
                }
            }
            return .function(
                returns: referenced(&die, depth: depth), parameters: parameters,
                isPrototyped: DIE.flag(&die, Int32(DW_AT_prototyped)), isVariadic: isVariadic)
        default:
            return .void
        }
    }

    private func member(_ die: inout Dwarf_Die, depth: Int) -> DebugType.Member {
        let type = referenced(&die, depth: depth)
        var offset = Int(min(DIE.unsigned(&die, Int32(DW_AT_data_member_location)) ?? 0, 1 << 30))
        var bits: (offset: Int, width: Int)?
        if let width = DIE.unsigned(&die, Int32(DW_AT_bit_size)), width > 0, width <= 64 {
            if let dataBitOffset = DIE.unsigned(&die, Int32(DW_AT_data_bit_offset)) {
                let total = Int(min(dataBitOffset, 1 << 33))
                offset = total / 8
                bits = (total % 8, Int(width))
            } else if let bitOffset = DIE.unsigned(&die, Int32(DW_AT_bit_offset)) {
                // DWARF 2–3: counted from the most significant bit of the storage unit.
                let storage = Int(DIE.unsigned(&die, Int32(DW_AT_byte_size)) ?? UInt64(type.size))
                let lowest = storage * 8 - Int(min(bitOffset, 1 << 20)) - Int(width)
                let total = offset * 8 + max(0, lowest)
                offset = total / 8
                bits = (total % 8, Int(width))
            }
        }
        return DebugType.Member(name: DIE.name(&die) ?? "", type: type, offset: offset, bits: bits)
    }
}
