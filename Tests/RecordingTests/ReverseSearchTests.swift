import Foundation
import Machine
import Recording
import Testing
import TestSupport

/// `lastWrite`, `nextWrite`, `lastExecution` and `nextExecution` against a brute-force scan: a
/// fresh machine (the interpreter, not the compiled blocks) single-stepped over the whole run,
/// noting before every step where pc is and what the watched bytes hold.
@Suite struct ReverseSearchTests {
    /// A program that writes a few variables at known instructions (labels `w_*`), some in
    /// only a few iterations so that most keyframe intervals have no write at all, plus a timer
    /// interrupt whose handler writes too. ~13 k steps: ~13 keyframes of 1000 steps.
    ///
    /// Memory (`.data` starts on a page boundary P):
    /// - `watched` P+0 (4 bytes) and `neighbour` P+4, on the same 64-byte line;
    /// - `otherline` P+64, written once at the very end;
    /// - `straddle` P+4094 … P+4097, across the page boundary.
    static let source = """
            .section .text.init, "ax"
            .globl _start
        _start:
            SET_MTVEC isr
            la s1, watched
            la s2, straddle
            la s3, otherline
            li s0, 0
            li t0, MTIME            # first timer interrupt 17 ticks (1700 cycles) from now
            lw t1, 0(t0)
            addi t1, t1, 17
            li t0, MTIMECMP
            sw t1, 0(t0)
            sw zero, 4(t0)
            li t0, 0x80             # mie.MTIE
            csrs mie, t0
            csrsi mstatus, 8        # mstatus.MIE
        loop:
            li t0, 200
        inner:
        hot:
            addi t0, t0, -1
            bnez t0, inner
            # iterations 0, 4, 8: a word
            andi t1, s0, 3
            bnez t1, skip_word
            li t2, 12
            bge s0, t2, skip_word
        w_sw:
            sw s0, 0(s1)
        skip_word:
            # iterations 5 and 13: single bytes, at +2 and at +0
            li t2, 5
            beq s0, t2, bytes
            li t2, 13
            bne s0, t2, skip_bytes
        bytes:
            addi t3, s0, 0x40
        w_sb2:
            sb t3, 2(s1)
        w_sb0:
            sb t3, 0(s1)
        skip_bytes:
            # iteration 9: a store of the value already there, an AMO, a compressed store
            li t2, 9
            bne s0, t2, skip_nine
            lw t3, 0(s1)
        w_same:
            sw t3, 0(s1)
            li t4, 0x100
        w_amo:
            amoadd.w zero, t4, (s1)
        rare:
            addi t4, t4, 1
        w_csw:
            c.sw s0, 0(s1)
        skip_nine:
            # iterations 14, 15, 16: halfwords on both sides of the page boundary
            li t2, 14
            blt s0, t2, skip_straddle
            li t2, 17
            bge s0, t2, skip_straddle
            addi t3, s0, 0x700
        w_sh_lo:
            sh t3, 0(s2)
        w_sh_hi:
            sh t3, 2(s2)
        skip_straddle:
            # iterations 20 … 23: the neighbour on the same line, never `watched` itself
            li t2, 20
            blt s0, t2, skip_neighbour
            li t2, 24
            bge s0, t2, skip_neighbour
        w_neighbour:
            sw s0, 4(s1)
        skip_neighbour:
            addi s0, s0, 1
            li t2, 30
            blt s0, t2, loop
            csrci mstatus, 8
        w_late:
            sw s0, 0(s3)
            EXIT 0
        never:
            addi t4, t4, 1
            j never

            .balign 4
        isr:
            csrw mscratch, t0
            li t0, MTIME            # next interrupt 17 ticks later
            lw t5, 0(t0)
            addi t5, t5, 17
            li t0, MTIMECMP
            sw t5, 0(t0)
        w_isr:
            sw t5, 0(s1)
            csrr t0, mscratch
            mret

            .data
        watched: .word 0x11223344
        neighbour: .word 0
            .balign 64
        otherline: .word 0
            .org 4094
        straddle: .byte 1, 2, 3, 4
        """

    /// A watched range and the store instructions that write into it.
    struct WatchedRange {
        var name: String
        var range: Range<UInt32>
        var storeLabels: [String]
    }

    /// What the brute-force scan found.
    struct Scan {
        /// pc before step N is `pcBefore[N - 1]`.
        var pcBefore: [UInt32] = []
        /// Steps that entered a trap (they execute no instruction).
        var trapSteps: Set<UInt64> = []
        /// Steps that changed the bytes of each range.
        var changes: [String: [UInt64]] = [:]
        /// x0…x31 after step N is `registers[N]` (index 0: the reset state).
        var registers: [[UInt32]] = []
        var total: UInt64 { UInt64(pcBefore.count) }
    }

    static func scan(elf: String, ranges: [WatchedRange]) throws -> Scan {
        let machine = try Reference.machine(elf: elf, compiled: false)
        var scan = Scan()
        var traps: Set<UInt64> = []
        scan.registers.append(machine.state.x)
        machine.eventSink = { event in
            if case .trap(let trap) = event { traps.insert(trap.step) }
        }
        while true {
            let pc = machine.pc
            let before = ranges.map { machine.readRAM($0.range.lowerBound, count: $0.range.count) }
            let start = machine.step
            let reason = machine.run(until: start + 1)
            guard machine.step == start + 1 else { break }
            scan.pcBefore.append(pc)
            scan.registers.append(machine.state.x)
            for (range, old) in zip(ranges, before)
            where machine.readRAM(range.range.lowerBound, count: range.range.count) != old {
                scan.changes[range.name, default: []].append(machine.step)
            }
            if reason != .stepLimit { break }
        }
        scan.trapSteps = traps
        return scan
    }

    /// The steps that executed the instruction at `pc` (state N-1 has pc there, and step N is
    /// not a trap entry).
    static func executions(of pc: UInt32, in scan: Scan) -> [UInt64] {
        scan.pcBefore.indices.compactMap { index in
            let step = UInt64(index + 1)
            return scan.pcBefore[index] == pc && !scan.trapSteps.contains(step) ? step : nil
        }
    }

    /// Also on the recording rewritten as format 2 stored it (executed code in 256-byte chunks,
    /// not 16-byte ones): the index of an older file answers the same.
    @Test(arguments: [false, true]) func searchesAgreeWithABruteForceScan(asFormatTwo: Bool) throws {
        guard let elf = try TestFirmware.assembled(Self.source) else { return }
        let scratch = try ScratchDirectory()
        let run = try Recordings.record(elf: elf, keyframeInterval: 1000, to: scratch.file("writes.tsr"))
        #expect(run.reason == .exited(code: 0, via: .finisher))
        if asFormatTwo { try FileSurgery.rewriteAsFormatTwo(run.path) }
        let symbols = try Firmware.load(contentsOf: elf).symbols
        func address(_ name: String) throws -> UInt32 {
            guard let address = symbols.address(of: name) else {
                throw HarnessFailure("the program has no symbol \(name)")
            }
            return address
        }
        let watched = try address("watched")
        let straddle = try address("straddle")
        let ranges = [
            WatchedRange(
                name: "watched:4", range: watched..<watched + 4,
                storeLabels: ["w_sw", "w_sb2", "w_sb0", "w_same", "w_amo", "w_csw", "w_isr"]),
            WatchedRange(
                name: "watched+2:1", range: watched + 2..<watched + 3,
                storeLabels: ["w_sw", "w_sb2", "w_same", "w_amo", "w_csw", "w_isr"]),
            WatchedRange(name: "neighbour:4", range: watched + 4..<watched + 8, storeLabels: ["w_neighbour"]),
            WatchedRange(name: "unwritten watched+8:4", range: watched + 8..<watched + 12, storeLabels: []),
            WatchedRange(
                name: "straddle:4", range: straddle..<straddle + 4, storeLabels: ["w_sh_lo", "w_sh_hi"]),
            WatchedRange(name: "straddle+2:2", range: straddle + 2..<straddle + 4, storeLabels: ["w_sh_hi"]),
            WatchedRange(
                name: "otherline:4", range: try address("otherline")..<address("otherline") + 4,
                storeLabels: ["w_late"]),
        ]
        let scan = try Self.scan(elf: elf, ranges: ranges)
        #expect(scan.total == run.totalSteps, "the scan and the recording end at the same step")
        #expect(!scan.trapSteps.isEmpty, "the timer interrupts while the program runs")

        // The oracle: a write is a step whose instruction is one of the range's stores.
        var writes: [String: [(step: UInt64, pc: UInt32)]] = [:]
        for range in ranges {
            let pcs = try Set(range.storeLabels.map(address))
            writes[range.name] = scan.pcBefore.indices.compactMap { index in
                let step = UInt64(index + 1)
                return pcs.contains(scan.pcBefore[index]) && !scan.trapSteps.contains(step)
                    ? (step, scan.pcBefore[index]) : nil
            }
            // Sanity of the oracle: every change of the bytes is one of those stores.
            let stores = Set(writes[range.name]!.map(\.step))
            let unexplained = (scan.changes[range.name] ?? []).filter { !stores.contains($0) }
            #expect(
                unexplained.isEmpty, "\(range.name): bytes changed at steps \(unexplained) by no listed store"
            )
            #expect(range.storeLabels.isEmpty || !stores.isEmpty, "\(range.name) is written")
        }
        let wSame = try address("w_same")
        #expect(
            writes["watched:4"]!.contains { $0.pc == wSame }, "a store of the same value counts as a write")

        let targets = try ["hot", "rare", "isr", "w_isr", "never", "w_late"].map { ($0, try address($0)) }
        let executions = Dictionary(
            uniqueKeysWithValues: targets.map { ($0.0, Self.executions(of: $0.1, in: scan)) })
        let hot = try address("hot")
        let interruptedAtHot = scan.trapSteps.filter { $0 >= 1 && scan.pcBefore[Int($0 - 1)] == hot }
        if interruptedAtHot.isEmpty {
            print(
                "note: no interrupt arrived with pc at 'hot'; the 'entry is not execution' case is not exercised"
            )
        }

        // Query steps: the ends, keyframes and their neighbours, every write step and its
        // neighbours, and random steps; in random order.
        let seed = TestSeed.make("reverse searches")
        var random = SeededGenerator(seed: seed)
        var steps = Set(
            seekTargets(
                total: run.totalSteps, interval: 1000, randomCount: 25, boundaryCount: 13, using: &random))
        for write in writes.values.flatMap({ $0 }) {
            for step in [write.step - 1, write.step, write.step + 1] where step <= run.totalSteps {
                steps.insert(step)
            }
        }
        enum Query { case last, next }
        var queries: [(UInt64, Query, Int)] = []
        for step in steps {
            for index in 0..<(ranges.count + targets.count) {
                queries += [(step, .last, index), (step, .next, index)]
            }
        }
        queries.shuffle(using: &random)
        let timeline = try Timeline(path: run.path)
        var failures = 0
        for (step, direction, index) in queries where failures < 20 {
            let expected: TimelineMatch?
            let actual: TimelineMatch?
            let what: String
            if index < ranges.count {
                let range = ranges[index]
                let list = writes[range.name]!
                if direction == .last {
                    expected = list.last { $0.step < step }.map { TimelineMatch(step: $0.step, pc: $0.pc) }
                    actual = try timeline.lastWrite(to: range.range, before: step)
                    what = "lastWrite(\(range.name), before: \(step))"
                } else {
                    expected = list.first { $0.step > step }.map { TimelineMatch(step: $0.step, pc: $0.pc) }
                    actual = try timeline.nextWrite(to: range.range, after: step)
                    what = "nextWrite(\(range.name), after: \(step))"
                }
            } else {
                let (name, pc) = targets[index - ranges.count]
                let list = executions[name]!
                if direction == .last {
                    expected = list.last { $0 < step }.map { TimelineMatch(step: $0, pc: pc) }
                    actual = try timeline.lastExecution(of: pc, before: step)
                    what = "lastExecution(\(name), before: \(step))"
                } else {
                    expected = list.first { $0 > step }.map { TimelineMatch(step: $0, pc: pc) }
                    actual = try timeline.nextExecution(of: pc, after: step)
                    what = "nextExecution(\(name), after: \(step))"
                }
            }
            if actual != expected {
                failures += 1
                Issue.record(
                    "\(what): expected \(String(describing: expected)), got \(String(describing: actual)) (seed \(TestSeed.describe(seed)))"
                )
            }
        }

        // Searching left the timeline usable: seeks still give the plain run's states.
        for step in [run.totalSteps, 0, 4321, 2999] {
            try timeline.seek(to: step)
            let reference = try Reference.machine(elf: elf, at: step)
            #expect(timeline.machine.stateHash == reference.stateHash, "seek to \(step) after the searches")
        }
    }

    /// The contract of a match, checked through the binary: at step N-1 the old bytes and pc
    /// at the storing instruction, at step N the new bytes.
    @Test func findReportsTheStepThatWroteAndItsInstruction() throws {
        guard let elf = try TestFirmware.assembled(Self.source) else { return }
        let scratch = try ScratchDirectory()
        let recording = scratch.file("writes.tsr")
        let record = try CLI.run(["record", elf, "-o", recording, "--keyframe-interval", "1000"])
        #expect(record.status == 0, "\(CLI.describe(record))")
        let symbols = try Firmware.load(contentsOf: elf).symbols
        let wLate = try #require(symbols.address(of: "w_late"))
        let otherline = try #require(symbols.address(of: "otherline"))

        let found = try CLI.run([
            "find", recording, "--last-write", "otherline:4", "--before", "end", "--json",
        ])
        #expect(found.status == 0, "\(CLI.describe(found))")
        let match = try parseJSON(found.stdoutText.trimmingCharacters(in: .newlines))
        #expect(match.keys == ["step", "pc"])
        #expect(match["pc"]?.unsigned == UInt64(wLate), "pc is the storing instruction")
        let step = try #require(match["step"]?.unsigned)
        let states = try CLI.run([
            "state", recording, "--at", String(step - 1), "--at", String(step), "--memory",
            "\(hex(otherline)):4", "--json",
        ])
        let lines = states.stdoutText.split(separator: "\n").map(String.init)
        try #require(lines.count == 2, "\(CLI.describe(states))")
        let before = try parseJSON(lines[0])
        let after = try parseJSON(lines[1])
        #expect(before["pc"]?.unsigned == UInt64(wLate), "state N-1 is about to execute the store")
        #expect(
            before["memory"]?.elements?.first?["hex"]?.string == "00000000", "state N-1 shows the old bytes")
        #expect(
            after["memory"]?.elements?.first?["hex"]?.string == "1e000000", "state N shows the new bytes (30)"
        )

        // The same by symbol and in the text format; and the next execution of a label.
        let text = try CLI.run(["find", recording, "--next-write", "otherline:4", "--after", "0"])
        #expect(text.status == 0)
        #expect(text.stdoutText.hasPrefix("step \(step) pc \(hex(wLate))"), "text format: \(text.stdoutText)")
        let pcFind = try CLI.run(["find", recording, "--pc", "w_late", "--after", "0", "--json"])
        #expect(try parseJSON(pcFind.stdoutText.trimmingCharacters(in: .newlines))["step"]?.unsigned == step)

        // --before WHEN includes WHEN (the state at WHEN shows the write); --after excludes it.
        let inclusive = try CLI.run([
            "find", recording, "--last-write", "otherline:4", "--before", String(step), "--json",
        ])
        #expect(
            try parseJSON(inclusive.stdoutText.trimmingCharacters(in: .newlines))["step"]?.unsigned == step)

        // Not found: exit 1 and "not found".
        for arguments in [
            ["--last-write", "otherline:4", "--before", String(step - 1)],
            ["--next-write", "otherline:4", "--after", String(step)],
            ["--pc", "never", "--after", "0"],
            ["--pc", "never", "--before", "end"],
        ] {
            let result = try CLI.run(["find", recording] + arguments)
            #expect(result.status == 1, "find \(arguments.joined(separator: " ")): \(CLI.describe(result))")
            #expect(
                result.stderr.contains("not found"),
                "find \(arguments.joined(separator: " ")): \(CLI.describe(result))")
            #expect(result.stdout.isEmpty)
        }
    }

    /// A recording made by a machine that runs on the interpreter alone answers the same.
    @Test func searchesWorkOnARecordingMadeWithoutCompiledBlocks() throws {
        guard let elf = try TestFirmware.assembled(Self.source) else { return }
        let scratch = try ScratchDirectory()
        let compiled = try Recordings.record(
            elf: elf, keyframeInterval: 1000, to: scratch.file("compiled.tsr"))
        let machine = try Reference.machine(elf: elf, compiled: false)
        let recorder = try Recorder(
            path: scratch.file("interpreted.tsr"), machine: machine, keyframeInterval: 1000)
        _ = try recorder.run(maxSteps: nil)
        let a = try Timeline(path: compiled.path)
        let b = try Timeline(path: scratch.file("interpreted.tsr"))
        let rare = try a.address(for: "rare")
        let hot = try a.address(for: "hot")
        let watched = try a.range(for: "watched:4")
        for step in [a.totalSteps, a.totalSteps / 2, 1000] {
            #expect(
                try a.lastExecution(of: rare, before: step) == b.lastExecution(of: rare, before: step),
                "rare before \(step)")
            #expect(
                try a.lastExecution(of: hot, before: step) == b.lastExecution(of: hot, before: step),
                "hot before \(step)")
            #expect(
                try a.lastWrite(to: watched, before: step) == b.lastWrite(to: watched, before: step),
                "watched before \(step)")
        }
        #expect(try b.lastExecution(of: hot, before: b.totalSteps) != nil)

        // The index itself is the same, keyframe by keyframe: the executed chunks, and every
        // page's written lines and granules (compiled code flags blocks and granules as the
        // interpreter does).
        let index = { (path: String) throws -> [[String]] in
            try FileSurgery.read(path) { db in
                [
                    try String.fetchAll(
                        db, sql: "SELECT idx || ':' || hex(executed) FROM keyframe ORDER BY idx"),
                    try String.fetchAll(
                        db,
                        sql:
                            "SELECT keyframe || ':' || page || ':' || lines || ':' || ifnull(hex(granules), '-') FROM page ORDER BY keyframe, page"
                    ),
                ]
            }
        }
        let compiledIndex = try index(compiled.path)
        #expect(compiledIndex[0].count > 10 && compiledIndex[1].count > 10, "the index has entries")
        #expect(compiledIndex == (try index(scratch.file("interpreted.tsr"))), "the same index either way")
    }

    /// `lastChange(ofRegister:)` / `nextChange(ofRegister:)` (the inspector's "when did this
    /// register change?") against the registers the scan saw after every step.
    @Test func registerChangeSearchesAgreeWithTheScan() throws {
        guard let elf = try TestFirmware.assembled(Self.source) else { return }
        let scratch = try ScratchDirectory()
        let run = try Recordings.record(elf: elf, keyframeInterval: 1000, to: scratch.file("registers.tsr"))
        let scan = try Self.scan(elf: elf, ranges: [])
        try #require(scan.registers.count == Int(run.totalSteps) + 1)
        let seed = TestSeed.make("register changes")
        var random = SeededGenerator(seed: seed)
        let steps = seekTargets(
            total: run.totalSteps, interval: 1000, randomCount: 12, boundaryCount: 5, using: &random)
        let timeline = try Timeline(path: run.path)
        // s0 (loop counter), t1, a0 (never written), t4 (iteration 9 only), t5 (the handler).
        for register in [8, 6, 10, 29, 30] {
            let changes = (1..<scan.registers.count).filter {
                scan.registers[$0][register] != scan.registers[$0 - 1][register]
            }.map(UInt64.init)
            for step in steps.shuffled(using: &random) {
                let last = changes.last { $0 <= step }
                let next = changes.first { $0 > step }
                #expect(
                    try timeline.lastChange(ofRegister: register, atOrBefore: step) == last,
                    "lastChange(x\(register), atOrBefore: \(step)) (seed \(TestSeed.describe(seed)))")
                #expect(
                    try timeline.nextChange(ofRegister: register, after: step) == next,
                    "nextChange(x\(register), after: \(step)) (seed \(TestSeed.describe(seed)))")
            }
        }
        #expect(try timeline.lastChange(ofRegister: 0, atOrBefore: run.totalSteps) == nil, "x0 never changes")
        #expect(try timeline.nextChange(ofRegister: 32, after: 0) == nil, "there is no x32")
    }

    /// The candidate intervals the inspector draws hold every write and every execution the
    /// scan saw (they may hold more: they are per 8-byte granule and per 16-byte chunk).
    @Test func candidateIntervalsHoldEveryHit() throws {
        guard let elf = try TestFirmware.assembled(Self.source) else { return }
        let scratch = try ScratchDirectory()
        let run = try Recordings.record(elf: elf, keyframeInterval: 1000, to: scratch.file("intervals.tsr"))
        let timeline = try Timeline(path: run.path)
        let watched = try timeline.range(for: "watched:4")
        let ranges = [WatchedRange(name: "watched", range: watched, storeLabels: [])]
        let scan = try Self.scan(elf: elf, ranges: ranges)
        let writing = timeline.intervals(writing: watched)
        for step in scan.changes["watched"] ?? [] {
            #expect(
                writing.contains { $0.contains(step) && $0.lowerBound < step },
                "the write at step \(step) lies in a candidate interval")
        }
        for name in ["rare", "hot", "isr"] {
            let pc = try timeline.address(for: name)
            let executing = timeline.intervals(executing: pc)
            for step in Self.executions(of: pc, in: scan) {
                #expect(
                    executing.contains { $0.contains(step) && $0.lowerBound < step },
                    "\(name) at step \(step) lies in a candidate interval")
            }
        }
        #expect(
            timeline.intervals(executing: 0x1000) == [0...1000],
            "the reset ROM runs in the first interval only")
        #expect(timeline.intervals(executing: 0x0020_0000).isEmpty, "nothing runs in a hole")
        #expect(timeline.intervals(writing: 0x8008_0000..<0x8008_0004).isEmpty, "nothing writes there")
        #expect(
            timeline.keyframeSteps == Array(stride(from: 0, through: run.totalSteps, by: 1000))
                + (run.totalSteps % 1000 == 0 ? [] : [run.totalSteps]))
    }

    /// A word written once, beside a counter written all the time in the same 64-byte line (a
    /// global beside a hot one, a stack slot beside a busy frame): its write searches consider
    /// only the interval of its write, and the last write is found there. A format-2 file,
    /// which knows lines only, considers every interval and finds the same write by replaying.
    @Test(arguments: [false, true]) func aColdWordBesideAHotOneIsSearchedAlone(asFormatTwo: Bool) throws {
        guard
            let elf = try TestFirmware.assembled(
                """
                    .section .text.init, "ax"
                    .globl _start
                _start:
                    la s1, counter
                    li t0, 77
                cold_store:
                    sw t0, 8(s1)            # cold, once
                    li s0, 20000
                loop:
                    sw s0, 0(s1)            # counter, every iteration
                    sw s0, 16(s1)           # another hot word, two granules on
                    addi s0, s0, -1
                    bnez s0, loop
                    EXIT 0

                    .data
                    .balign 64
                counter: .word 0, 0, 0, 0, 0
                """)
        else { return }
        let scratch = try ScratchDirectory()
        let run = try Recordings.record(elf: elf, keyframeInterval: 1000, to: scratch.file("cold.tsr"))
        #expect(run.reason == .exited(code: 0, via: .finisher))
        if asFormatTwo { try FileSurgery.rewriteAsFormatTwo(run.path) }
        let timeline = try Timeline(path: run.path)
        let counter = try timeline.address(for: "counter")
        let cold = counter + 8..<counter + 12
        let intervals = timeline.intervals(writing: cold)
        let storeStep = try #require(
            try timeline.nextExecution(of: timeline.address(for: "cold_store"), after: 0))
        if asFormatTwo {
            #expect(intervals.count == timeline.keyframeSteps.count - 1, "a line's index rules out nothing")
        } else {
            #expect(intervals == [0...1000], "only the interval of the cold store: \(intervals)")
        }
        #expect(
            timeline.intervals(writing: counter..<counter + 4).count == timeline.keyframeSteps.count - 1,
            "the counter is written in every interval")
        let last = try timeline.lastWrite(to: cold, before: run.totalSteps)
        #expect(last == TimelineMatch(step: storeStep.step, pc: storeStep.pc), "\(String(describing: last))")
    }
}
