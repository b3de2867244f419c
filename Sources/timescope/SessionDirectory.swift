import Foundation
import Machine
import Recording

/// Where `record` and `watch` keep every session they are given no `-o` for, as rr keeps its
/// traces, so that no run is ever lost:
///
/// ```
/// $XDG_DATA_HOME/timescope/        (~/.local/share/timescope/ when XDG_DATA_HOME is unset)
/// ├── crash-1.tsr                  <firmware name>-<n>.tsr: n is one more than the highest
/// ├── crash-2.tsr                  number that name has had there
/// ├── echo-1.tsr
/// └── latest -> crash-2.tsr        the session started last (replaced in one rename)
/// ```
///
/// A name is claimed by creating it empty with `O_EXCL`, so two sessions started at the same
/// moment never share one; the recorder then replaces the empty file with the recording, as it
/// replaces any `-o` path (`Recorder.refusal(toWriteAt:)`). The directory is private (0700):
/// recordings hold the firmware and everything typed into it.
struct SessionDirectory {
    /// The directory's path.
    let path: String

    /// The name of the link to the newest session.
    static let latestName = "latest"

    /// This user's directory: `$XDG_DATA_HOME/timescope` when XDG_DATA_HOME is an absolute
    /// path (the XDG spec ignores a relative one), else `$HOME/.local/share/timescope`.
    static func forUser(environment: [String: String] = ProcessInfo.processInfo.environment) throws(LoadError)
        -> SessionDirectory
    {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return SessionDirectory(path: data + "/timescope")
        }
        guard let home = environment["HOME"].flatMap({ $0.isEmpty ? nil : $0 }) ?? Self.passwordHome() else {
            throw LoadError(
                "there is no home directory to keep sessions in (HOME is not set): give -o rec.tsr")
        }
        return SessionDirectory(path: home + "/.local/share/timescope")
    }

    /// The file `latest` points to, when it points to something.
    var latest: String? {
        let link = path + "/" + Self.latestName
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: link) else {
            return nil
        }
        let resolved = target.hasPrefix("/") ? target : path + "/" + target
        return FileManager.default.fileExists(atPath: resolved) ? resolved : nil
    }

    /// Claims a new recording name for the firmware at `firmware`, creating the directory if
    /// needed: an empty file `NAME-N.tsr` that no other session can claim. The caller records
    /// into it, or gives it back with `release(_:)`.
    func claimName(for firmware: String) throws(LoadError) -> String {
        try create()
        let stem = Self.stem(of: firmware)
        var number = highestNumber(of: stem) + 1
        for _ in 0..<1000 {
            let candidate = path + "/\(stem)-\(number).tsr"
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 {
                close(descriptor)
                return candidate
            }
            guard errno == EEXIST else { throw failure("cannot create \(candidate)", errno) }
            number += 1
        }
        throw LoadError("cannot find a free name for \(stem) in \(path): give -o rec.tsr")
    }

    /// Removes a claimed name that never received a recording (still empty).
    func release(_ claimed: String) {
        var info = stat()
        if lstat(claimed, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size == 0 { unlink(claimed) }
    }

    /// Points `latest` at `recording`, a file in this directory: a new link is made beside the
    /// old one and renamed over it, so `latest` always names a session. A failure is a warning:
    /// the session itself is kept either way.
    func markLatest(_ recording: String) {
        let staging = path + "/.\(Self.latestName).tmp-\(getpid())"
        unlink(staging)
        let name = (recording as NSString).lastPathComponent
        guard symlink(name, staging) == 0, rename(staging, path + "/" + Self.latestName) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            FileHandle.standardError.write(
                Data(
                    "timescope: warning: cannot point \(path)/\(Self.latestName) at \(name): \(reason)\n".utf8
                ))
            return
        }
    }

    /// A file in the directory and when it was last written.
    struct Entry {
        var path: String
        var name: String
        var modified: Date
        var bytes: UInt64
    }

    /// The recordings kept here (regular `*.tsr` files, not the links or the files a recorder
    /// stages), oldest first.
    func recordings() -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return [] }
        var entries: [Entry] = []
        for name in names where name.hasSuffix(".tsr") && !name.hasPrefix(".") {
            var info = stat()
            let file = path + "/" + name
            guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            let modified = Date(
                timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
            entries.append(
                Entry(path: file, name: name, modified: modified, bytes: UInt64(max(0, info.st_size))))
        }
        return entries.sorted { ($0.modified, $0.name) < ($1.modified, $1.name) }
    }

    /// The recording a command-line argument names: the path itself when something is there or
    /// it has a slash; else a session kept here by name (`crash-2`, `crash-2.tsr`, `latest`);
    /// else the argument unchanged (opening it then says it does not exist).
    static func recording(named argument: String) -> String {
        var info = stat()
        guard !argument.contains("/"), lstat(argument, &info) != 0, let directory = try? forUser() else {
            return argument
        }
        for candidate in [argument, argument + ".tsr"]
        where lstat(directory.path + "/" + candidate, &info) == 0 {
            return directory.path + "/" + candidate
        }
        return argument
    }

    // MARK: Names

    /// The firmware's file name without its extension, in characters safe in any file name
    /// (others become `_`); never empty, never hidden.
    static func stem(of firmware: String) -> String {
        let name = ((firmware as NSString).lastPathComponent as NSString).deletingPathExtension
        let safe = String(
            name.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
        let visible = String(safe.drop { $0 == "." })
        return visible.isEmpty ? "session" : visible
    }

    /// The highest N of `stem-N.tsr` here, counting the files SQLite leaves beside a recording
    /// (`-wal`, `-shm`, `-journal`), which a new recording of that name would be refused for.
    private func highestNumber(of stem: String) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return 0 }
        var highest = 0
        for name in names where name.hasPrefix(stem + "-") {
            var rest = name.dropFirst(stem.count + 1)
            for suffix in ["-wal", "-shm", "-journal"] where rest.hasSuffix(suffix) {
                rest = rest.dropLast(suffix.count)
            }
            guard rest.hasSuffix(".tsr"), let number = Int(rest.dropLast(4)), number > 0,
                String(number) == rest.dropLast(4)
            else {
                continue
            }
            highest = max(highest, number)
        }
        return highest
    }

    /// Creates the directory (and its parents) when it is missing.
    private func create() throws(LoadError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw LoadError(
                    "\(path) is not a directory; sessions are kept there: move it away or give -o rec.tsr")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LoadError(
                "cannot create \(path) to keep sessions in (\(error.localizedDescription)): give -o rec.tsr")
        }
    }

    private func failure(_ what: String, _ code: Int32) -> LoadError {
        LoadError("\(what): \(String(cString: strerror(code))); give -o rec.tsr")
    }

    /// The home directory in the password database, for a process started without HOME.
    private static func passwordHome() -> String? {
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return nil }
        let home = String(cString: directory)
        return home.isEmpty ? nil : home
    }
}

/// Where `record` or `watch` writes a session: the `-o` path (checked by `OutputFile` before
/// the firmware is loaded), or a name claimed in the session directory.
struct RecordingTarget {
    /// The file the recorder writes.
    let path: String
    /// The session directory, when the session is kept there (no `-o`).
    let directory: SessionDirectory?

    /// `output` as it is, or a new name for `firmware` in this user's session directory.
    init(output: String?, firmware: String) throws(LoadError) {
        if let output {
            path = output
            directory = nil
        } else {
            let directory = try SessionDirectory.forUser()
            path = try directory.claimName(for: firmware)
            self.directory = directory
        }
    }

    /// The recorder has written its first keyframe: a kept session becomes the latest.
    func recorderStarted() { directory?.markLatest(path) }

    /// The recorder never started: a claimed name is given back.
    func recorderFailed() { directory?.release(path) }
}
