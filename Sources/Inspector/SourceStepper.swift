import DebugInfo
import Machine
import Recording

/// A move by source line, as gdb's `step`, `next` and `finish` (and rr's reverse-step,
/// reverse-next, reverse-finish backwards).
public enum SourceMove: Sendable {
    /// To the next line, into calls of functions with line information.
    case step
    /// To the next line of this frame, over calls.
    case next
    /// Out of the frame: forwards to just after its return, backwards to its call.
    case finish
}

/// Finds where a source-level move lands on a recording, following gdb's rules: a line is
/// left when the pc leaves the line-table row it started in; a new line is reached at the
/// start of a statement in the same frame (the same canonical frame address); calls are
/// stepped over by finding the return (sp back where it was) through the recording's
/// execution index rather than by replaying them, so a call of 1e8 steps costs a few keyframe
/// intervals. Backwards, the steps before a point are traced in windows and read newest
/// first; a callee is skipped by searching back for its call instruction.
public final class SourceStepper {
    let timeline: Timeline
    let debugInfo: DebugInfo
    /// The most steps one move single-steps through (a line that loops longer than this
    /// stops the move where it is).
    static let singleStepLimit = 2_000_000

    /// A stepper over `timeline` with its firmware's `debugInfo`.
    public init(timeline: Timeline, debugInfo: DebugInfo) {
        self.timeline = timeline
        self.debugInfo = debugInfo
    }

    /// The step `move` reaches from `step` (for finish: out of frame `frame`), forwards or
    /// backwards; nil when the recording ends first. Moves the timeline's machine.
    public func destination(of move: SourceMove, from step: UInt64, backward: Bool, frame: Int = 0) throws
        -> UInt64?
    {
        switch (move, backward) {
        case (.finish, false): return try finishForward(from: step, frame: frame)
        case (.finish, true): return try finishBackward(from: step, frame: frame)
        case (_, false): return try lineForward(from: step, into: move == .step)
        case (_, true): return try lineBackward(from: step, into: move == .step)
        }
    }

    private var machine: Machine { timeline.machine }

    private func frameAddress() -> UInt32 { debugInfo.frameAddress(TargetState(machine: machine)) }

    private func sp() -> UInt32 { machine.register(2) }

    // MARK: Forwards

    /// Where a pc is as gdb shows a stop there: the functions (inlined calls included) whose
    /// frames are shown, and the line. At the first instruction of an inlined call gdb shows
    /// the caller, at the line of the call, and does not show the inlined function yet.
    public struct Place: Equatable, Sendable {
        /// The shown functions, outermost first.
        public var chain: [UInt64]
        /// The line shown.
        public var line: SourceLocation?
        /// Whether pc is the first instruction of an inlined call made from the shown frame.
        public var entersInlinedCall: Bool
    }

    /// Where `pc` is, as gdb shows a stop there.
    public func place(at pc: UInt32) -> Place {
        let links = debugInfo.scopeChain(at: pc)
        var shown = links.count
        while shown > 1 && links[shown - 1].entry == pc { shown -= 1 }
        if shown < links.count {
            return Place(
                chain: links[..<shown].map(\.id), line: links[shown].callSite, entersInlinedCall: true)
        }
        return Place(
            chain: links.map(\.id), line: debugInfo.lines.row(at: pc)?.location, entersInlinedCall: false)
    }

    private func lineForward(from start: UInt64, into: Bool) throws -> UInt64? {
        try timeline.seek(to: start)
        var function = debugInfo.function(containing: machine.pc)
        var range = debugInfo.lines.row(at: machine.pc)?.range ?? machine.pc..<machine.pc
        var here = place(at: machine.pc)
        var cfa = frameAddress()
        var needsStep = true
        var previous = (pc: machine.pc, sp: sp())
        for _ in 0..<Self.singleStepLimit {
            if needsStep {
                guard machine.step < timeline.totalSteps else { return nil }
                previous = (machine.pc, sp())
                try timeline.seek(to: machine.step + 1)
            }
            needsStep = true
            let pc = machine.pc
            if machine.trapEnteredAtThisStep != nil {
                // A trap: on to where the handler returns to the interrupted code.
                let mepc = machine.state.csr.mepc
                let stackPointer = previous.sp
                guard
                    let match = try timeline.nextExecution(
                        of: [mepc, mepc &+ 2, mepc &+ 4], after: machine.step,
                        accept: { $0.register(2) == stackPointer })
                else { return nil }
                try timeline.seek(to: match.step - 1)
                needsStep = false
                continue
            }
            if let function, function.contains(pc) {
                // gdb's order of checks (infrun.c, process_event_stop_test).
                if range.contains(pc) { continue }
                guard let row = debugInfo.lines.row(at: pc) else { return machine.step }
                let now = place(at: pc)
                if now.chain == here.chain && now.entersInlinedCall {
                    // The call of an inlined function: step stops (into it, or at the call);
                    // next stops at the call when it is on another line, else goes on.
                    if into || now.line != here.line { return machine.step }
                    continue
                }
                if now.chain.count > here.chain.count && now.chain.starts(with: here.chain) {
                    // Further inside a call inlined into this frame.
                    if into { return machine.step }
                    continue
                }
                let sameFrame = now.chain == here.chain
                if pc == row.range.lowerBound && row.location != here.line {
                    if row.isStatementStart {
                        let frame = frameAddress()
                        if frame >= cfa { return machine.step }
                        // A deeper activation of the same function (recursion): over it.
                        if case .call(let returnAddress) = Transfer(at: previous.pc, in: machine) {
                            guard let resumed = try resume(at: returnAddress, stackPointer: previous.sp)
                            else {
                                return nil
                            }
                            try timeline.seek(to: resumed)
                            needsStep = false
                            continue
                        }
                        return machine.step
                    }
                    // Not a statement: the range moves on, the line stays (gdb updates the
                    // step range but not the current line).
                    range = row.range
                    if sameFrame { continue }
                    // Another frame, not at a statement: its line does not count.
                    here = now
                    here.line = nil
                    range = row.range
                    continue
                }
                here = now
                here.line = row.location
                range = row.range
                continue
            }
            if range.contains(pc) { continue }
            switch Transfer(at: previous.pc, in: machine) {
            case .call(let returnAddress):
                if into, let callee = debugInfo.function(containing: pc), debugInfo.lines.row(at: pc) != nil {
                    let body = debugInfo.afterPrologue(of: callee)
                    if let reached = try run(to: body, within: callee) { return reached }
                    // The callee returned before its body's first line: carry on in the caller.
                    needsStep = false
                    continue
                }
                guard let resumed = try resume(at: returnAddress, stackPointer: previous.sp) else {
                    return nil
                }
                try timeline.seek(to: resumed)
                needsStep = false
            default:
                // Returned (or jumped) into other code: stop at the start of a line there.
                function = debugInfo.function(containing: pc)
                guard let row = debugInfo.lines.row(at: pc), function != nil else { return machine.step }
                cfa = frameAddress()
                here = place(at: pc)
                if row.isStatementStart || here.entersInlinedCall { return machine.step }
                range = row.range
            }
        }
        return machine.step
    }

    /// The state where the code resumes at `returnAddress` with sp at `stackPointer`.
    private func resume(at returnAddress: UInt32, stackPointer: UInt32) throws -> UInt64? {
        guard
            let match = try timeline.nextExecution(
                of: [returnAddress], after: machine.step, accept: { $0.register(2) == stackPointer })
        else { return nil }
        return match.step - 1
    }

    /// Single-steps until pc is `target` (returning that step) or leaves `function`.
    private func run(to target: UInt32, within function: FunctionExtent) throws -> UInt64? {
        for _ in 0..<100_000 {
            if machine.pc == target { return machine.step }
            guard function.contains(machine.pc), machine.step < timeline.totalSteps else { return nil }
            try timeline.seek(to: machine.step + 1)
        }
        return nil
    }

    /// The frame `finish` leaves from frame `index` at `start` (the out-of-line frame that
    /// holds it), its canonical frame address (the caller's sp) and its caller; nil in the
    /// outermost frame.
    private func finishedFrame(at start: UInt64, frame index: Int) throws
        -> (frame: StackFrame, cfa: UInt32, caller: StackFrame)?
    {
        try timeline.seek(to: start)
        let stack = debugInfo.callStack(TargetState(machine: machine))
        guard
            let physical = stack.frames.indices.first(where: { $0 >= index && !stack.frames[$0].isInlined }),
            physical + 1 < stack.frames.count, let cfa = stack.frames[physical].cfa
        else { return nil }
        return (stack.frames[physical], cfa, stack.frames[physical + 1])
    }

    /// Forwards: the state at the caller's return address with sp back at the frame's CFA.
    private func finishForward(from start: UInt64, frame index: Int) throws -> UInt64? {
        guard let finished = try finishedFrame(at: start, frame: index) else { return nil }
        return try resume(at: finished.caller.pc, stackPointer: finished.cfa)
    }

    // MARK: Backwards

    /// Backwards: the state at the call instruction (for a trap handler, the interrupted one).
    private func finishBackward(from start: UInt64, frame index: Int) throws -> UInt64? {
        guard let finished = try finishedFrame(at: start, frame: index) else { return nil }
        let callSite =
            finished.frame.isTrapHandler
            ? finished.caller.pc : callInstruction(returningTo: finished.caller.pc)
        // The call ran as step `start` at the latest (the state at `start` is in the callee).
        guard let match = try lastCall(at: callSite, before: start + 1, stackPointer: finished.cfa) else {
            return nil
        }
        return match.step - 1
    }

    /// The last execution before `step` of the call instruction at `callSite` with sp at
    /// `stackPointer`. The search starts at the last keyframe where sp was at or above it
    /// (the frame the call made was not alive there), and goes further back only when that
    /// finds nothing (code that switches stacks).
    private func lastCall(at callSite: UInt32, before step: UInt64, stackPointer: UInt32) throws
        -> TimelineMatch?
    {
        var bound: UInt64 = 0
        var index = timeline.keyframe(atOrBefore: step)
        while index > 0 {
            if try timeline.keyframeStackPointer(index) >= stackPointer {
                bound = timeline.keyframeSteps[index]
                break
            }
            index -= 1
        }
        if let match = try timeline.lastExecution(
            of: [callSite], before: step, notBefore: bound, accept: { $0.register(2) == stackPointer })
        {
            return match
        }
        guard bound > 0 else { return nil }
        return try timeline.lastExecution(
            of: [callSite], before: bound + 1, accept: { $0.register(2) == stackPointer })
    }

    /// The call instruction a return address follows (a 4-byte call, else a compressed one).
    private func callInstruction(returningTo address: UInt32) -> UInt32 {
        if case .call(let next) = Transfer(at: address &- 4, in: machine), next == address {
            return address &- 4
        }
        return address &- 2
    }

    private struct TracedState {
        var pc: UInt32
        var sp: UInt32
    }

    /// The pc and sp of the states `low ..< high`.
    private func trace(_ low: UInt64, _ high: UInt64) throws -> [TracedState] {
        try timeline.seek(to: low)
        var states: [TracedState] = []
        states.reserveCapacity(Int(high - low))
        while machine.step < high {
            states.append(TracedState(pc: machine.pc, sp: sp()))
            try timeline.seek(to: machine.step + 1)
        }
        return states
    }

    private func lineBackward(from start: UInt64, into: Bool) throws -> UInt64? {
        try timeline.seek(to: start)
        guard var function = debugInfo.function(containing: machine.pc),
            let firstRow = debugInfo.lines.row(at: machine.pc)
        else { return start > 0 ? start - 1 : nil }
        var range = firstRow.range
        var cfa = frameAddress()
        // The state examined next is cursor − 1; `after` is the state that followed it.
        var cursor = start
        var after = TracedState(pc: machine.pc, sp: sp())
        var window: UInt64 = 2048
        var budget = Self.singleStepLimit
        while cursor > 0 && budget > 0 {
            let low = cursor > window ? cursor - window : 0
            let states = try trace(low, cursor)
            budget -= states.count
            window = min(window * 2, 1 << 20)
            var index = states.count - 1
            var jumped = false
            while index >= 0 {
                let step = low + UInt64(index)
                let state = states[index]
                defer { after = state }
                if function.contains(state.pc) {
                    if range.contains(state.pc) {
                        if state.pc == range.lowerBound && state.pc != function.entry {
                            try timeline.seek(to: step)
                            if frameAddress() == cfa { return step }
                        }
                        index -= 1
                        continue
                    }
                    guard let row = debugInfo.lines.row(at: state.pc) else {
                        index -= 1
                        continue
                    }
                    try timeline.seek(to: step)
                    let here = frameAddress()
                    if here < cfa, let resumed = try skipBackOverCall(returningTo: after) {
                        // A deeper activation of the same function: back over it.
                        cursor = resumed
                        jumped = true
                        break
                    }
                    range = row.range
                    if row.isStatementStart && state.pc != function.entry { return step }
                    index -= 1
                    continue
                }
                // Outside the function: in a callee that returned at the following state, or
                // in the caller whose call entered the function.
                if after.pc == function.entry, case .call = Transfer(at: state.pc, in: machine) {
                    guard let caller = debugInfo.function(containing: state.pc),
                        let row = debugInfo.lines.row(at: state.pc)
                    else { return step }
                    function = caller
                    range = row.range
                    try timeline.seek(to: step)
                    cfa = frameAddress()
                    if state.pc == range.lowerBound { return step }
                    index -= 1
                    continue
                }
                if into, let callee = debugInfo.function(containing: state.pc),
                    let row = debugInfo.lines.row(at: state.pc)
                {
                    // Into the callee, at the last line it ran.
                    function = callee
                    range = row.range
                    try timeline.seek(to: step)
                    cfa = frameAddress()
                    if state.pc == range.lowerBound && state.pc != function.entry { return step }
                    index -= 1
                    continue
                }
                if let resumed = try skipBackOverCall(returningTo: after) {
                    cursor = resumed
                    jumped = true
                    break
                }
                // A trap handler or code without a call: keep reading back.
                index -= 1
            }
            if jumped {
                // Examine the call instruction's state itself next.
                try timeline.seek(to: cursor)
                after = TracedState(pc: machine.pc, sp: sp())
                if range.contains(machine.pc) && machine.pc == range.lowerBound
                    && machine.pc != function.entry
                {
                    return cursor
                }
                if !range.contains(machine.pc), let row = debugInfo.lines.row(at: machine.pc) {
                    range = row.range
                    if row.isStatementStart { return cursor }
                }
                continue
            }
            cursor = low
        }
        return cursor == 0 ? 0 : nil
    }

    /// The state at the call instruction whose callee returned to `after` (its pc is the return
    /// address and its sp the caller's), or nil when no call returns there.
    private func skipBackOverCall(returningTo after: TracedState) throws -> UInt64? {
        let callSite = callInstruction(returningTo: after.pc)
        guard case .call(let returnAddress) = Transfer(at: callSite, in: machine), returnAddress == after.pc
        else {
            return nil
        }
        guard let match = try lastCall(at: callSite, before: machine.step + 1, stackPointer: after.sp) else {
            return nil
        }
        return match.step - 1
    }
}

/// What an instruction does to the flow of control, as far as stepping cares.
enum Transfer: Equatable {
    /// A call (jal/jalr with a link register): the return address.
    case call(UInt32)
    /// A return through ra.
    case `return`
    /// mret.
    case trapReturn
    /// Anything else.
    case other

    init(at pc: UInt32, in machine: Machine) {
        guard let bytes = machine.readMemory(pc, count: 2), bytes.count == 2 else {
            self = .other
            return
        }
        let half = UInt32(bytes[0]) | UInt32(bytes[1]) << 8
        if half & 3 != 3 {
            let op = half & 3
            let funct3 = half >> 13
            if op == 1 && funct3 == 1 {
                self = .call(pc &+ 2)  // c.jal (RV32)
                return
            }
            let rs1 = (half >> 7) & 31
            let rs2 = (half >> 2) & 31
            if op == 2 && funct3 == 4 && rs2 == 0 && rs1 != 0 {
                if (half >> 12) & 1 == 1 {
                    self = .call(pc &+ 2)  // c.jalr
                } else {
                    self = rs1 == 1 ? .return : .other  // c.jr
                }
                return
            }
            self = .other
            return
        }
        guard let word = machine.readMemory(pc, count: 4), word.count == 4 else {
            self = .other
            return
        }
        let instruction = word.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let rd = (instruction >> 7) & 31
        let rs1 = (instruction >> 15) & 31
        switch instruction & 0x7f {
        case 0x6f: self = rd != 0 ? .call(pc &+ 4) : .other
        case 0x67: self = rd != 0 ? .call(pc &+ 4) : rs1 == 1 ? .return : .other
        default: self = instruction == 0x3020_0073 ? .trapReturn : .other
        }
    }
}
