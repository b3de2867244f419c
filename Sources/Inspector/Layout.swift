/// Where each pane goes on a screen of a given size.
///
/// ```
///  banner: how the run ended                                                  (1 row)
///  ┌ Registers ─┐┌ Code: function ─────────────┐┌ Memory 0x… ──────────────────┐
///  │ pc  ra  sp ││ ▶ 80000abc  lw a0,0(a1)     ││ 80001000  00 11 …  |…|       │  upper
///  └────────────┘└─────────────────────────────┘└──────────────────────────────┘
///  ┌ Devices ─────────────────────┐┌ Console ───────────────────────────────────┐  lower
///  └──────────────────────────────┘└────────────────────────────────────────────┘
///  timeline bar + legend                                                      (2 rows)
///  status line: step N · time · % · message / prompt                          (1 row)
/// ```
public struct Layout: Equatable, Sendable {
    /// A rectangle of cells.
    public struct Box: Equatable, Sendable {
        public var x: Int, y: Int, width: Int, height: Int
    }

    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public var banner: Box
    public var registers: Box
    public var code: Box
    public var memory: Box
    public var devices: Box
    public var console: Box
    public var timeline: Box
    public var status: Box

    /// The layout for a `width` × `height` screen (at least the minimum). Below 110 columns
    /// memory moves to the lower row, which then shows devices or the console, whichever was
    /// focused last (`showsDevices`).
    public init(width: Int, height: Int, showsDevices: Bool = false) {
        banner = Box(x: 0, y: 0, width: width, height: 1)
        status = Box(x: 0, y: height - 1, width: width, height: 1)
        timeline = Box(x: 0, y: height - 3, width: width, height: 2)
        let top = 1
        let middleHeight = height - 4
        let lowerHeight = max(7, middleHeight * 2 / 5)
        let upperHeight = middleHeight - lowerHeight
        let lowerTop = top + upperHeight
        let registerWidth = 28
        let hidden = Box(x: 0, y: 0, width: 0, height: 0)
        registers = Box(x: 0, y: top, width: registerWidth, height: upperHeight)
        if width >= 110 {
            let memoryWidth = width >= 150 ? 78 : 46
            memory = Box(x: width - memoryWidth, y: top, width: memoryWidth, height: upperHeight)
            code = Box(x: registerWidth, y: top, width: width - registerWidth - memoryWidth, height: upperHeight)
            let devicesWidth = min(58, width / 2)
            devices = Box(x: 0, y: lowerTop, width: devicesWidth, height: lowerHeight)
            console = Box(x: devicesWidth, y: lowerTop, width: width - devicesWidth, height: lowerHeight)
        } else {
            code = Box(x: registerWidth, y: top, width: width - registerWidth, height: upperHeight)
            memory = Box(x: 0, y: lowerTop, width: 46, height: lowerHeight)
            let rest = Box(x: 46, y: lowerTop, width: width - 46, height: lowerHeight)
            devices = showsDevices ? rest : hidden
            console = showsDevices ? hidden : rest
        }
    }

    /// Bytes per memory row that fit in `box`: 16 when there is room, else 8.
    static func memoryBytesPerRow(_ box: Box) -> Int { box.width >= 76 ? 16 : 8 }
}
