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

/// The 64-byte lines of one RAM page that a stretch of steps wrote: bit i of `lines` is line i.
public struct PageDelta: Hashable, Sendable {
    /// The page's index in RAM (4 KiB pages from the start of RAM).
    public var page: Int
    /// One bit per 64-byte line written.
    public var lines: UInt64

    /// A page's written lines.
    public init(page: Int, lines: UInt64) {
        self.page = page
        self.lines = lines
    }
}
