import DebugInfo
import Machine
import Recording

/// The inspector's one state transition: `reduce(&state, action, firmware:)` changes the state
/// and returns the effects to run. Pure: no I/O, no clock, no machine — the firmware is only
/// consulted for symbol names, and the debug information's line tables (when there are any)
/// for `FILE:LINE`.
public enum Reducer {
    /// Percent of the recording one `,`/`.` press moves.
    static let percentStep = 1.0

    /// Applies `action` to `state` and returns the effects (seeks, searches, file writes) the
    /// session must run. `lines` (the firmware's line tables, when it has debug information)
    /// turn `FILE:LINE` into addresses.
    public static func reduce(
        _ state: inout InspectorState, _ action: InspectorAction, firmware: Firmware,
        lines: SourceLines? = nil
    ) -> [InspectorEffect] {
        let before = state.step
        let wasFollowing = state.live?.isFollowing == true
        let effects = reduceAction(&state, action, firmware: firmware, lines: lines)
        // Any move in time leaves the live head (the run goes on); End/F come back to it.
        if wasFollowing && state.step != before, action != .tick, !isLiveReport(action) {
            state.live?.isFollowing = false
        }
        // After a move the panes follow the innermost frame with source again, as gdb's do.
        if state.step != before { state.selectedFrame = nil }
        return effects
    }

    private static func isLiveReport(_ action: InspectorAction) -> Bool {
        if case .live = action { return true }
        return false
    }

    private static func reduceAction(
        _ state: inout InspectorState, _ action: InspectorAction, firmware: Firmware, lines: SourceLines?
    ) -> [InspectorEffect] {
        switch action {
        case .tick:
            return tick(&state)
        case .playbackAdvanced(let step, let hit):
            state.step = min(step, state.totalSteps)
            if let hit {
                state.playback.isPlaying = false
                say(&state, hit + " — Space plays on")
            } else if state.step == (state.playback.isReversed ? 0 : state.totalSteps) {
                state.playback.isPlaying = false
            }
            return []
        case .hitsCounted(let counts, let through):
            state.progress = nil
            for (rule, hits) in counts {
                state.hitCounts[rule] = InspectorState.HitCount(hits: hits, throughStep: through)
            }
            return []
        case .searchFinished(let step, let message):
            state.progress = nil
            if let step { seek(&state, to: step, remember: true) }
            say(&state, message, isError: step == nil)
            return []
        case .failed(let text):
            state.progress = nil
            say(&state, text, isError: true)
            return []
        case .followedAddress(let address):
            state.memoryAddress = address & ~0xF
            state.memoryCursor = address
            return []
        case .live(let report):
            liveReport(&state, report)
            return []
        case .liveCommandFinished(let refusal):
            if let refusal { say(&state, refusal, isError: true) }
            return []
        case .executedLinesCollected(let executed, let message):
            state.progress = nil
            state.executedLines = executed
            say(&state, message)
            return []
        case .key(.interrupt), .key(.control("c")):
            // Ctrl-C quits from anywhere: a prompt, an overlay, typing to the firmware.
            state.isQuitting = true
            return []
        case .key(let key):
            // Behind "terminal too small" nothing shows what a key did: only quitting acts.
            if state.isScreenTooSmall {
                if key == .character("q") { state.isQuitting = true }
                return []
            }
            if state.prompt != nil { return promptKey(&state, key, firmware: firmware, lines: lines) }
            if let pending = state.pendingMarkKey { return markKey(&state, key, pending: pending) }
            if state.isShowingHelp || state.isShowingStops { return overlayKey(&state, key) }
            if let effects = typingKey(&state, key) { return effects }
            guard let command = Keymap.command(for: key, focus: state.focus, isLive: state.live != nil) else {
                if key != .resize {
                    say(&state, "\(describe(key)) does nothing here — press ? for the keys", isError: true)
                }
                return []
            }
            state.message = nil
            return run(command, &state, firmware: firmware)
        }
    }

    // MARK: Commands

    /// Carries out a command of the keymap.
    private static func run(_ command: InspectorCommand, _ state: inout InspectorState, firmware: Firmware)
        -> [InspectorEffect]
    {
        switch command {
        case .stepBack: move(&state, by: -1)
        case .stepForward: move(&state, by: 1)
        case .tenStepsBack: move(&state, by: -10)
        case .tenStepsForward: move(&state, by: 10)
        case .percentBack: movePercent(&state, by: -percentStep)
        case .percentForward: movePercent(&state, by: percentStep)
        case .jumpToTenth(let tenths):
            let tenths = UInt64(tenths)
            seek(
                &state, to: state.totalSteps / 10 * tenths + state.totalSteps % 10 * tenths / 10,
                remember: true)
        case .jumpToStart: seek(&state, to: 0, remember: true)
        case .jumpToEnd: seek(&state, to: state.totalSteps, remember: true)
        case .previousMarker: return [.marker(isForward: false)]
        case .nextMarker: return [.marker(isForward: true)]
        case .undoJump:
            guard let previous = state.history.popLast() else {
                say(&state, "nothing to undo", isError: true)
                return []
            }
            state.step = min(previous, state.totalSteps)
            say(&state, "back to step \(state.step)")
        case .setMark: state.pendingMarkKey = "m"
        case .goToMark: state.pendingMarkKey = "'"
        case .continueForward: return continueRun(&state, isForward: true)
        case .continueBackward: return continueRun(&state, isForward: false)
        case .breakpointPrompt: openPrompt(&state, .breakpoint)
        case .watchPrompt: openPrompt(&state, .watch)
        case .gotoPrompt: openPrompt(&state, .goto)
        case .memoryPrompt: openPrompt(&state, .memory)
        case .commandPrompt: openPrompt(&state, .command)
        case .searchForwardPrompt: openPrompt(&state, .search)
        case .searchBackwardPrompt: openPrompt(&state, .searchBackward)
        case .repeatSearchForward, .repeatSearchBackward:
            guard let text = state.lastSearch else {
                say(&state, "no search to repeat yet: / searches forward, \\ backward", isError: true)
                return []
            }
            return search(&state, text, isForward: command == .repeatSearchForward)
        case .lastWrite:
            let word = state.memoryCursor & ~3
            state.progress = "searching back for the last write to \(hex(word))…"
            return [.lastWrite(word..<word + 4, atOrBefore: state.step)]
        case .lastRegisterChange:
            guard state.selectedRegister != 0 else {
                say(&state, "pc changes every step: select a register x1…x31", isError: true)
                return []
            }
            state.progress =
                "searching back for the last change of \(RegisterNames.abi[state.selectedRegister])…"
            return [.lastRegisterChange(index: state.selectedRegister, atOrBefore: state.step)]
        case .followRegister:
            guard state.selectedRegister != 0 || state.focus == .registers else {
                say(&state, "select a register first (Tab to the registers, ↑/↓)", isError: true)
                return []
            }
            if state.memoryFollowsRegister == state.selectedRegister {
                state.memoryFollowsRegister = nil
                say(&state, "memory no longer follows \(registerName(state.selectedRegister))")
            } else {
                state.memoryFollowsRegister = state.selectedRegister
                say(&state, "memory follows \(registerName(state.selectedRegister))")
            }
        case .sourceMove(let move, let isBackward): return sourceMove(&state, move, isBackward: isBackward)
        case .toggleAssembly: toggleAssembly(&state)
        case .expressionPrompt:
            guard requireDebugInfo(&state, for: "watch expressions") else { return [] }
            openPrompt(&state, .expression)
        case .toggleExecutedLines: return toggleExecutedLines(&state)
        case .expandVariable: expandVariable(&state)
        case .collapseVariable: collapseVariable(&state)
        case .variableLastWrite: return variableLastWrite(&state)
        case .deleteWatch: deleteWatch(&state)
        case .cycleMemoryDisplay:
            let displays = InspectorState.MemoryDisplay.allCases
            let index = displays.firstIndex(of: state.memoryDisplay) ?? 0
            state.memoryDisplay = displays[(index + 1) % displays.count]
            say(
                &state,
                "memory shows \(state.memoryDisplay.rawValue) — v for \(displays[(index + 2) % displays.count].rawValue)"
            )
        case .focusNext: cycleFocus(&state, by: 1)
        case .focusPrevious: cycleFocus(&state, by: -1)
        case .rowUp: scroll(&state, by: -1, page: false)
        case .rowDown: scroll(&state, by: 1, page: false)
        case .pageUp: scroll(&state, by: -1, page: true)
        case .pageDown: scroll(&state, by: 1, page: true)
        case .memoryCursorBack: moveMemoryCursor(&state, by: -1)
        case .memoryCursorForward: moveMemoryCursor(&state, by: 1)
        case .playOrPause:
            state.playback.isPlaying.toggle()
            if state.playback.isPlaying && !state.playback.isReversed && state.step == state.totalSteps {
                state.playback.isReversed = true
            }
            if state.playback.isPlaying && state.playback.isReversed && state.step == 0 {
                state.playback.isReversed = false
            }
        case .playFaster:
            state.playback.speedIndex = min(
                InspectorState.Playback.speeds.count - 1, state.playback.speedIndex + 1)
            say(&state, "playback ×\(state.playback.stepsPerFrame) steps per frame")
        case .playSlower:
            state.playback.speedIndex = max(0, state.playback.speedIndex - 1)
            say(&state, "playback ×\(state.playback.stepsPerFrame) steps per frame")
        case .reversePlayback:
            state.playback.isReversed.toggle()
            say(&state, state.playback.isReversed ? "playing backwards" : "playing forwards")
        case .stopPlayback: state.playback.isPlaying = false
        case .zoomIn: zoom(&state, in: true)
        case .zoomOut: zoom(&state, in: false)
        case .showHelp:
            state.isShowingHelp = true
            state.overlayScroll = 0
        case .quit: state.isQuitting = true
        case .pauseOrResumeFirmware, .followLiveHead, .typeToFirmware, .pacingSlower, .pacingFaster:
            return liveCommand(command, &state)
        case .earlierInput, .laterInput, .completeSymbol, .submitPrompt, .cancelPrompt, .deleteCharacter,
            .clearPrompt:
            break  // prompt commands: `promptKey` runs them
        }
        return []
    }

    /// The name of register `index` as the registers pane shows it (pc for 0).
    static func registerName(_ index: Int) -> String {
        index == 0 ? "pc" : RegisterNames.abi[index]
    }

    /// One row or a page up (`direction` -1) or down in the focused pane.
    private static func scroll(_ state: inout InspectorState, by direction: Int, page: Bool) {
        switch state.focus {
        case .registers:
            state.selectedRegister = (state.selectedRegister + (page ? 8 : 1) * direction + 32 * 4) % 32
        case .memory:
            let row = max(1, state.memoryBytesPerRow)
            moveMemoryCursor(&state, by: direction * (page ? row * max(1, state.memoryVisibleRows) : row))
        case .console:
            state.consoleScroll = max(0, state.consoleScroll - direction * (page ? 10 : 1))
        case .stack:
            state.stackScroll = max(0, state.stackScroll + direction * (page ? 8 : 1))
        case .callStack: selectFrame(&state, by: direction * (page ? 8 : 1))
        case .variables: selectVariable(&state, by: direction * (page ? 8 : 1))
        case .code, .devices, .timeline:
            move(&state, by: direction * (page ? 100 : 1))
        }
    }

    /// Zooms the timeline in (a quarter of the span, down to ten steps) or out (four times,
    /// up to the whole recording).
    private static func zoom(_ state: inout InspectorState, in zoomsIn: Bool) {
        if zoomsIn {
            if state.timelineSpan > min(10, max(1, state.totalSteps)) { state.timelineZoom += 1 }
        } else {
            state.timelineZoom = max(0, state.timelineZoom - 1)
        }
    }

    /// Moves the memory cursor `delta` bytes, scrolling the pane by whole rows to keep it on
    /// screen; the pane stops following a register.
    private static func moveMemoryCursor(_ state: inout InspectorState, by delta: Int) {
        let row = UInt32(max(1, state.memoryBytesPerRow))
        let visible = row * UInt32(max(1, state.memoryVisibleRows))
        state.memoryFollowsRegister = nil
        let magnitude = UInt32(truncatingIfNeeded: delta.magnitude)
        state.memoryCursor = delta < 0 ? state.memoryCursor &- magnitude : state.memoryCursor &+ magnitude
        if state.memoryCursor &- state.memoryAddress >= visible {
            let cursorRow = state.memoryAddress &+ (state.memoryCursor &- state.memoryAddress) / row * row
            state.memoryAddress = delta < 0 ? cursorRow : cursorRow &- (visible - row)
        }
    }

    private static func markKey(_ state: inout InspectorState, _ key: Key, pending: Character)
        -> [InspectorEffect]
    {
        state.pendingMarkKey = nil
        guard case .character(let letter) = key, letter.isLetter else {
            say(&state, "a mark is a letter: \(pending)a … \(pending)z", isError: true)
            return []
        }
        if pending == "m" {
            state.marks[letter] = state.step
            state.highlightSince = state.step
            say(&state, "mark \(letter) at step \(state.step); memory shows writes since it")
        } else if let step = state.marks[letter] {
            seek(&state, to: step, remember: true)
            say(&state, "mark \(letter)")
        } else {
            say(&state, "no mark \(letter)", isError: true)
        }
        return []
    }

    /// A key while the help or the breakpoint list covers the screen: ↑/↓ scroll it, q quits,
    /// any other key closes it.
    private static func overlayKey(_ state: inout InspectorState, _ key: Key) -> [InspectorEffect] {
        switch Keymap.command(for: key, focus: state.focus, isLive: state.live != nil, isInOverlay: true) {
        case .rowUp: state.overlayScroll = max(0, state.overlayScroll - 1)
        case .rowDown: state.overlayScroll += 1
        case .pageUp: state.overlayScroll = max(0, state.overlayScroll - 10)
        case .pageDown: state.overlayScroll += 10
        default:
            guard key != .resize else { return [] }
            state.isShowingHelp = false
            state.isShowingStops = false
            state.overlayScroll = 0
            if key == .character("q") { state.isQuitting = true }
        }
        return []
    }

    // MARK: Live

    /// While the console is focused for typing into a running live firmware, every key but
    /// Esc and Ctrl-C goes to its UART; nil otherwise.
    private static func typingKey(_ state: inout InspectorState, _ key: Key) -> [InspectorEffect]? {
        guard var live = state.live, state.focus == .console, live.canControl, live.isRunning else {
            return nil
        }
        if key == .escape {
            state.focus = .code
            say(&state, "typing stopped — i types to the firmware again")
            return []
        }
        guard let bytes = uartBytes(for: key) else { return nil }
        // Show what the firmware does with it: back to the live head.
        live.isFollowing = true
        state.live = live
        state.step = state.totalSteps
        state.message = nil
        return [.live(.type(bytes))]
    }

    /// The keys only live mode has.
    private static func liveCommand(_ command: InspectorCommand, _ state: inout InspectorState)
        -> [InspectorEffect]
    {
        guard var live = state.live else { return [] }
        switch command {
        case .pauseOrResumeFirmware:
            if live.canControl {
                guard live.isRunning else {
                    say(&state, "the run has ended; the recording is complete", isError: true)
                    return []
                }
                live.report.isPaused.toggle()
                state.live = live
                say(&state, live.report.isPaused ? "firmware paused — Space resumes" : "firmware running")
                return [.live(.setPaused(live.report.isPaused))]
            }
            live.isFollowing.toggle()
            state.live = live
            if live.isFollowing { state.step = state.totalSteps }
            say(
                &state,
                live.isFollowing
                    ? "following the recording as it grows" : "holding this step — Space or End follows again"
            )
            return []
        case .followLiveHead:
            state.live?.isFollowing = true
            state.step = state.totalSteps
            say(&state, "following the live head")
            return []
        case .typeToFirmware:
            guard live.canControl && live.isRunning else {
                say(
                    &state,
                    live.canControl
                        ? "the run has ended: nothing reads input now"
                        : "this recording is written by another process: it takes no input from here",
                    isError: true)
                return []
            }
            state.focus = .console
            state.lowerPaneShowsDevices = false
            say(&state, "typing goes to the firmware's UART — Esc stops typing, Ctrl-C quits")
            return []
        case .pacingSlower, .pacingFaster:
            guard let pacing = live.report.pacing else {
                say(
                    &state, "another process writes this recording: its pace is not set from here",
                    isError: true)
                return []
            }
            let next = pacing.stepped(by: command == .pacingFaster ? 1 : -1)
            live.report.pacing = next
            state.live = live
            say(&state, "pacing: \(next)")
            return [.live(.setPacing(next))]
        default:
            return []
        }
    }

    /// The bytes a key sends to the firmware's UART while typing into the console.
    static func uartBytes(for key: Key) -> [UInt8]? {
        switch key {
        case .character(let character): Array(String(character).utf8)
        case .enter: [0x0D]
        case .backspace, .delete: [0x7F]
        case .tab: nil
        case .control(let letter) where letter != "c": letter.asciiValue.map { [$0 & 0x1F] }
        default: nil
        }
    }

    private static func liveReport(_ state: inout InspectorState, _ report: LiveReport) {
        guard var live = state.live else { return }
        let wasRunning = live.isRunning
        live.report = report
        state.totalSteps = report.headStep
        if live.isFollowing || state.step > state.totalSteps { state.step = state.totalSteps }
        state.live = live
        if wasRunning, let ended = report.ended {
            say(
                &state, "\(ended) — the recording is complete; scrub back to review",
                isError: report.endedInCrash)
        }
    }

    // MARK: Moving in time

    static func seek(_ state: inout InspectorState, to step: UInt64, remember: Bool) {
        let target = min(step, state.totalSteps)
        guard target != state.step else { return }
        if remember {
            state.history.append(state.step)
            if state.history.count > 100 { state.history.removeFirst() }
        }
        state.step = target
    }

    private static func move(_ state: inout InspectorState, by delta: Int) {
        if delta < 0 {
            let magnitude = UInt64(-delta)
            if state.step == 0 { say(&state, "at the start of the recording") }
            seek(&state, to: state.step > magnitude ? state.step - magnitude : 0, remember: false)
        } else {
            if state.step == state.totalSteps {
                say(
                    &state,
                    state.live == nil ? "at the end of the recording" : "at the live head — End follows it")
            }
            seek(&state, to: state.step &+ UInt64(delta), remember: false)
        }
    }

    private static func movePercent(_ state: inout InspectorState, by percent: Double) {
        let delta = UInt64((Double(state.totalSteps) * abs(percent) / 100).rounded(.up))
        move(&state, by: percent < 0 ? -Int(min(delta, UInt64(Int.max))) : Int(min(delta, UInt64(Int.max))))
    }

    /// A frame of playback: `stepsPerFrame` on, or, when breakpoints or watchpoints are
    /// enabled, a request to play there that stops at the first hit on the way.
    private static func tick(_ state: inout InspectorState) -> [InspectorEffect] {
        guard state.playback.isPlaying else { return [] }
        let delta = state.playback.stepsPerFrame
        let target =
            state.playback.isReversed
            ? (state.step > delta ? state.step - delta : 0) : min(state.totalSteps, state.step &+ delta)
        if target != state.step && state.stops.contains(where: \.isEnabled) {
            return [.play(from: state.step, to: target)]
        }
        state.step = target
        if state.step == (state.playback.isReversed ? 0 : state.totalSteps) {
            state.playback.isPlaying = false
        }
        return []
    }

    /// Focuses the next (`delta` 1) or previous pane in Tab order; the call stack and the
    /// variables are there only at source level.
    private static func cycleFocus(_ state: inout InspectorState, by delta: Int) {
        let panes = InspectorState.Pane.allCases.filter { state.isSourceLevel || !$0.isSourceLevel }
        let index = panes.firstIndex(of: state.focus) ?? 0
        state.focus = panes[(index + delta + panes.count) % panes.count]
    }

    static func say(_ state: inout InspectorState, _ text: String, isError: Bool = false) {
        state.message = text
        state.messageIsError = isError
    }

    static func describe(_ key: Key) -> String {
        switch key {
        case .character(let character): "'\(character)'"
        case .control(let character): "Ctrl-\(character.uppercased())"
        case .function(let number): "F\(number)"
        default: "\(key)".capitalized
        }
    }
}

extension InspectorState {
    /// The pc on screen, recorded by the session from the machine view (for `b` on Enter).
    public var currentPC: UInt32? { pcAtStep }
}

/// ABI names of x0…x31 (index 0 shows as "zero"; the inspector shows pc separately).
public enum RegisterNames {
    /// ABI names of x0…x31, as the registers pane shows them.
    public static let abi = [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ]
}
