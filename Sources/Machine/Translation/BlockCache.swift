/// Translated blocks: straight-line runs of decoded instructions, found by their start pc.
///
/// A block ends at the first instruction that changes pc or runs out of line (branches,
/// jumps, SYSTEM, AMOs, illegal words), after `maxLength` instructions, or before an
/// instruction that could not be fetched. Immediates are made absolute at translation
/// (auipc becomes lui of pc+imm, branch and jal targets are addresses), so a block is valid
/// only at its own pc.
///
/// Exactness with self-modifying code: every 64-byte RAM line that holds translated code is
/// marked in `Machine.codeLines` (and `watchedLines`); a store to such a line bumps its page's generation, which
/// invalidates every block on that page, and ends the running block after the store. Data
/// that shares a page with code (but not a line) costs nothing. A
/// block therefore always executes what memory holds, whatever happened before — which the
/// determinism contract needs (a replay from a keyframe must not see a stale translation).
struct BlockCache {
    /// One entry of the direct-mapped lookup table.
    struct Entry {
        var pc: UInt32 = 1  // never an instruction address: empty
        /// `Machine.codeEpoch` when the page generations were last found unchanged.
        var epoch: UInt32 = 0
        var firstPageGeneration: UInt32 = 0
        var lastPageGeneration: UInt32 = 0
        var firstPage: UInt32 = 0
        var lastPage: UInt32 = 0
        /// Index of the first instruction in `instructions`.
        var start: Int32 = 0
        var count: Int32 = 0
        /// Address after the block's last instruction (fallthrough and link address).
        var end: UInt32 = 0
        /// The block's own number: its flag in `Machine.executedBlocks`, its address range in
        /// `starts` and `ends`.
        var serial: Int32 = 0
        /// The block's machine code (`BlockCompiler`), when compilation is on: where jumps from
        /// other blocks arrive. A block at a breakpoint starts with a guard that returns to the
        /// dispatcher; the dispatcher enters after it (`compiledBody`).
        var compiled: UnsafeRawPointer? = nil
        /// Where the dispatcher enters the compiled block.
        var compiledBody: UnsafeRawPointer? = nil
    }

    static let tableSize = 1 << 16
    static let capacity = 1 << 20
    static let maxLength = 64
    /// How many blocks one fill of the cache numbers (`Entry.serial`) before it starts over.
    static let serialCapacity = 1 << 18

    let table: UnsafeMutablePointer<Entry>
    /// Decoded instructions of every block, back to back.
    let instructions: UnsafeMutablePointer<DecodedInstruction>
    /// The address of each instruction in `instructions` (for traps inside a block).
    let addresses: UnsafeMutablePointer<UInt32>
    var used = 0
    /// The first address and the address after the last instruction of every block numbered
    /// since the last flush, by serial: which code a flagged block ran.
    let starts: UnsafeMutablePointer<UInt32>
    let ends: UnsafeMutablePointer<UInt32>
    /// Blocks numbered since the last flush.
    var serials = 0
    /// Machine code of compiled blocks.
    var code: CodeBuffer
    /// The guest registers compiled code keeps in host registers.
    let registers: RegisterAssignment
    /// Where compiled code finds registers, flags and the jump table (which mirrors `table`).
    let context: ExecutionContext
    /// Bumped by every `flush()`: code addresses from before it are gone.
    private(set) var flushes = 0

    init(context: ExecutionContext, registers: RegisterAssignment) {
        self.context = context
        self.registers = registers
        code = CodeBuffer(registers: registers)
        table = .allocate(capacity: BlockCache.tableSize)
        table.initialize(repeating: Entry(), count: BlockCache.tableSize)
        instructions = .allocate(capacity: BlockCache.capacity)
        addresses = .allocate(capacity: BlockCache.capacity)
        starts = .allocate(capacity: BlockCache.serialCapacity)
        ends = .allocate(capacity: BlockCache.serialCapacity)
    }

    func deallocate() {
        code.deallocate()
        table.deallocate()
        instructions.deallocate()
        addresses.deallocate()
        starts.deallocate()
        ends.deallocate()
    }

    /// Forgets every block (when the instruction store is full). `Machine.flushBlocks()` first
    /// keeps what the executed-block flags say.
    mutating func flush() {
        table.update(repeating: Entry(), count: BlockCache.tableSize)
        context.clearJumpTable()
        used = 0
        serials = 0
        code.empty()
        flushes += 1
    }

    /// The slot of `table` (and of the jump table) where the block at `pc` goes.
    @inline(__always)
    static func slot(of pc: UInt32) -> Int { Int((pc >> 1) & UInt32(tableSize - 1)) }
}

extension Machine {
    /// The block that starts at `pc`, translating it on a miss. Nil when not even the first
    /// instruction can be fetched (the caller raises the fault).
    @inline(__always)
    func block(at pc: UInt32) -> UnsafeMutablePointer<BlockCache.Entry>? {
        let entry = blocks.table + BlockCache.slot(of: pc)
        // Fast path: no code page has been invalidated since this entry was last checked.
        if entry.pointee.pc == pc && entry.pointee.epoch == codeEpoch { return entry }
        return revalidateOrTranslate(at: pc, entry)
    }

    @inline(never)
    private func revalidateOrTranslate(at pc: UInt32, _ entry: UnsafeMutablePointer<BlockCache.Entry>)
        -> UnsafeMutablePointer<BlockCache.Entry>?
    {
        if entry.pointee.pc == pc
            && pageGenerations[Int(entry.pointee.firstPage)] == entry.pointee.firstPageGeneration
            && pageGenerations[Int(entry.pointee.lastPage)] == entry.pointee.lastPageGeneration
        {
            entry.pointee.epoch = codeEpoch
            return entry
        }
        return translate(at: pc, into: entry) ? entry : nil
    }

    /// Decodes the block at `pc` into `entry`.
    @inline(never)
    private func translate(at pc: UInt32, into entry: UnsafeMutablePointer<BlockCache.Entry>) -> Bool {
        if blocks.used + BlockCache.maxLength > BlockCache.capacity
            || blocks.serials == BlockCache.serialCapacity
        {
            flushBlocks()
        }
        let start = blocks.used
        var address = pc
        var count = 0
        while count < BlockCache.maxLength {
            // A breakpoint always starts a block, so the dispatcher sees it.
            if count > 0 && !breakpoints.isEmpty && breakpoints.contains(address) { break }
            guard let low = fetchParcel(at: address) else { break }
            var bits = UInt32(low)
            if bits & 3 == 3 {
                guard let high = fetchParcel(at: address &+ 2) else { break }
                bits |= UInt32(high) << 16
            }
            var instruction = DecodedInstruction.decode(bits)
            switch instruction.kind {
            case .auipc:
                instruction.kind = .lui
                instruction.immediate = address &+ instruction.immediate
            case .jal, .beq, .bne, .blt, .bge, .bltu, .bgeu:
                instruction.immediate = address &+ instruction.immediate
            default: break
            }
            blocks.instructions[start + count] = instruction
            blocks.addresses[start + count] = address
            count += 1
            address &+= instruction.length
            if instruction.endsBlock { break }
        }
        guard count > 0 else { return false }
        blocks.used += count
        // The reset ROM never changes: its blocks watch the extra page generation no store bumps.
        let isInROM = isInResetROM(pc)
        let firstPage = isInROM ? UInt32(pageCount) : (pc &- ramBase) >> 12
        let lastPage = isInROM ? UInt32(pageCount) : (address &- 1 &- ramBase) >> 12
        if !isInROM {
            for line
                in ((pc &- ramBase) >> Machine.lineShift)...((address &- 1 &- ramBase) >> Machine.lineShift)
            {
                codeLines.set(Int(line))
                watchedLines.set(Int(line))
            }
        }
        let serial = blocks.serials
        blocks.starts[serial] = pc
        blocks.ends[serial] = address
        blocks.serials += 1
        var compiled: UnsafeRawPointer?
        if compilesBlocks, let origin = blocks.code.nextAddress, let runtime = blocks.code.runtime {
            let pages = isInROM ? [] : Array(Set([Int(firstPage), Int(lastPage)]).sorted())
            let block = BlockCompiler.Block(
                isBreakpoint: breakpoints.contains(pc),
                instructions: UnsafeBufferPointer(start: blocks.instructions + start, count: count),
                addresses: blocks.addresses + start, end: address,
                pages: pages.map { ($0, pageGenerations[$0]) },
                serial: serial)
            let layout = BlockCompiler.Layout(
                ramBase: ramBase, ramSize: ramSize,
                performsMisalignedLoads: board.misalignedAccess == .perform,
                context: context, runtime: runtime, registers: blocks.registers)
            compiled = blocks.code.add(BlockCompiler.compile(block, layout: layout, origin: origin))
            if compiled == nil {
                // Out of code space: start over (this block's instructions move to the front).
                flushBlocks()
                return translate(at: pc, into: entry)
            }
        }
        context.setJumpTableEntry(BlockCache.slot(of: pc), pc: pc, code: compiled)
        let body = compiled.map { breakpoints.contains(pc) ? $0 + BlockCompiler.breakpointGuardLength : $0 }
        entry.pointee = BlockCache.Entry(
            pc: pc, epoch: codeEpoch, firstPageGeneration: pageGenerations[Int(firstPage)],
            lastPageGeneration: pageGenerations[Int(lastPage)], firstPage: firstPage, lastPage: lastPage,
            start: Int32(start), count: Int32(count), end: address,
            serial: Int32(serial),
            compiled: compiled, compiledBody: body)
        return true
    }

    /// The 16-bit instruction parcel at `address`, from RAM or the reset ROM; nil where
    /// nothing can be fetched.
    func fetchParcel(at address: UInt32) -> UInt16? {
        let offset = address &- ramBase
        if offset < ramSize &- 1 { return ram.loadUnaligned(fromByteOffset: Int(offset), as: UInt16.self) }
        return readResetROM(address, size: 2).map { UInt16(truncatingIfNeeded: $0) }
    }

    /// Marks every translation on RAM page `index` stale.
    @inline(__always)
    func invalidatePage(_ index: Int) {
        pageGenerations[index] &+= 1
        codeEpoch &+= 1
    }
}
