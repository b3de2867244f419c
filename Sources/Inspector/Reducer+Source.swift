import Machine

/// The source-level keys: moving by source line, the source or disassembly in the code pane,
/// frames, variables and watch expressions, and the lines that ran.
extension Reducer {
    /// Whether the firmware has debug information; if not, says so for `what`.
    static func requireDebugInfo(_ state: inout InspectorState, for what: String) -> Bool {
        guard !state.hasDebugInfo else { return true }
        say(&state, "\(what): \(state.debugInfoProblem ?? "no debug info")", isError: true)
        return false
    }

    /// e/E, o/O, t/T: asks the session where the move lands.
    static func sourceMove(_ state: inout InspectorState, _ move: SourceMove, isBackward: Bool)
        -> [InspectorEffect]
    {
        let name = moveName(move, isBackward: isBackward)
        guard requireDebugInfo(&state, for: name) else { return [] }
        state.playback.isPlaying = false
        state.progress = "\(name)…"
        let frame = state.sourceFacts?.selectedFrame ?? 0
        return [.sourceMove(move, isBackward: isBackward, frame: frame)]
    }

    /// The move as gdb and rr call it: `step`, `reverse-next`, `finish`.
    static func moveName(_ move: SourceMove, isBackward: Bool) -> String {
        let name =
            switch move {
            case .step: "step"
            case .next: "next"
            case .finish: "finish"
            }
        return isBackward ? "reverse-" + name : name
    }

    /// `a`: the machine-level screen (disassembly, registers, memory), or the source level
    /// again.
    static func toggleAssembly(_ state: inout InspectorState) {
        guard state.hasDebugInfo else {
            say(
                &state,
                "\(state.debugInfoProblem ?? "no debug info"): the code pane shows the disassembly only",
                isError: true)
            return
        }
        state.showsDisassembly.toggle()
        if state.showsDisassembly && state.focus.isSourceLevel { state.focus = .code }
        say(
            &state,
            state.showsDisassembly
                ? "machine level: disassembly, memory, console — a for the source"
                : "source level: source, variables, call stack — a for the disassembly")
    }

    /// `x`: collects the lines that ran in the visible span of the timeline, or hides them.
    static func toggleExecutedLines(_ state: inout InspectorState) -> [InspectorEffect] {
        if state.executedLines != nil {
            state.executedLines = nil
            say(&state, "executed lines hidden — x shows them for the timeline's span again")
            return []
        }
        guard requireDebugInfo(&state, for: "executed lines") else { return [] }
        let span = Renderer.visibleSpan(state)
        state.playback.isPlaying = false
        state.progress = "finding the lines that run in steps \(span.lowerBound)…\(span.upperBound)…"
        return [.collectExecutedLines(span)]
    }

    // MARK: Frames

    /// ↑/↓ in the call stack: the frame the source, variables and registers follow.
    static func selectFrame(_ state: inout InspectorState, by delta: Int) {
        guard let facts = state.sourceFacts, facts.frameCount > 0 else {
            say(&state, "no call stack here", isError: true)
            return
        }
        let current = state.selectedFrame ?? facts.selectedFrame
        state.selectedFrame = max(0, min(facts.frameCount - 1, current + delta))
        state.sourceFacts?.selectedFrame = state.selectedFrame ?? 0
    }

    // MARK: Variables

    /// The index of the selected row of the variables pane (the first when the selection is
    /// not among the rows), or nil when there are none.
    static func selectedVariableIndex(_ state: InspectorState) -> Int? {
        guard let rows = state.sourceFacts?.variables, !rows.isEmpty else { return nil }
        return rows.firstIndex { $0.id == state.selectedVariable } ?? 0
    }

    /// The selected row, after saying there is none when there is none.
    private static func selectedVariable(_ state: inout InspectorState) -> SourceView.Variable? {
        guard let index = selectedVariableIndex(state), let rows = state.sourceFacts?.variables else {
            say(&state, "no variables here (p watches an expression)", isError: true)
            return nil
        }
        return rows[index]
    }

    /// ↑/↓ in the variables pane.
    static func selectVariable(_ state: inout InspectorState, by delta: Int) {
        guard let index = selectedVariableIndex(state), let rows = state.sourceFacts?.variables else {
            say(&state, "no variables here (p watches an expression)", isError: true)
            return
        }
        state.selectedVariable = rows[max(0, min(rows.count - 1, index + delta))].id
    }

    /// Enter/→: expands the selected struct, array or pointer; on an expanded one, goes to its
    /// first member.
    static func expandVariable(_ state: inout InspectorState) {
        guard let row = selectedVariable(&state) else { return }
        guard row.isExpandable else {
            say(
                &state, "\(row.expression) has nothing to expand (not a struct, an array or a pointer to one)"
            )
            return
        }
        if row.isExpanded {
            selectVariable(&state, by: 1)
        } else {
            state.selectedVariable = row.id
            state.expandedVariables.insert(row.expansionKey)
        }
    }

    /// ←: collapses the selected row, or goes to the row it is part of.
    static func collapseVariable(_ state: inout InspectorState) {
        guard let row = selectedVariable(&state), let rows = state.sourceFacts?.variables,
            let index = rows.firstIndex(where: { $0.id == row.id })
        else { return }
        if row.isExpanded {
            state.expandedVariables.remove(row.expansionKey)
            state.selectedVariable = row.id
        } else if row.depth > 0, let parent = rows[..<index].lastIndex(where: { $0.depth < row.depth }) {
            state.selectedVariable = rows[parent].id
        }
    }

    /// W in the variables pane: the last write to the selected variable's bytes.
    static func variableLastWrite(_ state: inout InspectorState) -> [InspectorEffect] {
        guard let row = selectedVariable(&state) else { return [] }
        guard let memory = row.memory else {
            say(
                &state,
                "\(row.expression) is not in memory here (in a register, or optimized out): no write to look for",
                isError: true)
            return []
        }
        state.progress = "searching back for the last write to \(row.expression)…"
        return [.lastWriteToVariable(row.expression, memory, atOrBefore: state.step)]
    }

    /// d/Del in the variables pane: stops watching the selected watch expression.
    static func deleteWatch(_ state: inout InspectorState) {
        guard let row = selectedVariable(&state) else { return }
        guard let rows = state.sourceFacts?.variables,
            let index = rows.firstIndex(where: { $0.id == row.id }),
            let root = rows[...index].last(where: { $0.depth == 0 }), root.kind == .watch
        else {
            say(&state, "\(row.expression) is not a watch expression (p adds one)", isError: true)
            return
        }
        toggleWatchExpression(&state, root.expression, isAdding: false)
    }

    /// `p EXPR`: watches EXPR in the variables pane, or stops watching it if it is watched
    /// (`isAdding` forces one or the other).
    static func toggleWatchExpression(_ state: inout InspectorState, _ text: String, isAdding: Bool? = nil) {
        let expression = text.trimmingCharacters(in: .whitespaces)
        guard !expression.isEmpty else { return }
        let isWatched = state.watchExpressions.contains(expression)
        if isWatched && isAdding != true {
            state.watchExpressions.removeAll { $0 == expression }
            say(&state, "no longer watching \(expression)")
        } else if !isWatched && isAdding != false {
            state.watchExpressions.append(expression)
            state.selectedVariable = "watch:" + expression
            say(
                &state,
                "watching \(expression) at the top of the variables pane — p \(expression) again stops")
        }
    }

    /// `:undisplay [EXPR|all]`: stops watching one expression, or every one.
    static func undisplay(_ state: inout InspectorState, _ argument: String) {
        if argument.isEmpty || argument == "all" {
            let count = state.watchExpressions.count
            state.watchExpressions.removeAll()
            say(&state, count == 0 ? "no watch expressions" : "no longer watching any expression (\(count))")
        } else if state.watchExpressions.contains(argument) {
            toggleWatchExpression(&state, argument, isAdding: false)
        } else {
            say(&state, ":undisplay \(argument): not a watch expression", isError: true)
        }
    }
}
