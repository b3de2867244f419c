import Machine

/// The outcome of `Timeline.verify`.
public struct VerificationResult: Sendable {
    /// A keyframe whose replayed state differs from the recorded one.
    public struct Mismatch: Sendable {
        /// The keyframe whose hash differed.
        public var keyframe: Int
        /// Its step.
        public var step: UInt64
        /// What differs, in one line.
        public var reason: String
    }
    /// Keyframes compared before the first mismatch (or all of them).
    public var keyframesChecked: Int
    /// The first keyframe whose replayed state differs, if any.
    public var firstMismatch: Mismatch?
}

extension Timeline {
    /// Replays the whole recording from step 0 in one pass and compares the state hash at
    /// every keyframe with the recorded one. The embedded sources are decompressed and
    /// checked first: a damaged one throws (`.damaged`).
    public func verify(progress: (UInt64) -> Void = { _ in }) throws(RecordingError) -> VerificationResult {
        try checkEmbeddedSources()
        try restore(keyframe: 0, force: true)
        if machine.stateHash != keyframes[0].stateHash {
            return VerificationResult(
                keyframesChecked: 1,
                firstMismatch: .init(
                    keyframe: 0, step: 0,
                    reason:
                        "recorded state hash \(MachineState.hashText(keyframes[0].stateHash)), the loaded firmware gives \(MachineState.hashText(machine.stateHash))"
                ))
        }
        for index in 1..<keyframes.count {
            let target = keyframes[index].step
            while machine.step < target {
                let reason = advance(to: min(target, machine.step + 1_000_000))
                progress(machine.step)
                if reason != .stepLimit { break }  // ended before the keyframe: reported below
            }
            if machine.step != target {
                return VerificationResult(
                    keyframesChecked: index + 1,
                    firstMismatch: .init(
                        keyframe: index, step: target,
                        reason: "the replay ends at step \(machine.step), before the keyframe"))
            }
            let hash = machine.stateHash
            if hash != keyframes[index].stateHash {
                return VerificationResult(
                    keyframesChecked: index + 1,
                    firstMismatch: .init(
                        keyframe: index, step: target,
                        reason:
                            "recorded state hash \(MachineState.hashText(keyframes[index].stateHash)), replay gives \(MachineState.hashText(hash))"
                    ))
            }
            // What a seek would restore must be what the replay produced: the stored state and
            // the stored pages, not only the hash.
            var differences: [String] = []
            if try machineState(keyframe: index) != machine.state {
                differences.append("stored CPU and device state")
            }
            for entry in keyframePages[index]
            where try pageData(entry.page, atOrBefore: index) != machine.page(entry.page) {
                differences.append("page \(hex(machine.ramBase &+ UInt32(entry.page) * 4096))")
            }
            if !differences.isEmpty {
                return VerificationResult(
                    keyframesChecked: index + 1,
                    firstMismatch: .init(
                        keyframe: index, step: target,
                        reason: "the recording's " + differences.prefix(3).joined(separator: ", ")
                            + " differ from the replay"))
            }
        }
        return VerificationResult(keyframesChecked: keyframes.count, firstMismatch: nil)
    }
}
