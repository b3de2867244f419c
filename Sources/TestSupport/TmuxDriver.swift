import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// `kill(2)` (a free function, so that `TmuxDriver.kill()` does not hide it).
public func sendSignal(_ pid: pid_t, _ signal: Int32) {
    _ = kill(pid, signal)
}

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
    private let scratch: TemporaryDirectory
    private var killed = false
    /// The server's socket file (tmux leaves it behind after kill-server).
    private var socketPath: String?

    /// Starts `timescope <arguments>` (e.g. `["view", "Recordings/crash.tsr"]`) in a new
    /// detached session of `width`×`height` cells.
    ///
    /// - Parameters:
    ///   - noColor: sets `NO_COLOR=1` in the pane's environment (otherwise NO_COLOR is removed
    ///     from it, whatever the test process's environment says).
    ///   - term: the pane's TERM; nil picks `tmux-256color` when its terminfo entry is
    ///     installed, else `screen-256color`.
    ///   - environment: variables set in the pane. `XDG_DATA_HOME` is
    ///     `TimescopeProcess.dataHome` unless given here: a test never keeps sessions in the
    ///     real home.
    /// - Throws: `ToolMissing` when tmux is not installed (callers use
    ///   `RequiredTool.require(TmuxDriver.tool)` first), `ProcessFailure` when tmux fails.
    public init(
        _ arguments: [String], width: Int = 160, height: Int = 45, noColor: Bool = false,
        term: String? = nil, environment variables: [String: String] = [:]
    ) throws {
        try Self.tool.check()
        tmuxPath = Self.tool.path ?? "tmux"
        socket = "timescope-test-\(getpid())-\(Self.counter.next())"
        self.term = term ?? Self.defaultTerm
        scratch = try TemporaryDirectory("tmux")
        // No status bar (the pane is the whole window); a pane whose command died stays on
        // screen, so a crash or a signal still leaves something to read.
        let configuration = scratch.file("tmux.conf")
        try Data("set -g status off\nset -g remain-on-exit on\nset -g history-limit 0\n".utf8)
            .write(to: URL(fileURLWithPath: configuration))

        let binary = try TimescopeProcess.binaryPath()
        let script = #""$0" "$@"; echo "EXITED $?"; stty -a | grep -o -- "-\?icanon"; sleep 30"#
        var environment = ["-e", "TERM=\(self.term)", "-e", "SWIFT_BACKTRACE=interactive=no"]
        if noColor { environment += ["-e", "NO_COLOR=1"] }
        var paneVariables = ["XDG_DATA_HOME": TimescopeProcess.dataHome]
        paneVariables.merge(variables) { _, given in given }
        for (name, value) in paneVariables.sorted(by: { $0.key < $1.key }) {
            environment += ["-e", "\(name)=\(value)"]
        }
        do {
            try tmux(
                [
                    "-f", configuration, "new-session", "-d", "-s", session, "-x", String(width), "-y",
                    String(height),
                ]
                    + environment + ["-c", TimescopeProcess.packageRoot.path, "bash", "-c", script, binary]
                    + arguments)
            socketPath = try tmux(["display-message", "-p", "-t", session, "#{socket_path}"])
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            kill()
            throw error
        }
    }

    deinit { kill() }

    /// Kills this driver's tmux server (and with it the inspector); called by deinit.
    public func kill() {
        guard !killed else { return }
        killed = true
        _ = try? Self.spawn(tmuxPath, ["-L", socket, "kill-server"], timeout: 10)
        scratch.remove()
        if let socketPath, !socketPath.isEmpty { try? FileManager.default.removeItem(atPath: socketPath) }
    }

    // MARK: Driving

    /// Runs `tmux -L <socket> arguments` and returns its standard output; throws when tmux fails.
    @discardableResult
    public func tmux(_ arguments: [String]) throws -> String {
        let result = try Self.spawn(tmuxPath, ["-L", socket] + arguments, timeout: 10)
        guard result.status == 0 else {
            throw ProcessFailure(
                "tmux \(arguments.joined(separator: " ")) failed (\(result.status)): \(result.stderr)")
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
        let result = try Self.spawn("/usr/bin/env", ["pgrep", "-P", String(shell), "timescope"], timeout: 10)
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

    /// Runs `executable` the way a shell in a terminal would, and waits for it.
    ///
    /// Not `runProcess` (Foundation's `Process`): the first tmux client forks the server,
    /// which daemonises and would inherit Foundation's termination-detection socket, so the
    /// client's exit would never be noticed. Here the child gets only stdin (/dev/null) and
    /// stdout/stderr (temporary files): every other descriptor is closed; and it starts with
    /// an empty signal mask and default handlers (a test runner's threads block SIGINT and
    /// SIGTERM, and tmux would hand that mask down to the inspector).
    static func spawn(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws
        -> ProcessResult
    {
        let directory = try TemporaryDirectory("tmux-run")
        defer { directory.remove() }
        let outPath = directory.file("stdout")
        let errPath = directory.file("stderr")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard error == 0 else {
            throw ProcessFailure("cannot start \(executable): \(String(cString: strerror(error)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR {
                throw ProcessFailure("waitpid \(executable): \(String(cString: strerror(errno)))")
            }
            if Date() > deadline {
                sendSignal(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw ProcessFailure(
                    "\(executable) \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s; killed"
                )
            }
            usleep(2_000)
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import (they are macros).
        let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let out = FileManager.default.contents(atPath: outPath) ?? Data()
        let err = FileManager.default.contents(atPath: errPath) ?? Data()
        return ProcessResult(
            status: exitStatus, stdout: [UInt8](out), stderr: String(decoding: err, as: UTF8.self))
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift does not import.
    private static let addCloseFrom:
        (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            guard
                let symbol = dlsym(
                    UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
            else {
                return nil
            }
            return unsafeBitCast(
                symbol,
                to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
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
