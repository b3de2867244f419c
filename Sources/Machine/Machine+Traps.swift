/// Trap entry (privileged spec 3.1.6–3.1.20) and crash detection.
///
/// Every exception and interrupt is taken as the spec says, however deeply nested: a trap
/// inside a handler simply overwrites mepc/mcause/mtval and mstatus.MPIE/MPP, as on a real hart
/// and on QEMU (CSR probes that move mtvec to the next instruction, an ecall made inside a
/// handler, interrupts re-enabled inside a handler are all ordinary firmware).
///
/// A run ends as a crash only when the firmware provably can never make progress again: the
/// trap handler's first instruction raises an exception whose handler is that same
/// instruction (the exception is raised at the trap vector, before any instruction there has
/// retired since the trap entry that jumped to it). Re-entering changes only mepc, mcause,
/// mtval, mstatus (MIE stays 0, so no interrupt can intervene) and the counters; the
/// registers, memory and pc the instruction depends on are the same, so it would fault the
/// same way forever. Typical causes: mtvec left at 0 or pointing into a hole (the handler
/// cannot be fetched), or at an illegal word.
extension Machine {
    /// Takes a synchronous exception at pc, or ends the run as a crash (see above) in the state
    /// just before the fatal trap, so the trap that led there can still be inspected.
    @inline(never)
    func raiseException(_ cause: UInt32, value: UInt32) {
        if let entry = lastTrapEntry, entry.step == step, pc == trapVector(for: cause) {
            let nested = "\(TrapCause.name(of: cause)) at pc \(hex(pc)) (mtval \(hex(value)))"
            let reason = "its trap handler at \(hex(pc)) cannot run: \(nested)"
            // Report the exception that led to the handler (the firmware's fault); after an
            // interrupt, the handler's own fault.
            let trap = entry.isInterrupt ? Trap(cause: cause, pc: pc, value: value, step: step) : entry
            halt(.crashed(CrashReport(trap: trap, reason: reason)))
            return  // the fatal trap is not taken, and is not a step
        }
        enterTrap(cause: cause, value: value, returnAddress: pc)
    }

    /// The address the hart jumps to for `cause` (vectored mode only affects interrupts).
    func trapVector(for cause: UInt32) -> UInt32 {
        let base = csr.mtvec & ~3
        if csr.mtvec & 1 == 1 && cause & TrapCause.interruptBit != 0 {
            return base &+ 4 &* (cause & ~TrapCause.interruptBit)
        }
        return base
    }

    /// Writes mepc/mcause/mtval, stacks MIE into MPIE and jumps to the vector.
    func enterTrap(cause: UInt32, value: UInt32, returnAddress: UInt32) {
        // The trap entry is a step of its own (the faulting instruction does not retire).
        let trapStep = step &+ 1
        step = trapStep
        nonRetiredSteps &+= 1
        let trap = Trap(cause: cause, pc: returnAddress, value: value, step: trapStep)
        eventSink?(.trap(trap))
        lastTrapEntry = trap
        csr.mepc = returnAddress
        csr.mcause = cause
        csr.mtval = value
        let mie = csr.mstatus & ControlStatusRegisters.mieBit != 0
        csr.mstatus = ControlStatusRegisters.mppMachine | (mie ? ControlStatusRegisters.mpieBit : 0)
        reservation = Machine.noReservation
        pc = trapVector(for: cause)
        chunkEnd = 0
    }
}
