/// Where each pane goes on a screen of a given size.
///
/// From 110 columns the registers' column runs the full height, with the stack under the
/// registers when there is room; from 150 it widens so every register can say what it points
/// to:
///
/// ```
///  banner: how the run ended                                                  (1 row)
///  ┌ Registers ─┐┌ Code: function ─────────────┐┌ Memory 0x… ──────────────────┐
///  │ pc  ra  sp ││ ▶ 80000abc  lw a0,0(a1)  [… ││ 80001000  00 11 …  |…|       │  upper
///  └────────────┘└─────────────────────────────┘└──────────────────────────────┘
///  ┌ Stack ─────┐┌ Devices ──────────┐┌ Console ─────────────────────────────┐  lower
///  │ +00 …      ││                   ││                                      │
///  └────────────┘└───────────────────┘└──────────────────────────────────────┘
///  timeline bar + legend                                                      (2 rows)
///  status line: step N · time · % · message / prompt                          (1 row)
/// ```
///
/// Below 110 columns (down to the 80×24 minimum) registers and code share the upper row, and
/// memory the lower row with devices or the console, whichever was focused last
/// (`showsDevices`):
///
/// ```
///  ┌ Registers ─┐┌ Code ───────────────────────────────────────────────────────┐
///  └────────────┘└─────────────────────────────────────────────────────────────┘
///  ┌ Memory ───────────────────────┐┌ Console (or Devices) ───────────────────┐
///  └───────────────────────────────┘└─────────────────────────────────────────┘
/// ```
///
/// The stack gets a box of its own under the registers when the column holds both the
/// registers from pc to a7 and four stack words; otherwise it takes the registers' box while
/// it is focused (`showsStack`), and Tab moves on to the registers again.
///
/// At source level (with debug information, until `a` turns to the machine level) the code
/// pane shows source, the call stack takes the stack's box (the stack shows there while
/// focused), and the variables share the lower row with the console or the devices. Where
/// the column has no room for the registers and a box under them (at 80×24), the call stack
/// has the whole column and the registers show there while focused. Where the source would be
/// narrower than 60 columns beside memory, memory leaves the upper row to it and shares the
/// variables' box (the one focused last shows); so does it below 110 columns:
///
/// ```
///  ┌ Call stack ┐┌ Source: sensorhub.c:80 — poll_sensors ──────────────────────────┐
///  └────────────┘└─────────────────────────────────────────────────────────────────┘
///  ┌ Variables (or Memory) ────────┐┌ Console (or Devices) ───────────────────────┐
///  └───────────────────────────────┘└─────────────────────────────────────────────┘
/// ```
public struct Layout: Equatable, Sendable {
    /// A rectangle of cells.
    public struct Box: Equatable, Sendable {
        public var x: Int, y: Int, width: Int, height: Int

        /// An empty box: the pane is not on screen.
        public static let hidden = Box(x: 0, y: 0, width: 0, height: 0)
    }

    /// The narrowest terminal the inspector draws in.
    public static let minimumWidth = 80
    /// The lowest terminal the inspector draws in.
    public static let minimumHeight = 24
    /// From this width the registers' box is wide enough to annotate each register.
    static let wideWidth = 150
    /// Rows the stack's box needs to be worth showing: four words.
    static let stackMinimumHeight = 6

    /// The top line: firmware, how the run ended, help hint.
    public var banner: Box
    /// The registers pane.
    public var registers: Box
    /// The stack (telescope); the registers' box while it is focused when it has none of its own.
    public var stack: Box
    /// The code pane.
    public var code: Box
    /// The memory pane.
    public var memory: Box
    /// The devices pane (may share its place with the console).
    public var devices: Box
    /// The console pane.
    public var console: Box
    /// The variables pane (with debug information).
    public var variables: Box = .hidden
    /// The call-stack pane (with debug information).
    public var callStack: Box = .hidden
    /// The timeline bar and its legend.
    public var timeline: Box
    /// The status line at the bottom.
    public var status: Box
    /// Whether the stack has a box of its own (else it stands in for the registers when focused).
    public var hasStackBox: Bool

    /// The layout for a `width` × `height` screen (at least the minimum). Below 110 columns the
    /// lower row shows devices or the console (`showsDevices`); when the stack has no box of
    /// its own it replaces the registers while `showsStack`. At source level (`isSourceLevel`)
    /// the variables and the call stack are there too; where boxes are shared, the registers
    /// show while `showsRegisters` and memory while `showsMemory`.
    public init(
        width: Int, height: Int, showsDevices: Bool = false, showsStack: Bool = false,
        isSourceLevel: Bool = false, showsRegisters: Bool = false, showsMemory: Bool = false
    ) {
        banner = Box(x: 0, y: 0, width: width, height: 1)
        status = Box(x: 0, y: height - 1, width: width, height: 1)
        timeline = Box(x: 0, y: height - 3, width: width, height: 2)
        let top = 1
        let middleHeight = height - 4
        var lowerHeight = max(7, middleHeight * 2 / 5)
        var upperHeight = middleHeight - lowerHeight
        let leftWidth = width >= Layout.wideWidth ? 46 : 28
        let spansMiddle = width >= 110
        let leftHeight = spansMiddle ? middleHeight : upperHeight
        let registerColumns = Layout.registerColumns(innerWidth: leftWidth - 2)
        // Rows for all 32 (or pc…a7), plus the selected register's line and the frame.
        let registersNeeded = (32 + registerColumns - 1) / registerColumns + 3
        let registersEssential = (18 + registerColumns - 1) / registerColumns + 3
        hasStackBox = leftHeight >= registersEssential + Layout.stackMinimumHeight
        let registersHeight =
            hasStackBox ? min(registersNeeded, leftHeight - Layout.stackMinimumHeight) : leftHeight
        // When the registers end a few rows from the upper row's end, the rows move to line up.
        if spansMiddle && hasStackBox && abs(registersHeight - upperHeight) <= 4
            && middleHeight - registersHeight >= 7
        {
            upperHeight = registersHeight
            lowerHeight = middleHeight - upperHeight
        }
        let lowerTop = top + upperHeight
        if isSourceLevel {
            let right = spansMiddle ? width - leftWidth : width
            var memoryWidth = right - 78 >= 60 ? 78 : 46
            let isMemoryAbove = spansMiddle && right - memoryWidth >= 60
            if !isMemoryAbove { memoryWidth = 0 }
            code = Box(x: leftWidth, y: top, width: width - leftWidth - memoryWidth, height: upperHeight)
            let lowerLeft = spansMiddle ? leftWidth : 0
            let variablesWidth = spansMiddle ? max(46, right / 2) : 46
            let variablesBox = Box(x: lowerLeft, y: lowerTop, width: variablesWidth, height: lowerHeight)
            if isMemoryAbove {
                memory = Box(x: width - memoryWidth, y: top, width: memoryWidth, height: upperHeight)
                variables = variablesBox
            } else {
                memory = showsMemory ? variablesBox : .hidden
                variables = showsMemory ? .hidden : variablesBox
            }
            let shared = Box(
                x: lowerLeft + variablesWidth, y: lowerTop, width: right - variablesWidth, height: lowerHeight
            )
            devices = showsDevices ? shared : .hidden
            console = showsDevices ? .hidden : shared
        } else if spansMiddle {
            let right = width - leftWidth
            let memoryWidth = right - 78 >= 60 ? 78 : 46
            code = Box(x: leftWidth, y: top, width: right - memoryWidth, height: upperHeight)
            memory = Box(x: width - memoryWidth, y: top, width: memoryWidth, height: upperHeight)
            let devicesWidth = min(58, right / 2)
            devices = Box(x: leftWidth, y: lowerTop, width: devicesWidth, height: lowerHeight)
            console = Box(
                x: leftWidth + devicesWidth, y: lowerTop, width: right - devicesWidth, height: lowerHeight)
        } else {
            code = Box(x: leftWidth, y: top, width: width - leftWidth, height: upperHeight)
            memory = Box(x: 0, y: lowerTop, width: 46, height: lowerHeight)
            let rest = Box(x: 46, y: lowerTop, width: width - 46, height: lowerHeight)
            devices = showsDevices ? rest : .hidden
            console = showsDevices ? .hidden : rest
        }
        let column = Box(x: 0, y: top, width: leftWidth, height: leftHeight)
        // At source level the call stack has the stack's place (the stack shows there while
        // focused) and, where that is the whole column, the registers' place too (they show
        // there while focused).
        if hasStackBox {
            registers = Box(x: 0, y: top, width: leftWidth, height: registersHeight)
            let below = Box(
                x: 0, y: top + registersHeight, width: leftWidth, height: leftHeight - registersHeight)
            stack = !isSourceLevel || showsStack ? below : .hidden
            callStack = isSourceLevel && !showsStack ? below : .hidden
        } else {
            let columnShowsRegisters = isSourceLevel ? showsRegisters : !showsStack
            registers = columnShowsRegisters ? column : .hidden
            stack = showsStack ? column : .hidden
            callStack = isSourceLevel && !showsStack && !showsRegisters ? column : .hidden
        }
    }

    /// The layout for what `state` shows at `width` × `height`.
    public init(for state: InspectorState, width: Int, height: Int) {
        self.init(
            width: width, height: height, showsDevices: state.lowerPaneShowsDevices,
            showsStack: state.focus == .stack, isSourceLevel: state.isSourceLevel,
            showsRegisters: state.focus == .registers, showsMemory: state.variablesPaneShowsMemory)
    }

    /// Registers side by side in a box `innerWidth` wide: one per row (with what each points
    /// to) when there is room for that, else two.
    static func registerColumns(innerWidth: Int) -> Int { innerWidth >= 36 ? 1 : 2 }

    /// Bytes per memory row that fit in `box`: 16 when there is room, else 8; as text, the most
    /// of 64, 32, 16 or 8 characters that fit beside the address.
    static func memoryBytesPerRow(_ box: Box, display: InspectorState.MemoryDisplay = .bytes) -> Int {
        switch display {
        case .bytes, .words: return box.width >= 76 ? 16 : 8
        case .text: return [64, 32, 16].first { $0 <= box.width - 2 - 9 } ?? 8
        }
    }
}
