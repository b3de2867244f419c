/// The core-local interruptor of `virt` for hart 0: msip, mtimecmp and mtime (10 MHz).
///
/// mtime is not stored: it is derived from the machine's simulated cycles (one per step, plus
/// WFI idle skips) at `cyclesPerTick` cycles per tick, plus `mtimeOffset` when firmware writes
/// mtime. It never reads the host clock.
public struct CLINT: Equatable, Sendable, Codable {
    /// Simulated cycles per mtime tick: a 1 GHz hart against a 10 MHz timer, as with QEMU's
    /// `-icount shift=0` (one instruction per nanosecond).
    public static let cyclesPerTick: UInt64 = 100
    /// MSIP bit 0 drives the machine software interrupt.
    public var msip: UInt32 = 0
    /// Timer compare value; 0 at reset (so MTIP is pending at once, as on QEMU).
    public var mtimecmp: UInt64 = 0
    /// Added to the derived tick count when firmware writes mtime.
    public var mtimeOffset: UInt64 = 0

    /// Creates a CLINT in its reset state.
    public init() {}
}

extension Machine {
    /// The CLINT's mtime at the current step.
    public var mtime: UInt64 { cycles / CLINT.cyclesPerTick &+ clint.mtimeOffset }

    func readCLINT(offset: UInt32) -> UInt32 {
        switch offset {
        case 0x0: return clint.msip
        case 0x4000: return UInt32(truncatingIfNeeded: clint.mtimecmp)
        case 0x4004: return UInt32(truncatingIfNeeded: clint.mtimecmp >> 32)
        case 0xBFF8: return UInt32(truncatingIfNeeded: mtimeAsRead)
        case 0xBFFC: return UInt32(truncatingIfNeeded: mtimeAsRead >> 32)
        default: return 0
        }
    }

    func writeCLINT(offset: UInt32, value: UInt32) {
        switch offset {
        case 0x0: clint.msip = value & 1
        case 0x4000: clint.mtimecmp = (clint.mtimecmp & 0xFFFF_FFFF_0000_0000) | UInt64(value)
        case 0x4004: clint.mtimecmp = (clint.mtimecmp & 0xFFFF_FFFF) | UInt64(value) << 32
        case 0xBFF8: setMtime((mtime & 0xFFFF_FFFF_0000_0000) | UInt64(value))
        case 0xBFFC: setMtime((mtime & 0xFFFF_FFFF) | UInt64(value) << 32)
        default: break
        }
        recomputeTimerDeadline()
    }

    private func setMtime(_ value: UInt64) {
        clint.mtimeOffset = value &- cycles / CLINT.cyclesPerTick
    }

    /// Finds the first step at which mtime ≥ mtimecmp, so the run loop can stop exactly there.
    /// A deadline more than 2^40 ticks (about 30 hours) away counts as not armed: firmware
    /// writes all-ones to mtimecmp to disable the timer.
    func recomputeTimerDeadline() {
        let now = mtime
        if now >= clint.mtimecmp {
            timerDeadlineStep = .max
            return
        }
        let ticks = clint.mtimecmp &- now
        guard ticks < 1 << 40 else {
            timerDeadlineStep = .max
            return
        }
        let tickStartCycle = (cycles / CLINT.cyclesPerTick) &* CLINT.cyclesPerTick
        let deadlineCycle = tickStartCycle &+ ticks &* CLINT.cyclesPerTick
        timerDeadlineStep = deadlineCycle &- idleCycles
    }
}
