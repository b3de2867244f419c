import Machine

extension Renderer {
    /// UART, CLINT, PLIC and the trap CSRs, decoded. Each line is a few fields (`mepc
    /// 31726574`) that stay whole: in a narrow pane the fields that do not fit go on to an
    /// indented line of their own, so a value is never cut.
    static func drawDevices(
        _ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box
    ) {
        guard box.width > 0 else { return }
        let inner = frame(&grid, box, title: "Devices", isFocused: state.focus == .devices)
        guard inner.height > 0 else { return }
        var lines: [DeviceLine] = []
        let machine = view.state
        let csr = machine.csr
        let mie = csr.mstatus & (1 << 3) != 0
        let mpie = csr.mstatus & (1 << 7) != 0
        // The last trap first: after a crash it is what a person looks for.
        if csr.mcause == 0 && csr.mepc == 0 {
            lines.append(DeviceLine(["mcause 00000000", "(no trap yet)"], style: Look.dim))
        } else {
            lines.append(
                DeviceLine(
                    ["mcause \(hex8(csr.mcause))", TrapCause.name(of: csr.mcause)], style: Look.changed))
        }
        lines.append(["mepc \(hex8(csr.mepc))", "mtval \(hex8(csr.mtval))"])
        lines.append(["mstatus \(hex8(csr.mstatus))", "MIE \(mie ? 1 : 0) MPIE \(mpie ? 1 : 0)"])
        let mode = csr.mtvec & 1 == 1 ? "vectored" : "direct"
        lines.append([
            "mie \(interruptBits(csr.mie))", "mip \(interruptBits(csr.mip))",
            "mtvec \(hex8(csr.mtvec)) \(mode)",
        ])
        let uart = machine.uart
        let fifo = uart.receiveFIFO.map { byte in
            (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + hexDigits(byte, width: 2)
        }.joined()
        lines.append([
            "UART ier \(hexDigits(uart.ier, width: 2))", "iir \(hexDigits(uart.iir, width: 2))",
            "lsr \(hexDigits(uart.lsr, width: 2))", "lcr \(hexDigits(uart.lcr, width: 2))",
            "fcr \(hexDigits(uart.fcr, width: 2))",
        ])
        lines.append(
            DeviceLine(
                [
                    "rx fifo \(uart.receiveFIFO.count)/\(uart.fcr & 1 != 0 ? 16 : 1) \"\(fifo)\"",
                    "irq \(uart.interruptLine ? "pending" : "idle")",
                ],
                style: uart.interruptLine ? Look.changed : .plain, indent: 2))
        let mtime = machine.mtime
        let toFire: String
        if mtime >= machine.clint.mtimecmp {
            toFire = "fired"
        } else if machine.clint.mtimecmp - mtime > 1 << 40 {
            toFire = "off"
        } else {
            toFire = "in \(machine.clint.mtimecmp - mtime) ticks"
        }
        lines.append(["CLINT mtime \(mtime)", "msip \(machine.clint.msip)"])
        lines.append(
            DeviceLine(
                [
                    "mtimecmp \(machine.clint.mtimecmp == .max ? "max" : String(machine.clint.mtimecmp))",
                    toFire,
                ], indent: 2))
        let plic = machine.plic
        lines.append(["PLIC threshold \(plic.threshold[0])", "claimable \(plic.bestSource(context: 0))"])
        for source in 1..<PLIC.sourceCount {
            let word = source / 32
            let bit = UInt32(1) << UInt32(source % 32)
            let enabled = plic.enable[word] & bit != 0
            let pending = plic.pending[word] & bit != 0
            let claimed = plic.claimed[word] & bit != 0
            guard plic.priority[source] != 0 || enabled || pending || claimed else { continue }
            var fields = [
                "source \(source)\(source == 10 ? " (uart)" : ""):", "prio \(plic.priority[source])",
            ]
            if enabled { fields.append("enabled") }
            if pending { fields.append("pending") }
            if claimed { fields.append("claimed") }
            lines.append(DeviceLine(fields, style: pending ? Look.changed : .plain, indent: 2))
        }
        // One column stays blank before the border, so a value never touches it.
        let rows = lines.flatMap { $0.rows(width: inner.width - 1) }
        for (row, text) in rows.prefix(inner.height).enumerated() {
            grid.put(text.text, x: inner.x, y: inner.y + row, style: text.style, maxWidth: inner.width - 1)
        }
        if rows.count > inner.height {
            borderNote(&grid, box, "\(rows.count - inner.height) more ↓", onTop: false)
        }
    }

    /// One line of the devices pane: fields kept whole, two spaces apart.
    struct DeviceLine: ExpressibleByArrayLiteral {
        var fields: [String]
        var style = Style.plain
        /// Spaces before the first field.
        var indent = 0

        init(_ fields: [String], style: Style = .plain, indent: Int = 0) {
            self.fields = fields
            self.style = style
            self.indent = indent
        }

        init(arrayLiteral fields: String...) {
            self.init(fields)
        }

        /// The line as rows of at most `width` columns: fields that do not fit go on to a row
        /// indented two more spaces.
        func rows(width: Int) -> [(text: String, style: Style)] {
            var rows: [String] = []
            var row = String(repeating: " ", count: indent)
            var isEmpty = true
            for field in fields {
                if !isEmpty && row.unicodeScalars.count + 2 + field.unicodeScalars.count > width {
                    rows.append(row)
                    row = String(repeating: " ", count: indent + 2)
                    isEmpty = true
                }
                row += (isEmpty ? "" : "  ") + field
                isEmpty = false
            }
            rows.append(row)
            return rows.map { ($0, style) }
        }
    }

    /// The machine interrupt bits that are set ("MEI MTI"), or "none".
    static func interruptBits(_ value: UInt32) -> String {
        let set = [(11, "MEI"), (7, "MTI"), (3, "MSI")].filter { value & (1 << $0.0) != 0 }.map(\.1)
        return set.isEmpty ? "none" : set.joined(separator: " ")
    }
}
