/// Hexadecimal text: the one way Timescope writes numbers in hex, lowercase throughout.
///
/// ```
/// hex(0x8000_103c)          "0x8000103c"    an address or a 32-bit value, as every pane prints it
/// hex8(0x103c)              "0000103c"      the same without the prefix (register columns)
/// hexDigits(0x1e)           "1e"            as few digits as the value needs (offsets, objdump)
/// hexDigits(0x1e, width: 4) "001e"          at least `width` digits
/// hexBytes([0x74, 0x65])    "7465"          two digits a byte (memory dumps, digests)
/// ```

/// Formats `value` as `0x` and eight hex digits.
@inlinable public func hex(_ value: UInt32) -> String {
    "0x" + hexDigits(value, width: 8)
}

/// Formats `value` as eight hex digits without a prefix.
@inlinable public func hex8(_ value: UInt32) -> String {
    hexDigits(value, width: 8)
}

/// The hex digits of `value` without a prefix, padded with zeros to at least `width` digits.
@inlinable public func hexDigits<Value: BinaryInteger>(_ value: Value, width: Int = 1) -> String {
    let digits = String(value, radix: 16)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// Two hex digits for each byte, in order, joined by `separator` (none by default).
/// Linear in the number of bytes; a megabyte is formatted in one pass.
public func hexBytes<Bytes: Sequence>(_ bytes: Bytes, separator: String = "") -> String
where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    let gap = Array(separator.utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.underestimatedCount * (2 + gap.count))
    for byte in bytes {
        if !text.isEmpty { text += gap }
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: text, as: UTF8.self)
}
