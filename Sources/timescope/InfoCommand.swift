import ArgumentParser
import Foundation
import Machine
import Recording

/// `timescope info`: what a recording holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show what a recording holds: firmware, length, how it ended, markers, embedded sources.",
        discussion: "--json lists the embedded source files (path, bytes, storedBytes compressed)."
    )

    @Argument(
        help: ArgumentHelp("The recording (a path, or the name of a kept session).", valueName: "rec.tsr"))
    var recording: String
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        let timeline = try Timeline(path: SessionDirectory.recording(named: recording))
        let summary = timeline.summary
        let ending = summary.ending
        let sources = try timeline.embeddedSources()
        if json {
            var members: [(String, JSONValue)] = [
                ("firmware", .string(summary.header.firmwareName)),
                ("sha256", .string(summary.header.firmwareSHA256)),
                ("board", .string(summary.header.board.name)),
                ("misalignedAccess", .string(summary.header.board.misalignedAccess.rawValue)),
                ("totalSteps", .unsigned(ending.totalSteps)),
                ("endReason", .string(ending.reason.rawValue)),
            ]
            if let code = ending.exitCode { members.append(("exitCode", .integer(Int64(code)))) }
            members += [
                ("keyframes", .integer(Int64(summary.keyframeCount))),
                ("fileBytes", .unsigned(summary.fileBytes)),
                (
                    "markers",
                    .object(summary.markerCounts.map { ($0.kind.rawValue, .integer(Int64($0.count))) })
                ),
                (
                    "sources",
                    .array(
                        sources.map {
                            .object([
                                ("path", .string($0.path)), ("bytes", .integer(Int64($0.size))),
                                ("storedBytes", .integer(Int64($0.storedSize))),
                            ])
                        })
                ),
            ]
            print(JSONValue.object(members).text)
            return
        }
        print("firmware     \(summary.header.firmwareName)")
        print("sha256       \(summary.header.firmwareSHA256)")
        print(
            "board        \(summary.header.board.name), \(summary.header.board.ramSize >> 20) MiB RAM, misaligned accesses: \(summary.header.board.misalignedAccess.rawValue)"
        )
        print("steps        \(ending.totalSteps)")
        print("ended        \(ending.reason.rawValue)\(ending.detail.map { ": " + $0 } ?? "")")
        print("keyframes    \(summary.keyframeCount), every \(summary.header.keyframeInterval) steps")
        print("file         \(summary.fileBytes) bytes")
        print(
            "markers      "
                + (summary.markerCounts.isEmpty
                    ? "none" : summary.markerCounts.map { "\($0.kind) \($0.count)" }.joined(separator: ", ")))
        // The reader has checked every path: nothing in it needs escaping.
        let sourceBytes = sources.reduce(0) { $0 + $1.size }
        let storedBytes = sources.reduce(0) { $0 + $1.storedSize }
        print(
            "sources      "
                + (sources.isEmpty
                    ? "none"
                    : "\(sources.count) \(sources.count == 1 ? "file" : "files"), \(sourceBytes) bytes (\(storedBytes) compressed)")
        )
    }
}

/// `timescope verify`: replays a recording and checks every keyframe.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Re-execute a recording and compare every keyframe's state hash.")

    @Argument(
        help: ArgumentHelp("The recording (a path, or the name of a kept session).", valueName: "rec.tsr"))
    var recording: String

    func run() throws {
        let timeline = try Timeline(
            path: SessionDirectory.recording(named: recording), checksKeyframes: false)
        let progress = ProgressLine(label: "verifying", total: timeline.totalSteps)
        let result = try timeline.verify(progress: { progress.update($0) })
        progress.finish()
        if let mismatch = result.firstMismatch {
            FileHandle.standardError.write(
                Data(
                    "timescope: keyframe \(mismatch.keyframe) at step \(mismatch.step) differs: \(mismatch.reason)\n"
                        .utf8))
            throw ExitCode(1)
        }
        print(
            "ok: \(result.keyframesChecked) keyframes, \(timeline.totalSteps) steps replayed, every state hash matches"
        )
    }
}
