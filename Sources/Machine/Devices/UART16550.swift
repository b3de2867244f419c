/// An ns16550a UART as QEMU models it on `virt` (byte registers, regshift 0, PLIC source 10).
///
/// Transmission is instant: a byte written to THR goes to the console at once, so THRE and
/// TEMT always read as set. Received bytes wait in a FIFO of 16 bytes (1 byte while FCR's
/// FIFO-enable bit is clear). The receive-data interrupt is raised while IER bit 0 is set and
/// data is waiting (a trigger level of one byte, which keeps the model free of host timeouts).
/// Loopback (MCR bit 4) sends transmitted bytes back to the receiver.
public struct UART16550: Equatable, Sendable, Codable {
    /// PLIC interrupt source of UART0 on `virt`.
    public static let plicSource = 10
    /// Receive FIFO depth with FIFOs enabled.
    public static let fifoDepth = 16

    /// Bytes received and not yet read, oldest first.
    public var receiveFIFO: [UInt8] = []
    /// IER: which interrupts are enabled (bit 0 data ready, bit 1 THR empty).
    public var ier: UInt8 = 0
    /// LCR: line control; bit 7 (DLAB) maps the divisor at offsets 0 and 1.
    public var lcr: UInt8 = 0
    /// MCR resets with OUT2 set, as on QEMU.
    public var mcr: UInt8 = 0x08
    /// MSR: DCD, DSR and CTS asserted.
    public var msr: UInt8 = 0xB0
    /// SCR: the scratch register.
    public var scr: UInt8 = 0
    /// FIFO control as written (bits 0, 3, 6, 7 kept).
    public var fcr: UInt8 = 0
    /// Divisor latch (DLL/DLM); 0x0C at reset.
    public var divisor: UInt16 = 0x0C
    /// A THR-empty interrupt is owed (cleared by reading IIR while it is the source).
    public var isTransmitInterruptPending = false

    /// Creates a UART in its reset state.
    public init() {}

    var isFIFOEnabled: Bool { fcr & 1 != 0 }
    var isDivisorLatchSelected: Bool { lcr & 0x80 != 0 }
    /// Whether the receiver can take another byte.
    public var hasReceiveRoom: Bool { receiveFIFO.count < (isFIFOEnabled ? Self.fifoDepth : 1) }

    /// LSR: DR (bit 0) when data is waiting; THRE and TEMT always.
    public var lsr: UInt8 { (receiveFIFO.isEmpty ? 0 : 0x01) | 0x60 }

    /// IIR as the firmware would read it (without the read's side effect).
    public var iir: UInt8 {
        let fifoBits: UInt8 = isFIFOEnabled ? 0xC0 : 0
        if ier & 0x01 != 0 && !receiveFIFO.isEmpty { return fifoBits | 0x04 }
        if ier & 0x02 != 0 && isTransmitInterruptPending { return fifoBits | 0x02 }
        return fifoBits | 0x01
    }

    /// The interrupt output towards the PLIC.
    public var interruptLine: Bool { iir & 1 == 0 }

    /// Puts a received byte into the FIFO (callers check `hasReceiveRoom` first).
    mutating func receive(_ byte: UInt8) {
        if hasReceiveRoom { receiveFIFO.append(byte) }
    }

    /// A register read at `offset`, with the read's side effects (RBR pops, IIR acknowledges
    /// THR-empty).
    mutating func read(offset: UInt32) -> UInt8 {
        switch offset & 7 {
        case 0:
            if isDivisorLatchSelected { return UInt8(truncatingIfNeeded: divisor) }
            return receiveFIFO.isEmpty ? 0 : receiveFIFO.removeFirst()
        case 1: return isDivisorLatchSelected ? UInt8(truncatingIfNeeded: divisor >> 8) : ier
        case 2:
            let value = iir
            if value & 0x0F == 0x02 { isTransmitInterruptPending = false }
            return value
        case 3: return lcr
        case 4: return mcr
        case 5: return lsr
        case 6: return msr
        default: return scr
        }
    }

    /// A register write at `offset`; returns the byte to send to the console, if any.
    mutating func write(offset: UInt32, value: UInt8) -> UInt8? {
        switch offset & 7 {
        case 0:
            if isDivisorLatchSelected {
                divisor = (divisor & 0xFF00) | UInt16(value)
                return nil
            }
            isTransmitInterruptPending = true
            if mcr & 0x10 != 0 {
                receive(value)
                return nil
            }
            return value
        case 1:
            if isDivisorLatchSelected {
                divisor = (divisor & 0x00FF) | UInt16(value) << 8
                return nil
            }
            let enablesTransmitInterrupt = value & 0x02 != 0 && ier & 0x02 == 0
            ier = value & 0x0F
            if enablesTransmitInterrupt { isTransmitInterruptPending = true }
            if ier & 0x02 == 0 { isTransmitInterruptPending = false }
        case 2:
            var request = value
            if (request ^ fcr) & 1 != 0 { request |= 0x06 }  // toggling FIFO mode clears both FIFOs
            if request & 0x02 != 0 { receiveFIFO.removeAll() }
            fcr = request & 0xC9
        case 3: lcr = value
        case 4: mcr = value & 0x1F
        case 7: scr = value
        default: break  // LSR and MSR are read-only
        }
        return nil
    }
}
