/// Everything about a machine except RAM contents, as a value: the hart, its CSRs, the
/// counters that simulated time derives from, and every device. Together with RAM it
/// determines the whole future of a run (see `Machine.stateHash`).
public struct MachineState: Equatable, Sendable, Codable {
    /// Steps since reset.
    public var step: UInt64
    /// The address of the next instruction.
    public var pc: UInt32
    /// x0…x31.
    public var x: [UInt32]
    /// The stored CSRs (counters are derived from the steps).
    public var csr: ControlStatusRegisters
    /// Trap entries and idle waits so far (minstret = step − nonRetiredSteps).
    public var nonRetiredSteps: UInt64
    /// Cycles skipped by WFI idle waits.
    public var idleCycles: UInt64
    /// LR/SC reservation address (1 = none).
    public var reservation: UInt32
    /// After a WFI, until an enabled interrupt is pending.
    public var isWaitingForInterrupt: Bool
    /// The trap entered at this very step (nil at any other step): the state right after a
    /// trap entry needs it to tell whether the handler's first instruction can run
    /// (`Machine+Traps.swift`). The name is the one earlier builds stored.
    public var pendingTrap: Trap?
    /// UART0.
    public var uart: UART16550
    /// The CLINT (msip, mtimecmp; mtime derives from the cycles).
    public var clint: CLINT
    /// The PLIC.
    public var plic: PLIC
    /// Semihosting's state.
    public var semihosting: Semihosting
    /// HTIF's state.
    public var htif: HTIF

    /// The shape earlier builds named; the same value as every other trap.
    public typealias PendingTrap = Trap

    /// Why this state cannot be restored (wrong array sizes, values out of range), or nil.
    /// States read from files are checked with this first.
    public var validationProblem: String? {
        if x.count != 32 { return "\(x.count) registers instead of 32" }
        if csr.pmpcfg.count != 4 || csr.pmpaddr.count != 16 { return "wrong number of PMP registers" }
        if uart.receiveFIFO.count > UART16550.fifoDepth {
            return "a UART receive FIFO of \(uart.receiveFIFO.count) bytes"
        }
        let words = PLIC.sourceCount / 32
        if plic.priority.count != PLIC.sourceCount || plic.pending.count != words
            || plic.claimed.count != words
            || plic.level.count != words || plic.enable.count != words * PLIC.contextCount
            || plic.threshold.count != PLIC.contextCount
        {
            return "PLIC arrays of the wrong size"
        }
        if nonRetiredSteps > step { return "more non-retired steps than steps" }
        return nil
    }

    /// Privilege mode: always 3 (machine); this hart implements M-mode only.
    public var privilege: Int { 3 }
    /// Simulated cycles (one per step plus idle skips).
    public var cycles: UInt64 { step &+ idleCycles }
    /// mcycle as the firmware reads it.
    public var mcycle: UInt64 { csr.mcountinhibit & 1 != 0 ? csr.mcycleFrozen : cycles &+ csr.mcycleOffset }
    /// minstret as the firmware reads it.
    public var minstret: UInt64 {
        csr.mcountinhibit & 4 != 0 ? csr.minstretFrozen : (step &- nonRetiredSteps) &+ csr.minstretOffset
    }
    /// The CLINT's mtime.
    public var mtime: UInt64 { cycles / CLINT.cyclesPerTick &+ clint.mtimeOffset }
}

/// A complete machine state: `MachineState` plus every RAM page that is not all zeros.
public struct MachineSnapshot: Equatable, Sendable {
    /// Everything but RAM.
    public var state: MachineState
    /// Page index → 4096 bytes, for every non-zero page.
    public var pages: [Int: [UInt8]]
}

extension Machine {
    /// Register x`index` (0…31) right now, without building a whole state.
    public func register(_ index: Int) -> UInt32 { index == 0 ? 0 : x[index & 31] }

    /// The trap entered at this very step, if the step was a trap entry (`state.pendingTrap`
    /// without building the whole state).
    public var trapEnteredAtThisStep: Trap? { lastTrapEntry.flatMap { $0.step == step ? $0 : nil } }

    /// The current state without RAM.
    public var state: MachineState {
        MachineState(
            step: step, pc: pc, x: Array(UnsafeBufferPointer(start: x, count: 32)), csr: csr,
            nonRetiredSteps: nonRetiredSteps, idleCycles: idleCycles, reservation: reservation,
            isWaitingForInterrupt: isWaitingForInterrupt,
            pendingTrap: trapEnteredAtThisStep,
            uart: uart, clint: clint, plic: plic, semihosting: semihosting, htif: htif)
    }

    /// Replaces everything but RAM with `state`. Clears any halt, so the machine can run on.
    public func restore(_ state: MachineState) {
        step = state.step
        pc = state.pc
        for index in 0..<32 { x[index] = index < state.x.count ? state.x[index] : 0 }
        x[0] = 0
        csr = state.csr
        nonRetiredSteps = state.nonRetiredSteps
        idleCycles = state.idleCycles
        reservation = state.reservation
        isWaitingForInterrupt = state.isWaitingForInterrupt
        lastTrapEntry = state.pendingTrap
        uart = state.uart
        clint = state.clint
        plic = state.plic
        semihosting = state.semihosting
        htif = state.htif
        haltReason = nil
        recomputeTimerDeadline()
    }

    /// Indices of the RAM pages that are not all zeros.
    public func nonZeroPages() -> [Int] {
        var pages: [Int] = []
        forEachTouchedPage { index in
            if !isZeroPage(index) { pages.append(index) }
        }
        return pages
    }

    /// Captures the whole machine, RAM included (only non-zero pages are copied).
    public func snapshot() -> MachineSnapshot {
        var pages: [Int: [UInt8]] = [:]
        forEachTouchedPage { index in
            if !isZeroPage(index) { pages[index] = page(index) }
        }
        return MachineSnapshot(state: state, pages: pages)
    }

    /// Restores a snapshot taken from a machine with the same board.
    public func restore(_ snapshot: MachineSnapshot) {
        forEachTouchedPage { index in
            if snapshot.pages[index] == nil { zeroPage(index) }
        }
        touchedPages.clearAll()
        for (index, bytes) in snapshot.pages where index >= 0 && index < pageCount {
            writePage(index, bytes)
        }
        clearDirtyGranules()
        dirtyPages.clearAll()
        restore(snapshot.state)
    }

    // MARK: Pages

    /// A copy of RAM page `index`.
    public func page(_ index: Int) -> [UInt8] {
        precondition(index >= 0 && index < pageCount, "page index out of range")
        return [UInt8](UnsafeRawBufferPointer(start: ram + index * Machine.pageSize, count: Machine.pageSize))
    }

    /// Overwrites RAM page `index` with `bytes` (at most a page; the rest is zeroed).
    public func writePage(_ index: Int, _ bytes: [UInt8]) {
        precondition(index >= 0 && index < pageCount, "page index out of range")
        let base = ram + index * Machine.pageSize
        let count = min(bytes.count, Machine.pageSize)
        bytes.withUnsafeBytes { source in
            if let address = source.baseAddress { base.copyMemory(from: address, byteCount: count) }
        }
        if count < Machine.pageSize {
            (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: Machine.pageSize - count)
        }
        touchedPages.set(index)
        invalidatePage(index)
    }

    func zeroPage(_ index: Int) {
        (ram + index * Machine.pageSize).initializeMemory(
            as: UInt8.self, repeating: 0, count: Machine.pageSize)
        invalidatePage(index)
    }

    func isZeroPage(_ index: Int) -> Bool {
        let words = (ram + index * Machine.pageSize).assumingMemoryBound(to: UInt64.self)
        for word in 0..<(Machine.pageSize / 8) where words[word] != 0 { return false }
        return true
    }

    /// Returns the pages stored to since the last call, each with masks of its 64-byte lines
    /// and 8-byte granules that were stored to (`PageDelta`), and starts a new interval.
    /// Stored-to pages also count as touched (for hashing and snapshots).
    public func takeDirtyLines() -> [PageDelta] {
        var result: [PageDelta] = []
        let granulesPerPage = Machine.pageSize >> Int(Machine.granuleShift)
        dirtyPages.forEach { page in
            // Eight granule flags (bytes of 0 or 1) are one word: one line.
            let flags = UnsafeMutableRawPointer(dirtyGranules.bytes + page * granulesPerPage)
            let words = flags.assumingMemoryBound(to: UInt64.self)
            var lines: UInt64 = 0
            var granules = SIMD8<UInt64>(repeating: 0)
            for line in 0..<64 where words[line] != 0 {
                lines |= 1 << UInt64(line)
                var bits: UInt64 = 0
                for granule in 0..<8 where (words[line] >> UInt64(granule * 8)) & 0xFF != 0 {
                    bits |= 1 << UInt64(granule)
                }
                granules[line >> 3] |= bits << UInt64((line & 7) * 8)
                words[line] = 0
            }
            dirtyPages.clear(page)
            touchedPages.set(page)
            result.append(PageDelta(page: page, lines: lines, granules: granules))
        }
        return result
    }

    /// Clears the granule flags of every dirty page (no others are set).
    func clearDirtyGranules() {
        let granulesPerPage = Machine.pageSize >> Int(Machine.granuleShift)
        dirtyPages.forEach { page in
            (dirtyGranules.bytes + page * granulesPerPage).update(repeating: 0, count: granulesPerPage)
        }
    }

    /// Returns the indices of pages stored to since the last call, and starts a new interval.
    public func takeDirtyPages() -> [Int] {
        takeDirtyLines().map(\.page)
    }

    /// Calls `body` for every page written since reset or restore (a superset of the non-zero
    /// pages). Dirty flags stay as they are: the recorder owns them.
    func forEachTouchedPage(_ body: (Int) -> Void) {
        dirtyPages.forEach { touchedPages.set($0) }
        touchedPages.forEach(body)
    }

    // MARK: Hash

    /// A 64-bit hash of everything that determines the future: pc, registers, CSRs, counters,
    /// every device and all of RAM (all-zero pages contribute nothing, so untouched RAM costs
    /// nothing to hash). Equal states hash equally; it is not cryptographic.
    public var stateHash: UInt64 {
        var hasher = StateHasher()
        state.feed(into: &hasher)
        forEachTouchedPage { index in
            guard !isZeroPage(index) else { return }
            hasher.combine(UInt64(index))
            let words = (ram + index * Machine.pageSize).assumingMemoryBound(to: UInt64.self)
            for word in 0..<(Machine.pageSize / 8) { hasher.combine(words[word]) }
        }
        return hasher.finalize()
    }
}

/// A fast, stable 64-bit hash (xxHash64-style rounds); the same on every platform and run.
public struct StateHasher {
    private var accumulator: UInt64 = 0x27D4_EB2F_1656_67C5
    private var count: UInt64 = 0

    /// Starts an empty hash.
    public init() {}

    /// Mixes in one 64-bit word.
    public mutating func combine(_ word: UInt64) {
        var lane = word &* 0xC2B2_AE3D_27D4_EB4F
        lane = (lane << 31) | (lane >> 33)
        lane &*= 0x9E37_79B1_85EB_CA87
        accumulator ^= lane
        accumulator =
            ((accumulator << 27) | (accumulator >> 37)) &* 0x9E37_79B1_85EB_CA87 &+ 0x85EB_CA77_C2B2_AE63
        count &+= 1
    }

    /// Mixes in a byte string (length first, so concatenations differ).
    public mutating func combine(bytes: [UInt8]) {
        combine(UInt64(bytes.count))
        var word: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            word |= UInt64(byte) << (UInt64(index % 8) * 8)
            if index % 8 == 7 {
                combine(word)
                word = 0
            }
        }
        if bytes.count % 8 != 0 { combine(word) }
    }

    /// The hash value.
    public func finalize() -> UInt64 {
        var hash = accumulator ^ count
        hash ^= hash >> 33
        hash &*= 0xC2B2_AE3D_27D4_EB4F
        hash ^= hash >> 29
        hash &*= 0x1656_67B1_9E37_79F9
        hash ^= hash >> 32
        return hash
    }
}

extension MachineState {
    /// Feeds every field into the hasher in a fixed order.
    func feed(into hasher: inout StateHasher) {
        for value in [
            step, UInt64(pc), nonRetiredSteps, idleCycles, UInt64(reservation), isWaitingForInterrupt ? 1 : 0,
        ] {
            hasher.combine(value)
        }
        x.forEach { hasher.combine(UInt64($0)) }
        let c = csr
        for value in [
            c.mstatus, c.mie, c.mip, c.mtvec, c.mscratch, c.mepc, c.mcause, c.mtval, c.mcounteren,
            c.mcountinhibit,
        ] {
            hasher.combine(UInt64(value))
        }
        for value in [c.mcycleOffset, c.minstretOffset, c.mcycleFrozen, c.minstretFrozen] {
            hasher.combine(value)
        }
        (c.pmpcfg + c.pmpaddr).forEach { hasher.combine(UInt64($0)) }
        if let trap = pendingTrap {
            for value in [1, UInt64(trap.cause), UInt64(trap.pc), UInt64(trap.value), trap.step] {
                hasher.combine(value)
            }
        } else {
            hasher.combine(0)
        }
        hasher.combine(bytes: uart.receiveFIFO)
        for value in [uart.ier, uart.lcr, uart.mcr, uart.msr, uart.scr, uart.fcr] {
            hasher.combine(UInt64(value))
        }
        hasher.combine(UInt64(uart.divisor))
        hasher.combine(uart.isTransmitInterruptPending ? 1 : 0)
        for value in [UInt64(clint.msip), clint.mtimecmp, clint.mtimeOffset] { hasher.combine(value) }
        (plic.priority + plic.pending + plic.claimed + plic.enable + plic.threshold + plic.level).forEach {
            hasher.combine(UInt64($0))
        }
        hasher.combine(UInt64(semihosting.featuresPosition))
        hasher.combine(htif.lastCommand)
    }
}
