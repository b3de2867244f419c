import Foundation
import Machine

/// What stops a continue or a playback: executing an address or writing a range, when a
/// condition (if any) holds.
public struct StopRule: Hashable, Sendable {
    /// What the rule watches for.
    public enum Trigger: Hashable, Sendable {
        /// The instruction at this address is about to run (a breakpoint).
        case execution(UInt32)
        /// A step stores to any byte of this range (a watchpoint).
        case write(Range<UInt32>)
    }

    /// What it watches for.
    public var trigger: Trigger
    /// Asked at each hit, in the state the inspector stops in (see `StopHit.step`).
    public var condition: StopCondition?
    /// For a write: only a store that changes the range's bytes hits (gdb's `watch`, which
    /// goes on past a store of the value already there, whatever the server reports).
    public var changesOnly: Bool

    /// A rule that stops at `trigger` when `condition` holds (always, without one).
    public init(_ trigger: Trigger, condition: StopCondition? = nil, changesOnly: Bool = false) {
        self.trigger = trigger
        self.condition = condition
        self.changesOnly = changesOnly
    }
}

/// A hit of a stop rule, as the inspector stops at it.
public struct StopHit: Equatable, Sendable {
    /// The state the inspector stops in: for a breakpoint, the state whose pc is about to run
    /// the instruction (`find --pc` reports the next step, the one that runs it); for a
    /// watchpoint, the state right after the writing step (the step `find` reports).
    public var step: UInt64
    /// The breakpoint's address, or the storing instruction's.
    public var pc: UInt32
    /// The index of the rule that hit, in the list asked about.
    public var rule: Int
}

/// Hits of breakpoints and watchpoints, with their conditions: for continue (`c`/`C`),
/// playback, the timeline's marks and hit counts.
extension Timeline {
    /// The first hit of any of `rules` at a state in `after + 1 … through`, the earliest
    /// rule first when two hit at the same state. All breakpoints are searched in one replay;
    /// each watchpoint in one of its own.
    public func nextHit(
        of rules: [StopRule], after: UInt64, through: UInt64 = .max, progress: (Double) -> Void = { _ in }
    ) throws(RecordingError) -> StopHit? {
        var best: StopHit?
        let breakpoints = BreakpointSet(rules, machine: machine)
        if !breakpoints.addresses.isEmpty {
            var accepted: [Int] = []
            // State S has pc there ⇔ step S + 1 runs it.
            let match = try searchForward(
                after: after + 1, through: through == .max ? .max : through + 1, progress: progress,
                mayHold: { !executedChunks[$0].isDisjoint(with: breakpoints.chunks) }
            ) { (start, end) throws(RecordingError) in
                try executions(of: breakpoints.addresses, from: start, through: end, firstOnly: true) { pc in
                    breakpoints.accept(pc, in: machine, into: &accepted)
                }
            }
            if let match, let rule = accepted.last {
                best = StopHit(step: match.step - 1, pc: match.pc, rule: rule)
            }
        }
        for (index, rule) in rules.enumerated() {
            guard case .write(let range) = rule.trigger else { continue }
            let limit = min(through, best.map { $0.step } ?? .max)
            guard limit > after else { break }
            let match = try searchForward(
                after: after, through: limit, progress: progress, mayHold: { intervalWrites($0, range) }
            ) { (start, end) throws(RecordingError) in
                try writes(
                    to: range, from: start, through: end, firstOnly: true, changesOnly: rule.changesOnly,
                    accept: accepting(rule))
            }
            if let match,
                match.step < best?.step ?? .max || (match.step == best?.step && index < best?.rule ?? 0)
            {
                best = StopHit(step: match.step, pc: match.pc, rule: index)
            }
        }
        return best
    }

    /// The last hit of any of `rules` at a state in `notBefore ..< before`, the earliest rule
    /// first when two hit at the same state.
    public func lastHit(
        of rules: [StopRule], before: UInt64, notBefore: UInt64 = 0, progress: (Double) -> Void = { _ in }
    ) throws(RecordingError) -> StopHit? {
        var best: StopHit?
        let breakpoints = BreakpointSet(rules, machine: machine)
        if !breakpoints.addresses.isEmpty && notBefore < before {
            var accepted: [Int] = []
            let match = try searchBackward(
                before: before + 1, notBefore: notBefore + 1, progress: progress,
                mayHold: { !executedChunks[$0].isDisjoint(with: breakpoints.chunks) }
            ) { (start, end) throws(RecordingError) in
                try executions(of: breakpoints.addresses, from: start, through: end, firstOnly: false) { pc in
                    breakpoints.accept(pc, in: machine, into: &accepted)
                }
            }
            if let match, let rule = accepted.last {
                best = StopHit(step: match.step - 1, pc: match.pc, rule: rule)
            }
        }
        for (index, rule) in rules.enumerated() {
            guard case .write(let range) = rule.trigger else { continue }
            let floor = max(notBefore, best.map { $0.step } ?? 0)
            guard floor < before else { break }
            let match = try searchBackward(
                before: before, notBefore: floor, progress: progress, mayHold: { intervalWrites($0, range) }
            ) { (start, end) throws(RecordingError) in
                try writes(
                    to: range, from: start, through: end, firstOnly: false, changesOnly: rule.changesOnly,
                    accept: accepting(rule))
            }
            if let match,
                match.step > best?.step ?? 0 || best == nil
                    || (match.step == best?.step && index < best?.rule ?? 0)
            {
                best = StopHit(step: match.step, pc: match.pc, rule: index)
            }
        }
        return best
    }

    /// The keyframe intervals (as step ranges) in which `rule` may hit, for drawing possible
    /// hits on the timeline.
    public func intervals(of rule: StopRule) -> [ClosedRange<UInt64>] {
        switch rule.trigger {
        case .execution(let pc): intervals(executing: pc)
        case .write(let range): intervals(writing: range)
        }
    }

    /// How many times `rule` hits in the whole recording (up to `totalSteps`). Replays every
    /// interval that may hold a hit: as long as a search across the whole recording.
    public func hitCount(of rule: StopRule, progress: (Double) -> Void = { _ in }) throws(RecordingError)
        -> Int
    {
        let candidates = intervals(of: rule)
        var count = 0
        for (done, interval) in candidates.enumerated() {
            progress(Double(done) / Double(max(1, candidates.count)))
            count += try replayHits(of: rule, from: interval.lowerBound, through: interval.upperBound).count
        }
        if tail != nil, let last = keyframes.last, totalSteps > last.step {
            count += try replayHits(of: rule, from: last.step, through: totalSteps).count
        }
        return count
    }

    /// The states in `span` at which `rule` hits (as `StopHit.step` counts them), found by
    /// replaying the intervals that may hold one; nil when more than `maximumIntervals` would
    /// need replaying.
    public func hits(of rule: StopRule, in span: ClosedRange<UInt64>, maximumIntervals: Int = 16)
        throws(RecordingError) -> [UInt64]?
    {
        switch rule.trigger {
        case .execution(let pc):
            // Steps that run it are one more than the states the inspector stops in.
            let runs = span.upperBound == .max ? span : span.lowerBound...(span.upperBound + 1)
            return try hits(
                in: runs, candidates: intervals(executing: pc), maximumIntervals: maximumIntervals
            ) {
                (start, end) throws(RecordingError) in
                try executions(of: pc, from: start, through: end, firstOnly: false, accept: accepting(rule))
            }?.map { $0 - 1 }.filter { span.contains($0) }
        case .write(let range):
            return try hits(
                in: span, candidates: intervals(writing: range), maximumIntervals: maximumIntervals
            ) {
                (start, end) throws(RecordingError) in
                try writes(
                    to: range, from: start, through: end, firstOnly: false, changesOnly: rule.changesOnly,
                    accept: accepting(rule))
            }
        }
    }

    /// Every hit of `rule` at steps `start + 1 … end` (the step that runs or writes).
    private func replayHits(of rule: StopRule, from start: UInt64, through end: UInt64) throws(RecordingError)
        -> [TimelineMatch]
    {
        switch rule.trigger {
        case .execution(let pc):
            try executions(of: pc, from: start, through: end, firstOnly: false, accept: accepting(rule))
        case .write(let range):
            try writes(
                to: range, from: start, through: end, firstOnly: false, changesOnly: rule.changesOnly,
                accept: accepting(rule))
        }
    }

    /// Asks the rule's condition of the machine as it stands at a hit.
    private func accepting(_ rule: StopRule) -> () -> Bool {
        guard let condition = rule.condition else { return { true } }
        return { [machine] in condition.holds(in: machine) }
    }

    /// What the step `step` stored: the instruction that ran in it (decoded with the registers
    /// of the state before), the bytes it covers and their values before and after. Nil when
    /// the instruction at that pc is no store or its target cannot be read (a device). Leaves
    /// the machine at `step`.
    public func store(at step: UInt64) throws(RecordingError) -> StoreDescription? {
        guard step > 0 else { return nil }
        try seek(to: step - 1)
        let pc = machine.pc
        guard let bits = machine.instructionBits(at: pc) else { return nil }
        let address: UInt32
        let size: Int
        switch InstructionEffect.preview(bits, at: pc, registers: (0..<32).map(machine.register)) {
        case .store(let target, let width, _): (address, size) = (target, width)
        case .readModifyWrite(let target, _): (address, size) = (target, 4)
        default: return nil
        }
        guard let old = machine.readMemory(address, count: size) else { return nil }
        let mnemonic = Disassembler.disassemble(bits, at: pc).mnemonic
        try seek(to: step)
        guard let new = machine.readMemory(address, count: size) else { return nil }
        return StoreDescription(step: step, pc: pc, mnemonic: mnemonic, address: address, old: old, new: new)
    }
}

/// The breakpoints among some stop rules, searched for together in one replay.
private struct BreakpointSet {
    /// The rules' indices by address, in order.
    let rulesByAddress: [UInt32: [(index: Int, rule: StopRule)]]
    let addresses: Set<UInt32>
    /// The executed-code chunks that hold them (intervals without any cannot hold a hit).
    let chunks: Set<Int>

    init(_ rules: [StopRule], machine: Machine) {
        var byAddress: [UInt32: [(index: Int, rule: StopRule)]] = [:]
        for (index, rule) in rules.enumerated() {
            if case .execution(let pc) = rule.trigger, machine.executedChunk(of: pc) != nil {
                byAddress[pc, default: []].append((index, rule))
            }
        }
        rulesByAddress = byAddress
        addresses = Set(byAddress.keys)
        chunks = Set(addresses.compactMap { machine.executedChunk(of: $0) })
    }

    /// Whether a rule at `pc` holds in the machine's state (the first that does is noted).
    func accept(_ pc: UInt32, in machine: Machine, into accepted: inout [Int]) -> Bool {
        guard let rule = rulesByAddress[pc]?.first(where: { $0.rule.condition?.holds(in: machine) ?? true })
        else { return false }
        accepted.append(rule.index)
        return true
    }
}

/// What one step stored to memory, for "who wrote this?" answers.
public struct StoreDescription: Equatable, Sendable, CustomStringConvertible {
    /// The step that stored (the state at `step` holds `new`, the one before holds `old`).
    public var step: UInt64
    /// The storing instruction.
    public var pc: UInt32
    /// The storing instruction's mnemonic (`sb`, `sw`, `amoadd.w`…).
    public var mnemonic: String
    /// The first byte stored.
    public var address: UInt32
    /// The bytes there before the step, in address order.
    public var old: [UInt8]
    /// The bytes there after it.
    public var new: [UInt8]
    /// How many bytes it stored (1, 2 or 4).
    public var size: Int { new.count }

    /// `sb 0x8000103f:1 00 → 72`: the instruction, the bytes it covers and their values
    /// (in address order) before and after.
    public var description: String {
        "\(mnemonic) \(hex(address)):\(size) \(hexBytes(old, separator: " ")) → \(hexBytes(new, separator: " "))"
    }
}
