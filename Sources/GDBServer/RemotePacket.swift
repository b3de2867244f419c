/// The framing of the gdb remote serial protocol: `$payload#cc`, where `cc` is the payload's
/// byte sum modulo 256 in two hex digits.
///
/// ```
/// $m80001034,4#c1      gdb → server: read 4 bytes at 0x80001034
/// +                    server → gdb: received intact (until QStartNoAckMode)
/// $6865726d#9f         server → gdb: the bytes
/// \x03                 gdb → server, outside any packet: interrupt the running target
/// ```
///
/// In a payload, `$`, `#`, `}` and `*` are escaped as `}` followed by the byte XOR 0x20.
public enum RemotePacket {
    /// The framed bytes of `payload`, escaped where the protocol requires it.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(payload.count + 4)
        for byte in payload {
            switch byte {
            case UInt8(ascii: "$"), UInt8(ascii: "#"), UInt8(ascii: "}"), UInt8(ascii: "*"):
                body += [UInt8(ascii: "}"), byte ^ 0x20]
            default: body.append(byte)
            }
        }
        let sum = body.reduce(UInt8(0)) { $0 &+ $1 }
        return [UInt8(ascii: "$")] + body + [UInt8(ascii: "#")] + Array(hexDigits(sum))
    }

    /// The framed bytes of a text payload.
    public static func frame(_ payload: String) -> [UInt8] { frame(Array(payload.utf8)) }

    /// The two lowercase hex digits of a byte.
    static func hexDigits(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 15)]]
    }
}

/// What arrives on a connection, cut into protocol events as bytes come in.
public enum RemoteEvent: Equatable, Sendable {
    /// A packet whose checksum matched, unescaped.
    case packet([UInt8])
    /// A packet whose checksum did not match: the sender expects `-` and sends it again.
    case corrupted
    /// Ctrl-C (0x03) outside a packet: stop the target.
    case interrupt
    /// `+` or `-`: the other side's acknowledgement of our last packet.
    case acknowledgement(isPositive: Bool)
}

/// Cuts a byte stream into `RemoteEvent`s. Bytes outside packets other than `+`, `-` and 0x03
/// are dropped (as gdbserver does), and a packet longer than `maximumLength` is dropped as
/// corrupted, so no input can grow the buffer without bound.
public struct RemotePacketReader: Sendable {
    private enum Phase: Sendable {
        case idle
        case payload
        case escaped
        case checksum(first: UInt8?)
    }

    /// The longest payload accepted, in bytes (what `qSupported` announces as `PacketSize`).
    public let maximumLength: Int
    private var phase = Phase.idle
    private var payload: [UInt8] = []
    private var sum: UInt8 = 0
    private var isOversized = false

    /// A reader that accepts payloads of up to `maximumLength` bytes.
    public init(maximumLength: Int = 0x4000) {
        self.maximumLength = maximumLength
    }

    /// Feeds `bytes` and returns the events they complete, in order.
    public mutating func consume(_ bytes: some Sequence<UInt8>) -> [RemoteEvent] {
        var events: [RemoteEvent] = []
        for byte in bytes {
            if let event = consume(byte) { events.append(event) }
        }
        return events
    }

    private mutating func consume(_ byte: UInt8) -> RemoteEvent? {
        switch phase {
        case .idle:
            switch byte {
            case UInt8(ascii: "$"):
                phase = .payload
                payload.removeAll(keepingCapacity: true)
                sum = 0
                isOversized = false
            case 0x03: return .interrupt
            case UInt8(ascii: "+"): return .acknowledgement(isPositive: true)
            case UInt8(ascii: "-"): return .acknowledgement(isPositive: false)
            default: break
            }
        case .payload:
            if byte == UInt8(ascii: "#") {
                phase = .checksum(first: nil)
                return nil
            }
            sum &+= byte
            if byte == UInt8(ascii: "}") {
                phase = .escaped
            } else {
                append(byte)
            }
        case .escaped:
            sum &+= byte
            append(byte ^ 0x20)
            phase = .payload
        case .checksum(let first):
            guard let first else {
                phase = .checksum(first: byte)
                return nil
            }
            phase = .idle
            guard let high = Self.hexValue(first), let low = Self.hexValue(byte), high << 4 | low == sum,
                !isOversized
            else { return .corrupted }
            return .packet(payload)
        }
        return nil
    }

    private mutating func append(_ byte: UInt8) {
        if payload.count < maximumLength { payload.append(byte) } else { isOversized = true }
    }

    static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
