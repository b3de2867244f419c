/// A JSON document as written, for tests that check a file's exact shape.
///
/// Unlike `JSONSerialization`, it keeps the order of object members and tells an integer
/// (`42`) from any other number (`42.0`, `4.2e1`), which is what the `--dump-state` contract
/// ("every number a JSON integer") is about.
public indirect enum ParsedJSON: Equatable, Sendable {
    case object([(String, ParsedJSON)])
    case array([ParsedJSON])
    case string(String)
    /// A number written without fraction or exponent, as written (`-12`, `18446744073709551615`).
    case integer(String)
    /// Any other number, as written.
    case nonInteger(String)
    case bool(Bool)
    case null

    /// Equality member by member, in order.
    public static func == (lhs: ParsedJSON, rhs: ParsedJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.nonInteger(let a), .nonInteger(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// A syntax error, with the byte offset where it was found.
    public struct SyntaxError: Error, CustomStringConvertible, Sendable {
        /// What is wrong and where.
        public var description: String
    }

    /// Parses `bytes` as one JSON document (surrounding whitespace allowed).
    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> ParsedJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("trailing characters") }
        return value
    }

    /// Parses UTF-8 `text`.
    public static func parse(_ text: String) throws(SyntaxError) -> ParsedJSON {
        try parse(Array(text.utf8))
    }

    /// The member `key` of an object (nil for other values or a missing key).
    public subscript(_ key: String) -> ParsedJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    /// Element `index` of an array (nil for other values or an index out of range).
    public subscript(_ index: Int) -> ParsedJSON? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// The member names of an object, in order (empty for other values).
    public var keys: [String] {
        guard case .object(let members) = self else { return [] }
        return members.map(\.0)
    }

    /// The elements of an array (nil for other values).
    public var elements: [ParsedJSON]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    /// The value of a non-negative integer that fits in 64 bits (nil for other values).
    public var unsigned: UInt64? {
        guard case .integer(let text) = self else { return nil }
        return UInt64(text)
    }

    /// The value of a string (nil for other values).
    public var string: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// Every number in the document that is not an integer, with its path (`csr.mcycle`,
    /// `x[3]`), so a test can report exactly which member broke the contract.
    public func nonIntegerNumbers(path: String = "") -> [String] {
        switch self {
        case .nonInteger(let text): return ["\(path) = \(text)"]
        case .object(let members):
            return members.flatMap { $0.1.nonIntegerNumbers(path: path.isEmpty ? $0.0 : "\(path).\($0.0)") }
        case .array(let elements):
            return elements.enumerated().flatMap {
                $0.element.nonIntegerNumbers(path: "\(path)[\($0.offset)]")
            }
        default: return []
        }
    }
}

private struct Parser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ message: String) -> ParsedJSON.SyntaxError {
        ParsedJSON.SyntaxError(description: "JSON syntax error at byte \(position): \(message)")
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ literal: String) throws(ParsedJSON.SyntaxError) {
        let text = Array(literal.utf8)
        guard position + text.count <= bytes.count, Array(bytes[position..<position + text.count]) == text
        else {
            throw error("expected \(literal)")
        }
        position += text.count
    }

    mutating func value() throws(ParsedJSON.SyntaxError) -> ParsedJSON {
        skipWhitespace()
        guard position < bytes.count else { throw error("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default: return try number()
        }
    }

    mutating func object() throws(ParsedJSON.SyntaxError) -> ParsedJSON {
        position += 1
        var members: [(String, ParsedJSON)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a key")
            }
            let key = try string()
            skipWhitespace()
            try expect(":")
            members.append((key, try value()))
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect("}")
            return .object(members)
        }
    }

    mutating func array() throws(ParsedJSON.SyntaxError) -> ParsedJSON {
        position += 1
        var elements: [ParsedJSON] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            guard position < bytes.count else { throw error("unterminated array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect("]")
            return .array(elements)
        }
    }

    mutating func string() throws(ParsedJSON.SyntaxError) -> String {
        position += 1
        var text: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""): return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw error("unterminated escape") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "n"): text.append(0x0A)
                case UInt8(ascii: "t"): text.append(0x09)
                case UInt8(ascii: "r"): text.append(0x0D)
                case UInt8(ascii: "b"): text.append(0x08)
                case UInt8(ascii: "f"): text.append(0x0C)
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                        let code = UInt32(
                            String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw error("bad \\u escape") }
                    position += 4
                    text += Array(String(Character(scalar)).utf8)
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
                default: throw error("bad escape")
                }
            case 0..<0x20: throw error("control character in a string")
            default: text.append(byte)
            }
        }
        throw error("unterminated string")
    }

    mutating func number() throws(ParsedJSON.SyntaxError) -> ParsedJSON {
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
        guard position > digitsStart else { throw error("expected a value") }
        var isInteger = true
        while position < bytes.count,
            [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")]
                .contains(bytes[position]) || (0x30...0x39).contains(bytes[position])
        {
            isInteger = false
            position += 1
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        return isInteger ? .integer(text) : .nonInteger(text)
    }
}
