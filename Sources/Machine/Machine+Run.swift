extension Machine {
    /// Runs until `step == limit` or until the firmware ends the run, and says why it stopped.
    ///
    /// The outer loop handles everything that happens *between* instructions (input delivery,
    /// timer deadlines, interrupt entry, WFI idle waits); the inner loop (`executeChunk`) runs
    /// instructions back to back until the next point where any of that could change.
    public func run(until limit: UInt64) -> StopReason {
        while true {
            if let stop = transientStop {
                transientStop = nil
                return stop
            }
            // mip as of this step boundary, so that the state at step N does not depend on
            // where earlier calls stopped; input stamped N is delivered after that.
            updateInterruptLines()
            if let haltReason { return haltReason }
            if step >= limit { return .stepLimit }
            if deliverQueuedInput() { updateInterruptLines() }
            let pending = csr.mip & csr.mie
            if pending != 0 && csr.mstatus & ControlStatusRegisters.mieBit != 0 {
                takeInterrupt(pending)
                continue
            }
            if isWaitingForInterrupt {
                // Privileged spec 3.3.3: WFI resumes when any enabled interrupt is pending,
                // whether or not mstatus.MIE allows taking it.
                if pending != 0 {
                    isWaitingForInterrupt = false
                } else if timerDeadlineStep != .max && csr.mie & (1 << 7) != 0 {
                    if timerDeadlineCycles > idleCycleLimit { return .waitingForTimer }
                    idleUntilTimer()
                } else {
                    return .waitingForInput
                }
                continue
            }
            chunkEnd = min(limit, timerDeadlineStep)
            executeChunk()
        }
    }

    /// The simulated cycle at which the armed timer fires (`.max` when none is armed).
    public var timerDeadlineCycles: UInt64 {
        timerDeadlineStep == .max ? .max : timerDeadlineStep &+ idleCycles
    }

    /// One WFI idle wait: skip simulated time straight to the timer deadline, as one step.
    private func idleUntilTimer() {
        let deadlineCycles = timerDeadlineStep &+ idleCycles
        step &+= 1  // the idle wait is a step of its own
        nonRetiredSteps &+= 1
        if deadlineCycles > step &+ idleCycles {
            idleCycles = deadlineCycles &- step
        }
        recomputeTimerDeadline()
    }

    /// Enters the highest-priority pending interrupt (MEI > MSI > MTI, privileged spec 3.1.9).
    private func takeInterrupt(_ pending: UInt32) {
        let cause: UInt32
        if pending & (1 << 11) != 0 {
            cause = TrapCause.machineExternalInterrupt
        } else if pending & (1 << 3) != 0 {
            cause = TrapCause.machineSoftwareInterrupt
        } else {
            cause = TrapCause.machineTimerInterrupt
        }
        isWaitingForInterrupt = false
        enterTrap(cause: cause, value: 0, returnAddress: pc)
    }

    /// Recomputes mip from the devices' interrupt lines.
    func updateInterruptLines() {
        if step >= timerDeadlineStep { recomputeTimerDeadline() }
        var mip: UInt32 = 0
        if clint.msip & 1 != 0 { mip |= 1 << 3 }
        if mtime >= clint.mtimecmp { mip |= 1 << 7 }
        if plic.hasClaimableInterrupt(context: 0) { mip |= 1 << 11 }
        csr.mip = mip
    }

    // MARK: Input

    /// Queues bytes for the UART receiver; each is delivered as soon as the receiver has room,
    /// at a step boundary (and reported to `eventSink` as `.input`).
    public func queueInput<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        pendingInput.append(contentsOf: bytes)
    }

    /// Bytes queued by `queueInput` that the receiver has not taken yet.
    public var queuedInputCount: Int { pendingInput.count - pendingInputStart }

    /// Puts one byte into the UART receiver now, between steps, as a recorded input event
    /// replays it. Returns false (and drops nothing) when the receiver is full.
    @discardableResult
    public func deliverInput(_ byte: UInt8) -> Bool {
        guard uart.hasReceiveRoom else { return false }
        uart.receive(byte)
        plic.setLevel(source: UART16550.plicSource, uart.interruptLine)
        eventSink?(.input(byte))
        return true
    }

    /// Runs to `limit` delivering recorded input: each byte at its step, as it was recorded.
    /// `next` is the index of the first entry not delivered yet; entries must be in step order.
    public func run(until limit: UInt64, delivering inputs: [InputEvent], next: inout Int)
        -> StopReason
    {
        while next < inputs.count && inputs[next].step < step { next += 1 }
        while true {
            while next < inputs.count && inputs[next].step == step {
                deliverInput(inputs[next].byte)
                next += 1
            }
            let stop = next < inputs.count ? min(limit, inputs[next].step) : limit
            let reason = run(until: stop)
            if reason != .stepLimit || step >= limit { return reason }
        }
    }

    private func deliverQueuedInput() -> Bool {
        guard pendingInputStart < pendingInput.count else { return false }
        let before = pendingInputStart
        while pendingInputStart < pendingInput.count && uart.hasReceiveRoom {
            deliverInput(pendingInput[pendingInputStart])
            pendingInputStart += 1
        }
        if pendingInputStart > 0 && pendingInputStart == pendingInput.count {
            pendingInput.removeAll(keepingCapacity: true)
            pendingInputStart = 0
            return true
        }
        return pendingInputStart != before
    }
}
