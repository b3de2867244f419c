/// One byte per RAM page (or line, granule, block), used as a flag: a store sets or tests it with
/// a single byte access, which the interpreter and compiled code can both do in one
/// instruction (a bitmap would need a read-modify-write).
struct ByteFlags {
    /// The flag bytes (0 or 1), `count` of them; padded to a multiple of 8 for word scans.
    let bytes: UnsafeMutablePointer<UInt8>
    let count: Int
    private var paddedCount: Int { (count + 7) & ~7 }

    init(count: Int) {
        self.count = count
        bytes = .allocate(capacity: (count + 7) & ~7)
        bytes.initialize(repeating: 0, count: (count + 7) & ~7)
    }

    /// Flags in memory someone else owns (`ExecutionContext`), zeroed and padded by the owner.
    init(viewing bytes: UnsafeMutablePointer<UInt8>, count: Int) {
        self.bytes = bytes
        self.count = count
    }

    /// Frees flags made by `init(count:)`.
    func deallocate() { bytes.deallocate() }

    @inline(__always) func set(_ index: Int) { bytes[index] = 1 }
    @inline(__always) func clear(_ index: Int) { bytes[index] = 0 }
    @inline(__always) func contains(_ index: Int) -> Bool { bytes[index] != 0 }

    func clearAll() { bytes.update(repeating: 0, count: paddedCount) }

    /// Calls `body` with every flagged index, in increasing order; skips clear words fast.
    func forEach(_ body: (Int) -> Void) {
        let words = UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt64.self)
        for word in 0..<(paddedCount / 8) where words[word] != 0 {
            for page in (word * 8)..<min(word * 8 + 8, count) where bytes[page] != 0 { body(page) }
        }
    }
}
