/// RISC-V semihosting (the ARM semihosting calls, trapped by `slli x0,x0,0x1f; ebreak;
/// srai x0,x0,7`): operation in a0, parameter block address in a1, result in a0.
///
/// Served: the calls picolibc makes. Console output goes to the console sink; `:tt` opened for
/// reading reads end-of-file (input reaches firmware through the UART only);
/// `:semihosting-features` reports EXIT_EXTENDED and STDOUT_STDERR. Time calls derive from
/// simulated time, never the host clock.
public struct Semihosting: Equatable, Sendable, Codable {
    /// Read position in the `:semihosting-features` pseudo-file.
    public var featuresPosition: UInt32 = 0
    /// Creates the semihosting state at reset.
    public init() {}

    static let features: [UInt8] = Array("SHFB".utf8) + [0b11]
    static let applicationExit: UInt32 = 0x20026
    /// Handles returned by SYS_OPEN.
    static let stdinHandle: UInt32 = 1
    static let stdoutHandle: UInt32 = 2
    static let stderrHandle: UInt32 = 3
    static let featuresHandle: UInt32 = 4
}

extension Machine {
    /// Whether the EBREAK at pc is bracketed by the semihosting marker instructions.
    func isSemihostingCall() -> Bool {
        pc >= 4 && readRAMWord(pc &- 4) == 0x01F0_1013 && readRAMWord(pc &+ 4) == 0x4070_5013
    }

    /// Performs the call in a0 with the block at a1 and puts the result in a0.
    func performSemihostingCall() {
        let operation = x[10]
        let parameter = x[11]
        eventSink?(.semihostingCall(operation: operation))
        chunkEnd = 0
        func argument(_ index: UInt32) -> UInt32? { readRAMWord(parameter &+ index * 4) }
        let failure = UInt32.max
        var result: UInt32 = failure
        switch operation {
        case 0x01:  // SYS_OPEN: name, mode, length
            if let name = argument(0), let mode = argument(1), let length = argument(2),
                length < 256, let bytes = readRAM(name, count: Int(length))
            {
                switch String(decoding: bytes, as: UTF8.self) {
                case ":tt":
                    result =
                        mode < 4
                        ? Semihosting.stdinHandle
                        : mode < 8 ? Semihosting.stdoutHandle : Semihosting.stderrHandle
                case ":semihosting-features" where mode < 4:
                    semihosting.featuresPosition = 0
                    result = Semihosting.featuresHandle
                default: result = failure
                }
            }
        case 0x02: result = 0  // SYS_CLOSE
        case 0x03:  // SYS_WRITEC
            if let byte = readRAM(parameter, count: 1) {
                consoleSink(byte[0])
                result = 0
            }
        case 0x04:  // SYS_WRITE0
            var address = parameter
            while let byte = readRAM(address, count: 1)?.first, byte != 0 {
                consoleSink(byte)
                address &+= 1
            }
            result = 0
        case 0x05:  // SYS_WRITE: handle, buffer, length; returns bytes not written
            if let handle = argument(0), let buffer = argument(1), let length = argument(2),
                handle == Semihosting.stdoutHandle || handle == Semihosting.stderrHandle,
                let bytes = readRAM(buffer, count: Int(min(length, 1 << 24)))
            {
                bytes.forEach(consoleSink)
                result = length - UInt32(bytes.count)
            }
        case 0x06:  // SYS_READ: handle, buffer, length; returns bytes not read
            if let handle = argument(0), let buffer = argument(1), let length = argument(2) {
                if handle == Semihosting.featuresHandle {
                    let start = Int(min(semihosting.featuresPosition, UInt32(Semihosting.features.count)))
                    let chunk = Array(
                        Semihosting.features[
                            start..<min(start + Int(min(length, 64)), Semihosting.features.count)])
                    if writeRAM(buffer, chunk) {
                        semihosting.featuresPosition += UInt32(chunk.count)
                        result = length - UInt32(chunk.count)
                    }
                } else if handle == Semihosting.stdinHandle {
                    result = length  // end of file
                }
            }
        case 0x09:  // SYS_ISTTY
            if let handle = argument(0) { result = handle <= Semihosting.stderrHandle ? 1 : 0 }
        case 0x0A:  // SYS_SEEK: handle, position
            if argument(0) == Semihosting.featuresHandle, let position = argument(1) {
                semihosting.featuresPosition = position
                result = 0
            }
        case 0x0C:  // SYS_FLEN
            if let handle = argument(0) {
                result = handle == Semihosting.featuresHandle ? UInt32(Semihosting.features.count) : 0
            }
        case 0x10: result = UInt32(truncatingIfNeeded: cycles / 10_000_000)  // SYS_CLOCK, centiseconds
        case 0x11: result = 0  // SYS_TIME: no wall clock in a deterministic machine
        case 0x13: result = 0  // SYS_ERRNO
        case 0x18:  // SYS_EXIT: on RV32 a1 holds the reason itself
            halt(.exited(code: parameter == Semihosting.applicationExit ? 0 : 1, via: .semihosting))
            result = 0
        case 0x20:  // SYS_EXIT_EXTENDED: reason, subcode
            let reason = argument(0)
            let code = argument(1) ?? 1
            halt(
                .exited(
                    code: reason == Semihosting.applicationExit ? Int32(bitPattern: code) : 1,
                    via: .semihosting))
            result = 0
        default:
            result = failure
        }
        x[10] = result
    }
}
