import Machine
import Recording

/// The inspector's one state transition: `reduce(&state, action, firmware:)` changes the state
/// and returns the effects to run. Pure: no I/O, no clock, no machine — the firmware is only
/// consulted for symbol names.
public enum Reducer {
    /// Percent of the recording one `,`/`.` press moves.
    static let percentStep = 1.0

    public static func reduce(_ state: inout InspectorState, _ action: InspectorAction, firmware: Firmware) -> [InspectorEffect] {
        let before = state.step
        let wasFollowing = state.live?.isFollowing == true
        let effects = reduceAction(&state, action, firmware: firmware)
        // Any move in time leaves the live head (the run goes on); `f`/End come back to it.
        if wasFollowing && state.step != before, action != .tick, !isLiveReport(action) { state.live?.isFollowing = false }
        return effects
    }

    private static func isLiveReport(_ action: InspectorAction) -> Bool {
        if case .live = action { return true }
        return false
    }

    private static func reduceAction(_ state: inout InspectorState, _ action: InspectorAction, firmware: Firmware) -> [InspectorEffect] {
        switch action {
        case .tick:
            return tick(&state)
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
        case .key(.interrupt):
            state.isQuitting = true
            return []
        case .key(let key):
            if state.prompt != nil { return promptKey(&state, key, firmware: firmware) }
            if let pending = state.pendingMarkKey { return markKey(&state, key, pending: pending) }
            if state.isShowingHelp {
                // Any key closes the help; q still quits.
                state.isShowingHelp = false
                if key == .character("q") { state.isQuitting = true }
                return []
            }
            if let effects = liveKey(&state, key) { return effects }
            return normalKey(&state, key, firmware: firmware)
        }
    }

    // MARK: Keys

    private static func normalKey(_ state: inout InspectorState, _ key: Key, firmware: Firmware) -> [InspectorEffect] {
        state.message = nil
        switch key {
        case .right, .character("l"), .character("s"): move(&state, by: 1)
        case .left, .character("h"), .character("S"): move(&state, by: -1)
        case .shiftRight, .character("L"): move(&state, by: 10)
        case .shiftLeft, .character("H"): move(&state, by: -10)
        case .character("."): movePercent(&state, by: percentStep)
        case .character(","): movePercent(&state, by: -percentStep)
        case .character(let digit) where digit.isASCII && digit.isNumber:
            let tenths = UInt64(digit.asciiValue! - 48)
            seek(&state, to: state.totalSteps / 10 * tenths + state.totalSteps % 10 * tenths / 10, remember: true)
        case .home: seek(&state, to: 0, remember: true)
        case .end: seek(&state, to: state.totalSteps, remember: true)
        case .character("["): return [.marker(isForward: false)]
        case .character("]"): return [.marker(isForward: true)]
        case .character("c"), .character("C"):
            guard !state.breakpoints.isEmpty || !state.watchpoints.isEmpty else {
                say(&state, "no breakpoints or watchpoints: set one with b or w", isError: true)
                return []
            }
            state.progress = key == .character("c") ? "continuing forward…" : "continuing backward…"
            return [.continueRun(isForward: key == .character("c"))]
        case .character("W"):
            if state.focus == .registers {
                guard state.selectedRegister != 0 else {
                    say(&state, "pc changes every step: select a register x1…x31", isError: true)
                    return []
                }
                state.progress = "searching back for the last change of \(RegisterNames.abi[state.selectedRegister])…"
                return [.lastRegisterChange(index: state.selectedRegister, atOrBefore: state.step)]
            }
            let word = state.memoryCursor & ~3
            state.progress = "searching back for the last write to \(hex(word))…"
            return [.lastWrite(word..<word + 4, atOrBefore: state.step)]
        case .character("b"): openPrompt(&state, .breakpoint)
        case .character("w"): openPrompt(&state, .watch)
        case .character("g"): openPrompt(&state, .goto)
        case .character(":"): openPrompt(&state, .command)
        case .character("/"): openPrompt(&state, .search)
        case .character("@"): openPrompt(&state, .memory)
        case .character("u"):
            guard let previous = state.history.popLast() else {
                say(&state, "nothing to undo", isError: true)
                return []
            }
            state.step = min(previous, state.totalSteps)
            say(&state, "back to step \(state.step)")
        case .character("m"), .character("'"):
            if case .character(let character) = key { state.pendingMarkKey = character }
        case .tab: cycleFocus(&state, by: 1)
        case .backTab: cycleFocus(&state, by: -1)
        case .character(" "):
            state.playback.isPlaying.toggle()
            if state.playback.isPlaying && !state.playback.isReversed && state.step == state.totalSteps { state.playback.isReversed = true }
            if state.playback.isPlaying && state.playback.isReversed && state.step == 0 { state.playback.isReversed = false }
        case .character("+"), .character("="):
            state.playback.speedIndex = min(InspectorState.Playback.speeds.count - 1, state.playback.speedIndex + 1)
            say(&state, "playback ×\(state.playback.stepsPerFrame) steps per frame")
        case .character("-"), .character("_"):
            state.playback.speedIndex = max(0, state.playback.speedIndex - 1)
            say(&state, "playback ×\(state.playback.stepsPerFrame) steps per frame")
        case .character("r"):
            state.playback.isReversed.toggle()
            say(&state, state.playback.isReversed ? "playing backwards" : "playing forwards")
        case .character("z"): state.timelineSpan = max(10, state.timelineSpan / 4)
        case .character("Z"): state.timelineSpan = min(max(1, state.totalSteps), state.timelineSpan.multipliedReportingOverflow(by: 4).overflow ? .max : state.timelineSpan * 4)
        case .character("f"):
            guard state.selectedRegister != 0 || state.focus == .registers else { break }
            if state.memoryFollowsRegister == state.selectedRegister {
                state.memoryFollowsRegister = nil
                say(&state, "memory no longer follows \(RegisterNames.abi[state.selectedRegister])")
            } else {
                state.memoryFollowsRegister = state.selectedRegister
                say(&state, "memory follows \(RegisterNames.abi[state.selectedRegister])")
            }
        case .character("?"), .function(1): state.isShowingHelp = true
        case .character("q"), .control("c"): state.isQuitting = true
        case .escape: state.playback.isPlaying = false
        case .up, .down, .pageUp, .pageDown, .character("k"), .character("j"), .character("K"), .character("J"):
            scroll(&state, key)
        case .resize: break
        default:
            say(&state, "\(describe(key)) does nothing here — press ? for the keys", isError: true)
        }
        return []
    }

    private static func scroll(_ state: inout InspectorState, _ key: Key) {
        let direction: Int
        let page: Bool
        switch key {
        case .up, .character("k"): (direction, page) = (-1, false)
        case .down, .character("j"): (direction, page) = (1, false)
        case .pageUp, .character("K"): (direction, page) = (-1, true)
        default: (direction, page) = (1, true)
        }
        switch state.focus {
        case .registers:
            state.selectedRegister = (state.selectedRegister + (page ? 8 : 1) * direction + 32 * 4) % 32
        case .memory:
            let row = UInt32(max(1, state.memoryBytesPerRow))
            let visible = row * UInt32(max(1, state.memoryVisibleRows))
            let delta = page ? visible : row
            state.memoryFollowsRegister = nil
            state.memoryCursor = direction < 0 ? state.memoryCursor &- delta : state.memoryCursor &+ delta
            // Keep the cursor on screen: scroll by whole rows.
            if state.memoryCursor &- state.memoryAddress >= visible {
                let cursorRow = state.memoryCursor / row * row
                state.memoryAddress = direction < 0 ? cursorRow : cursorRow &- (visible - row)
            }
        case .console:
            state.consoleScroll = max(0, state.consoleScroll - direction * (page ? 10 : 1))
        case .code, .devices, .timeline:
            move(&state, by: direction * (page ? 100 : 1))
        }
    }

    private static func markKey(_ state: inout InspectorState, _ key: Key, pending: Character) -> [InspectorEffect] {
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

    // MARK: Live

    /// Keys that mean something else in live mode; nil for the rest.
    private static func liveKey(_ state: inout InspectorState, _ key: Key) -> [InspectorEffect]? {
        guard var live = state.live else { return nil }
        if state.focus == .console && live.canControl && live.isRunning {
            if key == .escape {
                state.focus = .code
                say(&state, "typing stopped — i types to the firmware again")
                return []
            }
            if let bytes = uartBytes(for: key) {
                // Show what the firmware does with it: back to the live head.
                live.isFollowing = true
                state.live = live
                state.step = state.totalSteps
                state.message = nil
                return [.live(.type(bytes))]
            }
        }
        switch key {
        case .character(" "):
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
            say(&state, live.isFollowing ? "following the recording as it grows" : "holding this step — Space or f follows again")
            return []
        case .end:
            return followHead(&state)
        case .character("f") where state.focus != .registers:
            return followHead(&state)
        case .character("i"):
            guard live.canControl && live.isRunning else {
                say(&state, live.canControl ? "the run has ended: nothing reads input now" : "this recording is written by another process: it takes no input from here", isError: true)
                return []
            }
            state.focus = .console
            state.lowerPaneShowsDevices = false
            say(&state, "typing goes to the firmware's UART — Esc stops typing, Ctrl-C quits")
            return []
        case .character(">"), .character("<"):
            guard let pacing = live.report.pacing else {
                say(&state, "another process writes this recording: its pace is not set from here", isError: true)
                return []
            }
            let next = pacing.stepped(by: key == .character(">") ? 1 : -1)
            live.report.pacing = next
            state.live = live
            say(&state, "pacing: \(next)")
            return [.live(.setPacing(next))]
        default:
            return nil
        }
    }

    private static func followHead(_ state: inout InspectorState) -> [InspectorEffect] {
        state.live?.isFollowing = true
        state.step = state.totalSteps
        say(&state, "following the live head")
        return []
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
        let previousTotal = state.totalSteps
        live.report = report
        state.totalSteps = report.headStep
        if state.timelineSpan >= previousTotal { state.timelineSpan = max(1, state.totalSteps) }
        if live.isFollowing || state.step > state.totalSteps { state.step = state.totalSteps }
        state.live = live
        if wasRunning, let ended = report.ended {
            say(&state, "\(ended) — the recording is complete; scrub back to review", isError: report.endedInCrash)
        }
    }

    // MARK: Prompt

    private static func openPrompt(_ state: inout InspectorState, _ kind: InspectorState.PromptKind) {
        state.prompt = InspectorState.Prompt(kind: kind, text: "")
        state.playback.isPlaying = false
    }

    private static func promptKey(_ state: inout InspectorState, _ key: Key, firmware: Firmware) -> [InspectorEffect] {
        guard var prompt = state.prompt else { return [] }
        switch key {
        case .escape, .control("c"), .control("g"):
            state.prompt = nil
            return []
        case .backspace, .delete:
            if prompt.text.isEmpty {
                state.prompt = nil
                return []
            }
            prompt.text.removeLast()
        case .control("u"): prompt.text = ""
        case .enter:
            state.prompt = nil
            return submit(&state, prompt, firmware: firmware)
        case .character(let character): prompt.text.append(character)
        default: break
        }
        state.prompt = prompt
        return []
    }

    private static func submit(_ state: inout InspectorState, _ prompt: InspectorState.Prompt, firmware: Firmware) -> [InspectorEffect] {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        switch prompt.kind {
        case .goto: return goto(&state, text, firmware: firmware)
        case .breakpoint: return toggleBreakpoint(&state, text, firmware: firmware)
        case .watch: return toggleWatch(&state, text, firmware: firmware)
        case .memory: return showMemory(&state, text, firmware: firmware)
        case .search:
            guard !text.isEmpty else { return [] }
            state.progress = "searching for \(text)…"
            return [.search(text)]
        case .command: return command(&state, text, firmware: firmware)
        }
    }

    private static func command(_ state: inout InspectorState, _ text: String, firmware: Firmware) -> [InspectorEffect] {
        let words = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard let verb = words.first?.lowercased() else { return [] }
        let argument = words.count > 1 ? words[1] : ""
        switch verb {
        case "g", "goto": return goto(&state, argument, firmware: firmware)
        case "b", "break": return toggleBreakpoint(&state, argument, firmware: firmware)
        case "w", "watch": return toggleWatch(&state, argument, firmware: firmware)
        case "m", "mem", "memory": return showMemory(&state, argument, firmware: firmware)
        case "d", "delete":
            state.breakpoints.removeAll()
            state.watchpoints.removeAll()
            say(&state, "deleted every breakpoint and watchpoint")
        case "find", "f", "/":
            guard !argument.isEmpty else {
                say(&state, ":find needs text: a mnemonic, hex bytes or console text", isError: true)
                return []
            }
            state.progress = "searching for \(argument)…"
            return [.search(argument)]
        case "help", "h", "?": state.isShowingHelp = true
        case "q", "quit", "exit": state.isQuitting = true
        default:
            say(&state, "unknown command :\(verb) — try :goto, :break, :watch, :mem, :find, :delete, :help, :quit", isError: true)
        }
        return []
    }

    private static func goto(_ state: inout InspectorState, _ text: String, firmware: Firmware) -> [InspectorEffect] {
        guard !text.isEmpty else { return [] }
        if let step = Timeline.step(for: text, totalSteps: state.totalSteps) {
            seek(&state, to: step, remember: true)
            return []
        }
        if text.allSatisfy({ $0.isNumber || $0 == "_" }) {
            say(&state, "goto \(text): past the end of the recording (0…\(state.totalSteps))", isError: true)
            return []
        }
        if firmware.address(for: text) != nil {
            state.progress = "looking for the next execution of \(text)…"
            return [.gotoSymbol(text)]
        }
        say(&state, "goto \(text): not a step (0…\(state.totalSteps)), a percentage, 'end', or a symbol", isError: true)
        return []
    }

    private static func toggleBreakpoint(_ state: inout InspectorState, _ text: String, firmware: Firmware) -> [InspectorEffect] {
        let address: UInt32
        if text.isEmpty {
            guard let pc = state.currentPC else { return [] }
            address = pc
        } else {
            guard let resolved = firmware.address(for: text) else {
                say(&state, "break \(text): not an address or symbol", isError: true)
                return []
            }
            address = resolved
        }
        let name = firmware.symbols.describe(address).map { " (\($0))" } ?? ""
        if let index = state.breakpoints.firstIndex(of: address) {
            state.breakpoints.remove(at: index)
            say(&state, "breakpoint at \(hex(address))\(name) removed")
        } else {
            state.breakpoints.append(address)
            say(&state, "breakpoint at \(hex(address))\(name) — c/C continue to it")
        }
        return []
    }

    private static func toggleWatch(_ state: inout InspectorState, _ text: String, firmware: Firmware) -> [InspectorEffect] {
        let range: Range<UInt32>
        if text.isEmpty {
            let word = state.memoryCursor & ~3
            range = word..<word + 4
        } else {
            guard let resolved = firmware.range(for: text, defaultLength: 4) else {
                say(&state, "watch \(text): use ADDR[:LEN] with an address or symbol", isError: true)
                return []
            }
            range = resolved
        }
        if let index = state.watchpoints.firstIndex(of: range) {
            state.watchpoints.remove(at: index)
            say(&state, "watch on \(hex(range.lowerBound)):\(range.count) removed")
        } else {
            state.watchpoints.append(range)
            say(&state, "watching writes to \(hex(range.lowerBound)):\(range.count) — c/C continue to one")
        }
        return []
    }

    private static func showMemory(_ state: inout InspectorState, _ text: String, firmware: Firmware) -> [InspectorEffect] {
        guard let address = firmware.address(for: text) else {
            say(&state, "memory \(text): not an address, symbol or section", isError: true)
            return []
        }
        state.memoryFollowsRegister = nil
        state.memoryAddress = address & ~0xF
        state.memoryCursor = address
        state.focus = .memory
        return []
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
            if state.step == state.totalSteps { say(&state, state.live == nil ? "at the end of the recording" : "at the live head — f follows it") }
            seek(&state, to: state.step &+ UInt64(delta), remember: false)
        }
    }

    private static func movePercent(_ state: inout InspectorState, by percent: Double) {
        let delta = UInt64((Double(state.totalSteps) * abs(percent) / 100).rounded(.up))
        move(&state, by: percent < 0 ? -Int(min(delta, UInt64(Int.max))) : Int(min(delta, UInt64(Int.max))))
    }

    private static func tick(_ state: inout InspectorState) -> [InspectorEffect] {
        guard state.playback.isPlaying else { return [] }
        let delta = state.playback.stepsPerFrame
        if state.playback.isReversed {
            state.step = state.step > delta ? state.step - delta : 0
            if state.step == 0 { state.playback.isPlaying = false }
        } else {
            state.step = min(state.totalSteps, state.step &+ delta)
            if state.step == state.totalSteps { state.playback.isPlaying = false }
        }
        return []
    }

    private static func cycleFocus(_ state: inout InspectorState, by delta: Int) {
        let panes = InspectorState.Pane.allCases
        let index = panes.firstIndex(of: state.focus) ?? 0
        state.focus = panes[(index + delta + panes.count) % panes.count]
        if state.focus == .devices { state.lowerPaneShowsDevices = true }
        if state.focus == .console { state.lowerPaneShowsDevices = false }
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
    public static let abi = [
        "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
    ]
}
