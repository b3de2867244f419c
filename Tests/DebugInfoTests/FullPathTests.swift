import DebugInfo
import Foundation
import Testing
import TestSupport

/// Where the files the line tables name were when the firmware was compiled (`fullPath(of:)`,
/// where `record` reads the files it embeds): relative names in their unit's compilation
/// directory, absolute ones as they are.
@Suite struct FullPathTests {
    @Test func relativeNamesResolveInTheCompilationDirectory() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf("timer")
        let lines = try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: elf)))).lines
        // make -C Firmware compiles there: every name is relative to it.
        let firmware = TimescopeProcess.packageRoot.appendingPathComponent("Firmware").path
        #expect(lines.sourceFiles.contains("timer/timer.c"), "\(lines.sourceFiles)")
        for name in lines.sourceFiles {
            #expect(!name.hasPrefix("/"), "\(name) is named as make passed it")
            #expect(lines.fullPath(of: name) == firmware + "/" + name)
            #expect(FileManager.default.fileExists(atPath: lines.fullPath(of: name)), "\(name)")
        }
    }

    @Test func absoluteNamesStayAsTheyAre() throws {
        guard try RequiredTool.require(.crossCompiler) else { return }
        let scratch = try TemporaryDirectory()
        defer { scratch.remove() }
        let firmware = try TinyCFirmware.build(in: scratch.path)
        let lines = try DebugInfo(elf: Array(try Data(contentsOf: URL(fileURLWithPath: firmware.elf)))).lines
        #expect(lines.sourceFiles == firmware.sources)
        #expect(lines.sourceFiles.map(lines.fullPath(of:)) == firmware.sources)
    }
}
