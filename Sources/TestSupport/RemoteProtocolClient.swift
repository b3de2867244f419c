import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A bare client of the gdb remote protocol, for tests that need what gdb in batch mode cannot
/// do: send Ctrl-C during a continue, or send bytes that break the protocol.
///
/// It runs `timescope gdbserver REC --stdio` with pipes and speaks to it directly:
///
/// ```swift
/// let client = try RemoteProtocolClient(recording: path)
/// try client.send("qRcmd," + RemoteProtocolClient.hex("when"))
/// let reply = try client.receivePacket(timeout: 5)
/// ```
public final class RemoteProtocolClient {
    private let process: Process
    private let input: FileHandle
    private let output: Int32
    private var buffer: [UInt8] = []

    /// Starts the server on `recording` (`arguments` are added to `gdbserver`'s).
    public init(recording: String, arguments: [String] = []) throws {
        let stdin = Pipe()
        let stdout = Pipe()
        process = Process()
        process.executableURL = URL(fileURLWithPath: try TimescopeProcess.binaryPath())
        process.arguments = ["gdbserver", recording, "--stdio"] + arguments
        process.environment = TimescopeProcess.environment()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        input = stdin.fileHandleForWriting
        output = stdout.fileHandleForReading.fileDescriptor
    }

    /// The server's process, to see whether it still runs and how it ended.
    public var isRunning: Bool { process.isRunning }

    /// The exit status once it ended (128 + the signal when one killed it).
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Sends raw bytes, as they are.
    public func sendRaw(_ bytes: [UInt8]) throws {
        try input.write(contentsOf: Data(bytes))
    }

    /// Sends a packet with its framing and checksum.
    public func send(_ payload: String) throws {
        let sum = payload.utf8.reduce(UInt8(0)) { $0 &+ $1 }
        try sendRaw(Array("$\(payload)#\(String(format: "%02x", sum))".utf8))
    }

    /// Closes the server's input (as gdb going away does).
    public func closeInput() throws { try input.close() }

    /// The next packet's payload (acknowledgements before it skipped), or nil when nothing
    /// complete arrives within `timeout` seconds or the server closed its output.
    public func receivePacket(timeout: TimeInterval) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let start = buffer.firstIndex(of: UInt8(ascii: "$")),
                let end = buffer[start...].firstIndex(of: UInt8(ascii: "#")), buffer.count >= end + 3
            {
                let payload = String(decoding: buffer[(start + 1)..<end], as: UTF8.self)
                buffer.removeFirst(end + 3)
                return payload
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(min(remaining, 1) * 1000)) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            guard count > 0 else { return nil }
            buffer += chunk[0..<count]
        }
    }

    /// Sends `payload` and returns the reply.
    public func request(_ payload: String, timeout: TimeInterval = 30) throws -> String? {
        try send(payload)
        return receivePacket(timeout: timeout)
    }

    /// The text as pairs of hex digits (`qRcmd`'s encoding).
    public static func hex(_ text: String) -> String {
        text.utf8.map { String(format: "%02x", $0) }.joined()
    }

    /// Text from pairs of hex digits.
    public static func text(fromHex hex: String) -> String {
        let digits = Array(hex.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index + 1 < digits.count {
            bytes.append(UInt8(String(decoding: digits[index...(index + 1)], as: UTF8.self), radix: 16) ?? 0)
            index += 2
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Ends the server if it still runs.
    public func stop() {
        try? input.close()
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
