import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One gdb connection: reads packets from a file descriptor, answers them through a
/// `RemoteSession`, and writes the replies to another (the same socket, or stdout for
/// `--stdio`).
///
/// While a long continue runs, the session asks `isInterrupted`, which looks at the input
/// without waiting: a Ctrl-C (0x03) there stops the search; anything else is kept for later.
/// Input that breaks the protocol is answered (`-` for a bad checksum, the empty reply for an
/// unknown packet) or dropped, never trusted.
public final class RemoteConnection {
    private let input: Int32
    private let output: Int32
    private let session: RemoteSession
    private var reader = RemotePacketReader(maximumLength: RemoteSession.packetSize)
    private var pending: [RemoteEvent] = []
    private var isClosed = false

    /// A connection reading `input` and writing `output` for `session`.
    public init(input: Int32, output: Int32, session: RemoteSession) {
        self.input = input
        self.output = output
        self.session = session
    }

    /// Serves until gdb detaches, kills, or closes the connection.
    public func serve() {
        while !isClosed && !session.isFinished {
            if pending.isEmpty {
                guard let bytes = receive(waiting: true) else { return }
                pending += reader.consume(bytes)
                continue
            }
            let event = pending.removeFirst()
            switch event {
            case .packet(let payload):
                if session.acknowledgesPackets { send([UInt8(ascii: "+")]) }
                if let reply = session.reply(to: payload, isInterrupted: { self.interruptArrived() }) {
                    send(RemotePacket.frame(reply))
                }
            case .corrupted:
                if session.acknowledgesPackets { send([UInt8(ascii: "-")]) }
            case .interrupt:
                // Nothing runs between packets: report where the target is.
                send(
                    RemotePacket.frame(
                        TargetStop(step: session.target.step, reason: .interrupted).replyPayload))
            case .acknowledgement: break
            }
        }
    }

    /// Whether a Ctrl-C has arrived (without waiting); other input is kept in order.
    private func interruptArrived() -> Bool {
        guard let bytes = receive(waiting: false) else { return true }
        let events = reader.consume(bytes)
        if events.contains(.interrupt) {
            pending += events.filter { $0 != .interrupt }
            return true
        }
        pending += events
        return false
    }

    /// Reads what is there (waiting for something when `waiting`); nil when the connection is
    /// closed or broken.
    private func receive(waiting: Bool) -> [UInt8]? {
        guard !isClosed else { return nil }
        var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&descriptor, 1, waiting ? -1 : 0)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 {
                isClosed = true
                return nil
            }
            if ready == 0 { return [] }
            break
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                isClosed = true
                return nil
            }
            return Array(buffer[0..<count])
        }
    }

    private func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count && !isClosed {
            let count = bytes[offset...].withUnsafeBytes { write(output, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                isClosed = true
                return
            }
            offset += count
        }
    }
}
