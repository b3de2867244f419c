import Foundation
import Inspector
import Testing
import TestSupport

/// The one keymap: the reducer dispatches from it, the help overlay and the README list it,
/// and none of the three can drift from the others.
@Suite("Keymap")
struct KeymapTests {
    /// The first cells of the key tables in README's "The inspector" and "Live watch mode"
    /// sections, with Markdown's escapes undone.
    static func readmeKeyCells() throws -> Set<String> {
        let readme = try String(contentsOf: TimescopePackageRoot.readme, encoding: .utf8)
        let start = try #require(readme.range(of: "## The inspector"))
        let end = try #require(readme.range(of: "## Usage", range: start.upperBound..<readme.endIndex))
        var cells = Set<String>()
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n")
        where line.hasPrefix("| ") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }.trimmingCharacters(in: .whitespaces)
            cells.insert(
                cell.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
                    .replacingOccurrences(of: "\\|", with: "|").replacingOccurrences(of: "`", with: ""))
        }
        return cells
    }

    @Test func everyBindingIsARowOfTheREADMEKeyTable() throws {
        let cells = try Self.readmeKeyCells()
        let missing = Keymap.bindings.map(\.keys).filter { !cells.contains($0) }
        #expect(missing.isEmpty, "README's key tables lack rows for: \(missing)")
    }

    /// j/k/J/K and =/_ were bound once without being listed: a label names every key it binds.
    @Test func everyBoundKeyIsNamedInItsBindingsLabel() {
        for binding in Keymap.bindings {
            for key in binding.commands.keys {
                let name = Keymap.name(of: key)
                let isNamed: Bool
                if case .character(let digit) = key, digit.isNumber {
                    isNamed = binding.keys == "0 … 9"
                } else if name.hasPrefix("Shift-") && name != "Shift-Tab" {
                    isNamed = binding.keys.contains("Shift-") && binding.keys.contains(name.dropFirst(6))
                } else {
                    isNamed = binding.keys.split(separator: " ").contains { word in
                        word == name || word.split(separator: "/").contains { $0 == name }
                            || (name.count == 1 && word.hasPrefix(name))
                    }
                }
                #expect(isNamed, "\(name) is bound in '\(binding.keys)' but not named there")
            }
        }
    }

    @Test func everyBindingFitsTwoHelpColumnsOnAHundredColumns() {
        for binding in Keymap.bindings {
            #expect(
                binding.keys.count <= Keymap.keysWidth, "'\(binding.keys)' is longer than \(Keymap.keysWidth)"
            )
            #expect(
                binding.help.count <= Keymap.helpWidth, "'\(binding.help)' is longer than \(Keymap.helpWidth)"
            )
        }
    }

    @Test func noKeyMeansTwoThingsInOneContext() {
        var seen: [String: String] = [:]
        for binding in Keymap.bindings {
            let contexts: [String]
            if case .focused(let panes) = binding.context {
                contexts = panes.map { "focused \($0)" }
            } else {
                contexts = ["\(binding.context)"]
            }
            for key in binding.commands.keys {
                for context in contexts {
                    let slot = "\(context) \(Keymap.name(of: key))"
                    #expect(
                        seen[slot] == nil, "\(slot) is bound by '\(seen[slot] ?? "")' and '\(binding.keys)'")
                    seen[slot] = binding.keys
                }
            }
        }
    }

    /// Every binding, pressed where it applies, runs its command: none falls through to
    /// "does nothing here".
    @Test func everyBindingActsWhereItApplies() throws {
        for binding in Keymap.bindings {
            for (key, command) in binding.commands {
                var inspector = try PureInspector(step: 500, totalSteps: 1000)
                switch binding.context {
                case .anyPane: break
                case .focused(let panes): inspector.state.focus = try #require(panes.first)
                case .live:
                    var report = LiveReport(headStep: 1000)
                    report.pacing = .fastest
                    inspector.state.live = InspectorState.Live(report: report)
                case .prompt: inspector.type("g12")
                case .overlay: inspector.type("?")
                }
                inspector.press(key)
                let message = inspector.state.message ?? ""
                #expect(
                    !message.contains("does nothing here"), "\(Keymap.name(of: key)) → \(command): \(message)"
                )
                #expect(
                    Keymap.command(
                        for: key, focus: inspector.state.focus, isLive: binding.context == .live,
                        isInPrompt: binding.context == .prompt, isInOverlay: binding.context == .overlay)
                        != nil)
            }
        }
    }

    @Test func aFocusedPanesBindingWinsOverAnyPanes() {
        #expect(Keymap.command(for: .character("W"), focus: .memory, isLive: false) == .lastWrite)
        #expect(Keymap.command(for: .character("W"), focus: .registers, isLive: false) == .lastRegisterChange)
        #expect(Keymap.command(for: .left, focus: .memory, isLive: false) == .memoryCursorBack)
        #expect(Keymap.command(for: .left, focus: .code, isLive: false) == .stepBack)
        #expect(Keymap.command(for: .character("j"), focus: .registers, isLive: false) == .rowDown)
    }

    @Test func fIsOnlyEverTheRegisterFollowAndEndOrCapitalFFollowTheLiveHead() {
        for focus in InspectorState.Pane.allCases {
            for isLive in [false, true] {
                #expect(Keymap.command(for: .character("f"), focus: focus, isLive: isLive) == .followRegister)
            }
            #expect(Keymap.command(for: .end, focus: focus, isLive: true) == .followLiveHead)
            #expect(Keymap.command(for: .character("F"), focus: focus, isLive: true) == .followLiveHead)
            #expect(Keymap.command(for: .end, focus: focus, isLive: false) == .jumpToEnd)
        }
    }

    /// On a large screen the help shows, for every pane and mode, every binding that applies
    /// there, keys and text in full.
    @Test(arguments: InspectorState.Pane.allCases)
    func theHelpListsEveryBindingThatAppliesInFull(focus: InspectorState.Pane) throws {
        for isLive in [false, true] {
            var state = InspectorState(step: 10, totalSteps: 100, memoryAddress: 0x8000_1000)
            state.focus = focus
            if isLive { state.live = InspectorState.Live(report: LiveReport(headStep: 100)) }
            let text = Renderer.helpOverlay(state, width: 160, height: 60).text
            for binding in Keymap.helpBindings(isLive: isLive, focus: focus) {
                #expect(
                    text.contains(binding.keys) && text.contains(binding.help),
                    "\(focus), live \(isLive): \(binding.keys) \(binding.help)")
            }
        }
    }

    /// Every binding applies somewhere the help shows it.
    @Test func everyBindingIsInSomeHelp() {
        let shown = InspectorState.Pane.allCases.flatMap { focus in
            [false, true].flatMap { Keymap.helpBindings(isLive: $0, focus: focus) }
        }
        for binding in Keymap.bindings {
            #expect(
                shown.contains { $0.keys == binding.keys && $0.help == binding.help },
                "\(binding.keys) is in no help")
        }
    }

    /// At the minimum size every key of the help can be reached: ↓ scrolls what does not fit.
    @Test func theHelpAtTheMinimumSizeScrollsToEveryKey() throws {
        for isLive in [false, true] {
            var inspector = try PureInspector(step: 10, totalSteps: 100)
            if isLive { inspector.state.live = InspectorState.Live(report: LiveReport(headStep: 100)) }
            inspector.type("?")
            var seen = ""
            for _ in 0..<30 {
                seen += Renderer.helpOverlay(inspector.state, width: 80, height: 24).text
                inspector.press(.down)
            }
            #expect(inspector.state.isShowingHelp, "↓ scrolls the help instead of closing it")
            for (keys, _) in Renderer.helpLines(isLive: isLive, focus: .code) {
                #expect(seen.contains(keys), "live \(isLive): \(keys)")
            }
        }
    }

}

/// Where the package's files are.
enum TimescopePackageRoot {
    static var readme: URL { TimescopeProcess.packageRoot.appendingPathComponent("README.md") }
}
