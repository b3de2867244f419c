@preconcurrency import CDwarf
import Foundation

/// A place in the source: file, line and column (0 when the compiler gave none).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file as the line table names it (a path, as the compiler saw it).
    public var file: String
    /// 1-based line.
    public var line: Int

    /// A location.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `sensorhub.c:57`: the file's last path component and the line, as gdb shows it.
    public var description: String { "\((file as NSString).lastPathComponent):\(line)" }
}

/// One row of a line table as it applies to a pc.
public struct LineRow: Sendable, Equatable {
    /// The file and line.
    public var location: SourceLocation
    /// The addresses the row covers.
    public var range: Range<UInt32>
    /// Whether a statement of the line starts exactly at the pc asked about.
    public var isStatementStart: Bool
    /// The column the row names (1-based; 0 when the compiler gave none).
    public var column: Int = 0
}

/// The line tables of a firmware's DWARF, read through elfutils' libdw and arranged as gdb
/// arranges them, so that pc → file:line and file:line → address agree with gdb.
///
/// gdb keeps one table per source file of a compilation unit and builds it from the line
/// program with a few rules of its own (dwarf2/read.c, buildsym.c): a switch to another file
/// ends the previous file's table at that address (an end marker that also drops that
/// file's entries at the same address); a non-statement row at the address of a file switch
/// is ignored; a repeated line with a non-zero discriminator is not recorded again. A pc
/// belongs to the closest entry at or below it in any of the unit's tables (the first table
/// wins a tie: the primary file, then the others in reverse file-table order), preferring a
/// statement entry at the same address.
public struct SourceLines: Sendable {
    /// One entry of a file's table; line 0 ends a range.
    struct Entry: Hashable, Sendable {
        var address: UInt32
        var line: Int
        var isStatement: Bool
        /// 1-based column, 0 when the compiler gave none.
        var column: Int = 0
    }

    /// A file's table within a compilation unit, sorted by address (end markers first at an
    /// address).
    struct FileTable: Sendable {
        var path: String
        var entries: [Entry]
    }

    /// A compilation unit's tables in gdb's lookup order, and the addresses they cover.
    struct Unit: Sendable {
        var tables: [FileTable]
        var low: UInt32
        var high: UInt32
        /// The unit's compilation directory (DW_AT_comp_dir), which relative paths start from.
        var directory: String = ""
    }

    let units: [Unit]

    /// The path of `file` (as the line tables name it) on the machine that compiled it: joined
    /// to its unit's compilation directory when it is relative.
    public func fullPath(of file: String) -> String {
        guard !file.hasPrefix("/") else { return file }
        for unit in units where unit.tables.contains(where: { $0.path == file }) && !unit.directory.isEmpty {
            return (unit.directory as NSString).appendingPathComponent(file)
        }
        return file
    }

    /// Every source file the line tables name, sorted (paths as the compiler saw them; see
    /// `fullPath(of:)`).
    public var sourceFiles: [String] {
        Set(units.flatMap { $0.tables.map(\.path) }).sorted()
    }

    /// The tables of `dwarf`.
    init(dwarf: OpaquePointer) throws(DebugInfoError) {
        var units: [Unit] = []
        for die in DIE.units(of: dwarf) {
            var die = die
            if let unit = try Self.unit(&die) { units.append(unit) }
        }
        self.units = units
    }

    /// Runs gdb's line-program state machine over one unit's rows.
    private static func unit(_ die: inout Dwarf_Die) throws(DebugInfoError) -> Unit? {
        var lines: OpaquePointer?
        var count = 0
        guard dwarf_getsrclines(&die, &lines, &count) == 0, let lines, count > 0 else { return nil }
        guard count <= 10_000_000 else { throw .damaged("a line table has \(count) rows") }
        // The file table's order decides gdb's lookup order of the unit's files.
        var files: OpaquePointer?
        var fileCount = 0
        var fileOrder: [String] = []
        if dwarf_getsrcfiles(&die, &files, &fileCount) == 0, let files {
            for index in 0..<min(fileCount, 100_000) {
                if let name = dwarf_filesrc(files, index, nil, nil) {
                    fileOrder.append(String(cString: name))
                }
            }
        }
        // Each file's entries, appended in place (one array per file, found by name).
        var fileIndex: [String: Int] = [:]
        var fileEntries: [[Entry]] = []
        func record(_ path: String, line: Int, address: UInt32, isStatement: Bool, column: Int = 0) {
            let table: Int
            if let known = fileIndex[path] {
                table = known
            } else {
                table = fileEntries.count
                fileIndex[path] = table
                fileEntries.append([])
            }
            if line == 0 {
                // An end marker drops the entries at its own address; one that ends nothing
                // is not kept.
                var lastLine: Int?
                while let last = fileEntries[table].last {
                    lastLine = last.line
                    if last.address != address { break }
                    fileEntries[table].removeLast()
                }
                guard let lastLine, lastLine != 0 else { return }
            }
            fileEntries[table].append(
                Entry(address: address, line: line, isStatement: isStatement, column: column))
        }
        // libdw hands out one string per file: its name is made once.
        var names: [UnsafePointer<CChar>: String] = [:]
        var lastFile: String?
        var lastLine = 0
        var lastAddress: UInt32?
        var lineHasNonZeroDiscriminator = false
        var low = UInt32.max
        var high: UInt32 = 0
        for index in 0..<count {
            guard let row = dwarf_onesrcline(lines, index) else { continue }
            var address: Dwarf_Addr = 0
            var number: Int32 = 0
            var isStatement = false
            var endsSequence = false
            var discriminator: UInt32 = 0
            guard dwarf_lineaddr(row, &address) == 0, address <= Dwarf_Addr(UInt32.max),
                dwarf_lineno(row, &number) == 0,
                let source = dwarf_linesrc(row, nil, nil)
            else { continue }
            _ = dwarf_linebeginstatement(row, &isStatement)
            _ = dwarf_lineendsequence(row, &endsSequence)
            _ = dwarf_linediscriminator(row, &discriminator)
            var column: Int32 = 0
            _ = dwarf_linecol(row, &column)
            let file: String
            if let known = names[source] {
                file = known
            } else {
                file = String(cString: source)
                names[source] = file
            }
            let pc = UInt32(address)
            let line = Int(number)
            low = min(low, pc)
            high = max(high, pc)
            if line != lastLine || file != lastFile { lineHasNonZeroDiscriminator = false }
            lineHasNonZeroDiscriminator = lineHasNonZeroDiscriminator || discriminator != 0
            let fileChanged = file != lastFile
            let ignored =
                (fileChanged && !endsSequence && lastAddress == pc && !isStatement)
                || (!endsSequence && line == 0)
            if (fileChanged && !ignored) || endsSequence, let lastFile {
                record(lastFile, line: 0, address: pc, isStatement: true)
            }
            if !endsSequence && !ignored {
                if fileChanged || line != lastLine || !lineHasNonZeroDiscriminator {
                    record(
                        file, line: line, address: pc, isStatement: isStatement, column: Int(max(0, column)))
                }
                lastFile = file
                lastLine = line
            }
            lastAddress = pc
            if endsSequence {
                // A new sequence starts with a fresh state machine.
                lastFile = nil
                lastLine = 0
                lastAddress = nil
            }
        }
        // gdb's order: the unit's own file first, then the rest in reverse file-table order.
        let primary = dwarf_diename(&die).map { String(cString: $0) } ?? ""
        let tables = fileIndex.mapValues { fileEntries[$0] }
        var order = fileOrder.reversed().filter { tables[$0] != nil }
        if let index = order.firstIndex(where: { SourceLines.file($0, matches: primary) || $0 == primary }) {
            order.insert(order.remove(at: index), at: 0)
        }
        for path in tables.keys.sorted() where !order.contains(path) { order.append(path) }
        let sorted = order.compactMap { path -> FileTable? in
            guard let entries = tables[path] else { return nil }
            // Stable by address, end markers first at an address.
            let ordered = entries.enumerated().sorted { left, right in
                if left.element.address != right.element.address {
                    return left.element.address < right.element.address
                }
                if (left.element.line == 0) != (right.element.line == 0) { return left.element.line == 0 }
                return left.offset < right.offset
            }
            return FileTable(path: path, entries: ordered.map(\.element))
        }
        var directory = ""
        var attribute = Dwarf_Attribute()
        if dwarf_attr(&die, UInt32(DW_AT_comp_dir), &attribute) != nil,
            let text = dwarf_formstring(&attribute)
        {
            directory = String(cString: text)
        }
        return Unit(tables: sorted, low: low, high: high, directory: directory)
    }

    /// The source location of the instruction at `pc`, or nil where no line table covers it.
    public func location(of pc: UInt32) -> SourceLocation? { row(at: pc)?.location }

    /// The line-table row that holds `pc`: its location, the addresses it covers (up to the
    /// next row of any of the unit's files, as gdb's `find_pc_line` bounds it) and whether a
    /// statement starts exactly at `pc`.
    public func row(at pc: UInt32) -> LineRow? {
        for unit in units where unit.low <= pc && pc <= unit.high {
            var best: (table: FileTable, index: Int)?
            var end = unit.high
            for table in unit.tables {
                // The last entry at or below pc.
                var low = 0
                var high = table.entries.count
                while low < high {
                    let middle = (low + high) / 2
                    if table.entries[middle].address <= pc { low = middle + 1 } else { high = middle }
                }
                if low < table.entries.count { end = min(end, table.entries[low].address) }
                guard low > 0 else { continue }
                var index = low - 1
                guard table.entries[index].line != 0 else { continue }
                if let best, table.entries[index].address <= best.table.entries[best.index].address {
                    continue
                }
                // A statement entry at the same address is preferred.
                var probe = index
                while !table.entries[probe].isStatement && probe > 0
                    && table.entries[probe - 1].address == table.entries[probe].address
                    && table.entries[probe - 1].line != 0
                {
                    probe -= 1
                }
                if table.entries[probe].isStatement { index = probe }
                best = (table, index)
            }
            guard let best else { continue }
            let entry = best.table.entries[best.index]
            return LineRow(
                location: SourceLocation(file: best.table.path, line: entry.line),
                range: entry.address..<max(end, entry.address + 1),
                isStatementStart: entry.address == pc && entry.isStatement, column: entry.column)
        }
        return nil
    }

    /// The addresses where `line` of the file whose path ends with `file` starts a statement,
    /// lowest first (gdb's `info line FILE:LINE` names the first). A line with no statement of
    /// its own (a blank line, a brace) means the next line that has one, as in gdb. Empty when
    /// no later line of the file has code.
    public func addresses(file: String, line: Int) -> [UInt32] {
        var statements: [Int: Set<UInt32>] = [:]
        for unit in units {
            for table in unit.tables where Self.file(table.path, matches: file) {
                for entry in table.entries where entry.line >= line && entry.isStatement {
                    statements[entry.line, default: []].insert(entry.address)
                }
            }
        }
        guard let nearest = statements.keys.min() else { return [] }
        return statements[nearest, default: []].sorted()
    }

    /// Whether the line table's `path` names `file` (`sensorhub.c`, `crash/sensorhub.c`, or the
    /// whole path).
    static func file(_ path: String, matches file: String) -> Bool {
        path == file || path.hasSuffix("/" + file)
    }
}
