import Machine

extension Variable {
    /// `{"name", "type", "value"}`, with `"optimizedOut": true` (or `"error"`) when the value
    /// is null.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name)), ("type", .string(type.description))]
        members.append(("value", value.json))
        switch value {
        case .optimizedOut: members.append(("optimizedOut", .bool(true)))
        case .unreadable(let address):
            members.append(("error", .string("cannot read memory at 0x" + String(address, radix: 16))))
        default: break
        }
        return .object(members)
    }
}

extension DebugInfo {
    /// The column of the line a frame shows: its line-table row's, when the frame's line is
    /// that row's (not the call line of an inlined call).
    func column(of frame: StackFrame) -> Int {
        guard let row = lines.row(at: frame.lookupPC), row.location == frame.location else { return 0 }
        return row.column
    }

    /// The `"frames"` of `state --frames`: innermost first, each
    /// `{"function", "pc", "file", "line", "inlined", "args", "locals"}`.
    public func framesJSON(_ stack: CallStack, target: TargetState) -> JSONValue {
        .array(
            stack.frames.indices.map { index in
                let frame = stack.frames[index]
                let variables = variables(ofFrame: index, in: stack, target: target)
                return .object([
                    ("function", frame.function == "??" ? .null : .string(frame.function)),
                    ("pc", .u32(frame.pc)),
                    ("file", frame.location.map { .string($0.file) } ?? .null),
                    ("line", frame.location.map { .integer(Int64($0.line)) } ?? .null),
                    // The column of the row the frame is at, where the line is that row's (0:
                    // the compiler gave none).
                    ("column", .integer(Int64(column(of: frame)))),
                    ("inlined", .bool(frame.isInlined)),
                    ("args", .array(variables.arguments.map(\.json))),
                    ("locals", .array(variables.locals.map(\.json))),
                ])
            })
    }
}
