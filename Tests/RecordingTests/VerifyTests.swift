import Foundation
import GRDB
import Machine
import Recording
import Testing
import TestSupport

/// `timescope verify` replays a recording and passes only when it reproduces every keyframe.
@Suite struct VerifyTests {
    @Test func verifyPassesOnGoodRecordings() throws {
        for run in [try Recordings.timer(), try Recordings.echo(), try Recordings.workload()] {
            guard let run else { return }
            let result = try CLI.run(["verify", run.path])
            #expect(result.status == 0, "\(run.path): \(CLI.describe(result))")
            #expect(result.stdoutText.hasPrefix("ok"), "\(result.stdoutText)")
        }
    }

    /// One keyframe's recorded state hash altered: verify exits 1 and names that keyframe.
    @Test(arguments: ["first", "middle", "last"])
    func verifyFailsWhenAKeyframeHashIsAltered(_ which: String) throws {
        guard let run = try Recordings.timer() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("altered.tsr")
        try FileSurgery.copy(run.path, to: path)
        let count = try FileSurgery.read(path) { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM keyframe")!
        }
        let index = which == "first" ? 0 : which == "middle" ? count / 2 : count - 1
        try FileSurgery.edit(path) { db in
            try db.execute(
                sql: "UPDATE keyframe SET state_hash = (state_hash | 1) - (state_hash & 1) WHERE idx = ?",
                arguments: [index])
        }
        let result = try CLI.run(["verify", path])
        #expect(result.status == 1, "\(CLI.describe(result))")
        #expect(result.stderr.contains("keyframe \(index)"), "names the keyframe: \(result.stderr)")
        #expect(!result.stdoutText.hasPrefix("ok"))
    }

    /// The states and pages that seeks restore are what verify must vouch for: a recording
    /// whose stored data disagrees with its own replay gives wrong answers to `state`, so
    /// `verify` must not call it good.
    @Test func verifyFailsWhenAStoredKeyframeStateDisagreesWithTheReplay() throws {
        guard let run = try Recordings.timer() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("state.tsr")
        try FileSurgery.copy(run.path, to: path)
        // Keyframe 2 at step 2000: the true state, but with a1 changed.
        let reference = try Reference.machine(elf: run.elf, at: 2 * run.keyframeInterval)
        var state = reference.state
        state.x[11] ^= 0x10
        let blob = ZstdFrame.raw(Array(try JSONEncoder().encode(state)))
        try FileSurgery.edit(path) { db in
            try db.execute(sql: "UPDATE keyframe SET state = ? WHERE idx = 2", arguments: [Data(blob)])
        }
        let seen = try CLI.run(["state", path, "--at", String(2 * run.keyframeInterval), "--json"])
        let shows = seen.stdoutText == dumpStateText(reference) + "\n"
        let verify = try CLI.run(["verify", path])
        #expect(
            shows || verify.status == 1,
            "state --at 2000 shows a state that is not the run's, yet verify says: \(CLI.describe(verify))")
    }

    @Test func verifyFailsWhenAStoredPageDisagreesWithTheReplay() throws {
        guard let run = try Recordings.timer() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("page.tsr")
        try FileSurgery.copy(run.path, to: path)
        // Some page stored with keyframe 2, one byte changed.
        let step = 2 * run.keyframeInterval
        let reference = try Reference.machine(elf: run.elf, at: step)
        let page = try #require(
            try FileSurgery.read(path) { db in
                try Int.fetchOne(db, sql: "SELECT MIN(page) FROM page WHERE keyframe = 2")
            })
        var bytes = reference.page(page)
        bytes[100] ^= 0xFF
        try FileSurgery.edit(path) { db in
            try db.execute(
                sql: "UPDATE page SET data = ? WHERE keyframe = 2 AND page = ?",
                arguments: [Data(ZstdFrame.raw(bytes)), page])
        }
        let seen = try CLI.run(["state", path, "--at", String(step), "--json"])
        let shows = seen.stdoutText == dumpStateText(reference) + "\n"
        let verify = try CLI.run(["verify", path])
        #expect(
            shows || verify.status == 1,
            "state --at \(step) shows RAM that is not the run's (page \(page)), yet verify says: \(CLI.describe(verify))"
        )
    }

    /// Control for the two tests above: the same surgery with the true contents changes nothing
    /// (so the hand-made zstd frames are read as the recorder's own).
    @Test func rewritingKeyframeDataWithTheTrueContentsChangesNothing() throws {
        guard let run = try Recordings.timer() else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("same.tsr")
        try FileSurgery.copy(run.path, to: path)
        let step = 2 * run.keyframeInterval
        let reference = try Reference.machine(elf: run.elf, at: step)
        let pages = try FileSurgery.read(path) { db in
            try Int.fetchAll(db, sql: "SELECT page FROM page WHERE keyframe = 2")
        }
        try FileSurgery.edit(path) { db in
            let state = ZstdFrame.raw(Array(try JSONEncoder().encode(reference.state)))
            try db.execute(sql: "UPDATE keyframe SET state = ? WHERE idx = 2", arguments: [Data(state)])
            for page in pages {
                try db.execute(
                    sql: "UPDATE page SET data = ? WHERE keyframe = 2 AND page = ?",
                    arguments: [Data(ZstdFrame.raw(reference.page(page))), page])
            }
        }
        let seen = try CLI.run(["state", path, "--at", String(step), "--json"])
        #expect(seen.stdoutText == dumpStateText(reference) + "\n", "\(CLI.describe(seen))")
        let verify = try CLI.run(["verify", path])
        #expect(verify.status == 0, "\(CLI.describe(verify))")
    }
}

/// A recorder that dies (kill -9) or is stopped (Ctrl-C) leaves a recording that opens.
@Suite(.serialized) struct InterruptedRecordingTests {
    /// A child process started with posix_spawn, with an empty signal mask and default signal
    /// actions, as a shell starts a command. (Foundation's `Process` on Linux starts children
    /// with almost every signal blocked, SIGINT included, so Ctrl-C could not be simulated.)
    struct Child {
        let pid: pid_t
        private(set) var status: Int32? = nil

        init(_ arguments: [String]) throws {
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var empty = sigset_t()
            sigemptyset(&empty)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &empty)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for descriptor: Int32 in [0, 1, 2] {
                posix_spawn_file_actions_addopen(
                    &actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
            }
            let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid: pid_t = 0
            let error = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
            guard error == 0 else {
                throw ProcessFailure("posix_spawn \(arguments[0]) failed: errno \(error)")
            }
            self.pid = pid
        }

        /// Whether it still runs (reaps it when it has ended).
        mutating func isRunning() -> Bool {
            guard status == nil else { return false }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                status = raw
                return false
            }
            return true
        }

        /// Waits up to `seconds`, then kills it; returns the wait status.
        mutating func wait(seconds: Double) -> Int32 {
            let deadline = Date().addingTimeInterval(seconds)
            while isRunning() && Date() < deadline { usleep(5_000) }
            if isRunning() {
                kill(pid, SIGKILL)
                var raw: Int32 = 0
                waitpid(pid, &raw, 0)
                status = raw
            }
            return status ?? -1
        }
    }

    /// Starts `timescope record workload-bench.elf` and waits until `info` sees at least
    /// `keyframes` keyframes in the growing file (reading it while it is written).
    func startRecording(_ elf: String, to path: String, keyframes: UInt64) throws -> Child {
        var child = try Child([
            try TimescopeProcess.binaryPath(), "record", elf, "-o", path, "--keyframe-interval", "100000",
        ])
        let deadline = Date().addingTimeInterval(60)
        while true {
            if Date() > deadline {
                _ = child.wait(seconds: 0)
                throw ProcessFailure("the recording never reached \(keyframes) keyframes within 60 s")
            }
            guard child.isRunning() else {
                throw ProcessFailure(
                    "timescope record ended by itself (wait status \(child.status ?? -1)) before the test stopped it"
                )
            }
            if FileManager.default.fileExists(atPath: path) {
                let info = try CLI.run(["info", path, "--json"])
                if info.status == 0,
                    let count = try? ParsedJSON.parse(info.stdoutText.trimmingCharacters(in: .newlines))[
                        "keyframes"]?.unsigned,
                    count >= keyframes
                {
                    return child
                }
            }
            usleep(20_000)
        }
    }

    @Test func aRecorderKilledMidRunLeavesARecordingThatOpensUpToItsLastKeyframe() throws {
        guard let elf = try TestFirmware.elf("workload-bench") else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("killed.tsr")
        var child = try startRecording(elf, to: path, keyframes: 4)
        kill(child.pid, SIGKILL)
        let status = child.wait(seconds: 30)
        #expect(status & 0x7F == SIGKILL, "killed by SIGKILL (wait status \(status))")

        let info = try CLI.run(["info", path, "--json"])
        #expect(info.status == 0, "\(CLI.describe(info))")
        let json = try parseJSON(info.stdoutText.trimmingCharacters(in: .newlines))
        #expect(json["endReason"]?.string == "interrupted")
        #expect(json["exitCode"] == nil)
        let keyframes = try #require(json["keyframes"]?.unsigned)
        #expect(keyframes >= 4)
        let total = try #require(json["totalSteps"]?.unsigned)
        #expect(total == (keyframes - 1) * 100_000, "the recording ends at its last keyframe")

        let end = try CLI.run(["state", path, "--at", "end", "--json"])
        #expect(end.status == 0, "\(CLI.describe(end))")
        let reference = try Reference.machine(elf: elf, at: total)
        #expect(
            end.stdoutText == dumpStateText(reference) + "\n",
            "state --at end is the run's state at that step")
        let middle = try CLI.run(["state", path, "--at", "50%", "--json"])
        #expect(middle.status == 0, "\(CLI.describe(middle))")
        let verify = try CLI.run(["verify", path])
        #expect(verify.status == 0, "\(CLI.describe(verify))")
    }

    @Test func ctrlCEndsTheRecordingAtThatStepAndFoldsTheFile() throws {
        guard let elf = try TestFirmware.elf("workload-bench") else { return }
        let scratch = try ScratchDirectory()
        let path = scratch.file("stopped.tsr")
        var child = try startRecording(elf, to: path, keyframes: 3)
        kill(child.pid, SIGINT)
        let status = child.wait(seconds: 30)
        #expect(
            status & 0x7F == 0 && (status >> 8) & 0xFF == 130,
            "exit status 130 after Ctrl-C (wait status \(status))")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "folded into one file")

        let info = try CLI.run(["info", path, "--json"])
        #expect(info.status == 0, "\(CLI.describe(info))")
        let json = try parseJSON(info.stdoutText.trimmingCharacters(in: .newlines))
        #expect(json["endReason"]?.string == "interrupted")
        let total = try #require(json["totalSteps"]?.unsigned)
        #expect(total >= 200_000)
        let end = try CLI.run(["state", path, "--at", "end", "--json"])
        let reference = try Reference.machine(elf: elf, at: total)
        #expect(
            end.stdoutText == dumpStateText(reference) + "\n",
            "state --at end is the run's state at the step it stopped")
        let verify = try CLI.run(["verify", path])
        #expect(verify.status == 0, "\(CLI.describe(verify))")
    }
}
