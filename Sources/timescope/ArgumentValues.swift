import ArgumentParser
import Foundation
import Machine
import Recording

// The values options take, parsed when the command line is parsed: a malformed value is a
// usage error (status 2) whose one line names the option, and the libraries never see or
// mention a flag. Each type parses with a throwing `init(parsing:)` (options use it as their
// `transform`, so the message says what is wrong) and conforms to `ExpressibleByArgument`.
// What needs the recording (a step past its end, a symbol it does not have, a register's
// value at a step) is resolved when the command runs, and the error names the option too.

/// WHEN: a step of a recording (`StepExpression`: `684`, `end`, `50%`, `end-100`, `+10`).
struct When: ExpressibleByArgument, CustomStringConvertible {
    let expression: StepExpression

    init(parsing text: String) throws(StepError) { expression = try StepExpression(parsing: text) }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { expression.text }

    /// The step in `timeline`, a relative form counted from `reference`; errors name `option`.
    func step(in timeline: Timeline, option: String, relativeTo reference: UInt64? = nil)
        throws(RecordingError) -> UInt64
    {
        do {
            return try expression.step(lastStep: timeline.totalSteps, reference: reference)
        } catch {
            throw .invalidRequest("\(option): \(error)")
        }
    }
}

/// ADDR: one address (`AddressExpression` without a length).
struct AddressArgument: ExpressibleByArgument, CustomStringConvertible {
    let expression: AddressExpression

    init(parsing text: String) throws(AddressError) { expression = try AddressExpression(parsing: text) }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { expression.text }

    /// The address at the step `timeline` is at (registers are read there); errors name `option`.
    func address(in timeline: Timeline, option: String) throws(RecordingError) -> UInt32 {
        do {
            return try expression.address(in: timeline.machine.firmware, state: timeline.machine.state)
        } catch {
            throw .invalidRequest("\(option): \(error)")
        }
    }
}

/// ADDR[:LEN]: a range of bytes (`AddressExpression` with an optional length).
struct AddressRangeArgument: ExpressibleByArgument, CustomStringConvertible {
    let expression: AddressExpression

    init(parsing text: String) throws(AddressError) {
        expression = try AddressExpression(parsing: text, allowsLength: true)
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { expression.text }

    /// The range at the step `timeline` is at (registers are read there); errors name `option`.
    func range(in timeline: Timeline, option: String, defaultLength: UInt32) throws(RecordingError) -> Range<
        UInt32
    > {
        do {
            return try expression.range(
                in: timeline.machine.firmware, state: timeline.machine.state, defaultLength: defaultLength)
        } catch {
            throw .invalidRequest("\(option): \(error)")
        }
    }
}

/// `--event KIND`: a marker kind a recording can hold, or a family.
struct EventKind: ExpressibleByArgument, CustomStringConvertible {
    let kind: MarkerKind

    init(parsing text: String) throws(ValidationError) {
        let kind = MarkerKind(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased())
        guard
            MarkerKind.isKnown(kind) || kind == MarkerKind.exceptionFamily
                || kind == MarkerKind.interruptFamily
        else {
            throw ValidationError("not a marker kind; the kinds are \(EventKind.listed)")
        }
        self.kind = kind
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { kind.rawValue }

    /// Every kind, for messages and help.
    static let listed =
        MarkerKind.namedKinds.map(\.rawValue).joined(separator: ", ")
        + ", exception-N and interrupt-N for other causes, and the families \(MarkerKind.exceptionFamily) and \(MarkerKind.interruptFamily)"
}

/// `--ram SIZE`: `128M`, `64MiB`, `1G`, `1048576`, `0x100000`; whole 4 KiB pages, at most 2 GiB − 4 KiB.
struct RAMSize: ExpressibleByArgument, CustomStringConvertible {
    let bytes: UInt64

    init(parsing text: String) throws(ValidationError) {
        guard let size = RAMSize.bytes(in: text) else {
            throw ValidationError("not a size; use e.g. 128M, 64MiB or 1G")
        }
        guard size >= 4096, size <= BoardConfiguration.maximumRAMSize - 4096, size % 4096 == 0 else {
            throw ValidationError("RAM is whole 4 KiB pages, from 4K to 2 GiB − 4 KiB")
        }
        bytes = size
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { "\(bytes)" }

    /// A byte count with an optional K/M/G (binary) suffix and an optional `B`/`iB`.
    private static func bytes(in text: String) -> UInt64? {
        var digits = text.trimmingCharacters(in: .whitespaces).uppercased()
        var multiplier: UInt64 = 1
        for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
            digits.removeLast(suffix.count)
            break
        }
        if let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30][String(last)] {
            multiplier = 1 << UInt64(shift)
            digits.removeLast()
        }
        let value = digits.hasPrefix("0X") ? UInt64(digits.dropFirst(2), radix: 16) : UInt64(digits)
        guard let value, value <= UInt64.max / multiplier else { return nil }
        return value * multiplier
    }
}

/// `--board NAME`: one of the boards Timescope emulates.
struct BoardName: ExpressibleByArgument, CustomStringConvertible {
    let name: String

    init(parsing text: String) throws(ValidationError) {
        guard BoardConfiguration.knownBoards.contains(text) else {
            throw ValidationError(
                "unknown board; known boards: \(BoardConfiguration.knownBoards.joined(separator: ", "))")
        }
        name = text
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { name }
    static var allValueStrings: [String] { BoardConfiguration.knownBoards }
}

/// `--input TEXT`: bytes for the UART receiver, with the escapes `InputText` reads.
struct UARTInput: ExpressibleByArgument {
    let bytes: [UInt8]

    init(parsing text: String) throws(LoadError) { bytes = try InputText.bytes(from: text) }
    init?(argument: String) { try? self.init(parsing: argument) }
}

/// `--speed`: `max`, `realtime`, or a multiple of real time (`10x`, `0.5x`).
extension LivePacing: ExpressibleByArgument {
    init(parsing text: String) throws(ValidationError) {
        let lowered = text.lowercased()
        switch lowered {
        case "max", "fastest", "fast": self = .fastest
        case "realtime", "real-time", "1x": self = .realTime(multiple: 1)
        default:
            guard lowered.hasSuffix("x"), let multiple = Double(lowered.dropLast()), multiple > 0,
                multiple <= 1e6
            else {
                throw ValidationError("use max, realtime, or a multiple such as 10x or 0.5x")
            }
            self = .realTime(multiple: multiple)
        }
    }
    /// Parses `--speed`'s value.
    public init?(argument: String) { try? self.init(parsing: argument) }
}

/// `--keyframe-interval N`: steps between keyframes, at least `RecordingLimits.minimumKeyframeInterval`.
struct KeyframeInterval: ExpressibleByArgument, CustomStringConvertible {
    let steps: UInt64

    init(steps: UInt64) { self.steps = steps }

    init(parsing text: String) throws(ValidationError) {
        guard let steps = UInt64(text.replacingOccurrences(of: "_", with: "")) else {
            throw ValidationError("not a number of steps")
        }
        guard steps >= RecordingLimits.minimumKeyframeInterval else {
            throw ValidationError(
                "a keyframe every \(steps) steps is too often: at least every \(RecordingLimits.minimumKeyframeInterval)"
            )
        }
        guard steps <= RecordingLimits.maximumKeyframeInterval else {
            throw ValidationError(
                "a keyframe every \(steps) steps is too rare: at most every \(RecordingLimits.maximumKeyframeInterval)"
            )
        }
        self.steps = steps
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { "\(steps)" }
    static let standard = KeyframeInterval(steps: Recorder.defaultKeyframeInterval)
}

/// `--print-frame WxH`: a terminal size in cells, 1 … 1000 each way.
struct FrameSize: ExpressibleByArgument, CustomStringConvertible {
    let width: Int
    let height: Int

    init(parsing text: String) throws(ValidationError) {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let width = parts[0], let height = parts[1], (1...1000).contains(width),
            (1...1000).contains(height)
        else { throw ValidationError("give WIDTHxHEIGHT in cells, each 1 … 1000, e.g. 200x60") }
        self.width = width
        self.height = height
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { "\(width)x\(height)" }
}
