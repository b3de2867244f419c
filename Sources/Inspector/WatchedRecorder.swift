import Recording

/// The live source of `timescope watch`: a `LiveRecorder` in this process. The timeline reads
/// the committed keyframes from the file and takes the rest (up to the live head) from the
/// recorder's tail.
///
/// The head it reports is the newest step the inspector reaches with at most
/// `followedReplaySteps` of replay (`Timeline.step(reachableReplaying:)`): at full speed the
/// run moves tens of millions of steps a frame, and replaying them all to show the exact head
/// would cost the inspector as much CPU as the run itself. Where the run goes slower (paced,
/// waiting, paused) the report is the exact head.
public final class WatchedRecorder: LiveSource {
    /// The live recorder whose run is shown.
    public let recorder: LiveRecorder
    /// Steps a frame replays at most to follow the head (about a millisecond).
    static let followedReplaySteps: UInt64 = 1_000_000
    /// The head reported last: the next is never earlier.
    private var reportedHead: UInt64 = 0

    /// A source for `recorder`'s run.
    public init(_ recorder: LiveRecorder) {
        self.recorder = recorder
    }

    /// Reads where the run is now and lets `timeline` reach the live head.
    public func poll(_ timeline: Timeline) throws(RecordingError) -> LiveReport {
        var status = recorder.status
        if status.ending != nil {
            try timeline.refresh()
        } else if try !timeline.extend(with: status.tail) {
            // A keyframe was committed between the two reads: ask again.
            status = recorder.status
            _ = try timeline.extend(with: status.tail)
        }
        let head =
            status.ending == nil
            ? timeline.step(reachableReplaying: Self.followedReplaySteps) : timeline.totalSteps
        reportedHead = max(reportedHead, min(head, timeline.totalSteps))
        var report = LiveReport(headStep: reportedHead)
        report.isPaused = status.isPaused
        report.isWaitingForInput = status.isWaitingForInput
        report.pacing = status.pacing
        report.stepsPerSecond = status.stepsPerSecond
        if let failure = status.failure {
            report.ended = failure
            report.endedInCrash = true
        } else if status.ending != nil {
            let ending = timeline.summary.ending
            report.ended = ending.headline
            report.endedInCrash = ending.reason == .crashed
        }
        return report
    }

    /// Carries out a live key (pause, pacing, typed input); returns a message to show, if any.
    public func perform(_ command: LiveCommand) -> String? {
        if recorder.status.ending != nil { return "the run has ended; the recording is complete" }
        switch command {
        case .type(let bytes): recorder.type(bytes)
        case .setPaused(let paused): recorder.setPaused(paused)
        case .setPacing(let pacing): recorder.setPacing(pacing)
        }
        return nil
    }
}
