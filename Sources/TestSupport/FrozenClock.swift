/// A clock that never moves, for tests whose output must depend on their input alone (the
/// inspector redraws progress lines by the clock). It has the shape of the inspector's
/// `InspectorClock` (`now`, in seconds); a test target that links the inspector declares the
/// conformance (`extension FrozenClock: InspectorClock {}`), so TestSupport need not.
public struct FrozenClock: Sendable {
    /// The time it always says, in seconds.
    public var now: Double

    /// A clock stopped at `now` (0 by default).
    public init(at now: Double = 0) { self.now = now }
}
