import Machine
import Recording

/// The inspector running against a recording: reads keys, reduces them, runs the effects on
/// the timeline, and draws each frame. One object, because it owns the loop; everything it
/// decides is in `Reducer` and everything it draws is in `Renderer`.
public final class InspectorSession {
    public private(set) var state: InspectorState
    let timeline: Timeline
    let terminal: TerminalDevice
    let clock: InspectorClock
    private let builder: MachineViewBuilder
    /// In live mode, where new steps come from.
    let live: LiveSource?
    /// Milliseconds between frames while playing back or live (33 per second).
    static let frameMilliseconds = 30

    /// Opens the inspector on `timeline` at `step` (the end when nil: a post-mortem starts at
    /// the crash). With `live`, the timeline grows while the inspector is open and the view
    /// follows its head.
    public init(timeline: Timeline, terminal: TerminalDevice, clock: InspectorClock, step: UInt64? = nil, live: LiveSource? = nil) {
        self.timeline = timeline
        self.terminal = terminal
        self.clock = clock
        self.live = live
        builder = MachineViewBuilder(timeline: timeline)
        let firmware = timeline.machine.firmware
        let dataStart = firmware.sections.first(where: { $0.name == ".data" || $0.name == ".bss" })?.address ?? timeline.machine.ramBase
        state = InspectorState(step: step ?? timeline.totalSteps, totalSteps: timeline.totalSteps, memoryAddress: dataStart)
        if live != nil {
            state.live = InspectorState.Live(report: LiveReport(headStep: timeline.totalSteps))
            pollLive()
            state.message = state.live?.canControl == true
                ? "live — Space pauses, ←/→ scrub back, f follows the head, i types to the firmware, ? keys"
                : "following the recording as it grows — ←/→ scrub, f follows, ? keys"
        } else if timeline.summary.ending.reason == .crashed {
            state.message = "the run crashed here — step back (←) to see what led to it; ? for keys"
        } else {
            state.message = "? shows every key"
        }
    }

    /// Runs until the user quits.
    public func run() {
        draw()
        let period = Double(InspectorSession.frameMilliseconds) / 1000
        var nextFrame = clock.now + period
        while !state.isQuitting {
            let isAnimating = live != nil || state.playback.isPlaying
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
            if state.live?.report != report { _ = Reducer.reduce(&state, .live(report), firmware: timeline.machine.firmware) }
        } catch {
            state.message = "live: \(error)"
            state.messageIsError = true
        }
    }

    /// Applies one action (and the effects it asks for), then draws.
    public func send(_ action: InspectorAction) {
        var effects = Reducer.reduce(&state, action, firmware: timeline.machine.firmware)
        while let effect = effects.first {
            effects.removeFirst()
            draw()  // shows the progress line before the work starts
            let result = perform(effect)
            effects += Reducer.reduce(&state, result, firmware: timeline.machine.firmware)
        }
        if !state.isQuitting { draw() }
    }

    /// The frame for the current state at the terminal's size.
    public func frame() -> ScreenGrid {
        let size = terminal.size
        do {
            var view = try builder.view(for: state)
            if let register = state.memoryFollowsRegister {
                let address = register == 0 ? view.state.pc : view.state.x[register]
                if address & ~0xF != state.memoryAddress || address != state.memoryCursor {
                    _ = Reducer.reduce(&state, .followedAddress(address), firmware: timeline.machine.firmware)
                    view = try builder.view(for: state)
                }
            }
            state.pcAtStep = view.state.pc
            if size.width >= Layout.minimumWidth && size.height >= Layout.minimumHeight {
                let memory = Layout(width: size.width, height: size.height, showsDevices: state.lowerPaneShowsDevices).memory
                state.memoryBytesPerRow = Layout.memoryBytesPerRow(memory)
                state.memoryVisibleRows = max(1, memory.height - 2)
            }
            return Renderer.render(state, view, width: size.width, height: size.height)
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
            return try performThrowing(effect)
        } catch {
            return .failed(error.description)
        }
    }

    private func performThrowing(_ effect: InspectorEffect) throws(RecordingError) -> InspectorAction {
        let step = state.step
        let symbols = timeline.machine.firmware.symbols
        func place(_ pc: UInt32) -> String { symbols.describe(pc).map { "\(hex(pc)) (\($0))" } ?? hex(pc) }
        switch effect {
        case .live(let command):
            guard let live else { return .liveCommandFinished(refusal: "not a live session") }
            let refusal = live.perform(command)
            pollLive()
            return .liveCommandFinished(refusal: refusal)
        case .continueRun(let isForward):
            var best: (step: UInt64, text: String)?
            func consider(_ candidate: UInt64, _ text: String) {
                if let current = best, isForward ? candidate >= current.step : candidate <= current.step { return }
                best = (candidate, text)
            }
            for pc in state.breakpoints {
                // Land on the state about to execute the breakpoint (step N − 1 of a hit at N).
                let hit = isForward
                    ? try timeline.nextExecution(of: pc, after: step + 1, progress: progress("continuing"))
                    : try timeline.lastExecution(of: pc, before: step + 1, progress: progress("continuing"))
                if let hit { consider(hit.step - 1, "breakpoint at \(place(pc))") }
            }
            for range in state.watchpoints {
                let hit = isForward
                    ? try timeline.nextWrite(to: range, after: step, progress: progress("continuing"))
                    : try timeline.lastWrite(to: range, before: step, progress: progress("continuing"))
                if let hit { consider(hit.step, "write to \(hex(range.lowerBound)):\(range.count) by \(place(hit.pc))") }
            }
            guard let best else {
                return .searchFinished(step: nil, message: "no breakpoint or watchpoint hit \(isForward ? "after" : "before") step \(step)")
            }
            return .searchFinished(step: best.step, message: "\(best.text) at step \(best.step)")
        case .lastWrite(let range, let atOrBefore):
            var hit = try timeline.lastWrite(to: range, before: atOrBefore + 1, progress: progress("searching back"))
            if let found = hit, found.step == step, step > 0 {
                // The write that made this step: look for the one before it.
                hit = try timeline.lastWrite(to: range, before: step, progress: progress("searching back"))
            }
            guard let hit else { return .searchFinished(step: nil, message: "\(hex(range.lowerBound)):\(range.count) was not written before step \(atOrBefore)") }
            return .searchFinished(step: hit.step, message: "step \(hit.step): \(place(hit.pc)) wrote \(hex(range.lowerBound)):\(range.count)")
        case .lastRegisterChange(let index, let atOrBefore):
            var found = try timeline.lastChange(ofRegister: index, atOrBefore: atOrBefore, progress: progress("searching back"))
            if found == step, step > 1 { found = try timeline.lastChange(ofRegister: index, atOrBefore: step - 1, progress: progress("searching back")) }
            guard let found else { return .searchFinished(step: nil, message: "\(RegisterNames.abi[index]) never changed before step \(atOrBefore)") }
            try timeline.seek(to: found - 1)
            return .searchFinished(step: found, message: "step \(found): \(place(timeline.machine.pc)) changed \(RegisterNames.abi[index])")
        case .marker(let isForward):
            let marker = isForward ? try timeline.marker(kind: MarkerKind.anyKind, after: step) : try timeline.marker(kind: MarkerKind.anyKind, before: step)
            guard let marker else { return .searchFinished(step: nil, message: "no marker \(isForward ? "after" : "before") this step") }
            let text = marker.text.map { ": \($0)" } ?? ""
            return .searchFinished(step: marker.step, message: "\(marker.kind) at \(place(marker.pc))\(text)")
        case .gotoSymbol(let text):
            guard let address = timeline.machine.firmware.address(for: text) else { return .failed("\(text): no such symbol") }
            if let hit = try timeline.nextExecution(of: address, after: step + 1, progress: progress("looking")) {
                return .searchFinished(step: hit.step - 1, message: "\(text) runs next at step \(hit.step)")
            }
            if let hit = try timeline.lastExecution(of: address, before: step + 1, progress: progress("looking")) {
                return .searchFinished(step: hit.step - 1, message: "\(text) does not run again; it last ran at step \(hit.step)")
            }
            return .searchFinished(step: nil, message: "\(text) never runs in this recording")
        case .search(let text):
            if let line = try timeline.nextConsoleLine(containing: text, after: step) {
                return .searchFinished(step: line.step, message: "console: \(line.text ?? "")")
            }
            let addresses = codeAddresses(matching: text)
            var best: TimelineMatch?
            for address in addresses.prefix(64) {
                if let hit = try timeline.nextExecution(of: address, after: step + 1, progress: progress("searching")),
                    best.map({ hit.step < $0.step }) ?? true
                {
                    best = hit
                }
            }
            guard let best else { return .searchFinished(step: nil, message: "'\(text)' not found after step \(step)") }
            return .searchFinished(step: best.step - 1, message: "\(place(best.pc)) runs next at step \(best.step)")
        }
    }

    /// Addresses of instructions in the image whose disassembly contains `text`, or whose
    /// bytes are the hex digits in `text`.
    private func codeAddresses(matching text: String) -> [UInt32] {
        let machine = timeline.machine
        let hexDigits = text.lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "0x", with: "")
        let wantedBits = hexDigits.count == 8 || hexDigits.count == 4 ? UInt32(hexDigits, radix: 16) : nil
        var matches: [UInt32] = []
        for section in machine.firmware.sections where section.name.hasPrefix(".text") || section.name == ".init" {
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
