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
        /// The section name (`.text`, `.data`).
        public var name: String
        /// Its first address.
        public var address: UInt32
        /// Its size in bytes.
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

    /// The address `text` stands for (an `AddressExpression`: hex with or without `0x`, a
    /// symbol, a section, a register in `state`, with `+`/`-` offsets), or nil when it does not
    /// parse or resolve. `AddressExpression` itself says why.
    public func address(for text: String, at state: MachineState? = nil) -> UInt32? {
        try? AddressExpression(parsing: text).address(in: self, state: state)
    }

    /// The range `text` (ADDR[:LEN]) stands for: without a length, a data symbol's size, else
    /// `defaultLength`. Nil when it does not parse or resolve, or the length is not 1 … 1 MiB.
    public func range(for text: String, defaultLength: UInt32 = 1, at state: MachineState? = nil) -> Range<
        UInt32
    >? {
        try? AddressExpression(parsing: text, allowsLength: true).range(
            in: self, state: state, defaultLength: defaultLength)
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

    /// The largest ELF file Timescope loads: 64 MiB. Firmware for a board with at most 2 GiB of
    /// RAM is far smaller (even with its debug information), and a recording embeds the file,
    /// so this is also the largest value a recording holds.
    public static let maximumFileSize = 64 << 20

    /// Reads and parses an ELF file; errors say what is wrong in one line. Only a regular file
    /// of at most `maximumFileSize` bytes is read: a FIFO, a device or a directory is refused
    /// without being opened.
    public static func load(contentsOf path: String) throws(LoadError) -> Firmware {
        let file = try RegularFile.read(atPath: path, upTo: maximumFileSize + 1, expecting: "an ELF file")
        guard file.size <= UInt64(maximumFileSize) else {
            throw LoadError(
                "\(path) is \(file.size) bytes; Timescope loads ELF files of at most \(maximumFileSize >> 20) MiB"
            )
        }
        let name = (path as NSString).lastPathComponent
        do {
            return try ELFFile.parse(file.bytes, name: name)
        } catch {
            throw LoadError("\(path): \(error.description)")
        }
    }
}

/// Reading a file named on the command line (firmware, a recording) only when it is a regular
/// file: opening a FIFO blocks until something writes to it, a device such as `/dev/zero`
/// never ends, and a directory has no bytes to read. The type is checked before the file is
/// opened (so that no device is ever opened) and again on the open descriptor (so that a file
/// swapped in between is caught).
public enum RegularFile {
    /// The first bytes of a regular file, and its size and modification time when it was
    /// opened.
    public struct Contents: Sendable {
        /// At most the requested number of bytes from the start of the file.
        public var bytes: [UInt8]
        /// The file's size in bytes.
        public var size: UInt64
        /// When the file was last modified.
        public var modified: Date
    }

    /// Reads up to `limit` bytes from the start of the regular file at `path` (a symbolic link
    /// counts as its target). Errors are one line naming `path` and what it is instead of
    /// `expected` (e.g. "an ELF file").
    public static func read(atPath path: String, upTo limit: Int, expecting expected: String)
        throws(LoadError) -> Contents
    {
        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(path, errno) }
        try checkType(info, path: path, expected: expected)
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(path, errno) }
        defer { close(descriptor) }
        var opened = stat()
        guard fstat(descriptor, &opened) == 0 else { throw failure(path, errno) }
        try checkType(opened, path: path, expected: expected)
        let size = UInt64(max(0, opened.st_size))
        var bytes = [UInt8](repeating: 0, count: Int(min(UInt64(limit), size)))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer in
                buffer.baseAddress.map { Foundation.read(descriptor, $0 + filled, buffer.count - filled) }
                    ?? 0
            }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure(path, errno) }
            if count == 0 { break }  // shorter than it was a moment ago
            filled += count
        }
        bytes.removeSubrange(filled...)
        return Contents(bytes: bytes, size: size, modified: modificationDate(opened))
    }

    private static func modificationDate(_ info: stat) -> Date {
        #if canImport(Darwin)
            let time = info.st_mtimespec
        #else
            let time = info.st_mtim
        #endif
        return Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
    }

    private static func checkType(_ info: stat, path: String, expected: String) throws(LoadError) {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw LoadError("\(path) is a directory, not \(expected)")
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        throw LoadError("\(path) is \(kind), not a regular file: it cannot be \(expected)")
    }

    private static func failure(_ path: String, _ code: Int32) -> LoadError {
        switch code {
        case ENOENT, ENOTDIR: LoadError("\(path): no such file")
        case EACCES, EPERM: LoadError("\(path): permission denied")
        default: LoadError("\(path): \(String(cString: strerror(code)))")
        }
    }
}
