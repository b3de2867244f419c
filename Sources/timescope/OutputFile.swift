import Foundation
import Machine
import Recording

/// A file a command writes (`record -o`, `watch -o`, `run --dump-state`), checked before the
/// run starts so that a mistyped path never destroys what is there. A refusal is a load error
/// (exit status 2, one line naming the option) and changes nothing on disk.
struct OutputFile {
    /// The path as the user gave it.
    let path: String
    /// The option that named it (`-o`, `--dump-state`).
    let option: String

    /// Refuses a path where a recording must not go: the firmware being run (the same file
    /// under any name or link), and whatever `Recorder.refusal(toWriteAt:)` refuses — a
    /// directory, a file that is not a recording, a recording another process is writing.
    func checkForRecording(firmware: String) throws(LoadError) {
        try checkIsNot(firmware: firmware)
        if let refusal = Recorder.refusal(toWriteAt: path) { throw refused(refusal.description) }
    }

    /// Refuses a path where a state dump must not go: the firmware, a directory, a recording,
    /// or an existing file that is not a previous dump (a JSON object). An empty file may be
    /// replaced.
    func checkForStateDump(firmware: String) throws(LoadError) {
        try checkIsNot(firmware: firmware)
        var info = stat()
        guard stat(path, &info) == 0 else {
            if lstat(path, &info) == 0 {
                throw refused("it is a symbolic link to a file that does not exist")
            }
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: throw refused("it is a directory; give a file name inside it")
        case S_IFREG: break
        default: throw refused("it is not a regular file")
        }
        guard !Recorder.isRecording(atPath: path) else {
            throw refused("it is a Timescope recording, not a state dump; choose another name")
        }
        guard info.st_size > 0 else { return }
        // A dump is a few kilobytes; anything far larger is something else.
        guard info.st_size <= 1 << 20,
            let contents = try? RegularFile.read(atPath: path, upTo: 1 << 20, expecting: "a state dump"),
            (try? JSONSerialization.jsonObject(with: Data(contents.bytes))) is [String: Any]
        else {
            throw refused(
                "it exists and is not a state dump (a JSON object); it is left as it is: remove it or choose another name"
            )
        }
    }

    /// Replaces the file with `bytes` in one step (a file written beside it, then renamed over
    /// it), so a failed or interrupted write leaves the old contents; through a symbolic link
    /// the link's target is replaced.
    func write(_ bytes: Data) throws(LoadError) {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        do {
            try bytes.write(to: target, options: .atomic)
        } catch {
            throw LoadError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Compares device and inode, not names: `./fw.elf`, a hard link and a symbolic link to
    /// the firmware are all the firmware.
    private func checkIsNot(firmware: String) throws(LoadError) {
        var output = stat()
        var image = stat()
        guard stat(path, &output) == 0, stat(firmware, &image) == 0 else { return }
        if output.st_dev == image.st_dev && output.st_ino == image.st_ino {
            throw refused("it is the firmware being run; writing there would destroy it: choose another name")
        }
    }

    private func refused(_ reason: String) -> LoadError { LoadError("\(option) \(path): \(reason)") }
}
