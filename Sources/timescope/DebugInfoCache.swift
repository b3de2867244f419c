import DebugInfo
import Foundation
import Machine

/// The debug information of the firmware a command works on, read once per process.
final class DebugInfoCache: @unchecked Sendable {
    static let shared = DebugInfoCache()
    /// The ELF read last and what reading it gave.
    private var cached: (elf: [UInt8], result: Result<DebugInfo, DebugInfoError>)?
    private let lock = NSLock()

    /// The firmware's debug information, or why there is none ("no debug info: …").
    func debugInfo(for firmware: Firmware) throws(DebugInfoError) -> DebugInfo {
        lock.lock()
        defer { lock.unlock() }
        if let cached, cached.elf == firmware.fileBytes { return try cached.result.get() }
        let result = Result { () throws(DebugInfoError) -> DebugInfo in try DebugInfo(firmware: firmware) }
        cached = (elf: firmware.fileBytes, result: result)
        return try result.get()
    }
}
