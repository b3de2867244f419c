/// The board a firmware runs on: its name, RAM, how the hart resets and how it treats
/// misaligned accesses. Devices are those of QEMU's `virt`.
///
/// Recordings store it as JSON. Files written before `reset` and `misalignedAccess` existed
/// lack them and decode to what that build did (`.entry`, `.trap`), so they replay exactly.
public struct BoardConfiguration: Equatable, Sendable, Codable {
    /// Board name (`virt` is the only board so far).
    public var name: String
    /// Physical address of the first RAM byte.
    public var ramBase: UInt32
    /// RAM size in bytes; a multiple of 4 KiB, at most 2 GiB minus the base's headroom.
    public var ramSize: UInt32
    /// Where the hart starts.
    public var reset: Reset = .resetROM
    /// What a misaligned load or store does.
    public var misalignedAccess: MisalignedAccess = .perform

    /// How the hart comes out of reset.
    public enum Reset: String, Sendable, Codable, CaseIterable {
        /// As QEMU's `virt`: the reset ROM at 0x1000 runs (steps 1–6) and jumps to the start of
        /// RAM with a0 = hart id, a1 = the device tree, a2 = the ROM's firmware-info block.
        case resetROM = "rom"
        /// At the ELF entry with every register 0 (recordings of earlier builds).
        case entry
    }

    /// What the hart does with a load or store whose address is not a multiple of its size.
    public enum MisalignedAccess: String, Sendable, Codable, CaseIterable {
        /// Performed, as QEMU's `virt` hart does (LR/SC and AMOs still raise
        /// address-misaligned).
        case perform
        /// Raises the address-misaligned exception (cause 4 or 6, mtval = the address), as
        /// chips without misaligned support do.
        case trap
    }

    private enum CodingKeys: String, CodingKey { case name, ramBase, ramSize, reset, misalignedAccess }

    /// Builds a board description.
    public init(
        name: String, ramBase: UInt32, ramSize: UInt32, reset: Reset = .resetROM,
        misalignedAccess: MisalignedAccess = .perform
    ) {
        self.name = name
        self.ramBase = ramBase
        self.ramSize = ramSize
        self.reset = reset
        self.misalignedAccess = misalignedAccess
    }

    /// Decodes a board; files without `reset`/`misalignedAccess` get the behaviour of the
    /// builds that wrote them (`.entry`, `.trap`).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        ramBase = try container.decode(UInt32.self, forKey: .ramBase)
        ramSize = try container.decode(UInt32.self, forKey: .ramSize)
        reset = try container.decodeIfPresent(Reset.self, forKey: .reset) ?? .entry
        misalignedAccess =
            try container.decodeIfPresent(MisalignedAccess.self, forKey: .misalignedAccess) ?? .trap
    }

    /// Default RAM: 128 MiB, as on QEMU's `virt`.
    public static let defaultRAMSize: UInt32 = 128 << 20
    /// Largest RAM the `virt` layout has room for (0x8000_0000 … 0xFFFF_FFFF).
    public static let maximumRAMSize: UInt64 = 0x8000_0000

    /// QEMU's `virt` layout with `ramSize` bytes of RAM at 0x8000_0000.
    public static func virt(ramSize: UInt32 = defaultRAMSize, misalignedAccess: MisalignedAccess = .perform)
        -> BoardConfiguration
    {
        BoardConfiguration(
            name: "virt", ramBase: 0x8000_0000, ramSize: ramSize, misalignedAccess: misalignedAccess)
    }

    /// The boards `named(_:ramSize:misalignedAccess:)` builds.
    public static let knownBoards = ["virt"]

    /// Builds a board by name, checking the RAM size.
    public static func named(
        _ name: String, ramSize: UInt64 = UInt64(defaultRAMSize),
        misalignedAccess: MisalignedAccess = .perform
    ) throws(LoadError) -> BoardConfiguration {
        guard name == "virt" else {
            throw LoadError("unknown board '\(name)'; known boards: \(knownBoards.joined(separator: ", "))")
        }
        guard ramSize >= 4096, ramSize <= maximumRAMSize - 4096, ramSize % 4096 == 0 else {
            throw LoadError("RAM size \(ramSize) must be a multiple of 4 KiB between 4 KiB and 2 GiB − 4 KiB")
        }
        return .virt(ramSize: UInt32(ramSize), misalignedAccess: misalignedAccess)
    }
}

/// A firmware or board that cannot be loaded; the message says what is wrong.
public struct LoadError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The one-line explanation shown to the user.
    public var description: String
    /// Wraps a message.
    public init(_ description: String) { self.description = description }
}

import Foundation
