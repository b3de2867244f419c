import Foundation
import Machine

import Foundation

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
        let visible = inner.height - 1
        if visible >= 32 {
            for index in 0..<32 {
                drawRegister(&grid, rows[index], index: index, x: inner.x, y: inner.y + index, width: inner.width, state: state, wide: true)
            }
        } else {
            // Two columns (pc … x15 | x16 … x31), scrolled to keep the selection in view.
            let columnWidth = inner.width / 2
            let first = max(0, min(state.selectedRegister % 16 - visible / 2, 16 - visible))
            for row in 0..<min(16, visible) {
                for column in 0..<2 {
                    let index = column * 16 + first + row
                    guard index < 32 else { continue }
                    drawRegister(&grid, rows[index], index: index, x: inner.x + column * columnWidth, y: inner.y + row, width: columnWidth, state: state, wide: false)
                }
            }
        }
        let selected = rows[state.selectedRegister]
        // Small negative numbers read better signed; addresses and the rest unsigned.
        let signed = Int32(bitPattern: selected.value)
        let decimal = "\(selected.name) = " + (signed < 0 && signed > -65536 ? String(signed) : String(selected.value))
        grid.put(decimal, x: inner.x, y: inner.y + inner.height - 1, style: Look.dim, maxWidth: inner.width)
    }

    private static func drawRegister(
        _ grid: inout ScreenGrid, _ row: (name: String, value: UInt32, changed: Bool), index: Int, x: Int, y: Int, width: Int,
        state: InspectorState, wide: Bool
    ) {
        let isSelected = index == state.selectedRegister && state.focus == .registers
        let name = row.name.padding(toLength: 4, withPad: " ", startingAt: 0)
        var line = wide ? (index == 0 ? "    " : String(format: "x%-2d ", index)) + "\(name) \(hex8(row.value))" : "\(name)\(hex8(row.value))"
        line += row.changed ? "*" : " "
        let style = row.changed ? Look.changed : .plain
        let shown = isSelected ? Style(foreground: style.foreground, attributes: style.attributes.union(.reverse)) : style
        grid.put(line, x: x, y: y, style: shown, maxWidth: width)
    }
}
