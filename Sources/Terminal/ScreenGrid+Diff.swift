import Screen

/// A run of cells on one row, the unit `TerminalScreen` redraws.
struct GridSpan: Equatable {
    var row: Int
    var columns: Range<Int>
}

extension ScreenGrid {
    /// The runs of cells that differ from `previous`, row by row, left to right; every cell
    /// (one span per row) when there is no previous grid or its size differs. O(width × height).
    func changedSpans(since previous: ScreenGrid?) -> [GridSpan] {
        guard let previous, previous.width == width, previous.height == height else {
            return width == 0 ? [] : (0..<height).map { GridSpan(row: $0, columns: 0..<width) }
        }
        var spans: [GridSpan] = []
        cells.withUnsafeBufferPointer { new in
            previous.cells.withUnsafeBufferPointer { old in
                for row in 0..<height {
                    let base = row * width
                    var column = 0
                    while column < width {
                        guard new[base + column] != old[base + column] else {
                            column += 1
                            continue
                        }
                        let start = column
                        while column < width && new[base + column] != old[base + column] { column += 1 }
                        spans.append(GridSpan(row: row, columns: start..<column))
                    }
                }
            }
        }
        return spans
    }
}
