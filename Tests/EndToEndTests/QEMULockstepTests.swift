import Foundation
import Machine
import Testing
import TestSupport

/// Instruction-by-instruction comparison with QEMU: after every step, pc and x1…x31 are equal.
///
/// QEMU's side comes from `scripts/qemu-lockstep.sh` (its gdbstub, one `s` packet per step:
/// one retired instruction or one exception entry, the same unit as Timescope's step). The
/// Timescope side uses the `Machine` library directly, one `run(until: step + 1)` at a time: a
/// process per step would be far too slow.
@Suite struct QEMULockstepTests {
    /// How many steps to compare at most. The default covers the whole exerciser (about
    /// 62,000 steps, some 20 s, mostly gdb); `TIMESCOPE_LOCKSTEP_STEPS=300` gives a quick run.
    static var steps: Int {
        ProcessInfo.processInfo.environment["TIMESCOPE_LOCKSTEP_STEPS"].flatMap(Int.init) ?? 100_000
    }

    /// The exerciser (no interrupts, no WFI: QEMU masks interrupts while single-stepping, see
    /// the script's header) from its entry point.
    @Test func exerciserRegistersMatchQEMUAfterEveryStep() throws {
        guard try RequiredTool.require(.crossCompiler, .make, .qemu, .gdb, .python) else { return }
        let elf = try FirmwareBuilder.elf("exerciser")
        let steps = Self.steps
        let qemu = try QEMUOracle.lockstep(elf, steps: steps, includingInitialState: true)
        // Fewer lines: the firmware ended the run on QEMU (checked against Timescope below).
        try #require(qemu.count > min(steps, 1000), "QEMU stopped after \(qemu.count - 1) of \(steps) steps")

        let machine = try Machine(firmware: Firmware.load(contentsOf: elf))
        let entry = machine.firmware.entry

        // Reset differences. QEMU does not start at the entry point: its reset ROM at 0x1000
        // (auipc t0; addi a2,t0,40; csrr a0,mhartid; lw a1,32(t0); lw t0,24(t0); jr t0) runs
        // first and arrives at the entry with a0 = mhartid (0), a1 = the device-tree address
        // (0x87e00000 with 128 MiB), a2 = 0x1028 (the ROM's fw_dynamic_info) and t0 = the
        // entry. Timescope has no ROM and starts at the entry with every register 0. The
        // script's "--with-initial" line is QEMU's state at the entry: check that these four
        // are the only differences, then give Timescope the same four values, so that every
        // register is compared from the first step on (none is excluded).
        let romRegisters: Set<Int> = [Register.t0.rawValue, Register.a0.rawValue, Register.a1.rawValue, Register.a2.rawValue]
        let initial = qemu[0]
        #expect(initial.pc == entry, "QEMU's stepping starts at the ELF entry")
        #expect(initial.x[Register.t0.rawValue] == entry)
        #expect(initial.x[Register.a2.rawValue] == 0x1028)
        for index in 1..<32 where !romRegisters.contains(index) {
            #expect(initial.x[index] == 0, "x\(index) is \(hex(initial.x[index])) at QEMU's entry")
        }
        var reset = machine.state
        #expect(reset.pc == entry && reset.x.allSatisfy { $0 == 0 }, "Timescope resets to the entry with x = 0")
        for index in romRegisters { reset.x[index] = initial.x[index] }
        machine.restore(reset)

        for (index, expected) in qemu.enumerated().dropFirst() {
            let before = machine.pc
            let reason = machine.run(until: machine.step + 1)
            try #require(reason == .stepLimit, "step \(index): Timescope stopped (\(reason)) but QEMU went on")
            let state = machine.state
            guard state.pc == expected.pc && state.x == expected.x else {
                let registers = (0..<32).filter { state.x[$0] != expected.x[$0] }
                    .map { "x\($0) \(hex(state.x[$0])) vs QEMU \(hex(expected.x[$0]))" }
                let symbol = machine.firmware.symbols.describe(before) ?? "?"
                Issue.record(
                    """
                    step \(index) (the instruction at \(hex(before)), \(symbol)) differs from QEMU: \
                    pc \(hex(state.pc)) vs QEMU \(hex(expected.pc)); \(registers.joined(separator: ", "))
                    """)
                return
            }
        }
        if qemu.count < steps + 1 {
            // QEMU's gdbstub reports the step that ends the run (the finisher store) as an exit,
            // with no state line: Timescope must end the run at the very next step too.
            let reason = machine.run(until: machine.step + 1)
            guard case .exited = reason else {
                Issue.record("QEMU ended the run after step \(qemu.count - 1); Timescope's next step gave \(reason)")
                return
            }
        }
    }
}
