/// Encodes the few x86-64 instructions the block compiler needs (Intel SDM vol. 2).
///
/// Memory operands are always `[base + index + disp32]` with 32-bit or 64-bit registers;
/// every instruction here is one the compiler uses, nothing more. Code is assembled for the
/// address it will run at (`origin`), so jumps can reach code outside it.
struct X86Assembler {
    /// General-purpose registers by encoding number.
    enum Register: UInt8 {
        case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
    }

    /// A memory operand `[base + index + displacement]`.
    struct Memory {
        var base: Register
        var index: Register? = nil
        var displacement: Int32 = 0
    }

    /// Condition codes (the low nibble of Jcc/SETcc).
    enum Condition: UInt8 {
        case below = 0x2, aboveOrEqual = 0x3, equal = 0x4, notEqual = 0x5, above = 0x7
        case less = 0xC, greaterOrEqual = 0xD
    }

    /// Where the first byte will be in memory.
    let origin: UInt

    init(origin: UInt = 0) { self.origin = origin }

    /// ALU operations with their /digit (immediate forms) and register-from-memory opcodes.
    enum Operation: UInt8 {
        case add = 0, or = 1, and = 4, sub = 5, xor = 6, cmp = 7
        var loadOpcode: UInt8 { [0x03, 0x0B, 0, 0, 0x23, 0x2B, 0x33, 0x3B][Int(rawValue)] }
    }

    enum Shift: UInt8 { case left = 4, rightLogical = 5, rightArithmetic = 7 }

    private(set) var bytes: [UInt8] = []
    var count: Int { bytes.count }

    // MARK: Encoding helpers

    private mutating func rex(wide: Bool, reg: UInt8, index: UInt8 = 0, base: UInt8, force: Bool = false) {
        let value: UInt8 = 0x40 | (wide ? 8 : 0) | ((reg >> 3) << 2) | ((index >> 3) << 1) | (base >> 3)
        if value != 0x40 || force { bytes.append(value) }
    }

    private mutating func operand(_ reg: UInt8, _ memory: Memory) {
        let base = memory.base.rawValue
        if let index = memory.index {
            bytes.append(0x80 | ((reg & 7) << 3) | 0x04)  // mod=10, rm=100 (SIB)
            bytes.append(((index.rawValue & 7) << 3) | (base & 7))  // scale 1
        } else if base & 7 == 4 {
            bytes.append(0x80 | ((reg & 7) << 3) | 0x04)
            bytes.append(0x24)  // SIB: no index, base rsp/r12
        } else {
            bytes.append(0x80 | ((reg & 7) << 3) | (base & 7))
        }
        append32(UInt32(bitPattern: memory.displacement))
    }

    private mutating func instruction(
        _ opcode: [UInt8], reg: UInt8, _ memory: Memory, wide: Bool = false, prefix: UInt8? = nil,
        byteReg: Bool = false
    ) {
        if let prefix { bytes.append(prefix) }
        rex(
            wide: wide, reg: reg, index: memory.index?.rawValue ?? 0, base: memory.base.rawValue,
            force: byteReg && reg >= 4)
        bytes += opcode
        operand(reg, memory)
    }

    private mutating func registerForm(_ opcode: [UInt8], reg: UInt8, rm: UInt8, wide: Bool = false) {
        rex(wide: wide, reg: reg, base: rm)
        bytes += opcode
        bytes.append(0xC0 | ((reg & 7) << 3) | (rm & 7))
    }

    mutating func append32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    // MARK: Instructions

    /// mov r32, [m]
    mutating func load32(_ reg: Register, _ memory: Memory) { instruction([0x8B], reg: reg.rawValue, memory) }
    /// mov r64, [m]
    mutating func load64(_ reg: Register, _ memory: Memory) {
        instruction([0x8B], reg: reg.rawValue, memory, wide: true)
    }
    /// mov [m], r64
    mutating func store64(_ memory: Memory, _ reg: Register) {
        instruction([0x89], reg: reg.rawValue, memory, wide: true)
    }
    /// lea r32, [base + disp32]: base + displacement, modulo 2^32
    mutating func loadAddress32(_ reg: Register, _ memory: Memory) {
        instruction([0x8D], reg: reg.rawValue, memory)
    }
    /// lea r64, [rip + disp32] pointing at `target`, a position in this code
    mutating func loadAddress(_ reg: Register, ofPosition target: Int) {
        rex(wide: true, reg: reg.rawValue, base: 0)
        bytes += [0x8D, 0x05 | ((reg.rawValue & 7) << 3)]
        append32(UInt32(truncatingIfNeeded: target - (bytes.count + 4)))
    }
    /// cmp dword [m], imm32
    mutating func compare32(_ memory: Memory, immediate: UInt32) {
        instruction([0x81], reg: 7, memory)
        append32(immediate)
    }
    /// mov [m], r32
    mutating func store32(_ memory: Memory, _ reg: Register) {
        instruction([0x89], reg: reg.rawValue, memory)
    }
    /// mov [m], r16
    mutating func store16(_ memory: Memory, _ reg: Register) {
        instruction([0x89], reg: reg.rawValue, memory, prefix: 0x66)
    }
    /// mov [m], r8
    mutating func store8(_ memory: Memory, _ reg: Register) {
        instruction([0x88], reg: reg.rawValue, memory, byteReg: true)
    }
    /// mov dword [m], imm32
    mutating func store32(_ memory: Memory, immediate: UInt32) {
        instruction([0xC7], reg: 0, memory)
        append32(immediate)
    }
    /// mov byte [m], imm8
    mutating func store8(_ memory: Memory, immediate: UInt8) {
        instruction([0xC6], reg: 0, memory)
        bytes.append(immediate)
    }
    /// cmp byte [m], imm8
    mutating func compare8(_ memory: Memory, immediate: UInt8) {
        instruction([0x80], reg: 7, memory)
        bytes.append(immediate)
    }
    /// movzx r32, byte/word [m]; movsx r32, byte/word [m]
    mutating func loadExtended(_ reg: Register, _ memory: Memory, bits: Int, signed: Bool) {
        let opcode: UInt8 = bits == 8 ? (signed ? 0xBE : 0xB6) : (signed ? 0xBF : 0xB7)
        instruction([0x0F, opcode], reg: reg.rawValue, memory)
    }
    /// movsxd r64, dword [m]
    mutating func loadSignExtended64(_ reg: Register, _ memory: Memory) {
        instruction([0x63], reg: reg.rawValue, memory, wide: true)
    }
    /// mov r32, imm32 (zero-extends into the 64-bit register)
    mutating func move(_ reg: Register, immediate: UInt32) {
        rex(wide: false, reg: 0, base: reg.rawValue)
        bytes.append(0xB8 + (reg.rawValue & 7))
        append32(immediate)
    }
    /// mov r64, imm64
    mutating func move64(_ reg: Register, immediate: UInt64) {
        rex(wide: true, reg: 0, base: reg.rawValue)
        bytes.append(0xB8 + (reg.rawValue & 7))
        append32(UInt32(truncatingIfNeeded: immediate))
        append32(UInt32(truncatingIfNeeded: immediate >> 32))
    }
    /// mov dst, src (32- or 64-bit)
    mutating func move(_ destination: Register, _ source: Register, wide: Bool = false) {
        registerForm([0x89], reg: source.rawValue, rm: destination.rawValue, wide: wide)
    }
    /// op r32, [m]
    mutating func operate(_ operation: Operation, _ reg: Register, _ memory: Memory) {
        instruction([operation.loadOpcode], reg: reg.rawValue, memory)
    }
    /// op r32, r32 (r64 when wide)
    mutating func operate(_ operation: Operation, _ reg: Register, _ source: Register, wide: Bool = false) {
        registerForm([operation.loadOpcode], reg: reg.rawValue, rm: source.rawValue, wide: wide)
    }
    /// op r32, imm (op r64, imm when wide; the immediate is sign-extended)
    mutating func operate(_ operation: Operation, _ reg: Register, immediate: UInt32, wide: Bool = false) {
        let value = Int32(bitPattern: immediate)
        if value >= -128 && value <= 127 {
            registerForm([0x83], reg: operation.rawValue, rm: reg.rawValue, wide: wide)
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else {
            registerForm([0x81], reg: operation.rawValue, rm: reg.rawValue, wide: wide)
            append32(immediate)
        }
    }
    /// shl/shr/sar r32, imm8 (or r64 when wide)
    mutating func shift(_ kind: Shift, _ reg: Register, by amount: UInt8, wide: Bool = false) {
        registerForm([0xC1], reg: kind.rawValue, rm: reg.rawValue, wide: wide)
        bytes.append(amount)
    }
    /// shl/shr/sar r32, cl
    mutating func shiftByCL(_ kind: Shift, _ reg: Register) {
        registerForm([0xD3], reg: kind.rawValue, rm: reg.rawValue)
    }
    /// imul r32, [m]
    mutating func multiply(_ reg: Register, _ memory: Memory) {
        instruction([0x0F, 0xAF], reg: reg.rawValue, memory)
    }
    /// imul r32, r32
    mutating func multiply(_ destination: Register, _ source: Register) {
        registerForm([0x0F, 0xAF], reg: destination.rawValue, rm: source.rawValue)
    }
    /// movsxd r64, r32
    mutating func signExtend64(_ destination: Register, _ source: Register) {
        registerForm([0x63], reg: destination.rawValue, rm: source.rawValue, wide: true)
    }
    /// imul r64, r64
    mutating func multiply64(_ destination: Register, _ source: Register) {
        registerForm([0x0F, 0xAF], reg: destination.rawValue, rm: source.rawValue, wide: true)
    }
    /// test r32, r32
    mutating func test(_ a: Register, _ b: Register) { registerForm([0x85], reg: b.rawValue, rm: a.rawValue) }
    /// test r32, imm32
    mutating func test(_ reg: Register, immediate: UInt32) {
        registerForm([0xF7], reg: 0, rm: reg.rawValue)
        append32(immediate)
    }
    /// setcc al; movzx eax, al
    mutating func setAL(_ condition: Condition) {
        bytes += [0x0F, 0x90 + condition.rawValue, 0xC0]
        bytes += [0x0F, 0xB6, 0xC0]
    }
    /// cdq
    mutating func signExtendEAXIntoEDX() { bytes.append(0x99) }
    /// idiv/div r32
    mutating func divide(by reg: Register, signed: Bool) {
        registerForm([0xF7], reg: signed ? 7 : 6, rm: reg.rawValue)
    }
    mutating func push(_ reg: Register) {
        rex(wide: false, reg: 0, base: reg.rawValue)
        bytes.append(0x50 + (reg.rawValue & 7))
    }
    mutating func pop(_ reg: Register) {
        rex(wide: false, reg: 0, base: reg.rawValue)
        bytes.append(0x58 + (reg.rawValue & 7))
    }
    mutating func ret() { bytes.append(0xC3) }

    /// jmp r64
    mutating func jump(to reg: Register) { registerForm([0xFF], reg: 4, rm: reg.rawValue) }
    /// jmp qword [m]
    mutating func jump(through memory: Memory) { instruction([0xFF], reg: 4, memory) }
    /// jmp rel32 to an address outside this code.
    mutating func jump(toAddress target: UInt) { bind(jump(), toAddress: target) }
    /// jcc rel32 to an address outside this code.
    mutating func jump(if condition: Condition, toAddress target: UInt) {
        bind(jump(if: condition), toAddress: target)
    }

    /// jcc rel32 to a label bound later; returns the fix-up position.
    mutating func jump(if condition: Condition) -> Int {
        bytes += [0x0F, 0x80 + condition.rawValue, 0, 0, 0, 0]
        return bytes.count - 4
    }
    /// jmp rel32 to a label bound later; returns the fix-up position.
    mutating func jump() -> Int {
        bytes += [0xE9, 0, 0, 0, 0]
        return bytes.count - 4
    }
    /// Points the rel32 at `fixup` to the current position.
    mutating func bind(_ fixup: Int) { bind(fixup, to: bytes.count) }

    /// Points the rel32 at `fixup` to the absolute address `target`.
    mutating func bind(_ fixup: Int, toAddress target: UInt) {
        let relative = Int64(bitPattern: UInt64(target)) - Int64(bitPattern: UInt64(origin + UInt(fixup) + 4))
        for index in 0..<4 { bytes[fixup + index] = UInt8(truncatingIfNeeded: relative >> Int64(index * 8)) }
    }

    /// Points the rel32 at `fixup` to `target`.
    mutating func bind(_ fixup: Int, to target: Int) {
        let relative = Int32(target - (fixup + 4))
        for index in 0..<4 { bytes[fixup + index] = UInt8(truncatingIfNeeded: relative >> Int32(index * 8)) }
    }
}
