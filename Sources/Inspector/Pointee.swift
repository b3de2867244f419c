import Machine

/// What a 32-bit value points to, when it is an address with something to say about it: shown
/// beside registers, stack words and the current instruction's operands, as pwndbg and GEF do.
///
/// ```
/// a5  80001034  <sensors+0x34> "thermometer1"     a string in RAM
/// ra  8000036a  <poll_sensors+0x30>               code
/// sp  800fffb0  → 8000036a <poll_sensors+0x30>    a word in RAM, and what that points to
/// ```
public struct Pointee: Equatable, Sendable {
    /// The symbol the address lies in (`sensors+0x34`), if any.
    public var symbol: String?
    /// Whether the address is code (a function, or an executable section).
    public var isCode = false
    /// The printable NUL-terminated string stored there (cut at `PointeeFinder.stringLimit`
    /// characters with `…`).
    public var string: String?
    /// The word stored there, when it is data that is not a string.
    public var word: UInt32?
    /// The symbol that word lies in, when it is an address too.
    public var wordSymbol: String?
}

/// Finds what values point to, reading memory through a closure so it works on a live machine
/// or on bytes in a test.
struct PointeeFinder {
    /// Characters of a string shown before it is cut.
    static let stringLimit = 48
    /// A string needs at least this many characters before its NUL to count as one: a single
    /// printable byte followed by zero is as likely to be a small number.
    static let shortestString = 2

    let symbols: SymbolTable
    /// Executable sections.
    let code: [Range<UInt32>]
    /// `count` bytes at an address, nil where there is no RAM or ROM.
    let read: (UInt32, Int) -> [UInt8]?

    init(firmware: Firmware, read: @escaping (UInt32, Int) -> [UInt8]?) {
        symbols = firmware.symbols
        code = firmware.sections.filter { $0.name.hasPrefix(".text") || $0.name == ".init" }.map {
            $0.address..<($0.address &+ $0.size)
        }
        self.read = read
    }

    /// What `value` points to, or nil when it is not an address of RAM, ROM or a symbol.
    func pointee(of value: UInt32) -> Pointee? {
        let symbol = symbols.describe(value)
        let isCode =
            code.contains { $0.contains(value) } || symbols.symbol(containing: value)?.kind == .function
        if isCode { return Pointee(symbol: symbol, isCode: true) }
        guard read(value, 1) != nil else { return symbol.map { Pointee(symbol: $0) } }
        var pointee = Pointee(symbol: symbol)
        if let string = string(at: value) {
            pointee.string = string
        } else if value & 3 == 0, let bytes = read(value, 4) {
            let word = littleEndian(bytes)
            pointee.word = word
            pointee.wordSymbol = symbols.describe(word)
        }
        return pointee
    }

    /// The printable NUL-terminated string at `address`, if there is one.
    func string(at address: UInt32) -> String? {
        Self.string(at: address, read: read)
    }

    /// The printable NUL-terminated string at `address` in the memory `read` gives.
    static func string(at address: UInt32, read: (UInt32, Int) -> [UInt8]?) -> String? {
        // Near the end of RAM fewer bytes can be read.
        var readable: [UInt8]?
        for count in [Self.stringLimit + 1, 16, 4, 1] where readable == nil {
            readable = read(address, count)
        }
        guard let bytes = readable else { return nil }
        var characters: [UInt8] = []
        for byte in bytes {
            if byte == 0 {
                return characters.count >= Self.shortestString
                    ? String(decoding: characters, as: UTF8.self) : nil
            }
            guard (0x20...0x7E).contains(byte) else { return nil }
            characters.append(byte)
        }
        guard characters.count > Self.stringLimit else { return nil }
        return String(decoding: characters.prefix(Self.stringLimit), as: UTF8.self) + "…"
    }
}

/// The little-endian value of up to four bytes (RISC-V memory order).
func littleEndian(_ bytes: [UInt8]) -> UInt32 {
    bytes.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
}
