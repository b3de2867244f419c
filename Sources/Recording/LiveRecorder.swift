import Foundation
import Machine

/// How fast a live run goes: as fast as the emulator can, or paced against the board's
/// simulated clock (1 GHz: a billion cycles are a second) at a multiple of real time.
public enum LivePacing: Equatable, Sendable, CustomStringConvertible {
    case fastest
    /// `multiple` simulated seconds per wall-clock second (1 is real time).
    case realTime(multiple: Double)

    /// The steps of `<`/`>`: slower and faster.
    public static let ladder: [LivePacing] = [
        .realTime(multiple: 0.01), .realTime(multiple: 0.1), .realTime(multiple: 1), .realTime(multiple: 10),
        .realTime(multiple: 100), .realTime(multiple: 1000), .fastest,
    ]

    /// The pacing as a person reads it: `max speed`, `real time`, `10×`.
    public var description: String {
        switch self {
        case .fastest: "max speed"
        case .realTime(let multiple) where multiple == 1: "real time"
        case .realTime(let multiple):
            (multiple >= 1 ? String(Int(multiple)) : String(format: "%g", multiple)) + "× real time"
        }
    }

    /// The ladder position at or just above this pacing.
    var ladderIndex: Int {
        switch self {
        case .fastest: return LivePacing.ladder.count - 1
        case .realTime(let multiple):
            return LivePacing.ladder.firstIndex(where: {
                if case .realTime(let step) = $0 { step >= multiple } else { true }
            })
                ?? LivePacing.ladder.count - 1
        }
    }

    /// One step faster (`by: 1`) or slower (`by: -1`) on the ladder.
    public func stepped(by delta: Int) -> LivePacing {
        LivePacing.ladder[max(0, min(LivePacing.ladder.count - 1, ladderIndex + delta))]
    }
}

/// Records a run on its own thread while someone watches it: the firmware runs in slices
/// through a `Recorder`, typed input goes to the UART between slices (and is recorded at the
/// step it arrives), and the owner can pause, resume, change the pacing or stop. `status`
/// tells the watcher where the live head is and carries the recorder's tail, so a `Timeline`
/// on the same file can show the head before the next keyframe is committed.
///
/// A firmware that waits in WFI with nothing armed waits for input in real time on a
/// condition variable (no CPU); the byte that wakes it is an ordinary input event, so the
/// recording replays exactly. Under real-time pacing a WFI with a timer armed sleeps until the
/// wall clock reaches the timer.
public final class LiveRecorder: @unchecked Sendable {
    /// What the watcher sees of the run.
    public struct Status: Sendable, Equatable {
        /// The live head and what the file does not hold yet.
        public var tail: RecordingTail
        /// Whether the user has paused the run.
        public var isPaused: Bool
        /// The firmware sleeps in WFI until input arrives.
        public var isWaitingForInput: Bool
        /// How fast the run goes.
        public var pacing: LivePacing
        /// Steps per wall-clock second over the last half second of running.
        public var stepsPerSecond: Double
        /// CPU time the emulator thread has used (it sleeps while the firmware waits).
        public var emulatorCPUSeconds: Double
        /// Set once the run is over and the file holds its ending.
        public var ending: RecordingEnding?
        /// A write error that stopped the recording.
        public var failure: String?
    }

    /// The recorder the thread drives.
    public let recorder: Recorder
    private let maxSteps: UInt64
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var shared: Status
    private var typed: [UInt8] = []
    private var pauseRequested: Bool
    private var pacingRequested: LivePacing
    private var stopRequested = false
    private var isDone = false
    private var thread: Thread?

    /// Steps per slice at full speed (about a millisecond): bounds how long typed input, a
    /// pause or a stop waits.
    static let sliceSteps: UInt64 = 1_000_000

    /// A live recorder around `recorder`, not yet started.
    public init(
        recorder: Recorder, pacing: LivePacing = .fastest, startsPaused: Bool = false, maxSteps: UInt64? = nil
    ) {
        self.recorder = recorder
        self.maxSteps = maxSteps ?? .max
        pauseRequested = startsPaused
        pacingRequested = pacing
        shared = Status(
            tail: recorder.tail, isPaused: startsPaused, isWaitingForInput: false, pacing: pacing,
            stepsPerSecond: 0,
            emulatorCPUSeconds: 0, ending: nil, failure: nil)
    }

    /// Starts the emulator thread.
    public func start() {
        let thread = Thread { [self] in self.runLoop() }
        thread.name = "timescope-live"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// The newest status.
    public var status: Status {
        condition.lock()
        defer { condition.unlock() }
        return shared
    }

    /// Queues bytes for the UART receiver; the firmware sees them at the next slice boundary.
    public func type(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        condition.lock()
        typed += bytes
        condition.broadcast()
        condition.unlock()
    }

    /// Pauses or resumes the run (between slices).
    public func setPaused(_ paused: Bool) {
        condition.lock()
        pauseRequested = paused
        shared.isPaused = paused
        condition.broadcast()
        condition.unlock()
    }

    /// Changes how fast the run goes (between slices).
    public func setPacing(_ pacing: LivePacing) {
        condition.lock()
        pacingRequested = pacing
        shared.pacing = pacing
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the run (if it still runs), waits for the thread to write the ending, and
    /// returns it (nil when writing failed: `status.failure` says why).
    @discardableResult
    public func stop() -> RecordingEnding? {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        while thread != nil && !isDone { condition.wait() }
        let ending = shared.ending
        condition.unlock()
        return ending
    }

    // MARK: The emulator thread

    private var machine: Machine { recorder.machine }
    /// Pacing anchor: the wall time and simulated cycles from which real time is measured.
    private var anchor = (wall: 0.0, cycles: UInt64(0))
    private var rateWindow = (wall: 0.0, step: UInt64(0))
    private var lastPublish = 0.0

    private func runLoop() {
        anchor = (Self.now(), machine.cycles)
        rateWindow = (anchor.wall, machine.step)
        var pacing = pacingRequested
        var waitingForInput = false
        do {
            while true {
                condition.lock()
                if !typed.isEmpty {
                    machine.queueInput(typed)
                    typed.removeAll()
                    waitingForInput = false
                }
                if pacing != pacingRequested {
                    pacing = pacingRequested
                    anchor = (Self.now(), machine.cycles)
                }
                let stop = stopRequested
                let paused = pauseRequested
                condition.unlock()
                if stop {
                    try end(.stepLimit, interrupted: true)
                    return
                }
                if paused || waitingForInput {
                    publish(waitingForInput: waitingForInput, force: true)
                    condition.lock()
                    while pauseRequested == paused && !stopRequested && typed.isEmpty
                        && pacingRequested == pacing
                    {
                        condition.wait()
                    }
                    condition.unlock()
                    // Simulated time stood still while the firmware waited: pace from now.
                    anchor = (Self.now(), machine.cycles)
                    rateWindow = (anchor.wall, machine.step)
                    continue
                }
                var target = min(maxSteps, machine.step + Self.sliceSteps)
                machine.idleCycleLimit = .max
                if case .realTime(let multiple) = pacing {
                    let now = Self.now()
                    let allowed = anchor.cycles &+ UInt64(max(0, now - anchor.wall) * 1e9 * multiple)
                    if machine.cycles >= allowed {
                        // Ahead of the wall clock: sleep until it catches up (or a command).
                        let seconds = Double(machine.cycles - allowed) / (1e9 * multiple)
                        sleep(seconds: max(0.001, min(seconds, 0.05)), pacing: pacing)
                        continue
                    }
                    if allowed - machine.cycles > UInt64(0.25 * 1e9 * multiple) {
                        // Far behind (the emulator cannot keep up): do not burst to catch up later.
                        anchor = (now, machine.cycles)
                    }
                    target = min(target, machine.step + max(1, allowed - machine.cycles))
                    machine.idleCycleLimit = allowed
                }
                let reason = try recorder.record(until: target)
                switch reason {
                case .stepLimit, .breakpoint, .watchpoint:
                    if machine.step >= maxSteps {
                        try end(.stepLimit, interrupted: false)
                        return
                    }
                    publish(waitingForInput: false, force: false)
                case .waitingForTimer:
                    publish(waitingForInput: false, force: false)
                    guard case .realTime(let multiple) = pacing else { continue }
                    let wake =
                        anchor.wall + Double(machine.timerDeadlineCycles &- anchor.cycles) / (1e9 * multiple)
                    sleep(seconds: min(max(0.001, wake - Self.now()), 0.05), pacing: pacing)
                case .waitingForInput:
                    waitingForInput = true
                case .exited, .crashed, .resetRequested:
                    try end(reason, interrupted: false)
                    return
                }
            }
        } catch {
            condition.lock()
            shared.failure = "the recording stopped: \(error.description)"
            isDone = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Sleeps up to `seconds`, waking early for a command.
    private func sleep(seconds: Double, pacing: LivePacing) {
        condition.lock()
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !stopRequested && typed.isEmpty && !pauseRequested && pacingRequested == pacing {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }

    private func end(_ reason: StopReason, interrupted: Bool) throws(RecordingError) {
        let ending = try recorder.finish(reason, interrupted: interrupted)
        let cpu = Self.threadCPUSeconds()
        condition.lock()
        shared.tail = recorder.tail
        shared.emulatorCPUSeconds = cpu
        shared.ending = ending
        shared.isWaitingForInput = false
        isDone = true
        condition.broadcast()
        condition.unlock()
    }

    /// Shares the head with the watcher: at most every 10 ms while running (copying the tail
    /// costs), at once when the run waits.
    private func publish(waitingForInput: Bool, force: Bool) {
        let now = Self.now()
        guard force || now - lastPublish >= 0.01 else { return }
        lastPublish = now
        if now - rateWindow.wall >= 0.5 {
            let rate = Double(machine.step - rateWindow.step) / (now - rateWindow.wall)
            rateWindow = (now, machine.step)
            condition.lock()
            shared.stepsPerSecond = rate
            condition.unlock()
        }
        let tail = recorder.tail
        let cpu = Self.threadCPUSeconds()
        condition.lock()
        shared.tail = tail
        shared.emulatorCPUSeconds = cpu
        shared.isWaitingForInput = waitingForInput
        if waitingForInput { shared.stepsPerSecond = 0 }
        condition.unlock()
    }

    static func threadCPUSeconds() -> Double { seconds(on: CLOCK_THREAD_CPUTIME_ID) }

    static func now() -> Double { seconds(on: CLOCK_MONOTONIC) }

    private static func seconds(on clock: clockid_t) -> Double {
        var time = timespec()
        clock_gettime(clock, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
