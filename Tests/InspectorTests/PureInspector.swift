import DebugInfo
import Inspector
import Machine

/// The inspector's model without a recording or a screen: a state, the crash demo's symbols,
/// and the reducer, driven from the keyboard the way the session drives it.
struct PureInspector {
    var state: InspectorState
    let firmware: Firmware
    /// The crash firmware's line tables, when the inspector was made with its debug information.
    let lines: SourceLines?
    /// The effects the reducer asked for during the last `press`, `type` or `send`.
    private(set) var effects: [InspectorEffect] = []

    /// A state at `step` of a `totalSteps`-long recording, the memory pane at `memoryAddress`;
    /// with `hasDebugInfo`, at source level with the firmware's line tables (as the session
    /// sets it up).
    init(
        step: UInt64 = 500, totalSteps: UInt64 = 1000, memoryAddress: UInt32 = 0x8000_1000,
        hasDebugInfo: Bool = false
    ) throws {
        firmware = try Firmware.load(contentsOf: DemoRecording.crashELF)
        state = InspectorState(step: step, totalSteps: totalSteps, memoryAddress: memoryAddress)
        lines = hasDebugInfo ? try DebugInfo(firmware: firmware).lines : nil
        state.hasDebugInfo = hasDebugInfo
    }

    /// Presses each key in turn.
    mutating func press(_ keys: Key...) {
        send(keys.map { .key($0) })
    }

    /// Types `text` one character per key; a newline is Enter.
    mutating func type(_ text: String) {
        send(text.map { .key($0 == "\n" ? .enter : .character($0)) })
    }

    /// Sends one action (a finished effect, a playback tick…).
    mutating func send(_ action: InspectorAction) {
        send([action])
    }

    mutating func send(_ actions: [InspectorAction]) {
        effects = []
        for action in actions {
            effects += Reducer.reduce(&state, action, firmware: firmware, lines: lines)
        }
    }

    /// The address of a symbol in the crash firmware (`sensors+56`), or a value no test expects.
    func address(_ text: String) -> UInt32 {
        firmware.address(for: text) ?? 0xDEAD_BEEF
    }
}
