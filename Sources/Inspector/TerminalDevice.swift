/// What the inspector needs from a terminal: its size, a way to show a grid, and keys. The
/// curses implementation lives in the `Terminal` target; tests use a fake.
public protocol TerminalDevice: AnyObject {
    /// Columns and rows right now.
    var size: (width: Int, height: Int) { get }
    /// Shows `grid` (which has the terminal's size).
    func draw(_ grid: ScreenGrid)
    /// The next key, or nil after `timeout` milliseconds without one.
    func readKey(timeout milliseconds: Int) -> Key?
}

/// Monotonic time in seconds, injected so the inspector never reads the wall clock itself.
public protocol InspectorClock {
    var now: Double { get }
}
