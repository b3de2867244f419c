import DebugInfo
import Machine
import Recording

/// The prompts (`:`, `/`, `\`, `g`, `b`, `w`, `@`): typing and editing, history, symbol
/// completion, and what Enter does with what was typed.
extension Reducer {
    /// How many entries each prompt's history keeps.
    static let historyLimit = 100

    static func openPrompt(_ state: inout InspectorState, _ kind: InspectorState.PromptKind) {
        state.prompt = InspectorState.Prompt(kind: kind)
        state.playback.isPlaying = false
    }

    static func promptKey(_ state: inout InspectorState, _ key: Key, firmware: Firmware, lines: SourceLines?)
        -> [InspectorEffect]
    {
        guard var prompt = state.prompt else { return [] }
        let command = Keymap.command(
            for: key, focus: state.focus, isLive: state.live != nil, isInPrompt: true)
        if command != .completeSymbol {
            prompt.isCompletionPending = false
            prompt.candidates = []
        }
        switch command {
        case .cancelPrompt:
            state.prompt = nil
            return []
        case .deleteCharacter:
            if prompt.text.isEmpty {
                state.prompt = nil
                return []
            }
            prompt.text.removeLast()
        case .clearPrompt: prompt.text = ""
        case .submitPrompt:
            state.prompt = nil
            remember(&state, prompt)
            return submit(&state, prompt, firmware: firmware, lines: lines)
        case .earlierInput, .laterInput:
            recall(&prompt, isEarlier: command == .earlierInput, history: history(state, prompt.kind))
        case .completeSymbol: complete(&prompt, firmware: firmware)
        default:
            guard case .character(let character) = key else { break }
            prompt.text.append(character)
            prompt.historyIndex = nil
        }
        state.prompt = prompt
        return []
    }

    // MARK: History

    /// Searches forward and backward share one history.
    private static func historyKind(_ kind: InspectorState.PromptKind) -> InspectorState.PromptKind {
        kind == .searchBackward ? .search : kind
    }

    private static func history(_ state: InspectorState, _ kind: InspectorState.PromptKind) -> [String] {
        state.promptHistory[historyKind(kind)] ?? []
    }

    /// Keeps what was entered (not twice in a row, not blanks).
    private static func remember(_ state: inout InspectorState, _ prompt: InspectorState.Prompt) {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        var entries = history(state, prompt.kind)
        if entries.last != text { entries.append(text) }
        state.promptHistory[historyKind(prompt.kind)] = Array(entries.suffix(historyLimit))
    }

    /// ↑ shows the previous entry (the newest first), ↓ the next, and past the newest what was
    /// being typed.
    private static func recall(_ prompt: inout InspectorState.Prompt, isEarlier: Bool, history: [String]) {
        guard !history.isEmpty else { return }
        if prompt.historyIndex == nil {
            guard isEarlier else { return }
            prompt.draft = prompt.text
            prompt.historyIndex = 0
        } else if let index = prompt.historyIndex {
            if isEarlier {
                prompt.historyIndex = min(index + 1, history.count - 1)
            } else if index == 0 {
                prompt.historyIndex = nil
                prompt.text = prompt.draft
                return
            } else {
                prompt.historyIndex = index - 1
            }
        }
        if let index = prompt.historyIndex { prompt.text = history[history.count - 1 - index] }
    }

    // MARK: Completion

    /// Completes the symbol being typed (the word at the end) to the longest prefix the
    /// candidates share; a second Tab with several candidates lists them. Not in searches, and
    /// in `:` only after the command's name.
    private static func complete(_ prompt: inout InspectorState.Prompt, firmware: Firmware) {
        let word = String(prompt.text.reversed().prefix { isSymbolCharacter($0) }.reversed())
        let isArgument = prompt.kind != .command || prompt.text.dropLast(word.count).contains(" ")
        guard prompt.kind != .search && prompt.kind != .searchBackward, isArgument, !word.isEmpty else {
            return
        }
        let names = Set(firmware.symbols.symbols.map(\.name) + firmware.sections.map(\.name))
        let candidates = names.filter { $0.hasPrefix(word) && !$0.isEmpty }.sorted()
        guard let first = candidates.first else {
            prompt.candidates = ["no symbol starts with \(word)"]
            return
        }
        var common = first
        for candidate in candidates.dropFirst() {
            while !candidate.hasPrefix(common) { common.removeLast() }
        }
        if common.count > word.count {
            prompt.text += common.dropFirst(word.count)
            prompt.historyIndex = nil
        }
        if candidates.count == 1 {
            prompt.isCompletionPending = false
        } else if prompt.isCompletionPending {
            prompt.candidates = candidates
        } else {
            prompt.isCompletionPending = true
        }
    }

    private static func isSymbolCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "_.$".contains(character))
    }

    // MARK: Enter

    private static func submit(
        _ state: inout InspectorState, _ prompt: InspectorState.Prompt, firmware: Firmware,
        lines: SourceLines?
    ) -> [InspectorEffect] {
        let text = prompt.text.trimmingCharacters(in: .whitespaces)
        switch prompt.kind {
        case .goto: return goto(&state, text, firmware: firmware)
        case .breakpoint: return setBreakpoint(&state, text, firmware: firmware, lines: lines)
        case .expression: toggleWatchExpression(&state, text)
        case .watch: return setWatchpoint(&state, text, firmware: firmware)
        case .memory: return showMemory(&state, text, firmware: firmware)
        case .search, .searchBackward:
            guard !text.isEmpty else { return [] }
            return search(&state, text, isForward: prompt.kind == .search)
        case .command: return command(&state, text, firmware: firmware, lines: lines)
        }
        return []
    }

    static func search(_ state: inout InspectorState, _ text: String, isForward: Bool) -> [InspectorEffect] {
        state.lastSearch = text
        state.progress = "searching \(isForward ? "forward" : "backward") for \(text)…"
        return [.search(text, isForward: isForward)]
    }

    /// The `:` commands, by their names and short forms.
    static let commandNames =
        ":goto, :break, :watch, :info break, :delete, :enable, :disable, :condition, :display, :undisplay, :mem, :find, :help, :quit"

    private static func command(
        _ state: inout InspectorState, _ text: String, firmware: Firmware, lines: SourceLines?
    )
        -> [InspectorEffect]
    {
        let words = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard let verb = words.first?.lowercased() else { return [] }
        let argument = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
        switch verb {
        case "g", "goto": return goto(&state, argument, firmware: firmware)
        case "b", "break": return setBreakpoint(&state, argument, firmware: firmware, lines: lines)
        case "w", "watch": return setWatchpoint(&state, argument, firmware: firmware)
        case "m", "mem", "memory": return showMemory(&state, argument, firmware: firmware)
        case "i", "info":
            guard
                ["b", "break", "breakpoints", "breaks", "w", "watch", "watchpoints"].contains(
                    argument.lowercased())
            else {
                say(&state, ":info break lists the breakpoints and watchpoints", isError: true)
                return []
            }
            return listStops(&state)
        case "breakpoints", "watchpoints": return listStops(&state)
        case "d", "delete": deleteStops(&state, argument, firmware: firmware, lines: lines)
        case "enable": enableStops(&state, argument, isEnabled: true, firmware: firmware, lines: lines)
        case "disable": enableStops(&state, argument, isEnabled: false, firmware: firmware, lines: lines)
        case "display":
            guard !argument.isEmpty else {
                say(
                    &state, ":display EXPR watches a C expression in the variables pane (p does too)",
                    isError: true)
                return []
            }
            guard requireDebugInfo(&state, for: "watch expressions") else { return [] }
            toggleWatchExpression(&state, argument, isAdding: true)
        case "undisplay":
            undisplay(&state, argument)
        case "cond", "condition": setCondition(&state, argument, firmware: firmware)
        case "find", "f", "/", "?", "\\":
            guard !argument.isEmpty else {
                say(&state, ":find needs text: a mnemonic, hex bytes or console text", isError: true)
                return []
            }
            return search(&state, argument, isForward: verb != "?" && verb != "\\")
        case "help", "h":
            state.isShowingHelp = true
            state.overlayScroll = 0
        case "q", "quit", "exit": state.isQuitting = true
        default:
            say(&state, "unknown command :\(verb) — try \(commandNames)", isError: true)
        }
        return []
    }

    /// `g WHEN` goes to a step; `g SYMBOL` to the next state whose pc is at the symbol (its
    /// first instruction about to run), `g -SYMBOL` to the previous one.
    private static func goto(_ state: inout InspectorState, _ text: String, firmware: Firmware)
        -> [InspectorEffect]
    {
        guard !text.isEmpty else { return [] }
        if let step = Timeline.step(for: text, totalSteps: state.totalSteps, relativeTo: state.step) {
            seek(&state, to: step, remember: true)
            return []
        }
        if text.allSatisfy({ $0.isNumber || $0 == "_" }) {
            say(&state, "goto \(text): past the end of the recording (0…\(state.totalSteps))", isError: true)
            return []
        }
        let isForward = !text.hasPrefix("-")
        let name = isForward ? text : String(text.dropFirst()).trimmingCharacters(in: .whitespaces)
        if !name.isEmpty, firmware.address(for: name) != nil {
            state.progress = "looking for the \(isForward ? "next" : "previous") run of \(name)…"
            return [.gotoSymbol(name, isForward: isForward)]
        }
        say(
            &state,
            "goto \(text): not a step (0…\(state.totalSteps)), a percentage, 'end', or a symbol (-SYMBOL: back)",
            isError: true)
        return []
    }

    private static func showMemory(_ state: inout InspectorState, _ text: String, firmware: Firmware)
        -> [InspectorEffect]
    {
        guard let address = firmware.address(for: text, at: state.stateAtStep) else {
            say(
                &state, "memory \(text): not an address, symbol, section or register expression (sp+16)",
                isError: true)
            return []
        }
        state.memoryFollowsRegister = nil
        state.memoryAddress = address & ~0xF
        state.memoryCursor = address
        state.focus = .memory
        return []
    }
}
