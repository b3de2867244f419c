import Foundation

/// Compares gdb's view of a stop (`GDBStop`) with Timescope's for the same state: the object
/// `timescope state REC --at STEP --frames --eval EXPR --json` prints, whose `"frames"` are
/// `{"function", "pc", "file", "line", "inlined", "args": [VAR], "locals": [VAR]}` innermost
/// first and whose `"eval"` entries are `{"expr", "address"?, "type", "value"}`, with VAR
/// `{"name", "type", "value"}` (`"optimizedOut": true` and a null value where gdb says
/// `<optimized out>`).
///
/// Every function returns the differences as lines that show both sides; empty means equal.
/// Rules: function names, pcs, lines and inlined flags equal; files equal by their last path
/// component (gdb names the file as the line table does, `frames/frames.c`); args and locals
/// the same names in the same order, the same type spelling and the same value. Values: integers
/// equal exactly, other numbers (floating types) equal as doubles (see `numbersEqual` for
/// `float`), objects the same members in the same order, arrays the same elements, null only
/// where gdb has no value; gdb's non-finite floats are the strings "nan", "inf" and "-inf",
/// which Timescope must write the same way (JSON has no such numbers). Where gdb cannot read a
/// variable (an error such as "Cannot access memory"), Timescope must not show a value.
public enum SourceLevelComparison {
    /// Differences between gdb's frames and Timescope's `"frames"`: the first `limit` frames
    /// of gdb's backtrace (all of them, and then the same number, when `limit` is nil).
    public static func frameDifferences(gdb stop: GDBStop, timescope state: ParsedJSON, limit: Int? = nil)
        -> [String]
    {
        guard let ours = state["frames"]?.elements else {
            return ["Timescope's state has no \"frames\" array (keys: \(state.keys.joined(separator: ", ")))"]
        }
        var differences: [String] = []
        let expected = limit.map { Array(stop.frames.prefix($0)) } ?? stop.frames
        if limit == nil && ours.count != expected.count {
            differences.append(
                "gdb has \(expected.count) frames, Timescope \(ours.count): gdb \(stop.frames.map(\.summary)), "
                    + "Timescope \(ours.map(summary))")
        } else if ours.count < expected.count {
            differences.append(
                "gdb unwinds \(expected.count) frames here, Timescope only \(ours.count): gdb "
                    + "\(expected.map(\.summary)), Timescope \(ours.map(summary))")
        }
        for (index, (frame, other)) in zip(expected, ours).enumerated() {
            let label = "frame \(index) (gdb: \(frame.summary); Timescope: \(summary(other)))"
            if other["function"]?.string != frame.function {
                differences.append(
                    "\(label): function gdb \(show(frame.function)), Timescope \(show(other["function"]))")
            }
            if other["pc"]?.unsigned.map({ UInt32(truncatingIfNeeded: $0) }) != frame.pc {
                differences.append(
                    "\(label): pc gdb \(frame.pc.map { "0x" + String($0, radix: 16) } ?? "none"), Timescope \(show(other["pc"]))"
                )
            }
            let ourFile = other["file"]?.string.map { ($0 as NSString).lastPathComponent }
            let gdbFile = frame.file.map { ($0 as NSString).lastPathComponent }
            if ourFile != gdbFile {
                differences.append("\(label): file gdb \(show(frame.file)), Timescope \(show(other["file"]))")
            }
            if other["line"]?.unsigned.map({ Int($0) }) != frame.line {
                differences.append(
                    "\(label): line gdb \(frame.line.map(String.init) ?? "none"), Timescope \(show(other["line"]))"
                )
            }
            if other["inlined"] != .bool(frame.inlined) {
                differences.append(
                    "\(label): inlined gdb \(frame.inlined), Timescope \(show(other["inlined"]))")
            }
            differences += variableDifferences(
                gdb: frame.args, timescope: other["args"], what: "\(label): args",
                gdbText: frame.infoArgs)
            differences += variableDifferences(
                gdb: frame.locals, timescope: other["locals"], what: "\(label): locals",
                gdbText: frame.infoLocals)
        }
        return differences
    }

    /// Differences between gdb's evaluations and Timescope's `"eval"` (the same expressions, in
    /// the same order). Where gdb cannot evaluate an expression at the stop ("No symbol … in
    /// current context", unreadable memory), Timescope must not give it a value.
    public static func evaluationDifferences(gdb stop: GDBStop, timescope state: ParsedJSON) -> [String] {
        guard let ours = state["eval"]?.elements else {
            return ["Timescope's state has no \"eval\" array (keys: \(state.keys.joined(separator: ", ")))"]
        }
        guard ours.count == stop.evaluations.count else {
            return [
                "gdb evaluated \(stop.evaluations.count) expressions, Timescope \(ours.count): "
                    + "\(ours.map { $0["expr"]?.string ?? "?" })"
            ]
        }
        var differences: [String] = []
        for (evaluation, other) in zip(stop.evaluations, ours) {
            let label = "eval \(evaluation.expression)"
            if other["expr"]?.string != evaluation.expression {
                differences.append("\(label): Timescope's entry is for \(show(other["expr"]))")
                continue
            }
            if let error = evaluation.error {
                if let value = other["value"], value != .null {
                    differences.append(
                        "\(label): gdb cannot evaluate it here (\(error)), Timescope gives \(render(value))")
                }
                continue
            }
            let gdbSide = "gdb: \(evaluation.type ?? "?") \(evaluation.printed ?? render(evaluation.value))"
            if other["type"]?.string != evaluation.type {
                differences.append(
                    "\(label): type gdb \(show(evaluation.type)), Timescope \(show(other["type"]))")
            }
            let ourAddress = other["address"]?.unsigned.map { UInt32(truncatingIfNeeded: $0) }
            if ourAddress != evaluation.address {
                differences.append(
                    "\(label): address gdb \(evaluation.address.map { "0x" + String($0, radix: 16) } ?? "none"), "
                        + "Timescope \(show(other["address"]))")
            }
            if evaluation.optimizedOut {
                if other["optimizedOut"] != .bool(true) || (other["value"] ?? .null) != .null {
                    differences.append(
                        "\(label): gdb says <optimized out>, Timescope \(render(other["value"] ?? .null))")
                }
                continue
            }
            // One known difference, stated rather than hidden: QEMU's gdbstub reads unassigned
            // address space (outside RAM, ROM and devices) as 0xff bytes, where Timescope's
            // debugger reads only RAM and the reset ROM and says it cannot (an uninitialised
            // pointer such as 0xffffffff at a function's first instruction, -O0).
            if let error = other["error"]?.string, error.hasPrefix("Cannot access memory at address 0x"),
                let address = UInt32(error.dropFirst("Cannot access memory at address 0x".count), radix: 16),
                !(0x8000_0000..<0x8800_0000).contains(address), !(0x1000..<0x2000).contains(address)
            {
                continue
            }
            for difference in valueDifferences(
                gdb: evaluation.value, timescope: other["value"] ?? .null, path: "")
            {
                differences.append(
                    "\(label)\(difference) (\(gdbSide); Timescope: \(render(other["value"] ?? .null)))")
            }
        }
        return differences
    }

    /// Differences between two values in the issue's JSON form, each prefixed with its path
    /// (`.calibration.trim[2]`).
    public static func valueDifferences(gdb: ParsedJSON, timescope: ParsedJSON, path: String) -> [String] {
        switch (gdb, timescope) {
        case (.integer(let a), .integer(let b)):
            return a == b ? [] : ["\(path): gdb \(a), Timescope \(b)"]
        case (.nonInteger(let a), .integer(let b)), (.nonInteger(let a), .nonInteger(let b)):
            // gdb's side writes every floating value with a fraction or exponent (and every
            // other value as an integer, which Timescope must write as one too).
            return numbersEqual(gdb: a, timescope: b) ? [] : ["\(path): gdb \(a), Timescope \(b)"]
        case (.object(let a), .object(let b)):
            guard a.map(\.0) == b.map(\.0) else {
                return ["\(path): members gdb \(a.map(\.0)), Timescope \(b.map(\.0))"]
            }
            return zip(a, b).flatMap { valueDifferences(gdb: $0.1, timescope: $1.1, path: "\(path).\($0.0)") }
        case (.array(let a), .array(let b)):
            guard a.count == b.count else {
                return ["\(path): gdb \(a.count) elements, Timescope \(b.count)"]
            }
            return zip(a, b).enumerated().flatMap {
                valueDifferences(gdb: $1.0, timescope: $1.1, path: "\(path)[\($0)]")
            }
        default:
            return gdb == timescope ? [] : ["\(path): gdb \(render(gdb)), Timescope \(render(timescope))"]
        }
    }

    /// Floating values: the same double (gdb's 2.0 is Timescope's 2). gdb's side writes a
    /// `float` as the shortest decimal that reads back as the same float (`4.3604576e+27`, at
    /// most 9 significant digits); Timescope may write that or the float's exact double
    /// (`4.3604575972782487e+27`): when gdb's text has at most 9 digits, equal as floats is
    /// equal.
    static func numbersEqual(gdb: String, timescope: String) -> Bool {
        guard let x = Double(gdb), let y = Double(timescope) else { return false }
        if x == y { return true }
        let digits = gdb.prefix { $0 != "e" && $0 != "E" }.filter(\.isNumber).drop { $0 == "0" }.count
        let (a, b) = (Float(x), Float(y))
        return digits <= 9 && a.isFinite && a == b
    }

    static func variableDifferences(
        gdb variables: [GDBVariable], timescope: ParsedJSON?, what: String, gdbText: String
    )
        -> [String]
    {
        guard let ours = timescope?.elements else {
            return ["\(what): Timescope has no array (gdb: \(variables.map(\.name)))"]
        }
        let names = ours.map { $0["name"]?.string ?? "?" }
        guard names == variables.map(\.name) else {
            return [
                "\(what): names gdb \(variables.map(\.name)), Timescope \(names) (gdb prints: \(gdbText.debugDescription))"
            ]
        }
        var differences: [String] = []
        for (variable, other) in zip(variables, ours) {
            let label = "\(what) \(variable.name)"
            let gdbSide =
                variable.optimizedOut
                ? "<optimized out>" : variable.error.map { "error: \($0)" } ?? render(variable.value)
            let ourSide =
                other["optimizedOut"] == .bool(true) ? "<optimized out>" : render(other["value"] ?? .null)
            if other["type"]?.string != variable.type {
                differences.append(
                    "\(label): type gdb \(variable.type.debugDescription), Timescope \(show(other["type"]))")
            }
            if variable.optimizedOut {
                if other["optimizedOut"] != .bool(true) || (other["value"] ?? .null) != .null {
                    differences.append("\(label): gdb <optimized out>, Timescope \(ourSide)")
                }
            } else if variable.error != nil {
                if (other["value"] ?? .null) != .null {
                    differences.append("\(label): gdb \(gdbSide), Timescope \(ourSide)")
                }
            } else if other["optimizedOut"] == .bool(true) {
                differences.append("\(label): gdb \(gdbSide), Timescope <optimized out>")
            } else {
                for difference in valueDifferences(
                    gdb: variable.value, timescope: other["value"] ?? .null, path: "")
                {
                    differences.append("\(label)\(difference) (gdb: \(gdbSide); Timescope: \(ourSide))")
                }
            }
        }
        return differences
    }

    /// `descend at frames.c:34 (0x800002f2)` for a Timescope frame.
    public static func summary(_ frame: ParsedJSON) -> String {
        let function = frame["function"]?.string ?? "??"
        let inlined = frame["inlined"] == .bool(true) ? " [inlined]" : ""
        let file = frame["file"]?.string.map { ($0 as NSString).lastPathComponent }
        let line = frame["line"]?.unsigned.map { String($0) } ?? "?"
        let place = file.map { " at \($0):\(line)" } ?? ""
        let pc = frame["pc"]?.unsigned.map { " (0x\(String($0, radix: 16)))" } ?? ""
        return function + inlined + place + pc
    }

    /// A value as compact JSON text.
    public static func render(_ value: ParsedJSON) -> String {
        switch value {
        case .object(let members):
            return "{" + members.map { "\($0.0.debugDescription): \(render($0.1))" }.joined(separator: ", ")
                + "}"
        case .array(let elements):
            return "[" + elements.map(render).joined(separator: ", ") + "]"
        case .string(let text): return text.debugDescription
        case .integer(let text), .nonInteger(let text): return text
        case .bool(let flag): return String(flag)
        case .null: return "null"
        }
    }

    private static func show(_ value: ParsedJSON?) -> String { value.map(render) ?? "none" }
    private static func show(_ value: String?) -> String { value.map(\.debugDescription) ?? "none" }
}

extension SourceLevelComparison {
    /// What `timescope state --frames --eval … --json` should print for `stop` (its `"frames"`
    /// and `"eval"` members), built from gdb's answers: the target the comparison holds
    /// Timescope to, for a test of the comparison itself and for reading a failure side by side.
    public static func expectedState(from stop: GDBStop) -> ParsedJSON {
        func variable(_ variable: GDBVariable) -> ParsedJSON {
            var members: [(String, ParsedJSON)] = [
                ("name", .string(variable.name)), ("type", .string(variable.type)),
                ("value", variable.optimizedOut || variable.error != nil ? .null : variable.value),
            ]
            if variable.optimizedOut { members.append(("optimizedOut", .bool(true))) }
            return .object(members)
        }
        let frames = stop.frames.map { frame -> ParsedJSON in
            .object([
                ("function", frame.function.map(ParsedJSON.string) ?? .null),
                ("pc", frame.pc.map { .integer(String($0)) } ?? .null),
                ("file", frame.file.map(ParsedJSON.string) ?? .null),
                ("line", frame.line.map { .integer(String($0)) } ?? .null),
                ("inlined", .bool(frame.inlined)),
                ("args", .array(frame.args.map(variable))),
                ("locals", .array(frame.locals.map(variable))),
            ])
        }
        let evaluations = stop.evaluations.map { evaluation -> ParsedJSON in
            if let error = evaluation.error {
                return .object([("expr", .string(evaluation.expression)), ("error", .string(error))])
            }
            var members: [(String, ParsedJSON)] = [("expr", .string(evaluation.expression))]
            if let address = evaluation.address { members.append(("address", .integer(String(address)))) }
            members.append(("type", evaluation.type.map(ParsedJSON.string) ?? .null))
            members.append(("value", evaluation.optimizedOut ? .null : evaluation.value))
            if evaluation.optimizedOut { members.append(("optimizedOut", .bool(true))) }
            return .object(members)
        }
        return .object([
            ("step", .integer("0")), ("pc", .integer(String(stop.pc))), ("frames", .array(frames)),
            ("eval", .array(evaluations)),
        ])
    }
}
