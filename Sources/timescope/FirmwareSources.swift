import ArgumentParser
import DebugInfo
import Foundation
import Machine
import Recording

/// What `record` and `watch` embed beside the firmware: the source files its DWARF line
/// tables name that are readable regular files now, within `RecordingLimits`' bounds (4 MiB
/// a file, 32 MiB in all), and the ELF file's modification time, against which `view` judges
/// a source on disk. A firmware without debug information, or whose DWARF does not read,
/// embeds nothing and records as before.
struct FirmwareSources {
    /// When the ELF file was last modified (nil when it cannot be read again).
    var firmwareModified: Date?
    /// The files read, and those left out.
    var collection: SourceCollection

    /// Reads the sources of `firmware`, loaded from `path` (none with `--no-sources`).
    init(firmware: Firmware, path: String, options: RecordingOptions) {
        firmwareModified = try? RegularFile.read(atPath: path, upTo: 0, expecting: "an ELF file").modified
        guard !options.noSources, let lines = (try? DebugInfo(elf: firmware.fileBytes))?.lines else {
            collection = SourceCollection(reading: [String]())
            return
        }
        collection = SourceCollection(
            reading: lines.sourceFiles.map {
                SourceCollection.Candidate(name: $0, path: lines.fullPath(of: $0))
            })
    }

    /// The sentence `record --help` and `watch --help` say it in.
    static let help =
        "The recording embeds, compressed, the source files the firmware's debug information names that can be read when it starts (each at most \(RecordingLimits.maximumSourceFileBytes >> 20) MiB, \(RecordingLimits.maximumSourceBytes >> 20) MiB in all), so that `view` shows the source wherever the recording goes; `info` lists them. Only files named like source (.c, .h, .S, .cpp, .rs, …) are read: a firmware's debug information could name any file. --no-sources embeds none."
}

/// What `record` and `watch` both take about the recording they write: `--keyframe-interval`
/// and `--no-sources`.
struct RecordingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Steps between keyframes (default \(Recorder.defaultKeyframeInterval), \(RecordingLimits.minimumKeyframeInterval) … \(RecordingLimits.maximumKeyframeInterval)).",
            valueName: "n"), transform: KeyframeInterval.init(parsing:))
    var keyframeInterval: KeyframeInterval = .standard

    @Flag(
        name: .customLong("no-sources"),
        help: "Embed no source files (the recording then shows the files on disk, where they exist).")
    var noSources = false
}
