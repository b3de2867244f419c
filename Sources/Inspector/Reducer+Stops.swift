import DebugInfo
import Machine
import Recording

/// Breakpoints and watchpoints: numbered, with conditions; set with `b`/`w`, listed with
/// `:info break`, deleted, enabled and disabled by number; `c`/`C` continue to their hits.
extension Reducer {
    /// `b [ADDR] [if COND]`: sets a breakpoint (at pc without an address). `b ADDR` alone on an
    /// address that has one deletes it; `b ADDR if COND` there changes its condition. With
    /// debug information ADDR may be `FILE:LINE`: a breakpoint at each address gdb would put
    /// one for that line.
    static func setBreakpoint(
        _ state: inout InspectorState, _ text: String, firmware: Firmware, lines: SourceLines? = nil
    )
        -> [InspectorEffect]
    {
        let (place, conditionText) = splitCondition(text)
        if let source = sourceLine(place) {
            return setSourceBreakpoint(
                &state, source, conditionText: conditionText, firmware: firmware, lines: lines)
        }
        let address: UInt32
        if place.isEmpty {
            guard let pc = state.currentPC else { return [] }
            address = pc
        } else {
            guard let resolved = firmware.address(for: place, at: state.stateAtStep) else {
                say(&state, "break \(place): not an address, symbol or register expression", isError: true)
                return []
            }
            address = resolved
        }
        return setStop(&state, .execution(address), conditionText: conditionText, firmware: firmware)
    }

    /// `w [ADDR[:LEN]] [if COND]`: watches writes (to the memory cursor's word without an
    /// address); toggles and changes conditions as `b` does.
    static func setWatchpoint(_ state: inout InspectorState, _ text: String, firmware: Firmware)
        -> [InspectorEffect]
    {
        let (place, conditionText) = splitCondition(text)
        let range: Range<UInt32>
        if place.isEmpty {
            let word = state.memoryCursor & ~3
            range = word..<word + 4
        } else {
            guard let resolved = firmware.range(for: place, defaultLength: 4, at: state.stateAtStep) else {
                say(&state, "watch \(place): use ADDR[:LEN] with an address or symbol", isError: true)
                return []
            }
            range = resolved
        }
        return setStop(&state, .write(range), conditionText: conditionText, firmware: firmware)
    }

    /// "ADDR if COND" as ADDR and COND (nil without `if`).
    private static func splitCondition(_ text: String) -> (place: String, condition: String?) {
        let padded = " " + text + " "
        guard let range = padded.range(of: " if ") else {
            return (text.trimmingCharacters(in: .whitespaces), nil)
        }
        return (
            String(padded[..<range.lowerBound]).trimmingCharacters(in: .whitespaces),
            String(padded[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        )
    }

    /// `FILE:LINE` split, when `text` has that shape (a file name with a dot, a decimal line).
    static func sourceLine(_ text: String) -> (file: String, line: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let file = String(text[..<colon])
        guard let line = Int(text[text.index(after: colon)...]), line > 0, file.contains("."),
            !file.contains(" "), !file.hasPrefix(".")
        else { return nil }
        return (file, line)
    }

    /// The addresses gdb puts a breakpoint on for `FILE:LINE`, or nil after saying why there
    /// are none.
    static func sourceAddresses(
        _ state: inout InspectorState, _ source: (file: String, line: Int), lines: SourceLines?, verb: String
    ) -> [UInt32]? {
        let place = "\(source.file):\(source.line)"
        guard let lines else {
            say(
                &state,
                "\(verb) \(place): \(state.debugInfoProblem ?? "no debug info"): use an address or a symbol",
                isError: true)
            return nil
        }
        guard lines.sourceFiles.contains(where: { $0 == source.file || $0.hasSuffix("/" + source.file) })
        else {
            say(&state, "\(verb) \(place): no source file named \(source.file)", isError: true)
            return nil
        }
        let addresses = lines.addresses(file: source.file, line: source.line)
        guard !addresses.isEmpty else {
            say(&state, "\(verb) \(place): no code at or after line \(source.line)", isError: true)
            return nil
        }
        return addresses
    }

    /// `b FILE:LINE [if COND]`: a breakpoint at each of the line's addresses; when every one
    /// has one already, `b FILE:LINE` deletes them (and with a condition, changes theirs).
    private static func setSourceBreakpoint(
        _ state: inout InspectorState, _ source: (file: String, line: Int), conditionText: String?,
        firmware: Firmware, lines: SourceLines?
    ) -> [InspectorEffect] {
        guard let addresses = sourceAddresses(&state, source, lines: lines, verb: "break") else { return [] }
        let place = "\(source.file):\(source.line)"
        let isSetEverywhere = addresses.allSatisfy { address in
            state.stops.contains { $0.rule.trigger == .execution(address) }
        }
        var messages: [String] = []
        for address in addresses {
            let isSet = state.stops.contains { $0.rule.trigger == .execution(address) }
            // Where some addresses have one already, only the others get one.
            guard isSetEverywhere || !isSet else { continue }
            _ = setStop(
                &state, .execution(address), conditionText: conditionText, firmware: firmware, source: place)
            if state.messageIsError { return [] }
            messages.append(state.message ?? "")
        }
        if messages.count > 1 {
            let numbers = state.stops.filter { stop in
                addresses.contains { stop.rule.trigger == .execution($0) }
            }.map { String($0.number) }
            say(
                &state,
                isSetEverywhere && conditionText == nil
                    ? "the \(messages.count) breakpoints at \(place) deleted"
                    : "breakpoints \(numbers.joined(separator: ", ")) at \(place) (one per address of the line) — c/C continue to them"
            )
        }
        return []
    }

    private static func setStop(
        _ state: inout InspectorState, _ trigger: StopRule.Trigger, conditionText: String?,
        firmware: Firmware,
        source: String? = nil
    ) -> [InspectorEffect] {
        var condition: StopCondition?
        if let conditionText {
            do {
                condition = try StopCondition(parsing: conditionText, firmware: firmware)
            } catch {
                say(&state, "if \(conditionText): \(error.description)", isError: true)
                return []
            }
        }
        if let index = state.stops.firstIndex(where: { $0.rule.trigger == trigger }) {
            let stop = state.stops[index]
            if let condition {
                state.stops[index].rule.condition = condition
                state.stops[index].isEnabled = true
                say(&state, "\(describe(stop, firmware: firmware)) now stops only if \(condition)")
            } else {
                state.stops.remove(at: index)
                say(&state, "\(describe(stop, firmware: firmware)) deleted")
            }
            return []
        }
        let stop = InspectorState.Stop(
            number: state.nextStopNumber, rule: StopRule(trigger, condition: condition),
            place: location(trigger, firmware: firmware) + (source.map { " " + $0 } ?? ""))
        state.nextStopNumber += 1
        state.stops.append(stop)
        let when = condition.map { " if \($0)" } ?? ""
        say(
            &state,
            "\(describe(stop, firmware: firmware))\(when) — c/C continue to \(stop.isBreakpoint ? "it" : "a write")"
        )
        return []
    }

    /// "breakpoint 1 at 0x8000035e (poll_sensors+0x24)", "watchpoint 2 on 0x8000103c:4 (sensors+0x38)".
    static func describe(_ stop: InspectorState.Stop, firmware: Firmware) -> String {
        "\(stop.isBreakpoint ? "breakpoint" : "watchpoint") \(stop.number) \(stop.isBreakpoint ? "at" : "on") \(stop.place)"
    }

    /// Where a rule stops: "0x8000035e (poll_sensors+0x24)", "0x8000103c:4 (sensors+0x38)".
    static func location(_ trigger: StopRule.Trigger, firmware: Firmware) -> String {
        switch trigger {
        case .execution(let address):
            return hex(address) + (firmware.symbols.describe(address).map { " (\($0))" } ?? "")
        case .write(let range):
            return "\(hex(range.lowerBound)):\(range.count)"
                + (firmware.symbols.describe(range.lowerBound).map { " (\($0))" } ?? "")
        }
    }

    // MARK: The list

    /// Opens the list and asks for the hit counts it does not have yet.
    static func listStops(_ state: inout InspectorState) -> [InspectorEffect] {
        guard !state.stops.isEmpty else {
            say(&state, "no breakpoints or watchpoints: set one with b or w")
            return []
        }
        state.isShowingStops = true
        state.overlayScroll = 0
        var missing: [StopRule] = []
        for stop in state.stops
        where state.hitCounts[stop.rule]?.throughStep != state.totalSteps && !missing.contains(stop.rule) {
            missing.append(stop.rule)
        }
        guard !missing.isEmpty else { return [] }
        state.progress = "counting hits in the whole recording…"
        return [.countHits(missing)]
    }

    /// `:delete` (every one), `:delete N…`, `:delete ADDR` (the ones at that address).
    static func deleteStops(
        _ state: inout InspectorState, _ argument: String, firmware: Firmware, lines: SourceLines? = nil
    ) {
        if argument.isEmpty || argument.lowercased() == "all" {
            guard !state.stops.isEmpty else {
                say(&state, "no breakpoints or watchpoints to delete")
                return
            }
            let count = state.stops.count
            state.stops.removeAll()
            say(
                &state,
                count == 1
                    ? "deleted the only breakpoint or watchpoint"
                    : "deleted every breakpoint and watchpoint (\(count))")
            return
        }
        guard let numbers = selectStops(&state, argument, verb: "delete", firmware: firmware, lines: lines)
        else {
            return
        }
        let deleted = state.stops.filter { numbers.contains($0.number) }
        state.stops.removeAll { numbers.contains($0.number) }
        say(&state, "deleted \(list(deleted, firmware: firmware))")
    }

    /// `:enable`/`:disable` with numbers or an address, or every one without.
    static func enableStops(
        _ state: inout InspectorState, _ argument: String, isEnabled: Bool, firmware: Firmware,
        lines: SourceLines? = nil
    ) {
        let verb = isEnabled ? "enable" : "disable"
        guard !state.stops.isEmpty else {
            say(&state, "no breakpoints or watchpoints to \(verb)", isError: true)
            return
        }
        let numbers =
            argument.isEmpty
            ? Set(state.stops.map(\.number))
            : selectStops(&state, argument, verb: verb, firmware: firmware, lines: lines)
        guard let numbers else { return }
        for index in state.stops.indices where numbers.contains(state.stops[index].number) {
            state.stops[index].isEnabled = isEnabled
        }
        say(
            &state, "\(verb)d \(list(state.stops.filter { numbers.contains($0.number) }, firmware: firmware))"
        )
    }

    /// `:condition N [COND]`: sets or (without COND) removes a condition.
    static func setCondition(_ state: inout InspectorState, _ argument: String, firmware: Firmware) {
        let words = argument.split(separator: " ", maxSplits: 1).map(String.init)
        guard let first = words.first, let number = Int(first),
            let index = state.stops.firstIndex(where: { $0.number == number })
        else {
            say(
                &state,
                ":condition N COND sets the condition of breakpoint or watchpoint N (no COND: removes it)",
                isError: true)
            return
        }
        var text = words.count > 1 ? words[1].trimmingCharacters(in: .whitespaces) : ""
        if text.hasPrefix("if ") { text = String(text.dropFirst(3)) }
        if text.isEmpty {
            state.stops[index].rule.condition = nil
            say(&state, "\(describe(state.stops[index], firmware: firmware)) stops at every hit")
            return
        }
        do {
            let condition = try StopCondition(parsing: text, firmware: firmware)
            state.stops[index].rule.condition = condition
            say(&state, "\(describe(state.stops[index], firmware: firmware)) now stops only if \(condition)")
        } catch {
            say(&state, "if \(text): \(error.description)", isError: true)
        }
    }

    /// The numbers `argument` names: numbers (`1 3`, `1,3`, `2-4`) or an address or symbol
    /// (the breakpoints there, the watchpoints from there). Nil after saying why not.
    private static func selectStops(
        _ state: inout InspectorState, _ argument: String, verb: String, firmware: Firmware,
        lines: SourceLines?
    ) -> Set<Int>? {
        let words = argument.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        var numbers = Set<Int>()
        var isNumeric = true
        for word in words {
            let bounds = word.split(separator: "-", maxSplits: 1).map { Int($0) }
            if bounds.count == 1, let number = bounds[0] {
                numbers.insert(number)
            } else if bounds.count == 2, let low = bounds[0], let high = bounds[1], low <= high,
                high - low < 10_000
            {
                numbers.formUnion(low...high)
            } else {
                isNumeric = false
            }
        }
        if isNumeric {
            let unknown = numbers.subtracting(state.stops.map(\.number)).sorted()
            guard unknown.isEmpty else {
                say(
                    &state,
                    "no breakpoint or watchpoint \(unknown.map(String.init).joined(separator: ", ")) — :info break lists them",
                    isError: true)
                return nil
            }
            return numbers
        }
        if let source = sourceLine(argument) {
            guard let addresses = sourceAddresses(&state, source, lines: lines, verb: ":" + verb) else {
                return nil
            }
            let matching = state.stops.filter { stop in
                addresses.contains { stop.rule.trigger == .execution($0) }
            }
            guard !matching.isEmpty else {
                say(&state, "no breakpoint at \(argument)", isError: true)
                return nil
            }
            return Set(matching.map(\.number))
        }
        guard let address = firmware.address(for: argument, at: state.stateAtStep) else {
            say(
                &state,
                ":\(verb) \(argument): give numbers (:info break lists them), or an address or symbol",
                isError: true)
            return nil
        }
        let matching = state.stops.filter { stop in
            switch stop.rule.trigger {
            case .execution(let at): at == address
            case .write(let range): range.lowerBound == address
            }
        }
        guard !matching.isEmpty else {
            say(&state, "no breakpoint or watchpoint at \(argument) (\(hex(address)))", isError: true)
            return nil
        }
        return Set(matching.map(\.number))
    }

    /// One stop described, or several by number: "breakpoints and watchpoints 1, 3".
    private static func list(_ stops: [InspectorState.Stop], firmware: Firmware) -> String {
        if stops.count == 1 { return describe(stops[0], firmware: firmware) }
        let numbers = stops.map { String($0.number) }.joined(separator: ", ")
        if stops.allSatisfy(\.isBreakpoint) { return "breakpoints \(numbers)" }
        if !stops.contains(where: \.isBreakpoint) { return "watchpoints \(numbers)" }
        return "breakpoints and watchpoints \(numbers)"
    }

    // MARK: Continue

    static func continueRun(_ state: inout InspectorState, isForward: Bool) -> [InspectorEffect] {
        guard !state.stops.isEmpty else {
            say(&state, "no breakpoints or watchpoints: set one with b or w", isError: true)
            return []
        }
        guard state.stops.contains(where: \.isEnabled) else {
            say(&state, "every breakpoint and watchpoint is disabled: :enable turns them on", isError: true)
            return []
        }
        state.progress = isForward ? "continuing forward…" : "continuing backward…"
        return [.continueRun(isForward: isForward)]
    }
}
