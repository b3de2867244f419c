import Recording

/// Where a live view's new steps come from: a recorder in this process (`timescope watch`) or
/// a file another process is writing (`watch --follow`). The session polls it once a frame.
public protocol LiveSource: AnyObject {
    /// Brings `timeline` up to the newest state the source can reach and says how the run goes.
    func poll(_ timeline: Timeline) throws(RecordingError) -> LiveReport
    /// Obeys the user; returns nil when done, else a line saying why it cannot.
    func perform(_ command: LiveCommand) -> String?
}

/// How a live run is going, as the inspector shows it.
public struct LiveReport: Equatable, Sendable {
    /// The newest step the timeline can show.
    public var headStep: UInt64
    /// Whether the run is paused.
    public var isPaused = false
    /// The firmware sleeps in WFI until input arrives.
    public var isWaitingForInput = false
    /// The pacing, when this inspector controls the run (nil when following a file).
    public var pacing: LivePacing?
    /// How fast the run goes, measured.
    public var stepsPerSecond: Double = 0
    /// Set once the run is over: how it ended, in one line.
    public var ended: String?
    /// Whether the run ended in a crash.
    public var endedInCrash = false

    /// A report of a run whose head is at `headStep`.
    public init(headStep: UInt64) {
        self.headStep = headStep
    }
}

/// What the user asks of a live run.
public enum LiveCommand: Equatable, Sendable {
    /// Bytes for the firmware's UART receiver.
    case type([UInt8])
    case setPaused(Bool)
    case setPacing(LivePacing)
}
