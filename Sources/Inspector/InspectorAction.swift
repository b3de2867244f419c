import Recording

/// What the user (or a finished effect) asks of the inspector.
public enum InspectorAction: Equatable, Sendable {
    case key(Key)
    /// A frame of playback passed.
    case tick
    /// A search effect finished: a step to go to, or a message.
    case searchFinished(step: UInt64?, message: String)
    /// A frame of playback that looked for breakpoint and watchpoint hits on its way reached
    /// `step`: where it meant to go, or the hit that stopped it (then `hit` says which).
    case playbackAdvanced(step: UInt64, hit: String?)
    /// Hit counts over the recording up to `through`, by rule.
    case hitsCounted([StopRule: Int], through: UInt64)
    /// An effect failed.
    case failed(String)
    /// The machine view noticed the memory pane follows a register whose value is this.
    case followedAddress(UInt32)
    /// The live source reported (once a frame in live mode).
    case live(LiveReport)
    /// A live command was carried out, or could not be (then: why).
    case liveCommandFinished(refusal: String?)
    /// The lines that ran in a span were collected (`x`).
    case executedLinesCollected(InspectorState.ExecutedLines, message: String)
}

/// Work the reducer asks for; the session runs it against the timeline and feeds results back
/// as actions. Effects are values, so the reducer stays pure and testable.
public enum InspectorEffect: Equatable, Sendable {
    /// Search backwards (`isForward == false`) or forwards for the nearest hit of an enabled
    /// breakpoint or watchpoint whose condition holds, from the current step.
    case continueRun(isForward: Bool)
    /// Play from step `from` towards step `to` (either direction), stopping at the first
    /// breakpoint or watchpoint hit on the way (the step itself excluded, `to` included).
    case play(from: UInt64, to: UInt64)
    /// Count the hits of each rule over the whole recording.
    case countHits([StopRule])
    /// The last write to `range` at or before step `atOrBefore`.
    case lastWrite(Range<UInt32>, atOrBefore: UInt64)
    /// The last change of register `index` at or before the step.
    case lastRegisterChange(index: Int, atOrBefore: UInt64)
    /// The nearest marker before/after the current step.
    case marker(isForward: Bool)
    /// The next (or previous) state whose pc is at the symbol's address.
    case gotoSymbol(String, isForward: Bool)
    /// Search text (console text, a mnemonic, instruction bytes) forwards or backwards from
    /// the current step.
    case search(String, isForward: Bool)
    /// Steer the live run.
    case live(LiveCommand)
    /// Move by source line (gdb's step, next, finish; backwards as rr's reverse-…) from the
    /// current step, in frame `frame` (finish leaves that frame).
    case sourceMove(SourceMove, isBackward: Bool, frame: Int)
    /// The last write at or before the step to the bytes of a variable (`expression` names it).
    case lastWriteToVariable(String, Range<UInt32>, atOrBefore: UInt64)
    /// Which source lines run in `span` (for the source pane, `x`).
    case collectExecutedLines(ClosedRange<UInt64>)
}
