import Foundation
import Testing
import TestSupport

/// `timescope view Recordings/crash.tsr` in a real terminal (tmux): what a user sees after each
/// key, live resizing, NO_COLOR, and that every way of quitting gives the terminal back.
///
/// Each test starts the built binary in its own tmux server (`TmuxDriver`) and polls the screen
/// with a timeout; nothing waits a fixed time. tmux is required: a missing tmux fails these
/// tests with the install command (unless TIMESCOPE_ALLOW_MISSING_TOOLS=1).
@Suite struct InspectorTmuxTests {
    static let recording = TimescopeProcess.packageRoot.appendingPathComponent("Recordings/crash.tsr").path
    /// The status line at the end of the recording (where the inspector opens).
    static let atTheEnd = "step 5482256 of 5482256"

    /// Opens the crash demo and waits for its first frame.
    func openCrash(width: Int = 160, height: Int = 45, noColor: Bool = false) throws -> TmuxDriver {
        let driver = try TmuxDriver(["view", Self.recording], width: width, height: height, noColor: noColor)
        try driver.waitFor(Self.atTheEnd, timeout: 20)
        return driver
    }

    /// The bottom row of the screen (the status line).
    func statusLine(_ screen: String) -> String {
        screen.components(separatedBy: "\n").last { !$0.isEmpty } ?? ""
    }

    // MARK: What the user sees

    @Test func opensAtTheCrashWithABanner() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()
        let screen = try driver.waitFor("CRASH: instruction access fault at pc 0x31726574")
        let rows = screen.components(separatedBy: "\n")
        #expect(
            rows.first?.contains("CRASH: instruction access fault at pc 0x31726574") == true,
            "the banner is the top row")
        #expect(statusLine(screen).hasPrefix(Self.atTheEnd), "status line: \(statusLine(screen))")
    }

    @Test func scrubbingMovesThroughTime() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()

        // At the machine level (a): the disassembly.
        try driver.sendKeys("a", "Left", "Left")
        let screen = try driver.waitFor("▶ 8000035e  jalr a5")
        #expect(screen.contains("Code: poll_sensors"), "the code pane's title names the function")
        #expect(statusLine(screen).hasPrefix("step 5482254 of 5482256"), "status line: \(statusLine(screen))")

        try driver.sendKeys("Home")
        try driver.waitFor("the status line to show step 0") { statusLine($0).hasPrefix("step 0 of 5482256") }
        try driver.sendKeys("End")
        try driver.waitFor("the status line to show the end") { statusLine($0).hasPrefix(Self.atTheEnd) }
        try driver.sendKeys("S-Left")
        try driver.waitFor("Shift-Left to go back ten steps") { statusLine($0).hasPrefix("step 5482246 of") }
    }

    /// The post-mortem path of the crash demo: go to the corrupted word in `sensors` and ask
    /// who last wrote it: `copy_name`, at step 684.
    @Test func lastWriteFindsTheCorruptingStore() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()
        try driver.type("@sensors+56")
        try driver.sendKeys("Enter")
        try driver.sendKeys("W")
        let screen = try driver.waitFor("the status line to show step 684 in copy_name") {
            let status = statusLine($0)
            return status.contains("step 684") && status.contains("copy_name")
        }
        #expect(statusLine(screen).hasPrefix("step 684 of 5482256"), "status line: \(statusLine(screen))")
    }

    /// README's walkthrough at source level, at the minimum size: the crash line in
    /// `poll_sensors`, the bad function pointer by name and value, and `W` to the C line in
    /// `copy_name` that wrote it, with its arguments.
    @Test func theSourceLevelWalkthroughGoesFromTheCrashLineToTheLineThatWroteThePointer() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash(width: 80, height: 24)
        let crash = try driver.waitFor("the crash line in poll_sensors") {
            $0.contains("Source: sensorhub.c:80 — poll_sensors") && $0.contains("▶ 80 ")
                && $0.contains("uint32_t sample = sensor->read(sensor);")
        }
        #expect(
            crash.contains("▶#1 poll_sensors line 80"), "frame 1 is the one with a line:\n\(crash)")
        try driver.sendKeys("Tab", "Right", "Down", "Down")
        let pointer = try driver.waitFor("read = 0x31726574")
        #expect(pointer.contains("▾ sensor = 0x80001034 <sensors+48>"), "\(pointer)")
        try driver.sendKeys("W")
        let written = try driver.waitFor("the line in copy_name at step 684") {
            statusLine($0).hasPrefix("step 684 of 5482256")
                && $0.contains("Source: sensorhub.c:37 — copy_name")
        }
        #expect(written.contains("▶ 37   while ((*destination++ = *source++) != 0)"), "\(written)")
        #expect(written.contains("destination = 0x80001040 <sensors+60>"), "\(written)")
        #expect(written.contains("source = 0x80000408"), "\(written)")
    }

    /// Space plays the recording and stops exactly at a breakpoint's hit, forwards and, after
    /// r, backwards; the status line says which breakpoint. `register_sensor` runs in the
    /// states 258, 434 and 609 of the crash demo.
    @Test func playbackStopsAtABreakpointHitForwardsAndBackwards() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()
        try driver.type("bregister_sensor")
        try driver.sendKeys("Enter")
        try driver.waitFor("the breakpoint to be set") {
            statusLine($0).contains("breakpoint 1 at 0x800002d2 (register_sensor)")
        }
        try driver.sendKeys("Home")
        try driver.waitFor("the status line to show step 0") { statusLine($0).hasPrefix("step 0 of") }
        try driver.sendKeys("Space")
        let forward = try driver.waitFor("playback to stop at the first hit") {
            statusLine($0).contains("breakpoint 1 at 0x800002d2 (register_sensor) at step 258")
        }
        #expect(statusLine(forward).hasPrefix("step 258 of 5482256"), "status line: \(statusLine(forward))")
        #expect(!statusLine(forward).contains("▶ ×"), "playback paused at the hit")

        try driver.type("g700")
        try driver.sendKeys("Enter")
        try driver.waitFor("the status line to show step 700") { statusLine($0).hasPrefix("step 700 of") }
        try driver.sendKeys("r", "Space")
        let backward = try driver.waitFor("reverse playback to stop at the last hit before") {
            statusLine($0).contains("at step 609")
        }
        #expect(statusLine(backward).hasPrefix("step 609 of 5482256"), "status line: \(statusLine(backward))")
        try driver.sendKeys("Space")
        let again = try driver.waitFor("reverse playback to stop at the hit before that") {
            statusLine($0).contains("at step 434")
        }
        #expect(statusLine(again).hasPrefix("step 434 of 5482256"), "status line: \(statusLine(again))")
    }

    @Test func helpOverlayOpensAndAnyKeyClosesIt() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()
        try driver.sendKeys("?")
        // The whole overlay: its title and its last row (a frame may be caught half drawn).
        let screen = try driver.waitFor("the overlay with its last row") {
            $0.contains("Keys — any key closes") && $0.contains("scroll the help or the list")
        }
        #expect(screen.contains("last write"), "the overlay lists W")
        try driver.sendKeys("x")
        let closed = try driver.waitFor("the overlay to close") { !$0.contains("Keys — any key closes") }
        #expect(
            statusLine(closed).hasPrefix(Self.atTheEnd),
            "the closing key did nothing else: \(statusLine(closed))")
    }

    @Test func aBadCommandSaysSoInTheStatusLine() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()
        try driver.type(":frobnicate")
        try driver.sendKeys("Enter")
        try driver.waitFor("the status line to report the unknown command") {
            statusLine($0).contains("unknown command :frobnicate")
        }
    }

    // MARK: The terminal

    @Test func resizesLiveAndSaysWhenTooSmall() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash(width: 160, height: 45)

        /// A full frame of `width`×`height`: the banner on top, the status line on the last
        /// row, and the box borders reaching the right edge.
        func isFullFrame(_ screen: String, width: Int, height: Int) -> Bool {
            var rows = screen.components(separatedBy: "\n")
            if rows.last == "" { rows.removeLast() }
            return rows.count == height && rows[height - 1].hasPrefix("step ")
                && rows[0].contains("CRASH") && rows.allSatisfy { $0.count <= width }
                && rows[1].count == width && rows[1].hasSuffix("┐")
                && !screen.contains("terminal too small")
        }

        #expect(isFullFrame(try driver.capture(), width: 160, height: 45))
        try driver.resize(width: 100, height: 30)
        try driver.waitFor("a full 100×30 frame") { isFullFrame($0, width: 100, height: 30) }

        try driver.resize(width: 60, height: 20)
        try driver.waitFor("terminal too small: 60×20, need 80×24")

        try driver.resize(width: 120, height: 40)
        let screen = try driver.waitFor("a full 120×40 frame") { isFullFrame($0, width: 120, height: 40) }
        #expect(
            screen.contains("Registers") && screen.contains("Source: sensorhub.c:80"), "the panes are back")
        #expect(statusLine(screen).hasPrefix(Self.atTheEnd), "the position survived: \(statusLine(screen))")
    }

    /// NO_COLOR=1: no colour at all on the screen (bold, reverse, dim are allowed), and changed
    /// registers still marked without colour. Without it, colours do appear.
    @Test func noColorMeansNoColourCodes() throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let coloured = try openCrash()
        let plain = try openCrash(noColor: true)

        let colourful = try coloured.capture(escapes: true)
        #expect(!colourCodes(colourful).isEmpty, "without NO_COLOR the inspector uses colour")

        let screen = try plain.capture(escapes: true)
        let codes = colourCodes(screen)
        #expect(codes.isEmpty, "NO_COLOR=1 but the screen has colour codes: \(Set(codes).sorted())")
        #expect(screen.contains("\u{1B}["), "attributes (bold/reverse) are still used")
        let text = try plain.capture()
        let changedPC = try Regex(#"pc\s+[0-9a-f]{8} ?\*"#)
        #expect(
            text.contains(changedPC),
            "the register changed by the last step (pc) is marked with * without colour:\n\(text)")
    }

    /// Quitting with `q`, Ctrl-C or SIGTERM ends the inspector and gives the terminal back in
    /// canonical mode (`stty` shows `icanon`, not `-icanon`).
    @Test(arguments: ["q", "C-c", "SIGTERM"])
    func quittingRestoresTheTerminal(_ how: String) throws {
        guard try RequiredTool.require(TmuxDriver.tool) else { return }
        let driver = try openCrash()
        switch how {
        case "SIGTERM":
            let pid = try driver.timescopePID()
            #expect(kill(pid, SIGTERM) == 0)
        default:
            try driver.sendKeys(how)
        }
        let screen = try driver.waitFor("the wrapper to print the exit status and the tty's icanon flag") {
            screen in
            let rows = screen.components(separatedBy: "\n")
            return rows.contains { $0.hasPrefix("EXITED ") } && rows.contains { $0.hasSuffix("icanon") }
        }
        let rows = screen.components(separatedBy: "\n")
        let exited = rows.first { $0.hasPrefix("EXITED ") } ?? ""
        #expect(rows.contains("icanon"), "the terminal is back in canonical mode:\n\(screen)")
        #expect(!rows.contains("-icanon"), "the terminal was left in raw/cbreak mode:\n\(screen)")
        if how == "q" {
            #expect(exited == "EXITED 0", "q exits with status 0: \(exited)")
        }
        #expect(
            !screen.contains("Registers"),
            "the inspector's screen is gone (alternate screen left):\n\(screen)")
    }
}

/// The SGR colour parameters (foreground/background 30–38, 40–48, 90–97, 100–107, with 38/48
/// extended colours) in `screen`'s escape sequences; 39/49 (default colour) are not colours.
func colourCodes(_ screen: String) -> [String] {
    var found: [String] = []
    var rest = Substring(screen)
    while let start = rest.range(of: "\u{1B}[") {
        rest = rest[start.upperBound...]
        let parameters = rest.prefix { $0.isNumber || $0 == ";" }
        rest = rest[parameters.endIndex...]
        guard rest.first == "m" else { continue }
        for parameter in parameters.split(separator: ";", omittingEmptySubsequences: false) {
            guard let value = Int(parameter) else { continue }
            if (30...38).contains(value) || (40...48).contains(value) || (90...97).contains(value)
                || (100...107).contains(value)
            {
                found.append("\\e[\(parameters)m")
                break
            }
        }
    }
    return found
}
