/// Berkeley HTIF, as riscv-tests and some bare-metal runtimes use it: the ELF defines 8-byte
/// `tohost` and `fromhost` words in RAM, and a store to tohost's high word (on RV32) hands the
/// 64-bit command to the host.
///
/// Commands (device << 56 | command << 48 | payload):
/// - device 0, command 0, odd payload: exit with code payload >> 1 (riscv-tests: 1 = pass);
/// - device 0, command 0, even payload: address of a syscall block; only `write` (64) is served;
/// - device 1, command 1: put the low byte on the console.
public struct HTIF: Equatable, Sendable, Codable {
    /// The last command the firmware sent (0 when none).
    public var lastCommand: UInt64 = 0
    /// Creates an HTIF in its reset state.
    public init() {}
}

extension Machine {
    /// Called after a store that touched tohost's 8 bytes.
    func htifStore(offset: UInt32) {
        // Wait for the high word (RV32 writes the low word first); a store reaching bytes 4…7 completes it.
        guard offset &- htifOffset >= 4 else { return }
        let address = ramBase &+ htifOffset
        guard let low = readRAMWord(address), let high = readRAMWord(address &+ 4) else { return }
        let command = UInt64(high) << 32 | UInt64(low)
        guard command != 0 else { return }
        htif.lastCommand = command
        eventSink?(.htifCommand(command))
        chunkEnd = 0
        let device = command >> 56
        let code = (command >> 48) & 0xFF
        let payload = command & 0xFFFF_FFFF_FFFF
        var response: UInt64 = 0
        switch (device, code) {
        case (0, 0) where payload & 1 == 1:
            halt(.exited(code: Int32(truncatingIfNeeded: payload >> 1), via: .htif))
            return
        case (0, 0):
            response = htifSyscall(at: UInt32(truncatingIfNeeded: payload))
        case (1, 1):
            consoleSink(UInt8(truncatingIfNeeded: payload))
            response = (1 << 56) | (1 << 48)
        default:
            return
        }
        writeRAM(address, [UInt8](repeating: 0, count: 8))
        if let fromhost = firmware.symbols.address(of: "fromhost") {
            writeRAM(fromhost, (0..<8).map { UInt8(truncatingIfNeeded: response >> ($0 * 8)) })
        }
    }

    /// The frontend syscall proxy: a block of 8 little-endian 64-bit words (number, args…).
    private func htifSyscall(at address: UInt32) -> UInt64 {
        guard let block = readRAM(address, count: 32) else { return 1 }
        func word(_ index: Int) -> UInt64 {
            (0..<8).reduce(0) { $0 | UInt64(block[index * 8 + $1]) << ($1 * 8) }
        }
        var result: UInt64 = UInt64(bitPattern: -1)
        if word(0) == 64,
            let bytes = readRAM(UInt32(truncatingIfNeeded: word(2)), count: Int(min(word(3), 1 << 20)))
        {
            bytes.forEach(consoleSink)
            result = UInt64(bytes.count)
        }
        writeRAM(address, (0..<8).map { UInt8(truncatingIfNeeded: result >> ($0 * 8)) })
        return 1
    }
}
