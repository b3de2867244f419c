@preconcurrency import CDwarf
import Foundation

/// A place in the source: file, line and column (0 when the compiler gave none).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file as the line table names it (a path, as the compiler saw it).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, 0 when unknown.
    public var column: Int

    /// A location.
    public init(file: String, line: Int, column: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `sensorhub.c:57`: the file's last path component and the line, as gdb shows it.
    public var description: String { "\((file as NSString).lastPathComponent):\(line)" }
}

/// The line tables of a firmware's DWARF, read once through elfutils' libdw: pc → file:line
/// and file:line → the addresses to break at.
///
/// Rows are kept sorted by address; a pc belongs to the last row at or below it within the
/// same sequence (a sequence's end row covers nothing).
public struct SourceLines: Sendable {
    /// One row of a line table.
    public struct Row: Hashable, Sendable {
        public var address: UInt32
        public var location: SourceLocation
        /// The row starts a statement (gdb breaks only at these).
        public var isStatement: Bool
        /// The row ends a sequence: the address after its last instruction.
        public var endsSequence: Bool
    }

    /// Every row of every compilation unit, by address.
    public let rows: [Row]

    /// The rows in `dwarf`.
    init(dwarf: OpaquePointer) throws(DebugInfoError) {
        var rows: [Row] = []
        var offset: Dwarf_Off = 0
        var next: Dwarf_Off = 0
        var headerSize: Int = 0
        while dwarf_nextcu(dwarf, offset, &next, &headerSize, nil, nil, nil) == 0 {
            defer { offset = next }
            var unit = Dwarf_Die()
            guard dwarf_offdie(dwarf, offset + Dwarf_Off(headerSize), &unit) != nil else { continue }
            var lines: OpaquePointer?
            var count = 0
            guard dwarf_getsrclines(&unit, &lines, &count) == 0, let lines else { continue }
            guard count <= 10_000_000 else { throw .damaged("a line table has \(count) rows") }
            for index in 0..<count {
                guard let line = dwarf_onesrcline(lines, index) else { continue }
                var address: Dwarf_Addr = 0
                var number: Int32 = 0
                var column: Int32 = 0
                var isStatement = false
                var endsSequence = false
                guard dwarf_lineaddr(line, &address) == 0, dwarf_lineno(line, &number) == 0 else { continue }
                _ = dwarf_linecol(line, &column)
                _ = dwarf_linebeginstatement(line, &isStatement)
                _ = dwarf_lineendsequence(line, &endsSequence)
                guard address <= Dwarf_Addr(UInt32.max), let file = dwarf_linesrc(line, nil, nil) else { continue }
                rows.append(
                    Row(
                        address: UInt32(address), location: SourceLocation(file: String(cString: file), line: Int(number), column: Int(column)),
                        isStatement: isStatement, endsSequence: endsSequence))
            }
        }
        // Stable by address: rows of one address keep their table order (the last one wins).
        self.rows = rows.enumerated().sorted { ($0.element.address, $0.offset) < ($1.element.address, $1.offset) }.map(\.element)
    }

    /// The source location of the instruction at `pc`, or nil where no line table covers it.
    public func location(of pc: UInt32) -> SourceLocation? {
        // The last row at or below pc.
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].address <= pc { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        var index = low - 1
        // Several rows at one address: the last non-end row describes what starts there.
        while index > 0 && rows[index].endsSequence && rows[index - 1].address == rows[index].address { index -= 1 }
        let row = rows[index]
        return row.endsSequence ? nil : row.location
    }

    /// The addresses where `line` of the file whose path ends with `file` starts a statement,
    /// lowest first: where gdb's `break FILE:LINE` would stop (before the prologue's end
    /// refinement). Empty when no row matches.
    public func addresses(file: String, line: Int) -> [UInt32] {
        let matching = rows.filter { !$0.endsSequence && $0.isStatement && $0.location.line == line && Self.file($0.location.file, matches: file) }
        return Array(Set(matching.map(\.address))).sorted()
    }

    /// Whether the line table's `path` names `file` (`sensorhub.c`, `crash/sensorhub.c`, or the
    /// whole path).
    static func file(_ path: String, matches file: String) -> Bool {
        path == file || path.hasSuffix("/" + file)
    }
}
