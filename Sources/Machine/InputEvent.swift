/// A byte for the UART receiver and the step after which it is delivered (the state at
/// `step + 1` is the first to hold it): the unit of a recording's input log.
public struct InputEvent: Hashable, Sendable {
    /// The step after which the byte enters the receiver.
    public var step: UInt64
    /// The byte.
    public var byte: UInt8

    /// An input event.
    public init(step: UInt64, byte: UInt8) {
        self.step = step
        self.byte = byte
    }
}

/// What of one RAM page a stretch of steps wrote: its 64-byte lines (bit i of `lines` is line
/// i) and, finer, its 8-byte granules (bit j of `granules[k]` is granule 64k + j, the bytes
/// 512k + 8j … +7 of the page).
public struct PageDelta: Hashable, Sendable {
    /// The page's index in RAM (4 KiB pages from the start of RAM).
    public var page: Int
    /// One bit per 64-byte line written.
    public var lines: UInt64
    /// One bit per 8-byte granule written; a line's bit is set exactly when one of its eight
    /// granules' is.
    public var granules: SIMD8<UInt64>

    /// A page's written lines and granules.
    public init(page: Int, lines: UInt64, granules: SIMD8<UInt64>) {
        self.page = page
        self.lines = lines
        self.granules = granules
    }

    /// A page's written lines, with every granule of each (what a recording made before
    /// Timescope kept granules can say).
    public init(page: Int, lines: UInt64) {
        self.init(page: page, lines: lines, granules: PageDelta.granules(ofLines: lines))
    }

    /// Every granule of the lines in `lines`.
    public static func granules(ofLines lines: UInt64) -> SIMD8<UInt64> {
        var granules = SIMD8<UInt64>(repeating: 0)
        for lane in 0..<8 {
            for line in 0..<8 where lines & (1 << UInt64(lane * 8 + line)) != 0 {
                granules[lane] |= 0xFF << UInt64(line * 8)
            }
        }
        return granules
    }

    /// The lines that hold a granule of `granules`.
    public static func lines(ofGranules granules: SIMD8<UInt64>) -> UInt64 {
        var lines: UInt64 = 0
        for lane in 0..<8 {
            for line in 0..<8 where (granules[lane] >> UInt64(line * 8)) & 0xFF != 0 {
                lines |= 1 << UInt64(lane * 8 + line)
            }
        }
        return lines
    }

    /// Whether a granule of the page that overlaps the bytes `range` (offsets in the page,
    /// clamped to it) was written.
    public func wroteGranule(in range: Range<Int>) -> Bool {
        let low = max(0, range.lowerBound)
        let high = min(Machine.pageSize, range.upperBound)
        guard low < high else { return false }
        for granule in (low >> 3)...((high - 1) >> 3)
        where granules[granule >> 6] & (1 << UInt64(granule & 63)) != 0 {
            return true
        }
        return false
    }
}
