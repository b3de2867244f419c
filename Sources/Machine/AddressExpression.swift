import Foundation

/// An address as a person types it: parsed once, then evaluated against a firmware's symbols
/// and sections and a machine state's registers. The one grammar of everything that asks for an
/// address — the inspector's `@`, `b`, `w`, `:mem`, `:break`, `:watch`, the command line's
/// `--memory`, `--last-write`, `--next-write`, `--pc`.
///
/// ```
/// range   = address [":" count]              sensors+56:4   sp:16   8000103c:0x40
/// address = base {("+" | "-") count}         s0-20   main+0x10   .data+8   sp+8-4
/// base    = register | name | hex            sp a5 x2 pc | counter .bss | 8000103c 0x8000103c
/// count   = decimal | "0x" hex               56   0x38   (underscores allowed: 1_000)
/// ```
///
/// - **A base address is hex**, with or without `0x`, because every pane prints addresses in
///   hex without it (`8000103c`). There is no decimal form for a base: `0+4096` is 4096.
/// - **An offset or a length is decimal** unless it has `0x`, as the disassembler prints
///   offsets (`lw a5,-20(s0)` is `s0-20`) and as byte counts are written (`:16`, `x/16xb`).
/// - **A word is a register** when it names one (ABI names, `fp`, `x0`…`x31`, `pc`: its value
///   in the state the expression is evaluated against), else a symbol of the firmware, else
///   a section (`.data`), else a hex number (`cafe`). `0x` always means the number.
/// - Arithmetic wraps at 2^32, as the hart's does (`sp-8` with sp = 4 is 0xfffffffc); a range
///   must end inside the 32-bit address space.
/// - Without `:count`, a range over a data symbol written alone (`sensors`) covers the symbol's
///   size; anything else covers the default length the caller gives.
public struct AddressExpression: Equatable, Sendable, CustomStringConvertible {
    /// What an address starts from.
    public enum Base: Equatable, Sendable {
        /// A number written in hex.
        case number(UInt32)
        /// Integer register x`index` (0…31).
        case register(Int)
        /// The program counter.
        case pc
        /// A word that is not a register: a symbol, a section, or hex digits (`cafe`), tried in
        /// that order when evaluated.
        case name(String)
    }

    /// Where the address starts.
    public var base: Base
    /// The signed offsets written after the base, in order.
    public var offsets: [Int64]
    /// The length after `:`, when one was written (1 … `maximumLength`).
    public var length: UInt32?
    /// The text as it was typed, trimmed (for messages).
    public var text: String

    /// The longest range an expression may give: 1 MiB.
    public static let maximumLength: UInt32 = 1 << 20

    /// The expression as written.
    public var description: String { text }

    /// Whether the address depends on a machine state (it names a register or pc).
    public var readsRegisters: Bool {
        switch base {
        case .register, .pc: true
        case .number, .name: false
        }
    }

    /// Parses `text`. A length (`:count`) is accepted only when `allowsLength` is true: where a
    /// single address is asked for (`--pc`, `b`, `@`), a length is a mistake worth saying.
    public init(parsing text: String, allowsLength: Bool = false) throws(AddressError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        self.text = trimmed
        var addressText = Substring(trimmed)
        length = nil
        if let colon = trimmed.lastIndex(of: ":") {
            guard allowsLength else {
                throw AddressError("'\(trimmed)': a length (':N') is not asked for here; give one address")
            }
            let lengthText = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard let count = Self.count(lengthText) else {
                throw AddressError(
                    "'\(trimmed)': the length '\(lengthText)' is not a number: write it in decimal (16) or hex with 0x (0x10)"
                )
            }
            guard count >= 1, count <= UInt64(Self.maximumLength) else {
                throw AddressError("'\(trimmed)': the length must be 1 … \(Self.maximumLength) bytes")
            }
            length = UInt32(count)
            addressText = trimmed[..<colon]
        }
        var tokens = Self.tokens(addressText)
        guard let first = tokens.first else {
            throw AddressError(
                trimmed.isEmpty
                    ? "give an address: hex (8000103c), a symbol (main+16), a section (.data) or a register (sp+8)"
                    : "'\(trimmed)': an address comes before the ':'")
        }
        tokens.removeFirst()
        guard case .word(let word) = first else {
            throw AddressError(
                "'\(trimmed)': an address starts with a number, a symbol, a section or a register, not '\(first)'"
            )
        }
        base = try Self.base(word, in: trimmed)
        offsets = []
        while let sign = tokens.first {
            tokens.removeFirst()
            guard case .sign(let isMinus) = sign else {
                throw AddressError("'\(trimmed)': '\(sign)' follows '\(word)': join terms with + or -")
            }
            guard case .word(let operand)? = tokens.first else {
                throw AddressError("'\(trimmed)': a number is missing after '\(isMinus ? "-" : "+")'")
            }
            tokens.removeFirst()
            guard let value = Self.count(operand), value <= UInt64(UInt32.max) else {
                throw AddressError(
                    "'\(trimmed)': the offset '\(operand)' is not a number: offsets are decimal (56) or hex with 0x (0x38)"
                )
            }
            offsets.append(isMinus ? -Int64(value) : Int64(value))
        }
    }

    /// The address in the state `state` (needed only when the expression names a register; nil
    /// where there is none). Symbols and sections come from `firmware`.
    public func address(in firmware: Firmware, state: MachineState?) throws(AddressError) -> UInt32 {
        var address: UInt32
        switch base {
        case .number(let value): address = value
        case .register(let index):
            guard let state else { throw registerWithoutState() }
            address = index == 0 ? 0 : state.x[index]
        case .pc:
            guard let state else { throw registerWithoutState() }
            address = state.pc
        case .name(let name):
            if let symbol = firmware.symbols.address(of: name) {
                address = symbol
            } else if let section = firmware.sections.first(where: { $0.name == name }) {
                address = section.address
            } else if let value = Self.hexNumber(name) {
                address = value
            } else {
                throw AddressError("'\(name)' is not a symbol, section or register of \(firmware.name)")
            }
        }
        for offset in offsets { address = address &+ UInt32(truncatingIfNeeded: offset) }
        return address
    }

    /// The bytes the expression covers in `state`: its `:count`, else a data symbol's size when
    /// the symbol stands alone, else `defaultLength`.
    public func range(in firmware: Firmware, state: MachineState?, defaultLength: UInt32 = 1)
        throws(AddressError)
        -> Range<UInt32>
    {
        let start = try address(in: firmware, state: state)
        var count = length ?? defaultLength
        if length == nil, offsets.isEmpty, case .name(let name) = base,
            let symbol = firmware.symbols.symbol(named: name),
            symbol.kind == .object, symbol.size > 0
        {
            count = symbol.size
        }
        // A Range<UInt32> cannot end at 2^32: the last byte of the address space is out of reach.
        guard UInt64(start) + UInt64(count) < 1 << 32 else {
            throw AddressError(
                "'\(text)': \(hex(start)) + \(count) bytes runs past the end of the 32-bit address space")
        }
        return start..<UInt32(UInt64(start) + UInt64(count))
    }

    private func registerWithoutState() -> AddressError {
        AddressError("'\(text)' names a register, and there is no machine state here to read it from")
    }

    // MARK: Lexing

    private enum Token: CustomStringConvertible {
        case word(String)
        case sign(isMinus: Bool)
        case other(Character)

        var description: String {
            switch self {
            case .word(let word): word
            case .sign(let isMinus): isMinus ? "-" : "+"
            case .other(let character): String(character)
            }
        }
    }

    /// Words (`[A-Za-z0-9_.$]+`), signs and anything else one character at a time; blanks
    /// separate tokens and are dropped.
    private static func tokens(_ text: Substring) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        func endWord() {
            if !word.isEmpty { tokens.append(.word(word)) }
            word = ""
        }
        for character in text {
            if character.isASCII && (character.isLetter || character.isNumber || "_.$".contains(character)) {
                word.append(character)
                continue
            }
            endWord()
            switch character {
            case "+": tokens.append(.sign(isMinus: false))
            case "-": tokens.append(.sign(isMinus: true))
            case " ", "\t": break
            default: tokens.append(.other(character))
            }
        }
        endWord()
        return tokens
    }

    private static func base(_ word: String, in text: String) throws(AddressError) -> Base {
        let lowered = word.lowercased()
        if lowered.hasPrefix("0x") {
            guard let value = hexNumber(String(lowered.dropFirst(2))) else {
                throw AddressError("'\(word)' is not a 32-bit hex number")
            }
            return .number(value)
        }
        if lowered == "pc" { return .pc }
        if let index = RegisterName.index(of: lowered) { return .register(index) }
        if let first = word.first, first.isNumber {
            guard let value = hexNumber(word) else {
                throw AddressError(
                    "'\(word)' is not a 32-bit hex number (addresses are hex, as on screen: 8000103c)")
            }
            return .number(value)
        }
        return .name(word)
    }

    /// Hex digits (underscores allowed) that fit 32 bits, without a prefix.
    private static func hexNumber(_ text: String) -> UInt32? {
        let digits = text.replacingOccurrences(of: "_", with: "")
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { return nil }
        return UInt32(digits, radix: 16)
    }

    /// A count: decimal, or hex with `0x`; underscores allowed.
    private static func count(_ text: String) -> UInt64? {
        let lowered = text.lowercased().replacingOccurrences(of: "_", with: "")
        if lowered.hasPrefix("0x") {
            let digits = lowered.dropFirst(2)
            guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else { return nil }
            return UInt64(digits, radix: 16)
        }
        guard !lowered.isEmpty, lowered.allSatisfy(\.isASCII), lowered.allSatisfy(\.isNumber) else {
            return nil
        }
        return UInt64(lowered)
    }
}

/// An address expression that does not parse or does not resolve; the text says what was
/// wrong in one line, and names no option (the caller adds the flag or prompt it came from).
public struct AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The one-line explanation.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}

/// The integer registers by name, as the disassembler and the register pane write them.
public enum RegisterName {
    /// The ABI name of x0…x31, by index.
    public static var abi: [String] { Disassembler.abiRegisterNames }

    /// The index (0…31) of a register written as its ABI name, `fp` (s0) or `x0`…`x31`; nil
    /// for anything else (`pc` included: it is not an integer register).
    public static func index(of name: String) -> Int? {
        if name == "fp" { return 8 }
        if let index = Disassembler.abiRegisterNames.firstIndex(of: name) { return index }
        if name.hasPrefix("x"), name.count <= 3, let number = Int(name.dropFirst()),
            (0...31).contains(number),
            String(number) == name.dropFirst()
        {
            return number
        }
        return nil
    }
}
