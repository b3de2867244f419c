extension Machine {
    /// Fetches, decodes and executes one instruction: one step. A trap taken instead of
    /// retiring the instruction is the step.
    @inline(__always)
    func executeInstruction() {
        let offset = pc &- ramBase
        if offset <= ramSize &- 4 {
            let low = UInt32(ram.load(fromByteOffset: Int(offset), as: UInt16.self))
            if low & 3 == 3 {
                let word = ram.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self)
                execute(word, length: 4)
            } else {
                let expanded = Machine.expandCompressed(low)
                if expanded == 0 {
                    raiseException(TrapCause.illegalInstruction, value: low)
                } else {
                    execute(expanded, length: 2)
                }
            }
        } else {
            fetchSlowly()
        }
        x[0] = 0
        step &+= 1
    }

    /// Fetch at the very end of RAM or outside it: instruction access fault with mtval = the
    /// address of the part that could not be fetched.
    private func fetchSlowly() {
        let offset = pc &- ramBase
        guard offset < ramSize &- 1 else {
            raiseException(TrapCause.instructionAccessFault, value: pc)
            return
        }
        let low = UInt32(ram.load(fromByteOffset: Int(offset), as: UInt16.self))
        if low & 3 == 3 {
            raiseException(TrapCause.instructionAccessFault, value: pc &+ 2)
        } else {
            let expanded = Machine.expandCompressed(low)
            if expanded == 0 {
                raiseException(TrapCause.illegalInstruction, value: low)
            } else {
                execute(expanded, length: 2)
            }
        }
    }

    /// Executes a 32-bit instruction word (compressed ones arrive expanded, with `length` 2).
    /// On success it advances pc; on a trap it leaves pc at the handler.
    @inline(__always)
    func execute(_ inst: UInt32, length: UInt32) {
        let rd = Int((inst >> 7) & 31)
        let rs1 = Int((inst >> 15) & 31)
        let rs2 = Int((inst >> 20) & 31)
        let funct3 = (inst >> 12) & 7
        switch inst & 0x7F {
        case 0x13:  // OP-IMM (unprivileged spec 2.4)
            let a = x[rs1]
            let imm = UInt32(bitPattern: Int32(bitPattern: inst) >> 20)
            switch funct3 {
            case 0: x[rd] = a &+ imm
            case 1:
                guard inst >> 25 == 0 else { return illegal(inst) }
                x[rd] = a &<< (imm & 31)
            case 2: x[rd] = Int32(bitPattern: a) < Int32(bitPattern: imm) ? 1 : 0
            case 3: x[rd] = a < imm ? 1 : 0
            case 4: x[rd] = a ^ imm
            case 5:
                switch inst >> 25 {
                case 0: x[rd] = a &>> (imm & 31)
                case 0x20: x[rd] = UInt32(bitPattern: Int32(bitPattern: a) &>> Int32(imm & 31))
                default: return illegal(inst)
                }
            case 6: x[rd] = a | imm
            default: x[rd] = a & imm
            }
        case 0x33:  // OP and M (2.4, 7.1)
            let a = x[rs1]
            let b = x[rs2]
            switch inst >> 25 {
            case 0:
                switch funct3 {
                case 0: x[rd] = a &+ b
                case 1: x[rd] = a &<< (b & 31)
                case 2: x[rd] = Int32(bitPattern: a) < Int32(bitPattern: b) ? 1 : 0
                case 3: x[rd] = a < b ? 1 : 0
                case 4: x[rd] = a ^ b
                case 5: x[rd] = a &>> (b & 31)
                case 6: x[rd] = a | b
                default: x[rd] = a & b
                }
            case 0x20:
                switch funct3 {
                case 0: x[rd] = a &- b
                case 5: x[rd] = UInt32(bitPattern: Int32(bitPattern: a) &>> Int32(b & 31))
                default: return illegal(inst)
                }
            case 1: x[rd] = Machine.multiplyDivide(funct3, a, b)
            default: return illegal(inst)
            }
        case 0x03:  // LOAD
            let address = x[rs1] &+ UInt32(bitPattern: Int32(bitPattern: inst) >> 20)
            let value: UInt32
            switch funct3 {
            case 0:
                guard let byte = load8(address) else { return }
                value = UInt32(bitPattern: Int32(Int8(bitPattern: byte)))
            case 1:
                guard let half = load16(address) else { return }
                value = UInt32(bitPattern: Int32(Int16(bitPattern: half)))
            case 2:
                guard let word = load32(address) else { return }
                value = word
            case 4:
                guard let byte = load8(address) else { return }
                value = UInt32(byte)
            case 5:
                guard let half = load16(address) else { return }
                value = UInt32(half)
            default: return illegal(inst)
            }
            x[rd] = value
        case 0x23:  // STORE
            let imm = (Int32(bitPattern: inst & 0xFE00_0000) >> 20) | Int32((inst >> 7) & 31)
            let address = x[rs1] &+ UInt32(bitPattern: imm)
            let value = x[rs2]
            switch funct3 {
            case 0: guard store8(address, UInt8(truncatingIfNeeded: value)) else { return }
            case 1: guard store16(address, UInt16(truncatingIfNeeded: value)) else { return }
            case 2: guard store32(address, value) else { return }
            default: return illegal(inst)
            }
        case 0x63:  // BRANCH
            let a = x[rs1]
            let b = x[rs2]
            let taken: Bool
            switch funct3 {
            case 0: taken = a == b
            case 1: taken = a != b
            case 4: taken = Int32(bitPattern: a) < Int32(bitPattern: b)
            case 5: taken = Int32(bitPattern: a) >= Int32(bitPattern: b)
            case 6: taken = a < b
            case 7: taken = a >= b
            default: return illegal(inst)
            }
            if taken {
                let imm =
                    (Int32(bitPattern: inst & 0x8000_0000) >> 19) | Int32((inst & 0x80) << 4)
                    | Int32((inst >> 20) & 0x7E0) | Int32((inst >> 7) & 0x1E)
                pc = pc &+ UInt32(bitPattern: imm)
                return
            }
        case 0x37:  // LUI
            x[rd] = inst & 0xFFFF_F000
        case 0x17:  // AUIPC
            x[rd] = pc &+ (inst & 0xFFFF_F000)
        case 0x6F:  // JAL
            let imm =
                (Int32(bitPattern: inst & 0x8000_0000) >> 11) | Int32(inst & 0xF_F000)
                | Int32((inst >> 9) & 0x800) | Int32((inst >> 20) & 0x7FE)
            x[rd] = pc &+ length
            pc = pc &+ UInt32(bitPattern: imm)
            return
        case 0x67:  // JALR
            guard funct3 == 0 else { return illegal(inst) }
            let target = (x[rs1] &+ UInt32(bitPattern: Int32(bitPattern: inst) >> 20)) & ~1
            x[rd] = pc &+ length
            pc = target
            return
        case 0x73:
            return executeSystem(inst, rd: rd, rs1: rs1, funct3: funct3, length: length)
        case 0x2F:
            guard funct3 == 2 else { return illegal(inst) }
            return executeAtomic(inst, rd: rd, rs1: rs1, rs2: rs2, length: length)
        case 0x0F:  // MISC-MEM: FENCE is a no-op on one hart; FENCE.I too (no decode cache yet)
            guard funct3 <= 1 else { return illegal(inst) }
        default:
            return illegal(inst)
        }
        pc = pc &+ length
    }

    /// M extension (unprivileged spec 7.1, 7.2), with the spec's results for division by zero
    /// and signed overflow.
    @inline(__always)
    static func multiplyDivide(_ funct3: UInt32, _ a: UInt32, _ b: UInt32) -> UInt32 {
        let sa = Int32(bitPattern: a)
        let sb = Int32(bitPattern: b)
        switch funct3 {
        case 0: return a &* b
        case 1: return UInt32(truncatingIfNeeded: (Int64(sa) &* Int64(sb)) >> 32)
        case 2: return UInt32(truncatingIfNeeded: (Int64(sa) &* Int64(b)) >> 32)
        case 3: return UInt32(truncatingIfNeeded: (UInt64(a) &* UInt64(b)) >> 32)
        case 4:
            if b == 0 { return UInt32.max }
            if sa == Int32.min && sb == -1 { return a }
            return UInt32(bitPattern: sa / sb)
        case 5: return b == 0 ? UInt32.max : a / b
        case 6:
            if b == 0 { return a }
            if sa == Int32.min && sb == -1 { return 0 }
            return UInt32(bitPattern: sa % sb)
        default: return b == 0 ? a : a % b
        }
    }

    /// Raises illegal instruction with mtval = the instruction bits. For compressed
    /// instructions the expanded word is reported as the original 16 bits by the caller.
    @inline(never)
    func illegal(_ inst: UInt32) {
        raiseException(TrapCause.illegalInstruction, value: currentInstructionBits(fallback: inst))
    }

    /// The raw bits at pc (16 for a compressed instruction), for mtval.
    private func currentInstructionBits(fallback: UInt32) -> UInt32 {
        let offset = pc &- ramBase
        guard offset < ramSize &- 1 else { return fallback }
        let low = UInt32(ram.load(fromByteOffset: Int(offset), as: UInt16.self))
        if low & 3 != 3 { return low }
        guard offset <= ramSize &- 4 else { return fallback }
        return ram.loadUnaligned(fromByteOffset: Int(offset), as: UInt32.self)
    }

    // MARK: SYSTEM

    private func executeSystem(_ inst: UInt32, rd: Int, rs1: Int, funct3: UInt32, length: UInt32) {
        if funct3 == 0 {
            switch inst {
            case 0x0000_0073:  // ECALL
                raiseException(TrapCause.environmentCallFromM, value: 0)
            case 0x0010_0073:  // EBREAK (semihosting when bracketed by the magic sequence)
                if length == 4 && isSemihostingCall() {
                    performSemihostingCall()
                    pc = pc &+ 4
                } else {
                    raiseException(TrapCause.breakpoint, value: pc)
                }
            case 0x3020_0073:  // MRET (privileged spec 3.3.2)
                let mpie = csr.mstatus & ControlStatusRegisters.mpieBit != 0
                csr.mstatus =
                    ControlStatusRegisters.mppMachine | ControlStatusRegisters.mpieBit
                    | (mpie ? ControlStatusRegisters.mieBit : 0)
                pendingTrap = nil
                pc = csr.mepc
                chunkEnd = 0
            case 0x1050_0073:  // WFI
                if csr.mip & csr.mie == 0 {
                    isWaitingForInterrupt = true
                    chunkEnd = 0
                }
                pc = pc &+ length
            default:
                illegal(inst)
            }
            return
        }
        // Zicsr (unprivileged spec 9.1)
        let address = inst >> 20
        let operand = funct3 >= 5 ? UInt32(rs1) : x[rs1]
        let writes = funct3 & 3 == 1 || rs1 != 0
        let old: UInt32
        if funct3 & 3 == 1 && rd == 0 {
            old = 0  // CSRRW with rd = x0 does not read
            guard address >> 10 != 0b11, readCSR(address) != nil else { return illegal(inst) }
        } else {
            guard let value = readCSR(address) else { return illegal(inst) }
            old = value
        }
        if writes {
            let new: UInt32
            switch funct3 & 3 {
            case 1: new = operand
            case 2: new = old | operand
            case 3: new = old & ~operand
            default: return illegal(inst)
            }
            guard writeCSR(address, new) else { return illegal(inst) }
        } else if funct3 & 3 == 0 {
            return illegal(inst)
        }
        x[rd] = old
        pc = pc &+ length
    }

    // MARK: A extension (unprivileged spec 8)

    private func executeAtomic(_ inst: UInt32, rd: Int, rs1: Int, rs2: Int, length: UInt32) {
        let address = x[rs1]
        let funct5 = inst >> 27
        let offset = address &- ramBase
        if funct5 == 0x02 {  // LR.W
            guard rs2 == 0 else { return illegal(inst) }
            guard address & 3 == 0 else { return raiseException(TrapCause.loadMisaligned, value: address) }
            guard offset <= ramSize &- 4 else { return raiseException(TrapCause.loadAccessFault, value: address) }
            x[rd] = ram.load(fromByteOffset: Int(offset), as: UInt32.self)
            reservation = address
            pc = pc &+ length
            return
        }
        guard address & 3 == 0 else { return raiseException(TrapCause.storeMisaligned, value: address) }
        // AMOs on devices are not supported by this board's PMAs: store/AMO access fault.
        guard offset <= ramSize &- 4 else { return raiseException(TrapCause.storeAccessFault, value: address) }
        if funct5 == 0x03 {  // SC.W: succeeds only with a reservation on this address
            if reservation == address {
                ram.storeBytes(of: x[rs2], toByteOffset: Int(offset), as: UInt32.self)
                noteStore(offset: offset)
                x[rd] = 0
            } else {
                x[rd] = 1
            }
            reservation = Machine.noReservation
            pc = pc &+ length
            return
        }
        let old = ram.load(fromByteOffset: Int(offset), as: UInt32.self)
        let b = x[rs2]
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
        default: return illegal(inst)
        }
        ram.storeBytes(of: new, toByteOffset: Int(offset), as: UInt32.self)
        noteStore(offset: offset)
        x[rd] = old
        pc = pc &+ length
    }
}
