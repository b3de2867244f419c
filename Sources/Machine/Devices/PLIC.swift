/// The platform-level interrupt controller of `virt` (SiFive PLIC, 96 sources, contexts 0 =
/// hart 0 M-mode and 1 = S-mode). Sources are level-triggered: a source is pending while its
/// line is high, as QEMU 7.2 models it; claiming clears pending and marks the source claimed
/// until the firmware completes it.
public struct PLIC: Equatable, Sendable, Codable {
    /// Number of interrupt sources, including the reserved source 0.
    public static let sourceCount = 96
    /// Number of contexts (hart 0 M-mode and S-mode).
    public static let contextCount = 2
    static let wordCount = sourceCount / 32

    /// Priority of each source (0 = never interrupts), 0…7.
    public var priority: [UInt32] = Array(repeating: 0, count: PLIC.sourceCount)
    /// Pending bits, 32 sources per word.
    public var pending: [UInt32] = Array(repeating: 0, count: PLIC.wordCount)
    /// Claimed (in service) bits.
    public var claimed: [UInt32] = Array(repeating: 0, count: PLIC.wordCount)
    /// Enable bits per context.
    public var enable: [UInt32] = Array(repeating: 0, count: PLIC.wordCount * PLIC.contextCount)
    /// Priority threshold per context.
    public var threshold: [UInt32] = Array(repeating: 0, count: PLIC.contextCount)
    /// Current level of each source's input line.
    public var level: [UInt32] = Array(repeating: 0, count: PLIC.wordCount)

    /// Creates a PLIC in its reset state.
    public init() {}

    /// Drives a source's input line.
    mutating func setLevel(source: Int, _ high: Bool) {
        let word = source / 32
        let bit = UInt32(1) << UInt32(source % 32)
        if high {
            level[word] |= bit
            pending[word] |= bit
        } else {
            level[word] &= ~bit
            pending[word] &= ~bit
        }
    }

    /// The source a claim by `context` would return, or 0.
    public func bestSource(context: Int) -> Int {
        var best = 0
        var bestPriority = threshold[context]
        for word in 0..<PLIC.wordCount {
            var candidates = pending[word] & ~claimed[word] & enable[context * PLIC.wordCount + word]
            while candidates != 0 {
                let bit = candidates.trailingZeroBitCount
                candidates &= candidates - 1
                let source = word * 32 + bit
                if source != 0 && priority[source] > bestPriority {
                    best = source
                    bestPriority = priority[source]
                }
            }
        }
        return best
    }

    /// Whether `context` has a source that a claim would return (drives MEIP for context 0).
    func hasClaimableInterrupt(context: Int) -> Bool {
        for word in 0..<PLIC.wordCount
        where pending[word] & ~claimed[word] & enable[context * PLIC.wordCount + word] != 0 {
            return bestSource(context: context) != 0
        }
        return false
    }

    mutating func read(offset: UInt32) -> UInt32 {
        switch offset {
        case 0..<0x1000:
            let source = Int(offset / 4)
            return source < PLIC.sourceCount ? priority[source] : 0
        case 0x1000..<0x1080:
            let word = Int((offset - 0x1000) / 4)
            return word < PLIC.wordCount ? pending[word] : 0
        case 0x2000..<0x1F_0000:
            let context = Int((offset - 0x2000) / 0x80)
            let word = Int((offset - 0x2000) % 0x80 / 4)
            guard context < PLIC.contextCount, word < PLIC.wordCount else { return 0 }
            return enable[context * PLIC.wordCount + word]
        case 0x20_0000..<0x60_0000:
            let context = Int((offset - 0x20_0000) / 0x1000)
            guard context < PLIC.contextCount else { return 0 }
            switch (offset - 0x20_0000) % 0x1000 {
            case 0: return threshold[context]
            case 4: return UInt32(claim(context: context))
            default: return 0
            }
        default:
            return 0
        }
    }

    mutating func write(offset: UInt32, value: UInt32) {
        switch offset {
        case 0..<0x1000:
            let source = Int(offset / 4)
            if source > 0 && source < PLIC.sourceCount { priority[source] = value & 7 }
        case 0x2000..<0x1F_0000:
            let context = Int((offset - 0x2000) / 0x80)
            let word = Int((offset - 0x2000) % 0x80 / 4)
            guard context < PLIC.contextCount, word < PLIC.wordCount else { return }
            enable[context * PLIC.wordCount + word] = word == 0 ? value & ~1 : value
        case 0x20_0000..<0x60_0000:
            let context = Int((offset - 0x20_0000) / 0x1000)
            guard context < PLIC.contextCount else { return }
            switch (offset - 0x20_0000) % 0x1000 {
            case 0: threshold[context] = value & 7
            case 4: complete(source: Int(value))
            default: break
            }
        default:
            break  // pending bits are read-only
        }
    }

    private mutating func claim(context: Int) -> Int {
        let source = bestSource(context: context)
        if source != 0 {
            pending[source / 32] &= ~(UInt32(1) << UInt32(source % 32))
            claimed[source / 32] |= UInt32(1) << UInt32(source % 32)
        }
        return source
    }

    private mutating func complete(source: Int) {
        guard source > 0 && source < PLIC.sourceCount else { return }
        let bit = UInt32(1) << UInt32(source % 32)
        claimed[source / 32] &= ~bit
        // A level-triggered source whose line is still high is pending again.
        if level[source / 32] & bit != 0 { pending[source / 32] |= bit }
    }
}
