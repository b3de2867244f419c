import Machine
import Recording

/// Everything the inspector shows that is not the machine itself: where in time the user is,
/// what they look at, and what they asked for. A value; `reduce` is the only thing that
/// changes it.
public struct InspectorState: Equatable, Sendable {
    /// The panes, in Tab order (the call stack and variables only at source level).
    public enum Pane: String, CaseIterable, Sendable {
        case registers, code, variables
        case callStack = "call stack"
        case memory, devices, console, timeline, stack

        /// Whether the pane shows only at source level (`InspectorState.isSourceLevel`).
        public var isSourceLevel: Bool { self == .variables || self == .callStack }
    }

    /// How the memory pane shows bytes (`v` cycles through them).
    public enum MemoryDisplay: String, CaseIterable, Sendable {
        /// Hex bytes and their ASCII.
        case bytes
        /// 32-bit little-endian words.
        case words
        /// Characters only, many to a row, to read strings.
        case text
    }

    /// What the prompt line at the bottom is asking for.
    public enum PromptKind: String, Equatable, Hashable, Sendable {
        /// `:` commands (goto, break, watch, info, delete, enable, disable, find, help, quit…).
        case command
        /// `/` search forward (console text, a mnemonic or instruction bytes).
        case search
        /// `\` search backward.
        case searchBackward
        /// `g` goto: a step, a percentage, `end`, or a symbol (`-SYMBOL`: backward).
        case goto
        /// `b` set or remove a breakpoint at an address or symbol, with a condition.
        case breakpoint
        /// `w` watch writes to ADDR[:LEN], with a condition.
        case watch
        /// `@` show memory at an address or symbol.
        case memory
        /// `p` add (or remove) a C expression to the watch expressions of the variables pane.
        case expression
    }

    /// An open prompt and what has been typed.
    public struct Prompt: Equatable, Sendable {
        /// What the prompt asks for.
        public var kind: PromptKind
        /// What has been typed.
        public var text: String
        /// While ↑/↓ walk the prompt's history: the entry shown (0 = the newest).
        public var historyIndex: Int?
        /// What was typed before ↑ went into the history (↓ past the newest brings it back).
        public var draft = ""
        /// The last key was a Tab that left several symbols to choose from (a second Tab lists them).
        public var isCompletionPending = false
        /// Symbols a second Tab listed, shown after the prompt.
        public var candidates: [String] = []

        /// A prompt of `kind` with `text` typed.
        public init(kind: PromptKind, text: String = "") {
            self.kind = kind
            self.text = text
        }
    }

    /// A numbered breakpoint or watchpoint (`:info break` lists them).
    public struct Stop: Equatable, Sendable {
        /// Its number, from 1, never reused in a session.
        public var number: Int
        /// Where it stops, and on what condition.
        public var rule: StopRule
        /// Where, as the list shows it: "0x8000035e (poll_sensors+0x24)".
        public var place: String
        /// A disabled one stays in the list but stops nothing.
        public var isEnabled = true

        /// A breakpoint (it stops at an execution), not a watchpoint.
        public var isBreakpoint: Bool {
            if case .execution = rule.trigger { true } else { false }
        }
    }

    /// A hit count, and the last step of the recording it covers (a live one grows).
    public struct HitCount: Equatable, Sendable {
        /// Hits whose condition held.
        public var hits: Int
        /// The last step of the recording counted.
        public var throughStep: UInt64
    }

    /// Playback: steps per frame and direction.
    public struct Playback: Equatable, Sendable {
        /// Whether playback runs.
        public var isPlaying = false
        /// Whether it runs backwards.
        public var isReversed = false
        /// Index into `speeds`.
        public var speedIndex = 2
        /// Steps per frame of each playback speed.
        public static let speeds: [UInt64] = [1, 10, 100, 1000, 10_000]
        /// Steps per frame at the current speed.
        public var stepsPerFrame: UInt64 { Playback.speeds[speedIndex] }
    }

    /// A live run the inspector watches as it grows (nil for a finished recording).
    public struct Live: Equatable, Sendable {
        /// The view moves with the live head (a scrub key stops following; End/F resume).
        public var isFollowing = true
        /// The newest state the source reports.
        public var report: LiveReport
        /// Whether the inspector can steer the run (pause, pacing, input): not when it
        /// follows another process's file.
        public var canControl: Bool { report.pacing != nil }
        /// Whether the firmware still runs (it has not ended).
        public var isRunning: Bool { report.ended == nil }

        /// Live mode with the source's first report.
        public init(report: LiveReport, isFollowing: Bool = true) {
            self.report = report
            self.isFollowing = isFollowing
        }
    }

    /// The step on screen (0 … `totalSteps`).
    public var step: UInt64
    /// The last step of the recording.
    public var totalSteps: UInt64
    /// The focused pane (keys such as ↑/↓ act on it). Panes that share a box remember which
    /// of them was focused last.
    public var focus: Pane = .code {
        didSet {
            switch focus {
            case .devices, .console: lowerPaneShowsDevices = focus == .devices
            case .memory: variablesPaneShowsMemory = true
            case .variables: variablesPaneShowsMemory = false
            default: break
            }
        }
    }
    /// Selected register: 0 = pc, 1…31 = x1…x31.
    public var selectedRegister = 1
    /// First address shown in the memory pane.
    public var memoryAddress: UInt32
    /// The memory byte the cursor is on (for W and watches).
    public var memoryCursor: UInt32
    /// When set, the memory pane follows the value of this register.
    public var memoryFollowsRegister: Int?
    /// Bytes, words or text in the memory pane.
    public var memoryDisplay = MemoryDisplay.bytes
    /// Words the stack pane is scrolled up from sp (0 = sp at the top).
    public var stackScroll = 0
    /// Lines scrolled up in the console pane (0 = newest at the bottom).
    public var consoleScroll = 0
    /// Breakpoints and watchpoints, in the order they were set.
    public var stops: [Stop] = []
    /// The number the next breakpoint or watchpoint gets.
    public var nextStopNumber = 1
    /// Hit counts over the whole recording, counted when the list is shown (by rule: a
    /// changed condition counts again).
    public var hitCounts: [StopRule: HitCount] = [:]
    /// The addresses of the enabled breakpoints.
    public var breakpoints: [UInt32] {
        stops.compactMap { stop in
            guard stop.isEnabled, case .execution(let address) = stop.rule.trigger else { return nil }
            return address
        }
    }
    /// The ranges of the enabled watchpoints.
    public var watchpoints: [Range<UInt32>] {
        stops.compactMap { stop in
            guard stop.isEnabled, case .write(let range) = stop.rule.trigger else { return nil }
            return range
        }
    }
    /// Marks set with m<letter>.
    public var marks: [Character: UInt64] = [:]
    /// A mark whose step the memory pane highlights writes since (the last `m` set).
    public var highlightSince: UInt64?
    /// Steps visited before each seek, for `u`.
    public var history: [UInt64] = []
    /// Playback speed, direction and whether it runs.
    public var playback = Playback()
    /// The open prompt, if any.
    public var prompt: Prompt?
    /// A key that waits for its letter (`m`, `'`).
    public var pendingMarkKey: Character?
    /// One line of feedback in the status bar.
    public var message: String?
    /// Whether `message` reports an error (drawn in the error style).
    public var messageIsError = false
    /// Whether the help overlay is shown.
    public var isShowingHelp = false
    /// The breakpoint list (`:info break`) covers the screen.
    public var isShowingStops = false
    /// Rows the help or the breakpoint list is scrolled down.
    public var overlayScroll = 0
    /// The last search (`/`, `\`), which `n`/`N` repeat.
    public var lastSearch: String?
    /// What was entered in each kind of prompt, oldest first (↑ recalls them).
    public var promptHistory: [PromptKind: [String]] = [:]
    /// The terminal is below the minimum size (kept by the session): only quit and resize act.
    public var isScreenTooSmall = false
    /// Timeline zoom: how many times `z` narrowed the bar (0: the whole recording).
    public var timelineZoom = 0
    /// The number of steps the bar spans, centred on the head: the recording's length over
    /// 4^`timelineZoom`, at least ten (so `Z` undoes `z` exactly, and a growing live
    /// recording keeps its zoom).
    public var timelineSpan: UInt64 {
        let whole = max(1, totalSteps)
        var span = whole
        for _ in 0..<timelineZoom where span > 0 { span /= 4 }
        return max(min(10, whole), span)
    }
    /// Set when the user asked to quit.
    public var isQuitting = false
    /// A long operation in progress (drawn as a progress line).
    public var progress: String?
    /// The pc at `step`, kept by the session from the machine view (the default for `b`).
    public var pcAtStep: UInt32?
    /// The machine state at `step`, kept by the session from the machine view: the registers
    /// that addresses like `sp+16` or `a5` in a prompt are read from.
    public var stateAtStep: MachineState?
    /// The memory pane's shape on screen, kept by the session (for moving the cursor).
    public var memoryBytesPerRow = 16
    /// Rows of the memory pane on screen, kept by the session.
    public var memoryVisibleRows = 16
    /// Below 110 columns the lower row shows devices or the console: the one focused last.
    public var lowerPaneShowsDevices = false
    /// Set in live mode.
    public var live: Live?

    // MARK: Source level

    /// What the session learned of the frame on screen from the debug information, for the
    /// keys that move among frames and variables (kept by the session, like `stateAtStep`).
    public struct SourceFacts: Equatable, Sendable {
        /// How many frames the call stack has.
        public var frameCount: Int
        /// The frame the panes follow.
        public var selectedFrame: Int
        /// The variables pane's rows, in order.
        public var variables: [SourceView.Variable]

        /// Facts from their parts.
        public init(frameCount: Int, selectedFrame: Int, variables: [SourceView.Variable]) {
            self.frameCount = frameCount
            self.selectedFrame = selectedFrame
            self.variables = variables
        }
    }

    /// Lines that ran in a span of the recording, by source file (`x` collects them).
    public struct ExecutedLines: Equatable, Sendable {
        /// The steps looked at: the timeline's visible span when `x` was pressed.
        public var span: ClosedRange<UInt64>
        /// By file (as the line tables name it): the lines one of whose statements ran.
        public var ran: [String: Set<Int>]
        /// By file: the lines that have code.
        public var haveCode: [String: Set<Int>]

        /// Lines that ran, and lines with code, by file.
        public init(span: ClosedRange<UInt64>, ran: [String: Set<Int>], haveCode: [String: Set<Int>]) {
            self.span = span
            self.ran = ran
            self.haveCode = haveCode
        }
    }

    /// Whether the firmware has debug information (kept by the session).
    public var hasDebugInfo = false
    /// Why there is no debug information ("no debug info: …"), when there is none.
    public var debugInfoProblem: String?
    /// The machine-level screen (`a`) instead of the source level: the code pane shows the
    /// disassembly, and memory, the console and the devices have the places the call stack
    /// and the variables take at source level.
    public var showsDisassembly = false
    /// Whether the screen is at source level: the code pane shows source, and the call stack
    /// and the variables are there (with debug information, until `a`).
    public var isSourceLevel: Bool { hasDebugInfo && !showsDisassembly }
    /// The frame chosen in the call-stack pane; nil: the innermost frame with a source line
    /// (a move in time comes back to that).
    public var selectedFrame: Int?
    /// The row selected in the variables pane (its id).
    public var selectedVariable: String?
    /// Expanded rows of the variables pane, by their expansion keys.
    public var expandedVariables: Set<String> = []
    /// The watch expressions, evaluated in the selected frame at every step.
    public var watchExpressions: [String] = []
    /// Lines that ran in a span, shown in the source pane (`x`); nil: not shown.
    public var executedLines: ExecutedLines?
    /// What the session learned of the frame on screen (nil without debug information).
    public var sourceFacts: SourceFacts?
    /// Where memory and the variables share a box (below 110 columns), it shows memory (the
    /// one focused last).
    public var variablesPaneShowsMemory = false

    /// A new state at `step` of a recording `totalSteps` long.
    public init(step: UInt64, totalSteps: UInt64, memoryAddress: UInt32) {
        self.step = step
        self.totalSteps = totalSteps
        self.memoryAddress = memoryAddress & ~0xF
        self.memoryCursor = memoryAddress
    }
}
