import Machine

/// Console output and the step that wrote each byte: how a recording stores the console.
public struct ConsoleChunk: Equatable, Sendable {
    /// The step of each byte, in order (as many as `bytes`).
    public var steps: [UInt64]
    /// The bytes the firmware wrote.
    public var bytes: [UInt8]

    /// A chunk of output.
    public init(steps: [UInt64], bytes: [UInt8]) {
        self.steps = steps
        self.bytes = bytes
    }

    /// The step of the first byte.
    public var firstStep: UInt64 { steps.first ?? 0 }
}

/// A page as a keyframe stores it: which lines were written, and its compressed bytes.
struct StoredPage {
    var delta: PageDelta
    var data: [UInt8]
    var page: Int { delta.page }
    var lines: UInt64 { delta.lines }
}
