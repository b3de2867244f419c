import Recording

/// The live source of `timescope watch --follow`: a recording another process is writing. The
/// timeline grows as that process commits keyframes; the run itself is not steered from here.
public final class FollowedFile: LiveSource {
    /// A source for a recording another process writes.
    public init() {}

    /// Reads what the other process has committed since the last poll.
    public func poll(_ timeline: Timeline) throws(RecordingError) -> LiveReport {
        try timeline.refresh()
        var report = LiveReport(headStep: timeline.totalSteps)
        switch timeline.writer {
        case .finished:
            let ending = timeline.summary.ending
            report.ended = "the recorder finished: \(ending.headline)"
            report.endedInCrash = ending.reason == .crashed
        case .stopped(let pid):
            report.ended =
                "the recorder (pid \(pid)) stopped without finishing; the recording ends at step \(timeline.totalSteps)"
            report.endedInCrash = true
        case .running, .unknown:
            break
        }
        return report
    }

    /// Live keys that steer a run do nothing here (another process runs it); says so.
    public func perform(_ command: LiveCommand) -> String? {
        switch command {
        case .type: "another process writes this recording: it takes no input from here"
        case .setPaused: "another process writes this recording: it cannot be paused from here"
        case .setPacing: "another process writes this recording: its pace is not set from here"
        }
    }
}
