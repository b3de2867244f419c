import Foundation
import Machine

/// ABI register names, so tests can say `state[.a0]` instead of `state.x[10]`.
public enum Register: Int, CaseIterable, Sendable {
    case zero, ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7
    case s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6
}

extension MachineState {
    /// The value of register `register`.
    public subscript(_ register: Register) -> UInt32 { x[register.rawValue] }
}

/// Source text shared by test programs: device addresses and a few macros. It emits no code
/// or data by itself.
public enum TestProgram {
    /// sifive_test finisher.
    public static let finisher: UInt32 = 0x0010_0000
    /// CLINT base (msip of hart 0).
    public static let clint: UInt32 = 0x0200_0000
    /// CLINT mtimecmp of hart 0 (low word; high word at +4).
    public static let mtimecmp: UInt32 = 0x0200_4000
    /// CLINT mtime (low word; high word at +4).
    public static let mtime: UInt32 = 0x0200_BFF8
    /// PLIC base.
    public static let plic: UInt32 = 0x0C00_0000
    /// UART0 (ns16550a) base.
    public static let uart: UInt32 = 0x1000_0000
    /// A hole in `virt`'s map: every access faults there.
    public static let hole: UInt32 = 0x0020_0000

    /// `.equ`s for the devices and the macros
    /// - `EXIT code` — sifive_test exit with `code` (clobbers t5, t6), then spin;
    /// - `SET_MTVEC label` — mtvec = label (clobbers t6).
    public static let prelude = """
            .equ FINISHER, 0x00100000
            .equ CLINT, 0x02000000
            .equ MSIP, 0x02000000
            .equ MTIMECMP, 0x02004000
            .equ MTIME, 0x0200BFF8
            .equ PLIC, 0x0C000000
            .equ UART, 0x10000000
            .equ HOLE, 0x00200000
            .macro EXIT code=0
            li t6, FINISHER
            .if \\code == 0
            li t5, 0x5555
            .else
            li t5, ((\\code) << 16) | 0x3333
            .endif
            sw t5, 0(t6)
        999: j 999b
            .endm
            .macro SET_MTVEC label
            la t6, \\label
            csrw mtvec, t6
            .endm

        """
}

/// Errors of the harness (a missing symbol, an unexpected stop).
public struct HarnessFailure: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}

/// Assembles `source` (with `TestProgram.prelude` in front) and builds a `virt` machine for it.
/// `compiled` sets `Machine.compilesBlocks` (the interpreter alone when false). Unless `reset`
/// says otherwise, the program starts at its entry with every register 0 (`.entry`), so that
/// step N is its N-th instruction; the reset ROM has tests of its own.
public func makeMachine(
    _ source: String, ramSize: UInt32 = 1 << 20, compiled: Bool = true,
    reset: BoardConfiguration.Reset = .entry, misaligned: BoardConfiguration.MisalignedAccess = .perform
) throws -> Machine {
    let firmware = try Assembler.firmware(TestProgram.prelude + source)
    let board = BoardConfiguration(
        name: "virt", ramBase: 0x8000_0000, ramSize: ramSize, reset: reset, misalignedAccess: misaligned)
    let machine = try Machine(firmware: firmware, board: board)
    machine.compilesBlocks = compiled
    return machine
}

/// Assembles and runs `source` until it stops or `maxSteps` steps have passed, and returns
/// the machine and why it stopped.
public func runProgram(
    _ source: String, maxSteps: UInt64 = 100_000, ramSize: UInt32 = 1 << 20, compiled: Bool = true,
    reset: BoardConfiguration.Reset = .entry, misaligned: BoardConfiguration.MisalignedAccess = .perform
) throws -> (Machine, StopReason) {
    let machine = try makeMachine(
        source, ramSize: ramSize, compiled: compiled, reset: reset, misaligned: misaligned)
    let reason = machine.run(until: maxSteps)
    return (machine, reason)
}

extension Machine {
    /// The address of symbol `name` in the loaded firmware; throws when there is none.
    public func address(of name: String) throws -> UInt32 {
        guard let address = firmware.symbols.address(of: name) else {
            throw HarnessFailure("the firmware has no symbol '\(name)'")
        }
        return address
    }

    /// `count` little-endian words of RAM at `address`.
    public func readWords(_ address: UInt32, count: Int) throws -> [UInt32] {
        guard let bytes = readRAM(address, count: count * 4) else {
            throw HarnessFailure("RAM \(hex(address)) + \(count * 4) bytes is outside RAM")
        }
        return (0..<count).map { index in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[index * 4 + $1]) << ($1 * 8) }
        }
    }

    /// One little-endian word of RAM.
    public func readWord(_ address: UInt32) throws -> UInt32 {
        try readWords(address, count: 1)[0]
    }

    /// The words at symbol `name`.
    public func readWords(at name: String, count: Int) throws -> [UInt32] {
        try readWords(address(of: name), count: count)
    }

    /// Runs one step at a time until pc equals `target` (before executing it). Returns the
    /// stop reason if the run ended first, or nil when pc reached `target`.
    @discardableResult
    public func step(untilPC target: UInt32, maxSteps: UInt64 = 100_000) throws -> StopReason? {
        let limit = step + maxSteps
        while pc != target {
            guard step < limit else {
                throw HarnessFailure(
                    "pc never reached \(hex(target)) within \(maxSteps) steps (pc \(hex(pc)))")
            }
            let reason = run(until: step + 1)
            if reason != .stepLimit { return reason }
        }
        return nil
    }

    /// Runs until pc reaches symbol `name`.
    @discardableResult
    public func step(untilSymbol name: String, maxSteps: UInt64 = 100_000) throws -> StopReason? {
        try step(untilPC: address(of: name), maxSteps: maxSteps)
    }

    /// Collects console output and trap events (call before running).
    public func recordOutput() -> OutputRecorder {
        let recorder = OutputRecorder()
        consoleSink = { recorder.console.append($0) }
        eventSink = { event in
            if case .trap(let trap) = event { recorder.traps.append(trap) }
        }
        return recorder
    }
}

/// What a machine printed and which traps it took (filled by `Machine.recordOutput()`).
public final class OutputRecorder {
    /// Every console byte, in order.
    public var console: [UInt8] = []
    /// Every trap taken, in order.
    public var traps: [Trap] = []
    /// The console output as UTF-8 text.
    public var text: String { String(decoding: console, as: UTF8.self) }
    /// An empty recorder.
    public init() {}
}

/// Encoders for instruction words, used where a test needs the exact bits the spec defines
/// (for example the mtval of an illegal instruction). Written from the spec's encoding tables.
public enum Encode {
    /// An I-type instruction word.
    public static func iType(opcode: UInt32, rd: UInt32, funct3: UInt32, rs1: UInt32, imm: Int32) -> UInt32 {
        (UInt32(bitPattern: imm) & 0xFFF) << 20 | rs1 << 15 | funct3 << 12 | rd << 7 | opcode
    }

    /// A Zicsr instruction: funct3 1 csrrw, 2 csrrs, 3 csrrc, 5/6/7 immediate forms.
    public static func csr(_ funct3: UInt32, rd: Register, csr: UInt32, rs1OrUimm: UInt32) -> UInt32 {
        csr << 20 | rs1OrUimm << 15 | funct3 << 12 | UInt32(rd.rawValue) << 7 | 0x73
    }
}

/// Assembles and runs `source`, which must end by exiting with code 0 through the sifive_test
/// finisher (`EXIT`); throws otherwise, naming how it stopped instead.
public func runToExit(
    _ source: String, maxSteps: UInt64 = 1_000_000, ramSize: UInt32 = 1 << 20, compiled: Bool = true,
    misaligned: BoardConfiguration.MisalignedAccess = .perform
) throws -> Machine {
    let (machine, reason) = try runProgram(
        source, maxSteps: maxSteps, ramSize: ramSize, compiled: compiled, misaligned: misaligned)
    guard reason == .exited(code: 0, via: .finisher) else {
        throw HarnessFailure(
            "expected the program to exit 0 through sifive_test, but it stopped with \(reason) at step "
                + "\(machine.step), pc \(hex(machine.pc)), mcause \(hex(machine.state.csr.mcause)), "
                + "mepc \(hex(machine.state.csr.mepc)), mtval \(hex(machine.state.csr.mtval))")
    }
    return machine
}
