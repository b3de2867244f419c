#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The memory compiled code reaches through one host register: guest registers, the run's
/// step budget, the flag arrays that stores and blocks set, the page generations that say
/// whether a translation is current, and the jump table that finds compiled blocks by pc.
///
/// One allocation, so that every field is a constant displacement from its base (`r15` in
/// compiled code) and each flag costs one instruction to set or test:
///
/// ```
///   0      x[0…32]                       guest registers; slot 32 swallows writes to x0
///   136    budget (Int64)                steps compiled code may still run
///   144    stale entry (UInt64)          a block that found itself stale (see BlockCompiler)
///   152    RAM (pointer)
///   256    jump table                    BlockCache.tableSize entries of {pc: UInt32, _, code: UInt64}
///   …      dirty granules, watched lines, dirty pages, executed blocks (ByteFlags), page generations
/// ```
///
/// The interpreter and the rest of `Machine` use the same memory through `Machine.x` and the
/// `ByteFlags` views, so nothing is copied between the two.
struct ExecutionContext {
    static let registersOffset = 0
    static let budgetOffset = 136
    static let staleEntryOffset = 144
    static let ramPointerOffset = 152
    static let jumpTableOffset = 256
    /// Bytes per jump-table entry: the block's pc (UInt32, padded) and its code address.
    static let jumpTableEntrySize = 16

    let base: UnsafeMutableRawPointer
    let dirtyGranulesOffset: Int
    let watchedLinesOffset: Int
    let dirtyPagesOffset: Int
    let executedBlocksOffset: Int
    let pageGenerationsOffset: Int
    private let size: Int

    /// Lays out a context for `granuleCount` 8-byte granules, `lineCount` 64-byte lines,
    /// `pageCount` pages and `blockCount` executed-block flags, all zero, with RAM at `ram`.
    /// The memory comes zeroed from the kernel and is touched only where used (the granule
    /// flags are an eighth of RAM's size).
    /// Nil when the memory cannot be mapped.
    init?(granuleCount: Int, lineCount: Int, pageCount: Int, blockCount: Int, ram: UnsafeMutableRawPointer) {
        func padded(_ count: Int) -> Int { (count + 63) & ~63 }
        var offset =
            ExecutionContext.jumpTableOffset + BlockCache.tableSize * ExecutionContext.jumpTableEntrySize
        func reserve(_ count: Int) -> Int {
            defer { offset += padded(count) }
            return offset
        }
        dirtyGranulesOffset = reserve(granuleCount)
        watchedLinesOffset = reserve(lineCount)
        dirtyPagesOffset = reserve(pageCount)
        executedBlocksOffset = reserve(blockCount)
        pageGenerationsOffset = reserve((pageCount + 1) * 4)
        size = offset
        let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let memory, memory != MAP_FAILED else { return nil }
        base = memory
        base.storeBytes(
            of: ram, toByteOffset: ExecutionContext.ramPointerOffset, as: UnsafeMutableRawPointer.self)
        clearJumpTable()
    }

    func deallocate() { munmap(base, size) }

    var registers: UnsafeMutablePointer<UInt32> {
        (base + ExecutionContext.registersOffset).assumingMemoryBound(to: UInt32.self)
    }

    /// Steps compiled code may still run; compiled code counts it down.
    var budget: Int64 {
        get { base.load(fromByteOffset: ExecutionContext.budgetOffset, as: Int64.self) }
        nonmutating set {
            base.storeBytes(of: newValue, toByteOffset: ExecutionContext.budgetOffset, as: Int64.self)
        }
    }

    /// The entry of the block that last left compiled code because it was stale.
    var staleEntry: UInt {
        base.load(fromByteOffset: ExecutionContext.staleEntryOffset, as: UInt.self)
    }

    /// A flag array at `offset` with `count` entries.
    func flags(at offset: Int, count: Int) -> ByteFlags {
        ByteFlags(viewing: (base + offset).assumingMemoryBound(to: UInt8.self), count: count)
    }

    var pageGenerations: UnsafeMutablePointer<UInt32> {
        (base + pageGenerationsOffset).assumingMemoryBound(to: UInt32.self)
    }

    /// Points jump-table slot `index` at `code`, the compiled block for `pc` (nil: no block).
    func setJumpTableEntry(_ index: Int, pc: UInt32, code: UnsafeRawPointer?) {
        let entry = base + ExecutionContext.jumpTableOffset + index * ExecutionContext.jumpTableEntrySize
        // pc 1 is never an instruction address: the slot never matches.
        entry.storeBytes(of: code == nil ? 1 : pc, as: UInt32.self)
        entry.storeBytes(of: UInt(bitPattern: code), toByteOffset: 8, as: UInt.self)
    }

    /// Empties the jump table (with the code buffer it points into).
    func clearJumpTable() {
        for index in 0..<BlockCache.tableSize { setJumpTableEntry(index, pc: 1, code: nil) }
    }
}
