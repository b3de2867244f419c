/// A key press as the inspector understands it; `Terminal` translates curses key codes into
/// these, so the reducer never sees curses.
public enum Key: Equatable, Hashable, Sendable {
    case character(Character)
    /// Ctrl plus a letter (`.control("c")`).
    case control(Character)
    case up, down, left, right
    case shiftLeft, shiftRight, shiftUp, shiftDown
    case home, end, pageUp, pageDown
    case enter, escape, backspace, delete, tab, backTab
    case function(Int)
    /// The terminal changed size.
    case resize
    /// The program was asked to stop (SIGINT, SIGTERM) or its terminal went away.
    case interrupt
}
