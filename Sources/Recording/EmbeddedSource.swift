import Foundation
import Machine

/// A source file a recording holds, as it was when the recording was made, so that a
/// recording mailed to a colleague still shows its source. A recorder is given these
/// (`SourceCollection` reads them from disk); a reader gets them back through
/// `Timeline.embeddedSource(path:)`.
public struct EmbeddedSource: Sendable, Equatable {
    /// The path as the firmware's line tables name it: as the compiler saw it, usually
    /// absolute. It is the key a reader looks the file up by.
    public var path: String
    /// The file's bytes.
    public var contents: [UInt8]
    /// When the file was last modified before it was read.
    public var modified: Date

    /// A source file to embed (or one a recording held).
    public init(path: String, contents: [UInt8], modified: Date) {
        self.path = path
        self.contents = contents
        self.modified = modified
    }
}

/// An embedded source as the recording lists it, without its contents
/// (`Timeline.embeddedSources()`).
public struct EmbeddedSourceEntry: Sendable, Equatable {
    /// The path as the line tables name it. Compare it with paths from the line tables; show
    /// it through `UntrustedText.displayable` (it comes from the file).
    public var path: String
    /// The file's size in bytes.
    public var size: Int
    /// The bytes it takes in the recording (compressed).
    public var storedSize: Int
    /// When the file was last modified before the recorder read it.
    public var modified: Date
}

extension Date {
    /// Nanoseconds since 1970 as a recording stores a time (clamped to what an INT64 holds).
    var recordedNanoseconds: Int64 {
        let nanoseconds = (timeIntervalSince1970 * 1e9).rounded()
        guard nanoseconds.isFinite else { return 0 }
        return nanoseconds >= 9.2e18 ? Int64.max : nanoseconds <= -9.2e18 ? Int64.min : Int64(nanoseconds)
    }

    /// A time as a recording stores it: nanoseconds since 1970.
    init(recordedNanoseconds: Int64) {
        self.init(timeIntervalSince1970: Double(recordedNanoseconds) / 1e9)
    }
}
