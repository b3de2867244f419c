import Foundation

/// A firmware image: what to load where, where to start, and its symbols.
public struct Firmware: Sendable {
    /// A piece of the image to copy into memory (an ELF PT_LOAD segment).
    public struct Segment: Sendable, Equatable {
        /// Physical load address.
        public var address: UInt32
        /// Bytes taken from the file; the rest up to `memorySize` is zero.
        public var bytes: [UInt8]
        /// Size in memory (≥ `bytes.count`).
        public var memorySize: UInt32
    }

    /// A named section of the image (for `goto .data` and friends).
    public struct Section: Sendable, Equatable {
        public var name: String
        public var address: UInt32
        public var size: UInt32
    }

    /// File name the firmware was loaded from (for messages).
    public var name: String
    /// Entry point (initial pc).
    public var entry: UInt32
    /// Loadable segments.
    public var segments: [Segment]
    /// Allocated sections with names.
    public var sections: [Section]
    /// The symbol table.
    public var symbols: SymbolTable
    /// The original file, kept so that recordings can embed it.
    public var fileBytes: [UInt8]

    /// Builds an image directly (tests and tools that assemble code in memory).
    public init(
        name: String, entry: UInt32, segments: [Segment], sections: [Section] = [],
        symbols: SymbolTable = SymbolTable(), fileBytes: [UInt8] = []
    ) {
        self.name = name
        self.entry = entry
        self.segments = segments
        self.sections = sections
        self.symbols = symbols
        self.fileBytes = fileBytes
    }

    /// Resolves an address as people write it: hex (`0x80001000`), decimal, a symbol
    /// (`counter`, `main+0x10`) or a section (`.data`, `.bss+8`). Nil when it is none of those.
    public func address(for text: String) -> UInt32? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let lowered = trimmed.lowercased().replacingOccurrences(of: "_", with: "")
        if lowered.hasPrefix("0x") { return UInt32(lowered.dropFirst(2), radix: 16) }
        if let value = UInt32(lowered) { return value }
        var name = trimmed
        var offset: UInt32 = 0
        if let plus = trimmed.lastIndex(of: "+") {
            let tail = trimmed[trimmed.index(after: plus)...].lowercased()
            guard let parsed = tail.hasPrefix("0x") ? UInt32(tail.dropFirst(2), radix: 16) : UInt32(tail) else { return nil }
            offset = parsed
            name = String(trimmed[..<plus])
        }
        if let symbol = symbols.address(of: name) { return symbol &+ offset }
        if let section = sections.first(where: { $0.name == name }) { return section.address &+ offset }
        return nil
    }

    /// Resolves ADDR[:LEN]; without a length, a data symbol's size, else `defaultLength`.
    /// Nil when the address does not resolve or the length is not 1 … 1 MiB.
    public func range(for text: String, defaultLength: UInt32 = 1) -> Range<UInt32>? {
        var length = defaultLength
        var addressText = text.trimmingCharacters(in: .whitespaces)
        if let colon = addressText.lastIndex(of: ":") {
            let lengthText = addressText[addressText.index(after: colon)...].lowercased()
            guard let parsed = lengthText.hasPrefix("0x") ? UInt32(lengthText.dropFirst(2), radix: 16) : UInt32(lengthText),
                parsed > 0, parsed <= 1 << 20
            else { return nil }
            length = parsed
            addressText = String(addressText[..<colon])
        } else if let symbol = symbols.symbol(named: addressText), symbol.size > 0, symbol.kind == .object {
            length = symbol.size
        }
        // A Range<UInt32> cannot end at 2^32: the last byte of the address space is out of reach.
        guard let start = address(for: addressText), UInt64(start) + UInt64(length) < 1 << 32 else { return nil }
        return start..<UInt32(UInt64(start) + UInt64(length))
    }

    /// A raw image of `words` (little-endian) at `address`, starting there.
    public static func raw(words: [UInt32], at address: UInt32 = 0x8000_0000) -> Firmware {
        let bytes = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
        return Firmware(
            name: "raw", entry: address,
            segments: [Segment(address: address, bytes: bytes, memorySize: UInt32(bytes.count))])
    }

    /// Parses ELF file contents (for example the copy a recording embeds).
    public init(elfBytes: [UInt8], name: String) throws(LoadError) {
        do {
            self = try ELFFile.parse(elfBytes, name: name)
        } catch {
            throw LoadError("\(name): \(error.description)")
        }
    }

    /// Reads and parses an ELF file; errors say what is wrong in one line.
    public static func load(contentsOf path: String) throws(LoadError) -> Firmware {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError("\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw LoadError("\(path): is a directory, not an ELF file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError("\(path): cannot read the file (permission denied?)")
        }
        let name = (path as NSString).lastPathComponent
        do {
            return try ELFFile.parse([UInt8](data), name: name)
        } catch {
            throw LoadError("\(path): \(error.description)")
        }
    }
}
