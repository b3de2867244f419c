/*
 * The C side of Timescope's terminal layer: ncursesw with wide characters, plus small
 * functions for what Swift cannot import (attribute and key macros, ACS lookups) and for the
 * signal-handler work that must stay in plain C (flags, fd juggling, re-raising).
 *
 * Nothing here keeps state of its own: a `static` variable in a header would exist once per
 * object file that Swift emits these inline functions into. State lives in a
 * `timescope_terminal_guard` that Terminal allocates once and passes in.
 */
#ifndef TIMESCOPE_CNCURSES_SHIM_H
#define TIMESCOPE_CNCURSES_SHIM_H

/* SwiftPM drops the -D flags of ncursesw's pkg-config file; without these the wide API
   (get_wch, cchar_t, setcchar) is not declared. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#if __has_include(<ncursesw/curses.h>)
#include <ncursesw/curses.h>
#else
#include <curses.h>
#endif

/* ---- Values behind macros ---------------------------------------------------------------- */

static inline attr_t timescope_attribute_normal(void) { return A_NORMAL; }
static inline attr_t timescope_attribute_bold(void) { return A_BOLD; }
static inline attr_t timescope_attribute_dim(void) { return A_DIM; }
static inline attr_t timescope_attribute_reverse(void) { return A_REVERSE; }
static inline attr_t timescope_attribute_underline(void) { return A_UNDERLINE; }

/* The attribute bits that select colour pair `pair` (for the chtype API). */
static inline attr_t timescope_color_pair(int pair) { return (attr_t)COLOR_PAIR(pair); }

/* Key code of function key Fn. */
static inline int timescope_key_function(int n) { return KEY_F(n); }

/* The alternate-character-set glyph for VT100 letter `letter` ('q' is a horizontal line);
   only meaningful after the terminal is initialised. */
static inline chtype timescope_acs(unsigned char letter) { return NCURSES_ACS(letter); }

/* Columns a wide character occupies (wcwidth, which glibc's module does not export to Swift
   without _XOPEN_SOURCE): 1 for box drawing in a UTF-8 locale, 2 for CJK, -1 unprintable. */
extern int wcwidth(wchar_t);
static inline int timescope_display_width(wchar_t character) { return wcwidth(character); }

static inline WINDOW *timescope_standard_screen(void) { return stdscr; }
static inline int timescope_color_count(void) { return COLORS; }
static inline int timescope_color_pair_count(void) { return COLOR_PAIRS; }

/* Whether the current terminal can move its cursor anywhere (terminfo `cup`): without it
   (TERM=dumb) curses starts but can draw nothing. */
static inline int timescope_terminal_addresses_cursor(void) {
    char *capability = tigetstr("cup");
    return capability != NULL && capability != (char *)-1;
}

/* Whether the current locale's character encoding is UTF-8. */
static inline int timescope_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* ---- Restoring the terminal from anywhere, signal handlers included ----------------------- */

#ifdef NSIG
#define TIMESCOPE_SIGNAL_LIMIT NSIG
#else
#define TIMESCOPE_SIGNAL_LIMIT 65
#endif

/* What an emergency exit needs to put the terminal back. Every field a signal handler reads is
   a sig_atomic_t; the previous actions are written before the handlers are installed. */
typedef struct timescope_terminal_guard {
    /* Set by SIGINT/SIGTERM, cleared by whoever acts on it. */
    volatile sig_atomic_t interrupt_requested;
    /* Curses owns the terminal: endwin() is due. */
    volatile sig_atomic_t curses_active;
    /* While curses runs, fd 2 points at `stderr_capture_fd` and the real stderr is kept in
       `saved_stderr_fd`; both are -1 otherwise. */
    volatile sig_atomic_t saved_stderr_fd;
    volatile sig_atomic_t stderr_capture_fd;
    /* Whether `previous_actions[signal]` holds something to restore. */
    volatile sig_atomic_t has_previous_action[TIMESCOPE_SIGNAL_LIMIT];
    struct sigaction previous_actions[TIMESCOPE_SIGNAL_LIMIT];
} timescope_terminal_guard;

static inline void timescope_guard_initialize(timescope_terminal_guard *guard) {
    memset(guard, 0, sizeof *guard);
    guard->saved_stderr_fd = -1;
    guard->stderr_capture_fd = -1;
}

static inline int timescope_guard_interrupt_requested(const timescope_terminal_guard *guard) {
    return guard->interrupt_requested;
}
static inline void timescope_guard_set_interrupt_requested(timescope_terminal_guard *guard, int value) {
    guard->interrupt_requested = value;
}
static inline void timescope_guard_set_curses_active(timescope_terminal_guard *guard, int value) {
    guard->curses_active = value;
}

/* Writes all of `length` bytes, retrying after interruptions (async-signal-safe). */
static inline void timescope_write_all(int fd, const char *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        bytes += written;
        length -= (size_t)written;
    }
}

/* Sends stderr back to the terminal and replays what was written to it meanwhile
   (async-signal-safe; does nothing when stderr is not captured). */
static inline void timescope_guard_release_stderr(timescope_terminal_guard *guard) {
    int saved = guard->saved_stderr_fd;
    int capture = guard->stderr_capture_fd;
    if (saved < 0) return;
    guard->saved_stderr_fd = -1;
    guard->stderr_capture_fd = -1;
    dup2(saved, STDERR_FILENO);
    close(saved);
    if (capture >= 0) {
        char buffer[4096];
        if (lseek(capture, 0, SEEK_SET) == 0) {
            for (;;) {
                ssize_t count = read(capture, buffer, sizeof buffer);
                if (count < 0 && errno == EINTR) continue;
                if (count <= 0) break;
                timescope_write_all(STDERR_FILENO, buffer, (size_t)count);
            }
        }
        close(capture);
    }
}

/* Points fd 2 at `capture_fd` (an anonymous file) so that messages written while curses owns
   the screen, a Swift runtime error among them, survive to be shown after the terminal is
   restored. Returns 0, or -1 with stderr untouched. */
static inline int timescope_guard_capture_stderr(timescope_terminal_guard *guard, int capture_fd) {
    if (guard->saved_stderr_fd >= 0) return 0;
    int saved = dup(STDERR_FILENO);
    if (saved < 0) return -1;
    if (dup2(capture_fd, STDERR_FILENO) < 0) {
        close(saved);
        return -1;
    }
    guard->stderr_capture_fd = capture_fd;
    guard->saved_stderr_fd = saved;
    return 0;
}

/* endwin() if curses is active, then stderr back. endwin is not async-signal-safe: from a
   handler it is a last resort, and the process is about to die anyway. */
static inline void timescope_guard_restore_terminal(timescope_terminal_guard *guard) {
    if (guard->curses_active) {
        guard->curses_active = 0;
        endwin();
    }
    timescope_guard_release_stderr(guard);
}

/* ---- Signal plumbing ----------------------------------------------------------------------- */

typedef void (*timescope_signal_action)(int, siginfo_t *, void *);

/* Whether `signal` is currently ignored (a background job's SIGINT, nohup's SIGHUP). */
static inline int timescope_signal_is_ignored(int signal) {
    struct sigaction current;
    if (sigaction(signal, NULL, &current) != 0) return 0;
    return !(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN;
}

/* Installs `action` for `signal`, remembering the action it replaces in `guard`. */
static inline int timescope_guard_install(timescope_terminal_guard *guard, int signal,
                                          timescope_signal_action action, int restart) {
    if (signal <= 0 || signal >= TIMESCOPE_SIGNAL_LIMIT) return -1;
    struct sigaction replacement;
    memset(&replacement, 0, sizeof replacement);
    sigemptyset(&replacement.sa_mask);
    replacement.sa_sigaction = action;
    replacement.sa_flags = SA_SIGINFO | SA_ONSTACK | (restart ? SA_RESTART : 0);
    struct sigaction previous;
    if (sigaction(signal, &replacement, &previous) != 0) return -1;
    if (!guard->has_previous_action[signal]) {
        guard->previous_actions[signal] = previous;
        guard->has_previous_action[signal] = 1;
    }
    return 0;
}

/* Gives the main thread an alternate signal stack if it has none, so a stack overflow can
   still restore the terminal. `memory` must outlive the process. */
static inline void timescope_ensure_alternate_signal_stack(void *memory, size_t size) {
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
    stack_t stack;
    memset(&stack, 0, sizeof stack);
    stack.ss_sp = memory;
    stack.ss_size = size;
    sigaltstack(&stack, NULL);
}

/* A fatal signal: restore the terminal, put back the action that was there before (the Swift
   runtime's backtracer, or the default), and let it run. A fault raised by the CPU happens
   again when the handler returns; a signal sent by kill/raise/abort is sent again. */
static inline void timescope_guard_handle_fatal(timescope_terminal_guard *guard, int signal,
                                                const siginfo_t *info) {
    int saved_errno = errno;
    timescope_guard_restore_terminal(guard);
    if (signal > 0 && signal < TIMESCOPE_SIGNAL_LIMIT && guard->has_previous_action[signal]) {
        sigaction(signal, &guard->previous_actions[signal], NULL);
    } else {
        struct sigaction fallback;
        memset(&fallback, 0, sizeof fallback);
        fallback.sa_handler = SIG_DFL;
        sigaction(signal, &fallback, NULL);
    }
    if (info == NULL || info->si_code <= 0) raise(signal);
    errno = saved_errno;
}

/* SIGINT/SIGTERM while curses runs: ask the application to stop. A second one before the
   application has taken notice of the first ends the process (a program stuck in a long
   computation), and so does one while curses is not running (Ctrl-C while a recording loads,
   before the screen exists, is a real SIGINT in cooked mode and should just stop the
   program). */
static inline void timescope_guard_handle_interrupt(timescope_terminal_guard *guard, int signal,
                                                    const siginfo_t *info) {
    (void)info;
    if (guard->interrupt_requested || !guard->curses_active) {
        timescope_guard_handle_fatal(guard, signal, NULL);
        return;
    }
    guard->interrupt_requested = 1;
}

#endif
