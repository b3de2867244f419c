import Foundation
import Testing
import TestSupport

/// `timescope gdb` and `gdbserver`, driven by gdb-multiarch in batch mode: what gdb shows on a
/// recording (stops, backtraces, registers, old and new values) is what `timescope find` and
/// `timescope state` say about the same steps.
@Suite struct GDBServerTests {
    static let recording = TimescopePackageRootPath.crash

    /// gdb's standard output after `commands`, run by `timescope gdb` on `recording`, then its
    /// standard error (where batch mode prints `monitor` output).
    func gdb(_ commands: [String], on recording: String = Self.recording) throws -> String {
        let result = try TimescopeProcess.run(
            ["gdb", recording, "--", "-nx", "-batch"] + commands.flatMap { ["-ex", $0] }, timeout: 120)
        #expect(result.status == 0, "\(result)")
        return result.stdoutText + "\n" + result.stderr
    }

    /// Records `program` (assembly after `TestProgram.prelude`) into `scratch` and returns the
    /// recording's path.
    func record(_ program: String, in scratch: TemporaryDirectory) throws -> String {
        let elf = try Assembler.elf(TestProgram.prelude + program)
        let recording = scratch.file("program.tsr")
        let record = try TimescopeProcess.run(["record", elf, "-o", recording])
        try #require(record.status == 0, "\(record)")
        return recording
    }

    /// The steps `monitor when` printed, in order.
    func whens(_ output: String) -> [UInt64] {
        output.matches(of: #/step (\d+) of \d+/#).compactMap { UInt64($0.1) }
    }

    /// `timescope state --at WHEN --json` (with memory ranges).
    func state(at when: String, memory: [String] = [], in recording: String = Self.recording) throws
        -> ParsedJSON
    {
        let result = try TimescopeProcess.run(
            ["state", recording, "--at", when, "--json"] + memory.flatMap { ["--memory", $0] })
        #expect(result.status == 0, "\(result)")
        return try ParsedJSON.parse(result.stdout)
    }

    /// `timescope find` as (step, pc).
    func find(_ arguments: [String], in recording: String = Self.recording) throws -> (
        step: UInt64, pc: UInt32
    )? {
        let result = try TimescopeProcess.run(["find", recording] + arguments + ["--json"])
        guard result.status == 0 else { return nil }
        let json = try ParsedJSON.parse(result.stdout)
        guard let step = json["step"]?.unsigned, let pc = json["pc"]?.unsigned else { return nil }
        return (step, UInt32(pc))
    }

    /// The little-endian word in a `state --json` memory dump.
    func word(_ state: ParsedJSON) -> UInt32? {
        guard let hex = state["memory"]?[0]?["hex"]?.string, hex.count == 8 else { return nil }
        let bytes = stride(from: 0, to: 8, by: 2).compactMap {
            UInt32(hex.dropFirst($0).prefix(2), radix: 16)
        }
        return bytes.enumerated().reduce(0) { $0 | $1.element << (8 * UInt32($1.offset)) }
    }

    @Test func breakContinueThenReverseContinueToAWatchpointStopsWhereFindSays() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let output = try gdb([
            "monitor seek start", "break poll_sensors", "continue", "monitor when",
            "watch sensors[2].read", "print/x &sensors[2].read",
            "reverse-continue", "monitor when", "print/x $pc", "continue", "monitor when",
        ])
        // (The first is `seek start`'s.)
        let steps = Array(whens(output).dropFirst())
        try #require(steps.count == 3, "\(output)")
        // A breakpoint stops in the state whose pc is about to run it: find's step − 1.
        let breakpoint = try #require(try find(["--pc", "poll_sensors", "--after", "0"]))
        #expect(steps[0] == breakpoint.step - 1, "\(output)")
        #expect(output.contains("Breakpoint 1, poll_sensors ()"), "\(output)")

        // Back to the last write before the breakpoint: gdb steps back over the store, so it
        // stands at find's step − 1 with pc at the store; forward again, right after it.
        let address = try #require(output.firstMatch(of: #/\$1 = 0x([0-9a-f]+)/#).map { String($0.1) })
        let write = try #require(try find(["--last-write", "\(address):4", "--before", String(steps[0])]))
        #expect(steps[1] == write.step - 1, "\(output)")
        #expect(output.contains("$2 = \(String(format: "0x%x", write.pc))"), "pc at the store: \(output)")
        #expect(steps[2] == write.step, "continue over the store stops right after it: \(output)")
        // Going back, the value changes from the store's new bytes to its old ones; forward,
        // from old to new.
        let new = try #require(word(try state(at: String(write.step), memory: ["\(address):4"])))
        let old = try #require(word(try state(at: String(write.step - 1), memory: ["\(address):4"])))
        let reports = output.matches(of: #/Old value = .*0x([0-9a-f]+)\nNew value = .*0x([0-9a-f]+)\n/#)
            .map { [UInt32($0.1, radix: 16), UInt32($0.2, radix: 16)] }
        #expect(reports == [[new, old], [old, new]], "\(output)")
    }

    /// A flag set to 1 on every one of 200,000 iterations: gdb's `watch` stops only where the
    /// value changes (the first store), forward and backward, and the server does not report
    /// the stores that leave it as it was (one round trip each would take minutes).
    @Test func aWatchOnAFlagSetAgainAndAgainStopsWhereItChanges() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let scratch = try TemporaryDirectory("gdb-flag")
        defer { scratch.remove() }
        let recording = try record(
            """
                la s1, flag
                li s0, 0
            loop:
                addi s0, s0, 1
                li t0, 1
            set_flag:
                sw t0, 0(s1)            # 0 → 1 once, then 1 → 1
                li t0, 200000
                blt s0, t0, loop
                EXIT 0

                .data
            flag: .word 0
            """, in: scratch)
        let output = try gdb(
            [
                "watch *(unsigned int *)&flag", "reverse-continue", "monitor when", "print/x $pc",
                "monitor seek start", "continue", "monitor when", "continue", "monitor when",
            ], on: recording)
        let first = try #require(try find(["--pc", "set_flag", "--after", "0"], in: recording))
        let total = try #require(state(at: "end", in: recording)["step"]?.unsigned)
        #expect(whens(output) == [first.step - 1, 0, first.step, total], "\(output)")
        #expect(output.contains("$1 = \(String(format: "0x%x", first.pc))"), "pc at the store: \(output)")
    }

    /// Read and access watchpoints (`rwatch`, `awatch`; the server's Z3 and Z4): a word read
    /// twice (a word load, a byte load of its third byte) and written once, beside a word read
    /// on every iteration. Forward, gdb stops right after each read (find's step); backward,
    /// at each read and at the write, pc at the instruction (find's step − 1).
    @Test func readAndAccessWatchpointsStopAtEveryAccessOfTheWord() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let scratch = try TemporaryDirectory("gdb-watch")
        defer { scratch.remove() }
        let recording = try record(
            """
                la s1, target
                li s0, 0
            loop:
                addi s0, s0, 1
                li t0, 3
                bne s0, t0, 1f
            read_one:
                lw t1, 0(s1)
            1:  li t0, 7
                bne s0, t0, 2f
            write_one:
                sw s0, 0(s1)
            2:  li t0, 9
                bne s0, t0, 3f
            read_two:
                lbu t2, 2(s1)
            3:  lw t3, 4(s1)            # the neighbour, every iteration
                li t0, 20000
                blt s0, t0, loop
                EXIT 0

                .data
            target: .word 0x11223344
            neighbour: .word 0
            """, in: scratch)
        let output = try gdb(
            [
                "monitor seek start", "rwatch *(unsigned int *)&target", "continue", "monitor when",
                "print/x $pc", "continue", "monitor when", "print/x $pc", "delete",
                "awatch *(unsigned int *)&target", "monitor seek end", "reverse-continue", "monitor when",
                "print/x $pc", "reverse-continue", "monitor when", "print/x $pc", "reverse-continue",
                "monitor when", "print/x $pc",
            ], on: recording)
        let readOne = try #require(try find(["--pc", "read_one", "--after", "0"], in: recording))
        let write = try #require(try find(["--pc", "write_one", "--after", "0"], in: recording))
        let readTwo = try #require(try find(["--pc", "read_two", "--after", "0"], in: recording))
        let total = try #require(state(at: "end", in: recording)["step"]?.unsigned)
        #expect(
            whens(output) == [
                0, readOne.step, readTwo.step, total, readTwo.step - 1, write.step - 1, readOne.step - 1,
            ], "\(output)")
        let pcs = output.matches(of: #/\$\d+ = 0x([0-9a-f]+)/#).compactMap { UInt32($0.1, radix: 16) }
        #expect(
            pcs == [readOne.pc + 4, readTwo.pc + 4, readTwo.pc, write.pc, readOne.pc],
            "after each read forward, at each access backward: \(output)")
        #expect(output.contains("Hardware read watchpoint 1"), "\(output)")
        #expect(output.contains("Hardware access (read/write) watchpoint 2"), "\(output)")
    }

    /// gdb steps RISC-V forward in software (a breakpoint at the next pc, then continue), so
    /// a `stepi` over an instruction an interrupt pre-empts runs the handler and stops at the
    /// next pc, as on hardware; `reverse-stepi` (the server's `bs`) goes back one step at a
    /// time, into the handler's entry and out of it.
    @Test func reverseStepiAndStepiCrossAnInterruptEntry() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let recording = TimescopeProcess.packageRoot.appendingPathComponent("Recordings/timer.tsr").path
        let trap = try #require(try find(["--event", "timer-interrupt", "--after", "0"], in: recording))
        let output = try gdb(
            [
                "monitor seek \(trap.step + 1)", "reverse-stepi", "monitor when", "print/x $pc",
                "print/x $mcause", "reverse-stepi", "monitor when", "print/x $pc", "print/x $mcause", "stepi",
                "monitor when", "print/x $pc", "monitor seek \(trap.step)", "stepi", "monitor when",
            ], on: recording)
        let before = try state(at: String(trap.step - 1), in: recording)
        let entry = try state(at: String(trap.step), in: recording)
        let values = output.matches(of: #/\$\d+ = (0x[0-9a-f]+)/#).map { String($0.1) }
        func hex(_ value: UInt64?) -> String { String(format: "0x%x", value ?? 0xdead_beef) }
        try #require(values.count == 5, "\(output)")
        #expect(
            Array(values[0..<4]) == [
                hex(entry["pc"]?.unsigned), hex(entry["csr"]?["mcause"]?.unsigned),
                hex(before["pc"]?.unsigned), hex(before["csr"]?["mcause"]?.unsigned),
            ], "\(output)")
        #expect(entry["pc"]?.unsigned != before["pc"]?.unsigned, "the step enters the handler")
        // stepi from the pre-empted instruction: the next time pc is at the address gdb chose.
        let next = try #require(
            try find(["--pc", values[4], "--after", String(trap.step - 1)], in: recording))
        #expect(
            whens(output) == [
                trap.step + 1, trap.step, trap.step - 1, next.step - 1, trap.step, trap.step + 1,
            ], "\(output)")
    }

    @Test(arguments: ["683", "50%", "end"])
    func backtraceAndRegistersAreTheStateCommands(when: String) throws {
        guard try RequiredTool.require(.gdb) else { return }
        let output = try gdb(["monitor seek \(when)", "bt", "info registers"])
        let frames = try TimescopeProcess.run(["state", Self.recording, "--at", when, "--frames"])
        #expect(frames.status == 0)
        // `#1  0x800002fc in register_sensor (...) at sensorhub.c:61` in both; gdb names the
        // file as compiled (crash/sensorhub.c), Timescope by its last component.
        let framePattern = #/#(\d+) +(?:(0x[0-9a-f]+) in )?(\S+) \(.*\) at (?:\S*/)?([^/\s]+:\d+)/#
        func frameList(_ text: String) -> [String] {
            text.split(separator: "\n").compactMap { line in
                // Frame 0's pc: gdb prints it when it is not at the start of a line, Timescope never.
                line.firstMatch(of: framePattern).map {
                    "#\($0.1) \($0.1 == "0" ? "" : $0.2 ?? "") \($0.3) \($0.4)"
                }
            }
        }
        let ours = frameList(frames.stdoutText)
        #expect(!ours.isEmpty || frames.stdoutText.contains("#0"), "\(frames)")
        #expect(frameList(output) == ours, "gdb:\n\(output)\nstate:\n\(frames.stdoutText)")
        let json = try state(at: when)
        let names = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
            "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
        ]
        var registers: [String: UInt64] = [:]
        for match in output.matches(of: #/(?m)^(\w+) +0x([0-9a-f]+)/#) {
            registers[String(match.1)] = UInt64(match.2, radix: 16)
        }
        for (index, name) in names.enumerated() where index > 0 {
            #expect(registers[name] == json["x"]?[index]?.unsigned, "\(name) at \(when)")
        }
        #expect(registers["pc"] == json["pc"]?.unsigned, "pc at \(when)")
        #expect(whens(output) == [json["step"]?.unsigned ?? 0])
    }

    @Test func bothEndsOfTheRecordingAreNoMoreHistory() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let total = try #require(try state(at: "end")["step"]?.unsigned)
        // (At the end of this recording pc is 0, where gdb cannot read an instruction to
        // stepi from; `s` at the end is in the protocol test below.)
        let output = try gdb([
            "monitor when", "continue", "monitor when", "reverse-continue", "monitor when", "reverse-stepi",
            "monitor when", "monitor seek 10", "reverse-stepi", "monitor when",
        ])
        #expect(whens(output) == [total, total, 0, 0, 10, 9], "\(output)")
        #expect(
            output.components(separatedBy: "No more reverse-execution history.").count - 1 == 3, "\(output)")
    }

    @Test func aRecordingIsHistoryWritesAreRefused() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let result = try TimescopeProcess.run([
            "gdb", Self.recording, "--", "-nx", "-batch", "-ex", "set var $a0 = 5", "-ex", "print/x $a0",
            "-ex", "set var *(int *)0x80001034 = 5", "-ex", "monitor help",
        ])
        #expect(result.stderr.contains("a recording is history"), "\(result)")
        let a0 = try #require(try state(at: "end")["x"]?[10]?.unsigned)
        #expect(result.stdoutText.contains("$1 = \(String(format: "0x%x", a0))"), "\(result)")
        #expect(result.stderr.contains("monitor seek WHEN"), "\(result)")
        // gdb words a refused memory write its own way.
        #expect(result.stderr.contains("Cannot access memory at address 0x80001034"), "\(result)")
    }

    @Test func monitorSeekMovesToTheStepStateNames() throws {
        guard try RequiredTool.require(.gdb) else { return }
        let output = try gdb(["monitor seek 50%", "monitor seek +10", "monitor seek start", "monitor when"])
        let half = try #require(try state(at: "50%")["step"]?.unsigned)
        #expect(whens(output) == [half, half + 10, 0, 0], "\(output)")
    }

    @Test func aMalformedPacketStreamIsAnsweredNeverCrashes() throws {
        let client = try RemoteProtocolClient(recording: Self.recording)
        defer { client.stop() }
        // A bad checksum: `-`, then the server goes on.
        try client.sendRaw(Array("$g#00".utf8))
        // Garbage outside packets, unterminated escapes, huge and non-hex arguments.
        try client.sendRaw(
            Array("garbage\u{0}\u{ff}}}}$".utf8) + [UInt8](repeating: 0x41, count: 70_000) + Array("#00".utf8)
        )
        for payload in [
            "m", "mzz,4", "m80000000,ffffffffffff", "p", "pffffffff", "Z9,0,0", "Z0,x", "z2,80000000",
            "qXfer:features:read:target.xml:zz", "qXfer:features:read:target.xml:fffffff,10",
            "qXfer:memory-map:read::0,ffffffff", "qRcmd,zz", "qRcmd,", "vCont;q", "bx", "H", "T99",
            "M80000000,4:00000000", "X80000000,0:", "G00", "P1=00000000", "m0,10",
        ] {
            let reply = try client.request(payload, timeout: 10)
            #expect(reply != nil, "no reply to \(payload)")
        }
        #expect(try client.request("m0,4") == "E14", "unmapped memory is an error, not zeros")
        #expect(try client.request("qC") == "QC1", "it still answers")
        // The ends of the recording, in the protocol's words.
        #expect(try client.request("s")?.contains("replaylog:end;") == true)
        #expect(try client.request("qRcmd," + RemoteProtocolClient.hex("seek start")) != nil)
        #expect(try client.request("bs")?.contains("replaylog:begin;") == true)
        #expect(try client.request("bc")?.contains("replaylog:begin;") == true)
        try client.closeInput()
        #expect(client.waitForExit(timeout: 10) == 0, "it ends cleanly when gdb goes away")
    }

    @Test func ctrlCInterruptsAContinueOverALongRecording() throws {
        guard try RequiredTool.require(.crossCompiler, .make) else { return }
        let elf = try FirmwareBuilder.elf("workload-bench")
        let scratch = try TemporaryDirectory("gdbserver")
        defer { scratch.remove() }
        let recording = scratch.file("long.tsr")
        let recorded = try TimescopeProcess.run(["record", elf, "-o", recording], timeout: 600)
        #expect(recorded.status == 0, "\(recorded)")
        let total = try #require(
            try ParsedJSON.parse(
                TimescopeProcess.run(["state", recording, "--at", "end", "--json"]).stdout)["step"]?.unsigned)
        #expect(total >= 1_000_000_000)

        let client = try RemoteProtocolClient(recording: recording)
        defer { client.stop() }
        #expect(try client.request("QStartNoAckMode") == "OK")
        #expect(try client.request("qRcmd," + RemoteProtocolClient.hex("seek start")) != nil)
        // A read watchpoint on a word nothing reads: the continue replays step by step, far
        // longer than this test waits.
        #expect(try client.request("Z3,80000000,4") == "OK")
        try client.send("vCont;c")
        #expect(client.receivePacket(timeout: 1) == nil, "the continue is still running")
        let interrupted = Date()
        try client.sendRaw([0x03])
        let reply = client.receivePacket(timeout: 10)
        #expect(reply?.hasPrefix("T02") == true, "\(reply ?? "no reply")")
        #expect(Date().timeIntervalSince(interrupted) < 5, "it stops promptly")
        let when = RemoteProtocolClient.text(
            fromHex: try client.request("qRcmd," + RemoteProtocolClient.hex("when")) ?? "")
        let step = try #require(when.firstMatch(of: #/step (\d+) of/#).flatMap { UInt64($0.1) }, "\(when)")
        #expect(step > 0 && step < total, "stopped where the search was: \(when)")
        // Still usable: one step back.
        #expect(try client.request("bs")?.hasPrefix("T05") == true)
    }
}
