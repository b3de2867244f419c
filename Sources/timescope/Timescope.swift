import ArgumentParser
import Foundation
import Machine
import Recording

/// The `timescope` command: parses the command line and hands over to a subcommand.
///
/// Exit statuses follow the run contract: usage and load errors are 2 (not ArgumentParser's
/// default 64), so scripts can tell them from a firmware's own exit codes. Every error is one
/// line on stderr starting `timescope: error:` — ArgumentParser's own too, with the command's
/// help named at the end of the line instead of its usage block.
@main
struct Timescope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timescope",
        abstract: "A time-travel inspector for RISC-V (RV32IMAC) firmware.",
        discussion: """
            Run firmware built for QEMU's riscv32 `virt` board, record it, travel in it:
              timescope run firmware.elf
              timescope record firmware.elf -o run.tsr
              timescope watch firmware.elf
              timescope ls
              timescope view
              timescope info run.tsr
              timescope state run.tsr --at end --json
              timescope find run.tsr --last-write counter --before end
              timescope gdb run.tsr
            """,
        subcommands: [
            ViewCommand.self, WatchCommand.self, RunCommand.self, RecordCommand.self, ListCommand.self,
            InfoCommand.self, StateCommand.self,
            FindCommand.self, VerifyCommand.self, GDBCommand.self, GDBServerCommand.self,
        ]
    )

    /// `timescope` alone: how to start.
    func run() throws {
        print(
            """
            Timescope: a time-travel inspector for RISC-V (RV32IMAC) firmware on QEMU's virt board.

            Try the bundled post-mortem demo (a sensor hub that crashes 5.5 million steps in):
              timescope view Recordings/crash.tsr          scrub back from the crash (? lists the keys)

            Your own firmware (an ELF for qemu-system-riscv32 -M virt -bios none):
              timescope run fw.elf                          run it: console on stdout, exit status = firmware's
              timescope record fw.elf -o run.tsr            run and record every step
              timescope view run.tsr                        inspect the recording
              timescope watch fw.elf                        run it live in the inspector, recording as it goes
              timescope ls                                  the sessions record and watch kept without -o
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
            fail(error.description)
        } catch let error as RecordingError {
            fail(error.description)
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            fail(usageMessage(for: error))
        }
    }

    /// Writes `timescope: error: MESSAGE` on stderr and exits with status 2.
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("timescope: error: \(message)\n".utf8))
        Foundation.exit(2)
    }

    /// ArgumentParser's message for a command-line error in one line: its text without the
    /// `Help:` and `Usage:` lines (lines joined by "; "), starting lowercase like Timescope's own,
    /// and ending with where the command's help is.
    static func usageMessage(for error: Error) -> String {
        let lines = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var text = lines.filter { !$0.isEmpty && !$0.hasPrefix("Help:") && !$0.hasPrefix("Usage:") }.joined(
            separator: "; ")
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        if let first = text.first, let second = text.dropFirst().first, first.isUppercase, second.isLowercase
        {
            text = first.lowercased() + text.dropFirst()
        }
        // ArgumentParser's full message ends "See 'timescope find --help' for more information."
        if let match = fullMessage(for: error).firstMatch(of: #/See '([^']+)' for more information/#) {
            text += " (see '\(match.1)')"
        }
        return text
    }
}
