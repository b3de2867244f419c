/// A screen's worth of styled text cells: what the inspector renders and the terminal draws.
///
/// Rendering is pure (`render(state, view, size) -> ScreenGrid`), so a screen can be compared
/// as text in tests (`ScreenGrid+Text.swift`); the terminal layer only diffs grids and draws.
/// One cell holds one Unicode scalar of display width 1 (box drawing and block characters
/// included); wider characters are not used.
public struct ScreenGrid: Equatable, Sendable {
    /// Columns.
    public let width: Int
    /// Rows.
    public let height: Int
    /// Row-major cells, `width * height` of them.
    public private(set) var cells: [Cell]

    /// One character cell.
    public struct Cell: Equatable, Sendable {
        /// The character in the cell.
        public var character: Unicode.Scalar
        /// How it is drawn.
        public var style: Style

        /// A cell showing `character` in `style`.
        public init(_ character: Unicode.Scalar, _ style: Style = .plain) {
            self.character = character
            self.style = style
        }

        /// A blank cell.
        public static let blank = Cell(" ")
    }

    /// A blank grid of `width` × `height` (negative sizes count as 0).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// The cell at column `x`, row `y` (blank outside the grid).
    public subscript(x: Int, y: Int) -> Cell {
        get { contains(x: x, y: y) ? cells[y * width + x] : .blank }
        set { if contains(x: x, y: y) { cells[y * width + x] = newValue } }
    }

    /// Whether (x, y) lies on the grid.
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// Writes `text` from (x, y) to the right, within `maxWidth` columns and the grid's edge;
    /// returns the column after the last character written.
    ///
    /// Text that does not fit is cut at a word boundary and ends in `…`
    /// (`TextFitting.truncated`), so no word or number ever shows in part.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, maxWidth: Int? = nil)
        -> Int
    {
        guard y >= 0 && y < height else { return x }
        let limit = min(width, maxWidth.map { x + max(0, $0) } ?? width)
        let fitted = TextFitting.truncated(text, toWidth: limit - x)
        var column = x
        for scalar in fitted.unicodeScalars {
            guard column < limit else { break }
            if column >= 0 { cells[y * width + column] = Cell(Self.printable(scalar), style) }
            column += 1
        }
        return column
    }

    /// Fills a rectangle with `character` in `style`.
    public mutating func fill(
        x: Int, y: Int, width fillWidth: Int, height fillHeight: Int, _ character: Unicode.Scalar = " ",
        style: Style = .plain
    ) {
        for row in max(0, y)..<min(height, y + fillHeight) where fillWidth > 0 {
            for column in max(0, x)..<min(width, x + fillWidth) {
                cells[row * width + column] = Cell(character, style)
            }
        }
    }

    /// Applies `change` to the style of every cell in a rectangle (for highlights).
    public mutating func restyle(
        x: Int, y: Int, width restyleWidth: Int, height restyleHeight: Int = 1,
        _ change: (inout Style) -> Void
    ) {
        for row in max(0, y)..<min(height, y + restyleHeight) where restyleWidth > 0 {
            for column in max(0, x)..<min(width, x + restyleWidth) {
                change(&cells[row * width + column].style)
            }
        }
    }

    /// Control characters and other non-printing scalars show as "·".
    static func printable(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        scalar.value < 0x20 || (0x7F..<0xA0).contains(scalar.value) ? "·" : scalar
    }
}

/// How a cell looks: colours and attributes. Colours are the 8 ANSI colours (so 8-colour
/// terminals show everything); `Terminal` maps them, or drops them under NO_COLOR, where the
/// attributes alone still carry every distinction that matters.
public struct Style: Equatable, Hashable, Sendable {
    /// The terminal's eight colours, plus its default.
    public enum Color: UInt8, Sendable, CaseIterable {
        case `default` = 0, black, red, green, yellow, blue, magenta, cyan, white
    }

    /// Text attributes.
    public struct Attributes: OptionSet, Hashable, Sendable {
        /// The bits.
        public let rawValue: UInt8
        /// Attributes from their bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Bold.
        public static let bold = Attributes(rawValue: 1)
        /// Dim.
        public static let dim = Attributes(rawValue: 2)
        /// Reverse video.
        public static let reverse = Attributes(rawValue: 4)
        /// Underlined.
        public static let underline = Attributes(rawValue: 8)
    }

    /// Text colour.
    public var foreground: Color
    /// Cell colour.
    public var background: Color
    /// Bold, dim, reverse, underline.
    public var attributes: Attributes

    /// A style from its parts.
    public init(foreground: Color = .default, background: Color = .default, attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// The terminal's default look.
    public static let plain = Style()
}
