/// The interpreter's inner loop.
///
/// `executeChunk` keeps pc and the step count in locals and writes them back only around
/// out-of-line work (device accesses, CSRs, traps), which follows one convention: an
/// out-of-line function works on `self.pc`/`self.step`, and a trap it raises counts its own
/// step. Instructions come from the decode cache (`DecodedInstruction`).
extension Machine {
    /// Executes instructions until `step` reaches `chunkEnd`, which anything that may change
    /// interrupt state lowers to end the chunk after the current instruction. Runs whole
    /// translated blocks (`BlockCache`) and cuts the last one short at `chunkEnd`.
    @inline(never)
    func executeChunk() {
        let x = self.x
        let ram = self.ram
        let ramBase = self.ramBase
        let ramSize = self.ramSize
        let instructions = blocks.instructions
        let addresses = blocks.addresses
        var pc = self.pc
        var step = self.step
        // The last compiled run stopped before an instruction only the interpreter can do.
        var interpretNext = false
        // Compiled code does not watch loads: with a read watch everything is interpreted.
        let watchesLoads = readWatch != nil
        chunk: while step < chunkEnd {
            guard let block = block(at: pc) else {
                self.pc = pc
                self.step = step
                raiseFetchFault()
                pc = self.pc
                step = self.step
                continue
            }
            if !breakpoints.isEmpty && step != breakpointSkipStep && breakpoints.contains(pc) {
                transientStop = .breakpoint
                breakpointSkipStep = step
                chunkEnd = 0
                break
            }
            let blockLength = Int(block.pointee.count)
            if !interpretNext, !watchesLoads, let code = block.pointee.compiledBody,
                step &+ UInt64(blockLength) <= chunkEnd
            {
                // Compiled code runs block after block while the budget lasts; blocks at
                // breakpoints return here first, so the check above sees them.
                let budget = min(chunkEnd &- step, UInt64(Int64.max))
                context.budget = Int64(budget)
                let result = runCompiled(code)
                step &+= budget &- UInt64(context.budget)
                pc = UInt32(truncatingIfNeeded: result)
                switch CompiledRuntime.Exit(rawValue: result >> 32) {
                case .interpret: interpretNext = true
                case .stale: forwardStaleBlock(at: pc)
                default: break
                }
                continue
            }
            interpretNext = false
            executedBlocks.set(Int(block.pointee.serial))
            let first = Int(block.pointee.start)
            let count = Int(min(UInt64(blockLength), chunkEnd &- step))
            let end = block.pointee.end
            let firstOp = instructions + first
            let lastOp = firstOp + count
            var next = firstOp
            while next < lastOp {
                let op = next.pointee
                // Only out-of-line paths need to know where in the block they are.
                var index: Int { next - firstOp }
                let rd = Int(op.rd)
                let a = x[Int(op.rs1)]
                let imm = op.immediate
                switch op.kind {
                case .addi: x[rd] = a &+ imm
                case .slti: x[rd] = Int32(bitPattern: a) < Int32(bitPattern: imm) ? 1 : 0
                case .sltiu: x[rd] = a < imm ? 1 : 0
                case .xori: x[rd] = a ^ imm
                case .ori: x[rd] = a | imm
                case .andi: x[rd] = a & imm
                case .slli: x[rd] = a &<< imm
                case .srli: x[rd] = a &>> imm
                case .srai: x[rd] = UInt32(bitPattern: Int32(bitPattern: a) &>> Int32(bitPattern: imm))
                case .add: x[rd] = a &+ x[Int(op.rs2)]
                case .sub: x[rd] = a &- x[Int(op.rs2)]
                case .sll: x[rd] = a &<< (x[Int(op.rs2)] & 31)
                case .slt: x[rd] = Int32(bitPattern: a) < Int32(bitPattern: x[Int(op.rs2)]) ? 1 : 0
                case .sltu: x[rd] = a < x[Int(op.rs2)] ? 1 : 0
                case .xor: x[rd] = a ^ x[Int(op.rs2)]
                case .srl: x[rd] = a &>> (x[Int(op.rs2)] & 31)
                case .sra: x[rd] = UInt32(bitPattern: Int32(bitPattern: a) &>> Int32(x[Int(op.rs2)] & 31))
                case .or: x[rd] = a | x[Int(op.rs2)]
                case .and: x[rd] = a & x[Int(op.rs2)]
                case .mul: x[rd] = a &* x[Int(op.rs2)]
                case .mulh:
                    x[rd] = UInt32(
                        truncatingIfNeeded: (Int64(Int32(bitPattern: a))
                            &* Int64(Int32(bitPattern: x[Int(op.rs2)]))) >> 32)
                case .mulhsu:
                    x[rd] = UInt32(
                        truncatingIfNeeded: (Int64(Int32(bitPattern: a)) &* Int64(x[Int(op.rs2)])) >> 32)
                case .mulhu: x[rd] = UInt32(truncatingIfNeeded: (UInt64(a) &* UInt64(x[Int(op.rs2)])) >> 32)
                case .div, .divu, .rem, .remu: x[rd] = Machine.divide(op.kind, a, x[Int(op.rs2)])
                case .lui, .auipc: x[rd] = imm  // auipc was made absolute at translation
                case .jal:
                    x[rd] = end
                    pc = imm
                    step &+= UInt64(index &+ 1)
                    continue chunk
                case .jalr:
                    x[rd] = end
                    pc = (a &+ imm) & ~1
                    step &+= UInt64(index &+ 1)
                    continue chunk
                case .beq, .bne, .blt, .bge, .bltu, .bgeu:
                    let b = x[Int(op.rs2)]
                    let taken: Bool
                    switch op.kind {
                    case .beq: taken = a == b
                    case .bne: taken = a != b
                    case .blt: taken = Int32(bitPattern: a) < Int32(bitPattern: b)
                    case .bge: taken = Int32(bitPattern: a) >= Int32(bitPattern: b)
                    case .bltu: taken = a < b
                    default: taken = a >= b
                    }
                    pc = taken ? imm : end
                    step &+= UInt64(index &+ 1)
                    continue chunk
                case .lw, .lh, .lhu, .lb, .lbu:
                    let address = a &+ imm
                    let offset = address &- ramBase
                    let size = op.kind.accessSize
                    if offset <= ramSize &- size && address & (size &- 1) == 0 {
                        let raw: UInt32
                        switch size {
                        case 4: raw = ram.load(fromByteOffset: Int(offset), as: UInt32.self)
                        case 2: raw = UInt32(ram.load(fromByteOffset: Int(offset), as: UInt16.self))
                        default: raw = UInt32(ram.load(fromByteOffset: Int(offset), as: UInt8.self))
                        }
                        x[rd] = Machine.extend(raw, for: op.kind)
                        if watchesLoads {
                            self.pc = addresses[first + index]
                            self.step = step &+ UInt64(index)
                            noteWatchedLoad(address, size: size)
                            if transientStop != nil {
                                pc = self.pc &+ op.length
                                step = self.step &+ 1
                                continue chunk
                            }
                        }
                    } else {
                        self.pc = addresses[first + index]
                        self.step = step &+ UInt64(index)
                        guard let value = loadSlowly(address, size: size) else {
                            pc = self.pc
                            step = self.step
                            continue chunk
                        }
                        // A device answered: leave the block, the device may want an interrupt.
                        x[rd] = Machine.extend(value, for: op.kind)
                        pc = self.pc &+ op.length
                        step = self.step &+ 1
                        continue chunk
                    }
                case .sw, .sh, .sb:
                    let b = x[Int(op.rs2)]
                    let address = a &+ imm
                    let offset = address &- ramBase
                    let size = op.kind.accessSize
                    if offset <= ramSize &- size && address & (size &- 1) == 0 {
                        switch op.kind {
                        case .sw: ram.storeBytes(of: b, toByteOffset: Int(offset), as: UInt32.self)
                        case .sh:
                            ram.storeBytes(
                                of: UInt16(truncatingIfNeeded: b), toByteOffset: Int(offset), as: UInt16.self)
                        default:
                            ram.storeBytes(
                                of: UInt8(truncatingIfNeeded: b), toByteOffset: Int(offset), as: UInt8.self)
                        }
                        dirtyGranules.set(Int(offset >> Machine.granuleShift))
                        dirtyPages.set(Int(offset >> 12))
                        if watchedLines.contains(Int(offset >> Machine.lineShift)) {
                            // Code (or tohost) was written: leave the block, which may be stale.
                            self.pc = addresses[first + index]
                            self.step = step &+ UInt64(index)
                            storeToWatchedLine(offset: offset, size: size)
                            pc = self.pc &+ op.length
                            step = self.step &+ 1
                            continue chunk
                        }
                    } else {
                        self.pc = addresses[first + index]
                        self.step = step &+ UInt64(index)
                        guard storeSlowly(address, b, size: size) else {
                            pc = self.pc
                            step = self.step
                            continue chunk
                        }
                        pc = self.pc &+ op.length
                        step = self.step &+ 1
                        continue chunk
                    }
                case .fence: break
                case .system, .atomic, .illegal:
                    self.pc = addresses[first + index]
                    self.step = step &+ UInt64(index)
                    if executeOutOfLine(op) { self.step &+= 1 }
                    pc = self.pc
                    step = self.step
                    continue chunk
                }
                next += 1
            }
            // Fell off the block's end, or cut it short at chunkEnd.
            pc = count == Int(block.pointee.count) ? end : addresses[first + count]
            step &+= UInt64(count)
        }
        self.pc = pc
        self.step = step
    }

    /// Enters compiled code at `code` (see `CompiledRuntime`).
    @inline(__always)
    private func runCompiled(_ code: UnsafeRawPointer) -> UInt64 {
        guard let runtime = blocks.code.runtime else { return UInt64(pc) }
        return runtime.enter(context.base, code)
    }

    /// A compiled block found its code rewritten: translate it again, and make the old code
    /// jump to the new, so that jumps linked to the old code reach it.
    private func forwardStaleBlock(at pc: UInt32) {
        let stale = context.staleEntry
        let flushes = blocks.flushes
        guard let fresh = block(at: pc)?.pointee.compiled, blocks.flushes == flushes else { return }
        // (A block at a breakpoint is forwarded to its guard, which returns to the dispatcher.)
        blocks.code.forward(stale, to: fresh)
    }

    /// The block at pc could not be translated because its first instruction cannot be
    /// fetched: instruction access fault, mtval = the address that could not be fetched.
    private func raiseFetchFault() {
        let offset = pc &- ramBase
        if offset == ramSize &- 2 {
            raiseException(TrapCause.instructionAccessFault, value: pc &+ 2)
        } else {
            raiseException(TrapCause.instructionAccessFault, value: pc)
        }
    }

    /// A loaded value zero- or sign-extended as the load instruction says.
    @inline(__always)
    static func extend(_ value: UInt32, for kind: DecodedInstruction.Kind) -> UInt32 {
        switch kind {
        case .lb: UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: value)))
        case .lh: UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: value)))
        case .lbu: value & 0xFF
        case .lhu: value & 0xFFFF
        default: value
        }
    }

    /// Division and remainder (unprivileged spec 7.2), with the spec's results for division by
    /// zero and for signed overflow.
    @inline(__always)
    static func divide(_ kind: DecodedInstruction.Kind, _ a: UInt32, _ b: UInt32) -> UInt32 {
        let sa = Int32(bitPattern: a)
        let sb = Int32(bitPattern: b)
        switch kind {
        case .div:
            if b == 0 { return UInt32.max }
            if sa == Int32.min && sb == -1 { return a }
            return UInt32(bitPattern: sa / sb)
        case .divu: return b == 0 ? UInt32.max : a / b
        case .rem:
            if b == 0 { return a }
            if sa == Int32.min && sb == -1 { return 0 }
            return UInt32(bitPattern: sa % sb)
        default: return b == 0 ? a : a % b
        }
    }

    /// SYSTEM, A and illegal instructions. Returns true when the instruction retired (pc
    /// already advanced); false when it trapped (the trap counted its step) or crashed.
    @inline(never)
    func executeOutOfLine(_ op: DecodedInstruction) -> Bool {
        switch op.kind {
        case .system: return executeSystem(op)
        case .atomic: return executeAtomic(op)
        default:
            raiseException(TrapCause.illegalInstruction, value: op.bits)
            return false
        }
    }

    /// Writes a register, ignoring x0 (out-of-line paths use the decoded `rd`, already mapped).
    @inline(__always)
    func setRegister(_ index: UInt8, _ value: UInt32) {
        x[Int(index)] = value
    }

    // MARK: SYSTEM

    private func executeSystem(_ op: DecodedInstruction) -> Bool {
        let inst = op.immediate
        let funct3 = (inst >> 12) & 7
        let rs1 = Int(op.rs1)
        if funct3 == 0 {
            switch inst {
            case 0x0000_0073:  // ECALL
                raiseException(TrapCause.environmentCallFromM, value: 0)
                return false
            case 0x0010_0073:  // EBREAK (semihosting when bracketed by the magic sequence)
                if op.length == 4 && isSemihostingCall() {
                    performSemihostingCall()
                    pc = pc &+ 4
                    return true
                }
                raiseException(TrapCause.breakpoint, value: pc)
                return false
            case 0x3020_0073:  // MRET (privileged spec 3.3.2)
                let mpie = csr.mstatus & ControlStatusRegisters.mpieBit != 0
                csr.mstatus =
                    ControlStatusRegisters.mppMachine | ControlStatusRegisters.mpieBit
                    | (mpie ? ControlStatusRegisters.mieBit : 0)
                pc = csr.mepc
                chunkEnd = 0
                return true
            case 0x1050_0073:  // WFI
                if csr.mip & csr.mie == 0 {
                    isWaitingForInterrupt = true
                    chunkEnd = 0
                }
                pc = pc &+ op.length
                return true
            default:
                raiseException(TrapCause.illegalInstruction, value: op.bits)
                return false
            }
        }
        // Zicsr (unprivileged spec 9.1)
        let address = inst >> 20
        let operand = funct3 >= 5 ? UInt32(rs1) : x[rs1]
        let isWrite = funct3 & 3 == 1 || rs1 != 0
        var old: UInt32 = 0
        if funct3 & 3 == 1 && op.rd == DecodedInstruction.discard {
            // CSRRW with rd = x0 does not read, but the CSR must still exist.
            guard readCSR(address) != nil else { return illegalCSR(op) }
        } else {
            guard let value = readCSR(address) else { return illegalCSR(op) }
            old = value
        }
        if isWrite {
            let new: UInt32
            switch funct3 & 3 {
            case 1: new = operand
            case 2: new = old | operand
            case 3: new = old & ~operand
            default: return illegalCSR(op)
            }
            guard writeCSR(address, new) else { return illegalCSR(op) }
        } else if funct3 & 3 == 0 {
            return illegalCSR(op)
        }
        setRegister(op.rd, old)
        pc = pc &+ op.length
        return true
    }

    private func illegalCSR(_ op: DecodedInstruction) -> Bool {
        raiseException(TrapCause.illegalInstruction, value: op.bits)
        return false
    }

    // MARK: A extension (unprivileged spec 8)

    private func executeAtomic(_ op: DecodedInstruction) -> Bool {
        let inst = op.immediate
        let address = x[Int(op.rs1)]
        let funct5 = inst >> 27
        let offset = address &- ramBase
        if funct5 == 0x02 {  // LR.W
            guard op.rs2 == 0 else { return illegalCSR(op) }
            guard address & 3 == 0 else { return trap(TrapCause.loadMisaligned, address) }
            guard offset <= ramSize &- 4 else { return trap(TrapCause.loadAccessFault, address) }
            setRegister(op.rd, ram.load(fromByteOffset: Int(offset), as: UInt32.self))
            if readWatch != nil { noteWatchedLoad(address, size: 4) }
            reservation = address
            pc = pc &+ op.length
            return true
        }
        guard address & 3 == 0 else { return trap(TrapCause.storeMisaligned, address) }
        // This board's devices do not support AMOs: store/AMO access fault, as the spec says.
        guard offset <= ramSize &- 4 else { return trap(TrapCause.storeAccessFault, address) }
        if funct5 == 0x03 {  // SC.W: succeeds only with a reservation on this address
            if reservation == address {
                ram.storeBytes(of: x[Int(op.rs2)], toByteOffset: Int(offset), as: UInt32.self)
                noteStore(offset: offset)
                setRegister(op.rd, 0)
            } else {
                setRegister(op.rd, 1)
            }
            reservation = Machine.noReservation
            pc = pc &+ op.length
            return true
        }
        let old = ram.load(fromByteOffset: Int(offset), as: UInt32.self)
        let b = x[Int(op.rs2)]
        let new: UInt32
        switch funct5 {
        case 0x01: new = b
        case 0x00: new = old &+ b
        case 0x04: new = old ^ b
        case 0x0C: new = old & b
        case 0x08: new = old | b
        case 0x10: new = Int32(bitPattern: old) < Int32(bitPattern: b) ? old : b
        case 0x14: new = Int32(bitPattern: old) > Int32(bitPattern: b) ? old : b
        case 0x18: new = old < b ? old : b
        case 0x1C: new = old > b ? old : b
        default: return illegalCSR(op)
        }
        ram.storeBytes(of: new, toByteOffset: Int(offset), as: UInt32.self)
        noteStore(offset: offset)
        // After the store's note: an AMO reads, for a read watch and an access watch alike.
        if readWatch != nil { noteWatchedLoad(address, size: 4) }
        setRegister(op.rd, old)
        pc = pc &+ op.length
        return true
    }

    private func trap(_ cause: UInt32, _ value: UInt32) -> Bool {
        raiseException(cause, value: value)
        return false
    }
}
