@preconcurrency import CNCurses

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Puts the terminal back however the process ends: `end()`, `exit()`, Ctrl-C, SIGTERM or
/// SIGHUP, or a crash (a Swift runtime trap is SIGILL or SIGTRAP; also SIGABRT,
/// SIGSEGV, SIGBUS, SIGFPE, SIGQUIT).
///
/// The state lives in a C struct (`timescope_terminal_guard`) allocated once, because signal
/// handlers may only touch `sig_atomic_t` flags and file descriptors. Fatal handlers restore the
/// terminal, then hand the signal to whatever handled it before (the Swift runtime's
/// backtracer, or the default action), so crash reports still appear — now on a usable
/// terminal. While curses runs, SIGINT, SIGTERM and SIGHUP (the terminal went away) only raise
/// `interruptRequested`, so the application ends in order (a live session finishes its
/// recording); a second
/// one before the application has taken notice ends the process, as does one while curses is
/// not running.
enum TerminalGuard {
    nonisolated(unsafe) static let state: UnsafeMutablePointer<timescope_terminal_guard> = {
        let state = UnsafeMutablePointer<timescope_terminal_guard>.allocate(capacity: 1)
        timescope_guard_initialize(state)
        return state
    }()

    nonisolated(unsafe) private static var isInstalled = false

    static let fatalSignals: [Int32] = [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGQUIT]
    static let interruptSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private static let alternateStackSize = 64 * 1024

    /// Installs the handlers and the exit hook, once per process. Signals the process was told
    /// to ignore (SIGINT in a background job, SIGHUP under nohup) stay ignored.
    static func install() {
        guard !isInstalled else { return }
        isInstalled = true
        let state = self.state
        let stack = UnsafeMutableRawPointer.allocate(byteCount: alternateStackSize, alignment: 16)
        timescope_ensure_alternate_signal_stack(stack, alternateStackSize)
        for signal in fatalSignals {
            _ = timescope_guard_install(state, signal, handleFatalSignal, 0)
        }
        for signal in interruptSignals where timescope_signal_is_ignored(signal) == 0 {
            _ = timescope_guard_install(state, signal, handleInterruptSignal, 1)
        }
        atexit(restoreAtExit)
    }

    /// Whether SIGINT, SIGTERM or SIGHUP arrived and nobody has acted on it yet.
    static var interruptRequested: Bool {
        get { timescope_guard_interrupt_requested(state) != 0 }
        set { timescope_guard_set_interrupt_requested(state, newValue ? 1 : 0) }
    }

    /// Clears a pending interrupt and says whether there was one.
    static func takeInterrupt() -> Bool {
        guard interruptRequested else { return false }
        interruptRequested = false
        return true
    }

    /// Records that curses owns the terminal (or no longer does).
    static func setCursesActive(_ isActive: Bool) {
        timescope_guard_set_curses_active(state, isActive ? 1 : 0)
    }

    /// Sends fd 2 to an anonymous temporary file while curses draws, when stderr is the
    /// terminal; `restore()` replays it. Without this, a message written to stderr would
    /// scribble over the screen, and a crash message would vanish with the alternate screen.
    static func captureStandardError() {
        guard isatty(STDERR_FILENO) != 0, let file = tmpfile() else { return }
        let capture = dup(fileno(file))
        fclose(file)
        guard capture >= 0 else { return }
        if timescope_guard_capture_stderr(state, capture) != 0 { close(capture) }
    }

    /// Ends curses if it is active and replays captured stderr. Safe to call more than once.
    static func restore() {
        timescope_guard_restore_terminal(state)
    }
}

private func handleFatalSignal(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
) {
    timescope_guard_handle_fatal(TerminalGuard.state, signal, info)
}

private func handleInterruptSignal(
    _ signal: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?
) {
    timescope_guard_handle_interrupt(TerminalGuard.state, signal, info)
}

private func restoreAtExit() {
    timescope_guard_restore_terminal(TerminalGuard.state)
}
