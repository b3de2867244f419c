// libFuzzer target for the recording reader: every input is written to a file and opened as
// a recording; whatever opens is then seeked and searched. Any trap is a bug (recordings are
// untrusted input). Not part of the package by default: see Fuzz/README.md to build and run.
import Foundation
import Recording

private let path = NSTemporaryDirectory() + "timescope-libfuzzer-\(getpid()).tsr"

// SwiftPM links an executable's `main` to `<Module>_main` (so tests can link the module);
// with -parse-as-library there is none, so this one hands over to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("RecordingFuzzer_main")
public func recordingFuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, recordingFuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func recordingFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    guard (try? Data(bytes: data, count: size).write(to: URL(fileURLWithPath: path))) != nil else { return 0 }
    guard let timeline = try? Timeline(path: path) else { return 0 }
    let total = timeline.totalSteps
    // A file may claim a very long run; replaying it is slow, not wrong.
    guard total <= 1_000_000 else { return 0 }
    for step in [total, 0, total / 2, total / 3] { _ = try? timeline.seek(to: step) }
    _ = try? timeline.lastWrite(to: 0x800F_FF00..<0x8010_0000, before: total)
    _ = try? timeline.nextExecution(of: timeline.machine.firmware.entry, after: 0)
    _ = try? timeline.marker(kind: MarkerKind.interruptFamily, before: total)
    _ = try? timeline.markers(in: 0...total)
    _ = try? timeline.stateJSON(memory: [0x8000_0000..<0x8000_0040])
    return 0
}
