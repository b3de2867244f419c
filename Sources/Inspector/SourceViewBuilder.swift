import DebugInfo
import Machine
import Recording

/// Gathers a `SourceView` for the inspector's state: unwinds the call stack at the step,
/// reads the selected frame's variables and the watch expressions, and finds its source.
/// Remembers the values shown at the previous position, to mark what the last move changed.
final class SourceViewBuilder {
    let timeline: Timeline
    let debugInfo: DebugInfo
    let sources: SourceTextProvider
    /// The most rows the variables pane gets (an expanded array of structs can be long).
    static let rowLimit = 2000

    private var viewCache: (key: ViewCacheKey, view: SourceView)?
    /// The values shown at the position on screen, and at the one before it (the last move's
    /// start), by row: a watch's by its id, a variable's by its frame (function and canonical
    /// frame address) and id.
    private var shownValues: (step: UInt64, values: [String: String])?
    private var previousValues: [String: String] = [:]
    /// The source line of each breakpoint address.
    private var breakpointLocations: [UInt32: SourceLocation?] = [:]

    /// What a view depends on besides the recording.
    private struct ViewCacheKey: Equatable {
        var step: UInt64
        var selectedFrame: Int?
        var expanded: Set<String>
        var watches: [String]
        var breakpoints: [UInt32]
        var executedLines: InspectorState.ExecutedLines?
    }

    init(timeline: Timeline, debugInfo: DebugInfo, sources: SourceTextProvider) {
        self.timeline = timeline
        self.debugInfo = debugInfo
        self.sources = sources
    }

    /// The view at `state.step`; leaves the machine there.
    func view(for state: InspectorState) throws(RecordingError) -> SourceView {
        let key = ViewCacheKey(
            step: state.step, selectedFrame: state.selectedFrame, expanded: state.expandedVariables,
            watches: state.watchExpressions, breakpoints: state.breakpoints,
            executedLines: state.executedLines)
        if let cached = viewCache, cached.key == key { return cached.view }
        try timeline.seek(to: state.step)
        let machine = timeline.machine
        let target = TargetState(machine: machine)
        let stack = debugInfo.callStack(target)
        let frames = stack.frames.map {
            SourceView.Frame(
                function: $0.function, pc: $0.pc, location: $0.location, isInlined: $0.isInlined,
                isTrapHandler: $0.isTrapHandler)
        }
        let selected =
            state.selectedFrame.map { max(0, min($0, frames.count - 1)) }
            ?? frames.firstIndex { $0.location != nil } ?? 0
        var view = SourceView(
            frames: frames, stackEnd: stack.end, selectedFrame: selected, listing: nil, variables: [])
        guard stack.frames.indices.contains(selected) else {
            viewCache = (key, view)
            return view
        }
        let frame = stack.frames[selected]
        if let location = frame.location {
            view.listing = listing(at: location, state: state)
        }
        var reader = VariableReader(
            debugInfo: debugInfo, stack: stack, frame: selected, target: target,
            printer: ValueText(symbols: machine.firmware.symbols, target: target),
            expanded: state.expandedVariables, scope: frame.function)
        for expression in state.watchExpressions { reader.appendWatch(expression) }
        let variables = debugInfo.variables(ofFrame: selected, in: stack, target: target)
        for (variable, kind) in variables.arguments.map({ ($0, SourceView.Variable.Kind.argument) })
            + variables.locals.map({ ($0, .local) })
        {
            reader.appendVariable(variable, kind: kind)
            // What an argument was when the function was entered, when it has changed since
            // (gdb's `NAME@entry`): copy_name's `source` after it has walked the string.
            if let entry = variable.entryValue, entry.json != variable.value.json {
                reader.appendVariable(
                    Variable(name: variable.name + "@entry", type: variable.type, value: entry), kind: kind)
            }
        }
        view.variables = markChanges(reader.rows, values: reader.values, step: state.step, frame: frame)
        if selected > 0 {
            var registers: [UInt32?] = [frame.pc] + frame.registers.dropFirst().prefix(31)
            while registers.count < 32 { registers.append(nil) }
            let finder = PointeeFinder(firmware: machine.firmware) { machine.readMemory($0, count: $1) }
            view.frameRegisters = registers
            view.framePointees = registers.map { $0.flatMap { finder.pointee(of: $0) } }
            view.frameCode = MachineViewBuilder.disassembly(around: frame.pc, in: machine)
            view.frameSymbol = machine.firmware.symbols.describe(frame.pc)
        }
        viewCache = (key, view)
        return view
    }

    /// The source of `location`'s file, with the breakpoints and executed lines on it.
    private func listing(at location: SourceLocation, state: InspectorState) -> SourceView.Listing {
        let text = sources.source(for: location.file)
        var breakpointLines = Set<Int>()
        for address in state.breakpoints {
            if breakpointLocations[address] == nil {
                breakpointLocations[address] = .some(debugInfo.lines.location(of: address))
            }
            if let found = breakpointLocations[address] ?? nil, found.file == location.file {
                breakpointLines.insert(found.line)
            }
        }
        let coverage = state.executedLines.map {
            SourceView.Coverage(
                ran: $0.ran[location.file] ?? [], haveCode: $0.haveCode[location.file] ?? [])
        }
        return SourceView.Listing(
            path: location.file, lines: text.lines, note: text.note, currentLine: location.line,
            breakpointLines: breakpointLines, coverage: coverage)
    }

    /// Marks the rows whose value differs from the one shown at the previous position, and
    /// remembers this position's values.
    private func markChanges(
        _ rows: [SourceView.Variable], values: [String: String], step: UInt64, frame: StackFrame
    ) -> [SourceView.Variable] {
        let prefix = "\(frame.function)@\(frame.cfa.map { String($0) } ?? "-")|"
        if shownValues?.step != step {
            previousValues = shownValues?.values ?? [:]
            shownValues = (step, [:])
        }
        var rows = rows
        for index in rows.indices {
            // A watch is compared whatever frame it was read in; a variable only in its own.
            let id = rows[index].id
            let key = id.hasPrefix("watch:") ? id : prefix + id
            guard let value = values[rows[index].id] else { continue }
            shownValues?.values[key] = value
            if let before = previousValues[key], before != value { rows[index].isChanged = true }
        }
        return rows
    }
}

/// Reads variables and watch expressions into rows of the variables pane, expanding the
/// expanded ones.
private struct VariableReader {
    let debugInfo: DebugInfo
    let stack: CallStack
    let frame: Int
    let target: TargetState
    let printer: ValueText
    let expanded: Set<String>
    /// What expansions are remembered by: the function (a watch's: `watch`).
    let scope: String
    var rows: [SourceView.Variable] = []
    /// Each row's value as printed (by id), for marking changes.
    var values: [String: String] = [:]
    private var usedIDs: Set<String> = []

    init(
        debugInfo: DebugInfo, stack: CallStack, frame: Int, target: TargetState, printer: ValueText,
        expanded: Set<String>, scope: String
    ) {
        self.debugInfo = debugInfo
        self.stack = stack
        self.frame = frame
        self.target = target
        self.printer = printer
        self.expanded = expanded
        self.scope = scope
    }

    /// A watch expression, evaluated in the frame (or the reason it does not evaluate).
    mutating func appendWatch(_ expression: String) {
        let id = "watch:" + expression
        do {
            let evaluation = try debugInfo.evaluate(expression, frame: frame, in: stack, target: target)
            append(
                id: id, scope: "watch", kind: .watch, depth: 0, name: expression, expression: expression,
                type: evaluation.type, value: evaluation.value, address: evaluation.address)
        } catch {
            guard rows.count < SourceViewBuilder.rowLimit else { return }
            rows.append(
                SourceView.Variable(
                    id: id, expansionKey: "watch|" + id, kind: .watch, depth: 0, name: expression,
                    expression: expression, value: "<\(error.description)>", type: "", isExpandable: false,
                    isExpanded: false, isChanged: false, isError: true, memory: nil))
            values[id] = "<\(error.description)>"
        }
    }

    /// An argument or local of the frame.
    mutating func appendVariable(_ variable: Variable, kind: SourceView.Variable.Kind) {
        var id = variable.name
        var copy = 2
        // A name a nested block shadows shows twice; the outer one gets a number.
        while usedIDs.contains(id) {
            id = "\(variable.name)#\(copy)"
            copy += 1
        }
        usedIDs.insert(id)
        append(
            id: id, scope: scope, kind: kind, depth: 0, name: variable.name, expression: variable.name,
            type: variable.type, value: variable.value, address: variable.address)
    }

    /// A row, and under it (when it is expanded) its members, elements or pointee.
    private mutating func append(
        id: String, scope: String, kind: SourceView.Variable.Kind, depth: Int, name: String,
        expression: String, type: DebugType, value: DebugValue, address: UInt32?
    ) {
        guard rows.count < SourceViewBuilder.rowLimit, depth < 16 else { return }
        let expansionKey = scope + "|" + id
        let isExpandable = Self.isExpandable(type, value)
        let isExpanded = isExpandable && expanded.contains(expansionKey)
        let printed = printer.text(value, type: type)
        var isError = false
        switch value {
        case .unreadable: isError = true
        default: break
        }
        let shown = isExpanded && !type.isPointer ? type.description : printed
        rows.append(
            SourceView.Variable(
                id: id, expansionKey: expansionKey, kind: kind, depth: depth, name: name,
                expression: expression,
                value: shown, type: type.description, isExpandable: isExpandable, isExpanded: isExpanded,
                isChanged: false, isError: isError, memory: Self.memory(at: address, size: type.size)))
        values[id] = printed
        guard isExpanded else { return }
        let base = Self.operand(expression)
        switch (type.resolved.kind, value) {
        case (.structure(_, _, _, let members), .members(let memberValues)):
            for (member, memberValue) in zip(members, memberValues) {
                let memberName = member.name.isEmpty ? "{...}" : member.name
                append(
                    id: id + "/" + memberName, scope: scope, kind: .member, depth: depth + 1,
                    name: memberName,
                    expression: base + "." + member.name, type: member.type, value: memberValue.value,
                    address: address.map { $0 &+ UInt32(truncatingIfNeeded: member.offset) })
            }
        case (.array(let element, _), .elements(let elements, _)):
            for (index, elementValue) in elements.enumerated() {
                append(
                    id: id + "/[\(index)]", scope: scope, kind: .member, depth: depth + 1, name: "[\(index)]",
                    expression: base + "[\(index)]", type: element, value: elementValue,
                    address: address.map { $0 &+ UInt32(truncatingIfNeeded: index &* element.size) })
            }
        case (.pointer, _):
            let pointee: Evaluation
            do {
                pointee = try debugInfo.evaluate("*" + base, frame: frame, in: stack, target: target)
            } catch {
                rows.append(
                    SourceView.Variable(
                        id: id + "/*", expansionKey: scope + "|" + id + "/*", kind: .member, depth: depth + 1,
                        name: "*" + name, expression: "*" + base, value: "<\(error.description)>", type: "",
                        isExpandable: false, isExpanded: false, isChanged: false, isError: true, memory: nil))
                return
            }
            if case .structure(_, _, _, let members) = pointee.type.resolved.kind,
                case .members(let memberValues) = pointee.value
            {
                // A pointer to a struct opens onto the struct's members, as `p->member`.
                for (member, memberValue) in zip(members, memberValues) {
                    let memberName = member.name.isEmpty ? "{...}" : member.name
                    append(
                        id: id + "/" + memberName, scope: scope, kind: .member, depth: depth + 1,
                        name: memberName, expression: base + "->" + member.name, type: member.type,
                        value: memberValue.value,
                        address: pointee.address.map { $0 &+ UInt32(truncatingIfNeeded: member.offset) })
                }
            } else {
                append(
                    id: id + "/*", scope: scope, kind: .member, depth: depth + 1, name: "*" + name,
                    expression: "*" + base, type: pointee.type, value: pointee.value, address: pointee.address
                )
            }
        default:
            break
        }
    }

    /// Whether a value of `type` has something to show under it: members, elements, or what a
    /// non-null pointer points to (not a string, a function or void: the value says those).
    static func isExpandable(_ type: DebugType, _ value: DebugValue) -> Bool {
        switch (type.resolved.kind, value) {
        case (.structure(_, _, _, let members), .members): return !members.isEmpty
        case (.array(let element, _), .elements(let elements, _)):
            return !elements.isEmpty && !isCharacter(element)
        case (.pointer(let target), .unsigned(let address)):
            guard address != 0 else { return false }
            switch target.resolved.kind {
            case .void, .function: return false
            default: return !isCharacter(target)
            }
        default: return false
        }
    }

    /// Whether `type` is a character type (arrays and pointers of it print as strings).
    static func isCharacter(_ type: DebugType) -> Bool {
        if case .base(_, let encoding, 1) = type.resolved.kind {
            return encoding == .signedChar || encoding == .unsignedChar
        }
        return false
    }

    /// The bytes of a value of `size` at `address` (at most 64 KiB: a watch that wide is a
    /// mistake), or nil when it is not in memory.
    static func memory(at address: UInt32?, size: Int) -> Range<UInt32>? {
        guard let address else { return nil }
        let length = UInt32(max(1, min(size, 1 << 16)))
        guard address <= UInt32.max - length else { return nil }
        return address..<address + length
    }

    /// `expression` as the operand of a postfix `.`, `->` or `[]`: in parentheses unless it
    /// is a name followed by members and subscripts already.
    static func operand(_ expression: String) -> String {
        var rest = Substring(expression)
        func name() -> Bool {
            guard let first = rest.first, first.isLetter || first == "_" else { return false }
            rest = rest.drop { $0.isLetter || $0.isNumber || $0 == "_" }
            return true
        }
        guard name() else { return "(" + expression + ")" }
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
            } else if rest.hasPrefix("->") {
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("[") {
                rest = rest.dropFirst().drop { $0.isNumber }
                guard rest.hasPrefix("]") else { return "(" + expression + ")" }
                rest = rest.dropFirst()
                continue
            } else {
                return "(" + expression + ")"
            }
            guard name() else { return "(" + expression + ")" }
        }
        return expression
    }
}
