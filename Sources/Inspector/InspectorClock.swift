/// Monotonic time in seconds, injected so the inspector never reads the wall clock itself.
public protocol InspectorClock {
    var now: Double { get }
}
