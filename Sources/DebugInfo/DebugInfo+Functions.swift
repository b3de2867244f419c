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

    /// Where a function's body starts, as gdb places a breakpoint on it: the first statement
    /// of a line after the function's first line, within the function (its entry when there
    /// is none).
    public func afterPrologue(of function: FunctionExtent) -> UInt32 {
        guard let first = lines.row(at: function.entry) else { return function.entry }
        var address = first.range.upperBound
        for _ in 0..<10_000 {
            guard function.contains(address), let row = lines.row(at: address) else { break }
            if row.isStatementStart && row.location != first.location { return address }
            address = max(row.range.upperBound, address + 2)
        }
        return function.entry
    }
}
