import Screen

/// Colour pairs handed out on demand, one per (foreground, background) the screen uses.
///
/// Pair 0 is the terminal's default pair and never allocated. When the terminal runs out of
/// pairs (the Linux console has 64, fewer than the 81 combinations of `Style.Color`), a new
/// combination falls back to its foreground on the default background, then to pair 0, so text
/// stays readable instead of failing to draw.
struct ColorPairTable {
    /// A combination of colours, as `Style` names them.
    struct Colors: Hashable {
        var foreground: Style.Color
        var background: Style.Color
    }

    /// The highest pair number that may be allocated (`COLOR_PAIRS - 1`).
    let capacity: Int
    private var numbers: [Colors: Int] = [:]

    /// A table that allocates pairs 1…`capacity`.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Pairs allocated so far.
    var count: Int { numbers.count }

    /// The pair for `colors`, allocating one if there is room, and the colours it really
    /// shows (different after a fallback). `isNew` says the caller must define it
    /// (`init_pair`) before use.
    mutating func pair(for colors: Colors) -> (number: Int, colors: Colors, isNew: Bool) {
        let defaults = Colors(foreground: .default, background: .default)
        if colors == defaults { return (0, defaults, false) }
        if let number = numbers[colors] { return (number, colors, false) }
        if numbers.count < capacity {
            let number = numbers.count + 1
            numbers[colors] = number
            return (number, colors, true)
        }
        if colors.background != .default {
            return pair(for: Colors(foreground: colors.foreground, background: .default))
        }
        return (0, defaults, false)
    }
}
