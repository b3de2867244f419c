/// What the inspector needs from a terminal: its size, a way to show a grid, and keys. The
/// curses implementation is `Terminal`'s `TerminalScreen`; tests use a fake.
public protocol TerminalDevice: AnyObject {
    /// Columns and rows right now.
    var size: (width: Int, height: Int) { get }
    /// Shows `grid` (which has the terminal's size).
    func draw(_ grid: ScreenGrid)
    /// The next key, or nil after `timeout` milliseconds without one.
    func readKey(timeout milliseconds: Int) -> Key?
}
