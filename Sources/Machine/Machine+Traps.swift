/// Trap entry (privileged spec 3.1.6–3.1.20) and crash detection.
extension Machine {
    /// Takes a synchronous exception at pc. If an earlier trap is still being handled (no
    /// `mret` since), the exception cannot be handled on this M-mode-only hart: mepc and mcause
    /// of the first trap would be overwritten. The run then ends as a crash, in the state just
    /// before the fatal trap, so the first trap's CSRs are still there to be inspected.
    @inline(never)
    func raiseException(_ cause: UInt32, value: UInt32) {
        if let first = pendingTrap {
            let nested = "\(TrapCause.name(of: cause)) at pc \(hex(pc)) (mtval \(hex(value)))"
            let reason: String
            if first.cause & TrapCause.interruptBit == 0 {
                // A handler whose first instruction cannot even be fetched or decoded never ran.
                let handlerCannotRun =
                    pc == trapVector(for: first.cause)
                    && [TrapCause.instructionAccessFault, TrapCause.instructionMisaligned, TrapCause.illegalInstruction].contains(cause)
                reason =
                    handlerCannotRun
                    ? "its trap handler at \(hex(pc)) cannot run: \(nested)"
                    : "a second exception inside the trap handler: \(nested)"
                halt(.crashed(CrashReport(cause: first.cause, pc: first.pc, value: first.value, step: first.step, reason: reason)))
            } else {
                reason = "the interrupt handler faulted"
                halt(.crashed(CrashReport(cause: cause, pc: pc, value: value, step: step, reason: reason)))
            }
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
        eventSink?(.trap(cause: cause, pc: returnAddress, value: value, step: trapStep))
        pendingTrap = TrapRecord(cause: cause, pc: returnAddress, value: value, step: trapStep)
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
