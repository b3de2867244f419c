import Machine
import Recording

/// What the screen shows of the machine at one step, gathered from the timeline: a value,
/// so rendering stays pure and screens can be tested without a recording.
public struct MachineView: Equatable, Sendable {
    /// One disassembled instruction of the code pane.
    public struct CodeLine: Equatable, Sendable {
        /// The instruction's address.
        public var address: UInt32
        /// Its disassembly.
        public var text: String
        /// The symbol that starts at this address, if any.
        public var label: String?
    }

    /// A marker drawn on the timeline.
    public struct TimelineMark: Equatable, Sendable {
        /// What the mark stands for; the character is what the timeline draws.
        public enum Kind: Character, Sendable, CaseIterable {
            case exception = "!", interrupt = "i", console = "o", input = "<", end = "X", breakpoint = "b",
                watch = "w"
        }
        /// The step it marks.
        public var step: UInt64
        /// What happened there.
        public var kind: Kind
        /// The breakpoint or watchpoint whose exact hit this is (nil: a hit may lie here).
        public var stopNumber: Int? = nil
    }

    /// A word of the stack, from sp upward (the telescope).
    public struct StackWord: Equatable, Sendable {
        /// The word's address.
        public var address: UInt32
        /// Its value.
        public var value: UInt32
        /// What the value points to, if anything.
        public var pointee: Pointee?
    }

    /// The instruction at pc, previewed: what it will read, write or jump to.
    public struct CurrentInstruction: Equatable, Sendable {
        /// What the instruction does, decoded with the registers of this step.
        public var effect: InstructionEffect
        /// The value at the effective address now, `size` bytes little-endian (for loads,
        /// stores and atomics; nil where memory cannot be read: a device, or no memory at all).
        public var memoryValue: UInt32?
        /// Where a branch or jump target lies (nil: nowhere the firmware knows, not code).
        public var targetPointee: Pointee?
        /// What the loaded value points to.
        public var loadedPointee: Pointee?
    }

    /// The step shown.
    public var step: UInt64
    /// The recording's last step.
    public var totalSteps: UInt64
    /// The machine state at `step` (RAM aside).
    public var state: MachineState
    /// Registers and pc one step earlier (nil at step 0), for "changed by the last step".
    public var previousRegisters: [UInt32]?
    /// pc one step earlier (nil at step 0).
    public var previousPC: UInt32?
    /// Name and offset of the function pc is in.
    public var function: String?
    /// About 40 instructions around pc.
    public var code: [CodeLine]
    /// The instruction at pc, previewed (nil when it neither touches memory nor jumps).
    public var current: CurrentInstruction?
    /// What pc and x1…x31 point to (index 0 is pc), nil where a value is not an address.
    public var registerPointees: [Pointee?] = Array(repeating: nil, count: 32)
    /// Words from sp (plus the stack pane's scroll) upward, while memory can be read.
    public var stack: [StackWord] = []
    /// `memory.count` bytes from `memoryAddress` (nil where not RAM).
    public var memoryAddress: UInt32
    /// The bytes themselves.
    public var memory: [UInt8?]
    /// Per byte of `memory`: written by the last step.
    public var writtenByLastStep: [Bool]
    /// Per byte of `memory`: different from the mark's step (when a mark is highlighted).
    public var changedSinceMark: [Bool]
    /// The console as a terminal shows it (`ConsoleScreen`): one entry per line, oldest first.
    public var console: [String]
    /// Markers in the timeline's visible span.
    public var marks: [TimelineMark]
    /// Keyframe steps in the timeline's visible span.
    public var keyframes: [UInt64]
    /// How the run ended, for the banner.
    public var ending: String
    /// Whether the run ended in a crash (the banner says so in red).
    public var endedInCrash: Bool
    /// The firmware's file name.
    public var firmwareName: String

    /// Simulated nanoseconds at this step (1 ns per cycle).
    public var simulatedNanoseconds: UInt64 { state.cycles }
}
