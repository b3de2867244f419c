import Foundation
import Machine

/// Steele, Lea and Flood's SplitMix64: a small seeded generator, so that randomized tests can
/// be replayed exactly from the seed they print.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator that produces the same sequence for the same `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits (splitmix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Seeds for randomized tests.
public enum TestSeed {
    /// The environment variable that fixes every randomized test's seed (decimal or 0x hex).
    public static let variable = "TIMESCOPE_TEST_SEED"

    /// The seed for the test called `name`: `$TIMESCOPE_TEST_SEED` when set, else a fresh
    /// random one. Printed to stderr either way, with the command line that replays it.
    public static func make(_ name: String) -> UInt64 {
        let seed: UInt64
        if let text = ProcessInfo.processInfo.environment[variable], let value = parse(text) {
            seed = value
        } else {
            seed = UInt64.random(in: 1...UInt64.max)
        }
        FileHandle.standardError.write(
            Data("seed for \(name): \(describe(seed)) (replay with \(variable)=\(describe(seed)))\n".utf8))
        return seed
    }

    /// The seed as `0x` and 16 hex digits.
    public static func describe(_ seed: UInt64) -> String {
        "0x" + hexDigits(seed, width: 16)
    }

    static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.hasPrefix("0x") { return UInt64(trimmed.dropFirst(2), radix: 16) }
        return UInt64(trimmed)
    }
}
