/// A reader for ELF32 little-endian RISC-V executables (System V ABI, ELF header, program
/// headers, section headers, `.symtab`). Every offset and size read from the file is checked
/// against the file before use, so a truncated or hostile file gives an error, never a crash.
enum ELFFile {
    static let machineRISCV: UInt16 = 243

    static func parse(_ bytes: [UInt8], name: String) throws(LoadError) -> Firmware {
        let reader = ByteReader(bytes: bytes)
        guard bytes.count >= 4, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw LoadError("not an ELF file (it does not start with \\x7fELF)")
        }
        guard bytes.count >= 52 else {
            throw LoadError("truncated file: \(bytes.count) bytes, the ELF header alone needs 52")
        }
        switch bytes[4] {
        case 1: break
        case 2:
            throw LoadError(
                "64-bit ELF; Timescope runs RV32 firmware (build with -march=rv32imac -mabi=ilp32)")
        default: throw LoadError("unknown ELF class \(bytes[4])")
        }
        guard bytes[5] == 1 else { throw LoadError("big-endian ELF; RISC-V firmware is little-endian") }
        let type = try reader.u16(16)
        let machine = try reader.u16(18)
        guard machine == machineRISCV else {
            throw LoadError("wrong machine: ELF e_machine is \(machine), not RISC-V (243)")
        }
        guard type == 2 else {
            throw LoadError(
                type == 1
                    ? "a relocatable object (.o), not a linked executable"
                    : "ELF type \(type) is not an executable (ET_EXEC)")
        }
        let entry = try reader.u32(24)
        let programHeaderOffset = Int(try reader.u32(28))
        let sectionHeaderOffset = Int(try reader.u32(32))
        let programHeaderSize = Int(try reader.u16(42))
        let programHeaderCount = Int(try reader.u16(44))
        let sectionHeaderSize = Int(try reader.u16(46))
        let sectionHeaderCount = Int(try reader.u16(48))
        let sectionNameIndex = Int(try reader.u16(50))

        guard programHeaderCount > 0 else { throw LoadError("no program headers: nothing to load") }
        guard programHeaderSize >= 32 else {
            throw LoadError("program header size \(programHeaderSize) is too small")
        }
        var segments: [Firmware.Segment] = []
        for index in 0..<programHeaderCount {
            let base = programHeaderOffset + index * programHeaderSize
            guard base + 32 <= bytes.count else {
                throw LoadError("truncated file: program header \(index) lies beyond its end")
            }
            guard try reader.u32(base) == 1 else { continue }  // PT_LOAD
            let offset = Int(try reader.u32(base + 4))
            let physicalAddress = try reader.u32(base + 12)
            let fileSize = Int(try reader.u32(base + 16))
            let memorySize = try reader.u32(base + 20)
            guard fileSize <= Int(memorySize) else {
                throw LoadError(
                    "segment \(index) has a file size (\(fileSize) bytes) larger than its memory size (\(memorySize))"
                )
            }
            guard offset + fileSize <= bytes.count else {
                throw LoadError(
                    "truncated file: segment \(index) needs bytes \(offset)…\(offset + fileSize) but the file has \(bytes.count)"
                )
            }
            guard memorySize > 0 else { continue }
            segments.append(
                .init(
                    address: physicalAddress, bytes: Array(bytes[offset..<offset + fileSize]),
                    memorySize: memorySize))
        }
        guard !segments.isEmpty else { throw LoadError("no loadable (PT_LOAD) segments") }

        var sections: [Firmware.Section] = []
        var symbols = SymbolTable()
        if sectionHeaderCount > 0, sectionHeaderSize >= 40,
            sectionHeaderOffset + sectionHeaderCount * sectionHeaderSize <= bytes.count
        {
            let headers = try (0..<sectionHeaderCount).map { index throws(LoadError) in
                try SectionHeader(reader, at: sectionHeaderOffset + index * sectionHeaderSize)
            }
            let names = sectionNameIndex < headers.count ? headers[sectionNameIndex] : nil
            for header in headers where header.flags & 2 != 0 && header.size > 0 {  // SHF_ALLOC
                let name =
                    names.flatMap {
                        reader.string(at: $0.offset + Int(header.name), limit: $0.offset + $0.size)
                    } ?? ""
                sections.append(.init(name: name, address: header.address, size: UInt32(header.size)))
            }
            for header in headers where header.type == 2 && header.entrySize >= 16 {  // SHT_SYMTAB
                guard header.link < headers.count else { continue }
                let strings = headers[header.link]
                guard header.offset + header.size <= bytes.count, strings.offset + strings.size <= bytes.count
                else {
                    throw LoadError("truncated file: the symbol table lies beyond its end")
                }
                for index in 1..<max(1, header.size / header.entrySize) {
                    let base = header.offset + index * header.entrySize
                    let nameOffset = Int(try reader.u32(base))
                    let value = try reader.u32(base + 4)
                    let size = try reader.u32(base + 8)
                    let info = bytes[base + 12]
                    let sectionIndex = try reader.u16(base + 14)
                    let kind: Symbol.Kind
                    switch info & 0xF {
                    case 0: kind = .label
                    case 1: kind = .object
                    case 2: kind = .function
                    default: continue
                    }
                    guard sectionIndex != 0, sectionIndex < 0xFF00,  // undefined, absolute, common
                        let name = reader.string(
                            at: strings.offset + nameOffset, limit: strings.offset + strings.size),
                        !name.isEmpty, !name.hasPrefix(".L"), !name.hasPrefix("$")
                    else { continue }
                    symbols.add(
                        Symbol(name: name, address: value, size: size, kind: kind, isGlobal: info >> 4 != 0))
                }
            }
        }
        symbols.finish(sections: sections.map { ($0.address, $0.size) })
        return Firmware(
            name: name, entry: entry, segments: segments, sections: sections, symbols: symbols,
            fileBytes: bytes)
    }

    struct SectionHeader {
        var name: UInt32
        var type: UInt32
        var flags: UInt32
        var address: UInt32
        var offset: Int
        var size: Int
        var link: Int
        var entrySize: Int

        init(_ reader: ByteReader, at base: Int) throws(LoadError) {
            name = try reader.u32(base)
            type = try reader.u32(base + 4)
            flags = try reader.u32(base + 8)
            address = try reader.u32(base + 12)
            offset = Int(try reader.u32(base + 16))
            size = Int(try reader.u32(base + 20))
            link = Int(try reader.u32(base + 24))
            entrySize = Int(try reader.u32(base + 36))
        }
    }
}

/// Bounds-checked little-endian reads from a byte array.
struct ByteReader {
    let bytes: [UInt8]

    func u16(_ offset: Int) throws(LoadError) -> UInt16 {
        guard offset >= 0, offset + 2 <= bytes.count else {
            throw LoadError("truncated file at byte \(offset)")
        }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u32(_ offset: Int) throws(LoadError) -> UInt32 {
        guard offset >= 0, offset + 4 <= bytes.count else {
            throw LoadError("truncated file at byte \(offset)")
        }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }

    /// A NUL-terminated string starting at `offset`, not reading at or past `limit`, made safe
    /// to show (symbol and section names reach the terminal; an ELF is untrusted). Real names
    /// have no control characters and fit the 1024-scalar cut, so lookups by name still work.
    func string(at offset: Int, limit: Int) -> String? {
        let end = min(limit, bytes.count)
        guard offset >= 0, offset < end else { return nil }
        var cursor = offset
        while cursor < end && bytes[cursor] != 0 { cursor += 1 }
        guard cursor < end else { return nil }
        return UntrustedText.displayable(String(decoding: bytes[offset..<cursor], as: UTF8.self), limit: 1024)
    }
}
