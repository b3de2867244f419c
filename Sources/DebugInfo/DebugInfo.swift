@preconcurrency import CDwarf
import Foundation
import Machine

/// Why a firmware's debug information cannot be used: "no debug info: REASON". Everything
/// else keeps working without it.
public enum DebugInfoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The ELF has no DWARF sections.
    case absent
    /// libdw could not read it (a broken or hostile `.debug_*` section).
    case damaged(String)

    /// The one line a person sees.
    public var description: String {
        switch self {
        case .absent: "no debug info: the ELF has no DWARF sections"
        case .damaged(let reason): "no debug info: \(reason)"
        }
    }
}

/// The DWARF of one firmware ELF, read with elfutils' libdw (a well-kept library: DWARF 2–5
/// as GCC emits it). It knows nothing of recordings or terminals: give it the ELF's bytes.
///
/// Everything read from the ELF is untrusted; libdw checks the encoding, and sizes are
/// bounded here before use.
public final class DebugInfo: @unchecked Sendable {
    /// The line tables.
    public let lines: SourceLines
    /// The size of the ELF's `.debug_*` sections in bytes.
    public let dwarfByteCount: Int

    /// Keeps the ELF image alive for as long as libdw refers to it.
    private let image: UnsafeMutableRawPointer
    let elf: OpaquePointer
    /// The ELF's symbols, naming code the DWARF does not describe (assembly).
    let symbols: SymbolTable
    let dwarf: OpaquePointer
    /// What has been read from the DWARF so far; every public entry point holds `lock`.
    let caches = Caches()
    /// libdw and the caches are used by one caller at a time.
    let lock = NSRecursiveLock()

    /// What has been read once and is kept.
    final class Caches {
        /// Types by the offset of their entry.
        var types: [UInt64: DebugType] = [:]
        /// The call-frame information (`.debug_frame`, else `.eh_frame`), read on first use.
        var callFrames: OpaquePointer??
        /// Whether a function (by offset) returns with mret.
        var trapHandlers: [UInt64: Bool] = [:]
        /// Scope paths by pc.
        var scopePaths: [UInt32: [Dwarf_Die]] = [:]
        /// Whether a unit (by offset) has location lists.
        var unitsWithLocationLists: [UInt64: Bool] = [:]
        /// Every function's code ranges, sorted.
        var functionIndex: [(range: Range<UInt32>, offset: UInt64)]?
        /// Globals and file statics by name, read on first use.
        var globals: [String: [GlobalVariable]]?
        /// Named types by name (`struct sensor`, `uint32_t`), read on first use.
        var namedTypes: [String: [UInt64]]?
    }

    /// Reads the DWARF of `elf` (the whole file's bytes).
    public init(elf bytes: [UInt8], symbols: SymbolTable = SymbolTable()) throws(DebugInfoError) {
        self.symbols = symbols
        guard !bytes.isEmpty else { throw .damaged("the ELF is empty") }
        _ = elf_version(UInt32(EV_CURRENT))
        let image = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 16)
        bytes.withUnsafeBytes { source in
            if let base = source.baseAddress { image.copyMemory(from: base, byteCount: source.count) }
        }
        self.image = image
        guard let elf = elf_memory(image.assumingMemoryBound(to: CChar.self), bytes.count) else {
            image.deallocate()
            throw .damaged("libelf cannot read the ELF")
        }
        self.elf = elf
        var total = 0
        var sectionNames = 0
        if elf_getshdrstrndx(elf, &sectionNames) == 0 {
            var section = elf_nextscn(elf, nil)
            var count = 0
            while let current = section, count < 100_000 {
                var header = GElf_Shdr()
                if gelf_getshdr(current, &header) != nil,
                    let name = elf_strptr(elf, sectionNames, Int(header.sh_name)),
                    String(cString: name).hasPrefix(".debug_")
                {
                    total += Int(min(header.sh_size, 1 << 40))
                }
                section = elf_nextscn(elf, current)
                count += 1
            }
        }
        dwarfByteCount = total
        guard let dwarf = dwarf_begin_elf(elf, DWARF_C_READ, nil) else {
            let error = dwarf_errno()
            elf_end(elf)
            image.deallocate()
            if error == 0 || String(cString: dwarf_errmsg(error)).contains("no DWARF") { throw .absent }
            throw .damaged(String(cString: dwarf_errmsg(error)))
        }
        self.dwarf = dwarf
        do {
            lines = try SourceLines(dwarf: dwarf)
        } catch {
            dwarf_end(dwarf)
            elf_end(elf)
            image.deallocate()
            throw error
        }
    }

    /// Reads the DWARF of `firmware`.
    public convenience init(firmware: Firmware) throws(DebugInfoError) {
        try self.init(elf: firmware.fileBytes, symbols: firmware.symbols)
    }

    deinit {
        dwarf_end(dwarf)
        elf_end(elf)
        image.deallocate()
    }
}
