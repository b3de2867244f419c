import Foundation
import Machine
import Testing
import TestSupport

/// `--dump-state FILE`, `--max-steps N` and `--ram SIZE` through the built binary, and the
/// determinism a user can observe from outside: the same run twice gives the same state.
@Suite struct DumpStateTests {
    static let topLevelKeys = ["step", "pc", "x", "privilege", "csr", "devices", "stateHash"]
    static let csrKeys = [
        "mstatus", "mie", "mip", "mtvec", "mepc", "mcause", "mtval", "mscratch", "mcycle", "minstret",
    ]
    /// The devices `MachineState+JSON.swift` documents.
    static let deviceKeys = ["uart", "clint", "plic", "semihosting", "htif"]

    /// Runs `timescope run elf options --dump-state <tmp>` and returns the result and the
    /// dump's bytes.
    func runDumping(_ elf: String, _ options: [String] = []) throws -> (ProcessResult, [UInt8]) {
        let temporary = try TemporaryDirectory()
        defer { temporary.remove() }
        let directory = temporary.path
        let path = directory + "/state.json"
        let result = try TimescopeProcess.run(["run", elf] + options + ["--dump-state", path])
        let data = try #require(
            FileManager.default.contents(atPath: path), "no dump written; stderr: \(result.stderr)")
        return (result, [UInt8](data))
    }

    @Test func theDumpHasExactlyTheContractsKeysAndOnlyIntegers() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let (result, bytes) = try runDumping(try FirmwareBuilder.elf("exerciser"), ["--max-steps", "1000"])
        #expect(result.status == 4)
        let state = try ParsedJSON.parse(bytes)

        #expect(Set(state.keys) == Set(Self.topLevelKeys))
        #expect(state.keys.count == Self.topLevelKeys.count, "no key twice: \(state.keys)")
        #expect(state.nonIntegerNumbers().isEmpty, "not integers: \(state.nonIntegerNumbers())")

        #expect(state["step"]?.unsigned == 1000)
        #expect(state["pc"]?.unsigned != nil)
        #expect(state["privilege"]?.unsigned == 3, "machine mode")
        let x = try #require(state["x"]?.elements)
        #expect(x.count == 32)
        #expect(
            x.allSatisfy { $0.unsigned.map { $0 <= UInt64(UInt32.max) } == true }, "32-bit unsigned integers")
        #expect(x.first?.unsigned == 0)

        let csr = try #require(state["csr"])
        #expect(
            Set(csr.keys) == Set(Self.csrKeys) && csr.keys.count == Self.csrKeys.count,
            "csr keys: \(csr.keys)")
        #expect(csr.keys.allSatisfy { csr[$0]?.unsigned != nil })
        #expect(csr["minstret"]?.unsigned == 1000, "the exerciser takes no trap in its first 1000 steps")

        let devices = try #require(state["devices"])
        #expect(Set(devices.keys) == Set(Self.deviceKeys), "devices: \(devices.keys)")
        for key in devices.keys {
            #expect(devices[key]?.keys.isEmpty == false, "device \(key) is an object with members")
        }
        // Simulated time: mtime advances one tick per 100 steps (no WFI idle skip here).
        #expect(devices["clint"]?["mtime"]?.unsigned == 10)

        let hash = try #require(state["stateHash"]?.string)
        #expect(!hash.isEmpty && hash.allSatisfy(\.isHexDigit), "stateHash is hex: \(hash)")
    }

    /// "The state at step N is the state after N steps": `--max-steps N` stops with step == N;
    /// step 0 is reset (pc at the reset ROM, every register 0).
    @Test(arguments: [0, 1, 2, 12_345])
    func maxStepsStopsExactlyThere(_ steps: Int) throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf("exerciser")
        let (result, bytes) = try runDumping(elf, ["--max-steps", String(steps)])
        #expect(result.status == 4, "stderr: \(result.stderr)")
        let state = try ParsedJSON.parse(bytes)
        #expect(state["step"]?.unsigned == UInt64(steps))
        if steps == 0 {
            #expect(state["pc"]?.unsigned == 0x1000, "the reset ROM, as on QEMU")
            #expect(state["x"]?.elements?.allSatisfy { $0.unsigned == 0 } == true)
        }
    }

    /// Two runs of the same firmware with the same input end in the same state: the dumps,
    /// stateHash included, are byte-identical. `timer` includes WFI idle skips; `echo` input.
    @Test(arguments: [
        ("exerciser", [String]()),
        ("timer", []),
        ("echo", ["--input", #"hello, world\nq"#]),
        ("workload", ["--max-steps", "1000000"]),
    ])
    func theSameRunTwiceGivesTheSameState(_ program: String, _ options: [String]) throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf(program)
        let (first, firstDump) = try runDumping(elf, options)
        let (second, secondDump) = try runDumping(elf, options)
        #expect(first.status == second.status)
        #expect(first.stdout == second.stdout)
        #expect(firstDump == secondDump)
        let hashes = try [firstDump, secondDump].map { try ParsedJSON.parse($0)["stateHash"]?.string }
        #expect(hashes[0] != nil && hashes[0] == hashes[1])
    }

    /// The hash tells states apart: one more step gives another hash.
    @Test func differentStepsHaveDifferentHashes() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf("workload")
        let hashes = try [5000, 5001].map { steps in
            try ParsedJSON.parse(runDumping(elf, ["--max-steps", String(steps)]).1)["stateHash"]?.string
        }
        #expect(hashes[0] != nil && hashes[0] != hashes[1])
    }

    /// The test firmware lives in the first MiB of RAM, so `--ram 1M` runs it exactly as the
    /// default 128 MiB does.
    @Test(arguments: ["exerciser", "timer", "semihost", "workload"])
    func oneMebibyteOfRAMRunsTheSmallPrograms(_ program: String) throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf(program)
        let small = try TimescopeProcess.run(["run", elf, "--ram", "1M"])
        let large = try TimescopeProcess.run(["run", elf])
        #expect(small.status == large.status)
        #expect(small.status == (program == "semihost" ? 7 : 0), "stderr: \(small.stderr)")
        #expect(small.stdout == large.stdout)
    }
}
