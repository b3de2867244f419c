import Foundation

/// JSON written straight into bytes: the bytes Foundation's `JSONEncoder` makes with
/// `.sortedKeys` (no white space, object keys in UTF-8 order) for what a machine state is made
/// of — integers, booleans, arrays and structs of them, optionals left out when nil — without
/// building a tree of values first, several times faster. Every keyframe stores the state this
/// way (`KeyframeCapture.encoded`), hundreds a second.
///
/// Anything else (strings, floating point, nested or super containers) throws `Unsupported`;
/// `encode(_:)` then hands the value to `JSONEncoder`, so the bytes are always those.
enum SortedJSONEncoder {
    /// A value this encoder does not write (the caller falls back to `JSONEncoder`).
    struct Unsupported: Error {}

    /// `value` as JSON with sorted keys, through the fast path when it can, else through
    /// Foundation's `JSONEncoder` (the same bytes either way).
    static func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        if let bytes = try? encodeFast(value) { return bytes }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array(try encoder.encode(value))
    }

    /// `value` as JSON through the fast path alone; throws `Unsupported` for a value it does
    /// not write.
    static func encodeFast<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let output = Output()
        try output.write(value)
        return output.bytes
    }

    /// The bytes being written, shared by every container of one `encode` call.
    fileprivate final class Output {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(4096) }

        /// Writes one value: a number or boolean at once, anything else through its
        /// `encode(to:)` into a container that closes when it returns.
        func write<Value: Encodable>(_ value: Value) throws {
            if writePrimitive(value) { return }
            let encoder = ValueEncoder(output: self)
            try value.encode(to: encoder)
            try encoder.close()
        }

        /// Writes `value` if it is an integer or a boolean (the types of a machine state's
        /// fields); false otherwise. Compares types, which is cheaper than casting.
        @inline(__always)
        func writePrimitive<Value>(_ value: Value) -> Bool {
            switch Value.self {
            case is UInt32.Type: writeUnsigned(UInt64(unsafeBitCast(value, to: UInt32.self)))
            case is UInt64.Type: writeUnsigned(unsafeBitCast(value, to: UInt64.self))
            case is UInt8.Type: writeUnsigned(UInt64(unsafeBitCast(value, to: UInt8.self)))
            case is UInt16.Type: writeUnsigned(UInt64(unsafeBitCast(value, to: UInt16.self)))
            case is UInt.Type: writeUnsigned(UInt64(unsafeBitCast(value, to: UInt.self)))
            case is Int.Type: writeSigned(Int64(unsafeBitCast(value, to: Int.self)))
            case is Int64.Type: writeSigned(unsafeBitCast(value, to: Int64.self))
            case is Int32.Type: writeSigned(Int64(unsafeBitCast(value, to: Int32.self)))
            case is Int16.Type: writeSigned(Int64(unsafeBitCast(value, to: Int16.self)))
            case is Int8.Type: writeSigned(Int64(unsafeBitCast(value, to: Int8.self)))
            case is Bool.Type: writeBool(unsafeBitCast(value, to: Bool.self))
            default: return false
            }
            return true
        }

        func writeUnsigned(_ value: UInt64) {
            let first = bytes.count
            var rest = value
            repeat {
                bytes.append(UInt8(ascii: "0") + UInt8(rest % 10))
                rest /= 10
            } while rest > 0
            bytes[first...].reverse()
        }

        func writeSigned(_ value: Int64) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            writeUnsigned(value.magnitude)
        }

        func writeBool(_ value: Bool) {
            bytes.append(contentsOf: value ? "true".utf8 : "false".utf8)
        }

        func writeKey(_ key: String) {
            bytes.append(UInt8(ascii: "\""))
            bytes += key.utf8
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// The encoder a value writes itself to: it takes one container (keyed, unkeyed, or a
    /// single value), and `close()` finishes it once the value's `encode(to:)` returned.
    fileprivate final class ValueEncoder: Encoder {
        let output: Output
        let codingPath: [any CodingKey] = []
        let userInfo: [CodingUserInfoKey: Any] = [:]
        /// Where this value's bytes start.
        let start: Int
        enum Shape {
            case none, keyed, unkeyed, single
        }
        var shape = Shape.none
        /// A keyed container's members so far: each key and where its value's bytes lie.
        var members: [(key: String, bytes: Range<Int>)] = []
        /// The first thing that could not be written (thrown by `close()`).
        var failure: Unsupported?

        init(output: Output) {
            self.output = output
            start = output.bytes.count
        }

        /// Takes the one container a value may have.
        private func take(_ wanted: Shape) {
            if case .none = shape { shape = wanted } else { failure = Unsupported() }
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            take(.keyed)
            return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            take(.unkeyed)
            output.bytes.append(UInt8(ascii: "["))
            return UnkeyedContainer(encoder: self)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            take(.single)
            return SingleValueContainer(encoder: self)
        }

        /// Writes one member of the keyed container: its value's bytes now, its key when the
        /// object closes (in order).
        func writeMember<Value: Encodable>(_ value: Value, key: String) throws {
            let valueStart = output.bytes.count
            try output.write(value)
            members.append((key, valueStart..<output.bytes.count))
        }

        /// Finishes the container: an object's members in key order, an array's bracket.
        func close() throws {
            if let failure { throw failure }
            switch shape {
            case .none: throw Unsupported()
            case .single: guard output.bytes.count > start else { throw Unsupported() }
            case .unkeyed: output.bytes.append(UInt8(ascii: "]"))
            case .keyed:
                let values = Array(output.bytes[start...])
                output.bytes.removeSubrange(start...)
                output.bytes.append(UInt8(ascii: "{"))
                let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                for (index, member) in sorted.enumerated() {
                    if index > 0 { output.bytes.append(UInt8(ascii: ",")) }
                    output.writeKey(member.key)
                    output.bytes +=
                        values[(member.bytes.lowerBound - start)..<(member.bytes.upperBound - start)]
                }
                output.bytes.append(UInt8(ascii: "}"))
            }
        }
    }

    fileprivate struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil(forKey key: Key) throws { throw Unsupported() }
        mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
            guard case .keyed = encoder.shape else { throw Unsupported() }
            try encoder.writeMember(value, key: key.stringValue)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey>
        {
            encoder.failure = Unsupported()
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            encoder.failure = Unsupported()
            return UnkeyedContainer(encoder: encoder)
        }
        mutating func superEncoder() -> any Encoder {
            encoder.failure = Unsupported()
            return encoder
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            encoder.failure = Unsupported()
            return encoder
        }
    }

    fileprivate struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }
        private(set) var count = 0

        init(encoder: ValueEncoder) { self.encoder = encoder }

        mutating func encodeNil() throws { throw Unsupported() }
        mutating func encode<Value: Encodable>(_ value: Value) throws {
            if count > 0 { encoder.output.bytes.append(UInt8(ascii: ",")) }
            count += 1
            try encoder.output.write(value)
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            encoder.failure = Unsupported()
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            encoder.failure = Unsupported()
            return self
        }
        mutating func superEncoder() -> any Encoder {
            encoder.failure = Unsupported()
            return encoder
        }
    }

    fileprivate struct SingleValueContainer: SingleValueEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { [] }

        mutating func encodeNil() throws { throw Unsupported() }
        mutating func encode<Value: Encodable>(_ value: Value) throws {
            guard encoder.output.writePrimitive(value) else { throw Unsupported() }
        }
    }
}
