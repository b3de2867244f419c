import Foundation
import GRDB
import Machine

/// Why a new recording may not be written at a path: what is there is not a recording this
/// process may replace, and it is left exactly as it was.
public enum ReplacementRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// A directory: its files would be lost.
    case directory
    /// A device, FIFO or socket.
    case notRegularFile
    /// A symbolic link whose target does not exist.
    case danglingLink
    /// A file with something in it that is not a Timescope recording.
    case notARecording
    /// A recording another process is still writing.
    case beingWritten(pid: Int32)
    /// A `-wal`, `-shm` or `-journal` file beside the path that belongs to no recording there:
    /// SQLite would take it for the new recording's own.
    case strayCompanion(path: String)

    /// The one-line reason, naming the path.
    public var description: String {
        switch self {
        case .directory: "it is a directory; a recording is one file: give a file name inside it"
        case .notRegularFile: "it is not a regular file"
        case .danglingLink: "it is a symbolic link to a file that does not exist"
        case .notARecording:
            "it exists and is not a Timescope recording; it is left as it is: remove it or choose another name"
        case .beingWritten(let pid):
            "another process (pid \(pid)) is still recording into it; choose another name"
        case .strayCompanion(let path):
            "\(path) is beside it and belongs to no recording there; remove it or choose another name"
        }
    }
}

extension Recorder {
    /// Why a new recording may not be written at `path`, or nil when it may: there is nothing
    /// there, an empty file, or a Timescope recording that no live process is writing. A
    /// symbolic link counts as the file it points to. Reads at most the first 64 KiB of the
    /// file and of its write-ahead log; writes nothing.
    public static func refusal(toWriteAt path: String) -> ReplacementRefusal? {
        RecordingFile.refusal(toReplace: path)
    }

    /// Whether the regular file at `path` (or a link's target) is a Timescope recording, from
    /// a look at its first pages: the SQLite header and the recording's format marker. It is
    /// not validated (`Timeline` does that).
    public static func isRecording(atPath path: String) -> Bool {
        RecordingFile.holdsRecording(atPath: (try? RecordingFile.resolvedPath(path)) ?? path)
    }
}

extension RecordingFile {
    /// The files SQLite keeps beside a database: the write-ahead log and its index, and the
    /// rollback journal (briefly, while the journal mode changes). A hot journal left by a
    /// killed process would be rolled back into whatever database next has the name.
    static let companionSuffixes = ["-wal", "-shm", "-journal"]

    /// See `Recorder.refusal(toWriteAt:)`.
    static func refusal(toReplace requested: String) -> ReplacementRefusal? {
        let path: String
        do {
            path = try resolvedPath(requested)
        } catch {
            return error
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: return .directory
            case S_IFREG: break
            default: return .notRegularFile
            }
            if info.st_size > 0 {
                guard holdsRecording(atPath: path) else { return .notARecording }
                if let pid = livingWriter(of: path) { return .beingWritten(pid: pid) }
                // The files beside it are its own and go with it, unless one is a directory.
                for suffix in companionSuffixes
                where lstat(path + suffix, &info) == 0 && info.st_mode & S_IFMT != S_IFREG {
                    return .strayCompanion(path: path + suffix)
                }
                return nil
            }
        }
        // No database there: files beside it with something in them belong to another one.
        for suffix in companionSuffixes where lstat(path + suffix, &info) == 0 {
            if info.st_mode & S_IFMT != S_IFREG || info.st_size > 0 {
                return .strayCompanion(path: path + suffix)
            }
        }
        return nil
    }

    /// Whether the file at `path` starts with the SQLite header and holds the format marker
    /// in its first pages — or, for a recorder killed before its first checkpoint, in the first
    /// frames of its write-ahead log. The `recording` table is created first, so its row sits
    /// in the second page of either.
    static func holdsRecording(atPath path: String) -> Bool {
        let marker = Array(formatName.utf8)
        guard let start = try? RegularFile.read(atPath: path, upTo: 64 << 10, expecting: "a recording"),
            start.bytes.starts(with: Array("SQLite format 3\0".utf8))
        else { return false }
        if contains(start.bytes, marker) { return true }
        let log = try? RegularFile.read(atPath: path + "-wal", upTo: 64 << 10, expecting: "a write-ahead log")
        return log.map { contains($0.bytes, marker) } == true
    }

    /// Whether `bytes` holds `pattern`: a plain scan, as the generic collection search takes
    /// milliseconds on 64 KiB (every `record -o` over an earlier recording paid that twice).
    private static func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first else { return true }
        guard bytes.count >= pattern.count else { return false }
        return bytes.withUnsafeBufferPointer { haystack in
            pattern.withUnsafeBufferPointer { needle in
                for start in 0...(haystack.count - needle.count) where haystack[start] == first {
                    var matched = 1
                    while matched < needle.count && haystack[start + matched] == needle[matched] {
                        matched += 1
                    }
                    if matched == needle.count { return true }
                }
                return false
            }
        }
    }

    /// The process still writing the recording at `path`: it has no ending, a write-ahead log,
    /// and its writer is alive on this host.
    private static func livingWriter(of path: String) -> Int32? {
        guard FileManager.default.fileExists(atPath: path + "-wal"), let file = try? open(path: path),
            (try? file.read(
                "its ending", { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ending)") }))
                != true,
            case .running(let pid) = file.writer(), pid != getpid()
        else { return nil }
        return pid
    }

    /// `path`, or the file a symbolic link at `path` points to: a recording is written through
    /// a link, as SQLite itself keeps a linked database's write-ahead files beside the target.
    static func resolvedPath(_ path: String) throws(ReplacementRefusal) -> String {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else { throw .danglingLink }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where a recording is written before it replaces `path`: beside it (the rename must stay
    /// on one file system), hidden, and named for this process. Followers wait for `path`
    /// itself and never see this name.
    static func stagingPath(for path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let name = ".\((path as NSString).lastPathComponent).tmp-\(getpid())"
        return directory.isEmpty ? name : directory + "/" + name
    }

    /// Renames the closed staging file over `path` (atomically: a reader sees the old file or
    /// the new one), first deleting the files beside `path` — the replaced recording's, which
    /// SQLite would otherwise replay into the new one.
    static func publish(_ staging: String, at path: String) throws(RecordingError) {
        for suffix in companionSuffixes { unlink(path + suffix) }
        guard rename(staging, path) == 0 else {
            throw .io("cannot move the new recording to \(path): \(String(cString: strerror(errno)))")
        }
    }
}
