extension Machine {
    /// Simulated cycles since reset: one per step plus the cycles WFI idle waits skipped. At the
    /// board's 1 GHz, a billion cycles are one simulated second.
    public var cycles: UInt64 { step &+ idleCycles }
    /// Instructions retired since reset.
    var instructionsRetired: UInt64 { step &- nonRetiredSteps }

    var mcycle: UInt64 {
        csr.mcountinhibit & 1 != 0 ? csr.mcycleFrozen : cycles &+ csr.mcycleOffset
    }
    var minstret: UInt64 {
        csr.mcountinhibit & 4 != 0 ? csr.minstretFrozen : instructionsRetired &+ csr.minstretOffset
    }

    // What an instruction that reads a counter sees. QEMU (under `-icount shift=0`) counts the
    // reading instruction itself: the n-th instruction since reset reads mcycle = minstret = n
    // and mtime = n / 100 (checked by the `resetinfo` firmware). Firmware that prints counters
    // prints QEMU's numbers; the state after N steps still says mcycle = N.
    var mcycleAsRead: UInt64 { csr.mcountinhibit & 1 != 0 ? csr.mcycleFrozen : mcycle &+ 1 }
    var minstretAsRead: UInt64 { csr.mcountinhibit & 4 != 0 ? csr.minstretFrozen : minstret &+ 1 }
    var mtimeAsRead: UInt64 { (cycles &+ 1) / CLINT.cyclesPerTick &+ clint.mtimeOffset }

    /// Reads a CSR; nil when it does not exist (the instruction is then illegal).
    func readCSR(_ address: UInt32) -> UInt32? {
        switch address {
        case CSRAddress.mstatus: return csr.mstatus
        case CSRAddress.misa: return ControlStatusRegisters.misa
        case CSRAddress.mie: return csr.mie
        case CSRAddress.mip: return csr.mip
        case CSRAddress.mtvec: return csr.mtvec
        case CSRAddress.mscratch: return csr.mscratch
        case CSRAddress.mepc: return csr.mepc
        case CSRAddress.mcause: return csr.mcause
        case CSRAddress.mtval: return csr.mtval
        case CSRAddress.mcounteren: return csr.mcounteren
        case CSRAddress.mcountinhibit: return csr.mcountinhibit
        case CSRAddress.mstatush: return 0
        case CSRAddress.pmpcfg0..<(CSRAddress.pmpcfg0 + 4):
            return csr.pmpcfg[Int(address - CSRAddress.pmpcfg0)]
        case CSRAddress.pmpaddr0..<(CSRAddress.pmpaddr0 + 16):
            return csr.pmpaddr[Int(address - CSRAddress.pmpaddr0)]
        // A core without triggers: tselect reads 0 and tdata1's type field reads 0 ("none").
        case CSRAddress.tselect, CSRAddress.tdata1, CSRAddress.tdata2, CSRAddress.tdata3: return 0
        case CSRAddress.mcycle, CSRAddress.cycle: return UInt32(truncatingIfNeeded: mcycleAsRead)
        case CSRAddress.mcycleh, CSRAddress.cycleh: return UInt32(truncatingIfNeeded: mcycleAsRead >> 32)
        case CSRAddress.minstret, CSRAddress.instret: return UInt32(truncatingIfNeeded: minstretAsRead)
        case CSRAddress.minstreth, CSRAddress.instreth:
            return UInt32(truncatingIfNeeded: minstretAsRead >> 32)
        case CSRAddress.time: return UInt32(truncatingIfNeeded: mtimeAsRead)
        case CSRAddress.timeh: return UInt32(truncatingIfNeeded: mtimeAsRead >> 32)
        case CSRAddress.mvendorid, CSRAddress.marchid, CSRAddress.mimpid, CSRAddress.mhartid: return 0
        default: return nil
        }
    }

    /// Writes a CSR; false when it does not exist or is read-only (the instruction is illegal).
    /// Writes that may change which interrupts are takeable end the current chunk.
    func writeCSR(_ address: UInt32, _ value: UInt32) -> Bool {
        // Privileged spec 2.1: bits 11:10 == 0b11 mark read-only CSRs.
        if address >> 10 == 0b11 { return false }
        switch address {
        case CSRAddress.mstatus:
            let writable = ControlStatusRegisters.mieBit | ControlStatusRegisters.mpieBit
            csr.mstatus = (value & writable) | ControlStatusRegisters.mppMachine
            chunkEnd = 0
        case CSRAddress.misa: break  // WARL: the extensions are fixed
        case CSRAddress.mie:
            csr.mie = value & ControlStatusRegisters.interruptMask
            chunkEnd = 0
        case CSRAddress.mip: break  // MSIP/MTIP/MEIP are driven by the CLINT and PLIC
        case CSRAddress.mtvec:
            // WARL: modes 2 and 3 are reserved; keep direct (0) or vectored (1).
            csr.mtvec = value & 1 == 1 ? (value & ~3) | 1 : value & ~3
        case CSRAddress.mscratch: csr.mscratch = value
        case CSRAddress.mepc: csr.mepc = value & ~1
        case CSRAddress.mcause: csr.mcause = value
        case CSRAddress.mtval: csr.mtval = value
        case CSRAddress.mcounteren: csr.mcounteren = value & 0b111
        case CSRAddress.mstatush: break
        case CSRAddress.mcountinhibit: setCountInhibit(value & 0b101)
        case CSRAddress.pmpcfg0..<(CSRAddress.pmpcfg0 + 4):
            csr.pmpcfg[Int(address - CSRAddress.pmpcfg0)] = value
        case CSRAddress.pmpaddr0..<(CSRAddress.pmpaddr0 + 16):
            csr.pmpaddr[Int(address - CSRAddress.pmpaddr0)] = value
        case CSRAddress.tselect, CSRAddress.tdata1, CSRAddress.tdata2, CSRAddress.tdata3: break
        case CSRAddress.mcycle: setMcycle((mcycle & 0xFFFF_FFFF_0000_0000) | UInt64(value))
        case CSRAddress.mcycleh: setMcycle((mcycle & 0xFFFF_FFFF) | UInt64(value) << 32)
        case CSRAddress.minstret: setMinstret((minstret & 0xFFFF_FFFF_0000_0000) | UInt64(value))
        case CSRAddress.minstreth: setMinstret((minstret & 0xFFFF_FFFF) | UInt64(value) << 32)
        default: return false
        }
        return true
    }

    private func setMcycle(_ value: UInt64) {
        // Like minstret below: the next instruction's step counts `value` (and, reading it, sees
        // value + 1, as on QEMU).
        if csr.mcountinhibit & 1 != 0 {
            csr.mcycleFrozen = value
        } else {
            csr.mcycleOffset = value &- (cycles &+ 1)
        }
    }

    private func setMinstret(_ value: UInt64) {
        // The CSR write itself retires after the write (privileged spec 3.1.10), so the new
        // value must be what the next instruction sees: count this instruction in advance.
        if csr.mcountinhibit & 4 != 0 {
            csr.minstretFrozen = value
        } else {
            csr.minstretOffset = value &- (instructionsRetired &+ 1)
        }
    }

    private func setCountInhibit(_ value: UInt32) {
        let cycleNow = mcycle
        let instretNow = minstret
        csr.mcountinhibit = value
        if value & 1 != 0 { csr.mcycleFrozen = cycleNow } else { csr.mcycleOffset = cycleNow &- cycles }
        if value & 4 != 0 {
            csr.minstretFrozen = instretNow
        } else {
            csr.minstretOffset = instretNow &- instructionsRetired
        }
    }
}
