@preconcurrency import CDwarf

extension DebugInfo {
    /// The functions pc is in, innermost first: inlined calls, then the function they were
    /// inlined into (`uart_puts`, `report`, `main` for code of `uart_puts` inlined into
    /// `report`, inlined into `main`). Empty where no compilation unit covers pc.
    public func functions(at pc: UInt32) -> [String] {
        var unit = Dwarf_Die()
        guard dwarf_addrdie(dwarf, Dwarf_Addr(pc), &unit) != nil else { return [] }
        var scopes: UnsafeMutablePointer<Dwarf_Die>?
        let count = dwarf_getscopes(&unit, Dwarf_Addr(pc), &scopes)
        guard count > 0, let scopes else { return [] }
        defer { free(scopes) }
        // The innermost function or inlined call. dwarf_getscopes continues from an inlined
        // call's abstract definition, so the callers come from the inlined instance's own
        // parents in the concrete tree (dwarf_getscopes_die), as eu-addr2line -i does.
        for index in 0..<Int(min(count, 1000)) {
            var scope = scopes[index]
            let tag = dwarf_tag(&scope)
            guard tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine else { continue }
            var names = [Self.name(&scope)]
            guard tag == DW_TAG_inlined_subroutine else { return names }
            var outer: UnsafeMutablePointer<Dwarf_Die>?
            let outerCount = dwarf_getscopes_die(&scope, &outer)
            guard outerCount > 1, let outer else { return names }
            defer { free(outer) }
            for position in 1..<Int(min(outerCount, 1000)) {
                var caller = outer[position]
                let callerTag = dwarf_tag(&caller)
                guard callerTag == DW_TAG_subprogram || callerTag == DW_TAG_inlined_subroutine else {
                    continue
                }
                names.append(Self.name(&caller))
                if callerTag == DW_TAG_subprogram { break }
            }
            return names
        }
        return []
    }

    private static func name(_ die: inout Dwarf_Die) -> String {
        dwarf_diename(&die).map { String(cString: $0) } ?? "??"
    }
}

#if canImport(Glibc)
    import Glibc
#endif

/// The code of one out-of-line function.
public struct FunctionExtent: Sendable, Equatable {
    /// Its name.
    public var name: String
    /// Its entry address.
    public var entry: UInt32
    /// The address ranges of its code.
    public var ranges: [Range<UInt32>]

    /// Whether `pc` is in the function's code.
    public func contains(_ pc: UInt32) -> Bool { ranges.contains { $0.contains(pc) } }
}

extension DebugInfo {
    /// The out-of-line function whose code holds `pc` (code inlined into it included), or nil.
    public func function(containing pc: UInt32) -> FunctionExtent? {
        lock.withLock {
            guard
                var function = scopePath(at: pc).last(where: { die in
                    var die = die
                    return DIE.tag(&die) == Int32(DW_TAG_subprogram)
                })
            else { return nil }
            let ranges = DIE.ranges(&function)
            guard let entry = DIE.lowPC(&function) ?? ranges.first?.lowerBound else { return nil }
            return FunctionExtent(name: DIE.name(&function) ?? "??", entry: entry, ranges: ranges)
        }
    }

    /// Where a function's body starts, as gdb places a breakpoint on it (`break FUNCTION`,
    /// and where `step` into it stops). Optimized code by GCC (a unit with location lists) is
    /// trusted from its entry, as gdb trusts it ("locations valid"); otherwise the prologue is
    /// skipped: the first statement of a line after the function's first line, within the
    /// function (its entry when there is none).
    public func afterPrologue(of function: FunctionExtent) -> UInt32 {
        if lock.withLock({ unitHasLocationLists(at: function.entry) }) { return function.entry }
        guard let first = lines.row(at: function.entry) else { return function.entry }
        var address = first.range.upperBound
        for _ in 0..<10_000 {
            guard function.contains(address), let row = lines.row(at: address) else { break }
            if row.isStatementStart && row.location != first.location { return address }
            address = max(row.range.upperBound, address + 2)
        }
        return function.entry
    }

    /// Whether the unit holding `pc` was compiled by GCC and describes a variable with a
    /// location list: gdb then takes its locations as valid from a function's first
    /// instruction and skips no prologue.
    func unitHasLocationLists(at pc: UInt32) -> Bool {
        var unit = Dwarf_Die()
        guard dwarf_addrdie(dwarf, Dwarf_Addr(pc), &unit) != nil else { return false }
        let key = DIE.offset(&unit)
        if let known = caches.unitsWithLocationLists[key] { return known }
        var producer = Dwarf_Attribute()
        var found = false
        if dwarf_attr(&unit, UInt32(DW_AT_producer), &producer) != nil,
            let text = dwarf_formstring(&producer),
            String(cString: text).hasPrefix("GNU")
        {
            var budget = 1_000_000
            found = hasLocationList(&unit, budget: &budget)
        }
        caches.unitsWithLocationLists[key] = found
        return found
    }

    private func hasLocationList(_ die: inout Dwarf_Die, budget: inout Int) -> Bool {
        for child in DIE.children(&die) {
            budget -= 1
            guard budget > 0 else { return false }
            var child = child
            var attribute = Dwarf_Attribute()
            if dwarf_attr(&child, UInt32(DW_AT_location), &attribute) != nil {
                let form = Int32(dwarf_whatform(&attribute))
                if form == Int32(DW_FORM_sec_offset) || form == Int32(DW_FORM_loclistx)
                    || form == Int32(DW_FORM_data4) || form == Int32(DW_FORM_data8)
                {
                    return true
                }
            }
            if dwarf_haschildren(&child) == 1 && hasLocationList(&child, budget: &budget) { return true }
        }
        return false
    }
}

/// One function a pc is in: the out-of-line function, or a call inlined into it.
public struct ScopeLink: Sendable, Equatable {
    /// Identifies the function or inlined call (its entry's offset).
    public var id: UInt64
    /// Where the block's code starts (where an inlined call is entered), when known.
    public var entry: UInt32?
    /// For an inlined call: the line it was called from.
    public var callSite: SourceLocation?
}

extension DebugInfo {
    /// The functions `pc` is in, outermost first: the out-of-line function, then each call
    /// inlined into it that holds pc. Empty where no function covers pc.
    public func scopeChain(at pc: UInt32) -> [ScopeLink] {
        lock.withLock {
            scopePath(at: pc).compactMap { die -> ScopeLink? in
                var die = die
                let tag = DIE.tag(&die)
                guard tag == Int32(DW_TAG_subprogram) || tag == Int32(DW_TAG_inlined_subroutine) else {
                    return nil
                }
                var entry: Dwarf_Addr = 0
                let start: UInt32? =
                    dwarf_entrypc(&die, &entry) == 0 && entry <= Dwarf_Addr(UInt32.max)
                    ? UInt32(entry) : DIE.ranges(&die).first?.lowerBound
                return ScopeLink(
                    id: DIE.offset(&die), entry: start,
                    callSite: tag == Int32(DW_TAG_inlined_subroutine) ? callLocation(of: &die) : nil)
            }
        }
    }
}
