/// The device half of the physical address map of QEMU's `virt` board
/// (see shared/boards/virt.md). Every address not listed here faults.
///
/// ```
/// 0x0000_1000  reset ROM (ResetROM.swift)
/// 0x0010_0000  sifive_test finisher   0x0200_0000  CLINT
/// 0x0C00_0000  PLIC                   0x1000_0000  UART0 (ns16550a)
/// 0x8000_0000  RAM (Machine+Memory.swift)
/// ```
extension Machine {
    static let finisherBase: UInt32 = 0x0010_0000
    static let clintBase: UInt32 = 0x0200_0000
    static let plicBase: UInt32 = 0x0C00_0000
    static let uartBase: UInt32 = 0x1000_0000

    /// A device register read; nil when nothing answers (access fault).
    func readDevice(_ address: UInt32, size: UInt32) -> UInt32? {
        // Device accesses can change interrupt lines: end the chunk after this instruction.
        chunkEnd = 0
        switch address {
        case Machine.uartBase..<(Machine.uartBase + 0x100):
            let value = uart.read(offset: address - Machine.uartBase)
            plic.setLevel(source: UART16550.plicSource, uart.interruptLine)
            return UInt32(value)
        case Machine.clintBase..<(Machine.clintBase + 0x1_0000):
            guard size == 4 else { return nil }
            return readCLINT(offset: address - Machine.clintBase)
        case Machine.plicBase..<(Machine.plicBase + 0x60_0000):
            guard size == 4 else { return nil }
            return plic.read(offset: address - Machine.plicBase)
        case Machine.finisherBase..<(Machine.finisherBase + 0x1000):
            guard size >= 2 else { return nil }
            return 0
        default:
            return readResetROM(address, size: size)
        }
    }

    /// A device register write; false when nothing answers (access fault).
    func writeDevice(_ address: UInt32, _ value: UInt32, size: UInt32) -> Bool {
        chunkEnd = 0
        switch address {
        case Machine.uartBase..<(Machine.uartBase + 0x100):
            if let byte = uart.write(
                offset: address - Machine.uartBase, value: UInt8(truncatingIfNeeded: value))
            {
                consoleSink(byte)
            }
            plic.setLevel(source: UART16550.plicSource, uart.interruptLine)
        case Machine.clintBase..<(Machine.clintBase + 0x1_0000):
            guard size == 4 else { return false }
            writeCLINT(offset: address - Machine.clintBase, value: value)
        case Machine.plicBase..<(Machine.plicBase + 0x60_0000):
            guard size == 4 else { return false }
            plic.write(offset: address - Machine.plicBase, value: value)
        case Machine.finisherBase..<(Machine.finisherBase + 0x1000):
            guard size >= 2 else { return false }
            if address == Machine.finisherBase { finisherWrite(value) }
        default:
            // The reset ROM ignores stores, as QEMU's does; anything else is a hole.
            return isInResetROM(address)
        }
        return true
    }

    /// sifive_test: 0x5555 exits 0, (code << 16) | 0x3333 exits with code, 0x7777 resets.
    private func finisherWrite(_ value: UInt32) {
        switch value & 0xFFFF {
        case 0x5555: halt(.exited(code: 0, via: .finisher))
        case 0x3333: halt(.exited(code: Int32(value >> 16), via: .finisher))
        case 0x7777: halt(.resetRequested)
        default: break  // QEMU ignores other values
        }
    }

    /// Ends the run after the current instruction.
    func halt(_ reason: StopReason) {
        if haltReason == nil { haltReason = reason }
        chunkEnd = 0
    }
}
