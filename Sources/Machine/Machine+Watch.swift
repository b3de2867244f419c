/// Breakpoints, the write watch, and the stores that land on watched lines.
///
/// Stores are fast because almost none of them need attention: the store path tests one flag
/// per 64-byte line (`watchedLines`) and only a flagged line costs a call here. A line is
/// flagged while it holds translated code (a store there invalidates the translations), HTIF's
/// tohost, or part of the write watch.
extension Machine {
    /// Replaces the breakpoints. A run stops before executing an instruction at any of them —
    /// also at the pc where it starts — except at `breakpointSkipStep`, the step where the last
    /// breakpoint stop happened, so that running on goes past it.
    public func setBreakpoints(_ addresses: Set<UInt32>) {
        guard addresses != breakpoints else { return }
        breakpoints = addresses
        // Blocks are split at breakpoints when translated: translate again.
        flushBlocks()
    }

    /// Watches writes to `range` (nil: none). A run stops right after a step that stored to
    /// any byte of it, with `.watchpoint(pc:)`.
    public func setWriteWatch(_ range: Range<UInt32>?) {
        let old = writeWatch
        writeWatch = range.flatMap { $0.isEmpty ? nil : $0 }
        for range in [old, writeWatch].compactMap({ $0 }) {
            for page in pages(of: range) { refreshWatchedLines(page: page) }
        }
    }

    /// RAM page indices that `range` touches.
    func pages(of range: Range<UInt32>) -> [Int] {
        let low = max(UInt64(range.lowerBound), UInt64(ramBase))
        let high = min(UInt64(range.upperBound), UInt64(ramBase) + UInt64(ramSize))
        guard low < high else { return [] }
        return Array(Int((low - UInt64(ramBase)) >> 12)...Int((high - 1 - UInt64(ramBase)) >> 12))
    }

    /// A store of `size` bytes at RAM `offset` hit a watched line. It has happened already.
    @inline(never)
    func storeToWatchedLine(offset: UInt32, size: UInt32) {
        if offset &- htifOffset < 8 { htifStore(offset: offset) }
        let line = Int(offset >> Machine.lineShift)
        if codeLines.contains(line) {
            let page = Int(offset >> 12)
            invalidatePage(page)
            // Every block on the page is stale; they flag their lines again when retranslated.
            let linesPerPage = 1 << (12 - Machine.lineShift)
            for line in (page * linesPerPage)..<((page + 1) * linesPerPage) { codeLines.clear(line) }
            refreshWatchedLines(page: page)
            chunkEnd = 0
        }
        if let watch = writeWatch {
            let address = ramBase &+ offset
            if address < watch.upperBound && UInt64(address) + UInt64(size) > UInt64(watch.lowerBound) {
                transientStop = .watchpoint(pc: pc)
                watchedAccess = WatchedAccess(pc: pc, address: address, size: size, isLoad: false)
                chunkEnd = 0
            }
        }
    }

    /// Watches loads from `range` (nil: none): a run stops right after a step whose instruction
    /// loaded any byte of it, with `.watchpoint(pc:)`, and `takeWatchedAccess()` says what it
    /// loaded. Runs are interpreted while a read watch is set.
    public func setReadWatch(_ range: Range<UInt32>?) {
        readWatch = range.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The access that made the last watchpoint stop (nil when none did since the last call:
    /// a device or the host wrote the bytes), and forgets it.
    public func takeWatchedAccess() -> WatchedAccess? {
        defer { watchedAccess = nil }
        return watchedAccess
    }

    /// Tells the read watch about a load of `size` bytes at `address` by the instruction at
    /// `pc` (the caller checked that a read watch is set).
    @inline(never)
    func noteWatchedLoad(_ address: UInt32, size: UInt32) {
        guard let watch = readWatch, address < watch.upperBound,
            UInt64(address) + UInt64(size) > UInt64(watch.lowerBound)
        else { return }
        transientStop = .watchpoint(pc: pc)
        watchedAccess = WatchedAccess(pc: pc, address: address, size: size, isLoad: true)
        chunkEnd = 0
    }

    /// Recomputes the watched flags of one page's lines from their three sources.
    func refreshWatchedLines(page: Int) {
        let linesPerPage = 1 << (12 - Machine.lineShift)
        for line in (page * linesPerPage)..<((page + 1) * linesPerPage) {
            let start = ramBase &+ UInt32(line << Machine.lineShift)
            let end = UInt64(start) + UInt64(1 << Machine.lineShift)
            var watched = codeLines.contains(line)
            if htifOffset != UInt32.max {
                let tohost = ramBase &+ htifOffset
                if UInt64(tohost) < end && UInt64(tohost) + 8 > UInt64(start) { watched = true }
            }
            if let watch = writeWatch,
                UInt64(watch.lowerBound) < end && UInt64(watch.upperBound) > UInt64(start)
            {
                watched = true
            }
            if watched { watchedLines.set(line) } else { watchedLines.clear(line) }
        }
    }

    /// Flags HTIF's tohost lines, if the firmware has one.
    func watchHTIF() {
        guard htifOffset != UInt32.max else { return }
        refreshWatchedLines(page: Int(htifOffset >> 12))
        refreshWatchedLines(page: Int((htifOffset + 7) >> 12))
    }

    /// Returns the chunks of code (`executedChunk(of:)`, in increasing order) that blocks ran
    /// in since the last call, and clears them: every chunk a flagged block's instructions
    /// cover. Costs a scan of one flag per block translated, not of RAM.
    public func takeExecutedChunks() -> [Int] {
        var chunks = executedBeforeFlush
        executedBeforeFlush = []
        takeExecutedBlocks(into: &chunks)
        return chunks.sorted()
    }

    /// Adds the chunks of every flagged block to `chunks` and clears the flags.
    private func takeExecutedBlocks(into chunks: inout Set<Int>) {
        let words = UnsafeMutableRawPointer(executedBlocks.bytes).assumingMemoryBound(to: UInt64.self)
        for word in 0..<((blocks.serials + 7) / 8) where words[word] != 0 {
            for serial in (word * 8)..<(word * 8 + 8) where executedBlocks.contains(serial) {
                guard let first = executedChunk(of: blocks.starts[serial]),
                    let last = executedChunk(of: blocks.ends[serial] &- 1)
                else { continue }
                // A block lies in RAM or in the ROM, so its first chunk is never after its last.
                for chunk in first...max(first, last) { chunks.insert(chunk) }
            }
            words[word] = 0
        }
    }

    /// Forgets every translated block, keeping what their executed flags say for
    /// `takeExecutedChunks()`.
    func flushBlocks() {
        if keepsExecutedChunks {
            takeExecutedBlocks(into: &executedBeforeFlush)
        } else {
            // The serials start over: flags of the old blocks must not stand for the new ones.
            executedBlocks.bytes.update(repeating: 0, count: (blocks.serials + 7) & ~7)
        }
        blocks.flush()
    }

    /// The chunk index (see `takeExecutedChunks`) that holds `address`, or nil outside RAM
    /// and the reset ROM. RAM's chunks come first, then the ROM's.
    public func executedChunk(of address: UInt32) -> Int? {
        let offset = address &- ramBase
        if offset < ramSize { return Int(offset >> executedChunkShift) }
        guard isInResetROM(address) else { return nil }
        return Int(ramSize >> executedChunkShift) + Int((address - ResetROM.base) >> executedChunkShift)
    }

    /// How many chunk indices a machine of `board` can report with chunks of 2^`shift` bytes:
    /// valid indices are below it.
    public static func executedChunkCount(for board: BoardConfiguration, shift: UInt32) -> Int {
        Int(board.ramSize >> shift) + Int(ResetROM.size >> shift)
    }
}
