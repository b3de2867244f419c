import Foundation
import Testing
import TestSupport

/// The end-to-end tests run `timescope` (and gdb under it) as subprocesses: one that hangs must
/// fail its test at the timeout, never hang the run.
@Suite struct SubprocessTimeoutTests {
    @Test func aProcessThatIgnoresSIGTERMIsKilledAtItsTimeout() throws {
        let start = Date()
        #expect(throws: ProcessFailure.self) {
            try runProcess("/bin/sh", ["-c", "trap '' TERM; sleep 60"], timeout: 1)
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 30, "killed at the timeout, not after the process's own minute: \(elapsed) s")
    }
}
