#if canImport(Glibc)
    import Glibc
#endif
@preconcurrency import CDwarf

extension DebugInfo {
    /// The most frames unwound (a corrupt stack can look endless).
    public static let frameLimit = 256

    /// The call stack of `target`, innermost first, unwound with the call-frame information
    /// (`.debug_frame` or `.eh_frame`): through functions without a frame pointer, with
    /// inlined calls as frames, and through a trap handler to the code it interrupted (at
    /// mepc).
    public func callStack(_ target: TargetState) -> CallStack {
        lock.withLock { unwind(target) }
    }

    /// The canonical frame address of the innermost frame (its caller's sp): what tells two
    /// activations of one function apart. sp where no call-frame information covers the pc.
    public func frameAddress(_ target: TargetState) -> UInt32 {
        lock.withLock {
            var registers: [UInt32?] = target.registers.map { $0 }
            registers[0] = 0
            return unwindRule(at: target.pc, registers: registers, target: target)?.cfa ?? target.registers[2]
        }
    }

    private func unwind(_ target: TargetState) -> CallStack {
        var registers: [UInt32?] = target.registers.map { $0 }
        registers[0] = 0
        var pc = target.pc
        var isExact = true
        var frames: [StackFrame] = []
        var previousCFA: UInt32?
        var trapTaken = false
        for physical in 0..<Self.frameLimit {
            let lookup = isExact ? pc : pc &- 1
            let path = scopePath(at: lookup)
            let firstOfPhysical = frames.count
            appendFrames(for: path, pc: pc, lookup: lookup, physical: physical, to: &frames)
            guard firstOfPhysical < frames.count else { break }
            let name = frames[frames.count - 1].function
            // gdb's `backtrace past-main off`: main is the outermost frame.
            if name == "main" {
                let cfa = unwindRule(at: lookup, registers: registers, target: target)?.cfa ?? registers[2]
                setFrame(&frames, from: firstOfPhysical, registers: registers, cfa: cfa, trap: false)
                return CallStack(frames: frames, end: nil)
            }
            // The caller's registers.
            var callerRegisters = registers
            var callerPC: UInt32?
            var cfa: UInt32?
            if let rule = unwindRule(at: lookup, registers: registers, target: target) {
                cfa = rule.cfa
                callerRegisters = rule.registers
                callerPC = rule.returnAddress
            } else if physical == 0 {
                // Code without call-frame information at the innermost frame (a jump to a bad
                // address, a leaf in assembly): it has not moved sp or ra yet, as gdb assumes.
                cfa = registers[2]
                callerPC = registers[1]
            } else {
                setFrame(&frames, from: firstOfPhysical, registers: registers, cfa: nil, trap: false)
                return CallStack(frames: frames, end: "no unwind information for \(name)")
            }
            // One trap handler's caller is taken from mepc: the innermost one's.
            let isTrap = !trapTaken && isTrapHandler(path, target: target)
            setFrame(&frames, from: firstOfPhysical, registers: registers, cfa: cfa, trap: isTrap)
            if isTrap {
                trapTaken = true
                callerPC = target.mepc
            }
            guard let next = callerPC, next != 0 else { return CallStack(frames: frames, end: nil) }
            guard let cfa else { return CallStack(frames: frames, end: "no frame address for \(name)") }
            if let previousCFA, cfa < previousCFA {
                return CallStack(
                    frames: frames, end: "the stack of \(name) is corrupt (its caller's sp is lower)")
            }
            if !isTrap && next == pc && cfa == previousCFA {
                return CallStack(frames: frames, end: "\(name) returns to itself")
            }
            guard isCode(next) else {
                return CallStack(
                    frames: frames, end: "\(name) returns to \(Self.hex(next)), which is not code")
            }
            previousCFA = cfa
            callerRegisters[0] = 0
            callerRegisters[2] = cfa
            registers = callerRegisters
            pc = next
            isExact = isTrap
        }
        return CallStack(frames: frames, end: frames.isEmpty ? "no code at \(Self.hex(pc))" : nil)
    }

    static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    /// Whether `address` is code the debug information or the symbols know.
    func isCode(_ address: UInt32) -> Bool {
        if lines.location(of: address) != nil { return true }
        if let symbol = symbols.symbol(containing: address), symbol.kind != .object { return true }
        return false
    }

    private func setFrame(
        _ frames: inout [StackFrame], from first: Int, registers: [UInt32?], cfa: UInt32?, trap: Bool
    ) {
        for index in first..<frames.count {
            frames[index].registers = registers
            frames[index].cfa = cfa
        }
        if trap, let last = frames.indices.last { frames[last].isTrapHandler = true }
    }

    /// The frames of one physical frame: the inlined calls at `lookup`, innermost first, then
    /// the function they are in.
    private func appendFrames(
        for path: [Dwarf_Die], pc: UInt32, lookup: UInt32, physical: Int, to frames: inout [StackFrame]
    ) {
        let functionIndices = path.indices.filter { index in
            var die = path[index]
            let tag = DIE.tag(&die)
            return tag == Int32(DW_TAG_subprogram) || tag == Int32(DW_TAG_inlined_subroutine)
        }
        guard let outermost = functionIndices.first else {
            let name = symbols.symbol(containing: lookup)?.name ?? "??"
            frames.append(
                StackFrame(
                    function: name, pc: pc, location: lines.location(of: lookup), isInlined: false,
                    isTrapHandler: false, registers: [], cfa: nil, lookupPC: lookup, functionOffset: nil,
                    physicalFunctionOffset: nil, blockOffsets: [], physicalIndex: physical))
            return
        }
        var physicalDie = path[outermost]
        let physicalOffset = DIE.offset(&physicalDie)
        for (position, index) in functionIndices.enumerated().reversed() {
            var function = path[index]
            let innerIndex = position + 1 < functionIndices.count ? functionIndices[position + 1] : path.count
            let blocks = path[(index + 1)..<innerIndex].reversed().map { die -> UInt64 in
                var die = die
                return DIE.offset(&die)
            }
            var location: SourceLocation?
            if innerIndex == path.count {
                location = lines.location(of: lookup)
            } else {
                var inner = path[innerIndex]
                location = callLocation(of: &inner)
            }
            frames.append(
                StackFrame(
                    function: DIE.name(&function) ?? symbols.symbol(containing: lookup)?.name ?? "??", pc: pc,
                    location: location, isInlined: DIE.tag(&function) == Int32(DW_TAG_inlined_subroutine),
                    isTrapHandler: false, registers: [], cfa: nil, lookupPC: lookup,
                    functionOffset: DIE.offset(&function), physicalFunctionOffset: physicalOffset,
                    blockOffsets: blocks, physicalIndex: physical))
        }
    }

    /// Where an inlined call was made: its DW_AT_call_file and DW_AT_call_line.
    func callLocation(of die: inout Dwarf_Die) -> SourceLocation? {
        guard let line = DIE.unsigned(&die, Int32(DW_AT_call_line)),
            let fileIndex = DIE.unsigned(&die, Int32(DW_AT_call_file))
        else { return nil }
        var unit = Dwarf_Die()
        guard dwarf_diecu(&die, &unit, nil, nil) != nil else { return nil }
        var files: OpaquePointer?
        var count = 0
        guard dwarf_getsrcfiles(&unit, &files, &count) == 0, let files, fileIndex < count,
            let name = dwarf_filesrc(files, Int(fileIndex), nil, nil)
        else { return nil }
        return SourceLocation(file: String(cString: name), line: Int(min(line, 1 << 30)))
    }

    /// The entries from the compilation unit down to the innermost function, inlined call or
    /// lexical block whose code holds `pc`, outermost first. The function comes from an index
    /// of every function's ranges (built once), so only that function's tree is walked.
    func scopePath(at pc: UInt32) -> [Dwarf_Die] {
        if let known = caches.scopePaths[pc] { return known }
        let index = functionIndex()
        var low = 0
        var high = index.count
        while low < high {
            let middle = (low + high) / 2
            if index[middle].range.lowerBound <= pc { low = middle + 1 } else { high = middle }
        }
        var path: [Dwarf_Die] = []
        var probe = low - 1
        while probe >= 0 && probe >= low - 8 {
            if index[probe].range.contains(pc) {
                var function = Dwarf_Die()
                var unit = Dwarf_Die()
                if dwarf_offdie(dwarf, Dwarf_Off(index[probe].offset), &function) != nil,
                    dwarf_diecu(&function, &unit, nil, nil) != nil
                {
                    path = [unit, function]
                }
                break
            }
            probe -= 1
        }
        if path.isEmpty {
            var unit = Dwarf_Die()
            if dwarf_addrdie(dwarf, Dwarf_Addr(pc), &unit) != nil { path = [unit] }
        } else {
            var current = path[path.count - 1]
            descending: while path.count < 256 {
                for child in DIE.children(&current) {
                    var child = child
                    let tag = DIE.tag(&child)
                    guard
                        tag == Int32(DW_TAG_subprogram) || tag == Int32(DW_TAG_inlined_subroutine)
                            || tag == Int32(DW_TAG_lexical_block),
                        DIE.contains(&child, pc)
                    else { continue }
                    path.append(child)
                    current = child
                    continue descending
                }
                break
            }
        }
        if caches.scopePaths.count > 50_000 { caches.scopePaths.removeAll() }
        caches.scopePaths[pc] = path
        return path
    }

    /// Every out-of-line function's code ranges, sorted by start.
    private func functionIndex() -> [(range: Range<UInt32>, offset: UInt64)] {
        if let known = caches.functionIndex { return known }
        var index: [(range: Range<UInt32>, offset: UInt64)] = []
        for unit in DIE.units(of: dwarf) {
            var unit = unit
            for child in DIE.children(&unit) {
                var child = child
                guard DIE.tag(&child) == Int32(DW_TAG_subprogram) else { continue }
                let childOffset = DIE.offset(&child)
                for range in DIE.ranges(&child) { index.append((range, childOffset)) }
            }
        }
        index.sort { $0.range.lowerBound < $1.range.lowerBound }
        caches.functionIndex = index
        return index
    }

    /// A trap handler returns with mret: its caller is the code at mepc.
    private func isTrapHandler(_ path: [Dwarf_Die], target: TargetState) -> Bool {
        guard
            var function = path.last(where: { die in
                var die = die
                return DIE.tag(&die) == Int32(DW_TAG_subprogram)
            })
        else { return false }
        let key = DIE.offset(&function)
        if let known = caches.trapHandlers[key] { return known }
        var found = false
        for range in DIE.ranges(&function) where range.count <= 1 << 20 {
            var address = range.lowerBound
            while address + 4 <= range.upperBound {
                if target.word(at: address) == 0x3020_0073 {
                    found = true
                    break
                }
                address += 2
            }
        }
        caches.trapHandlers[key] = found
        return found
    }

    /// The unwinding rule at `pc`: the canonical frame address, the caller's registers and
    /// the return address, from the call-frame information.
    private func unwindRule(at pc: UInt32, registers: [UInt32?], target: TargetState)
        -> (cfa: UInt32?, registers: [UInt32?], returnAddress: UInt32?)?
    {
        guard let cfi = callFrameInformation() else { return nil }
        var frame: OpaquePointer?
        guard dwarf_cfi_addrframe(cfi, Dwarf_Addr(pc), &frame) == 0, let frame else { return nil }
        defer { free(UnsafeMutableRawPointer(frame)) }
        var context = ExpressionContext(registers: registers, cfa: nil, frameBase: nil, target: target)
        var cfaOps: UnsafeMutablePointer<Dwarf_Op>?
        var cfaCount = 0
        var cfa: UInt32?
        if dwarf_frame_cfa(frame, &cfaOps, &cfaCount) == 0, let cfaOps, cfaCount > 0 {
            // A CFA expression computes a value, not a place.
            var stackValue = Array(UnsafeBufferPointer(start: cfaOps, count: cfaCount))
            stackValue.append(Dwarf_Op(atom: UInt8(DW_OP_stack_value), number: 0, number2: 0, offset: 0))
            let location = stackValue.withUnsafeMutableBufferPointer { buffer -> ValueLocation in
                guard let base = buffer.baseAddress else { return .optimizedOut }
                return LocationExpression.evaluate(base, count: buffer.count, attribute: nil, in: context)
            }
            cfa = context.word(of: location)
        }
        context.cfa = cfa
        var start: Dwarf_Addr = 0
        var end: Dwarf_Addr = 0
        var signal = false
        let returnColumn = Int(dwarf_frame_info(frame, &start, &end, &signal))
        var caller = registers
        let opsMemory = UnsafeMutablePointer<Dwarf_Op>.allocate(capacity: 3)
        defer { opsMemory.deallocate() }
        for register in 1..<32 {
            var ops: UnsafeMutablePointer<Dwarf_Op>?
            var count = 0
            guard dwarf_frame_register(frame, Int32(register), opsMemory, &ops, &count) == 0 else { continue }
            // "Undefined" and "same value" both keep the register, as gdb does for registers
            // the CFI does not mention.
            guard count > 0, let ops else { continue }
            caller[register] = context.word(
                of: LocationExpression.evaluate(ops, count: count, attribute: nil, in: context))
        }
        let returnAddress = (1..<32).contains(returnColumn) ? caller[returnColumn] : nil
        return (cfa, caller, returnAddress)
    }

    /// The call-frame information, read once.
    private func callFrameInformation() -> OpaquePointer? {
        if let known = caches.callFrames { return known }
        let cfi = dwarf_getcfi(dwarf) ?? dwarf_getcfi_elf(elf)
        caches.callFrames = .some(cfi)
        return cfi
    }
}
