/// What the terminal does with colour, decided once when curses starts.
public enum ColorSupport: Equatable, Sendable {
    /// `NO_COLOR` is set and not empty (https://no-color.org): attributes only.
    case disabledByNoColor
    /// The terminal has no colours (`TERM=vt100`, `xterm-mono`): attributes only.
    case monochrome
    /// `count` colours (8, 16, 256…) and `pairs` colour pairs; `hasDefaultColors` when the
    /// terminal's own foreground and background can be used (`use_default_colors`).
    case colors(count: Int, pairs: Int, hasDefaultColors: Bool)

    /// Whether styles are drawn with colours.
    public var usesColor: Bool {
        if case .colors = self { return true }
        return false
    }

    /// Whether `NO_COLOR`'s value (nil when unset) asks for no colour: any non-empty value
    /// does.
    static func isColorDisabled(noColor value: String?) -> Bool {
        !(value ?? "").isEmpty
    }
}
