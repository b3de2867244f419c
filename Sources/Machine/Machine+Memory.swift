/// The slow side of loads and stores (the fast side is inline in `Machine+Execute.swift` and
/// in compiled blocks): devices, misaligned addresses and holes in the map go through here to
/// `Machine+Bus.swift`; also the RAM access debuggers and devices use.
///
/// Misaligned loads and stores (the privileged spec allows either) are performed, as QEMU's
/// `virt` hart performs them, when every byte lies in RAM or the reset ROM; one that touches a
/// device or a hole raises the access fault (mtval = the address). On a board with
/// `misalignedAccess: .trap` they raise address-misaligned instead (cause 4 or 6, mtval = the
/// address). LR/SC and AMOs always raise address-misaligned (`Machine+Execute.swift`).
extension Machine {
    /// Marks the page dirty (one flag write per store) and tells watched lines (translated
    /// code, HTIF's tohost) about the store.
    @inline(__always)
    func noteStore(offset: UInt32, size: UInt32 = 4) {
        dirtyGranules.set(Int(offset >> Machine.granuleShift))
        dirtyPages.set(Int(offset >> 12))
        if watchedLines.contains(Int(offset >> Machine.lineShift)) {
            storeToWatchedLine(offset: offset, size: size)
            chunkEnd = 0
        }
    }

    @inline(never)
    func loadSlowly(_ address: UInt32, size: UInt32) -> UInt32? {
        let value = loadSlowlyUnwatched(address, size: size)
        if value != nil && readWatch != nil { noteWatchedLoad(address, size: size) }
        return value
    }

    private func loadSlowlyUnwatched(_ address: UInt32, size: UInt32) -> UInt32? {
        if address & (size - 1) != 0 {
            if board.misalignedAccess == .trap {
                raiseException(TrapCause.loadMisaligned, value: address)
                return nil
            }
            if let offset = ramOffset(of: address, size: size) {
                // Only words and halfwords can be misaligned.
                if size == 4 { return ram.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self) }
                return UInt32(ram.loadUnaligned(fromByteOffset: Int(offset), as: UInt16.self))
            }
            if let value = readResetROM(address, size: size) { return value }
            raiseException(TrapCause.loadAccessFault, value: address)
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
            if board.misalignedAccess == .trap {
                raiseException(TrapCause.storeMisaligned, value: address)
                return false
            }
            if let offset = ramOffset(of: address, size: size) {
                if size == 4 {
                    ram.storeBytes(of: value, toByteOffset: Int(offset), as: UInt32.self)
                } else {
                    ram.storeBytes(
                        of: UInt16(truncatingIfNeeded: value), toByteOffset: Int(offset), as: UInt16.self)
                }
                // The bytes may straddle two granules, lines and pages: both are noted.
                noteStore(offset: offset, size: size)
                let last = offset + size - 1
                if last >> Machine.lineShift != offset >> Machine.lineShift {
                    noteStore(offset: last, size: 1)
                } else {
                    dirtyGranules.set(Int(last >> Machine.granuleShift))
                }
                return true
            }
            // Ignored, as on QEMU.
            if isInResetROM(address) && isInResetROM(address &+ size &- 1) { return true }
            raiseException(TrapCause.storeAccessFault, value: address)
            return false
        }
        guard writeDevice(address, value, size: size) else {
            raiseException(TrapCause.storeAccessFault, value: address)
            return false
        }
        return true
    }

    /// The RAM offset of an access of `size` bytes at `address`, when all of it lies in RAM.
    @inline(__always)
    func ramOffset(of address: UInt32, size: UInt32) -> UInt32? {
        let offset = address &- ramBase
        return address >= ramBase && UInt64(offset) + UInt64(size) <= UInt64(ramSize) ? offset : nil
    }

    // MARK: Access for debuggers and devices (no traps, no side effects on devices)

    /// Reads `count` bytes of RAM at `address`; nil when any byte lies outside RAM.
    public func readRAM(_ address: UInt32, count: Int) -> [UInt8]? {
        let offset = UInt64(address) &- UInt64(ramBase)
        guard address >= ramBase, count >= 0, offset + UInt64(count) <= UInt64(ramSize) else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: ram + Int(offset), count: count))
    }

    /// Reads `count` bytes at `address` as a debugger sees memory: RAM and the reset ROM
    /// (devices are not read: reading them can have effects). Nil when any byte lies elsewhere.
    public func readMemory(_ address: UInt32, count: Int) -> [UInt8]? {
        if let bytes = readRAM(address, count: count) { return bytes }
        guard count >= 0, isInResetROM(address), count == 0 || isInResetROM(address &+ UInt32(count - 1)),
            UInt64(address) + UInt64(count) <= UInt64(ResetROM.base + ResetROM.size)
        else { return nil }
        return (0..<count).compactMap { readResetROM(address &+ UInt32($0), size: 1).map { UInt8($0) } }
    }

    /// Writes bytes into RAM as a device would (marks pages dirty); false when out of RAM.
    @discardableResult
    func writeRAM(_ address: UInt32, _ bytes: [UInt8]) -> Bool {
        let offset = UInt64(address) &- UInt64(ramBase)
        guard address >= ramBase, offset + UInt64(bytes.count) <= UInt64(ramSize) else { return false }
        for (index, byte) in bytes.enumerated() {
            ram.storeBytes(of: byte, toByteOffset: Int(offset) + index, as: UInt8.self)
            let page = (Int(offset) + index) >> 12
            dirtyGranules.set((Int(offset) + index) >> Int(Machine.granuleShift))
            dirtyPages.set(page)
            invalidatePage(page)
        }
        if let watch = writeWatch, address < watch.upperBound,
            UInt64(address) + UInt64(bytes.count) > UInt64(watch.lowerBound)
        {
            transientStop = .watchpoint(pc: pc)
            chunkEnd = 0
        }
        return true
    }

    /// The instruction bits at `address` as a debugger reads them: the halfword, and the next
    /// one too when the low bits say the instruction is 32-bit (and it can be fetched). Nil
    /// when the first halfword is neither in RAM nor in the reset ROM.
    public func instructionBits(at address: UInt32) -> UInt32? {
        guard let low = fetchParcel(at: address) else { return nil }
        var bits = UInt32(low)
        if bits & 3 == 3, let high = fetchParcel(at: address &+ 2) {
            bits |= UInt32(high) << 16
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
