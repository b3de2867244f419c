/// What the user (or a finished effect) asks of the inspector.
public enum InspectorAction: Equatable, Sendable {
    case key(Key)
    /// A frame of playback passed.
    case tick
    /// A search effect finished: a step to go to, or a message.
    case searchFinished(step: UInt64?, message: String)
    /// An effect failed.
    case failed(String)
    /// The machine view noticed the memory pane follows a register whose value is this.
    case followedAddress(UInt32)
    /// The live source reported (once a frame in live mode).
    case live(LiveReport)
    /// A live command was carried out, or could not be (then: why).
    case liveCommandFinished(refusal: String?)
}

/// Work the reducer asks for; the session runs it against the timeline and feeds results back
/// as actions. Effects are values, so the reducer stays pure and testable.
public enum InspectorEffect: Equatable, Sendable {
    /// Search backwards (`isForward == false`) or forwards for the next stop: a breakpoint or
    /// a watchpoint hit, from the current step.
    case continueRun(isForward: Bool)
    /// The last write to `range` at or before step `atOrBefore`.
    case lastWrite(Range<UInt32>, atOrBefore: UInt64)
    /// The last change of register `index` at or before the step.
    case lastRegisterChange(index: Int, atOrBefore: UInt64)
    /// The nearest marker before/after the current step.
    case marker(isForward: Bool)
    /// Resolve a goto target (symbol → next execution).
    case gotoSymbol(String)
    /// Search text (mnemonic, hex bytes, console text) forwards from the current step.
    case search(String)
    /// Steer the live run.
    case live(LiveCommand)
}
