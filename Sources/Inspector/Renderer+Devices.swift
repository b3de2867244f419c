import Machine

extension Renderer {
    /// UART, CLINT, PLIC and the trap CSRs, decoded.
    static func drawDevices(_ grid: inout ScreenGrid, _ state: InspectorState, _ view: MachineView, _ box: Layout.Box) {
        guard box.width > 0 else { return }
        let inner = frame(&grid, box, title: "Devices", isFocused: state.focus == .devices)
        guard inner.height > 0 else { return }
        var lines: [(String, Style)] = []
        let machine = view.state
        let csr = machine.csr
        let mie = csr.mstatus & (1 << 3) != 0
        let mpie = csr.mstatus & (1 << 7) != 0
        lines.append(("mstatus \(hex8(csr.mstatus))  MIE \(mie ? 1 : 0) MPIE \(mpie ? 1 : 0)", .plain))
        lines.append(("mie \(interruptBits(csr.mie))   mip \(interruptBits(csr.mip))", .plain))
        let mode = csr.mtvec & 1 == 1 ? "vectored" : "direct"
        lines.append(("mtvec \(hex8(csr.mtvec)) \(mode)   mepc \(hex8(csr.mepc))", .plain))
        if csr.mcause == 0 && csr.mepc == 0 {
            lines.append(("mcause 00000000 (no trap yet)", Look.dim))
        } else {
            lines.append(("mcause \(hex8(csr.mcause)) \(TrapCause.name(of: csr.mcause))", Look.changed))
        }
        lines.append(("mtval \(hex8(csr.mtval))", .plain))
        let uart = machine.uart
        let fifo = uart.receiveFIFO.map { byte in (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16) }.joined()
        lines.append(("UART ier \(hex2(uart.ier)) iir \(hex2(uart.iir)) lsr \(hex2(uart.lsr)) lcr \(hex2(uart.lcr)) fcr \(hex2(uart.fcr))", .plain))
        lines.append(("  rx fifo \(uart.receiveFIFO.count)/\(uart.fcr & 1 != 0 ? 16 : 1) \"\(fifo)\"  irq \(uart.interruptLine ? "pending" : "idle")", uart.interruptLine ? Look.changed : .plain))
        let mtime = machine.mtime
        let toFire: String
        if mtime >= machine.clint.mtimecmp {
            toFire = "fired"
        } else if machine.clint.mtimecmp - mtime > 1 << 40 {
            toFire = "off"
        } else {
            toFire = "in \(machine.clint.mtimecmp - mtime) ticks"
        }
        lines.append(("CLINT mtime \(mtime)  msip \(machine.clint.msip)", .plain))
        lines.append(("  mtimecmp \(machine.clint.mtimecmp == .max ? "max" : String(machine.clint.mtimecmp))  \(toFire)", .plain))
        let plic = machine.plic
        lines.append(("PLIC threshold \(plic.threshold[0])  claimable \(plic.bestSource(context: 0))", .plain))
        for source in 1..<PLIC.sourceCount {
            let word = source / 32
            let bit = UInt32(1) << UInt32(source % 32)
            let enabled = plic.enable[word] & bit != 0
            let pending = plic.pending[word] & bit != 0
            let claimed = plic.claimed[word] & bit != 0
            guard plic.priority[source] != 0 || enabled || pending || claimed else { continue }
            var flags = "prio \(plic.priority[source])"
            if enabled { flags += " enabled" }
            if pending { flags += " pending" }
            if claimed { flags += " claimed" }
            lines.append(("  source \(source)\(source == 10 ? " (uart)" : ""): \(flags)", pending ? Look.changed : .plain))
        }
        for (row, line) in lines.prefix(inner.height).enumerated() {
            grid.put(line.0, x: inner.x, y: inner.y + row, style: line.1, maxWidth: inner.width)
        }
    }

    static func hex2(_ value: UInt8) -> String { value < 16 ? "0" + String(value, radix: 16) : String(value, radix: 16) }

    /// "MEI MTI MSI" with the bits that are set, "-" for the others.
    static func interruptBits(_ value: UInt32) -> String {
        [(11, "MEI"), (7, "MTI"), (3, "MSI")].map { value & (1 << $0.0) != 0 ? $0.1 : "---" }.joined(separator: " ")
    }
}
