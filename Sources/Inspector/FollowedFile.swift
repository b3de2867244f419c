import Recording

/// The live source of `timescope watch --follow`: a recording another process is writing. The
/// timeline grows as that process commits keyframes; the run itself is not steered from here.
public final class FollowedFile: LiveSource {
    public init() {}

    public func poll(_ timeline: Timeline) throws(RecordingError) -> LiveReport {
        try timeline.refresh()
        var report = LiveReport(headStep: timeline.totalSteps)
        switch timeline.writer {
        case .finished:
            let ending = timeline.summary.ending
            report.ended = "the recorder finished: \(ending.headline)"
            report.endedInCrash = ending.reason == .crashed
        case .stopped(let pid):
            report.ended = "the recorder (pid \(pid)) stopped without finishing; the recording ends at step \(timeline.totalSteps)"
            report.endedInCrash = true
        case .running, .unknown:
            break
        }
        return report
    }

    public func perform(_ command: LiveCommand) -> String? {
        switch command {
        case .type: "another process writes this recording: it takes no input from here"
        case .setPaused: "another process writes this recording: it cannot be paused from here"
        case .setPacing: "another process writes this recording: its pace is not set from here"
        }
    }
}
