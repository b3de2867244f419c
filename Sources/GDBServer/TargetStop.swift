/// Where a resumption of the recording stopped and why, as a stop reply tells gdb.
public struct TargetStop: Equatable, Sendable {
    /// Why the target stopped.
    public enum Reason: Equatable, Sendable {
        /// A step ended (`s`, `bs`) without anything else to say.
        case stepped
        /// A breakpoint: pc is about to run its instruction.
        case breakpoint(StopPoint.Kind)
        /// A watchpoint: forward, the state right after the access; backward, the state right
        /// before it (pc at the accessing instruction).
        case watchpoint(StopPoint.Kind, address: UInt32)
        /// Going backward reached step 0.
        case historyBegin
        /// Going forward reached the end of the recording.
        case historyEnd
        /// gdb interrupted (Ctrl-C): stopped where the search had got to.
        case interrupted
    }

    /// The step the target is now at.
    public var step: UInt64
    /// Why.
    public var reason: Reason

    /// A stop at `step` for `reason`.
    public init(step: UInt64, reason: Reason) {
        self.step = step
        self.reason = reason
    }

    /// The stop reply packet's payload: `T05thread:1;swbreak:;`, `T05watch:80001034;`,
    /// `T05replaylog:begin;`, `T02thread:1;`.
    public var replyPayload: String {
        let signal = reason == .interrupted ? "T02" : "T05"
        var text = signal + "thread:1;"
        switch reason {
        case .stepped, .interrupted: break
        case .breakpoint(let kind): text += kind == .hardwareBreakpoint ? "hwbreak:;" : "swbreak:;"
        case .watchpoint(let kind, let address):
            let name =
                switch kind {
                case .readWatchpoint: "rwatch"
                case .accessWatchpoint: "awatch"
                default: "watch"
                }
            text += "\(name):\(String(address, radix: 16));"
        case .historyBegin: text += "replaylog:begin;"
        case .historyEnd: text += "replaylog:end;"
        }
        return text
    }
}
