import DebugInfo
import Machine
import Recording

/// The inspector running against a recording: reads keys, reduces them, runs the effects on
/// the timeline, and draws each frame. One object, because it owns the loop; everything it
/// decides is in `Reducer` and everything it draws is in `Renderer`.
public final class InspectorSession {
    /// The inspector's state after the last key or report.
    public private(set) var state: InspectorState
    let timeline: Timeline
    let terminal: TerminalDevice
    let clock: InspectorClock
    private let builder: MachineViewBuilder
    /// The firmware's debug information, read once (nil when it has none: `state` says why).
    let debugInfo: DebugInfo?
    private let sourceBuilder: SourceViewBuilder?
    private lazy var stepper: SourceStepper? = debugInfo.map {
        SourceStepper(timeline: timeline, debugInfo: $0)
    }
    /// In live mode, where new steps come from.
    let live: LiveSource?
    /// Milliseconds between frames while playing back or live (33 per second).
    static let frameMilliseconds = 30

    /// Opens the inspector on `timeline` at `step` (the end when nil: a post-mortem starts at
    /// the crash). With `live`, the timeline grows while the inspector is open and the view
    /// follows its head. With the firmware's debug information the code pane shows source,
    /// read through `sources` (by default a `SourceLibrary`: the recording's embedded copy,
    /// else the file on disk).
    public init(
        timeline: Timeline, terminal: TerminalDevice, clock: InspectorClock, step: UInt64? = nil,
        live: LiveSource? = nil, sources: SourceTextProvider? = nil
    ) {
        self.timeline = timeline
        self.terminal = terminal
        self.clock = clock
        self.live = live
        builder = MachineViewBuilder(timeline: timeline)
        let firmware = timeline.machine.firmware
        let dataStart =
            firmware.sections.first(where: { $0.name == ".data" || $0.name == ".bss" })?.address
            ?? timeline.machine.ramBase
        state = InspectorState(
            step: step ?? timeline.totalSteps, totalSteps: timeline.totalSteps, memoryAddress: dataStart)
        do {
            let debugInfo = try DebugInfo(firmware: firmware)
            self.debugInfo = debugInfo
            sourceBuilder = SourceViewBuilder(
                timeline: timeline, debugInfo: debugInfo,
                sources: sources ?? SourceLibrary(timeline: timeline, debugInfo: debugInfo))
            state.hasDebugInfo = true
        } catch {
            debugInfo = nil
            sourceBuilder = nil
            state.debugInfoProblem = error.description
        }
        if live != nil {
            state.live = InspectorState.Live(report: LiveReport(headStep: timeline.totalSteps))
            pollLive()
            state.message =
                state.live?.canControl == true
                ? "live — Space pauses, ←/→ scrub back, End follows the head, i types to the firmware, ? keys"
                : "following the recording as it grows — ←/→ scrub, End follows, ? keys"
        } else if timeline.summary.ending.reason == .crashed {
            state.message = "the run crashed here — step back (←) to see what led to it; ? for keys"
        } else {
            state.message = "? shows every key"
        }
        // Debug information that is there but cannot be read is worth saying at once (its
        // absence the code pane's title says).
        if let problem = state.debugInfoProblem, problem != DebugInfoError.absent.description {
            state.message = "\(problem) — the machine level works without it; ? for keys"
            state.messageIsError = true
        }
    }

    /// Runs until the user quits.
    public func run() {
        draw()
        let period = Double(InspectorSession.frameMilliseconds) / 1000
        var nextFrame = clock.now + period
        while !state.isQuitting {
            // A live run that has ended changes no more: keys alone then draw.
            let isAnimating = state.live?.isRunning == true || state.playback.isPlaying
            let timeout = isAnimating ? max(1, Int(((nextFrame - clock.now) * 1000).rounded(.up))) : 500
            if let key = terminal.readKey(timeout: timeout) {
                send(.key(key))
                // Under key repeat, draw only when no more keys are already waiting, but keep
                // a live view moving.
                if !isAnimating || clock.now < nextFrame { continue }
            }
            // Frames keep a steady cadence; after a long stall, start counting again.
            let now = clock.now
            nextFrame = now - nextFrame > period ? now + period : nextFrame + period
            if state.playback.isPlaying { send(.tick) }
            if live != nil { pollLive() }
            if !state.isQuitting { draw() }
        }
    }

    /// Asks the live source for news and lets the reducer take it in.
    func pollLive() {
        guard let live else { return }
        do {
            let report = try live.poll(timeline)
            if state.live?.report != report {
                _ = reduce(.live(report))
            }
        } catch {
            state.message = "live: \(error)"
            state.messageIsError = true
        }
    }

    /// Applies one action (and the effects it asks for), then draws.
    public func send(_ action: InspectorAction) {
        let size = terminal.size
        state.isScreenTooSmall = size.width < Layout.minimumWidth || size.height < Layout.minimumHeight
        var effects = reduce(action)
        while let effect = effects.first {
            effects.removeFirst()
            if state.progress != nil { draw() }  // shows the progress line before the work starts
            let result = perform(effect)
            effects += reduce(result)
        }
        if !state.isQuitting { draw() }
    }

    /// The reducer, with the firmware's symbols and line tables.
    private func reduce(_ action: InspectorAction) -> [InspectorEffect] {
        Reducer.reduce(&state, action, firmware: timeline.machine.firmware, lines: debugInfo?.lines)
    }

    /// The frame for the current state at the terminal's size.
    public func frame() -> ScreenGrid {
        let size = terminal.size
        do {
            var view = try builder.view(for: state)
            if let register = state.memoryFollowsRegister {
                let address = register == 0 ? view.state.pc : view.state.x[register]
                if address & ~0xF != state.memoryAddress || address != state.memoryCursor {
                    _ = reduce(.followedAddress(address))
                    view = try builder.view(for: state)
                }
            }
            state.pcAtStep = view.state.pc
            state.stateAtStep = view.state
            var source: SourceView?
            if let sourceBuilder {
                let built = try sourceBuilder.view(for: state)
                source = built
                state.sourceFacts = InspectorState.SourceFacts(
                    frameCount: built.frames.count, selectedFrame: built.selectedFrame,
                    variables: built.variables)
            }
            if size.width >= Layout.minimumWidth && size.height >= Layout.minimumHeight {
                let memory = Layout(for: state, width: size.width, height: size.height).memory
                if memory.width > 0 {
                    state.memoryBytesPerRow = Layout.memoryBytesPerRow(memory, display: state.memoryDisplay)
                    state.memoryVisibleRows = max(1, memory.height - 2)
                }
            }
            return Renderer.render(state, view, source: source, width: size.width, height: size.height)
        } catch {
            var grid = ScreenGrid(width: size.width, height: size.height)
            grid.put("timescope: \(error)", x: 0, y: 0, style: Renderer.Look.error)
            grid.put("q quits", x: 0, y: 1)
            return grid
        }
    }

    private func draw() {
        terminal.draw(frame())
    }

    // MARK: Effects

    private var lastProgressDraw = 0.0

    /// A progress callback that redraws the status line at most every 100 ms.
    private func progress(_ label: String) -> (Double) -> Void {
        { [self] fraction in
            let now = clock.now
            guard now - lastProgressDraw > 0.1 else { return }
            lastProgressDraw = now
            state.progress = "\(label) \(Int(fraction * 100))%"
            draw()
        }
    }

    private func perform(_ effect: InspectorEffect) -> InspectorAction {
        do {
            switch effect {
            case .sourceMove(let move, let isBackward, let frame):
                return try sourceMove(move, isBackward: isBackward, frame: frame)
            case .lastWriteToVariable(let expression, let range, let atOrBefore):
                return try lastWrite(to: expression, range, atOrBefore: atOrBefore)
            case .collectExecutedLines(let span):
                return try executedLines(in: span)
            default:
                return try performThrowing(effect)
            }
        } catch let error as RecordingError {
            return .failed(error.description)
        } catch {
            return .failed("\(error)")
        }
    }

    private func performThrowing(_ effect: InspectorEffect) throws(RecordingError) -> InspectorAction {
        let step = state.step
        switch effect {
        case .live(let command):
            guard let live else { return .liveCommandFinished(refusal: "not a live session") }
            let refusal = live.perform(command)
            pollLive()
            return .liveCommandFinished(refusal: refusal)
        case .continueRun(let isForward):
            let stops = state.stops.filter(\.isEnabled)
            let rules = stops.map(\.rule)
            let label = progress("continuing")
            let hit =
                isForward
                ? try timeline.nextHit(of: rules, after: step, progress: label)
                : try timeline.lastHit(of: rules, before: step, progress: label)
            guard let hit else {
                return .searchFinished(
                    step: nil,
                    message: "no breakpoint or watchpoint hit \(isForward ? "after" : "before") step \(step)")
            }
            return .searchFinished(step: hit.step, message: try describeHit(hit, of: stops[hit.rule]))
        case .play(let from, let to):
            let stops = state.stops.filter(\.isEnabled)
            let rules = stops.map(\.rule)
            // Forward: a hit after `from` up to `to`; backward: one from `to` up to before `from`.
            let hit =
                to > from
                ? try timeline.nextHit(of: rules, after: from, through: to)
                : try timeline.lastHit(of: rules, before: from, notBefore: to)
            guard let hit else { return .playbackAdvanced(step: to, hit: nil) }
            return .playbackAdvanced(step: hit.step, hit: try describeHit(hit, of: stops[hit.rule]))
        case .countHits(let rules):
            var counts: [StopRule: Int] = [:]
            for (index, rule) in rules.enumerated() {
                counts[rule] = try timeline.hitCount(of: rule) { fraction in
                    self.progress("counting hits")((Double(index) + fraction) / Double(rules.count))
                }
            }
            return .hitsCounted(counts, through: timeline.totalSteps)
        case .lastWrite(let range, let atOrBefore):
            guard let hit = try lastWriteHit(to: range, atOrBefore: atOrBefore) else {
                return .searchFinished(
                    step: nil,
                    message:
                        "\(hex(range.lowerBound)):\(range.count) was not written before step \(atOrBefore)")
            }
            return .searchFinished(
                step: hit.step, message: "step \(hit.step): \(try whatWasWritten(hit, range))")
        case .lastRegisterChange(let index, let atOrBefore):
            var found = try timeline.lastChange(
                ofRegister: index, atOrBefore: atOrBefore, progress: progress("searching back"))
            if found == step, step > 1 {
                found = try timeline.lastChange(
                    ofRegister: index, atOrBefore: step - 1, progress: progress("searching back"))
            }
            guard let found else {
                return .searchFinished(
                    step: nil, message: "\(RegisterNames.abi[index]) never changed before step \(atOrBefore)")
            }
            try timeline.seek(to: found - 1)
            return .searchFinished(
                step: found,
                message: "step \(found): \(place(timeline.machine.pc)) changed \(RegisterNames.abi[index])")
        case .marker(let isForward):
            let marker =
                isForward
                ? try timeline.marker(kind: MarkerKind.anyKind, after: step)
                : try timeline.marker(kind: MarkerKind.anyKind, before: step)
            guard let marker else {
                return .searchFinished(
                    step: nil, message: "no marker \(isForward ? "after" : "before") this step")
            }
            let text = marker.text.map { ": \($0)" } ?? ""
            return .searchFinished(step: marker.step, message: "\(marker.kind) at \(place(marker.pc))\(text)")
        case .gotoSymbol(let name, let isForward):
            guard let address = timeline.machine.firmware.address(for: name) else {
                return .failed("\(name): no such symbol")
            }
            return try gotoSymbol(name, at: address, isForward: isForward)
        case .search(let text, let isForward):
            return try search(text, isForward: isForward)
        case .sourceMove, .lastWriteToVariable, .collectExecutedLines:
            return .failed("internal: \(effect) is performed elsewhere")
        }
    }

    // MARK: Source level

    /// Where the file:line of `pc` is, for messages: "copy_name at sensorhub.c:37".
    private func sourcePlace(_ pc: UInt32) -> String {
        let function = timeline.machine.firmware.symbols.symbol(containing: pc)?.name ?? hex(pc)
        guard let location = debugInfo?.lines.location(of: pc) else { return function }
        return "\(function) at \(location)"
    }

    /// e/E, o/O, t/T: where the move lands, or why it goes nowhere.
    private func sourceMove(_ move: SourceMove, isBackward: Bool, frame: Int) throws -> InspectorAction {
        let name = Reducer.moveName(move, isBackward: isBackward)
        guard let stepper else { return .failed("\(name): \(state.debugInfoProblem ?? "no debug info")") }
        let step = state.step
        guard
            let destination = try stepper.destination(
                of: move, from: step, backward: isBackward, frame: frame)
        else {
            return .searchFinished(
                step: nil,
                message: "\(name) goes no further: the recording \(isBackward ? "starts" : "ends") first")
        }
        try timeline.seek(to: destination)
        return .searchFinished(
            step: destination, message: "\(name): step \(destination), \(sourcePlace(timeline.machine.pc))")
    }

    /// W on a variable: the step that last wrote its bytes, the line that did, and what it stored.
    private func lastWrite(to expression: String, _ range: Range<UInt32>, atOrBefore: UInt64)
        throws(RecordingError)
        -> InspectorAction
    {
        guard let hit = try lastWriteHit(to: range, atOrBefore: atOrBefore) else {
            return .searchFinished(
                step: nil, message: "\(expression) was not written before step \(atOrBefore)")
        }
        let store = try timeline.store(at: hit.step)
        let pc = store?.pc ?? hit.pc
        let what = store.map { ": \($0)" } ?? ""
        return .searchFinished(
            step: hit.step, message: "step \(hit.step): \(sourcePlace(pc)) wrote \(expression)\(what)")
    }

    /// `x`: which source lines run in `span`: a breakpoint on every statement, each taken
    /// away once it is hit.
    private func executedLines(in span: ClosedRange<UInt64>) throws(RecordingError) -> InspectorAction {
        guard let lines = debugInfo?.lines else { return .failed(state.debugInfoProblem ?? "no debug info") }
        var linesAt: [UInt32: [(file: String, line: Int)]] = [:]
        var haveCode: [String: Set<Int>] = [:]
        for file in lines.sourceFiles {
            for statement in lines.statements(inFile: file) {
                linesAt[statement.address, default: []].append((file, statement.line))
                haveCode[file, default: []].insert(statement.line)
            }
        }
        let found = try timeline.executedAddresses(
            among: Set(linesAt.keys), in: span, progress: progress("finding the lines that run"))
        var ran: [String: Set<Int>] = [:]
        for address in found {
            for place in linesAt[address] ?? [] { ran[place.file, default: []].insert(place.line) }
        }
        let count = ran.values.map(\.count).reduce(0, +)
        return .executedLinesCollected(
            InspectorState.ExecutedLines(span: span, ran: ran, haveCode: haveCode),
            message:
                "\(count) source lines run in steps \(span.lowerBound)…\(span.upperBound): + ran, - did not — x hides them"
        )
    }

    /// The last write to `range` at or before step `atOrBefore`; when that is the write that
    /// made the step on screen, the one before it (so that `W` again goes further back).
    private func lastWriteHit(to range: Range<UInt32>, atOrBefore: UInt64) throws(RecordingError)
        -> TimelineMatch?
    {
        let step = state.step
        let hit = try timeline.lastWrite(
            to: range, before: atOrBefore + 1, progress: progress("searching back"))
        guard let found = hit, found.step == step, step > 0 else { return hit }
        return try timeline.lastWrite(to: range, before: step, progress: progress("searching back"))
    }

    /// "0x8000027c (copy_name+0x8)", or the address alone outside every symbol.
    private func place(_ pc: UInt32) -> String {
        timeline.machine.firmware.symbols.describe(pc).map { "\(hex(pc)) (\($0))" } ?? hex(pc)
    }

    /// What the step of a write hit stored: "0x8000027c (copy_name+0x8) sb 0x8000103f:1 00 → 72";
    /// if the storing instruction cannot be read, which bytes of `range` changed.
    private func whatWasWritten(_ hit: TimelineMatch, _ range: Range<UInt32>) throws(RecordingError) -> String
    {
        if let store = try timeline.store(at: hit.step) { return "\(place(store.pc)) \(store)" }
        return "\(place(hit.pc)) wrote \(hex(range.lowerBound)):\(range.count)"
    }

    /// The status line for a hit: which breakpoint (and where) or what the watched write was.
    private func describeHit(_ hit: StopHit, of stop: InspectorState.Stop) throws(RecordingError) -> String {
        let firmware = timeline.machine.firmware
        switch stop.rule.trigger {
        case .execution:
            return "\(Reducer.describe(stop, firmware: firmware)) at step \(hit.step)"
        case .write(let range):
            return
                "watchpoint \(stop.number), step \(hit.step): \(try whatWasWritten(TimelineMatch(step: hit.step, pc: hit.pc), range))"
        }
    }

    /// `g SYMBOL`: the next state after this one whose pc is at `address` (`g -SYMBOL`: the
    /// previous one). Messages number the step that runs it as `find --pc` does: one more
    /// than the state shown.
    private func gotoSymbol(_ name: String, at address: UInt32, isForward: Bool) throws(RecordingError)
        -> InspectorAction
    {
        let step = state.step
        let rule = [StopRule(.execution(address))]
        let label = progress("looking")
        if isForward {
            if let hit = try timeline.nextHit(of: rule, after: step, progress: label) {
                return .searchFinished(
                    step: hit.step,
                    message: "\(name) runs next in step \(hit.step + 1); pc is there at step \(hit.step)")
            }
            guard let last = try timeline.lastHit(of: rule, before: step + 1, progress: label) else {
                return .searchFinished(step: nil, message: "\(name) never runs in this recording")
            }
            if last.step == step {
                return .searchFinished(
                    step: nil, message: "\(name) runs for the last time in step \(step + 1): pc is there now")
            }
            return .searchFinished(
                step: nil,
                message: "\(name) does not run after step \(step); it last ran in step \(last.step + 1)")
        }
        if let hit = try timeline.lastHit(of: rule, before: step, progress: label) {
            return .searchFinished(
                step: hit.step,
                message: "\(name) last ran in step \(hit.step + 1); pc is there at step \(hit.step)")
        }
        // The first run from here on (this state included).
        var next = step == 0 ? try timeline.lastHit(of: rule, before: 1) : nil
        if next == nil {
            next = try timeline.nextHit(of: rule, after: step > 0 ? step - 1 : 0, progress: label)
        }
        guard let next else {
            return .searchFinished(step: nil, message: "\(name) never runs in this recording")
        }
        return .searchFinished(
            step: nil,
            message: "\(name) does not run before step \(step); it runs next in step \(next.step + 1)")
    }

    /// The nearest console line containing `text` or run of an instruction matching it.
    private func search(_ text: String, isForward: Bool) throws(RecordingError) -> InspectorAction {
        let step = state.step
        var console: Marker?
        if isForward {
            console = try timeline.nextConsoleLine(containing: text, after: step)
        } else {
            // Console lines back, one indexed query each, a bounded number of them.
            var before = step
            for _ in 0..<Self.consoleLinesSearchedBack {
                guard let line = try timeline.marker(kind: MarkerKind.console, before: before) else { break }
                if line.text?.contains(text) == true {
                    console = line
                    break
                }
                before = line.step
            }
        }
        let rules = codeAddresses(matching: text).prefix(64).map { StopRule(.execution($0)) }
        let label = progress("searching")
        let code =
            rules.isEmpty
            ? nil
            : isForward
                ? try timeline.nextHit(of: Array(rules), after: step, progress: label)
                : try timeline.lastHit(of: Array(rules), before: step, progress: label)
        if let console, code.map({ isForward ? console.step <= $0.step : console.step >= $0.step }) ?? true {
            return .searchFinished(step: console.step, message: "console: \(console.text ?? "")")
        }
        guard let code else {
            return .searchFinished(
                step: nil, message: "'\(text)' not found \(isForward ? "after" : "before") step \(step)")
        }
        return .searchFinished(
            step: code.step,
            message: "\(place(code.pc)) runs \(isForward ? "next" : "last") in step \(code.step + 1)")
    }

    /// How many console lines a backward search reads before it gives up.
    static let consoleLinesSearchedBack = 10_000

    /// Addresses of instructions in the image whose disassembly contains `text`, or whose
    /// bytes are the hex digits in `text`.
    private func codeAddresses(matching text: String) -> [UInt32] {
        let machine = timeline.machine
        let hexDigits = text.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(
            of: "0x", with: "")
        let wantedBits = hexDigits.count == 8 || hexDigits.count == 4 ? UInt32(hexDigits, radix: 16) : nil
        var matches: [UInt32] = []
        for section in machine.firmware.sections
        where section.name.hasPrefix(".text") || section.name == ".init" {
            var address = section.address
            while address < section.address &+ section.size && matches.count < 64 {
                guard let bits = machine.instructionBits(at: address) else { break }
                let instruction = Disassembler.disassemble(bits, at: address)
                let masked = instruction.length == 2 ? bits & 0xFFFF : bits
                if wantedBits == masked || instruction.text.contains(text) { matches.append(address) }
                address &+= UInt32(instruction.length)
            }
        }
        return matches
    }
}
