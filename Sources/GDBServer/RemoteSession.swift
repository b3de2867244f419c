import Foundation
import Machine
import Recording

/// The remote protocol's packets, answered over a recording: what gdb asks (`g`, `m`, `Z0`,
/// `vCont;c`, `bc`…) and what the server replies, with the transport left to
/// `RemoteConnection`.
///
/// A recording is history: packets that would change it (`G`, `P`, `M`, `X`) are refused with
/// an error that says so. Unknown packets get the empty reply, as the protocol asks.
public final class RemoteSession {
    /// The recording as a target.
    public let target: ReplayTarget
    /// Whether packets are still acknowledged with `+` (until gdb sends `QStartNoAckMode`).
    public private(set) var acknowledgesPackets = true
    /// Whether gdb detached or killed: the connection ends after the reply.
    public private(set) var isFinished = false
    /// Whether gdb killed the target (`k`, `vKill`): a server stops serving then.
    public private(set) var isKilled = false
    /// The last stop, for `?`.
    private var lastStop: TargetStop

    /// The largest payload the server accepts, announced in `qSupported`.
    public static let packetSize = 0x4000

    /// The error gdb shows when it tries to change registers or memory.
    static let historyError = "E.a recording is history: registers and memory cannot be changed"

    /// A session over `target`, stopped where it is.
    public init(target: ReplayTarget) {
        self.target = target
        lastStop = TargetStop(step: target.step, reason: .stepped)
    }

    /// The reply to one packet's payload, or nil when the protocol wants none (`k`).
    /// `isInterrupted` is asked during long continues: true stops them (gdb's Ctrl-C).
    public func reply(to packet: [UInt8], isInterrupted: () -> Bool = { false }) -> [UInt8]? {
        let text = String(decoding: packet, as: UTF8.self)
        do {
            return try answer(text, isInterrupted: isInterrupted)
        } catch {
            return Array("E.\(error)".utf8)
        }
    }

    private func answer(_ text: String, isInterrupted: () -> Bool) throws(RecordingError) -> [UInt8]? {
        guard let first = text.first else { return [] }
        let body = String(text.dropFirst())
        switch first {
        case "?": return reply(lastStop.replyPayload)
        case "g": return reply(allRegisters())
        case "p": return reply(register(body))
        case "m": return reply(memory(body))
        case "G", "P", "M", "X": return reply(Self.historyError)
        case "Z", "z": return reply(stopPoint(body, isInsertion: first == "Z"))
        case "c", "C":
            return try resume { () throws(RecordingError) in
                try target.continueForward(isInterrupted: isInterrupted)
            }
        case "s", "S": return try resume { () throws(RecordingError) in try target.stepForward() }
        case "b":
            if body.hasPrefix("c") {
                return try resume { () throws(RecordingError) in
                    try target.continueBackward(isInterrupted: isInterrupted)
                }
            }
            if body.hasPrefix("s") {
                return try resume { () throws(RecordingError) in try target.stepBackward() }
            }
            return []
        case "v": return try verbose(text, isInterrupted: isInterrupted)
        case "q", "Q": return try query(text)
        case "H": return reply("OK")
        case "T": return reply(body == "1" || body == "p1.1" ? "OK" : "E01")
        case "D":
            isFinished = true
            return reply("OK")
        case "k":
            isFinished = true
            isKilled = true
            return nil
        default: return []
        }
    }

    private func reply(_ text: String) -> [UInt8] { Array(text.utf8) }

    private func resume(_ move: () throws(RecordingError) -> TargetStop) throws(RecordingError) -> [UInt8] {
        lastStop = try move()
        return reply(lastStop.replyPayload)
    }

    // MARK: Registers and memory

    private func allRegisters() -> String {
        let state = target.machine.state
        return (0...RegisterFile.programCounter).map {
            Self.littleEndianHex(RegisterFile.value(of: $0, in: state) ?? 0)
        }.joined()
    }

    private func register(_ body: String) -> String {
        guard let number = Int(body, radix: 16),
            let value = RegisterFile.value(of: number, in: target.machine.state)
        else { return "E45" }
        return Self.littleEndianHex(value)
    }

    /// `m ADDR,LENGTH`: RAM and the reset ROM as they were at the step; the readable prefix
    /// of a range that runs into anything else, `E14` (EFAULT) when none of it is readable.
    private func memory(_ body: String) -> String {
        let parts = body.split(separator: ",")
        guard parts.count == 2, let address = UInt32(parts[0], radix: 16),
            let length = Int(parts[1], radix: 16),
            length >= 0
        else { return "E16" }
        let count = min(length, Self.packetSize / 2)
        let machine = target.machine
        var bytes = machine.readMemory(address, count: count)
        if bytes == nil {
            var prefix: [UInt8] = []
            while prefix.count < count,
                let byte = machine.readMemory(address &+ UInt32(prefix.count), count: 1)
            {
                prefix += byte
            }
            bytes = prefix.isEmpty ? nil : prefix
        }
        guard let bytes, !bytes.isEmpty || count == 0 else { return "E14" }
        return bytes.map { String(decoding: RemotePacket.hexDigits($0), as: UTF8.self) }.joined()
    }

    static func littleEndianHex(_ value: UInt32) -> String {
        (0..<4).map {
            String(
                decoding: RemotePacket.hexDigits(UInt8(truncatingIfNeeded: value >> ($0 * 8))), as: UTF8.self)
        }
        .joined()
    }

    // MARK: Breakpoints and watchpoints

    /// `Z TYPE,ADDR,KIND` / `z TYPE,ADDR,KIND`.
    private func stopPoint(_ body: String, isInsertion: Bool) -> String {
        let parts = body.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count >= 3, let type = Int(parts[0]), let address = UInt32(parts[1], radix: 16),
            let length = UInt32(parts[2].prefix { $0 != ";" }, radix: 16)
        else { return "E16" }
        guard let kind = StopPoint.Kind(rawValue: type) else { return "" }
        let point = StopPoint(kind: kind, address: address, length: length)
        if isInsertion { target.insert(point) } else { target.remove(point) }
        return "OK"
    }

    // MARK: v packets

    private func verbose(_ text: String, isInterrupted: () -> Bool) throws(RecordingError) -> [UInt8]? {
        if text == "vCont?" { return reply("vCont;c;C;s;S") }
        if text.hasPrefix("vCont;") {
            // One thread: the first action is the one that applies to it.
            let action = text.dropFirst("vCont;".count).split(separator: ";").first ?? ""
            switch action.first {
            case "c", "C":
                return try resume { () throws(RecordingError) in
                    try target.continueForward(isInterrupted: isInterrupted)
                }
            case "s", "S": return try resume { () throws(RecordingError) in try target.stepForward() }
            case "t": return reply("OK")
            default: return reply("E16")
            }
        }
        if text.hasPrefix("vKill") {
            isFinished = true
            isKilled = true
            return reply("OK")
        }
        return []
    }

    // MARK: Queries

    private func query(_ text: String) throws(RecordingError) -> [UInt8] {
        if text.hasPrefix("qSupported") {
            return reply(
                "PacketSize=\(String(Self.packetSize, radix: 16));qXfer:features:read+;qXfer:memory-map:read+;"
                    + "ReverseStep+;ReverseContinue+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+")
        }
        if text == "QStartNoAckMode" {
            acknowledgesPackets = false
            return reply("OK")
        }
        if text.hasPrefix("qXfer:features:read:target.xml:") {
            return transfer(
                RegisterFile.targetDescription, range: text.dropFirst("qXfer:features:read:target.xml:".count)
            )
        }
        if text.hasPrefix("qXfer:memory-map:read::") {
            return transfer(memoryMap, range: text.dropFirst("qXfer:memory-map:read::".count))
        }
        if text.hasPrefix("qXfer:") { return reply("E00") }
        if text.hasPrefix("qRcmd,") {
            let command = Self.decodeHex(text.dropFirst("qRcmd,".count)).map {
                String(decoding: $0, as: UTF8.self)
            }
            guard let command else { return reply("E16") }
            let output = MonitorCommand.run(command, on: target)
            return reply(
                output.utf8.map { String(decoding: RemotePacket.hexDigits($0), as: UTF8.self) }.joined())
        }
        switch text {
        case "qC": return reply("QC1")
        case "qfThreadInfo": return reply("m1")
        case "qsThreadInfo": return reply("l")
        case "qAttached": return reply("1")
        case "qSymbol::": return reply("OK")
        default: return []
        }
    }

    /// A `qXfer` read of `document` at `OFFSET,LENGTH`: `m` and a part, or `l` and the rest.
    private func transfer(_ document: String, range: Substring) -> [UInt8] {
        let parts = range.split(separator: ",")
        guard parts.count == 2, let offset = Int(parts[0], radix: 16), let length = Int(parts[1], radix: 16),
            offset >= 0, length >= 0
        else { return reply("E16") }
        let bytes = Array(document.utf8)
        guard offset <= bytes.count else { return reply("E16") }
        let end = min(bytes.count, offset + min(length, Self.packetSize - 16))
        return [UInt8(ascii: end == bytes.count ? "l" : "m")] + bytes[offset..<end]
    }

    /// The memory map: RAM, and the reset ROM QEMU's `virt` board has at 0x1000.
    var memoryMap: String {
        let machine = target.machine
        return """
            <?xml version="1.0"?>
            <!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN" "http://sourceware.org/gdb/gdb-memory-map.dtd">
            <memory-map>
            <memory type="rom" start="0x1000" length="0xf000"/>
            <memory type="ram" start="0x\(String(machine.ramBase, radix: 16))" length="0x\(String(machine.ramSize, radix: 16))"/>
            </memory-map>

            """
    }

    /// Bytes from pairs of hex digits, or nil when the text is not that.
    static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = RemotePacketReader.hexValue(digits[index]),
                let low = RemotePacketReader.hexValue(digits[index + 1])
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
