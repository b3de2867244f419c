import Foundation

/// A step of a recording as a person names it (WHEN): parsed once, then resolved against the
/// recording's length and, for the relative forms, a reference step the context supplies.
///
/// ```
/// when = base {("+" | "-") count}        684   end   50%   start   end-100   50%+10   684-1
///      | ("+" | "-") count {…}           +1000   -100    (from the reference step)
/// base = count | "start" | "end" | number "%"
/// count = decimal digits (underscores allowed: 5_482_256)
/// ```
///
/// `end` is the last step; `P%` is that fraction of it, rounded down (0 … 100, decimals
/// allowed). A form that starts with `+` or `-` counts from the reference step — the step on
/// screen in the inspector, the previous `--at` of `state` — and is refused where there is none.
/// The result must lie in 0 … the last step.
public struct StepExpression: Equatable, Sendable, CustomStringConvertible {
    /// Where the count starts.
    public enum Base: Equatable, Sendable {
        case step(UInt64)
        case start
        case end
        /// A percentage of the last step (0 … 100).
        case percent(Double)
        /// The reference step the context gives.
        case reference
    }

    /// Where the count starts.
    public var base: Base
    /// The signed offsets written after the base, in order.
    public var offsets: [Int64]
    /// The text as it was typed, trimmed (for messages).
    public var text: String

    /// The expression as written.
    public var description: String { text }

    /// Whether it counts from a reference step (`+N`, `-N`).
    public var isRelative: Bool { base == .reference }

    /// Parses `text`; the error says which forms there are.
    public init(parsing text: String) throws(StepError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        self.text = trimmed
        // Terms: the base (no sign) or a signed count, split at each + and -.
        var terms: [(sign: Character?, text: String)] = []
        var sign: Character? = nil
        var word = ""
        for character in trimmed.lowercased() where character != " " {
            guard character == "+" || character == "-" else {
                word.append(character)
                continue
            }
            if sign != nil || !word.isEmpty { terms.append((sign, word)) }
            sign = character
            word = ""
        }
        terms.append((sign, word))
        let syntax = StepError(
            "'\(trimmed)' is not a step: use a step number, start, end or P% (50%), or one of those ± a number of steps (end-100)"
        )
        if terms[0].sign != nil {
            base = .reference
        } else {
            switch terms.removeFirst().text {
            case "end": base = .end
            case "start": base = .start
            case let word where word.hasSuffix("%"):
                guard let percent = Double(word.dropLast()), percent >= 0, percent <= 100 else {
                    throw StepError("'\(trimmed)': a percentage is 0% … 100%")
                }
                base = .percent(percent)
            case let word:
                guard let step = Self.count(word) else { throw syntax }
                base = .step(step)
            }
        }
        offsets = []
        for term in terms {
            guard let count = Self.count(term.text), count <= UInt64(Int64.max) else { throw syntax }
            offsets.append(term.sign == "-" ? -Int64(count) : Int64(count))
        }
    }

    /// The step it names in a recording whose last step is `lastStep`, counting a relative form
    /// from `reference`.
    public func step(lastStep: UInt64, reference: UInt64? = nil) throws(StepError) -> UInt64 {
        var step: UInt64
        switch base {
        case .step(let value): step = value
        case .start: step = 0
        case .end: step = lastStep
        case .percent(let percent): step = UInt64((Double(lastStep) * percent / 100).rounded(.down))
        case .reference:
            guard let reference else {
                throw StepError(
                    "'\(text)' counts from another step, and there is none here: count from a step (684\(text)) or from the end (end-100)"
                )
            }
            step = reference
        }
        for offset in offsets {
            if offset < 0 {
                guard offset.magnitude <= step else { throw StepError("'\(text)' is before step 0") }
                step -= offset.magnitude
            } else {
                guard UInt64(offset) <= lastStep, step <= lastStep - UInt64(offset) else {
                    throw StepError("'\(text)' is past the end of the recording (0 … \(lastStep))")
                }
                step += UInt64(offset)
            }
        }
        guard step <= lastStep else {
            throw StepError("'\(text)': step \(step) is past the end of the recording (0 … \(lastStep))")
        }
        return step
    }

    /// Decimal digits, underscores allowed.
    private static func count(_ text: String) -> UInt64? {
        let digits = text.replacingOccurrences(of: "_", with: "")
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }
}

/// A WHEN that does not parse or names no step of the recording; one line, naming no option.
public struct StepError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The one-line explanation.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}
