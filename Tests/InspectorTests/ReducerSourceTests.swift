import Inspector
import Recording
import Testing

/// The source-level keys in the reducer alone: moving by source line, the machine level,
/// frames, variables, watch expressions, breakpoints on lines and the lines that ran.
@Suite("Reducer: source level")
struct ReducerSourceTests {
    /// A variables-pane row as the session would report it.
    static func row(
        _ id: String, depth: Int = 0, kind: SourceView.Variable.Kind = .local, expandable: Bool = false,
        expanded: Bool = false, memory: Range<UInt32>? = nil
    ) -> SourceView.Variable {
        SourceView.Variable(
            id: id, expansionKey: "poll_sensors|" + id, kind: kind, depth: depth,
            name: String(id.split(separator: "/").last ?? ""),
            expression: id.hasPrefix("watch:")
                ? String(id.dropFirst(6)) : id.replacingOccurrences(of: "/", with: "->"),
            value: "0", type: "int", isExpandable: expandable, isExpanded: expanded, isChanged: false,
            isError: false, memory: memory)
    }

    /// The crash's frame as the session reports it: `sensor` (expanded onto `name`, `read`),
    /// `sample`, `i`, under a watch expression.
    static let crashRows = [
        row("watch:sensors[2].read", kind: .watch, memory: 0x8000_103C..<0x8000_1040),
        row("sensor", kind: .local, expandable: true, expanded: true),
        row("sensor/name", depth: 1, kind: .member, memory: 0x8000_1034..<0x8000_103C),
        row("sensor/read", depth: 1, kind: .member, memory: 0x8000_103C..<0x8000_1040),
        row("sample"),
        row("i"),
    ]

    func atSourceLevel(focus: InspectorState.Pane = .code) throws -> PureInspector {
        var inspector = try PureInspector(step: 500, totalSteps: 1000, hasDebugInfo: true)
        inspector.state.sourceFacts = InspectorState.SourceFacts(
            frameCount: 4, selectedFrame: 1, variables: Self.crashRows)
        inspector.state.focus = focus
        return inspector
    }

    // MARK: Moving by source line

    @Test(arguments: [
        ("e", SourceMove.step, false), ("E", .step, true), ("o", .next, false), ("O", .next, true),
        ("t", .finish, false), ("T", .finish, true),
    ])
    func theStepKeysAskWhereTheMoveLandsInTheSelectedFrame(key: Character, move: SourceMove, isBackward: Bool)
        throws
    {
        var inspector = try atSourceLevel()
        inspector.state.playback.isPlaying = true
        inspector.type(String(key))
        #expect(inspector.effects == [.sourceMove(move, isBackward: isBackward, frame: 1)])
        #expect(inspector.state.progress?.hasPrefix(isBackward ? "reverse-" : "") == true)
        #expect(!inspector.state.playback.isPlaying, "a move by line stops playback")
    }

    @Test func withoutDebugInfoTheStepKeysSayWhy() throws {
        var inspector = try PureInspector(step: 500)
        inspector.state.debugInfoProblem = "no debug info: the ELF has no DWARF sections"
        for key in "eEoOtTapx" {
            inspector.type(String(key))
            #expect(inspector.effects.isEmpty)
            #expect(inspector.state.messageIsError, "\(key)")
            #expect(inspector.state.message?.contains("no debug info: the ELF has no DWARF sections") == true)
            #expect(inspector.state.prompt == nil)
        }
    }

    @Test func aMoveInTimeComesBackToTheInnermostFrameWithSource() throws {
        var inspector = try atSourceLevel(focus: .callStack)
        inspector.press(.down)
        #expect(inspector.state.selectedFrame == 2)
        inspector.press(.character("h"))
        #expect(inspector.state.selectedFrame == nil, "after a move the panes follow the frame with source")
    }

    @Test func theMoveLandsWhereTheSessionFoundIt() throws {
        var inspector = try atSourceLevel()
        inspector.type("o")
        inspector.send(.searchFinished(step: 684, message: "next: step 684, copy_name at sensorhub.c:37"))
        #expect(inspector.state.step == 684)
        #expect(inspector.state.progress == nil)
        #expect(inspector.state.message == "next: step 684, copy_name at sensorhub.c:37")
        inspector.type("u")
        #expect(inspector.state.step == 500, "u undoes a move by line")
    }

    // MARK: Source and machine level

    @Test func aTurnsToTheMachineLevelAndBack() throws {
        var inspector = try atSourceLevel(focus: .variables)
        #expect(inspector.state.isSourceLevel)
        inspector.type("a")
        #expect(!inspector.state.isSourceLevel)
        #expect(inspector.state.focus == .code, "the variables are not on the machine-level screen")
        #expect(inspector.state.message == "machine level: disassembly, memory, console — a for the source")
        inspector.type("a")
        #expect(inspector.state.isSourceLevel)
    }

    @Test func tabVisitsTheVariablesAndTheCallStackOnlyAtSourceLevel() throws {
        var inspector = try atSourceLevel()
        var visited: [InspectorState.Pane] = []
        for _ in 0..<InspectorState.Pane.allCases.count {
            inspector.press(.tab)
            visited.append(inspector.state.focus)
        }
        #expect(
            visited == [
                .variables, .callStack, .memory, .devices, .console, .timeline, .stack, .registers, .code,
            ])
        inspector.type("a")
        inspector.press(.tab, .tab)
        #expect(inspector.state.focus == .devices)
    }

    // MARK: Frames

    @Test func upAndDownSelectAFrameWithinTheStack() throws {
        var inspector = try atSourceLevel(focus: .callStack)
        inspector.press(.up)
        #expect(inspector.state.selectedFrame == 0)
        inspector.press(.up)
        #expect(inspector.state.selectedFrame == 0, "no frame above the innermost")
        inspector.press(.pageDown)
        #expect(inspector.state.selectedFrame == 3, "no frame below the outermost")
        #expect(inspector.effects.isEmpty)
        #expect(inspector.state.step == 500, "selecting a frame does not move in time")
    }

    // MARK: Variables

    @Test func upAndDownSelectAVariableAndStopAtTheEnds() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.press(.down)
        #expect(inspector.state.selectedVariable == "sensor")
        inspector.press(.pageDown)
        #expect(inspector.state.selectedVariable == "i")
        inspector.press(.up, .up)
        #expect(inspector.state.selectedVariable == "sensor/read")
    }

    @Test func rightExpandsAndOnAnExpandedRowGoesToItsFirstMember() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.state.sourceFacts?.variables[1].isExpanded = false
        inspector.press(.down, .right)
        #expect(inspector.state.expandedVariables == ["poll_sensors|sensor"])
        #expect(inspector.state.selectedVariable == "sensor")
        #expect(inspector.state.step == 500, "→ in the variables pane does not step")
        inspector.state.sourceFacts?.variables[1].isExpanded = true
        inspector.press(.enter)
        #expect(inspector.state.selectedVariable == "sensor/name")
    }

    @Test func leftCollapsesOrGoesToTheParent() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.state.expandedVariables = ["poll_sensors|sensor"]
        inspector.state.selectedVariable = "sensor/read"
        inspector.press(.left)
        #expect(inspector.state.selectedVariable == "sensor", "← on a member goes to its struct")
        inspector.press(.left)
        #expect(inspector.state.expandedVariables.isEmpty, "← on an expanded row collapses it")
        #expect(inspector.state.step == 500)
    }

    @Test func rightOnAScalarSaysThereIsNothingToExpand() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.state.selectedVariable = "i"
        inspector.press(.right)
        #expect(inspector.state.expandedVariables.isEmpty)
        #expect(inspector.state.message?.contains("i has nothing to expand") == true)
    }

    @Test func capitalWOnAVariableLooksForTheLastWriteToItsBytes() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.state.selectedVariable = "sensor/read"
        inspector.type("W")
        #expect(
            inspector.effects == [
                .lastWriteToVariable("sensor->read", 0x8000_103C..<0x8000_1040, atOrBefore: 500)
            ])
        #expect(inspector.state.progress == "searching back for the last write to sensor->read…")
    }

    @Test func capitalWOnAVariableInARegisterSaysThereIsNoMemoryToWatch() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.state.selectedVariable = "i"
        inspector.type("W")
        #expect(inspector.effects.isEmpty)
        #expect(inspector.state.messageIsError)
        #expect(inspector.state.message?.hasPrefix("i is not in memory here") == true)
    }

    // MARK: Watch expressions

    @Test func pWatchesAnExpressionAndAgainStopsWatchingIt() throws {
        var inspector = try atSourceLevel()
        inspector.type("psensors[2].read\n")
        #expect(inspector.state.watchExpressions == ["sensors[2].read"])
        #expect(inspector.state.selectedVariable == "watch:sensors[2].read")
        inspector.type("p*sensor\n")
        #expect(inspector.state.watchExpressions == ["sensors[2].read", "*sensor"])
        inspector.type("psensors[2].read\n")
        #expect(inspector.state.watchExpressions == ["*sensor"])
        #expect(inspector.state.message == "no longer watching sensors[2].read")
    }

    @Test func dRemovesTheSelectedWatchExpressionAndOnlyThat() throws {
        var inspector = try atSourceLevel(focus: .variables)
        inspector.state.watchExpressions = ["sensors[2].read"]
        inspector.state.selectedVariable = "i"
        inspector.type("d")
        #expect(inspector.state.watchExpressions == ["sensors[2].read"], "a local is not a watch")
        #expect(inspector.state.messageIsError)
        inspector.state.selectedVariable = "watch:sensors[2].read"
        inspector.press(.delete)
        #expect(inspector.state.watchExpressions.isEmpty)
    }

    @Test func displayAndUndisplayCommandsWatchAndUnwatch() throws {
        var inspector = try atSourceLevel()
        inspector.type(":display sensors[0].total\n:display i\n")
        #expect(inspector.state.watchExpressions == ["sensors[0].total", "i"])
        inspector.type(":undisplay i\n")
        #expect(inspector.state.watchExpressions == ["sensors[0].total"])
        inspector.type(":undisplay\n")
        #expect(inspector.state.watchExpressions.isEmpty)
    }

    // MARK: Breakpoints on source lines

    @Test func bOnAFileAndLinePutsABreakpointOnTheLinesAddress() throws {
        var inspector = try atSourceLevel()
        inspector.type("bsensorhub.c:37\n")
        #expect(inspector.state.breakpoints == [0x8000_0274])
        #expect(inspector.state.stops.first?.place == "0x80000274 (copy_name) sensorhub.c:37")
        #expect(
            inspector.state.message
                == "breakpoint 1 at 0x80000274 (copy_name) sensorhub.c:37 — c/C continue to it")
        inspector.type("bsensorhub.c:37\n")
        #expect(inspector.state.stops.isEmpty, "b on the same line again deletes it")
    }

    @Test func aLineWithoutCodeMeansTheNextOneWithCodeAsInGdb() throws {
        var inspector = try atSourceLevel()
        inspector.type("bsensorhub.c:34\n")
        #expect(inspector.state.breakpoints == [0x8000_0274], "line 34 is a comment: the next line with code")
    }

    @Test func aFileAndLineBreakpointCanHaveAConditionAndBeDeletedByItsLine() throws {
        var inspector = try atSourceLevel()
        inspector.type("bsensorhub.c:37 if a5 == 0x31\n")
        #expect(inspector.state.stops.first?.rule.condition != nil)
        inspector.type(":delete sensorhub.c:37\n")
        #expect(inspector.state.stops.isEmpty, "\(inspector.state.message ?? "")")
    }

    @Test func anUnknownFileOrALineAfterTheCodeIsAnError() throws {
        var inspector = try atSourceLevel()
        inspector.type("bnosuch.c:3\n")
        #expect(inspector.state.message == "break nosuch.c:3: no source file named nosuch.c")
        inspector.type("bsensorhub.c:9999\n")
        #expect(inspector.state.message == "break sensorhub.c:9999: no code at or after line 9999")
        #expect(inspector.state.stops.isEmpty)
    }

    @Test func withoutDebugInfoAFileAndLineIsAnError() throws {
        var inspector = try PureInspector(step: 500)
        inspector.type("bsensorhub.c:37\n")
        #expect(inspector.state.stops.isEmpty)
        #expect(inspector.state.messageIsError)
        #expect(inspector.state.message?.hasPrefix("break sensorhub.c:37: no debug info") == true)
    }

    // MARK: Lines that ran

    @Test func xCollectsTheLinesThatRanInTheVisibleSpanAndAgainHidesThem() throws {
        var inspector = try atSourceLevel()
        inspector.type("zz")
        let span = Renderer.visibleSpan(inspector.state)
        inspector.type("x")
        #expect(inspector.effects == [.collectExecutedLines(span)])
        let lines = InspectorState.ExecutedLines(span: span, ran: ["a.c": [3]], haveCode: ["a.c": [3, 4]])
        inspector.send(.executedLinesCollected(lines, message: "1 source lines run"))
        #expect(inspector.state.executedLines == lines)
        #expect(inspector.state.progress == nil)
        inspector.type("x")
        #expect(inspector.state.executedLines == nil)
        #expect(inspector.effects.isEmpty)
    }
}
