import Machine
import Recording

/// Where a gdb stop (`GDBOracle`) is in a Timescope recording of the same firmware.
///
/// gdb stops at `break *ADDR` *before* the instruction at ADDR runs. `timescope find REC --pc
/// ADDR --after P` answers with the step R that ran it, and `state --at R-1` is the state in
/// which it is about to run (pc = ADDR). So the N-th stop at ADDR is the state R_N − 1, where
/// R_1 is what `find --pc ADDR --after 0` prints and R_k what `find --pc ADDR --after R_(k−1)`
/// prints. QEMU's reset ROM is steps 1–6 of Timescope and its first six instructions, so the
/// counts line up; an interrupt taken where pc is ADDR runs no instruction there, on either
/// side (both take it before the breakpoint: QEMU checks interrupts before breakpoints, and
/// Timescope's breakpoint is checked where its next instruction executes).
///
/// Two cases have no R, because no instruction at ADDR runs:
/// - a step that faults fetching the instruction at ADDR (an `instruction-access-fault`
///   marker with pc ADDR, the crash demo's jump to 0x31726574): gdb stops before QEMU fetches,
///   so the state before that step is a stop at ADDR too;
/// - a recording that ends in a crash ends in the state where the trap handler that can never
///   run is next (pc = mtvec); gdb stops there too (`break *mtvec`), and the recording's last
///   step is that state: when a crashed recording ends with pc at ADDR, its last step counts
///   as the last stop at ADDR.
public enum TimescopeStops {
    /// For each request, the step whose state equals gdb's stop (absent where the recording
    /// runs ADDR fewer times than the request's hit).
    public static func steps(recording: String, for requests: [GDBStopRequest]) throws -> [GDBStopRequest:
        UInt64]
    {
        let timeline = try Timeline(path: recording)
        try timeline.seek(to: timeline.totalSteps)
        // Only a crash ends with an instruction about to run that gdb can stop at; an exit's
        // last step is the store that ends QEMU too.
        let endPC: UInt32? = timeline.summary.ending.reason == .crashed ? timeline.machine.pc : nil
        // Steps that faulted fetching an instruction, by pc: gdb stops at such a pc too (QEMU
        // checks breakpoints before it fetches), Timescope's `find --pc` does not count them.
        var fetchFaults: [UInt32: [UInt64]] = [:]
        for marker in try timeline.markers(in: 0...timeline.totalSteps)
        where marker.kind == MarkerKind.trap(cause: TrapCause.instructionAccessFault) {
            fetchFaults[marker.pc, default: []].append(marker.step)
        }
        // The stops, in one forward replay with a breakpoint on every address that still has a
        // hit to find: the N-th hit of a breakpoint (`nextHit`'s state, pc about to run) is
        // the state R_N - 1 of the rule above.
        var wanted: [UInt32: Set<Int>] = [:]
        for request in requests where request.hit >= 1 {
            wanted[request.address, default: []].insert(request.hit)
        }
        var states: [UInt32: [UInt64]] = [:]
        var after: UInt64 = 0
        while true {
            let open = wanted.filter { address, hits in (states[address]?.count ?? 0) < (hits.max() ?? 0) }
            guard !open.isEmpty else { break }
            let addresses = open.keys.sorted()
            guard
                let hit = try timeline.nextHit(of: addresses.map { StopRule(.execution($0)) }, after: after)
            else { break }
            states[hit.pc, default: []].append(hit.step)
            after = hit.step
        }
        var steps: [GDBStopRequest: UInt64] = [:]
        for (address, hits) in wanted {
            var found = ((states[address] ?? []) + (fetchFaults[address] ?? []).map { $0 - 1 }).sorted()
            if endPC == address { found.append(timeline.totalSteps) }
            for hit in hits where hit <= found.count {
                steps[GDBStopRequest(address: address, hit: hit)] = found[hit - 1]
            }
        }
        return steps
    }
}
