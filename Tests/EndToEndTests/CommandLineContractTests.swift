import Foundation
import Machine
import Testing
import TestSupport

/// The command line's contracts beyond `run`: every error is one line with one prefix (the
/// argument parser's too), WHEN and ADDR take the forms the README lists (addresses as the
/// screen prints them, registers read at the step asked about), and `state` speaks text unless
/// asked for JSON. Everything runs the built binary on the bundled crash demo.
@Suite struct CommandLineContractTests {
    static let crash = TimescopeProcess.packageRoot.appendingPathComponent("Recordings/crash.tsr").path

    /// The demo's last step (`info --json`'s totalSteps).
    static func totalSteps() throws -> UInt64 {
        let info = try TimescopeProcess.run(["info", crash, "--json"])
        return try #require(try ParsedJSON.parse(info.stdoutText)["totalSteps"]?.unsigned, "info: \(info)")
    }

    /// `state --json` at each WHEN, parsed.
    static func states(_ arguments: [String]) throws -> [ParsedJSON] {
        let result = try TimescopeProcess.run(["state", crash] + arguments + ["--json"])
        try #require(result.status == 0, "state \(arguments): \(result)")
        return try result.stdoutText.split(separator: "\n").map { try ParsedJSON.parse(String($0)) }
    }

    // MARK: Errors

    /// Usage errors (the parser's own and Timescope's), requests the recording cannot answer
    /// and files that cannot be read: status 2, nothing on stdout, one line `timescope: error:`.
    @Test(arguments: [
        ["state", "REC", "--at", "soon"], ["state", "REC"],
        ["state", "REC", "--at", "end", "--memory", "nowhere:4"],
        ["state", "REC", "--at", "end", "--memory", "sp:0"], ["state", "REC", "--at", "+5"],
        ["find", "REC", "--event", "bogus", "--before", "end"], ["find", "REC", "--frobnicate"],
        ["find", "REC", "--pc", "main", "--before", "-5"],
        ["find", "REC", "--pc", "sp:4", "--before", "end"],
        ["run"], ["nosuchcommand"], ["view", "/"], ["info", "/nonexistent/crash.tsr"],
        ["view", "REC", "--at", "end+1"],
        ["record", "fw.elf", "--keyframe-interval", "10"], ["run", "fw.elf", "--ram", "12X"],
        ["watch", "fw.elf", "--speed", "0x"],
    ])
    func everyErrorIsOneLineWithOnePrefix(_ arguments: [String]) throws {
        let result = try TimescopeProcess.run(arguments.map { $0 == "REC" ? Self.crash : $0 })
        #expect(result.status == 2, "\(arguments): \(result)")
        #expect(result.stdout.isEmpty, "\(arguments): \(result)")
        #expect(result.stderrLines.count == 1, "one line: \(result)")
        #expect(result.stderr.hasPrefix("timescope: error: "), "one prefix: \(result)")
        #expect(
            !result.stderr.contains("Error:") && !result.stderr.contains("Usage:"),
            "no second prefix or usage block: \(result)")
    }

    /// `--speed` takes max, realtime or a positive multiple (`10x`, `0.5X`): the command line
    /// reads it (watch then stops for want of a terminal, not for the speed).
    @Test(arguments: [
        ("max", true), ("realtime", true), ("10x", true), ("0.5X", true), ("0x", false), ("fast-ish", false),
        ("-2x", false),
    ])
    func speedIsReadByTheCommandLine(_ speed: String, _ isValid: Bool) throws {
        let result = try TimescopeProcess.run(["watch", "/nonexistent/fw.elf", "--speed=\(speed)"])
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains("--speed") != isValid, "\(speed): \(result)")
    }

    /// The parser's errors name the option and say where the command's help is.
    @Test func parserErrorsNameTheOptionAndTheHelp() throws {
        let result = try TimescopeProcess.run(["state", Self.crash, "--at", "soon"])
        #expect(
            result.stderr.hasPrefix(
                "timescope: error: the value 'soon' is invalid for '--at <when>': 'soon' is not a step"),
            "\(result)")
        #expect(result.stderr.hasSuffix("(see 'timescope state --help')\n"), "\(result)")
    }

    /// Asking for help is not an error: the help on stdout, status 0.
    @Test(arguments: [["help", "state"], ["state", "--help"], ["--help"]])
    func helpIsNotAnError(_ arguments: [String]) throws {
        let result = try TimescopeProcess.run(arguments)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutText.contains("USAGE: timescope"), "\(result)")
        #expect(result.stderr.isEmpty)
    }

    /// An unknown kind is a mistake on the command line (status 2, listing the kinds), not a
    /// search that found nothing (status 1, "not found").
    @Test func anUnknownEventKindIsAUsageErrorListingTheKinds() throws {
        let result = try TimescopeProcess.run([
            "find", Self.crash, "--event", "timer-interupt", "--before", "end",
        ])
        #expect(result.status == 2, "\(result)")
        #expect(!result.stderr.contains("not found"))
        for kind in ["console", "crash", "illegal-instruction", "timer-interrupt", "exception", "interrupt"] {
            #expect(result.stderr.contains(kind), "lists \(kind): \(result.stderr)")
        }
        let known = try TimescopeProcess.run([
            "find", Self.crash, "--event", "crash", "--before", "end", "--json",
        ])
        #expect(known.status == 0, "\(known)")
    }

    /// A directory where a recording is expected says so.
    @Test func viewOfADirectorySaysItIsADirectory() throws {
        let result = try TimescopeProcess.run([
            "view", TimescopeProcess.packageRoot.appendingPathComponent("Recordings").path,
        ])
        #expect(result.status == 2)
        #expect(result.stderr.contains("is a directory, not a recording"), "\(result)")
    }

    // MARK: WHEN

    @Test func whenCountsFromTheEndFromAPercentageAndFromThePreviousAt() throws {
        let total = try Self.totalSteps()
        let steps = try Self.states([
            "--at", "end-5", "--at", "+1", "--at=-2", "--at", "50%+10", "--at", "start+3",
        ])
        .map { $0["step"]?.unsigned }
        #expect(steps == [total - 5, total - 4, total - 6, total / 2 + 10, 3], "got \(steps)")
    }

    @Test func findBeforeEndMinusNSearchesFromThere() throws {
        let total = try Self.totalSteps()
        let atEnd = try TimescopeProcess.run([
            "find", Self.crash, "--event", "console", "--before", "end", "--json",
        ])
        let console = try #require(try ParsedJSON.parse(atEnd.stdoutText)["step"]?.unsigned, "\(atEnd)")
        let before = try TimescopeProcess.run([
            "find", Self.crash, "--event", "console", "--before", "end-\(total - console + 1)", "--json",
        ])
        #expect(before.status == 0, "\(before)")
        #expect(
            try ParsedJSON.parse(before.stdoutText)["step"]?.unsigned ?? .max < console,
            "an earlier line: \(before)")
    }

    // MARK: ADDR

    /// The screen prints `8000103c`; that, `0x8000103c` and `sensors+56` are the same bytes.
    @Test func anAddressAsPrintedIsTheSameAsWithPrefixOrBySymbol() throws {
        let forms = ["8000103c:4", "0x8000103c:4", "sensors+56:4", "sensors+0x38:4"]
        let memories = try forms.map { form in
            try Self.states(["--at", "end", "--memory", form])[0]["memory"]
        }
        #expect(memories.allSatisfy { $0 == memories[0] && $0 != nil }, "\(forms): \(memories)")
        #expect(memories[0]?[0]?["address"]?.unsigned == 0x8000_103C)
    }

    /// `--memory sp:16` reads sp in the state of each `--at`.
    @Test func aRegisterInMemoryIsReadAtEachAt() throws {
        for state in try Self.states([
            "--at", "100", "--at", "end-5", "--memory", "sp:16", "--memory", "pc:4",
        ]) {
            let sp = try #require(state["x"]?[2]?.unsigned)
            #expect(
                state["memory"]?[0]?["address"]?.unsigned == sp, "sp at step \(state["step"]?.unsigned ?? 0)")
            #expect(state["memory"]?[0]?["hex"]?.string?.count == 32, "16 bytes")
            #expect(state["memory"]?[1]?["address"]?.unsigned == state["pc"]?.unsigned)
        }
    }

    /// `find --last-write s0+8:4 --before WHEN` reads s0 at WHEN: five steps before the end s0
    /// is sensors+48, so it finds what `sensors+56:4` finds (the copy that broke the pointer).
    @Test func aRegisterInFindIsReadAtWhen() throws {
        let state = try Self.states(["--at", "end-5", "--memory", "sensors+48:4"])[0]
        try #require(
            state["x"]?[8]?.unsigned == state["memory"]?[0]?["address"]?.unsigned,
            "s0 is sensors+48 at end-5: \(state)")
        let bySymbol = try TimescopeProcess.run([
            "find", Self.crash, "--last-write", "sensors+56:4", "--before", "end-5",
        ])
        let byRegister = try TimescopeProcess.run([
            "find", Self.crash, "--last-write", "s0+8:4", "--before", "end-5",
        ])
        #expect(bySymbol.status == 0 && bySymbol.stdoutText.hasPrefix("step "), "\(bySymbol)")
        #expect(byRegister.stdoutText == bySymbol.stdoutText, "\(byRegister) vs \(bySymbol)")
    }

    // MARK: state as text

    /// Without --json, `state` prints what gdb would: pc with its symbol, registers by name,
    /// the CSRs, memory as x/Nxb.
    @Test func stateWithoutJSONIsReadableText() throws {
        let json = try Self.states(["--at", "end-5", "--memory", "sensors+56:8"])[0]
        let result = try TimescopeProcess.run([
            "state", Self.crash, "--at", "end-5", "--memory", "sensors+56:8",
        ])
        #expect(result.status == 0, "\(result)")
        let lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        let step = try #require(json["step"]?.unsigned)
        let pc = try #require(json["pc"]?.unsigned)
        #expect(lines.first == "step \(step)")
        #expect(
            lines.count > 1 && lines[1].hasPrefix("pc       \(hex32(pc)) <poll_sensors+0x"),
            "\(lines.prefix(2))")
        let registers = (json["x"]?.elements ?? []).compactMap { $0.unsigned }
        try #require(registers.count == 32, "\(json)")
        let names = [
            "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
        ]
        for (index, name) in names.enumerated() {
            let cell = name.padding(toLength: 4, withPad: " ", startingAt: 0) + " " + hex32(registers[index])
            #expect(lines.contains { $0.contains(cell) }, "\(cell) in \(result.stdoutText)")
        }
        let mcause = try #require(json["csr"]?["mcause"]?.unsigned)
        #expect(
            lines.contains { $0.hasPrefix("mip ") && $0.contains("mcause   \(hex32(mcause))") },
            "\(result.stdoutText)")
        #expect(lines.contains("x/8xb 0x8000103c (sensors+56:8)"), "\(result.stdoutText)")
        #expect(
            lines.contains("0x8000103c <sensors+0x38>:\t0x74\t0x65\t0x72\t0x31\t0x00\t0x00\t0x00\t0x00"),
            "\"ter1\": \(result.stdoutText)")
    }

    func hex32(_ value: UInt64) -> String { hex(UInt32(truncatingIfNeeded: value)) }
}
