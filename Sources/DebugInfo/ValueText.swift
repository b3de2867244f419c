import Machine

/// Values and frames as gdb prints them: `print`, `info locals`, `bt`.
public struct ValueText {
    /// Names addresses (`<sensors+48>`) and reads strings behind `char *`.
    let symbols: SymbolTable
    let target: TargetState?

    /// A printer naming addresses with `symbols` and reading `char *` strings from `target`.
    public init(symbols: SymbolTable, target: TargetState? = nil) {
        self.symbols = symbols
        self.target = target
    }

    /// `value` of `type` as gdb's `print` shows it.
    public func text(_ value: DebugValue, type: DebugType, depth: Int = 0) -> String {
        guard depth < 16 else { return "..." }
        switch value {
        case .optimizedOut: return "<optimized out>"
        case .unreadable(let address):
            return "<error: Cannot access memory at address 0x\(String(address, radix: 16))>"
        case .float(let number):
            return number == number.rounded() && abs(number) < 1e16 ? String(Int64(number)) : "\(number)"
        case .members(let members):
            let types = Dictionary(
                type.members.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
            let parts = members.map { member in
                let memberType = types[member.name] ?? .int
                let text = self.text(member.value, type: memberType, depth: depth + 1)
                return member.name.isEmpty ? text : "\(member.name) = \(text)"
            }
            return "{" + parts.joined(separator: ", ") + "}"
        case .elements(let elements, let count):
            guard let element = type.target else { return "{}" }
            if Self.isCharacter(element) {
                return string(
                    elements.compactMap { $0.integer.map { UInt8(truncatingIfNeeded: $0) } }, count: count)
            }
            var parts = elements.map { text($0, type: element, depth: depth + 1) }
            if count > elements.count { parts.append("...") }
            return "{" + parts.joined(separator: ", ") + "}"
        case .signed, .unsigned:
            return scalar(value, type: type)
        }
    }

    private func scalar(_ value: DebugValue, type: DebugType) -> String {
        let integer = value.integer ?? 0
        switch type.resolved.kind {
        case .pointer(let target):
            let address = UInt32(truncatingIfNeeded: integer)
            var text = "0x" + String(address, radix: 16)
            // Named only inside a symbol's extent (a label of no size names only its address).
            if address != 0, let symbol = symbols.symbol(containing: address),
                address - symbol.address < max(symbol.size, 1)
            {
                let delta = address - symbol.address
                text += " <\(symbol.name)\(delta == 0 ? "" : "+\(delta)")>"
            }
            if Self.isCharacter(target), address != 0, let memory = self.target {
                var bytes: [UInt8] = []
                while bytes.count < 200, let byte = memory.read(address &+ UInt32(bytes.count), 1)?.first,
                    byte != 0
                {
                    bytes.append(byte)
                }
                text += " " + Self.quoted(bytes) + (bytes.count == 200 ? "..." : "")
            }
            return text
        case .enumeration(_, _, _, let enumerators):
            return enumerators.first { $0.value == integer }?.name ?? String(integer)
        case .base(_, let encoding, _):
            switch encoding {
            case .boolean: return integer == 0 ? "false" : integer == 1 ? "true" : String(integer)
            case .signedChar, .unsignedChar:
                return "\(integer) \(Self.character(UInt8(truncatingIfNeeded: integer)))"
            case .signed: return String(integer)
            case .unsigned, .float:
                if case .unsigned(let raw) = value { return String(raw) }
                return String(integer)
            }
        default:
            return String(integer)
        }
    }

    private static func isCharacter(_ type: DebugType) -> Bool {
        if case .base(_, let encoding, 1) = type.resolved.kind {
            return encoding == .signedChar || encoding == .unsignedChar
        }
        return false
    }

    /// A char array as gdb prints one: one trailing NUL dropped, runs of ten or more equal
    /// characters as `'c' <repeats N times>`, the rest as a quoted string.
    private func string(_ bytes: [UInt8], count: Int) -> String {
        var bytes = bytes
        if count == bytes.count, bytes.last == 0 { bytes.removeLast() }
        var segments: [String] = []
        var pending: [UInt8] = []
        var index = 0
        while index < bytes.count {
            var end = index
            while end < bytes.count && bytes[end] == bytes[index] { end += 1 }
            if end - index >= 10 {
                if !pending.isEmpty { segments.append(Self.quoted(pending)) }
                pending = []
                segments.append("\(Self.character(bytes[index])) <repeats \(end - index) times>")
            } else {
                pending += bytes[index..<end]
            }
            index = end
        }
        if !pending.isEmpty || segments.isEmpty { segments.append(Self.quoted(pending)) }
        return segments.joined(separator: ", ") + (count > DebugValue.elementLimit ? "..." : "")
    }

    static func quoted(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { escaped($0, quote: "\"") }.joined() + "\""
    }

    static func character(_ byte: UInt8) -> String { "'" + escaped(byte, quote: "'") + "'" }

    private static func escaped(_ byte: UInt8, quote: Character) -> String {
        switch byte {
        case 0x0a: "\\n"
        case 0x09: "\\t"
        case 0x0d: "\\r"
        case 0x5c: "\\\\"
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            Character(UnicodeScalar(byte)) == quote ? "\\" + String(quote) : String(UnicodeScalar(byte))
        case 0x20..<0x7f: String(UnicodeScalar(byte))
        default: "\\" + String(byte, radix: 8).leftPadded(to: 3)
        }
    }

    /// The frames as gdb's `bt` prints them.
    public func backtrace(_ stack: CallStack, variables: (Int) -> FrameVariables) -> [String] {
        var lines: [String] = []
        for (index, frame) in stack.frames.enumerated() {
            let arguments = variables(index).arguments.map { "\($0.name)=\(text($0.value, type: $0.type))" }
            var line = "#\(index)  "
            let showsPC =
                index > 0 ? !frame.isInlined && !stack.frames[index - 1].isTrapHandler : frame.location == nil
            if showsPC {
                line += "0x" + String(frame.pc, radix: 16).leftPadded(to: 8) + " in "
            }
            line += "\(frame.function) (\(arguments.joined(separator: ", ")))"
            if let location = frame.location { line += " at \(location)" }
            lines.append(line)
        }
        if let end = stack.end { lines.append("Backtrace stopped: \(end)") }
        return lines
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
