import Foundation
import Testing
import TestSupport

/// The inspector's `g SYMBOL` / `g -SYMBOL` and `timescope find --pc` agree, run as a user runs
/// them: the inspector shows state R−1 and names step R, the step `find` prints.
@Suite struct InspectorGotoFindTests {
    static let recording = TimescopePackageRootPath.crash

    /// The status line after typing `keys` in `view --at step --print-frame`.
    func status(at step: UInt64, keys: String) throws -> String {
        let result = try TimescopeProcess.run([
            "view", Self.recording, "--at", String(step), "--print-frame", "160x45", "--keys", keys,
        ])
        #expect(result.status == 0, "\(result)")
        return result.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// The step `find --pc SYMBOL` prints (nil for "not found").
    func find(_ symbol: String, _ direction: String, _ step: UInt64) throws -> UInt64? {
        let result = try TimescopeProcess.run([
            "find", Self.recording, "--pc", symbol, direction, String(step),
        ])
        guard result.status == 0 else { return nil }
        let words = result.stdoutText.split(separator: " ")
        return words.count > 1 ? UInt64(words[1]) : nil
    }

    @Test(arguments: [(UInt64(0), "_start"), (274, "copy_name"), (500, "register_sensor"), (100, "_start")])
    func gotoASymbolLandsWhereFindAfterSays(step: UInt64, symbol: String) throws {
        let line = try status(at: step, keys: "g\(symbol)\\n")
        // At a state whose pc is already there, the next run is the one after it.
        let pcIsThere = try find(symbol, "--after", step) == step + 1
        let found = try find(symbol, "--after", pcIsThere ? step + 1 : step)
        if let found {
            #expect(line.hasPrefix("step \(found - 1) of"), "\(line)")
            #expect(
                line.contains("\(symbol) runs next in step \(found); pc is there at step \(found - 1)"),
                "\(line)")
        } else {
            #expect(line.hasPrefix("step \(step) of"), "\(line)")
            #expect(
                line.contains("does not run after step") || line.contains("runs for the last time"), "\(line)"
            )
        }
    }

    @Test(arguments: [
        (UInt64(500), "register_sensor"), (434, "register_sensor"), (3, "_start"), (100, "_start"),
    ])
    func gotoMinusSymbolLandsWhereFindBeforeSays(step: UInt64, symbol: String) throws {
        let line = try status(at: step, keys: "g-\(symbol)\\n")
        if let found = try find(symbol, "--before", step) {
            #expect(line.hasPrefix("step \(found - 1) of"), "\(line)")
            #expect(
                line.contains("\(symbol) last ran in step \(found); pc is there at step \(found - 1)"),
                "\(line)")
        } else {
            #expect(line.hasPrefix("step \(step) of"), "\(line)")
            #expect(line.contains("\(symbol) does not run before step \(step)"), "\(line)")
        }
    }
}

/// The crash demo's path from the package root.
enum TimescopePackageRootPath {
    static var crash: String {
        TimescopeProcess.packageRoot.appendingPathComponent("Recordings/crash.tsr").path
    }
}
