import DebugInfo
import Foundation
import Machine
import Recording

/// A source file's text for the screen, and where it came from.
public struct SourceText: Sendable, Equatable {
    /// Where the lines came from.
    public enum Origin: Sendable, Equatable {
        /// The copy the recording embeds: the file as it was when the run was recorded.
        case embedded
        /// The file on this disk now (the recording holds no usable copy).
        case disk
        /// Neither: `lines` is empty and `note` says so.
        case unavailable
    }

    /// The file's lines without their line ends (line 1 is `lines[0]`), safe to draw: tabs
    /// expanded to stops every 8 columns, control characters and escape sequences written as
    /// escapes (`\u{1B}`), a line cut at `SourceLibrary.maximumLineLength` scalars with `…`.
    public var lines: [String]
    /// Where they came from.
    public var origin: Origin
    /// One line the source pane shows beside the text, or nil when there is nothing to say
    /// (the embedded copy, or a file on disk no newer than the firmware):
    /// `timer/timer.c is newer than the firmware`, `source not available: timer/timer.c`.
    public var note: String?
}

/// The text of the source files a recording's line tables name, for the source pane:
///
/// 1. the copy the recording embeds (`record` and `watch` embed the files that could be read
///    when they started), exactly as it was recorded;
/// 2. else the file on this disk, at the path where it was compiled, with
///    the note "FILE is newer than the firmware" when it was modified after the firmware's ELF
///    file was (as the recording noted that time). A recording made before Timescope noted it
///    is compared with the recording file's own modification time instead: "FILE is newer
///    than the recording";
/// 3. else no lines and the note "source not available: FILE".
///
/// A damaged embedded copy counts as none, and the note says so. Files on disk are read only
/// when they are regular files of at most `RecordingLimits.maximumSourceFileBytes`. Decoded
/// files are kept (a few dozen); ask again after `forget()` to see a file changed on disk.
public final class SourceLibrary {
    /// Scalars of a line kept for display (no pane is this wide).
    public static let maximumLineLength = 1000

    private let embeddedCopy: (String) throws(RecordingError) -> EmbeddedSource?
    private let compiledPath: (String) -> String
    private let reference: Reference?
    private var cache: [String: SourceText] = [:]
    private static let cachedFiles = 64

    /// The sources of `timeline`'s recording, whose firmware has `debugInfo`: a file the line
    /// tables name relative to the compilation directory is looked for on disk there
    /// (`SourceLines.fullPath(of:)`); without debug information, as it is named (relative to
    /// the current directory when relative).
    public convenience init(timeline: Timeline, debugInfo: DebugInfo?) {
        let reference: Reference?
        if let firmwareModified = timeline.summary.header.firmwareModified {
            reference = Reference(date: firmwareModified, what: "the firmware")
        } else if let recordingModified = try? RegularFile.read(
            atPath: timeline.path, upTo: 0, expecting: "a recording"
        ).modified {
            reference = Reference(date: recordingModified, what: "the recording")
        } else {
            reference = nil
        }
        let lines = debugInfo?.lines
        self.init(
            embeddedCopy: { path throws(RecordingError) in try timeline.embeddedSource(path: path) },
            compiledPath: { lines?.fullPath(of: $0) ?? $0 }, reference: reference)
    }

    /// What a file on disk is compared with: modified after `date`, it is "newer than
    /// `what`".
    struct Reference {
        var date: Date
        var what: String
    }

    /// A library over any store of embedded copies, looking for a file named `name` on disk
    /// at `compiledPath(name)`.
    init(
        embeddedCopy: @escaping (String) throws(RecordingError) -> EmbeddedSource?,
        compiledPath: @escaping (String) -> String = { $0 }, reference: Reference?
    ) {
        self.embeddedCopy = embeddedCopy
        self.compiledPath = compiledPath
        self.reference = reference
    }

    /// The text of the file the line tables name `file` (see the type's steps).
    public func source(for file: String) -> SourceText {
        if let cached = cache[file] { return cached }
        let text = load(file)
        if cache.count >= Self.cachedFiles { cache.removeAll(keepingCapacity: true) }
        cache[file] = text
        return text
    }

    /// Drops the decoded files, so that files on disk are read again.
    public func forget() { cache.removeAll() }

    private func load(_ file: String) -> SourceText {
        let shown = UntrustedText.displayable(file)
        var damage: String?
        do {
            if let copy = try embeddedCopy(file) {
                return SourceText(lines: Self.lines(of: copy.contents), origin: .embedded, note: nil)
            }
        } catch {
            damage = "its embedded copy is damaged: \(error.reason)"
        }
        let path = compiledPath(file)
        guard SourceCollection.isSourceName(file),
            let disk = try? RegularFile.read(
                atPath: path, upTo: RecordingLimits.maximumSourceFileBytes + 1, expecting: "a source file"),
            disk.size <= UInt64(RecordingLimits.maximumSourceFileBytes),
            disk.bytes.count <= RecordingLimits.maximumSourceFileBytes
        else {
            return SourceText(
                lines: [], origin: .unavailable,
                note: "source not available: \(shown)" + (damage.map { " (\($0))" } ?? ""))
        }
        var notes: [String] = []
        if let damage { notes.append("\(shown): \(damage); showing the file on disk") }
        if let reference, disk.modified > reference.date {
            notes.append("\(shown) is newer than \(reference.what)")
        }
        return SourceText(
            lines: Self.lines(of: disk.bytes), origin: .disk,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    /// `bytes` as lines safe to draw: split at `\n` (a `\r` before it dropped), decoded as
    /// UTF-8 (invalid bytes as U+FFFD), tabs expanded, control characters escaped.
    static func lines(of bytes: [UInt8]) -> [String] {
        var lines: [String] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            var line = bytes[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            // Most lines are printable ASCII, which `displayable` would give back unchanged
            // (at its cost of a string per character: thousands of lines are read at once).
            let isPlain = line.count <= maximumLineLength && line.allSatisfy { (0x20...0x7E).contains($0) }
            let text = String(decoding: line, as: UTF8.self)
            lines.append(isPlain ? text : displayable(text))
            start = end + 1
        }
        return lines
    }

    /// One line with its tabs expanded to stops every 8 columns, then made safe to show.
    private static func displayable(_ line: String) -> String {
        guard line.contains("\t") else { return UntrustedText.displayable(line, limit: maximumLineLength) }
        var expanded = ""
        var column = 0
        for character in line {
            if character == "\t" {
                let spaces = 8 - column % 8
                expanded += String(repeating: " ", count: spaces)
                column += spaces
            } else {
                expanded.append(character)
                column += 1
            }
            if column > maximumLineLength { break }
        }
        return UntrustedText.displayable(expanded, limit: maximumLineLength)
    }
}
