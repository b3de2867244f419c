import Foundation

/// Runs the built `timescope` in a detached tmux session, the way a user sees it in a terminal,
/// for end-to-end tests of the inspector: send keys, read the screen, resize the window.
///
/// Every driver has its OWN tmux server (`tmux -L timescope-test-<pid>-<n>`, with an empty
/// configuration), so tests can run in parallel and the user's default tmux server is never
/// touched. The server is killed when the driver goes away.
///
/// The pane runs
///
///     bash -c '"$0" view "$1"; echo "EXITED $?"; stty -a | grep -o -- "-\?icanon"; sleep 30'
///
/// so that after the inspector ends the screen shows its exit status (`EXITED 0`) and whether
/// the terminal was restored (a line `icanon`; `-icanon` means it was left in raw/cbreak mode).
///
/// Synchronisation is always by polling the screen (`waitFor`, every 50 ms, with a timeout),
/// never by fixed sleeps.
public final class TmuxDriver {
    /// The tmux tool and the Debian package that provides it.
    public static let tool = RequiredTool("tmux", packages: ["tmux"])

    /// The `-L` socket name of this driver's private tmux server.
    public let socket: String
    /// The session (and target) name inside that server.
    public let session = "inspector"
    /// The TERM the pane runs with.
    public let term: String
    private let tmuxPath: String
    private let scratch: String
    private var killed = false

    /// Starts `timescope <arguments>` (e.g. `["view", "Recordings/crash.tsr"]`) in a new
    /// detached session of `width`×`height` cells.
    ///
    /// - Parameters:
    ///   - noColor: sets `NO_COLOR=1` in the pane's environment (otherwise NO_COLOR is removed
    ///     from it, whatever the test process's environment says).
    ///   - term: the pane's TERM; nil picks `tmux-256color` when its terminfo entry is
    ///     installed, else `screen-256color`.
    /// - Throws: `ToolMissing` when tmux is not installed (callers use
    ///   `RequiredTool.require(TmuxDriver.tool)` first), `ProcessFailure` when tmux fails.
    public init(
        _ arguments: [String], width: Int = 160, height: Int = 45, noColor: Bool = false,
        term: String? = nil
    ) throws {
        try Self.tool.check()
        tmuxPath = Self.tool.path!
        socket = "timescope-test-\(getpid())-\(Self.counter.next())"
        self.term = term ?? Self.defaultTerm
        scratch = NSTemporaryDirectory() + "timescope-tmux-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        // No status bar (the pane is the whole window); a pane whose command died stays on
        // screen, so a crash or a signal still leaves something to read.
        let configuration = scratch + "/tmux.conf"
        try Data("set -g status off\nset -g remain-on-exit on\nset -g history-limit 0\n".utf8)
            .write(to: URL(fileURLWithPath: configuration))

        let binary = try TimescopeProcess.binaryPath()
        let script = #""$0" "$@"; echo "EXITED $?"; stty -a | grep -o -- "-\?icanon"; sleep 30"#
        var environment = ["-e", "TERM=\(self.term)", "-e", "SWIFT_BACKTRACE=interactive=no"]
        if noColor { environment += ["-e", "NO_COLOR=1"] }
        do {
            try tmux(
                ["-f", configuration, "new-session", "-d", "-s", session, "-x", String(width), "-y", String(height)]
                    + environment + ["-c", TimescopeProcess.packageRoot.path, "bash", "-c", script, binary]
                    + arguments)
        } catch {
            try? FileManager.default.removeItem(atPath: scratch)
            throw error
        }
    }

    deinit { kill() }

    /// Kills this driver's tmux server (and with it the inspector); called by deinit.
    public func kill() {
        guard !killed else { return }
        killed = true
        _ = try? runProcess(tmuxPath, ["-L", socket, "kill-server"], environment: Self.environment, timeout: 10)
        try? FileManager.default.removeItem(atPath: scratch)
    }

    // MARK: Driving

    /// Runs `tmux -L <socket> arguments` and returns its standard output; throws when tmux fails.
    @discardableResult
    public func tmux(_ arguments: [String]) throws -> String {
        let result = try runProcess(tmuxPath, ["-L", socket] + arguments, environment: Self.environment, timeout: 10)
        guard result.status == 0 else {
            throw ProcessFailure("tmux \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
        }
        return result.stdoutText
    }

    /// Sends tmux key names, one key each: `Left`, `S-Left`, `Home`, `End`, `Enter`, `C-c`,
    /// `q`, `?`.
    public func sendKeys(_ keys: String...) throws {
        try tmux(["send-keys", "-t", session] + keys)
    }

    /// Types `text` literally (`send-keys -l`), character by character as a user would.
    public func type(_ text: String) throws {
        try tmux(["send-keys", "-t", session, "-l", text])
    }

    /// The visible screen, one line per row (trailing blanks trimmed by tmux); with `escapes`,
    /// the SGR escape sequences of the cells' colours and attributes are included (`-e`).
    public func capture(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p", "-t", session] + (escapes ? ["-e"] : []))
    }

    /// The visible screen's rows (exactly the window's height of them).
    public func rows() throws -> [String] {
        var lines = try capture().components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Resizes the window (the inspector gets SIGWINCH, as from a terminal emulator).
    public func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", session, "-x", String(width), "-y", String(height)])
    }

    /// The pid of the pane's shell (the `bash -c` wrapper).
    public func panePID() throws -> pid_t {
        let output = try tmux(["list-panes", "-t", session, "-F", "#{pane_pid}"])
        guard let pid = pid_t(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ProcessFailure("tmux list-panes gave no pane pid: \(output.debugDescription)")
        }
        return pid
    }

    /// The pid of the running `timescope` (the pane shell's child).
    public func timescopePID() throws -> pid_t {
        let shell = try panePID()
        let result = try runProcess("/usr/bin/env", ["pgrep", "-P", String(shell), "timescope"], timeout: 10)
        let pids = result.stdoutText.split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
        guard pids.count == 1, let pid = pids.first else {
            throw ProcessFailure("expected one timescope child of the pane's shell \(shell), found \(pids)")
        }
        return pid
    }

    // MARK: Waiting

    /// Polls the screen every 50 ms until it contains `text`; returns that screen. Throws,
    /// with the last screen in the message, after `timeout` seconds.
    @discardableResult
    public func waitFor(_ text: String, timeout: TimeInterval = 10) throws -> String {
        try waitFor("the screen to show \(text.debugDescription)", timeout: timeout) { $0.contains(text) }
    }

    /// Polls the screen every 50 ms until `condition` holds for it; returns that screen.
    /// `what` describes the condition for the failure message.
    @discardableResult
    public func waitFor(
        _ what: String, timeout: TimeInterval = 10, escapes: Bool = false, until condition: (String) -> Bool
    ) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while true {
            screen = try capture(escapes: escapes)
            if condition(screen) { return screen }
            if Date() > deadline { break }
            usleep(50_000)  // the polling interval, not a synchronisation delay
        }
        throw ProcessFailure(
            "timed out after \(timeout) s waiting for \(what); the screen was:\n"
                + screen.split(separator: "\n", omittingEmptySubsequences: false)
                .map { "|" + $0 }.joined(separator: "\n"))
    }

    // MARK: Setup

    /// `tmux-256color` when its terminfo entry is installed (it knows Shift-arrows, which
    /// `screen-256color` does not), else `screen-256color`.
    public static let defaultTerm: String = {
        let directories = ["/usr/share/terminfo", "/lib/terminfo", "/etc/terminfo", "/usr/lib/terminfo"]
        let found = directories.contains { directory in
            ["t/tmux-256color", "74/tmux-256color"].contains {
                FileManager.default.fileExists(atPath: directory + "/" + $0)
            }
        }
        return found ? "tmux-256color" : "screen-256color"
    }()

    /// The environment tmux runs with: ours, without NO_COLOR (the pane gets it only when a
    /// test asks) and without TMUX (a test run inside tmux must not look nested).
    private static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = nil
        environment["TMUX"] = nil
        environment["TMUX_PANE"] = nil
        return environment
    }()

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value
        }
    }
    private static let counter = Counter()
}
