/// A JSON value with ordered object keys, for the machine-readable output of every command
/// (`--dump-state`, `state --json`, `info --json`). Numbers are integers, except the values
/// of floating-point variables.
public indirect enum JSONValue: Equatable, Sendable {
    case integer(Int64)
    case unsigned(UInt64)
    case string(String)
    /// A floating-point number (NaN and infinities, which JSON lacks, are written as null).
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([(String, JSONValue)])
    case null

    /// Compact JSON text.
    public var text: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .integer(let value): output += String(value)
        case .unsigned(let value): output += String(value)
        case .string(let value): JSONValue.writeString(value, to: &output)
        case .number(let value): output += value.isFinite ? "\(value)" : "null"
        case .bool(let value): output += value ? "true" : "false"
        case .null: output += "null"
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output += "," }
                JSONValue.writeString(key, to: &output)
                output += ":"
                value.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                let digits = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// Equal when they print the same text.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.text == rhs.text }
}

extension JSONValue {
    /// An unsigned 32-bit number.
    public static func u32(_ value: UInt32) -> JSONValue { .unsigned(UInt64(value)) }
    /// An array of unsigned 32-bit numbers.
    public static func u32s(_ values: [UInt32]) -> JSONValue { .array(values.map(u32)) }
}
