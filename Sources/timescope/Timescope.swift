import ArgumentParser
import Foundation
import Machine
import Recording

/// The `timescope` command: parses the command line and hands over to a subcommand.
///
/// Exit statuses follow the run contract: usage and load errors are 2 (not ArgumentParser's
/// default 64), so scripts can tell them from a firmware's own exit codes.
@main
struct Timescope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timescope",
        abstract: "A time-travel inspector for RISC-V (RV32IMAC) firmware.",
        discussion: """
            Run firmware built for QEMU's riscv32 `virt` board, record it, travel in it:
              timescope run firmware.elf
              timescope record firmware.elf -o run.tsr
              timescope watch firmware.elf -o session.tsr
              timescope info run.tsr
              timescope state run.tsr --at end --json
              timescope find run.tsr --last-write counter --before end
            """,
        subcommands: [ViewCommand.self, WatchCommand.self, RunCommand.self, RecordCommand.self, InfoCommand.self, StateCommand.self, FindCommand.self, VerifyCommand.self]
    )

    /// `timescope` alone: how to start.
    func run() throws {
        print("""
            Timescope: a time-travel inspector for RISC-V (RV32IMAC) firmware on QEMU's virt board.

            Try the bundled post-mortem demo (a sensor hub that crashes 5.5 million steps in):
              timescope view Recordings/crash.tsr          scrub back from the crash (? lists the keys)

            Your own firmware (an ELF for qemu-system-riscv32 -M virt -bios none):
              timescope run fw.elf                          run it: console on stdout, exit status = firmware's
              timescope record fw.elf -o run.tsr            run and record every step
              timescope view run.tsr                        inspect the recording
              timescope watch fw.elf -o session.tsr         run it live in the inspector, recording as it goes
              timescope find run.tsr --last-write counter --before end

            `timescope help <command>` explains each command.
            """)
    }

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch let error as LoadError {
            FileHandle.standardError.write(Data("timescope: error: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch let error as RecordingError {
            FileHandle.standardError.write(Data("timescope: error: \(error.description)\n".utf8))
            Foundation.exit(2)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
