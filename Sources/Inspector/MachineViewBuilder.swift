import Machine
import Recording

/// Gathers a `MachineView` for the inspector's state from the timeline, caching what does not
/// change from one frame to the next (the timeline marks of a span, the memory at a mark).
final class MachineViewBuilder {
    let timeline: Timeline
    private var markCache: (key: MarkCacheKey, marks: [MachineView.TimelineMark])?
    private var markerMarkCache: (span: ClosedRange<UInt64>, marks: [MachineView.TimelineMark])?

    /// What the timeline's marks depend on: the visible span and the breakpoints and
    /// watchpoints (their places, conditions and whether they are enabled).
    private struct MarkCacheKey: Equatable {
        var span: ClosedRange<UInt64>
        var stops: [InspectorState.Stop]
    }
    private var sinceMarkCache: (step: UInt64, address: UInt32, bytes: [UInt8?])?
    private var viewCache: (key: ViewCacheKey, view: MachineView)?

    /// What a view depends on besides the recording.
    private struct ViewCacheKey: Equatable {
        var step: UInt64
        var memoryAddress: UInt32
        var highlightSince: UInt64?
        var stops: [InspectorState.Stop]
        var timelineSpan: UInt64
        var stackScroll: Int
    }
    /// The console's bytes and the lines they make: playback moves the step every frame, the
    /// console rarely.
    private var consoleCache: (bytes: [UInt8], lines: [String])?
    /// Bytes of memory gathered from the pane's address: a tall pane of text at 64 a row.
    static let memoryWindow = 64 * 64
    /// Stack words gathered from sp (plus the pane's scroll): more than any pane shows.
    static let stackWords = 64
    /// Console bytes replayed for the pane: the newest, enough for hundreds of lines.
    static let consoleBytes = 64 * 1024

    init(timeline: Timeline) {
        self.timeline = timeline
    }

    /// The view at `state.step`; leaves the machine there.
    func view(for state: InspectorState) throws(RecordingError) -> MachineView {
        let key = ViewCacheKey(
            step: state.step, memoryAddress: state.memoryAddress, highlightSince: state.highlightSince,
            stops: state.stops,
            timelineSpan: state.timelineSpan, stackScroll: state.stackScroll)
        if let cached = viewCache, cached.key == key { return cached.view }
        let machine = timeline.machine
        let count = MachineViewBuilder.memoryWindow
        var previousRegisters: [UInt32]?
        var previousPC: UInt32?
        var previousMemory: [UInt8?]?
        if state.step > 0 {
            try timeline.seek(to: state.step - 1)
            previousRegisters = (0..<32).map(machine.register)
            previousPC = machine.pc
            previousMemory = read(state.memoryAddress, count: count)
        }
        try timeline.seek(to: state.step)
        let machineState = machine.state
        let memory = read(state.memoryAddress, count: count)
        let written =
            previousMemory.map { previous in (0..<count).map { previous[$0] != memory[$0] } }
            ?? Array(repeating: false, count: count)
        var sinceMark = Array(repeating: false, count: count)
        if let mark = state.highlightSince, mark != state.step {
            let before = try bytes(at: mark, address: state.memoryAddress, count: count)
            sinceMark = (0..<count).map { before[$0] != memory[$0] }
            try timeline.seek(to: state.step)
        }
        let summary = timeline.summary
        let ending = summary.ending
        let endingText = ending.headline
        let finder = PointeeFinder(firmware: machine.firmware) { machine.readMemory($0, count: $1) }
        let registers = [machineState.pc] + machineState.x.dropFirst().prefix(31)
        let consoleBytes = (try? timeline.consoleBytes(upTo: state.step, maxLines: 300)) ?? []
        let view = MachineView(
            step: state.step, totalSteps: timeline.totalSteps, state: machineState,
            previousRegisters: previousRegisters, previousPC: previousPC,
            function: machine.firmware.symbols.describe(machineState.pc),
            code: MachineViewBuilder.disassembly(around: machineState.pc, in: machine),
            current: currentInstruction(machineState, finder: finder),
            registerPointees: registers.map { finder.pointee(of: $0) },
            stack: stack(
                from: machineState.x[2] &+ UInt32(truncatingIfNeeded: state.stackScroll &* 4), finder: finder),
            memoryAddress: state.memoryAddress, memory: memory, writtenByLastStep: written,
            changedSinceMark: sinceMark,
            console: console(consoleBytes),
            marks: try marks(state), keyframes: keyframes(in: Renderer.visibleSpan(state)),
            ending: endingText, endedInCrash: ending.reason == .crashed,
            firmwareName: summary.header.firmwareName)
        viewCache = (key, view)
        return view
    }

    /// Bytes at `address`, nil where there is no RAM or ROM.
    private func read(_ address: UInt32, count: Int) -> [UInt8?] {
        if let bytes = timeline.machine.readMemory(address, count: count) { return bytes.map { $0 } }
        return (0..<count).map { timeline.machine.readMemory(address &+ UInt32($0), count: 1)?.first }
    }

    private func bytes(at step: UInt64, address: UInt32, count: Int) throws(RecordingError) -> [UInt8?] {
        if let cached = sinceMarkCache, cached.step == step, cached.address == address { return cached.bytes }
        try timeline.seek(to: step)
        let bytes = read(address, count: count)
        sinceMarkCache = (step, address, bytes)
        return bytes
    }

    /// The console as a terminal shows the newest `consoleBytes` of `bytes`.
    private func console(_ bytes: [UInt8]) -> [String] {
        let shown = Array(bytes.suffix(MachineViewBuilder.consoleBytes))
        if let cached = consoleCache, cached.bytes == shown { return cached.lines }
        let lines = ConsoleScreen(shown).lines
        consoleCache = (shown, lines)
        return lines
    }

    /// The instruction at pc, previewed with the registers and memory of this step.
    private func currentInstruction(_ state: MachineState, finder: PointeeFinder) -> MachineView
        .CurrentInstruction?
    {
        let machine = timeline.machine
        guard let bits = machine.instructionBits(at: state.pc),
            let effect = InstructionEffect.preview(bits, at: state.pc, registers: state.x)
        else { return nil }
        var current = MachineView.CurrentInstruction(effect: effect)
        func value(at address: UInt32, size: Int) -> UInt32? {
            machine.readMemory(address, count: size).map(littleEndian)
        }
        switch effect {
        case .load(let address, let size):
            current.memoryValue = value(at: address, size: size)
            if size == 4, let loaded = current.memoryValue {
                current.loadedPointee = finder.pointee(of: loaded)
            }
        case .store(let address, let size, _):
            current.memoryValue = value(at: address, size: size)
        case .readModifyWrite(let address, _):
            current.memoryValue = value(at: address, size: 4)
        case .branch(let target, _), .jump(let target, _):
            current.targetPointee = finder.pointee(of: target)
        }
        return current
    }

    /// Words from `address` upward while memory can be read.
    private func stack(from address: UInt32, finder: PointeeFinder) -> [MachineView.StackWord] {
        var words: [MachineView.StackWord] = []
        for index in 0..<MachineViewBuilder.stackWords {
            let wordAddress = address &+ UInt32(index * 4)
            guard wordAddress >= address, let bytes = timeline.machine.readMemory(wordAddress, count: 4)
            else { break }
            let value = littleEndian(bytes)
            words.append(.init(address: wordAddress, value: value, pointee: finder.pointee(of: value)))
        }
        return words
    }

    /// About 40 instructions around pc, starting at the function's start when it is near.
    static func disassembly(around pc: UInt32, in machine: Machine) -> [MachineView.CodeLine] {
        let symbols = machine.firmware.symbols
        guard machine.readMemory(pc, count: 2) != nil else { return [] }
        var start = pc &- 64
        if let symbol = symbols.symbol(containing: pc), pc &- symbol.address <= 96 { start = symbol.address }
        // Near the start of a region (the reset ROM at 0x1000), begin at its first readable byte.
        while start < pc && machine.readMemory(start, count: 2) == nil { start &+= 2 }
        var lines: [MachineView.CodeLine] = []
        var address = start
        var afterPC = 0
        while lines.count < 120 && afterPC < 40 {
            guard let bits = machine.instructionBits(at: address) else { break }
            let instruction = Disassembler.disassemble(bits, at: address, symbolize: { symbols.describe($0) })
            let label = symbols.symbol(containing: address).flatMap { $0.address == address ? $0.name : nil }
            lines.append(MachineView.CodeLine(address: address, text: instruction.text, label: label))
            if address >= pc { afterPC += 1 }
            // Resynchronise on pc when decoding from a guessed start went astray.
            if address < pc && address &+ UInt32(instruction.length) > pc {
                address = pc
            } else {
                address &+= UInt32(instruction.length)
            }
        }
        return lines
    }

    private func keyframes(in span: ClosedRange<UInt64>) -> [UInt64] {
        timeline.keyframeSteps.filter { span.contains($0) }
    }

    /// Markers in the visible span, plus the intervals where a breakpoint or watchpoint may hit.
    private func marks(_ state: InspectorState) throws(RecordingError) -> [MachineView.TimelineMark] {
        let span = Renderer.visibleSpan(state)
        let key = MarkCacheKey(span: span, stops: state.stops)
        if let cached = markCache, cached.key == key { return cached.marks }
        var marks = try markerMarks(in: span)
        // Exact hits, with their conditions, when few intervals need replaying; else the
        // intervals that may hold one.
        for stop in state.stops where stop.isEnabled {
            let kind: MachineView.TimelineMark.Kind = stop.isBreakpoint ? .breakpoint : .watch
            if let hits = try timeline.hits(of: stop.rule, in: span) {
                marks += hits.map { .init(step: $0, kind: kind, stopNumber: stop.number) }
            } else {
                for interval in timeline.intervals(of: stop.rule) where interval.overlaps(span) {
                    marks.append(.init(step: max(interval.lowerBound, span.lowerBound), kind: kind))
                }
            }
        }
        markCache = (key, marks)
        return marks
    }

    /// The marks of the first `markerLimit` markers in `span`. A span that only grew at its
    /// end since the last call (a view following a live head) reads only the new steps: the
    /// markers before the head never change (those of the head's own step may still be joined
    /// by an input byte, so that step is read again).
    private func markerMarks(in span: ClosedRange<UInt64>) throws(RecordingError) -> [MachineView
        .TimelineMark]
    {
        var marks: [MachineView.TimelineMark] = []
        var start = span.lowerBound
        if let cached = markerMarkCache, cached.span.lowerBound == span.lowerBound,
            cached.span.upperBound <= span.upperBound
        {
            if cached.span == span { return cached.marks }
            marks = cached.marks
            while let last = marks.last, last.step >= cached.span.upperBound { marks.removeLast() }
            start = cached.span.upperBound
        }
        if marks.count < Self.markerLimit {
            for marker in try timeline.markers(
                in: start...span.upperBound, limit: Self.markerLimit - marks.count)
            {
                let kind: MachineView.TimelineMark.Kind
                switch marker.kind {
                case MarkerKind.console: kind = .console
                case MarkerKind.input: kind = .input
                case MarkerKind.exit, MarkerKind.crash: kind = .end
                case MarkerKind.semihosting, MarkerKind.htif: kind = .console
                default: kind = MarkerKind.isInterrupt(marker.kind) ? .interrupt : .exception
                }
                marks.append(.init(step: marker.step, kind: kind))
            }
        }
        markerMarkCache = (span, marks)
        return marks
    }

    /// Markers the timeline bar shows at most, from the start of its span.
    static let markerLimit = 20_000
}
