/// The statements of a source file: which lines have code, and where each starts.
extension SourceLines {
    /// The addresses where a statement of the file whose path ends with `file` starts (as
    /// `addresses(file:line:)` matches it), each with its line, lowest address first: what
    /// a "which lines ran" question sets breakpoints on.
    public func statements(inFile file: String) -> [(address: UInt32, line: Int)] {
        var statements: Set<Statement> = []
        for unit in units {
            for table in unit.tables where Self.file(table.path, matches: file) {
                for entry in table.entries where entry.line != 0 && entry.isStatement {
                    statements.insert(Statement(address: entry.address, line: entry.line))
                }
            }
        }
        return statements.sorted { ($0.address, $0.line) < ($1.address, $1.line) }.map {
            ($0.address, $0.line)
        }
    }

    private struct Statement: Hashable {
        var address: UInt32
        var line: Int
    }
}
