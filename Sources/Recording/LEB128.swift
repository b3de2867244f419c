/// Unsigned LEB128, the variable-length integers of a recording's packed lists (console step
/// deltas, marker batches): seven bits a byte, low bits first, the high bit set on every byte
/// but the last.
enum LEB128 {
    /// Appends `value` (1 to 10 bytes).
    @inline(__always)
    static func append(_ value: UInt64, to output: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        output.append(UInt8(rest))
    }

    /// Writes `value` at `output` (which has room for 10 bytes); returns how many it wrote.
    @inline(__always)
    static func write(_ value: UInt64, to output: UnsafeMutablePointer<UInt8>) -> Int {
        var rest = value
        var count = 0
        while rest >= 0x80 {
            output[count] = UInt8(truncatingIfNeeded: rest) | 0x80
            rest >>= 7
            count += 1
        }
        output[count] = UInt8(rest)
        return count + 1
    }

    /// Reads the number at `index` and moves `index` past it; nil when the bytes end first or
    /// the number has more than 63 bits' worth of bytes (nine), which no writer makes.
    @inline(__always)
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count, shift < 63 else { return nil }
            let byte = bytes[index]
            index += 1
            value |= UInt64(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 { return value }
        }
    }
}
