import Foundation
import Machine

/// The source files a recorder embeds, read from disk when the recording starts: of the files
/// the firmware's line tables name, the readable regular files, each at most
/// `RecordingLimits.maximumSourceFileBytes` (4 MiB), at most `maximumSourceBytes` (32 MiB)
/// and `maximumSourceFiles` in all.
///
/// Files are taken in order of name, then path; one that would pass the total stays out and
/// smaller ones after it may still fit, so the same files always make the same choice. A name
/// is embedded once: where two units compiled the same relative name in different
/// directories, the first readable one is kept. Each file is read at most once and never
/// beyond the per-file bound; a FIFO or device is not opened (`RegularFile`).
public struct SourceCollection: Sendable {
    /// A file to embed: the name a reader looks it up by, and where it is on this disk.
    public struct Candidate: Sendable, Hashable {
        /// The name the line tables give it (often relative to the compilation directory).
        public var name: String
        /// Where to read it: absolute, or relative to the current directory.
        public var path: String

        /// A file named `name` in the line tables, to be read at `path`.
        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }
    }

    /// Why a file named by the line tables is not embedded.
    public enum Omission: Sendable, Equatable, CustomStringConvertible {
        /// It cannot be read: missing, not a regular file, no permission (the message says).
        case unreadable(String)
        /// It is larger than `maximumSourceFileBytes`.
        case tooLarge(bytes: UInt64)
        /// It would take the embedded sources past `maximumSourceBytes`.
        case overTotal(bytes: UInt64)
        /// `maximumSourceFiles` are embedded already.
        case tooMany
        /// Its name is empty, longer than `maximumSourcePathBytes`, or holds a character
        /// `UntrustedText` would escape (a control character, a bidirectional override).
        case badName
        /// Another file of the same name is embedded.
        case sameName
        /// Its name does not end like a source file's (a firmware's debug information could
        /// name any file on the recording machine).
        case notSource

        /// The reason in a few words.
        public var description: String {
            switch self {
            case .unreadable(let message): message
            case .tooLarge(let bytes):
                "\(bytes) bytes, over the \(RecordingLimits.maximumSourceFileBytes >> 20) MiB a source file may have"
            case .overTotal(let bytes):
                "\(bytes) bytes would pass the \(RecordingLimits.maximumSourceBytes >> 20) MiB of sources a recording holds"
            case .tooMany: "a recording holds at most \(RecordingLimits.maximumSourceFiles) source files"
            case .badName:
                "its name is empty, longer than \(RecordingLimits.maximumSourcePathBytes) bytes or holds control characters"
            case .sameName: "another file of the same name is embedded"
            case .notSource:
                "not named like a source file (\(SourceCollection.sourceExtensions.sorted().joined(separator: " ")))"
            }
        }
    }

    /// A file left out, and why.
    public struct OmittedFile: Sendable, Equatable {
        /// The file.
        public var candidate: Candidate
        /// Why it is not embedded.
        public var reason: Omission
    }

    /// The files to embed, in name order, each under its name (`EmbeddedSource.path`).
    public private(set) var sources: [EmbeddedSource] = []
    /// The files left out, in name order.
    public private(set) var omitted: [OmittedFile] = []

    /// The bytes of all `sources`.
    public var totalBytes: Int { sources.reduce(0) { $0 + $1.contents.count } }

    /// The extensions of the files that are embedded: what compilers read as source.
    public static let sourceExtensions: Set<String> = [
        "c", "h", "S", "s", "asm", "cc", "cpp", "cxx", "c++", "hh", "hpp", "hxx", "h++", "inc", "inl", "ipp",
        "tcc", "rs", "zig", "f", "f90", "ada", "adb", "ads", "d", "m", "mm", "go",
    ]

    /// Whether `name` ends like a source file's name.
    public static func isSourceName(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), !name[name.index(after: dot)...].contains("/") else {
            return false
        }
        return sourceExtensions.contains(String(name[name.index(after: dot)...]))
    }

    /// Reads `candidates` (duplicates count once) within the bounds.
    public init(reading candidates: [Candidate]) {
        var total = 0
        var names: Set<String> = []
        let ordered = Set(candidates).sorted { ($0.name, $0.path) < ($1.name, $1.path) }
        for candidate in ordered {
            func omit(_ reason: Omission) {
                omitted.append(OmittedFile(candidate: candidate, reason: reason))
            }
            guard Self.isEmbeddablePath(candidate.name) else {
                omit(.badName)
                continue
            }
            guard Self.isSourceName(candidate.name) else {
                omit(.notSource)
                continue
            }
            guard !names.contains(candidate.name) else {
                omit(.sameName)
                continue
            }
            guard sources.count < RecordingLimits.maximumSourceFiles else {
                omit(.tooMany)
                continue
            }
            let file: RegularFile.Contents
            do {
                file = try RegularFile.read(
                    atPath: candidate.path, upTo: RecordingLimits.maximumSourceFileBytes + 1,
                    expecting: "a source file")
            } catch {
                omit(.unreadable(error.description))
                continue
            }
            guard file.size <= UInt64(RecordingLimits.maximumSourceFileBytes),
                file.bytes.count <= RecordingLimits.maximumSourceFileBytes
            else {
                omit(.tooLarge(bytes: max(file.size, UInt64(file.bytes.count))))
                continue
            }
            guard total + file.bytes.count <= RecordingLimits.maximumSourceBytes else {
                omit(.overTotal(bytes: UInt64(file.bytes.count)))
                continue
            }
            total += file.bytes.count
            names.insert(candidate.name)
            sources.append(
                EmbeddedSource(path: candidate.name, contents: file.bytes, modified: file.modified))
        }
    }

    /// Reads the files at `paths`, each embedded under its path.
    public init(reading paths: [String]) {
        self.init(reading: paths.map { Candidate(name: $0, path: $0) })
    }

    /// Whether a recording can hold a source named `path`: 1 … `maximumSourcePathBytes`
    /// bytes, nothing `UntrustedText` would escape, so that it is shown as it is.
    static func isEmbeddablePath(_ path: String) -> Bool {
        !path.isEmpty && path.utf8.count <= RecordingLimits.maximumSourcePathBytes
            && UntrustedText.displayable(path, limit: .max) == path
    }
}
