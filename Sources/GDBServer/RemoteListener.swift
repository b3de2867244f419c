import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A TCP socket that gdb connects to: bound to one IPv4 address (127.0.0.1 unless told
/// otherwise), accepting one client at a time.
public final class RemoteListener: Sendable {
    /// The port it listens on (the one the system chose when asked for port 0).
    public let port: UInt16
    private let socketDescriptor: Int32

    /// Listens on `address`:`port` (port 0: any free port).
    public init(address: String = "127.0.0.1", port: UInt16) throws(ListenError) {
        var internetAddress = in_addr()
        guard inet_pton(AF_INET, address, &internetAddress) == 1 else {
            throw ListenError("`\(address)` is not an IPv4 address (such as 127.0.0.1 or 0.0.0.0)")
        }
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else {
            throw ListenError("cannot open a socket: \(String(cString: strerror(errno)))")
        }
        var reuse: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        socketAddress.sin_addr = internetAddress
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(descriptor, 1) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ListenError("cannot listen on \(address):\(port): \(reason)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        socketDescriptor = descriptor
        self.port = UInt16(bigEndian: socketAddress.sin_port)
    }

    /// Waits for the next client and returns its socket (nil when the listener broke).
    public func accept() -> Int32? {
        while true {
            #if canImport(Glibc)
                let client = Glibc.accept(socketDescriptor, nil, nil)
            #else
                let client = Darwin.accept(socketDescriptor, nil, nil)
            #endif
            if client >= 0 {
                var noDelay: Int32 = 1
                setsockopt(
                    client, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
                return client
            }
            if errno != EINTR { return nil }
        }
    }

    deinit { close(socketDescriptor) }
}

/// Why the server cannot listen; the text says what to change.
public struct ListenError: Error, CustomStringConvertible, Sendable {
    /// The message.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}
