import Foundation
import Recording

/// gdb's `monitor` commands on a recording (`qRcmd`): where in time the target is, and travel
/// to any step.
///
/// ```
/// (gdb) monitor when        → step 684 of 5512345 (0.0124%)
/// (gdb) monitor seek 50%    → step 2756172 of 5512345 (50%)
/// ```
/// After `seek`, gdb still holds the registers of the old step: `maintenance flush
/// register-cache` (which `timescope gdb` runs after every `monitor`) makes it read them again.
public enum MonitorCommand {
    /// What `monitor help` prints.
    public static let help = """
        monitor when           the current step, as rr's `when`
        monitor seek WHEN      travel to WHEN: a step, start, end or P%, each ± N steps (end-100, 50%+10);
                               +N / -N count from the current step; then `maintenance flush register-cache`
        monitor info           the recording: firmware, steps, how the run ended
        monitor help           this list

        """

    /// Runs `command` on `target` and returns what gdb prints.
    public static func run(_ command: String, on target: ReplayTarget) -> String {
        let words = command.split(whereSeparator: \.isWhitespace)
        let timeline = target.timeline
        switch words.first {
        case "when": return position(of: target)
        case "seek":
            guard words.count == 2 else {
                return "usage: monitor seek WHEN (a step, start, end or P%, ± N)\n"
            }
            do {
                let step = try timeline.step(for: String(words[1]), relativeTo: target.step)
                try target.move(to: step)
                return position(of: target)
            } catch {
                return "cannot seek: \(error)\n"
            }
        case "info":
            let summary = timeline.summary
            return """
                recording \(timeline.path)
                firmware  \(summary.header.firmwareName)
                steps     \(timeline.totalSteps) (\(summary.ending.headline))
                keyframes \(summary.keyframeCount), every \(summary.header.keyframeInterval) steps
                \(position(of: target))
                """
        case "help", nil: return help
        default: return "unknown monitor command `\(command)`; `monitor help` lists them\n"
        }
    }

    /// `step N of TOTAL (P%)`.
    static func position(of target: ReplayTarget) -> String {
        let total = target.timeline.totalSteps
        let percent = total == 0 ? 100 : Double(target.step) / Double(total) * 100
        return "step \(target.step) of \(total) (\(String(format: "%.4g", percent))%)\n"
    }
}
