/// Which guest registers compiled code keeps in host registers: the nine the firmware's code
/// names most often (sp, a0–a5, s0, s1 for most GCC code), chosen once per machine. Every
/// block and the runtime use the same assignment, so values stay in host registers across
/// blocks; the other guest registers are one memory operand away.
struct RegisterAssignment {
    typealias Register = X86Assembler.Register

    /// Host registers free for guest values (r15, r14, rbp, rax, rcx, rdx have other jobs).
    static let hostRegisters: [Register] = [.rbx, .r12, .r13, .rsi, .rdi, .r8, .r9, .r10, .r11]
    /// Used when there is no code to count (sp, s0, s1, a0–a5).
    static let standard = RegisterAssignment(guests: [2, 8, 9, 10, 11, 12, 13, 14, 15])

    /// (guest register, host register) pairs.
    let pinned: [(UInt8, Register)]
    private let hosts: [Register?]

    private init(guests: [UInt8]) {
        pinned = Array(zip(guests, Self.hostRegisters))
        var hosts = [Register?](repeating: nil, count: 33)
        for (guest, host) in pinned { hosts[Int(guest)] = host }
        self.hosts = hosts
    }

    /// The host register that holds guest `register`, if any (never for x0 or the x0 slot).
    @inline(__always)
    func host(_ register: UInt8) -> Register? { hosts[Int(register)] }

    /// Counts the registers the instructions of `firmware`'s code sections (its segments when
    /// it names no `.text` section) use, and keeps the most used in host registers.
    init(for firmware: Firmware) {
        var uses = [Int](repeating: 0, count: 32)
        func count(_ bytes: ArraySlice<UInt8>) {
            var index = bytes.startIndex
            while index + 1 < bytes.endIndex {
                var bits = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                var length = 2
                if bits & 3 == 3 {
                    guard index + 3 < bytes.endIndex else { break }
                    bits |= UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
                    length = 4
                }
                let op = DecodedInstruction.decode(bits)
                if op.kind != .illegal {
                    if op.rd != DecodedInstruction.discard { uses[Int(op.rd)] += 1 }
                    uses[Int(op.rs1)] += 1
                    if !op.kind.ignoresRS2 { uses[Int(op.rs2)] += 1 }
                }
                index += length
            }
        }
        let text = firmware.sections.filter { $0.name.hasPrefix(".text") }
        for segment in firmware.segments {
            let end = segment.address &+ UInt32(segment.bytes.count)
            if text.isEmpty {
                count(segment.bytes[...])
                continue
            }
            for section in text where section.address >= segment.address && section.address < end {
                let start = Int(section.address - segment.address)
                count(segment.bytes[start..<min(segment.bytes.count, start + Int(section.size))])
            }
        }
        uses[0] = -1
        let ranked = (1..<32).sorted { uses[$0] != uses[$1] ? uses[$0] > uses[$1] : $0 < $1 }
        self.init(
            guests: uses.allSatisfy({ $0 <= 0 })
                ? RegisterAssignment.standard.pinned.map(\.0)
                : ranked.prefix(Self.hostRegisters.count).map { UInt8($0) })
    }
}

extension DecodedInstruction.Kind {
    /// Whether the instruction's rs2 field is not a register it reads.
    var ignoresRS2: Bool {
        switch self {
        case .addi, .slti, .sltiu, .xori, .ori, .andi, .slli, .srli, .srai, .lui, .auipc, .jal, .jalr, .lb,
            .lh, .lw, .lbu, .lhu, .fence, .system, .atomic, .illegal:
            true
        default: false
        }
    }
}
