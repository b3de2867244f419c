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
    /// the script's header) from reset: the six instructions of the reset ROM at 0x1000 first,
    /// then the firmware. No register is patched or excluded: both start from the same reset.
    @Test func exerciserRegistersMatchQEMUAfterEveryStep() throws {
        guard try RequiredTool.require(.crossCompiler, .make, .qemu, .gdb, .python) else { return }
        let elf = try FirmwareBuilder.elf("exerciser")
        let steps = Self.steps
        let qemu = try QEMUOracle.lockstep(elf, steps: steps, includingInitialState: true)
        // Fewer lines: the firmware ended the run on QEMU (checked against Timescope below).
        try #require(qemu.count > min(steps, 1000), "QEMU stopped after \(qemu.count - 1) of \(steps) steps")

        let machine = try Machine(firmware: Firmware.load(contentsOf: elf))
        #expect(qemu[0].pc == 0x1000, "QEMU's stepping starts in the reset ROM")
        #expect(machine.state.pc == qemu[0].pc && machine.state.x == qemu[0].x, "the same reset state")
        // After the ROM's six steps, the firmware's first instruction is next, with QEMU's
        // reset registers: a0 = hart id, a1 = the device tree, a2 = 0x1028, t0 = the start of RAM.
        #expect(qemu.count > 6 && qemu[6].pc == machine.ramBase && qemu[6].x[Register.a2.rawValue] == 0x1028)

        for (index, expected) in qemu.enumerated().dropFirst() {
            let before = machine.pc
            let reason = machine.run(until: machine.step + 1)
            try #require(
                reason == .stepLimit, "step \(index): Timescope stopped (\(reason)) but QEMU went on")
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
                Issue.record(
                    "QEMU ended the run after step \(qemu.count - 1); Timescope's next step gave \(reason)")
                return
            }
        }
    }
}
