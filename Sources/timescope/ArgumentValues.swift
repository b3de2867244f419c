import ArgumentParser
import DebugInfo
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
    init(expression: AddressExpression) { self.expression = expression }
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
    init(expression: AddressExpression) { self.expression = expression }
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

/// What `find --last-write`/`--next-write` watch: ADDR[:LEN] as everywhere, or else a C
/// expression (`sensors[2].read`, `p->name`), whose object's address and size are read in the
/// state at WHEN through the firmware's debug information.
struct WriteTargetArgument: ExpressibleByArgument, CustomStringConvertible {
    let text: String
    /// The address expression, when the text is one.
    let address: AddressExpression?

    init(parsing text: String) throws(ValidationError) {
        self.text = text
        address = try? AddressExpression(parsing: text, allowsLength: true)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("give an address or a C expression")
        }
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { text }

    /// Whether the range depends on the state at WHEN (registers, or any C expression).
    var dependsOnState: Bool { address?.readsRegisters ?? true }

    /// The bytes to watch, read in the state the timeline is at; errors name `option`.
    func range(in timeline: Timeline, option: String) throws -> Range<UInt32> {
        if let address {
            return try AddressRangeArgument(expression: address).range(
                in: timeline, option: option, defaultLength: 1)
        }
        let debugInfo: DebugInfo
        do {
            debugInfo = try DebugInfoCache.shared.debugInfo(for: timeline.machine.firmware)
        } catch {
            throw RecordingError.invalidRequest("\(option): \(text) is not an address, and \(error)")
        }
        let target = TargetState(machine: timeline.machine)
        do {
            let evaluation = try debugInfo.evaluate(text, in: debugInfo.callStack(target), target: target)
            guard let start = evaluation.address else {
                throw RecordingError.invalidRequest("\(option): \(text) is not an object in memory")
            }
            let size = UInt32(max(1, min(evaluation.type.size, 1 << 20)))
            guard start <= UInt32.max - size + 1 else {
                throw RecordingError.invalidRequest("\(option): \(text) runs past the end of memory")
            }
            return start..<(start &+ size)
        } catch let error as ExpressionError {
            throw RecordingError.invalidRequest("\(option): \(error)")
        }
    }
}

/// `--pc`: an address (ADDR, SYMBOL±N) or a source line (FILE:LINE, as gdb's `break`).
struct CodeLocationArgument: ExpressibleByArgument, CustomStringConvertible {
    enum Place {
        case address(AddressExpression)
        case line(file: String, line: Int)
    }
    let place: Place
    let text: String

    init(parsing text: String) throws(ValidationError) {
        self.text = text
        if let colon = text.lastIndex(of: ":"), let line = Int(text[text.index(after: colon)...]), line > 0,
            !text[..<colon].isEmpty
        {
            place = .line(file: String(text[..<colon]), line: line)
            return
        }
        do {
            place = .address(try AddressExpression(parsing: text))
        } catch {
            throw ValidationError("\(error); or give FILE:LINE")
        }
    }
    init?(argument: String) { try? self.init(parsing: argument) }

    var description: String { text }

    var readsRegisters: Bool {
        if case .address(let expression) = place { return expression.readsRegisters }
        return false
    }

    /// The addresses to look for; errors name `option`.
    func addresses(in timeline: Timeline, option: String) throws -> Set<UInt32> {
        switch place {
        case .address(let expression):
            return [try AddressArgument(expression: expression).address(in: timeline, option: option)]
        case .line(let file, let line):
            let debugInfo: DebugInfo
            do {
                debugInfo = try DebugInfoCache.shared.debugInfo(for: timeline.machine.firmware)
            } catch {
                throw RecordingError.invalidRequest("\(option): \(text) needs line information, and \(error)")
            }
            let addresses = debugInfo.lines.addresses(file: file, line: line)
            guard !addresses.isEmpty else {
                throw RecordingError.invalidRequest("\(option): no code at \(file):\(line)")
            }
            return Set(addresses)
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
