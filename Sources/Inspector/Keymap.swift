/// What a key asks the inspector to do. The reducer carries out commands; `Keymap` says
/// which key means which command where.
public enum InspectorCommand: Hashable, Sendable {
    // Moving in time
    case stepBack, stepForward, tenStepsBack, tenStepsForward, percentBack, percentForward
    /// Jump to this many tenths of the recording (0 … 9).
    case jumpToTenth(Int)
    case jumpToStart, jumpToEnd
    case previousMarker, nextMarker
    case undoJump
    /// Wait for a letter, then set that mark / go to it.
    case setMark, goToMark
    /// Run to the next / previous breakpoint or watchpoint hit.
    case continueForward, continueBackward
    /// Move by source line: into calls, over them, out of the frame; forwards or backwards.
    case sourceMove(SourceMove, isBackward: Bool)
    // Questions
    case breakpointPrompt, watchPrompt, gotoPrompt, memoryPrompt, commandPrompt
    case searchForwardPrompt, searchBackwardPrompt, repeatSearchForward, repeatSearchBackward
    /// The last write to the word under the memory cursor.
    case lastWrite
    /// The last change of the selected register.
    case lastRegisterChange
    /// The memory pane follows the selected register (a pointer), or stops following it.
    case followRegister
    /// The memory pane shows bytes, then words, then text.
    case cycleMemoryDisplay
    /// The code pane shows the source, or the disassembly.
    case toggleAssembly
    /// Ask for a C expression to watch in the variables pane (again: stop watching it).
    case expressionPrompt
    /// Show (or hide) which source lines ran in the timeline's visible span.
    case toggleExecutedLines
    /// Expand the selected variable (a struct, an array, a pointer), or collapse it.
    case expandVariable, collapseVariable
    /// The last write to the selected variable.
    case variableLastWrite
    /// Stop watching the selected watch expression.
    case deleteWatch
    // Panes
    case focusNext, focusPrevious
    /// Up / down a row, or a page, in the focused pane (a register, a memory row, a console
    /// line, a stack word; a step in the code, devices and timeline panes).
    case rowUp, rowDown, pageUp, pageDown
    /// The memory cursor one byte back / forward.
    case memoryCursorBack, memoryCursorForward
    // Playback and the timeline
    case playOrPause, playFaster, playSlower, reversePlayback, stopPlayback
    case zoomIn, zoomOut
    case showHelp, quit
    // Live mode (`timescope watch`)
    case pauseOrResumeFirmware, followLiveHead, typeToFirmware, pacingSlower, pacingFaster
    // In a prompt
    case earlierInput, laterInput, completeSymbol, submitPrompt, cancelPrompt, deleteCharacter, clearPrompt
}

/// Where a key binding applies.
public enum KeyContext: Hashable, Sendable {
    /// Browsing the recording, whichever pane has focus.
    case anyPane
    /// Only while one of these panes has focus (it wins over `anyPane`).
    case focused(Set<InspectorState.Pane>)
    /// Only in live mode (`timescope watch`); wins over the other browsing bindings.
    case live
    /// While a prompt (`:`, `/`, `\`, `g`, `b`, `w`, `@`) is open; other characters are typed.
    case prompt
    /// While the help or the breakpoint list covers the screen; any other key closes it.
    case overlay
}

/// One row of the keymap: keys, the commands they run, and how the help and README name them.
public struct KeyBinding: Sendable {
    /// The keys as the help overlay and the README's key table write them ("←/→ h/l"): at
    /// most `Keymap.keysWidth` characters.
    public var keys: String
    /// What the keys do, as the help overlay says it: at most `Keymap.helpWidth` characters,
    /// so that two columns fit a 100-column terminal.
    public var help: String
    /// Where the keys act.
    public var context: KeyContext
    /// Each key and the command it runs.
    public var commands: [Key: InspectorCommand]

    /// A binding that applies in `context`.
    public init(_ keys: String, _ help: String, _ context: KeyContext, _ commands: [Key: InspectorCommand]) {
        self.keys = keys
        self.help = help
        self.context = context
        self.commands = commands
    }

    /// A binding that applies whichever pane has focus.
    public init(_ keys: String, _ help: String, _ commands: [Key: InspectorCommand]) {
        self.init(keys, help, .anyPane, commands)
    }
}

/// The one table of keys: the reducer dispatches from it, the `?` overlay lists it, and a test
/// holds the README's key table to it. Adding a key is adding a line here (and its command's
/// case in the reducer).
public enum Keymap {
    /// The longest a binding's `keys` may be.
    public static let keysWidth = 15
    /// The longest a binding's `help` may be.
    public static let helpWidth = 30

    /// Every binding, in the order the help and the README list them.
    public static let bindings: [KeyBinding] = [
        // Moving in time
        .init(
            "←/→ h/l S/s", "one step back / forward",
            [
                .left: .stepBack, .right: .stepForward, .character("h"): .stepBack,
                .character("l"): .stepForward, .character("S"): .stepBack, .character("s"): .stepForward,
            ]),
        .init(
            "Shift-←/→ H/L", "ten steps back / forward",
            [
                .shiftLeft: .tenStepsBack, .shiftRight: .tenStepsForward, .character("H"): .tenStepsBack,
                .character("L"): .tenStepsForward,
            ]),
        .init(
            ", .", "one percent back / forward",
            [.character(","): .percentBack, .character("."): .percentForward]),
        .init(
            "0 … 9", "jump to 0 % … 90 %",
            Dictionary(
                uniqueKeysWithValues: (0...9).map {
                    (Key.character(Character(String($0))), InspectorCommand.jumpToTenth($0))
                })),
        .init("Home End", "start / end of the recording", [.home: .jumpToStart, .end: .jumpToEnd]),
        .init(
            "[ ]", "previous / next marker", [.character("["): .previousMarker, .character("]"): .nextMarker]),
        .init("u", "undo the last jump", [.character("u"): .undoJump]),
        .init(
            "m<x> '<x>", "set mark x / go to mark x", [.character("m"): .setMark, .character("'"): .goToMark]),
        .init("g", "go to step, %, end, [-]SYMBOL", [.character("g"): .gotoPrompt]),
        // Breakpoints, watchpoints, who wrote this
        .init("b", "break ADDR|FILE:LINE [if COND]", [.character("b"): .breakpointPrompt]),
        .init("w", "watch ADDR[:LEN] [if COND]", [.character("w"): .watchPrompt]),
        .init(
            "c C", "run to the next / previous hit",
            [.character("c"): .continueForward, .character("C"): .continueBackward]),
        .init("W", "last write to the cursor word", [.character("W"): .lastWrite]),
        // Source level
        .init(
            "e E", "step (into calls) fwd / back",
            [
                .character("e"): .sourceMove(.step, isBackward: false),
                .character("E"): .sourceMove(.step, isBackward: true),
            ]),
        .init(
            "o O", "next (over calls) fwd / back",
            [
                .character("o"): .sourceMove(.next, isBackward: false),
                .character("O"): .sourceMove(.next, isBackward: true),
            ]),
        .init(
            "t T", "finish (out of frame) fwd/back",
            [
                .character("t"): .sourceMove(.finish, isBackward: false),
                .character("T"): .sourceMove(.finish, isBackward: true),
            ]),
        .init("a", "source / machine level (asm)", [.character("a"): .toggleAssembly]),
        .init("p", "watch a C expression", [.character("p"): .expressionPrompt]),
        .init("x", "source: lines run in timeline", [.character("x"): .toggleExecutedLines]),
        .init(
            "W", "last change of this register", .focused([.registers]),
            [.character("W"): .lastRegisterChange]),
        .init(
            "W", "last write to this variable", .focused([.variables]), [.character("W"): .variableLastWrite]),
        // Looking around
        .init(
            "/ \\", "search forward / backward",
            [.character("/"): .searchForwardPrompt, .character("\\"): .searchBackwardPrompt]),
        .init(
            "n N", "repeat search forward / back",
            [.character("n"): .repeatSearchForward, .character("N"): .repeatSearchBackward]),
        .init("@", "memory at an address or symbol", [.character("@"): .memoryPrompt]),
        .init("f", "memory follows the register", [.character("f"): .followRegister]),
        .init("v", "memory: bytes, words, text", [.character("v"): .cycleMemoryDisplay]),
        .init(":", "commands: :info break, :d N…", [.character(":"): .commandPrompt]),
        .init(
            "Tab Shift-Tab", "focus the next / previous pane", [.tab: .focusNext, .backTab: .focusPrevious]),
        .init(
            "↑/↓ k/j", "one step back / forward", .focused([.code, .devices, .timeline]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "↑/↓ k/j", "select a register", .focused([.registers]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "↑/↓ k/j", "move the memory cursor a row", .focused([.memory]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "←/→", "move the memory cursor a byte", .focused([.memory]),
            [.left: .memoryCursorBack, .right: .memoryCursorForward]),
        .init(
            "↑/↓ k/j", "scroll the console a line", .focused([.console]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "↑/↓ k/j", "scroll the stack a word", .focused([.stack]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "↑/↓ k/j", "select a frame (panes follow)", .focused([.callStack]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "↑/↓ k/j", "select a variable", .focused([.variables]),
            [.up: .rowUp, .down: .rowDown, .character("k"): .rowUp, .character("j"): .rowDown]),
        .init(
            "Enter →", "expand struct, array, pointer", .focused([.variables]),
            [.enter: .expandVariable, .right: .expandVariable]),
        .init("←", "collapse, or go to the parent", .focused([.variables]), [.left: .collapseVariable]),
        .init(
            "d Del", "remove this watch expression", .focused([.variables]),
            [.character("d"): .deleteWatch, .delete: .deleteWatch]),
        .init(
            "PgUp/PgDn K/J", "a page in the focused pane",
            [.pageUp: .pageUp, .pageDown: .pageDown, .character("K"): .pageUp, .character("J"): .pageDown]),
        // Playback
        .init("Space", "play / pause (stops at hits)", [.character(" "): .playOrPause]),
        .init(
            "+/= -/_", "playback faster / slower",
            [
                .character("+"): .playFaster, .character("="): .playFaster, .character("-"): .playSlower,
                .character("_"): .playSlower,
            ]),
        .init("r", "reverse the playback", [.character("r"): .reversePlayback]),
        .init("z Z", "zoom the timeline in / out", [.character("z"): .zoomIn, .character("Z"): .zoomOut]),
        .init("Esc", "stop playback", [.escape: .stopPlayback]),
        .init("? F1", "this help (↑/↓ scroll it)", [.character("?"): .showHelp, .function(1): .showHelp]),
        .init("q Ctrl-C", "quit", [.character("q"): .quit, .control("c"): .quit]),
        // Live mode
        .init("Space", "live: pause / resume firmware", .live, [.character(" "): .pauseOrResumeFirmware]),
        .init(
            "End F", "live: follow the head", .live,
            [.end: .followLiveHead, .character("F"): .followLiveHead]),
        .init("i", "live: type to UART (Esc stops)", .live, [.character("i"): .typeToFirmware]),
        .init(
            "< >", "live: pacing slower / faster", .live,
            [.character("<"): .pacingSlower, .character(">"): .pacingFaster]),
        // Prompts
        .init("↑/↓", "prompt: earlier / later input", .prompt, [.up: .earlierInput, .down: .laterInput]),
        .init("Tab", "prompt: complete (again: list)", .prompt, [.tab: .completeSymbol]),
        .init("Enter Esc", "prompt: run / cancel", .prompt, [.enter: .submitPrompt, .escape: .cancelPrompt]),
        .init(
            "Bksp/Del Ctrl-U", "prompt: delete a char / all", .prompt,
            [.backspace: .deleteCharacter, .delete: .deleteCharacter, .control("u"): .clearPrompt]),
        // Overlays
        .init(
            "↑/↓ PgUp/PgDn", "scroll the help or the list", .overlay,
            [.up: .rowUp, .down: .rowDown, .pageUp: .pageUp, .pageDown: .pageDown]),
    ]

    /// The command `key` runs, looking in the context's own bindings first: a prompt's or an
    /// overlay's; else live mode's (when live), the focused pane's, then any pane's.
    public static func command(
        for key: Key, focus: InspectorState.Pane, isLive: Bool, isInPrompt: Bool = false,
        isInOverlay: Bool = false
    ) -> InspectorCommand? {
        if isInPrompt {
            return bindings.lazy.filter { $0.context == .prompt }.compactMap { $0.commands[key] }.first
        }
        if isInOverlay {
            return bindings.lazy.filter { $0.context == .overlay }.compactMap { $0.commands[key] }.first
        }
        if isLive,
            let command = bindings.lazy.filter({ $0.context == .live }).compactMap({ $0.commands[key] }).first
        {
            return command
        }
        for binding in bindings {
            if case .focused(let panes) = binding.context, panes.contains(focus),
                let command = binding.commands[key]
            {
                return command
            }
        }
        return bindings.lazy.filter { $0.context == .anyPane }.compactMap { $0.commands[key] }.first
    }

    /// The bindings the help overlay lists with `focus` focused: those of the focused pane, of
    /// prompts and overlays, in live mode live mode's, and those of any pane whose keys are not
    /// all taken over by these (Space in live mode, W with the registers focused).
    public static func helpBindings(isLive: Bool, focus: InspectorState.Pane) -> [KeyBinding] {
        let focusedKeys = bindings.filter {
            if case .focused(let panes) = $0.context { panes.contains(focus) } else { false }
        }
        let takenOver = Set(
            (isLive ? bindings.filter { $0.context == .live } : focusedKeys).flatMap { $0.commands.keys }
        )
        .union(focusedKeys.flatMap { $0.commands.keys })
        return bindings.filter { binding in
            switch binding.context {
            case .live: return isLive
            case .anyPane: return !binding.commands.keys.allSatisfy(takenOver.contains)
            case .focused(let panes): return panes.contains(focus)
            case .prompt, .overlay: return true
            }
        }
    }

    /// How the help and the README write a key.
    public static func name(of key: Key) -> String {
        switch key {
        case .character(" "): "Space"
        case .character(let character): String(character)
        case .control(let letter): "Ctrl-\(letter.uppercased())"
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .shiftLeft: "Shift-←"
        case .shiftRight: "Shift-→"
        case .shiftUp: "Shift-↑"
        case .shiftDown: "Shift-↓"
        case .home: "Home"
        case .end: "End"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .enter: "Enter"
        case .escape: "Esc"
        case .backspace: "Bksp"
        case .delete: "Del"
        case .tab: "Tab"
        case .backTab: "Shift-Tab"
        case .function(let number): "F\(number)"
        case .resize: "resize"
        case .interrupt: "interrupt"
        }
    }
}
