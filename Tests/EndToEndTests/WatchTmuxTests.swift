import Foundation
import Testing
import TestSupport

/// `timescope watch` in a real terminal (tmux): the echo firmware runs live while the user
/// types to it, pauses it, scrubs back and follows the head again; `watch --follow` shows a
/// recording another `timescope record` is writing, as it grows and when its writer finishes or
/// dies. After each session the file it left is checked with the other commands (`verify`,
/// `info`, `find`, `state`, `view --print-frame`, `record --replay-input`).
///
/// Each test starts the built binary in its own tmux server (`TmuxDriver`) and polls the screen
/// with a timeout; nothing waits a fixed time. Every process a test starts (tmux servers,
/// background recorders) is killed when the test ends, passed or failed. The suite is serialized:
/// two tests keep a CPU-bound recorder running, and on a two-core machine running them side by
/// side with the others only makes every timeout tighter.
@Suite(.serialized) struct WatchTmuxTests {
    /// Generous: the live firmware, the inspector and the test share the machine.
    static let timeout: TimeInterval = 20
    /// How long a background recorder of `recorderSteps` steps may take, on a loaded machine.
    static let recorderTimeout: TimeInterval = 180
    /// The length of the recordings `watch --follow` follows: long enough to see the timeline
    /// grow (compiled code records 1.5e9 steps in about a second; the recorder is throttled to a
    /// fifth of that speed), short enough to verify quickly.
    static let recorderSteps: UInt64 = 1_500_000_000

    /// `watch echo.elf -o recording` in tmux, once echo waits for input with "ready" on the
    /// console, with `i` pressed: what is typed next goes to the firmware.
    func watchEchoAndStartTyping(recordingTo recording: String) throws -> TmuxDriver {
        let echo = try FirmwareBuilder.elf("echo")
        let driver = try TmuxDriver(["watch", echo, "-o", recording], width: 160, height: 45)
        do {
            try driver.waitFor("the firmware to wait for input", timeout: Self.timeout) {
                topRow($0).contains("waiting for input") && consoleLines($0).first == "ready"
            }
            try driver.sendKeys("i")
            try driver.waitFor("typing to be on", timeout: Self.timeout) {
                statusLine($0).contains("typing goes to the firmware's UART")
            }
        } catch {
            driver.kill()
            throw error
        }
        return driver
    }

    // MARK: Live: typing, pausing, scrubbing

    @Test func watchEchoTypePauseScrubFollowQuit() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let echo = try FirmwareBuilder.elf("echo")
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let session = scratch.file("s.tsr")
        let driver = try TmuxDriver(["watch", echo, "-o", session], width: 160, height: 45)
        defer { driver.kill() }

        // echo prints "ready" and sleeps in WFI until a byte arrives.
        let idle = try driver.waitFor(
            "the LIVE banner, waiting for input, and \"ready\" in the console", timeout: Self.timeout
        ) {
            topRow($0).hasPrefix(" ● LIVE  echo.elf — waiting for input") && consoleLines($0).first == "ready"
        }
        let before = try #require(steps(statusLine(idle)), "status line: \(statusLine(idle))")
        #expect(before.step == before.total, "the view is at the live head: \(statusLine(idle))")
        #expect(topRow(idle).contains("max speed"), "the default pacing is named: \(topRow(idle))")

        try driver.sendKeys("i")
        try driver.waitFor("typing to be on", timeout: Self.timeout) {
            statusLine($0).contains("typing goes to the firmware's UART")
        }
        try driver.type("hi")
        // The console and the step count can reach the screen in different frames while the
        // machine is loaded: wait for the frame that shows both (the expectations below
        // still check them).
        let echoed = try driver.waitFor("the firmware's echo \"HI\" in the console", timeout: Self.timeout) {
            consoleLines($0).contains("HI") && topRow($0).contains("waiting for input")
                && (steps(statusLine($0)).map { $0.total > before.total } ?? false)
        }
        #expect(consoleLines(echoed).prefix(2) == ["ready", "HI"], "console: \(consoleLines(echoed))")
        let head = try #require(steps(statusLine(echoed)), "status line: \(statusLine(echoed))")
        #expect(head.step == head.total, "typing keeps the view at the live head: \(statusLine(echoed))")
        #expect(
            head.total > before.total,
            "the head moved on while the firmware echoed: \(before.total) → \(head.total)")

        try driver.sendKeys("Escape")
        try driver.waitFor("typing to stop", timeout: Self.timeout) {
            statusLine($0).contains("typing stopped")
        }

        try driver.sendKeys("Space")
        let paused = try driver.waitFor("the PAUSED banner", timeout: Self.timeout) {
            topRow($0).hasPrefix(" ❚❚ PAUSED  echo.elf")
        }
        #expect(statusLine(paused).contains("firmware paused"), "status line: \(statusLine(paused))")
        try driver.sendKeys("Space")
        let resumed = try driver.waitFor("the LIVE banner again", timeout: Self.timeout) {
            topRow($0).hasPrefix(" ● LIVE  echo.elf")
        }
        #expect(statusLine(resumed).contains("firmware running"), "status line: \(statusLine(resumed))")

        // The firmware waits for input, so the head stands still: two steps back is 2 behind.
        try driver.sendKeys("Left", "Left")
        // (Each key may get a frame of its own: wait for the second.)
        let back = try driver.waitFor(
            "the status line to say the view is 2 steps behind live", timeout: Self.timeout
        ) {
            statusLine($0).contains(" 2 behind live (End follows)")
        }
        #expect(
            statusLine(back).hasPrefix("step \(head.total - 2) of \(head.total) "),
            "status line: \(statusLine(back))")
        #expect(topRow(back).hasPrefix(" ● LIVE"), "scrubbing does not pause the firmware: \(topRow(back))")

        try driver.sendKeys("End")
        let following = try driver.waitFor("End to follow the live head again", timeout: Self.timeout) {
            statusLine($0).hasPrefix("step \(head.total) of \(head.total) ")
        }
        #expect(!statusLine(following).contains("behind live"), "status line: \(statusLine(following))")

        try driver.sendKeys("q")
        let ended = try waitForExit(driver)
        #expect(exitLine(ended) == "EXITED 0", "q exits with status 0:\n\(ended)")
        #expect(
            ended.contains(
                "timescope: session saved to \(session) (\(head.total) steps, interrupted at step \(head.total))"
            ),
            "the saved message names the file and the live head where q stopped the run:\n\(ended)")

        // The file: complete, one file, and it replays.
        try expectVerifies(session)
        #expect(
            !FileManager.default.fileExists(atPath: session + "-wal"), "the session is folded into one file")
        let info = try infoJSON(session)
        #expect(info["totalSteps"]?.unsigned == head.total, "info: \(info)")
        #expect(info["endReason"]?.string == "interrupted", "quitting interrupts the run: \(info)")
        #expect(info["markers"]?["input"]?.unsigned == 2, "two typed bytes, two input markers: \(info)")

        // The typed bytes arrived where the input log says, in the order typed: each is in the
        // UART receiver right after its step (input stamped N is delivered between step N and
        // N+1, docs/recording-format.md) and not before.
        let arrivals = try inputSteps(session)
        try #require(arrivals.count == 2, "input steps: \(arrivals)")
        // The firmware slept at the head `before` until h arrived: it is stamped there or later.
        #expect(
            arrivals[0] >= before.total,
            "nothing arrived before typing: \(arrivals), head before \(before.total)")
        #expect(arrivals[1] > arrivals[0], "\(arrivals)")
        for (step, byte) in zip(arrivals, [UInt8(ascii: "h"), UInt8(ascii: "i")]) {
            let fifo = try receiverFIFOs(session, at: [step, step + 1])
            #expect(fifo[0] == [], "at step \(step) the receiver does not hold the byte yet: \(fifo[0])")
            #expect(fifo[1] == [byte], "at step \(step + 1) the receiver holds \(byte): \(fifo[1])")
        }
        // And the echo follows the input: nothing at the first arrival, no I before the i came
        // (the H may or may not be out by then: i can arrive as soon as h has been read).
        #expect(try consoleAt(session, step: arrivals[0]) == ["ready"], "no echo before h arrived")
        let atSecond = try consoleAt(session, step: arrivals[1])
        #expect(atSecond == ["ready"] || atSecond == ["ready", "H"], "no I before i arrived: \(atSecond)")
        #expect(try consoleAt(session, step: head.total) == ["ready", "HI"], "the echo at the end")
    }

    // MARK: Live: the firmware ends

    @Test func watchEchoExitKeepsScreenOpen() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let session = scratch.file("exit.tsr")
        let driver = try watchEchoAndStartTyping(recordingTo: session)
        defer { driver.kill() }
        try driver.type("q")  // to the firmware: echo says bye and exits 0
        let exited = try driver.waitFor("the banner to say the firmware exited", timeout: Self.timeout) {
            topRow($0).contains("exited with code 0 at step")
        }
        let banner = topRow(exited)
        let endStep = try #require(
            banner.firstMatch(of: /echo\.elf — exited with code 0 at step (\d+)/).flatMap { UInt64($0.1) },
            "banner: \(banner)")
        #expect(!banner.contains("LIVE"), "banner: \(banner)")
        #expect(
            statusLine(exited).hasPrefix("step \(endStep) of \(endStep) ")
                && statusLine(exited).contains(
                    "exited with code 0 at step \(endStep) — the recording is complete; scrub back to review"),
            "status line: \(statusLine(exited))")
        #expect(consoleLines(exited).contains("bye"), "console: \(consoleLines(exited))")

        // Still open and still an inspector: scrub back; typing is over.
        try driver.sendKeys("Left")
        let back = try driver.waitFor("Left to go back one step", timeout: Self.timeout) {
            statusLine($0).hasPrefix("step \(endStep - 1) of \(endStep) ")
        }
        #expect(
            !statusLine(back).contains("behind live"),
            "the run is over: nothing to be behind: \(statusLine(back))")
        try driver.sendKeys("i")
        try driver.waitFor("i to say the run has ended", timeout: Self.timeout) {
            statusLine($0).contains("the run has ended: nothing reads input now")
        }

        try driver.sendKeys("q")  // the run is over, so q is the inspector's again
        let ended = try waitForExit(driver)
        #expect(exitLine(ended) == "EXITED 0", "q exits with status 0:\n\(ended)")
        #expect(
            ended.contains(
                "timescope: session saved to \(session) (\(endStep) steps, exited with code 0 at step \(endStep))"
            ),
            "the saved message:\n\(ended)")

        try expectVerifies(session)
        let info = try infoJSON(session)
        #expect(info["endReason"]?.string == "exited", "info: \(info)")
        #expect(info["exitCode"]?.unsigned == 0, "info: \(info)")
        #expect(info["totalSteps"]?.unsigned == endStep, "info: \(info)")
        #expect(info["markers"]?["input"]?.unsigned == 1, "one typed byte (q): \(info)")
        #expect(info["markers"]?["exit"]?.unsigned == 1, "info: \(info)")
    }

    // MARK: Live recording = replayed recording

    /// A live session is an ordinary recording: `record --replay-input` with its input log
    /// reproduces it step for step.
    @Test func liveRecordingEqualsRecordWithSameInput() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let echo = try FirmwareBuilder.elf("echo")
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let live = scratch.file("live.tsr")
        let replayed = scratch.file("replayed.tsr")

        do {
            let driver = try watchEchoAndStartTyping(recordingTo: live)
            defer { driver.kill() }
            try driver.type("hi")
            try driver.waitFor("the echo HI", timeout: Self.timeout) { consoleLines($0).contains("HI") }
            try driver.type("q")
            try driver.waitFor("the firmware to exit", timeout: Self.timeout) {
                topRow($0).contains("exited with code 0 at step")
            }
            try driver.sendKeys("q")
            let ended = try waitForExit(driver)
            #expect(exitLine(ended) == "EXITED 0", "\(ended)")
        }

        let record = try TimescopeProcess.run(["record", echo, "-o", replayed, "--replay-input", live])
        #expect(record.status == 0, "echo exits 0 after q: \(describe(record))")
        #expect(
            record.stdoutText == "ready\nHI\nbye\n",
            "the replayed run prints what the live one showed: \(describe(record))")
        #expect(record.stderr.isEmpty, "no warning: same firmware: \(record.stderr)")

        let liveInfo = try infoJSON(live)
        let replayedInfo = try infoJSON(replayed)
        for key in [
            "firmware", "sha256", "board", "totalSteps", "endReason", "exitCode", "keyframes", "markers",
        ] {
            #expect(liveInfo[key] != nil, "live info has \(key): \(liveInfo)")
            #expect(
                liveInfo[key] == replayedInfo[key],
                "\(key): live \(String(describing: liveInfo[key])), replayed \(String(describing: replayedInfo[key]))"
            )
        }
        #expect(liveInfo["markers"]?["input"]?.unsigned == 3, "h, i, q: \(liveInfo)")
        #expect(try inputSteps(live) == inputSteps(replayed), "the input arrives at the same steps")

        let total = try #require(liveInfo["totalSteps"]?.unsigned)
        let arrivals = try inputSteps(live)
        let probes = ["end", String(total / 2), "1"] + arrivals.flatMap { [String($0), String($0 + 1)] }
        let liveStates = try stateLines(live, at: probes)
        let replayedStates = try stateLines(replayed, at: probes)
        #expect(liveStates.count == probes.count, "\(liveStates)")
        for (index, probe) in probes.enumerated()
        where index < liveStates.count && index < replayedStates.count {
            #expect(liveStates[index] == replayedStates[index], "state --at \(probe) differs")
        }
        let end = try ParsedJSON.parse(try #require(liveStates.first))
        #expect(end["step"]?.unsigned == total, "state --at end: \(end)")
        #expect(end["stateHash"]?.string?.count == 16, "the state hash is compared too: \(end)")
    }

    // MARK: Following another process's recording

    @Test func followGrowsWithAConcurrentRecord() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let workload = try FirmwareBuilder.elf("workload-bench")
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let recording = scratch.file("rec.tsr")

        // The follower first: it waits for the file, so it sees the recording from its start.
        let driver = try TmuxDriver(["watch", "--follow", recording], width: 160, height: 45)
        defer { driver.kill() }
        try driver.waitFor("timescope: waiting for \(recording) to hold a recording", timeout: Self.timeout)
        let recorder = try BackgroundTimescope(
            ["record", workload, "-o", recording, "--max-steps", String(Self.recorderSteps)],
            log: scratch.file("record.log"), throttled: true)
        defer { recorder.stop() }

        let first = try driver.waitFor("the FOLLOWING banner", timeout: Self.timeout) {
            topRow($0).hasPrefix(" ● FOLLOWING  workload-bench.elf") && steps(statusLine($0)) != nil
        }
        let start = try #require(steps(statusLine(first)))
        #expect(start.step == start.total, "it follows the head: \(statusLine(first))")
        #expect(start.total < Self.recorderSteps, "seen while the recorder runs: \(statusLine(first))")
        let grown = try driver.waitFor("the total to grow while the recorder runs", timeout: Self.timeout) {
            screen in
            guard topRow(screen).hasPrefix(" ● FOLLOWING"), let now = steps(statusLine(screen)) else {
                return false
            }
            return now.total > start.total
        }
        let later = try #require(steps(statusLine(grown)))
        #expect(later.step == later.total, "still at the head: \(statusLine(grown))")

        let finished = try driver.waitFor("the recorder finished", timeout: Self.recorderTimeout)
        let headline = "the recorder finished: step-limit at step \(Self.recorderSteps)"
        #expect(
            topRow(finished).hasPrefix(" workload-bench.elf — \(headline) "), "banner: \(topRow(finished))")
        #expect(
            statusLine(finished).hasPrefix("step \(Self.recorderSteps) of \(Self.recorderSteps) ")
                && statusLine(finished).contains("\(headline) — the recording is complete"),
            "status line: \(statusLine(finished))")

        #expect(
            try recorder.wait(timeout: Self.recorderTimeout) == 4,
            "record stops at --max-steps with status 4: \(recorder.log)")
        try driver.sendKeys("q")
        let ended = try waitForExit(driver)
        #expect(exitLine(ended) == "EXITED 0", "\(ended)")
        // The recorder could not fold its write-ahead log while the follower read the file;
        // the follower does it when it closes.
        #expect(
            !FileManager.default.fileExists(atPath: recording + "-wal"),
            "the finished recording is one file again")

        try expectVerifies(recording)
        let info = try infoJSON(recording)
        #expect(info["totalSteps"]?.unsigned == Self.recorderSteps, "info: \(info)")
        #expect(info["endReason"]?.string == "step-limit", "info: \(info)")
    }

    @Test func followAKilledWriterStillOpens() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let workload = try FirmwareBuilder.elf("workload-bench")
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let recording = scratch.file("killed.tsr")

        // Without --max-steps: the whole benchmark, far longer than the test lets it run.
        let recorder = try BackgroundTimescope(
            ["record", workload, "-o", recording], log: scratch.file("record.log"), throttled: true)
        defer { recorder.stop() }
        let driver = try TmuxDriver(["watch", "--follow", recording], width: 160, height: 45)
        defer { driver.kill() }
        let growing = try driver.waitFor(
            "the followed recording to pass its first keyframe", timeout: Self.timeout
        ) { screen in
            guard topRow(screen).hasPrefix(" ● FOLLOWING  workload-bench.elf"),
                let now = steps(statusLine(screen))
            else { return false }
            return now.total > 0
        }
        let seen = try #require(steps(statusLine(growing)))

        let pid = recorder.pid
        #expect(recorder.isRunning, "the recorder still runs: \(recorder.log)")
        recorder.stop()  // SIGKILL, and reaped: no finishing touches
        #expect(recorder.terminationStatus == 128 + SIGKILL, "killed: \(recorder.log)")

        let stopped = try driver.waitFor("the view to say the recorder stopped", timeout: Self.timeout) {
            topRow($0).contains("stopped without finishing")
        }
        let total = try #require(steps(statusLine(stopped)), "status line: \(statusLine(stopped))").total
        #expect(total >= seen.total, "the timeline does not shrink: \(seen.total) → \(total)")
        #expect(
            topRow(stopped).contains(
                "the recorder (pid \(pid)) stopped without finishing; the recording ends at step \(total)"),
            "the banner names the dead recorder and where the recording ends: \(topRow(stopped))")
        #expect(
            statusLine(stopped).hasPrefix("step \(total) of \(total) "), "status line: \(statusLine(stopped))"
        )

        try driver.sendKeys("q")
        let ended = try waitForExit(driver)
        #expect(exitLine(ended) == "EXITED 0", "\(ended)")

        let plain = try TimescopeProcess.run(["info", recording])
        #expect(plain.status == 0, "info opens a recording whose writer was killed: \(describe(plain))")
        #expect(plain.stdoutText.contains("stopped without finishing"), "\(plain.stdoutText)")
        let info = try infoJSON(recording)
        #expect(info["totalSteps"]?.unsigned == total, "the file ends where the view said: \(info)")
        #expect(info["endReason"]?.string == "interrupted", "info: \(info)")
        try expectVerifies(recording)
    }

    // MARK: Quitting

    @Test func ctrlCQuitsWhileTyping() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let session = scratch.file("ctrl-c.tsr")
        let driver = try watchEchoAndStartTyping(recordingTo: session)
        defer { driver.kill() }
        try driver.type("x")
        let typing = try driver.waitFor("the echo X", timeout: Self.timeout) {
            consoleLines($0).contains("X")
        }
        let head = try #require(steps(statusLine(typing)))

        try driver.sendKeys("C-c")
        let screen = try waitForExit(driver)
        let rows = screen.components(separatedBy: "\n")
        #expect(exitLine(screen) == "EXITED 0", "Ctrl-C quits as q does:\n\(screen)")
        #expect(rows.contains("icanon"), "the terminal is back in canonical mode:\n\(screen)")
        #expect(!rows.contains("-icanon"), "the terminal was left in raw/cbreak mode:\n\(screen)")
        #expect(
            !screen.contains("Registers"),
            "the inspector's screen is gone (alternate screen left):\n\(screen)")
        #expect(screen.contains("timescope: session saved to \(session) (\(head.total) steps"), "\(screen)")

        try expectVerifies(session)
        let info = try infoJSON(session)
        #expect(info["markers"]?["input"]?.unsigned == 1, "x went to the firmware, Ctrl-C did not: \(info)")
        let arrivals = try inputSteps(session)
        try #require(arrivals.count == 1, "\(arrivals)")
        #expect(
            try receiverFIFOs(session, at: [arrivals[0] + 1]) == [[UInt8(ascii: "x")]],
            "the one byte sent is x")
    }

    /// Without -o the session is kept, as rr keeps traces: `NAME-N.tsr` in the session
    /// directory (here a test's own XDG_DATA_HOME), `latest` pointing at it, and one line on
    /// exit saying where; `view` alone opens it.
    @Test func watchWithoutOutputKeepsTheSession() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let echo = try FirmwareBuilder.elf("echo")
        let home = try TemporaryDirectory("data-home")
        defer { home.remove() }
        let kept = home.file("timescope/echo-1.tsr")
        let driver = try TmuxDriver(
            ["watch", echo], width: 160, height: 45, environment: ["XDG_DATA_HOME": home.path])
        defer { driver.kill() }
        try driver.waitFor("the firmware to wait for input", timeout: Self.timeout) {
            topRow($0).contains("waiting for input") && consoleLines($0).first == "ready"
        }
        try driver.sendKeys("i")
        try driver.waitFor("typing to be on", timeout: Self.timeout) {
            statusLine($0).contains("typing goes to the firmware's UART")
        }
        try driver.type("k")
        let typed = try driver.waitFor("the echo K", timeout: Self.timeout) { consoleLines($0).contains("K") }
        let head = try #require(steps(statusLine(typed)))
        try driver.sendKeys("Escape")
        try driver.sendKeys("q")
        let ended = try waitForExit(driver)
        #expect(exitLine(ended) == "EXITED 0", "\(ended)")
        let saved = ended.components(separatedBy: "\n").filter { $0.hasPrefix("timescope: ") }
        #expect(
            saved.count == 1 && saved[0].hasPrefix("timescope: session saved to \(kept) ("),
            "one line says where:\n\(ended)")

        try expectVerifies(kept)
        #expect(try infoJSON(kept)["markers"]?["input"]?.unsigned == 1, "the typed k is in the kept session")
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: home.file("timescope/latest"))
                == "echo-1.tsr")
        let latest = try TimescopeProcess.run(
            ["view", "--print-frame", "160x45"], environment: ["XDG_DATA_HOME": home.path])
        #expect(latest.status == 0, "\(latest)")
        #expect(
            steps(statusLine(latest.stdoutText))?.total ?? 0 >= head.total,
            "view alone opens the kept session: \(statusLine(latest.stdoutText))")
    }

    /// A hang-up (the terminal window closed) ends the session in order: the typed input is
    /// in the recording, which is complete and folded into one file.
    @Test func hangUpSavesTheSession() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let scratch = try TemporaryDirectory("watch")
        defer { scratch.remove() }
        let session = scratch.file("hup.tsr")
        let driver = try watchEchoAndStartTyping(recordingTo: session)
        defer { driver.kill() }
        try driver.type("ok")
        try driver.waitFor("the echo OK", timeout: Self.timeout) { consoleLines($0).contains("OK") }

        sendSignal(try driver.timescopePID(), SIGHUP)
        let screen = try waitForExit(driver)
        #expect(
            screen.contains("timescope: session saved to \(session)"),
            "a hang-up saves the session:\n\(screen)")
        try expectVerifies(session)
        #expect(
            !FileManager.default.fileExists(atPath: session + "-wal"), "the session is folded into one file")
        let info = try infoJSON(session)
        #expect(info["markers"]?["input"]?.unsigned == 2, "both typed bytes are in the recording: \(info)")
        #expect(info["endReason"]?.string == "interrupted", "info: \(info)")
    }

    // MARK: Reading the screen

    /// The top row: the banner.
    func topRow(_ screen: String) -> String {
        screen.components(separatedBy: "\n").first ?? ""
    }

    /// The bottom row of the screen (the status line).
    func statusLine(_ screen: String) -> String {
        screen.components(separatedBy: "\n").last { !$0.isEmpty } ?? ""
    }

    /// `step S of T` at the start of a status line.
    func steps(_ status: String) -> (step: UInt64, total: UInt64)? {
        guard let match = status.prefixMatch(of: #/step (\d+) of (\d+) /#), let step = UInt64(match.1),
            let total = UInt64(match.2)
        else { return nil }
        return (step, total)
    }

    /// The text lines of the Console pane (trailing blanks trimmed, empty lines at the bottom
    /// dropped). Every cell on the screen is one character wide, so a character's index in a
    /// row is its column.
    func consoleLines(_ screen: String) -> [String] {
        let rows = screen.components(separatedBy: "\n").map { Array($0) }
        let title = Array("┌─ Console")
        for (index, row) in rows.enumerated() {
            guard
                let column = (0..<max(0, row.count - title.count + 1)).first(where: {
                    Array(row[$0..<$0 + title.count]) == title
                })
            else { continue }
            var lines: [String] = []
            for inner in rows[(index + 1)...] {
                guard column < inner.count, inner[column] == "│" else { break }
                let content = inner[(column + 1)...].prefix { $0 != "│" }
                lines.append(
                    String(content).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression))
            }
            while lines.last == "" { lines.removeLast() }
            return lines
        }
        return []
    }

    /// Waits until the pane's wrapper has printed the exit status and the tty's icanon flag
    /// (the inspector ended), and returns that screen.
    func waitForExit(_ driver: TmuxDriver) throws -> String {
        try driver.waitFor("the inspector to exit", timeout: Self.timeout) { screen in
            let rows = screen.components(separatedBy: "\n")
            return rows.contains { $0.hasPrefix("EXITED ") } && rows.contains { $0.hasSuffix("icanon") }
        }
    }

    func exitLine(_ screen: String) -> String {
        screen.components(separatedBy: "\n").first { $0.hasPrefix("EXITED ") } ?? ""
    }

    // MARK: Reading the recording

    func describe(_ result: ProcessResult) -> String { result.description }

    func expectVerifies(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let verify = try TimescopeProcess.run(["verify", path])
        #expect(
            verify.status == 0 && verify.stdoutText.hasPrefix("ok: "), "verify \(path): \(describe(verify))",
            sourceLocation: sourceLocation)
    }

    func infoJSON(_ path: String) throws -> ParsedJSON {
        let info = try TimescopeProcess.run(["info", path, "--json"])
        try #require(info.status == 0, "info \(path): \(describe(info))")
        return try ParsedJSON.parse(info.stdoutText)
    }

    /// Every step the input log delivers a byte at, in order: `find --event input` from the
    /// start, one match after another.
    func inputSteps(_ path: String) throws -> [UInt64] {
        var found: [UInt64] = []
        if let atZero = try findInput(path, "--before", "0") { found.append(atZero) }
        var after: UInt64 = 0
        while let step = try findInput(path, "--after", String(after)) {
            try #require(step > after, "find --after \(after) gave \(step)")
            found.append(step)
            after = step
        }
        return found
    }

    /// The step of the nearest input marker (`find --event input DIRECTION WHEN`), nil when
    /// there is none.
    func findInput(_ path: String, _ direction: String, _ when: String) throws -> UInt64? {
        let result = try TimescopeProcess.run(["find", path, "--event", "input", direction, when, "--json"])
        if result.status == 1 && result.stderr.contains("not found") { return nil }
        try #require(result.status == 0, "find \(direction) \(when): \(describe(result))")
        return try #require(
            try ParsedJSON.parse(result.stdoutText)["step"]?.unsigned, "find: \(describe(result))")
    }

    /// `state --at` for each step, one JSON line each, as printed.
    func stateLines(_ path: String, at steps: [String]) throws -> [String] {
        let result = try TimescopeProcess.run(["state", path] + steps.flatMap { ["--at", $0] } + ["--json"])
        try #require(result.status == 0, "state: \(describe(result))")
        return result.stdoutText.split(separator: "\n").map(String.init)
    }

    /// The UART receiver's bytes (`devices.uart.rxFifo`) in the state at each step.
    func receiverFIFOs(_ path: String, at steps: [UInt64]) throws -> [[UInt8]] {
        try stateLines(path, at: steps.map(String.init)).map { line in
            let state = try ParsedJSON.parse(line)
            let fifo = try #require(state["devices"]?["uart"]?["rxFifo"]?.elements, "no rxFifo in \(line)")
            return fifo.compactMap { $0.unsigned.map { UInt8(truncatingIfNeeded: $0) } }
        }
    }

    /// The Console pane of `view --at step`, printed as one frame.
    func consoleAt(_ path: String, step: UInt64) throws -> [String] {
        let frame = try TimescopeProcess.run(["view", path, "--at", String(step), "--print-frame", "160x45"])
        try #require(frame.status == 0, "view --print-frame: \(describe(frame))")
        let screen = frame.stdoutText
        #expect(
            steps(statusLine(screen))?.step == step, "the frame is at step \(step): \(statusLine(screen))")
        return consoleLines(screen)
    }
}

/// `timescope <arguments>` running in the background (a recorder another view follows), its
/// stdout and stderr in a log file. `stop()` kills it with SIGKILL and reaps it (a zombie would
/// still look alive to `kill(pid, 0)`, which is how a follower tells a dead writer).
private final class BackgroundTimescope {
    private let process = Process()
    private let logPath: String
    private var launched = false
    private let throttle = Throttle()

    /// With `throttled`, it runs a fifth of the time (20 ms running, 80 ms stopped with SIGSTOP):
    /// compiled code records a billion steps in about a second, faster than a follower's screen
    /// can be seen growing, and a follower must be seen while the recorder still runs.
    init(_ arguments: [String], log: String, throttled: Bool = false) throws {
        logPath = log
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close() }
        process.executableURL = URL(fileURLWithPath: try TimescopeProcess.binaryPath())
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        launched = true
        if throttled { startThrottling() }
    }

    /// Whether the throttling thread should keep going; it ends when the process does.
    private final class Throttle: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        var isStopped: Bool { lock.withLock { stopped } }
        func stop() { lock.withLock { stopped = true } }
    }

    private func startThrottling() {
        let process = process
        let throttle = throttle
        let pid = process.processIdentifier
        let thread = Thread {
            while !throttle.isStopped && process.isRunning {
                usleep(20_000)
                guard !throttle.isStopped && process.isRunning else { break }
                sendSignal(pid, SIGSTOP)
                usleep(80_000)
                sendSignal(pid, SIGCONT)
            }
        }
        thread.start()
    }

    deinit { stop() }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The exit status (128 + the signal for a killed process); only once it has ended.
    var terminationStatus: Int32 {
        process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// What it printed so far.
    var log: String {
        String(decoding: FileManager.default.contents(atPath: logPath) ?? Data(), as: UTF8.self)
    }

    /// Waits for it to end and returns its exit status; kills it and throws after `timeout`.
    func wait(timeout: TimeInterval) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                stop()
                throw ProcessFailure(
                    "timescope \(process.arguments ?? []) did not finish within \(Int(timeout)) s; killed. Log:\n\(log)"
                )
            }
            usleep(20_000)  // the polling interval
        }
        process.waitUntilExit()
        return terminationStatus
    }

    /// Kills it (if it still runs) and waits until it is reaped.
    func stop() {
        guard launched else { return }
        throttle.stop()
        if process.isRunning { sendSignal(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
