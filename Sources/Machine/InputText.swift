/// Parses the escapes of text meant for the UART receiver: `\n`, `\r`, `\t`, `\\` and `\xHH`.
public enum InputText {
    /// The bytes `text` stands for, or an error naming the bad escape.
    public static func bytes(from text: String) throws(LoadError) -> [UInt8] {
        var result: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\") else {
                result.append(byte)
                continue
            }
            guard let escape = iterator.next() else {
                throw LoadError("it ends with a lone backslash; write \\\\ for a backslash")
            }
            switch escape {
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "\\"): result.append(0x5C)
            case UInt8(ascii: "x"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { throw LoadError("\\x needs two hex digits, as in \\x1b") }
                result.append(value)
            default:
                throw LoadError(
                    "unknown escape \\\(String(decoding: [escape], as: UTF8.self)); use \\n \\r \\t \\\\ or \\xHH"
                )
            }
        }
        return result
    }
}
