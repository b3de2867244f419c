import Foundation
import Machine

/// A condition on registers and memory that a breakpoint or watchpoint hit must meet to stop
/// a continue or a playback (`b poll_sensors if a0 == 3`). Parsed once; evaluated against the
/// machine at each hit.
///
/// ```
/// condition  = all {"||" all}                    a0 == 3 || a0 == 5
/// all        = comparison {"&&" comparison}      a0 >= 2 && a1 < 5
/// comparison = value op value                    op: == != < <= > >=
/// value      = register | number | symbol | "*" address
/// register   = a0 sp s1 x5 fp pc …
/// number     = decimal | 0x hex | -decimal       3   0x10   -1
/// address    = "(" address expression ")" | register | symbol   *(sp+8)   *a0   *counter
/// ```
///
/// - Values are 32-bit and comparisons unsigned (`a0 < 0` is never true; `-1` is 0xffffffff).
/// - `*X` is the little-endian word at address X, read in the state of the hit; where nothing
///   can be read there (a device, a hole) the comparison is false. The address inside the
///   parentheses is an `AddressExpression` (`*(sp+8)`, `*(sensors+56)`).
/// - A symbol stands for its address (`a5 == uart_read`).
/// - `&&` binds tighter than `||`; there are no other parentheses.
public struct StopCondition: Hashable, Sendable, CustomStringConvertible {
    /// A 32-bit value in the state of a hit.
    public enum Value: Hashable, Sendable {
        case constant(UInt32)
        /// Integer register x`index`.
        case register(Int)
        case pc
        /// The little-endian word at a register plus an offset (a constant: the register is nil).
        case word(register: Int?, isPC: Bool, offset: UInt32)
    }

    /// How two values compare (unsigned).
    public enum Comparison: String, Hashable, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", lessOrEqual = "<=", greaterOrEqual = ">=", less = "<", greater =
            ">"
    }

    /// One comparison of the condition.
    public struct Term: Hashable, Sendable {
        /// The value on the left of the operator.
        public var left: Value
        /// The operator.
        public var comparison: Comparison
        /// The value on its right.
        public var right: Value

        /// `left comparison right`.
        public init(left: Value, comparison: Comparison, right: Value) {
            self.left = left
            self.comparison = comparison
            self.right = right
        }
    }

    /// Alternatives (`||`), each a conjunction (`&&`) of terms.
    public var alternatives: [[Term]]
    /// The condition as typed, trimmed (shown in the breakpoint list).
    public var text: String

    /// The condition as typed.
    public var description: String { text }

    /// Parses `text`, resolving symbols in `firmware`; the error says what is wrong in one line.
    public init(parsing text: String, firmware: Firmware) throws(StopConditionError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        self.text = trimmed
        guard !trimmed.isEmpty else {
            throw StopConditionError("the condition after 'if' is empty: write one like a0 == 3")
        }
        alternatives = try trimmed.components(separatedBy: "||").map {
            alternative throws(StopConditionError) in
            try alternative.components(separatedBy: "&&").map { term throws(StopConditionError) in
                try StopCondition.term(term, firmware: firmware, in: trimmed)
            }
        }
    }

    /// Whether the condition holds in the machine's current state.
    public func holds(in machine: Machine) -> Bool {
        alternatives.contains { terms in
            terms.allSatisfy { term in
                guard let left = StopCondition.value(term.left, in: machine),
                    let right = StopCondition.value(term.right, in: machine)
                else {
                    return false
                }
                switch term.comparison {
                case .equal: return left == right
                case .notEqual: return left != right
                case .less: return left < right
                case .lessOrEqual: return left <= right
                case .greater: return left > right
                case .greaterOrEqual: return left >= right
                }
            }
        }
    }

    private static func value(_ value: Value, in machine: Machine) -> UInt32? {
        switch value {
        case .constant(let constant): return constant
        case .register(let index): return machine.register(index)
        case .pc: return machine.pc
        case .word(let register, let isPC, let offset):
            let base = isPC ? machine.pc : register.map(machine.register) ?? 0
            guard let bytes = machine.readMemory(base &+ offset, count: 4) else { return nil }
            return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
    }

    // MARK: Parsing

    private static func term(_ text: String, firmware: Firmware, in whole: String) throws(StopConditionError)
        -> Term
    {
        // The two-character operators first, so `<=` is not read as `<`.
        for comparison in Comparison.allCases {
            guard let range = text.range(of: comparison.rawValue) else { continue }
            let left = String(text[..<range.lowerBound])
            let right = String(text[range.upperBound...])
            return Term(
                left: try value(left, firmware: firmware, in: whole), comparison: comparison,
                right: try value(right, firmware: firmware, in: whole))
        }
        let shown = text.trimmingCharacters(in: .whitespaces)
        throw StopConditionError(
            "'\(shown)' compares nothing: write VALUE OP VALUE with == != < <= > >= (a0 == 3)")
    }

    private static func value(_ text: String, firmware: Firmware, in whole: String) throws(StopConditionError)
        -> Value
    {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw StopConditionError("'\(whole)': a value is missing beside an operator")
        }
        if trimmed.hasPrefix("*") {
            var inner = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
            if inner.hasPrefix("(") && inner.hasSuffix(")") { inner = String(inner.dropFirst().dropLast()) }
            let expression: AddressExpression
            do {
                expression = try AddressExpression(parsing: inner)
            } catch {
                throw StopConditionError("'\(trimmed)': \(error.description)")
            }
            let offset = expression.offsets.reduce(UInt32(0)) { $0 &+ UInt32(truncatingIfNeeded: $1) }
            switch expression.base {
            case .register(let index): return .word(register: index, isPC: false, offset: offset)
            case .pc: return .word(register: nil, isPC: true, offset: offset)
            case .number, .name:
                do {
                    return .word(
                        register: nil, isPC: false, offset: try expression.address(in: firmware, state: nil))
                } catch {
                    throw StopConditionError("'\(trimmed)': \(error.description)")
                }
            }
        }
        let lowered = trimmed.lowercased()
        if lowered == "pc" { return .pc }
        if let index = RegisterName.index(of: lowered) { return .register(index) }
        if let number = number(lowered) { return .constant(number) }
        if let address = firmware.symbols.address(of: trimmed) { return .constant(address) }
        throw StopConditionError(
            "'\(trimmed)' is not a register, a number (3, 0x10, -1), a symbol or a memory word (*(sp+8))")
    }

    /// Decimal, `0x` hex or a negative decimal (two's complement), underscores allowed.
    private static func number(_ text: String) -> UInt32? {
        let digits = text.replacingOccurrences(of: "_", with: "")
        if digits.hasPrefix("0x") { return UInt32(digits.dropFirst(2), radix: 16) }
        if digits.hasPrefix("-"), let magnitude = UInt32(digits.dropFirst()) { return 0 &- magnitude }
        return UInt32(digits)
    }
}

/// A condition that does not parse; the text says what is wrong in one line.
public struct StopConditionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The one-line explanation.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}
