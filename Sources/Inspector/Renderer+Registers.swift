import Foundation
import Machine

extension Renderer {
    /// pc and x1…x31 with ABI names; values the last step changed are bold and starred; the
    /// selected register also shows its value in decimal.
    static func drawRegisters(_ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box) {
        let inner = frame(&grid, box, title: "Registers", isFocused: state.focus == .registers)
        guard inner.height > 0 else { return }
        let rows = (0..<32).map { index -> (name: String, value: UInt32, changed: Bool) in
            if index == 0 {
                let changed = view.previousPC.map { $0 != view.state.pc } ?? false
                return ("pc", view.state.pc, changed)
            }
            let changed = view.previousRegisters.map { $0[index] != view.state.x[index] } ?? false
            return (RegisterNames.abi[index], view.state.x[index], changed)
        }
        // Keep the selection visible; the selected register gets one more line for decimal.
        let visible = inner.height - 1
        let first = max(0, min(state.selectedRegister - visible / 2, 32 - visible))
        var y = inner.y
        for index in first..<min(32, first + visible) {
            let row = rows[index]
            let isSelected = index == state.selectedRegister && state.focus == .registers
            let prefix = index == 0 ? "   " : String(format: "x%-2d", index)
            var line = "\(prefix) \(row.name.padding(toLength: 4, withPad: " ", startingAt: 0)) \(hex8(row.value))"
            line += row.changed ? " *" : "  "
            let style = row.changed ? Look.changed : .plain
            grid.put(line, x: inner.x, y: y, style: isSelected ? Style(foreground: style.foreground, attributes: style.attributes.union(.reverse)) : style, maxWidth: inner.width)
            y += 1
        }
        let selected = rows[state.selectedRegister]
        // Small negative numbers read better signed; addresses and the rest unsigned.
        let signed = Int32(bitPattern: selected.value)
        let decimal = "\(selected.name) = " + (signed < 0 && signed > -65536 ? String(signed) : String(selected.value))
        grid.put(decimal, x: inner.x, y: inner.y + inner.height - 1, style: Look.dim, maxWidth: inner.width)
    }
}
