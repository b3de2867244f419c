/// A named address from the firmware's symbol table.
public struct Symbol: Sendable, Equatable {
    /// What the symbol names.
    public enum Kind: String, Sendable { case function, object, label }
    /// The symbol's name, made safe to show.
    public var name: String
    /// Its value: the address it names.
    public var address: UInt32
    /// Size in bytes (0 for assembly labels).
    public var size: UInt32
    /// Function, data object or plain label.
    public var kind: Kind
    /// Whether it is global (else local to its file).
    public var isGlobal: Bool
}

/// Symbols sorted by address, for "which function is this pc in" and "where is `name`".
public struct SymbolTable: Sendable {
    /// All symbols, sorted by address.
    public private(set) var symbols: [Symbol] = []
    private var byName: [String: Int] = [:]
    /// Allocated sections (address, size): an address outside all of them has no symbol.
    private var sections: [(address: UInt32, size: UInt32)] = []

    /// An empty table.
    public init() {}

    mutating func add(_ symbol: Symbol) { symbols.append(symbol) }

    /// Sorts and indexes; sized symbols win over labels at the same address, globals over locals.
    mutating func finish(sections: [(UInt32, UInt32)] = []) {
        self.sections = sections.map { (address: $0.0, size: $0.1) }
        symbols.sort {
            ($0.address, $0.size == 0 ? 1 : 0, $0.isGlobal ? 0 : 1) < (
                $1.address, $1.size == 0 ? 1 : 0, $1.isGlobal ? 0 : 1
            )
        }
        byName = [:]
        for (index, symbol) in symbols.enumerated() where byName[symbol.name] == nil || symbol.isGlobal {
            byName[symbol.name] = index
        }
    }

    /// The address of the symbol called `name`.
    public func address(of name: String) -> UInt32? {
        byName[name].map { symbols[$0].address }
    }

    /// The symbol called `name`.
    public func symbol(named name: String) -> Symbol? {
        byName[name].map { symbols[$0] }
    }

    /// The symbol that contains `address`: a sized symbol whose range holds it, else the
    /// nearest function or label at or below it. O(log n).
    public func symbol(containing address: UInt32) -> Symbol? {
        // Binary search for the last symbol with address ≤ `address`.
        var low = 0
        var high = symbols.count
        while low < high {
            let middle = (low + high) / 2
            if symbols[middle].address <= address { low = middle + 1 } else { high = middle }
        }
        var fallback: Symbol?
        let isInImage =
            sections.isEmpty
            || sections.contains {
                UInt64(address) >= UInt64($0.address)
                    && UInt64(address) < UInt64($0.address) + UInt64($0.size)
            }
        // Look back a bounded number of symbols for a sized one that covers the address.
        for index in stride(from: low - 1, through: max(0, low - 64), by: -1) {
            let symbol = symbols[index]
            if symbol.size > 0 {
                if UInt64(address) < UInt64(symbol.address) + UInt64(symbol.size) { return symbol }
            } else if fallback == nil && symbol.kind != .object && isInImage {
                fallback = symbol
            }
        }
        return fallback
    }

    /// "name+0x10" (or "name") for an address, as objdump prints it, or nil outside all symbols.
    public func describe(_ address: UInt32) -> String? {
        guard let symbol = symbol(containing: address) else { return nil }
        let delta = address - symbol.address
        return delta == 0 ? symbol.name : "\(symbol.name)+0x\(hexDigits(delta))"
    }
}
