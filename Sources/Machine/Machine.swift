/// The emulated board: one RV32IMAC hart in machine mode, its RAM and its devices.
///
/// `Machine` is deliberately one object. The interpreter's hot loop (`run(until:)`) touches the
/// registers, RAM and the dirty-page bitmap on every instruction, so they live here as raw
/// buffers and stored properties rather than behind a bus protocol or a second object:
///
/// ```
///   Machine ─┬─ x[0..31], pc, CSRs          (Machine+CSR.swift)
///            ├─ RAM  0x8000_0000 … (raw)    (Machine+Memory.swift)
///            ├─ dirty-page bitmap, 1 bit / 4 KiB page, set on every store
///            └─ devices (value types)       UART16550, CLINT, PLIC, SifiveTest, HTIF, Semihosting
/// ```
///
/// Determinism: the state after N steps depends only on the firmware image, the board
/// configuration and the input delivered through `deliverInput(_:)` before each step. Nothing
/// reads the host clock. A *step* is one retired instruction, one exception or interrupt entry,
/// or one WFI idle wait.
public final class Machine {
    // MARK: Hart state

    /// Integer registers x0…x31, plus slot 32, where decoded instructions send writes to x0
    /// (in `context`, where compiled code finds them).
    @usableFromInline let x: UnsafeMutablePointer<UInt32>
    /// Registers, flags and the jump table, laid out for compiled code (`ExecutionContext`).
    let context: ExecutionContext
    /// Translated blocks of decoded instructions (see `BlockCache`).
    var blocks: BlockCache
    /// Whether blocks are compiled to machine code (x86-64 only; elsewhere, and when false,
    /// the interpreter runs everything). Results are identical either way.
    public var compilesBlocks: Bool = true {
        didSet { flushBlocks() }
    }
    /// Bumped with every page generation: translations checked at this epoch are still valid.
    var codeEpoch: UInt32 = 1
    /// Per RAM page: bumped whenever the page may have changed under a translation. One more
    /// entry, at index `pageCount`, stands for the reset ROM, which never changes.
    let pageGenerations: UnsafeMutablePointer<UInt32>
    /// One flag per 64-byte RAM line whose stores need attention (`Machine+Watch.swift`):
    /// the union of `codeLines`, HTIF's tohost and the write watch.
    let watchedLines: ByteFlags
    /// Lines that hold translated code.
    let codeLines: ByteFlags
    /// log2 of the line size `watchedLines` and `codeLines` work in.
    static let lineShift: UInt32 = 6
    /// log2 of the granule size `dirtyGranules` works in.
    static let granuleShift: UInt32 = 3
    /// One flag per block of `blocks` (by `BlockCache.Entry.serial`) that ran since the last
    /// `takeExecutedChunks()`, which turns them into the recorder's index for "when did pc X
    /// run": one flag store per block, whatever its length.
    let executedBlocks: ByteFlags
    /// Chunks of code that flagged blocks covered before the cache was last flushed, not yet
    /// taken by `takeExecutedChunks()` (kept only while `keepsExecutedChunks`).
    var executedBeforeFlush: Set<Int> = []
    /// Whether a flush of the block cache keeps what ran for `takeExecutedChunks()`: a recorder
    /// takes them every keyframe; a replay that never takes them (and flushes at every change
    /// of breakpoints) turns this off, so that nothing piles up.
    public var keepsExecutedChunks = true
    /// log2 of the size of the chunks `takeExecutedChunks()` reports and `executedChunk(of:)`
    /// numbers. A replay of an older recording sets the size that recording was made with.
    public var executedChunkShift: UInt32 = Machine.executedChunkShift
    /// The chunk size recordings are made with: 16 bytes, so that a breakpoint's chunk holds
    /// little else (a rarely called function beside a hot loop rules out most intervals).
    public static let executedChunkShift: UInt32 = 4
    /// Addresses that stop a run before the instruction there executes.
    public internal(set) var breakpoints: Set<UInt32> = []
    /// Guest addresses whose writes stop a run after the writing step.
    public internal(set) var writeWatch: Range<UInt32>?
    /// Guest addresses whose loads (and AMOs, LR) stop a run after the loading step. While it
    /// is set everything is interpreted (compiled code does not watch loads).
    public internal(set) var readWatch: Range<UInt32>?
    /// The access of the instruction that made the last watchpoint stop (`takeWatchedAccess`).
    var watchedAccess: WatchedAccess?
    /// A stop that `run(until:)` reports once (breakpoint or watchpoint), then forgets.
    var transientStop: StopReason?
    /// A breakpoint does not stop a run at this step: the step where the last breakpoint stop
    /// happened (so that running again goes past it). Debuggers may set it to continue from a
    /// breakpoint they moved to by other means.
    public var breakpointSkipStep: UInt64 = .max
    /// Address of the next instruction.
    public internal(set) var pc: UInt32 = 0
    /// Steps taken since reset (see the type's documentation for what a step is).
    public internal(set) var step: UInt64 = 0
    /// Steps that were not retired instructions: trap entries and idle waits. `minstret` is
    /// `step - nonRetiredSteps`, which keeps the per-instruction cost at one counter.
    var nonRetiredSteps: UInt64 = 0
    /// Cycles skipped by WFI idle waits. Simulated cycles are `step + idleCycles`.
    var idleCycles: UInt64 = 0

    var csr = ControlStatusRegisters()
    /// LR/SC reservation: the reserved word address, or `noReservation`.
    var reservation: UInt32 = Machine.noReservation
    static let noReservation: UInt32 = 1  // never a word address
    /// True after WFI while no enabled interrupt is pending.
    var isWaitingForInterrupt = false
    /// The most recent trap entry. An exception raised while `step` is still that entry's step
    /// means the handler's first instruction faulted (see `raiseException`).
    var lastTrapEntry: Trap?

    // MARK: Memory

    /// Board configuration this machine was built for.
    public let board: BoardConfiguration
    /// Base of RAM (0x8000_0000 on `virt`).
    public let ramBase: UInt32
    /// RAM size in bytes (a multiple of the page size).
    public let ramSize: UInt32
    @usableFromInline let ram: UnsafeMutableRawPointer
    /// 8-byte granules stored to since the last `takeDirtyLines()`; set by every store (one
    /// flag per store: an aligned store lies in one granule). A write watch on a word beside a
    /// hot one is told apart from it at this grain, not the line's.
    let dirtyGranules: ByteFlags
    /// The pages of `dirtyGranules`, set by the same stores, so that finding the dirty
    /// granules scans 32 KiB of page flags and the granule flags of those pages only.
    let dirtyPages: ByteFlags
    /// Pages that may be non-zero: loaded, stored to or restored since reset (for hashing).
    let touchedPages: ByteFlags
    /// RAM offset of HTIF's `tohost`, or a value that no store offset can match.
    var htifOffset: UInt32 = UInt32.max

    // MARK: Devices

    var uart = UART16550()
    var clint = CLINT()
    var plic = PLIC()
    var semihosting = Semihosting()
    var htif = HTIF()

    // MARK: Run control

    /// The inner loop runs while `step < chunkEnd`; anything that may change what happens
    /// next (CSR writes, device accesses, traps) sets it to the current step to return to the
    /// outer loop, which re-evaluates interrupts, timers and input.
    var chunkEnd: UInt64 = 0
    /// Set when the firmware ends the run (exit, crash, reset request).
    var haltReason: StopReason?
    /// Step at which the CLINT timer next fires (`UInt64.max` when not armed).
    var timerDeadlineStep: UInt64 = .max
    /// A WFI idle wait that would skip past this cycle stops the run with `.waitingForTimer`
    /// instead (paced live runs set it to where the wall clock allows; not machine state).
    public var idleCycleLimit: UInt64 = .max
    /// Bytes waiting for room in the UART receiver (the outside world, not machine state).
    var pendingInput: [UInt8] = []
    var pendingInputStart = 0

    /// Receives every byte the firmware writes to its console (UART, semihosting, HTIF).
    public var consoleSink: (UInt8) -> Void = { _ in }
    /// Receives traps, device exits and other noteworthy events, stamped with `step`.
    public var eventSink: ((MachineEvent) -> Void)?

    /// The loaded firmware (symbols are used for crash reports).
    public let firmware: Firmware
    /// QEMU's reset ROM at 0x1000, on boards that reset through it.
    var resetROM: ResetROM?

    /// Builds the machine for `board`, loads `firmware` into RAM and resets the hart to its
    /// entry point.
    public init(firmware: Firmware, board: BoardConfiguration = .virt()) throws(LoadError) {
        guard board.ramSize >= 4096, board.ramSize % 4096 == 0,
            UInt64(board.ramBase) + UInt64(board.ramSize) <= 1 << 32
        else {
            throw LoadError(
                "RAM of \(board.ramSize) bytes at \(hex(board.ramBase)) is not a whole number of 4 KiB pages inside the address space"
            )
        }
        self.board = board
        self.firmware = firmware
        self.ramBase = board.ramBase
        self.ramSize = board.ramSize
        guard let memory = calloc(Int(board.ramSize), 1) else {
            throw LoadError("cannot allocate \(board.ramSize) bytes of RAM")
        }
        ram = memory
        let pages = Int(board.ramSize) / Machine.pageSize
        let lines = Int(board.ramSize >> Machine.lineShift)
        let granules = Int(board.ramSize >> Machine.granuleShift)
        guard
            let context = ExecutionContext(
                granuleCount: granules, lineCount: lines, pageCount: pages,
                blockCount: BlockCache.serialCapacity,
                ram: memory)
        else {
            free(memory)
            throw LoadError("cannot map the emulator's flags for \(board.ramSize) bytes of RAM")
        }
        self.context = context
        x = context.registers
        dirtyGranules = context.flags(at: context.dirtyGranulesOffset, count: granules)
        dirtyPages = context.flags(at: context.dirtyPagesOffset, count: pages)
        watchedLines = context.flags(at: context.watchedLinesOffset, count: lines)
        executedBlocks = context.flags(at: context.executedBlocksOffset, count: BlockCache.serialCapacity)
        pageGenerations = context.pageGenerations
        blocks = BlockCache(context: context, registers: RegisterAssignment(for: firmware))
        codeLines = ByteFlags(count: lines)
        touchedPages = ByteFlags(count: pages)
        try loadImage()
        // mip as of step 0, exactly as a run stopped at step 0 would leave it.
        updateInterruptLines()
    }

    deinit {
        blocks.deallocate()
        context.deallocate()
        free(ram)
        codeLines.deallocate()
        touchedPages.deallocate()
    }

    /// Copies the firmware's loadable segments into RAM and resets the hart (step 0): see
    /// `resetHart()`.
    func loadImage() throws(LoadError) {
        for segment in firmware.segments {
            let end = UInt64(segment.address) + UInt64(segment.memorySize)
            guard segment.address >= ramBase,
                end <= UInt64(ramBase) + UInt64(ramSize)
            else {
                throw LoadError(
                    "segment at \(hex(segment.address)) (\(segment.memorySize) bytes) lies outside RAM "
                        + "\(hex(ramBase))–\(hex(UInt32(truncatingIfNeeded: UInt64(ramBase) + UInt64(ramSize) - 1)))"
                        + "; give the board more RAM or relink the firmware")
            }
            let offset = Int(segment.address - ramBase)
            segment.bytes.withUnsafeBytes { bytes in
                if let base = bytes.baseAddress, bytes.count > 0 {
                    (ram + offset).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            markTouched(offset: offset, count: Int(segment.memorySize))
        }
        if let tohost = firmware.symbols.address(of: "tohost"), tohost >= ramBase,
            UInt64(tohost) + 8 <= UInt64(ramBase) + UInt64(ramSize)
        {
            htifOffset = tohost - ramBase
            watchHTIF()
        }
        resetHart()
    }

    func markTouched(offset: Int, count: Int) {
        guard count > 0 else { return }
        let first = offset / Machine.pageSize
        let last = (offset + count - 1) / Machine.pageSize
        for page in first...last {
            touchedPages.set(page)
        }
    }

    /// Bytes per page for dirty tracking and keyframes.
    public static let pageSize = 4096
    /// Number of RAM pages.
    public var pageCount: Int { Int(ramSize) / Machine.pageSize }
}

/// The memory access of the instruction that set off a watchpoint stop.
public struct WatchedAccess: Equatable, Sendable {
    /// The instruction's address.
    public var pc: UInt32
    /// The first byte accessed.
    public var address: UInt32
    /// How many bytes were accessed.
    public var size: UInt32
    /// A load (or the read of an AMO); false: a store.
    public var isLoad: Bool

    /// An access of `size` bytes at `address` by the instruction at `pc`.
    public init(pc: UInt32, address: UInt32, size: UInt32, isLoad: Bool) {
        self.pc = pc
        self.address = address
        self.size = size
        self.isLoad = isLoad
    }

    /// The bytes accessed (as 64-bit addresses: the last may end at 2^32).
    public var range: Range<UInt64> { UInt64(address)..<UInt64(address) + UInt64(size) }
}

/// Why `run(until:)` returned.
public enum StopReason: Equatable, Sendable {
    /// The requested step was reached.
    case stepLimit
    /// The firmware exited with this code (finisher, HTIF or semihosting).
    case exited(code: Int32, via: ExitMechanism)
    /// A trap could not be handled.
    case crashed(CrashReport)
    /// The firmware waits in WFI and nothing armed can wake it; only outside input can.
    case waitingForInput
    /// The firmware waits in WFI for a timer that fires after `idleCycleLimit` (paced live
    /// runs wait for the wall clock to catch up, then run again).
    case waitingForTimer
    /// The firmware asked the board to reset (sifive_test 0x7777).
    case resetRequested
    /// The next instruction is at a breakpoint (it has not executed).
    case breakpoint
    /// The last step wrote into the write watch; `pc` is the writing instruction's address.
    case watchpoint(pc: UInt32)
}

/// How the firmware asked to exit.
public enum ExitMechanism: String, Sendable {
    case finisher = "sifive_test"
    case htif = "htif"
    case semihosting = "semihosting"
}

/// Something a recorder or a user wants to know about, stamped with the machine's step.
public enum MachineEvent: Sendable {
    /// A trap was taken; `step` is the trap entry's step, `pc` the interrupted/faulting pc.
    case trap(Trap)
    /// A semihosting call `operation` was made.
    case semihostingCall(operation: UInt32)
    /// An HTIF command was written to tohost.
    case htifCommand(UInt64)
    /// A byte entered the UART receiver.
    case input(UInt8)
}

/// What went wrong when a run crashed.
public struct CrashReport: Equatable, Sendable, CustomStringConvertible {
    /// The trap that led to the handler that cannot run (for an interrupt: the handler's own
    /// fault, which was not taken).
    public var trap: Trap
    /// Why the trap could not be handled.
    public var reason: String

    /// A report naming `trap`.
    public init(trap: Trap, reason: String) {
        self.trap = trap
        self.reason = reason
    }

    /// The trap's mcause.
    public var cause: UInt32 { trap.cause }
    /// The pc of the faulting instruction.
    public var pc: UInt32 { trap.pc }
    /// mtval of the faulting exception.
    public var value: UInt32 { trap.value }
    /// The step of the trap entry that led there (its state shows mepc/mcause).
    public var step: UInt64 { trap.step }

    /// A one-line description without symbol information.
    public var description: String { "\(trap): \(reason)" }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
