/// Why an expression cannot be evaluated: the message names the problem as gdb would
/// ("No symbol \"sesion\" in current context.").
public struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message.
    public var description: String

    init(_ description: String) { self.description = description }
}

/// A C expression of the subset Timescope evaluates: names, integer literals, registers
/// (`$pc`, `$sp`, `$a0`), `.` `->` `[]`, unary `*` `&` `-`, binary `+` `-`, casts to a named
/// type, parentheses.
indirect enum Expression: Equatable, Sendable {
    case name(String)
    case integer(UInt64)
    case register(String)
    case member(Expression, String)
    case arrow(Expression, String)
    case index(Expression, Expression)
    case dereference(Expression)
    case addressOf(Expression)
    case negate(Expression)
    case add(Expression, Expression)
    case subtract(Expression, Expression)
    case cast(TypeName, Expression)
    case sizeOfType(TypeName)
    case sizeOf(Expression)

    /// A type as written in a cast: `struct sensor *`, `unsigned int`, `uint32_t **`.
    struct TypeName: Equatable, Sendable {
        var base: String
        var pointers: Int
    }

    /// Parses `text`.
    static func parse(_ text: String, isTypeName: @escaping (String) -> Bool = { _ in false })
        throws(ExpressionError)
        -> Expression
    {
        guard text.utf8.count <= 4096 else { throw ExpressionError("expression too long") }
        var parser = Parser(tokens: try tokenize(text), isTypeName: isTypeName)
        let expression = try parser.expression()
        guard parser.position == parser.tokens.count else {
            throw ExpressionError("A syntax error in expression, near `\(parser.rest)'.")
        }
        return expression
    }

    enum Token: Equatable {
        case identifier(String)
        case number(UInt64)
        case register(String)
        case symbol(String)
    }

    private static func tokenize(_ text: String) throws(ExpressionError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character.isLetter || character == "_" || character == "$" {
                var end = index + 1
                while end < characters.count
                    && (characters[end].isLetter || characters[end].isNumber || characters[end] == "_")
                {
                    end += 1
                }
                let word = String(characters[index..<end])
                if character == "$" {
                    guard word.count > 1 else {
                        throw ExpressionError("A syntax error in expression, near `$'.")
                    }
                    tokens.append(.register(String(word.dropFirst())))
                } else {
                    tokens.append(.identifier(word))
                }
                index = end
            } else if character.isNumber {
                var end = index
                while end < characters.count
                    && (characters[end].isHexDigit || characters[end] == "x" || characters[end] == "X")
                {
                    end += 1
                }
                var digits = String(characters[index..<end]).lowercased()
                // Integer suffixes: u, l, ul, ll, ull.
                while end < characters.count, "uUlL".contains(characters[end]) { end += 1 }
                var radix = 10
                if digits.hasPrefix("0x") {
                    radix = 16
                    digits.removeFirst(2)
                } else if digits.count > 1 && digits.hasPrefix("0") {
                    radix = 8
                    digits.removeFirst()
                }
                guard let value = UInt64(digits, radix: radix) else {
                    throw ExpressionError("Invalid number \"\(String(characters[index..<end]))\".")
                }
                tokens.append(.number(value))
                index = end
            } else if character == "-" && index + 1 < characters.count && characters[index + 1] == ">" {
                tokens.append(.symbol("->"))
                index += 2
            } else if "+-*&.[]()".contains(character) {
                tokens.append(.symbol(String(character)))
                index += 1
            } else {
                throw ExpressionError("Invalid character '\(character)' in expression.")
            }
        }
        return tokens
    }

    private struct Parser {
        var tokens: [Token]
        var position = 0
        /// Whether a name is a type's (a typedef, or a struct's after `struct`).
        var isTypeName: (String) -> Bool

        static let typeKeywords: Set<String> = [
            "struct", "union", "enum", "unsigned", "signed", "char", "short", "int", "long", "float",
            "double",
            "void", "_Bool", "const", "volatile",
        ]

        var rest: String {
            tokens[position...].map { token in
                switch token {
                case .identifier(let name): name
                case .number(let value): String(value)
                case .register(let name): "$" + name
                case .symbol(let symbol): symbol
                }
            }.joined(separator: " ")
        }

        mutating func take(_ symbol: String) -> Bool {
            guard position < tokens.count, tokens[position] == .symbol(symbol) else { return false }
            position += 1
            return true
        }

        mutating func expression() throws(ExpressionError) -> Expression {
            var left = try unary()
            while true {
                if take("+") {
                    left = .add(left, try unary())
                } else if take("-") {
                    left = .subtract(left, try unary())
                } else {
                    return left
                }
            }
        }

        mutating func unary() throws(ExpressionError) -> Expression {
            if take("*") { return .dereference(try unary()) }
            if take("&") { return .addressOf(try unary()) }
            if take("-") { return .negate(try unary()) }
            if take("+") { return try unary() }
            if position < tokens.count, tokens[position] == .identifier("sizeof") {
                position += 1
                if position + 1 < tokens.count, tokens[position] == .symbol("("), let typeName = castType() {
                    return .sizeOfType(typeName)
                }
                return .sizeOf(try unary())
            }
            // A cast: ( type-name ) unary
            if position + 1 < tokens.count, tokens[position] == .symbol("("), let typeName = castType() {
                return .cast(typeName, try unary())
            }
            return try postfix()
        }

        /// A parenthesized type name at the position, consumed when there is one: it starts
        /// with a type keyword or a type's name.
        mutating func castType() -> TypeName? {
            var index = position + 1
            var words: [String] = []
            while index < tokens.count, case .identifier(let word) = tokens[index] {
                words.append(word)
                index += 1
            }
            guard let first = words.first, Self.typeKeywords.contains(first) || isTypeName(first) else {
                return nil
            }
            var pointers = 0
            while index < tokens.count && tokens[index] == .symbol("*") {
                pointers += 1
                index += 1
            }
            guard index < tokens.count, tokens[index] == .symbol(")") else { return nil }
            position = index + 1
            let base = words.filter { $0 != "const" && $0 != "volatile" }.joined(separator: " ")
            return TypeName(base: base, pointers: pointers)
        }

        mutating func postfix() throws(ExpressionError) -> Expression {
            var value = try primary()
            while true {
                if take(".") {
                    value = .member(value, try memberName())
                } else if take("->") {
                    value = .arrow(value, try memberName())
                } else if take("[") {
                    let index = try expression()
                    guard take("]") else {
                        throw ExpressionError("A syntax error in expression, near `\(rest)'.")
                    }
                    value = .index(value, index)
                } else {
                    return value
                }
            }
        }

        mutating func memberName() throws(ExpressionError) -> String {
            guard position < tokens.count, case .identifier(let name) = tokens[position] else {
                throw ExpressionError("A syntax error in expression, near `\(rest)'.")
            }
            position += 1
            return name
        }

        mutating func primary() throws(ExpressionError) -> Expression {
            guard position < tokens.count else {
                throw ExpressionError("A syntax error in expression, near `'.")
            }
            let token = tokens[position]
            position += 1
            switch token {
            case .identifier(let name): return .name(name)
            case .number(let value): return .integer(value)
            case .register(let name): return .register(name)
            case .symbol("("):
                let inner = try expression()
                guard take(")") else {
                    throw ExpressionError("A syntax error in expression, near `\(rest)'.")
                }
                return inner
            case .symbol(let symbol):
                position -= 1
                throw ExpressionError(
                    "A syntax error in expression, near `\(symbol)\(rest.dropFirst(symbol.count))'.")
            }
        }
    }
}
