/// One byte per RAM page, used as a flag: a store sets it with a single byte write, which the
/// interpreter and the translated code can both do in one instruction (a bitmap would need a
/// read-modify-write).
struct PageFlags {
    /// The flag bytes (0 or 1), `count` of them; padded to a multiple of 8 for word scans.
    let bytes: UnsafeMutablePointer<UInt8>
    let count: Int
    private var paddedCount: Int { (count + 7) & ~7 }

    init(count: Int) {
        self.count = count
        bytes = .allocate(capacity: (count + 7) & ~7)
        bytes.initialize(repeating: 0, count: (count + 7) & ~7)
    }

    func deallocate() { bytes.deallocate() }

    @inline(__always) func set(_ page: Int) { bytes[page] = 1 }
    @inline(__always) func clear(_ page: Int) { bytes[page] = 0 }
    @inline(__always) func contains(_ page: Int) -> Bool { bytes[page] != 0 }

    func clearAll() { bytes.update(repeating: 0, count: paddedCount) }

    /// Calls `body` with every flagged page, in increasing order; skips clear words fast.
    func forEach(_ body: (Int) -> Void) {
        let words = UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt64.self)
        for word in 0..<(paddedCount / 8) where words[word] != 0 {
            for page in (word * 8)..<min(word * 8 + 8, count) where bytes[page] != 0 { body(page) }
        }
    }
}
