import Machine

/// Everything the inspector shows that is not the machine itself: where in time the user is,
/// what they look at, and what they asked for. A value; `reduce` is the only thing that
/// changes it.
public struct InspectorState: Equatable, Sendable {
    /// The panes, in Tab order.
    public enum Pane: String, CaseIterable, Sendable {
        case registers, code, memory, devices, console, timeline
    }

    /// What the prompt line at the bottom is asking for.
    public enum PromptKind: String, Equatable, Sendable {
        /// `:` commands (goto, break, watch, find, mark, help, quit…).
        case command
        /// `/` search forward (mnemonic, hex bytes or console text).
        case search
        /// `g` goto: a step, a percentage, `end`, or a symbol.
        case goto
        /// `b` toggle a breakpoint at an address or symbol.
        case breakpoint
        /// `w` watch writes to ADDR[:LEN].
        case watch
        /// `@` show memory at an address or symbol.
        case memory
    }

    /// An open prompt and what has been typed.
    public struct Prompt: Equatable, Sendable {
        public var kind: PromptKind
        public var text: String
    }

    /// Playback: steps per frame and direction.
    public struct Playback: Equatable, Sendable {
        public var isPlaying = false
        public var isReversed = false
        /// Index into `speeds`.
        public var speedIndex = 2
        public static let speeds: [UInt64] = [1, 10, 100, 1000, 10_000]
        public var stepsPerFrame: UInt64 { Playback.speeds[speedIndex] }
    }

    /// A live run the inspector watches as it grows (nil for a finished recording).
    public struct Live: Equatable, Sendable {
        /// The view moves with the live head (a scrub key stops following; `f`/End resume).
        public var isFollowing = true
        /// The newest state the source reports.
        public var report: LiveReport
        /// Whether the inspector can steer the run (pause, pacing, input): not when it
        /// follows another process's file.
        public var canControl: Bool { report.pacing != nil }
        public var isRunning: Bool { report.ended == nil }

        public init(report: LiveReport, isFollowing: Bool = true) {
            self.report = report
            self.isFollowing = isFollowing
        }
    }

    /// The step on screen (0 … `totalSteps`).
    public var step: UInt64
    /// The last step of the recording.
    public var totalSteps: UInt64
    public var focus: Pane = .code
    /// Selected register: 0 = pc, 1…31 = x1…x31.
    public var selectedRegister = 1
    /// First address shown in the memory pane.
    public var memoryAddress: UInt32
    /// The memory byte the cursor is on (for W and watches).
    public var memoryCursor: UInt32
    /// When set, the memory pane follows the value of this register.
    public var memoryFollowsRegister: Int?
    /// Lines scrolled up in the console pane (0 = newest at the bottom).
    public var consoleScroll = 0
    public var breakpoints: [UInt32] = []
    public var watchpoints: [Range<UInt32>] = []
    /// Marks set with m<letter>.
    public var marks: [Character: UInt64] = [:]
    /// A mark whose step the memory pane highlights writes since (the last `m` set).
    public var highlightSince: UInt64?
    /// Steps visited before each seek, for `u`.
    public var history: [UInt64] = []
    public var playback = Playback()
    public var prompt: Prompt?
    /// A key that waits for its letter (`m`, `'`).
    public var pendingMarkKey: Character?
    /// One line of feedback in the status bar.
    public var message: String?
    public var messageIsError = false
    public var isShowingHelp = false
    /// Timeline zoom: the number of steps the bar spans (≥ 1), centred on the head.
    public var timelineSpan: UInt64
    /// Set when the user asked to quit.
    public var isQuitting = false
    /// A long operation in progress (drawn as a progress line).
    public var progress: String?
    /// The pc at `step`, kept by the session from the machine view (the default for `b`).
    public var pcAtStep: UInt32?
    /// The memory pane's shape on screen, kept by the session (for moving the cursor).
    public var memoryBytesPerRow = 16
    public var memoryVisibleRows = 16
    /// Below 110 columns the lower row shows devices or the console: the one focused last.
    public var lowerPaneShowsDevices = false
    /// Set in live mode.
    public var live: Live?

    /// A new state at `step` of a recording `totalSteps` long.
    public init(step: UInt64, totalSteps: UInt64, memoryAddress: UInt32) {
        self.step = step
        self.totalSteps = totalSteps
        self.memoryAddress = memoryAddress & ~0xF
        self.memoryCursor = memoryAddress
        self.timelineSpan = max(1, totalSteps)
    }
}
