/// The mask ROM of QEMU's `virt` board at 0x1000 (`riscv_setup_rom_reset_vec` and
/// `riscv_rom_copy_firmware_info` in QEMU 7.2's hw/riscv/boot.c), where the hart starts.
///
/// ```
/// 0x1000  auipc t0, 0          0x1018  start address (the start of RAM), high word 0
/// 0x1004  addi  a2, t0, 40     0x1020  device tree address, high word 0
/// 0x1008  csrr  a0, mhartid    0x1028  fw_dynamic_info: magic "OSBI", version 2,
/// 0x100c  lw    a1, 32(t0)             next_addr (the ELF's lowest load address),
/// 0x1010  lw    t0, 24(t0)             next_mode 1, options 0, boot_hart 0
/// 0x1014  jr    t0             …       zeros up to 0xFFFF
/// ```
/// The six instructions are steps 1–6 of every run on a `.resetROM` board, so the firmware's
/// first instruction runs with a0 = 0, a1 = the device tree, a2 = 0x1028, t0 = the start of
/// RAM, and every counter six instructions on, exactly as on QEMU. Like QEMU with `-bios none`,
/// the ROM jumps to the start of RAM, not to the ELF's entry. The region reads like memory;
/// stores to it are ignored (QEMU ignores them too).
struct ResetROM {
    static let base: UInt32 = 0x1000
    static let size: UInt32 = 0xF000
    /// The first bytes of the ROM; the rest reads as zero.
    let bytes: [UInt8]

    init(startAddress: UInt32, deviceTreeAddress: UInt32, nextAddress: UInt32) {
        let words: [UInt32] = [
            0x0000_0297,  // auipc t0, 0
            0x0282_8613,  // addi  a2, t0, 40
            0xF140_2573,  // csrr  a0, mhartid
            0x0202_A583,  // lw    a1, 32(t0)
            0x0182_A283,  // lw    t0, 24(t0)
            0x0002_8067,  // jr    t0
            startAddress, 0,
            deviceTreeAddress, 0,
            0x4942_534F, 2, nextAddress, 1, 0, 0,  // fw_dynamic_info
        ]
        bytes = words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } }
    }

    /// The byte at `offset` from the ROM's base (offset < `size`).
    @inline(__always)
    func byte(at offset: UInt32) -> UInt8 {
        Int(offset) < bytes.count ? bytes[Int(offset)] : 0
    }

    /// Where QEMU puts the device tree (`riscv_compute_fdt_addr`): as high as possible below
    /// the end of RAM (capped at 3 GiB), aligned down to 2 MiB. Nil when that is below RAM or
    /// would overlap what the firmware loads (QEMU refuses to start then; Timescope starts
    /// with no device tree and a1 = 0).
    static func deviceTreeAddress(size: Int, board: BoardConfiguration, firmware: Firmware) -> UInt32? {
        let ramEnd = min(UInt64(board.ramBase) + UInt64(board.ramSize), 3 << 30)
        guard ramEnd >= UInt64(size) + UInt64(board.ramBase) else { return nil }
        let address = (ramEnd - UInt64(size)) & ~UInt64(2 << 20 - 1)
        guard address >= UInt64(board.ramBase) else { return nil }
        let end = address + UInt64(size)
        for segment in firmware.segments {
            let start = UInt64(segment.address)
            if start < end && start + UInt64(segment.memorySize) > address { return nil }
        }
        return UInt32(address)
    }
}

extension Machine {
    /// Resets the hart as the board says: through QEMU's reset ROM (device tree in RAM, pc at
    /// 0x1000), or, for recordings of earlier builds, straight at the ELF entry.
    func resetHart() {
        switch board.reset {
        case .entry:
            pc = firmware.entry
        case .resetROM:
            let blob = DeviceTree.virt(board).flattened()
            let address = ResetROM.deviceTreeAddress(size: blob.count, board: board, firmware: firmware)
            if let address {
                let offset = Int(address - ramBase)
                blob.withUnsafeBytes { source in
                    if let base = source.baseAddress {
                        (ram + offset).copyMemory(from: base, byteCount: source.count)
                    }
                }
                markTouched(offset: offset, count: blob.count)
            }
            let lowest = firmware.segments.map(\.address).min() ?? ramBase
            resetROM = ResetROM(startAddress: ramBase, deviceTreeAddress: address ?? 0, nextAddress: lowest)
            pc = ResetROM.base
        }
    }

    /// Reads `size` bytes (1, 2 or 4) of the reset ROM at `address`; nil outside it (or when
    /// this board has none).
    func readResetROM(_ address: UInt32, size: UInt32) -> UInt32? {
        guard let rom = resetROM, address >= ResetROM.base,
            UInt64(address) + UInt64(size) <= UInt64(ResetROM.base + ResetROM.size)
        else { return nil }
        var value: UInt32 = 0
        for index in 0..<size {
            value |= UInt32(rom.byte(at: address - ResetROM.base + index)) << (8 * index)
        }
        return value
    }

    /// Whether `address` lies in the reset ROM.
    func isInResetROM(_ address: UInt32) -> Bool {
        resetROM != nil && address &- ResetROM.base < ResetROM.size
    }
}
