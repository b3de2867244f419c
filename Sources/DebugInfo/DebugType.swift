/// A C type as the DWARF describes it, spelled as gdb's `whatis` spells it.
///
/// A class, because C types refer to themselves (`struct node { struct node *next; }`): the
/// graph is built once per DWARF entry and cached by `DebugInfo`, then never changes.
public final class DebugType: @unchecked Sendable, CustomStringConvertible {
    /// How a base type's bits are read.
    public enum Encoding: Sendable, Equatable {
        case signed, unsigned, signedChar, unsignedChar, boolean, float
    }

    /// A member of a struct or union.
    public struct Member: Sendable {
        /// The member's name ("" for an anonymous struct or union member).
        public var name: String
        /// Its type.
        public var type: DebugType
        /// Byte offset from the start of the aggregate.
        public var offset: Int
        /// For a bit-field: the width and the offset of its lowest bit from `offset`'s byte
        /// 0 (little-endian), else nil.
        public var bits: (offset: Int, width: Int)?
    }

    /// What kind of type it is.
    public enum Kind: Sendable {
        case void
        case base(name: String, encoding: Encoding, size: Int)
        case pointer(DebugType)
        /// Element type and count (nil: no bound, `char []`).
        case array(DebugType, count: Int?)
        case structure(keyword: String, name: String?, size: Int, members: [Member])
        case enumeration(
            name: String?, size: Int, isSigned: Bool, enumerators: [(name: String, value: Int64)])
        case typedef(name: String, DebugType)
        case qualified(String, DebugType)
        case function(returns: DebugType, parameters: [DebugType], isPrototyped: Bool, isVariadic: Bool)
    }

    /// The kind; set once when the type is read.
    public internal(set) var kind: Kind

    /// A type of `kind`.
    public init(_ kind: Kind) { self.kind = kind }

    /// `void`.
    public static let void = DebugType(.void)
    /// `int`, the type of integer literals.
    public static let int = DebugType(.base(name: "int", encoding: .signed, size: 4))
    /// `unsigned int`.
    public static let unsignedInt = DebugType(.base(name: "unsigned int", encoding: .unsigned, size: 4))
    /// `long long`.
    public static let longLong = DebugType(.base(name: "long long", encoding: .signed, size: 8))
    /// `unsigned long long`.
    public static let unsignedLongLong = DebugType(
        .base(name: "unsigned long long", encoding: .unsigned, size: 8))

    /// The type without typedefs and qualifiers.
    public var resolved: DebugType {
        var type = self
        for _ in 0..<64 {
            switch type.kind {
            case .typedef(_, let target), .qualified(_, let target): type = target
            default: return type
            }
        }
        return type
    }

    /// The type without qualifiers (typedefs kept).
    var unqualified: DebugType {
        var type = self
        for _ in 0..<64 {
            guard case .qualified(_, let target) = type.kind else { return type }
            type = target
        }
        return type
    }

    /// Whether an array's elements (at any depth) carry `qualifier`.
    func elementHas(_ qualifier: String) -> Bool {
        var type = self
        for _ in 0..<64 {
            switch type.kind {
            case .array(let element, _): type = element
            case .qualified(let name, let target):
                if name == qualifier { return true }
                type = target
            default: return false
            }
        }
        return false
    }

    /// Size in bytes (pointers are 4 bytes on RV32).
    public var size: Int {
        switch resolved.kind {
        case .void, .function: 1
        case .base(_, _, let size): size
        case .pointer: 4
        case .array(let element, let count): element.size * (count ?? 0)
        case .structure(_, _, let size, _): size
        case .enumeration(_, let size, _, _): size
        case .typedef, .qualified: 0
        }
    }

    /// Whether values of the type are integers (integers, chars, bools, enums, pointers).
    public var isScalar: Bool {
        switch resolved.kind {
        case .base, .pointer, .enumeration: true
        default: false
        }
    }

    /// Whether the type is a pointer.
    public var isPointer: Bool {
        if case .pointer = resolved.kind { return true }
        return false
    }

    /// The type a pointer or array refers to.
    public var target: DebugType? {
        switch resolved.kind {
        case .pointer(let target): target
        case .array(let element, _): element
        default: nil
        }
    }

    /// The members of a struct or union.
    public var members: [Member] {
        if case .structure(_, _, _, let members) = resolved.kind { return members }
        return []
    }

    /// gdb's spelling: `char *`, `struct sensor *`, `char [8]`, `uint32_t (*)(struct sensor *)`.
    public var description: String { declaration("") }

    /// The C declarator of `inner` (a name, or "" for the type alone) with this type.
    func declaration(_ inner: String, depth: Int = 0) -> String {
        guard depth < 64 else { return "..." }
        func named(_ name: String) -> String { inner.isEmpty ? name : name + " " + inner }
        switch kind {
        case .void: return named("void")
        case .base(let name, _, _): return named(name)
        case .typedef(let name, _): return named(name)
        case .structure(let keyword, let name, _, _): return named(keyword + " " + (name ?? "{...}"))
        case .enumeration(let name, _, _, _): return named("enum " + (name ?? "{...}"))
        case .qualified(let qualifier, let target):
            if case .pointer = target.kind {
                return target.declaration(
                    inner.isEmpty ? qualifier : qualifier + " " + inner, depth: depth + 1)
            }
            // A qualified array is an array of qualified elements (GCC says both; gdb once).
            if case .array = target.kind, target.elementHas(qualifier) {
                return target.declaration(inner, depth: depth + 1)
            }
            return qualifier + " " + target.declaration(inner, depth: depth + 1)
        case .pointer(let target):
            let pointer = "*" + (inner.first?.isLetter == true ? " " + inner : inner)
            switch target.unqualified.kind {
            case .array, .function: return target.declaration("(" + pointer + ")", depth: depth + 1)
            default: return target.declaration(pointer, depth: depth + 1)
            }
        case .array(let element, let count):
            let suffix = "[" + (count.map(String.init) ?? "") + "]"
            return element.declaration(inner + suffix, depth: depth + 1)
        case .function(let returns, let parameters, let isPrototyped, let isVariadic):
            var list = parameters.map { $0.declaration("", depth: depth + 1) }
            if isVariadic { list.append("...") }
            if list.isEmpty && isPrototyped { list = ["void"] }
            return returns.declaration(inner + "(" + list.joined(separator: ", ") + ")", depth: depth + 1)
        }
    }
}
