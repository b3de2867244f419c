// swift-tools-version: 6.1
import PackageDescription

/// Release builds of the emulator core drop Swift's dynamic exclusivity checks: the hot loop
/// touches the hart's stored properties on every instruction and the checks cost ~20 %.
let hotLoopSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
]

let package = Package(
    name: "Timescope",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "timescope", targets: ["timescope"]),
        .library(name: "Machine", targets: ["Machine"]),
        .library(name: "Recording", targets: ["Recording"]),
        .library(name: "GDBServer", targets: ["GDBServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .target(name: "Machine", swiftSettings: hotLoopSettings),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(
            name: "Recording",
            dependencies: ["Machine", "CZstd", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        /// The gdb remote serial protocol over a recording (`timescope gdbserver`): it uses the
        /// timeline; the timeline does not know it.
        .target(name: "GDBServer", dependencies: ["Machine", "Recording"]),
        /// What a terminal draws and reads: the screen grid, styles, keys. No dependencies, so the
        /// terminal layer knows nothing of the inspector, recordings or the machine.
        .target(name: "Screen"),
        .target(name: "Inspector", dependencies: ["Screen", "Machine", "Recording", "DebugInfo"]),
        .systemLibrary(name: "CNCurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        .target(name: "Terminal", dependencies: ["Screen", "CNCurses"]),
        .executableTarget(
            name: "timescope",
            dependencies: [
                "Machine",
                "Recording",
                "DebugInfo",
                "Inspector",
                "Terminal",
                "GDBServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "recording-benchmark", dependencies: ["Machine", "Recording"],
            path: "Benchmarks/RecordingBenchmark"),
        .executableTarget(
            name: "gdbserver-benchmark", dependencies: ["Machine", "Recording", "GDBServer"],
            path: "Benchmarks/GDBServerBenchmark"),
        .executableTarget(
            name: "source-benchmark", dependencies: ["Machine", "Recording", "DebugInfo", "Inspector"],
            path: "Benchmarks/SourceBenchmark", exclude: ["firmware"]),
        .executableTarget(
            name: "inspector-benchmark", dependencies: ["Machine", "Recording", "Inspector"],
            path: "Benchmarks/InspectorBenchmark", exclude: ["firmware"]),
        // The recording reader's fuzz target (Fuzz/README.md): a corpus replayer in plain
        // builds, libFuzzer's target with -DLIBFUZZER -sanitize=fuzzer.
        .executableTarget(
            name: "RecordingFuzzer",
            dependencies: ["Recording", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            path: "Fuzz/RecordingFuzzer"),
        // Debug information (DWARF lines, scopes, CFI) through elfutils' libdw.
        .systemLibrary(name: "CDwarf", pkgConfig: "libdw", providers: [.apt(["libdw-dev", "libelf-dev"])]),
        .target(name: "DebugInfo", dependencies: ["Machine", "CDwarf"]),
        .target(name: "TestSupport", dependencies: ["Machine", "Recording"]),
        .testTarget(
            name: "DebugInfoTests", dependencies: ["DebugInfo", "Machine", "Recording", "TestSupport"]),
        .testTarget(name: "MachineTests", dependencies: ["Machine", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TerminalTests", dependencies: ["Terminal", "Screen", "CNCurses"]),
        .testTarget(
            name: "InspectorTests",
            dependencies: ["Inspector", "Recording", "Machine", "DebugInfo", "TestSupport"],
            exclude: ["Snapshots"]),
        .testTarget(
            name: "RecordingTests",
            dependencies: [
                "Recording", "Machine", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Machine", "TestSupport"]),
    ]
)
