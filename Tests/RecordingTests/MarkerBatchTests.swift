import Foundation
import GRDB
import Machine
@testable import Recording
import Testing
import TestSupport

/// Format 3 packs traps, semihosting calls and HTIF commands into marker batches (one row per
/// keyframe interval) instead of a row each. Every marker must come back exactly as the
/// recorder saw it: same steps, kinds, pcs, values and texts, in the same order, through every
/// way a reader asks (the list, the counts, the nearest of a kind), from the file and from a
/// live recorder's tail; and a format-2 recording, with every marker a row, still reads.
@Suite struct MarkerBatchTests {
    /// The markers a recording of `elf` must hold, made from the machine's own reports the way
    /// the recorder made them before markers were packed (a row each, in the order it saw
    /// them): one per trap (`mtval 0x…` as text when mtval is not 0), input byte, semihosting
    /// call and HTIF command, one per console line (cut at 1024 bytes, a final `\r` dropped),
    /// and the exit.
    static func expectedMarkers(elf: String, input: [UInt8] = []) throws -> [Marker] {
        let machine = try Reference.machine(elf: elf, input: input)
        var markers: [Marker] = []
        var line: [UInt8] = []
        func flushLine(step: UInt64) {
            var text = String(decoding: line, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            markers.append(Marker(step: step, kind: .console, pc: machine.pc, value: 0, text: text))
            line.removeAll()
        }
        machine.consoleSink = { byte in
            if byte == 0x0A {
                flushLine(step: machine.step + 1)
            } else {
                line.append(byte)
                if line.count >= 1024 { flushLine(step: machine.step + 1) }
            }
        }
        machine.eventSink = { event in
            switch event {
            case .trap(let trap):
                markers.append(
                    Marker(
                        step: trap.step, kind: MarkerKind.trap(cause: trap.cause), pc: trap.pc,
                        value: trap.cause,
                        text: trap.value == 0 ? nil : "mtval \(hex(trap.value))"))
            case .input(let byte):
                markers.append(Marker(step: machine.step, kind: .input, pc: machine.pc, value: UInt32(byte)))
            case .semihostingCall(let operation):
                markers.append(
                    Marker(step: machine.step + 1, kind: .semihosting, pc: machine.pc, value: operation))
            case .htifCommand(let command):
                markers.append(
                    Marker(
                        step: machine.step + 1, kind: .htif, pc: machine.pc,
                        value: UInt32(truncatingIfNeeded: command)))
            }
        }
        // Every program here exits within a few million steps.
        let reason = machine.run(until: 50_000_000)
        guard case .exited(let code, let mechanism) = reason else {
            Issue.record("the reference run of \(elf) ended with \(reason), not an exit")
            return markers
        }
        markers.append(
            Marker(
                step: machine.step, kind: .exit, pc: machine.pc, value: UInt32(bitPattern: code),
                text: "exit code \(code) through \(mechanism.rawValue)"))
        if !line.isEmpty { flushLine(step: machine.step) }
        return markers
    }

    /// Checks every way a reader reaches markers against `expected`.
    static func expectMarkers(
        of timeline: Timeline, _ expected: [Marker], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let total = timeline.totalSteps
        let all = try timeline.markers(in: 0...total, limit: .max)
        #expect(all.count == expected.count, sourceLocation: sourceLocation)
        for (index, (got, want)) in zip(all, expected).enumerated() where got != want {
            Issue.record("marker \(index): \(got), expected \(want)", sourceLocation: sourceLocation)
            break
        }
        var counts: [MarkerKind: Int] = [:]
        for marker in expected { counts[marker.kind, default: 0] += 1 }
        #expect(
            timeline.summary.markerCounts.map(\.kind) == counts.keys.sorted(), sourceLocation: sourceLocation)
        for (kind, count) in timeline.summary.markerCounts {
            #expect(counts[kind] == count, "\(kind)", sourceLocation: sourceLocation)
        }
        // The nearest marker around steps that have one (at most 300 of them, spread over the
        // run), of any kind and of its own kind.
        let steps = Set(expected.map(\.step)).sorted()
        let every = max(1, steps.count / 300)
        for step in stride(from: 0, to: steps.count, by: every).map({ steps[$0] }) {
            let atOrBefore = expected.last { $0.step <= step }
            let after = expected.first { $0.step >= step }
            #expect(
                try timeline.marker(kind: MarkerKind.anyKind, before: step + 1) == atOrBefore,
                "before \(step + 1)", sourceLocation: sourceLocation)
            if step > 0 {
                #expect(
                    try timeline.marker(kind: MarkerKind.anyKind, after: step - 1) == after,
                    "after \(step - 1)", sourceLocation: sourceLocation)
            }
            for kind in Set(expected.filter { $0.step == step }.map(\.kind)) {
                #expect(
                    try timeline.marker(kind: kind, before: step + 1)
                        == expected.last {
                            $0.step <= step && $0.kind == kind
                        }, "\(kind) before \(step + 1)", sourceLocation: sourceLocation)
            }
        }
        let interrupts = expected.filter { MarkerKind.isInterrupt($0.kind) }
        #expect(
            try timeline.marker(kind: MarkerKind.interruptFamily, before: total + 1) == interrupts.last,
            sourceLocation: sourceLocation)
        #expect(
            try timeline.marker(kind: MarkerKind.interruptFamily, after: 0)
                == interrupts.first { $0.step > 0 },
            sourceLocation: sourceLocation)
    }

    /// Firmware that makes every kind of packed marker, with the input `echo` reads.
    static let firmware: [(name: String, input: String)] = [
        ("timer", ""), ("traps", ""), ("htif", ""), ("semihost", ""), ("echo", "hello, world\nq"),
    ]

    @Test(arguments: firmware)
    func everyMarkerComesBackAsTheRecorderSawIt(_ firmware: (name: String, input: String)) throws {
        guard let elf = try TestFirmware.elf(firmware.name) else { return }
        let input = Array(firmware.input.utf8)
        let expected = try Self.expectedMarkers(elf: elf, input: input)
        #expect(!expected.isEmpty)
        let scratch = try ScratchDirectory()
        let path = scratch.file("\(firmware.name).tsr")
        _ = try Recordings.record(elf: elf, input: input, keyframeInterval: 1000, to: path)
        try Self.expectMarkers(of: try Timeline(path: path), expected)
        let rows = try FileSurgery.read(path) { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM marker WHERE kind NOT IN ('console', 'input', 'exit')")
        }
        #expect(rows == 0, "traps, semihosting calls and HTIF commands are packed, not rows")
    }

    /// 40 000 ecalls in one keyframe interval: more than one batch holds (about 8 bytes a
    /// trap), and the markers run on across the batch boundary without a gap.
    @Test func aBusyIntervalSpreadsOverSeveralBatches() throws {
        let source = """
                SET_MTVEC handler
                li s0, 40000
            loop:
                ecall
                addi s0, s0, -1
                bnez s0, loop
                EXIT 0
                .balign 4
            handler:
                csrr t0, mepc
                addi t0, t0, 4
                csrw mepc, t0
                mret
            """
        guard let elf = try TestFirmware.assembled(source) else { return }
        let expected = try Self.expectedMarkers(elf: elf)
        #expect(
            expected.filter { $0.kind == MarkerKind.trap(cause: TrapCause.environmentCallFromM) }.count
                == 40_000)
        let scratch = try ScratchDirectory()
        let path = scratch.file("ecalls.tsr")
        _ = try Recordings.record(elf: elf, keyframeInterval: 1_000_000, to: path, maxSteps: 50_000_000)
        let batches = try FileSurgery.read(path) { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM marker_batch")
        }
        #expect((batches ?? 0) >= 2, "the interval's traps need more than one batch")
        try Self.expectMarkers(of: try Timeline(path: path), expected)
    }

    /// A live view reaches the markers past the last committed keyframe through the
    /// recorder's tail: the same markers the finished file then holds.
    @Test func aLiveTailHoldsThePackedMarkersNotYetInTheFile() throws {
        guard let elf = try TestFirmware.elf("timer") else { return }
        let expected = try Self.expectedMarkers(elf: elf)
        let scratch = try ScratchDirectory()
        let path = scratch.file("live.tsr")
        let machine = try Reference.machine(elf: elf)
        let recorder = try Recorder(path: path, machine: machine, keyframeInterval: 1000)
        let head = try #require(expected.dropLast(3).last?.step)
        _ = try recorder.record(until: head + 10)
        let timeline = try Timeline(path: path)
        var extended = false
        for _ in 0..<100 where !extended {
            extended = try timeline.extend(with: recorder.tail)
            if !extended { usleep(10_000) }
        }
        #expect(extended)
        #expect(timeline.totalSteps == head + 10)
        #expect(
            try timeline.markers(in: 0...(head + 10), limit: .max) == expected.filter { $0.step <= head + 10 }
        )
        #expect(
            try timeline.marker(kind: MarkerKind.anyKind, before: head + 1)
                == expected.last { $0.step <= head })
        _ = try recorder.run(maxSteps: nil)
        try Self.expectMarkers(of: try Timeline(path: path), expected)
    }

    /// A copy of `Recordings/timer.tsr` as it was committed in format 2, every marker a row
    /// (its ten timer and two software interrupts too): kept so that reading format 2 stays
    /// tested once the demos are recorded again.
    static let formatTwoFixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/timer-format2.tsr").path

    @Test func aFormatTwoRecordingKeepsEveryMarkerInItsRows() throws {
        let version = try FileSurgery.read(Self.formatTwoFixture) { db in
            try Int.fetchOne(db, sql: "PRAGMA user_version")
        }
        #expect(version == 2)
        let scratch = try ScratchDirectory()
        let copy = scratch.file("old.tsr")
        try FileSurgery.copy(Self.formatTwoFixture, to: copy)
        let timeline = try Timeline(path: copy)
        let counts = Dictionary(
            uniqueKeysWithValues: timeline.summary.markerCounts.map { ($0.kind, $0.count) })
        #expect(counts[MarkerKind.trap(cause: TrapCause.machineTimerInterrupt)] == 10)
        #expect(counts[MarkerKind.trap(cause: TrapCause.machineSoftwareInterrupt)] == 2)
        let markers = try timeline.markers(in: 0...timeline.totalSteps, limit: .max)
        #expect(markers.count == counts.values.reduce(0, +))
        #expect(markers.map(\.step) == markers.map(\.step).sorted())
        let last = try #require(markers.last { MarkerKind.isInterrupt($0.kind) })
        #expect(try timeline.marker(kind: MarkerKind.interruptFamily, before: timeline.totalSteps) == last)
        #expect(try timeline.verify().firstMismatch == nil)
    }

    /// Packing and unpacking by hand: every tag, extreme values, steps that repeat.
    @Test func aBatchUnpacksToWhatWasPacked() throws {
        var batch = MarkerBatch()
        let entries: [MarkerBatch.Entry] = [
            .init(step: 5, tag: .trap, pc: 0x8000_0000, value: 0x8000_0007, mtval: 0),
            .init(step: 5, tag: .htif, pc: 0xFFFF_FFFF, value: 0xFFFF_FFFF, mtval: 0),
            .init(step: 9, tag: .trap, pc: 0x1000, value: 2, mtval: 0xFFFF_FFFF),
            .init(step: 1 << 40, tag: .semihosting, pc: 0, value: 0, mtval: 0),
        ]
        for entry in entries {
            batch.append(
                step: entry.step, tag: entry.tag, pc: entry.pc, value: entry.value, mtval: entry.mtval)
        }
        var unpacked: [MarkerBatch.Entry] = []
        batch.forEach {
            unpacked.append($0)
            return true
        }
        #expect(unpacked == entries)
        let read = try MarkerBatch(checking: batch.bytes, count: 4, firstStep: 5, lastStep: 1 << 40)
        #expect(read == batch)
        #expect(read.markers(in: 6...9).map(\.text) == ["mtval 0xffffffff"])
        #expect(throws: RecordingError.self) {
            try MarkerBatch(checking: batch.bytes, count: 3, firstStep: 5, lastStep: 1 << 40)
        }
        #expect(throws: RecordingError.self) {
            try MarkerBatch(checking: batch.bytes + [0], count: 4, firstStep: 5, lastStep: 1 << 40)
        }
        #expect(throws: RecordingError.self) {
            try MarkerBatch(
                checking: Array(batch.bytes.dropLast()), count: 4, firstStep: 5, lastStep: 1 << 40)
        }
        #expect(throws: RecordingError.self) {
            try MarkerBatch(checking: batch.bytes, count: 4, firstStep: 4, lastStep: 1 << 40)
        }
    }
}
