import ArgumentParser
import Foundation
import Machine

/// `timescope run`: runs firmware to its end, console on stdout, exit status = firmware's.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run firmware on the emulated board.",
        discussion: """
            Console output (UART, semihosting, HTIF) goes to stdout; diagnostics to stderr. \
            Exit status: the firmware's exit code; 2 usage or load error; 3 crash; 4 --max-steps \
            reached; 5 stalled (waiting in WFI with nothing armed and no input left).
            """
    )

    @OptionGroup var machine: MachineOptions

    @Option(help: ArgumentHelp("Write the final machine state as JSON to this file.", valueName: "file"))
    var dumpState: String?

    func run() throws {
        let dump = dumpState.map { OutputFile(path: $0, option: "--dump-state") }
        try dump?.checkForStateDump(firmware: machine.firmware)
        let session = try machine.makeMachine()
        let console = ConsoleWriter()
        session.consoleSink = { console.write($0) }
        let reason = session.run(until: machine.maxSteps ?? .max)
        console.flush()
        let outcome = RunOutcome(reason, machine: session)
        if let dump {
            // Again: the run may have taken long enough for something else to appear there.
            try dump.checkForStateDump(firmware: machine.firmware)
            try dump.write(Data((session.state.json(stateHash: session.stateHash).text + "\n").utf8))
        }
        if let message = outcome.message {
            FileHandle.standardError.write(Data("timescope: \(message)\n".utf8))
        }
        throw ExitCode(outcome.exitStatus)
    }
}

/// The options every command that builds a machine shares.
struct MachineOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The firmware: an ELF32 RISC-V executable.", valueName: "firmware.elf"))
    var firmware: String

    @OptionGroup var board: BoardOptions

    var maxSteps: UInt64? { board.maxSteps }

    /// Loads the firmware, builds the board (what the options leave out comes from `base`,
    /// else the defaults) and queues the input.
    func makeMachine(base: BoardConfiguration? = nil) throws(LoadError) -> Machine {
        try board.makeMachine(firmware: firmware, base: base)
    }
}

/// The board and run options, for commands whose firmware argument is their own.
struct BoardOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp("Board to emulate (virt, the default).", valueName: "board"),
        transform: BoardName.init(parsing:))
    var board: BoardName?

    @Option(
        help: ArgumentHelp("RAM size, e.g. 128M, 64MiB, 1G (default 128M).", valueName: "size"),
        transform: RAMSize.init(parsing:))
    var ram: RAMSize?

    @Option(
        help: ArgumentHelp(
            "Misaligned loads and stores: perform them (the default, as QEMU does) or trap.",
            valueName: "perform|trap"))
    var misaligned: BoardConfiguration.MisalignedAccess?

    @Option(help: ArgumentHelp("Stop after this many steps (exit status 4).", valueName: "n"))
    var maxSteps: UInt64?

    @Option(
        help: ArgumentHelp("Bytes for the UART receiver; escapes \\n \\r \\t \\\\ \\xHH.", valueName: "text"),
        transform: UARTInput.init(parsing:))
    var input: UARTInput?

    /// Loads `firmware`, builds the board and queues the input. What the options leave out
    /// comes from `base` (the board of the recording `record --replay-input` replays), else
    /// from the defaults.
    func makeMachine(firmware: String, base: BoardConfiguration? = nil) throws(LoadError) -> Machine {
        let ramSize =
            ram?.bytes ?? base.map { UInt64($0.ramSize) } ?? UInt64(BoardConfiguration.defaultRAMSize)
        var configuration = try BoardConfiguration.named(
            board?.name ?? base?.name ?? "virt", ramSize: ramSize)
        if let access = misaligned ?? base?.misalignedAccess { configuration.misalignedAccess = access }
        if let base { configuration.reset = base.reset }
        let image = try Firmware.load(contentsOf: firmware)
        let machine: Machine
        do {
            machine = try Machine(firmware: image, board: configuration)
        } catch {
            // Every reason a board cannot be built for an image is its RAM.
            throw LoadError("\(firmware): \(error); --ram sets the RAM size")
        }
        if let input { machine.queueInput(input.bytes) }
        if configuration.reset == .resetROM && image.entry != configuration.ramBase {
            // QEMU's reset ROM jumps to the start of RAM whatever the ELF says; say so before a
            // firmware linked elsewhere crashes at its first step in RAM.
            FileHandle.standardError.write(
                Data(
                    ("timescope: warning: the ELF's entry \(hex(image.entry)) is not the start of RAM; like QEMU's virt "
                        + "with -bios none, the reset ROM jumps to \(hex(configuration.ramBase))\n").utf8))
        }
        return machine
    }
}

/// Buffers console bytes and writes them to stdout unchanged.
final class ConsoleWriter {
    private var buffer: [UInt8] = []

    func write(_ byte: UInt8) {
        buffer.append(byte)
        if buffer.count >= 4096 || byte == 0x0A { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { break }
                let written = Foundation.write(1, base + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
