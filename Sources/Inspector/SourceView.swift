import DebugInfo
import Machine

/// What the source-level panes show at one step, gathered from the debug information: the
/// call stack, the selected frame's source and variables (with the watch expressions), and
/// that frame's registers. A value, like `MachineView`, so rendering stays pure.
public struct SourceView: Equatable, Sendable {
    /// One frame of the call stack.
    public struct Frame: Equatable, Sendable {
        /// The function (`??` where nothing names the code).
        public var function: String
        /// The frame's pc: the next instruction for the innermost frame, else the return address.
        public var pc: UInt32
        /// The source line (for a caller, the line of its call).
        public var location: SourceLocation?
        /// Code inlined into the next frame out.
        public var isInlined: Bool
        /// A trap handler: the next frame out is the code the trap interrupted.
        public var isTrapHandler: Bool
    }

    /// The selected frame's source file around its line.
    public struct Listing: Equatable, Sendable {
        /// The file as the line table names it.
        public var path: String
        /// The file's lines (empty when its text is not available).
        public var lines: [String]
        /// Why the lines are missing ("source not available: sensorhub.c"), if they are.
        public var note: String?
        /// The frame's line (1-based).
        public var currentLine: Int
        /// Lines with an enabled breakpoint on one of their addresses.
        public var breakpointLines: Set<Int>
        /// When the executed lines are shown (`x`): which lines ran in the span collected.
        public var coverage: Coverage?
    }

    /// Which lines of a file ran in a span of the recording.
    public struct Coverage: Equatable, Sendable {
        /// Lines one of whose statements ran.
        public var ran: Set<Int>
        /// Lines that have code at all.
        public var haveCode: Set<Int>
    }

    /// One row of the variables pane: a watch expression, an argument, a local, or a member,
    /// element or pointee of an expanded one.
    public struct Variable: Equatable, Sendable {
        /// Where the row comes from.
        public enum Kind: Equatable, Sendable {
            case watch, argument, local, member
        }
        /// The row's identity within its frame (`sensor`, `sensor/read`, `watch:sensors[2]`).
        public var id: String
        /// What expanding the row is remembered by (the function or `watch`, then `id`).
        public var expansionKey: String
        /// Where the row comes from.
        public var kind: Kind
        /// Nesting under expanded rows (0: top level).
        public var depth: Int
        /// The name shown: a variable's, a member's, `[2]`, `*p`, or a watch's expression.
        public var name: String
        /// The C expression that reads the row (`sensor->read`), for messages and `W`.
        public var expression: String
        /// The value as gdb prints it (for an expanded aggregate: its type), or why it has none.
        public var value: String
        /// The C type, as gdb spells it.
        public var type: String
        /// Whether → expands it (a struct, an array, a pointer to something to show).
        public var isExpandable: Bool
        /// Whether it is expanded.
        public var isExpanded: Bool
        /// Whether the last move changed its value.
        public var isChanged: Bool
        /// Whether the value is an error (a watch that does not evaluate, unreadable memory).
        public var isError: Bool
        /// The bytes holding it, when it is in memory (what `W` looks for writes to).
        public var memory: Range<UInt32>?

        /// A row from its parts.
        public init(
            id: String, expansionKey: String, kind: Kind, depth: Int, name: String, expression: String,
            value: String, type: String, isExpandable: Bool, isExpanded: Bool, isChanged: Bool, isError: Bool,
            memory: Range<UInt32>?
        ) {
            self.id = id
            self.expansionKey = expansionKey
            self.kind = kind
            self.depth = depth
            self.name = name
            self.expression = expression
            self.value = value
            self.type = type
            self.isExpandable = isExpandable
            self.isExpanded = isExpanded
            self.isChanged = isChanged
            self.isError = isError
            self.memory = memory
        }
    }

    /// The frames, innermost first.
    public var frames: [Frame]
    /// Why unwinding stopped, when not at the outermost function.
    public var stackEnd: String?
    /// The frame the panes follow.
    public var selectedFrame: Int
    /// The selected frame's source, when it has a line.
    public var listing: Listing?
    /// The variables pane's rows: watch expressions, arguments, locals, expanded members.
    public var variables: [Variable]
    /// For a caller frame: pc and x1…x31 as the unwinder recovered them (nil: not saved).
    public var frameRegisters: [UInt32?]?
    /// What `frameRegisters` point to.
    public var framePointees: [Pointee?] = []
    /// For a caller frame: the disassembly around its pc.
    public var frameCode: [MachineView.CodeLine] = []
    /// For a caller frame: its pc as symbol and offset (`poll_sensors+0x26`).
    public var frameSymbol: String?

    /// The selected frame, if there is one.
    public var frame: Frame? { frames.indices.contains(selectedFrame) ? frames[selectedFrame] : nil }
}
