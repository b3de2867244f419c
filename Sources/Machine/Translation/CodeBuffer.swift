#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Executable memory for compiled code: `CompiledRuntime` at the start, then compiled blocks
/// filled front to back and emptied all at once when full (together with the block table and
/// the jump table that point into it).
struct CodeBuffer {
    static let size = 32 << 20
    let base: UnsafeMutableRawPointer?
    /// The shared routines blocks run between (nil where there is no executable memory).
    let runtime: CompiledRuntime?
    private let runtimeSize: Int
    private(set) var used = 0

    /// Maps the buffer and places the runtime for `registers`; `base` is nil where the system
    /// refuses executable memory (or the host is not x86-64), and nothing is ever compiled.
    init(registers: RegisterAssignment) {
        #if arch(x86_64)
            let mapping = mmap(
                nil, CodeBuffer.size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            base = mapping == MAP_FAILED ? nil : mapping
        #else
            base = nil
        #endif
        guard let base else {
            runtime = nil
            runtimeSize = 0
            return
        }
        let (runtime, code) = CompiledRuntime.assemble(at: UInt(bitPattern: base), registers: registers)
        self.runtime = runtime
        runtimeSize = (code.count + 63) & ~63
        used = runtimeSize
        copy(code, to: base)
    }

    func deallocate() {
        if let base { munmap(base, CodeBuffer.size) }
    }

    /// Where the next block's code will start.
    var nextAddress: UInt? { base.map { UInt(bitPattern: $0 + used) } }

    /// Copies `code`, assembled for `nextAddress`, in; nil when the buffer is full.
    mutating func add(_ code: [UInt8]) -> UnsafeRawPointer? {
        guard let base, used + code.count <= CodeBuffer.size else { return nil }
        let start = base + used
        copy(code, to: start)
        used = (used + code.count + 15) & ~15
        return UnsafeRawPointer(start)
    }

    /// Forgets every block (the runtime stays).
    mutating func empty() { used = runtimeSize }

    /// Makes the code at `entry` jump to `target` instead (a stale block forwarded to its new
    /// translation, so that jumps already linked to it reach the new code).
    func forward(_ entry: UInt, to target: UnsafeRawPointer) {
        guard let pointer = UnsafeMutableRawPointer(bitPattern: entry) else { return }
        let relative = Int64(Int(bitPattern: target)) - Int64(bitPattern: UInt64(entry) + 5)
        pointer.storeBytes(of: 0xE9, as: UInt8.self)
        pointer.storeBytes(of: Int32(truncatingIfNeeded: relative), toByteOffset: 1, as: Int32.self)
    }

    private func copy(_ code: [UInt8], to start: UnsafeMutableRawPointer) {
        code.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: code.count) }
        }
    }
}
