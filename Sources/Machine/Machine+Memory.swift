/// The slow side of loads and stores (the fast side is inline in `Machine+Execute.swift` and
/// in compiled blocks): devices, misaligned addresses and holes in the map go through here to
/// `Machine+Bus.swift`; also the RAM access debuggers and devices use.
///
/// Misaligned loads and stores trap (address-misaligned exception, mtval = the address): the
/// privileged spec allows either trapping or emulating them; trapping makes firmware bugs
/// visible. QEMU 7.2 performs them instead, so differential tests avoid them.
extension Machine {
    /// Marks the page dirty (one flag write per store) and tells watched lines (translated
    /// code, HTIF's tohost) about the store.
    @inline(__always)
    func noteStore(offset: UInt32, size: UInt32 = 4) {
        dirtyLines.set(Int(offset >> Machine.lineShift))
        dirtyPages.set(Int(offset >> 12))
        if watchedLines.contains(Int(offset >> Machine.lineShift)) {
            storeToWatchedLine(offset: offset, size: size)
            chunkEnd = 0
        }
    }

    @inline(never)
    func loadSlowly(_ address: UInt32, size: UInt32) -> UInt32? {
        if address & (size - 1) != 0 {
            raiseException(TrapCause.loadMisaligned, value: address)
            return nil
        }
        guard let value = readDevice(address, size: size) else {
            raiseException(TrapCause.loadAccessFault, value: address)
            return nil
        }
        return value
    }

    @inline(never)
    func storeSlowly(_ address: UInt32, _ value: UInt32, size: UInt32) -> Bool {
        if address & (size - 1) != 0 {
            raiseException(TrapCause.storeMisaligned, value: address)
            return false
        }
        guard writeDevice(address, value, size: size) else {
            raiseException(TrapCause.storeAccessFault, value: address)
            return false
        }
        return true
    }

    // MARK: Access for debuggers and devices (no traps, no side effects on devices)

    /// Reads `count` bytes of RAM at `address`; nil when any byte lies outside RAM.
    public func readRAM(_ address: UInt32, count: Int) -> [UInt8]? {
        let offset = UInt64(address) &- UInt64(ramBase)
        guard address >= ramBase, count >= 0, offset + UInt64(count) <= UInt64(ramSize) else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: ram + Int(offset), count: count))
    }

    /// Writes bytes into RAM as a device would (marks pages dirty); false when out of RAM.
    @discardableResult
    func writeRAM(_ address: UInt32, _ bytes: [UInt8]) -> Bool {
        let offset = UInt64(address) &- UInt64(ramBase)
        guard address >= ramBase, offset + UInt64(bytes.count) <= UInt64(ramSize) else { return false }
        for (index, byte) in bytes.enumerated() {
            ram.storeBytes(of: byte, toByteOffset: Int(offset) + index, as: UInt8.self)
            let page = (Int(offset) + index) >> 12
            dirtyLines.set((Int(offset) + index) >> Int(Machine.lineShift))
            dirtyPages.set(page)
            invalidatePage(page)
        }
        if let watch = writeWatch, address < watch.upperBound, UInt64(address) + UInt64(bytes.count) > UInt64(watch.lowerBound) {
            transientStop = .watchpoint(pc: pc)
            chunkEnd = 0
        }
        return true
    }

    /// The instruction bits at `address` as a debugger reads them: the halfword, and the next
    /// one too when the low bits say the instruction is 32-bit (and it is in RAM). Nil when the
    /// first halfword is not in RAM.
    public func instructionBits(at address: UInt32) -> UInt32? {
        guard let low = readRAM(address, count: 2) else { return nil }
        var bits = UInt32(low[0]) | UInt32(low[1]) << 8
        if bits & 3 == 3, let high = readRAM(address &+ 2, count: 2) {
            bits |= UInt32(high[0]) << 16 | UInt32(high[1]) << 24
        }
        return bits
    }

    /// A little-endian word of RAM, or nil outside RAM.
    func readRAMWord(_ address: UInt32) -> UInt32? {
        let offset = address &- ramBase
        guard address >= ramBase, offset <= ramSize &- 4 else { return nil }
        return ram.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self)
    }
}
