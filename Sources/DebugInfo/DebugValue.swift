import Machine

/// A value read from the machine as its C type says: what `print` shows.
public indirect enum DebugValue: Sendable {
    /// A signed integer, char, bool or enum.
    case signed(Int64)
    /// An unsigned integer, char or bool, or a pointer.
    case unsigned(UInt64)
    /// A float or double.
    case float(Double)
    /// The members of a struct or union, in order.
    case members([(name: String, value: DebugValue)])
    /// The first elements of an array (at most `DebugValue.elementLimit`) and how many it has.
    case elements([DebugValue], count: Int)
    /// The compiler kept no value here.
    case optimizedOut
    /// The memory holding the value cannot be read.
    case unreadable(UInt32)

    /// The most array elements read.
    public static let elementLimit = 256

    /// The integer value, for scalars.
    public var integer: Int64? {
        switch self {
        case .signed(let value): value
        case .unsigned(let value): Int64(bitPattern: value)
        default: nil
        }
    }

    /// The value as the JSON of `state --eval`: integers for integer, char, bool, enum and
    /// pointer types, numbers for floats, objects for structs, arrays for arrays, null when
    /// the value is optimized out or unreadable.
    public var json: JSONValue {
        switch self {
        case .signed(let value): .integer(value)
        case .unsigned(let value): .unsigned(value)
        // JSON has no NaN or infinity: those are strings, as gdb's Python float() prints them.
        case .float(let value):
            value.isFinite ? .number(value) : .string(value.isNaN ? "nan" : value < 0 ? "-inf" : "inf")
        case .members(let members): .object(members.map { ($0.name, $0.value.json) })
        case .elements(let elements, _): .array(elements.map(\.json))
        case .optimizedOut, .unreadable: .null
        }
    }

    /// Decodes `bytes` (little-endian) as a value of `type`.
    static func decode(_ bytes: ArraySlice<UInt8>, as type: DebugType, depth: Int = 0) -> DebugValue {
        guard depth < 32 else { return .optimizedOut }
        let resolved = type.resolved
        switch resolved.kind {
        case .base(_, let encoding, let size):
            guard size > 0, size <= 8, bytes.count >= size else { return .optimizedOut }
            let raw = bytes.prefix(size).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            switch encoding {
            case .float:
                if size == 4 { return .float(Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))) }
                if size == 8 { return .float(Double(bitPattern: raw)) }
                return .optimizedOut
            case .signed, .signedChar:
                let shift = UInt64(64 - size * 8)
                return .signed(Int64(bitPattern: raw << shift) >> shift)
            case .unsigned, .unsignedChar, .boolean:
                return .unsigned(raw)
            }
        case .enumeration(_, let size, let isSigned, _):
            guard size > 0, size <= 8, bytes.count >= size else { return .optimizedOut }
            let raw = bytes.prefix(size).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            if isSigned {
                let shift = UInt64(64 - size * 8)
                return .signed(Int64(bitPattern: raw << shift) >> shift)
            }
            return .unsigned(raw)
        case .pointer:
            guard bytes.count >= 4 else { return .optimizedOut }
            return .unsigned(bytes.prefix(4).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        case .structure(_, _, _, let members):
            let base = bytes.startIndex
            return .members(
                members.map { member in
                    let start = base + member.offset
                    guard let bits = member.bits else {
                        let end = start + member.type.size
                        guard start >= base, end <= bytes.endIndex else {
                            return (member.name, .optimizedOut)
                        }
                        return (member.name, decode(bytes[start..<end], as: member.type, depth: depth + 1))
                    }
                    return (member.name, bitField(bytes, start: start, bits: bits, type: member.type))
                })
        case .array(let element, let count):
            let total = count ?? 0
            let elementSize = element.size
            let shown = min(total, elementLimit)
            var elements: [DebugValue] = []
            elements.reserveCapacity(shown)
            for index in 0..<shown {
                let start = bytes.startIndex + index * elementSize
                let end = start + elementSize
                guard end <= bytes.endIndex else { break }
                elements.append(decode(bytes[start..<end], as: element, depth: depth + 1))
            }
            return .elements(elements, count: total)
        case .void, .function, .typedef, .qualified:
            return .optimizedOut
        }
    }

    private static func bitField(
        _ bytes: ArraySlice<UInt8>, start: Int, bits: (offset: Int, width: Int), type: DebugType
    )
        -> DebugValue
    {
        let byteCount = (bits.offset + bits.width + 7) / 8
        guard start >= bytes.startIndex, start + byteCount <= bytes.endIndex, byteCount <= 9 else {
            return .optimizedOut
        }
        var raw: UInt64 = 0
        for index in (0..<min(byteCount, 8)).reversed() { raw = raw << 8 | UInt64(bytes[start + index]) }
        raw >>= UInt64(bits.offset)
        let mask: UInt64 = bits.width >= 64 ? .max : (1 << UInt64(bits.width)) - 1
        raw &= mask
        var isSigned = false
        switch type.resolved.kind {
        case .base(_, let encoding, _): isSigned = encoding == .signed || encoding == .signedChar
        case .enumeration(_, _, let signed, _): isSigned = signed
        default: break
        }
        if isSigned && bits.width < 64 {
            let shift = UInt64(64 - bits.width)
            return .signed(Int64(bitPattern: raw << shift) >> shift)
        }
        return .unsigned(raw)
    }
}
