@preconcurrency import CDwarf

/// Reading attributes of DWARF entries through libdw, with abstract origins and
/// specifications followed (`dwarf_attr_integrate`), bounded where the input decides a count.
enum DIE {
    /// The most children read from one entry (a hostile file could claim any number).
    static let childLimit = 100_000

    static func attribute(_ die: inout Dwarf_Die, _ name: Int32) -> Dwarf_Attribute? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr_integrate(&die, UInt32(name), &attribute) != nil else { return nil }
        return attribute
    }

    /// The entry's own attribute, without following abstract origins.
    static func ownAttribute(_ die: inout Dwarf_Die, _ name: Int32) -> Dwarf_Attribute? {
        var attribute = Dwarf_Attribute()
        guard dwarf_attr(&die, UInt32(name), &attribute) != nil else { return nil }
        return attribute
    }

    static func has(_ die: inout Dwarf_Die, _ name: Int32) -> Bool {
        attribute(&die, name) != nil
    }

    static func unsigned(_ die: inout Dwarf_Die, _ name: Int32) -> UInt64? {
        guard var attribute = attribute(&die, name) else { return nil }
        var value: Dwarf_Word = 0
        guard dwarf_formudata(&attribute, &value) == 0 else { return nil }
        return value
    }

    static func signed(_ die: inout Dwarf_Die, _ name: Int32) -> Int64? {
        guard var attribute = attribute(&die, name) else { return nil }
        var value: Dwarf_Sword = 0
        guard dwarf_formsdata(&attribute, &value) == 0 else { return nil }
        return value
    }

    static func flag(_ die: inout Dwarf_Die, _ name: Int32) -> Bool {
        guard var attribute = attribute(&die, name) else { return false }
        var value = false
        return dwarf_formflag(&attribute, &value) == 0 && value
    }

    static func reference(_ die: inout Dwarf_Die, _ name: Int32) -> Dwarf_Die? {
        guard var attribute = attribute(&die, name) else { return nil }
        var result = Dwarf_Die()
        guard dwarf_formref_die(&attribute, &result) != nil else { return nil }
        return result
    }

    static func name(_ die: inout Dwarf_Die) -> String? {
        guard var attribute = attribute(&die, Int32(DW_AT_name)), let text = dwarf_formstring(&attribute)
        else {
            return nil
        }
        return String(cString: text)
    }

    static func tag(_ die: inout Dwarf_Die) -> Int32 { Int32(dwarf_tag(&die)) }

    static func offset(_ die: inout Dwarf_Die) -> UInt64 { UInt64(dwarf_dieoffset(&die)) }

    /// The entry of every compilation unit of `dwarf`, in order.
    static func units(of dwarf: OpaquePointer) -> [Dwarf_Die] {
        var units: [Dwarf_Die] = []
        var offset: Dwarf_Off = 0
        var next: Dwarf_Off = 0
        var headerSize = 0
        while dwarf_nextcu(dwarf, offset, &next, &headerSize, nil, nil, nil) == 0 {
            defer { offset = next }
            var unit = Dwarf_Die()
            if dwarf_offdie(dwarf, offset + Dwarf_Off(headerSize), &unit) != nil { units.append(unit) }
        }
        return units
    }

    static func children(_ die: inout Dwarf_Die) -> [Dwarf_Die] {
        var children: [Dwarf_Die] = []
        var child = Dwarf_Die()
        guard dwarf_child(&die, &child) == 0 else { return [] }
        repeat {
            children.append(child)
            var next = Dwarf_Die()
            guard children.count < childLimit, dwarf_siblingof(&child, &next) == 0 else { break }
            child = next
        } while true
        return children
    }

    /// Whether the entry's code ranges hold `pc`.
    static func contains(_ die: inout Dwarf_Die, _ pc: UInt32) -> Bool {
        dwarf_haspc(&die, Dwarf_Addr(pc)) == 1
    }

    /// The lowest address of the entry's code (its entry pc), or nil.
    static func lowPC(_ die: inout Dwarf_Die) -> UInt32? {
        var address: Dwarf_Addr = 0
        if dwarf_entrypc(&die, &address) == 0 || dwarf_lowpc(&die, &address) == 0 {
            return address <= Dwarf_Addr(UInt32.max) ? UInt32(address) : nil
        }
        return nil
    }

    /// The code ranges of the entry.
    static func ranges(_ die: inout Dwarf_Die) -> [Range<UInt32>] {
        var result: [Range<UInt32>] = []
        var base: Dwarf_Addr = 0
        var start: Dwarf_Addr = 0
        var end: Dwarf_Addr = 0
        var offset = dwarf_ranges(&die, 0, &base, &start, &end)
        while offset > 0 && result.count < childLimit {
            if start < end && end <= Dwarf_Addr(UInt32.max) + 1 {
                result.append(UInt32(start)..<UInt32(truncatingIfNeeded: min(end, Dwarf_Addr(UInt32.max))))
            }
            offset = dwarf_ranges(&die, offset, &base, &start, &end)
        }
        return result
    }
}
