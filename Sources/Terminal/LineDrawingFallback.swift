/// Box-drawing and block characters as VT100 alternate-character-set letters, for terminals
/// running in a locale that is not UTF-8 (`LANG=C`), where curses cannot send the Unicode
/// scalars the inspector draws with.
///
/// Heavy, double and rounded variants map to the plain line; blocks and shades to the
/// checkerboard or solid block.
enum LineDrawingFallback {
    /// The ACS letter for `scalar` (`"q"` for `─`), nil if it has none.
    static func acsLetter(for scalar: Unicode.Scalar) -> UInt8? {
        letters[scalar].map { UInt8(ascii: $0) }
    }

    /// The ASCII stand-in for a scalar with no ACS letter: itself when printable ASCII, else
    /// `?`.
    static func asciiReplacement(for scalar: Unicode.Scalar) -> UInt8 {
        (0x20...0x7E).contains(scalar.value) ? UInt8(scalar.value) : UInt8(ascii: "?")
    }

    private static let letters: [Unicode.Scalar: Unicode.Scalar] = {
        var table: [Unicode.Scalar: Unicode.Scalar] = [:]
        func add(_ scalars: String, _ letter: Unicode.Scalar) {
            for scalar in scalars.unicodeScalars { table[scalar] = letter }
        }
        add("─━═╌╍┄┅┈┉╴╶╸╺", "q")
        add("│┃║╎╏┆┇┊┋╵╷╹╻", "x")
        add("┌┏╔╒╓╭┍┎", "l")
        add("┐┓╗╕╖╮┑┒", "k")
        add("└┗╚╘╙╰┕┖", "m")
        add("┘┛╝╛╜╯┙┚", "j")
        add("├┣╠╞╟┝┞┟┠┡┢", "t")
        add("┤┫╣╡╢┥┦┧┨┩┪", "u")
        add("┬┳╦╤╥┭┮┯┰┱┲", "w")
        add("┴┻╩╧╨┵┶┷┸┹┺", "v")
        add("┼╋╬╪╫┽┾┿╀╁╂╃╄╅╆╇╈╉╊", "n")
        add("░▒▓", "a")
        add("█▉▊▋▌▍▎▏▐▀▄▁▂▃▅▆▇■", "0")
        add("◆♦", "`")
        add("°", "f")
        add("±", "g")
        add("·•∙", "~")
        add("≤", "y")
        add("≥", "z")
        add("π", "{")
        add("≠", "|")
        add("£", "}")
        add("▶►", "+")
        add("◀◄", ",")
        add("▼", ".")
        add("▲", "-")
        return table
    }()
}
