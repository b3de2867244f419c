/// Why a recording cannot be written, opened or read; the text says what to do.
public enum RecordingError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file is not a recording, or not one this version reads.
    case notARecording(String)
    /// The file is not a recording yet: missing, empty, without a schema or without a first
    /// keyframe, as a file a recorder is creating can be for a moment (`watch --follow` waits
    /// for it). The text is the whole message.
    case incomplete(String)
    /// The file is a recording but some part of it is invalid.
    case damaged(String)
    /// The file cannot be read or written.
    case io(String)
    /// A query that makes no sense for this recording (a step beyond its end, a bad address).
    case invalidRequest(String)

    /// The text without the prefix its case adds ("the recording is damaged: "), to say it
    /// inside another message.
    public var reason: String {
        switch self {
        case .notARecording(let text), .incomplete(let text), .damaged(let text), .io(let text),
            .invalidRequest(let text):
            text
        }
    }

    /// The one-line message a person sees.
    public var description: String {
        switch self {
        case .notARecording(let text): "not a Timescope recording: \(text)"
        case .incomplete(let text): text
        case .damaged(let text): "the recording is damaged: \(text)"
        case .io(let text): text
        case .invalidRequest(let text): text
        }
    }
}
