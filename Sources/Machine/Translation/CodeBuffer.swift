#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Executable memory for compiled blocks: one mapping, filled front to back and emptied all
/// at once when full (together with the block table that points into it).
struct CodeBuffer {
    /// A compiled block (see `BlockCompiler` for the contract).
    typealias Function =
        @convention(c) (
            UnsafeMutablePointer<UInt32>, UnsafeMutableRawPointer, UnsafeMutablePointer<UInt8>,
            UnsafeMutablePointer<UInt8>,
            UnsafeMutablePointer<UInt8>
        ) -> UInt64

    static let size = 32 << 20
    let base: UnsafeMutableRawPointer?
    var used = 0

    /// Maps the buffer; `base` is nil where the system refuses executable memory.
    init() {
        let mapping = mmap(
            nil, CodeBuffer.size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        base = mapping == MAP_FAILED ? nil : mapping
    }

    func deallocate() {
        if let base { munmap(base, CodeBuffer.size) }
    }

    /// Copies `code` in and returns it as a function, or nil when the buffer is full.
    mutating func add(_ code: [UInt8]) -> Function? {
        guard let base, used + code.count <= CodeBuffer.size else { return nil }
        let start = base + used
        code.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: code.count) }
        }
        used = (used + code.count + 15) & ~15
        return unsafeBitCast(start, to: Function.self)
    }
}
