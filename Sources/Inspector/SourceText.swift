import Foundation

/// A source file's text for the source pane: its lines, or a note saying why there are none
/// ("source not available: sensorhub.c").
public struct SourceText: Equatable, Sendable {
    /// The file's lines, without their line ends, tabs expanded to 8 columns.
    public var lines: [String]
    /// Why the lines are missing or may not be the compiled ones; nil when all is well.
    public var note: String?

    /// Text from its lines and a note.
    public init(lines: [String], note: String? = nil) {
        self.lines = lines
        self.note = note
    }

    /// Text read from `contents`: lines split at `\n` (a `\r` before it dropped), tabs
    /// expanded to the next multiple of 8 columns.
    public init(contents: String, note: String? = nil) {
        var lines = contents.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            SourceText.expandingTabs(line.hasSuffix("\r") ? line.dropLast() : line)
        }
        if lines.last == "" { lines.removeLast() }
        self.init(lines: lines, note: note)
    }

    private static func expandingTabs(_ line: Substring) -> String {
        guard line.contains("\t") else { return String(line) }
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
        }
        return expanded
    }
}

/// Where the source pane gets a file's text from, by the path the line tables name (as the
/// compiler saw it). The inspector asks once per file and keeps the answer.
public protocol SourceTextProvider: AnyObject {
    /// The text of `path`, or a note saying why there is none.
    func text(ofFile path: String) -> SourceText
}

/// Source text read from disk: the path as the compiler saw it, else the same file under one
/// of `searchDirectories` (the recording's directory, the current one), trying the path's
/// longest tail first (`/build/proj/crash/sensorhub.c` is looked for as `proj/crash/…`, then
/// `crash/sensorhub.c`, then `sensorhub.c`).
public final class SourceFilesOnDisk: SourceTextProvider {
    /// Directories searched, in order, before the path itself.
    public let searchDirectories: [String]
    /// The largest file read (a bigger one is not C source a person reads in a pane).
    public static let sizeLimit = 16 << 20
    private var cache: [String: SourceText] = [:]

    /// A provider searching `searchDirectories` in order.
    public init(searchDirectories: [String]) {
        self.searchDirectories = searchDirectories
    }

    /// The provider for a recording at `recordingPath`: its directory, then the current one.
    public convenience init(recordingPath: String) {
        let directory = (recordingPath as NSString).deletingLastPathComponent
        self.init(
            searchDirectories: [
                directory.isEmpty ? "." : directory, FileManager.default.currentDirectoryPath,
            ])
    }

    /// The text of `path`: the first candidate that reads as UTF-8 text.
    public func text(ofFile path: String) -> SourceText {
        if let known = cache[path] { return known }
        let name = (path as NSString).lastPathComponent
        var text = SourceText(lines: [], note: "source not available: \(name)")
        for candidate in candidates(for: path) {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: candidate),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let size = attributes[.size] as? Int, size <= SourceFilesOnDisk.sizeLimit,
                let data = FileManager.default.contents(atPath: candidate)
            else { continue }
            text = SourceText(contents: String(decoding: data, as: UTF8.self))
            break
        }
        cache[path] = text
        return text
    }

    /// The places `path` may be, most specific first.
    func candidates(for path: String) -> [String] {
        let components = path.split(separator: "/").map(String.init).filter { $0 != "." }
        var candidates: [String] = []
        for start in components.indices {
            let tail = components[start...].joined(separator: "/")
            for directory in searchDirectories {
                candidates.append((directory as NSString).appendingPathComponent(tail))
            }
        }
        candidates.append(path)
        return candidates
    }
}
