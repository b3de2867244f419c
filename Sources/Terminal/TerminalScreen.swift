@preconcurrency import CNCurses
import Screen

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The terminal, taken over by curses: draws `ScreenGrid`s and reads `Key`s.
///
/// One instance at a time, used from one thread. Creating it switches the terminal to the
/// alternate screen in raw mode (Ctrl-C arrives as `.control("c")`, not as a signal) with the
/// cursor hidden; `end()` — or the process ending in any way, a crash included — puts it back
/// (see `TerminalGuard`). While it runs, whatever the process writes to stderr is held back and
/// printed after the terminal is restored.
///
/// ```swift
/// let terminal = try TerminalScreen()
/// defer { terminal.end() }
/// while true {
///     terminal.draw(render(state, view, terminal.size))
///     guard let key = terminal.readKey(timeout: 50) else { continue }
///     if key == .character("q") || key == .control("c") { break }
/// }
/// ```
public final class TerminalScreen {
    /// How styles' colours reach the screen (or do not, under `NO_COLOR`).
    public let colorSupport: ColorSupport

    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let input: UnsafeMutablePointer<FILE>
    private let output: UnsafeMutablePointer<FILE>
    private let isUTF8: Bool
    private var isEnded = false

    /// The grid on screen, which the next `draw` is diffed against; nil forces a full redraw.
    private var previous: ScreenGrid?
    /// The terminal changed size since the last draw: the next one clears it first.
    private var wasResized = false
    private var pairs: ColorPairTable
    private var appearances: [Style: Appearance] = [:]
    /// The last style drawn and its look: neighbouring cells mostly share a style.
    private var lastAppearance: (style: Style, appearance: Appearance)?
    private var lastWidthCheck: (scalar: Unicode.Scalar, isSingle: Bool) = (" ", true)
    private var cursor: (x: Int, y: Int)?

    /// Key codes curses reports for sequences `KeySequences` taught it, or that the terminal's
    /// entry names with codes `KeyTranslation` does not know (`KEY_FIND` for `ESC [1~`).
    private var definedKeys: [Int32: Key] = [:]
    /// Keys already read but not yet returned (the key that followed an Escape).
    private var pendingKeys: [Key] = []

    private struct Appearance {
        var attributes: attr_t
        var pair: Int16
    }

    /// Whether SIGINT, SIGTERM or SIGHUP arrived while the screen was up and the application has not
    /// acted on it yet.
    ///
    /// `readKey` reports it as `.interrupt` and clears it; an application busy with a long
    /// operation can poll it and clear it itself. A second signal while it is still set ends
    /// the process (after restoring the terminal), as does one while no screen is up.
    public static var interruptRequested: Bool {
        get { TerminalGuard.interruptRequested }
        set { TerminalGuard.interruptRequested = newValue }
    }

    /// Installs the handlers that restore the terminal on SIGINT/SIGTERM/SIGHUP (as
    /// `interruptRequested`) and crashes, and at `exit`. `init` does this; call it
    /// earlier to cover start-up too. Idempotent.
    public static func installSignalHandlers() {
        TerminalGuard.install()
    }

    /// Takes over the terminal on standard input and output.
    ///
    /// Throws when either is not a terminal or `TERM` names no known terminal type.
    public init() throws(TerminalError) {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw TerminalError(
                "the inspector needs an interactive terminal, but standard "
                    + (isatty(STDIN_FILENO) == 0 ? "input" : "output") + " is not one (is it redirected?)")
        }
        setlocale(LC_ALL, "")
        Self.installSignalHandlers()

        // Private streams on duplicates of fd 0 and 1, so closing them later leaves the
        // process's own standard streams alone.
        guard let input = fdopen(dup(STDIN_FILENO), "r"), let output = fdopen(dup(STDOUT_FILENO), "w") else {
            throw TerminalError("could not open the terminal: \(String(cString: strerror(errno)))")
        }
        guard let screen = newterm(nil, output, input) else {
            fclose(input)
            fclose(output)
            let name = getenv("TERM").map { String(cString: $0) } ?? ""
            throw TerminalError(
                name.isEmpty
                    ? "TERM is not set: set it to your terminal's type (for example TERM=xterm-256color)"
                    : "unknown terminal type TERM=\(name): set TERM to one this system knows (see `toe -a`)")
        }
        TerminalGuard.setCursesActive(true)
        guard timescope_terminal_addresses_cursor() != 0 else {
            let name = getenv("TERM").map { String(cString: $0) } ?? ""
            TerminalGuard.restore()
            delscreen(screen)
            fclose(input)
            fclose(output)
            throw TerminalError(
                "TERM=\(name) cannot position the cursor, which the inspector needs: "
                    + "run it in a full-screen terminal (for example TERM=xterm-256color)")
        }
        TerminalGuard.captureStandardError()
        guard let window = timescope_standard_screen() else {
            TerminalGuard.restore()
            throw TerminalError("curses started without a screen window")
        }
        self.screen = screen
        self.window = window
        self.input = input
        self.output = output
        isUTF8 = timescope_locale_is_utf8() != 0

        raw()
        noecho()
        nonl()
        keypad(window, true)
        intrflush(window, false)
        leaveok(window, true)
        curs_set(0)
        set_escdelay(25)

        if ColorSupport.isColorDisabled(noColor: getenv("NO_COLOR").map { String(cString: $0) }) {
            colorSupport = .disabledByNoColor
        } else if has_colors() {
            start_color()
            let hasDefaultColors = use_default_colors() == OK
            colorSupport = .colors(
                count: Int(timescope_color_count()), pairs: Int(timescope_color_pair_count()),
                hasDefaultColors: hasDefaultColors)
        } else {
            colorSupport = .monochrome
        }
        let pairCapacity: Int
        if case .colors(_, let pairCount, _) = colorSupport {
            pairCapacity = min(pairCount - 1, Int(Int16.max))
        } else {
            pairCapacity = 0
        }
        pairs = ColorPairTable(capacity: pairCapacity)
        defineMissingKeySequences()
    }

    deinit {
        end()
    }

    /// The terminal's size in cells; changes after a `.resize` key.
    public var size: (width: Int, height: Int) {
        guard !isEnded else { return (0, 0) }
        return (Int(getmaxx(window)), Int(getmaxy(window)))
    }

    /// Puts `grid` on the screen, redrawing only cells that differ from the previous grid (all
    /// of them after a resize or when the size changed), then refreshes once. Cells outside the
    /// terminal are dropped; the rest of a terminal larger than the grid is blank.
    public func draw(_ grid: ScreenGrid) {
        guard !isEnded else { return }
        let (width, height) = size
        if wasResized || previous?.width != grid.width || previous?.height != grid.height {
            werase(window)
            if wasResized { clearok(window, true) }
            previous = nil
            wasResized = false
        }
        for span in grid.changedSpans(since: previous) where span.row < height {
            let columns = span.columns.clamped(to: 0..<max(0, width))
            guard !columns.isEmpty else { continue }
            wmove(window, Int32(span.row), Int32(columns.lowerBound))
            for column in columns {
                put(grid[column, span.row])
            }
        }
        previous = grid
        if let cursor {
            wmove(window, Int32(cursor.y), Int32(cursor.x))
        }
        wrefresh(window)
    }

    /// Shows the cursor at column `x`, row `y` (for a prompt); it stays there across `draw`s
    /// until `hideCursor()`.
    public func showCursor(x: Int, y: Int) {
        guard !isEnded else { return }
        cursor = (x, y)
        leaveok(window, false)
        curs_set(1)
        wmove(window, Int32(y), Int32(x))
        wrefresh(window)
    }

    /// Hides the cursor again.
    public func hideCursor() {
        guard !isEnded else { return }
        cursor = nil
        curs_set(0)
        leaveok(window, true)
        wrefresh(window)
    }

    /// Restores the terminal (normal screen, cooked mode, cursor) and prints what was written to
    /// stderr meanwhile. Idempotent; the screen draws and reads nothing afterwards.
    public func end() {
        guard !isEnded else { return }
        isEnded = true
        TerminalGuard.restore()
        delscreen(screen)
        fclose(input)
        fclose(output)
    }

    // MARK: - Drawing one cell

    /// Draws `cell` at the cursor, which moves one column right.
    private func put(_ cell: ScreenGrid.Cell) {
        let appearance = self.appearance(of: cell.style)
        let scalar = cell.character
        let isPrintableASCII = (0x20...0x7E).contains(scalar.value)
        if !isUTF8 && !isPrintableASCII {
            let glyph: chtype
            if let letter = LineDrawingFallback.acsLetter(for: scalar) {
                glyph = timescope_acs(letter)
            } else {
                glyph = chtype(LineDrawingFallback.asciiReplacement(for: scalar))
            }
            waddch(window, glyph | appearance.attributes | timescope_color_pair(Int32(appearance.pair)))
            return
        }
        var characters: (wchar_t, wchar_t) = (wchar_t(bitPattern: scalar.value), 0)
        // A scalar the terminal would draw wider or narrower than one cell would shift the
        // rest of the row.
        if !isPrintableASCII && !hasSingleWidth(scalar) { characters.0 = wchar_t(UInt8(ascii: "?")) }
        var complex = cchar_t()
        withUnsafePointer(to: &characters) { pair in
            pair.withMemoryRebound(to: wchar_t.self, capacity: 2) { string in
                _ = setcchar(&complex, string, appearance.attributes, appearance.pair, nil)
            }
        }
        wadd_wch(window, &complex)
    }

    /// Whether `scalar` takes exactly one column; remembers the last answer, since runs of the
    /// same line-drawing character are common.
    private func hasSingleWidth(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == lastWidthCheck.scalar { return lastWidthCheck.isSingle }
        let isSingle = timescope_display_width(wchar_t(bitPattern: scalar.value)) == 1
        lastWidthCheck = (scalar, isSingle)
        return isSingle
    }

    private func appearance(of style: Style) -> Appearance {
        if let last = lastAppearance, last.style == style { return last.appearance }
        if let known = appearances[style] {
            lastAppearance = (style, known)
            return known
        }
        var attributes = timescope_attribute_normal()
        if style.attributes.contains(.bold) { attributes |= timescope_attribute_bold() }
        if style.attributes.contains(.dim) { attributes |= timescope_attribute_dim() }
        if style.attributes.contains(.reverse) { attributes |= timescope_attribute_reverse() }
        if style.attributes.contains(.underline) { attributes |= timescope_attribute_underline() }
        var pair: Int16 = 0
        if case .colors(_, _, let hasDefaultColors) = colorSupport {
            let allocation = pairs.pair(
                for: .init(foreground: style.foreground, background: style.background))
            pair = Int16(clamping: allocation.number)
            if allocation.isNew {
                init_pair(
                    pair,
                    Self.cursesColor(
                        allocation.colors.foreground, isForeground: true, hasDefaultColors: hasDefaultColors),
                    Self.cursesColor(
                        allocation.colors.background, isForeground: false, hasDefaultColors: hasDefaultColors)
                )
            }
        }
        let appearance = Appearance(attributes: attributes, pair: pair)
        appearances[style] = appearance
        lastAppearance = (style, appearance)
        return appearance
    }

    /// The curses colour number for `color`: -1 is the terminal's own colour, where it has one
    /// (`use_default_colors`); otherwise white on black stands in for it.
    static func cursesColor(_ color: Style.Color, isForeground: Bool, hasDefaultColors: Bool) -> Int16 {
        switch color {
        case .default: return hasDefaultColors ? -1 : Int16(isForeground ? COLOR_WHITE : COLOR_BLACK)
        case .black: return Int16(COLOR_BLACK)
        case .red: return Int16(COLOR_RED)
        case .green: return Int16(COLOR_GREEN)
        case .yellow: return Int16(COLOR_YELLOW)
        case .blue: return Int16(COLOR_BLUE)
        case .magenta: return Int16(COLOR_MAGENTA)
        case .cyan: return Int16(COLOR_CYAN)
        case .white: return Int16(COLOR_WHITE)
        }
    }
}

// MARK: - Keys

extension TerminalScreen {
    /// Waits up to `milliseconds` (negative: indefinitely, 0: not at all) for a key; nil when
    /// none came.
    ///
    /// A SIGINT, SIGTERM or SIGHUP that arrived, or a terminal that hung up, reads as `.interrupt`;
    /// Ctrl-C itself is `.control("c")` (raw mode). A
    /// `.resize` means `size` has changed and the next `draw` repaints everything. Escape
    /// sequences curses does not know are decoded through `KeySequences`, or swallowed whole
    /// when they are not keys at all (Insert, Ctrl-F5) rather than read as stray characters.
    public func readKey(timeout milliseconds: Int) -> Key? {
        if !pendingKeys.isEmpty { return pendingKeys.removeFirst() }
        if TerminalGuard.takeInterrupt() { return .interrupt }
        guard !isEnded else { return nil }
        let input = nextInput(timeout: milliseconds)
        if input == nil && hasHungUp() { return .interrupt }
        let key = input.flatMap(translate)
        if TerminalGuard.takeInterrupt() {
            if let key { pendingKeys.append(key) }
            return .interrupt
        }
        return key
    }

    /// Whether the terminal is gone (the pty closed): reading would fail at once forever.
    private func hasHungUp() -> Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return true }
        return descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }

    private enum Input {
        case character(UInt32)
        case code(Int32)
    }

    private func nextInput(timeout milliseconds: Int) -> Input? {
        wtimeout(window, milliseconds < 0 ? -1 : Int32(clamping: milliseconds))
        var value: wint_t = 0
        switch wget_wch(window, &value) {
        case OK: return .character(UInt32(value))
        case KEY_CODE_YES: return .code(Int32(truncatingIfNeeded: value))
        default: return nil
        }
    }

    private func translate(_ input: Input) -> Key? {
        switch input {
        case .code(let code):
            if code == KEY_RESIZE { wasResized = true }
            return key(forCode: code)
        case .character(27):
            return readAfterEscape()
        case .character(let value):
            return KeyTranslation.key(forCharacter: value)
        }
    }

    private func key(forCode code: Int32) -> Key? {
        if let key = KeyTranslation.key(forCode: code) ?? definedKeys[code] { return key }
        guard let name = keyname(code) else { return nil }
        return KeyTranslation.key(forCapabilityName: String(cString: name))
    }

    /// An ESC curses could not match: a lone Escape, Escape pressed before another key (Alt
    /// plus a key), or a sequence the terminal entry does not list.
    private func readAfterEscape() -> Key? {
        guard let next = nextInput(timeout: 0) else { return .escape }
        guard case .character(let introducer) = next,
            introducer == UInt32(UInt8(ascii: "[")) || introducer == UInt32(UInt8(ascii: "O"))
        else {
            if let key = translate(next) { pendingKeys.append(key) }
            return .escape
        }
        var sequence = [UInt8(introducer)]
        while !KeySequences.isComplete(sequence) && sequence.count < KeySequences.maximumLength {
            // The rest of a sequence is normally already buffered; allow a little for a slow link.
            guard let following = nextInput(timeout: 25) else { break }
            guard case .character(let byte) = following, byte < 0x80 else {
                if let key = translate(following) { pendingKeys.append(key) }
                break
            }
            sequence.append(UInt8(byte))
        }
        return KeySequences.key(for: String(decoding: sequence, as: UTF8.self))
    }

    /// Teaches curses the sequences of `KeySequences` that the terminal's entry lacks, and
    /// notes the codes it reports for those the entry names in its own way.
    private func defineMissingKeySequences() {
        // Out of the way of the codes curses assigns to extended terminfo keys (from KEY_MAX
        // up) and below its 16-bit limit.
        var nextCode: Int32 = 0x3000
        for (sequence, key) in KeySequences.all {
            let escaped = "\u{1B}" + sequence
            let existing = key_defined(escaped)
            if existing == 0 {
                if define_key(escaped, nextCode) == OK { definedKeys[nextCode] = key }
                nextCode += 1
            } else if existing > 0 && KeyTranslation.key(forCode: existing) == nil
                && definedKeys[existing] == nil
            {
                definedKeys[existing] = key
            }
        }
    }
}
