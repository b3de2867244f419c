import Testing

@testable import Machine

/// The address grammar every prompt and option shares (`AddressExpression`): addresses as the
/// screen prints them, symbols and sections with offsets, registers in a given state.
@Suite struct AddressExpressionTests {
    /// A firmware with a function `main` at 0x80000100, a 64-byte object `sensors` at
    /// 0x80001000, a label `cafe` at 0x80000200 (a name that is also hex digits) and a `.data`
    /// section at 0x80001000.
    static let firmware: Firmware = {
        var symbols = SymbolTable()
        symbols.add(Symbol(name: "main", address: 0x8000_0100, size: 0x40, kind: .function, isGlobal: true))
        symbols.add(Symbol(name: "sensors", address: 0x8000_1000, size: 64, kind: .object, isGlobal: true))
        symbols.add(Symbol(name: "cafe", address: 0x8000_0200, size: 0, kind: .label, isGlobal: true))
        symbols.finish()
        var firmware = Firmware.raw(words: [0x13])
        firmware.symbols = symbols
        firmware.sections = [Firmware.Section(name: ".data", address: 0x8000_1000, size: 0x100)]
        return firmware
    }()

    /// A state with sp = 0x87ffffd0, s0 = 0x80001034, a5 = 0x31726574, pc = 0x80000358.
    static func state() throws -> MachineState {
        var state = try Machine(firmware: firmware, board: .virt()).state
        state.x[2] = 0x87ff_ffd0
        state.x[8] = 0x8000_1034
        state.x[15] = 0x3172_6574
        state.pc = 0x8000_0358
        return state
    }

    func address(_ text: String) throws -> UInt32 {
        try AddressExpression(parsing: text).address(in: Self.firmware, state: try Self.state())
    }

    func range(_ text: String, defaultLength: UInt32 = 4) throws -> Range<UInt32> {
        try AddressExpression(parsing: text, allowsLength: true).range(
            in: Self.firmware, state: try Self.state(), defaultLength: defaultLength)
    }

    func failure(_ text: String, allowsLength: Bool = false, state: MachineState? = nil) -> String? {
        do {
            _ = try AddressExpression(parsing: text, allowsLength: allowsLength).range(
                in: Self.firmware, state: state)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func anAddressAsTheScreenPrintsItIsHexWithOrWithoutPrefix() throws {
        #expect(try address("8000103c") == 0x8000_103C)
        #expect(try address("0x8000103c") == 0x8000_103C)
        #expect(try address("0X8000103C") == 0x8000_103C)
        #expect(try address("8000_103c") == 0x8000_103C)
        #expect(try address("  1000 ") == 0x1000, "a bare number is hex, not decimal")
    }

    @Test func symbolsAndSectionsTakeDecimalOffsetsOrHexWithPrefix() throws {
        #expect(
            try address("sensors+56") == 0x8000_1038, "decimal, as the demo's sensors+56 has always meant")
        #expect(try address("sensors+0x38") == 0x8000_1038)
        #expect(try address("main-16") == 0x8000_00F0)
        #expect(try address("main + 8 - 4") == 0x8000_0104, "blanks between terms, several offsets")
        #expect(try address(".data+8") == 0x8000_1008)
    }

    @Test func registersAreReadInTheGivenState() throws {
        #expect(try address("sp") == 0x87ff_ffd0)
        #expect(try address("sp+8") == 0x87ff_ffd8)
        #expect(try address("s0-20") == 0x8000_1020, "as the disassembler writes lw a5,-20(s0)")
        #expect(try address("fp-20") == 0x8000_1020, "fp is s0")
        #expect(try address("x2") == 0x87ff_ffd0)
        #expect(try address("a5") == 0x3172_6574, "a5 is the register, not the hex number 0xa5")
        #expect(try address("0xa5") == 0xA5, "0x forces the number")
        #expect(try address("pc") == 0x8000_0358)
        #expect(try address("zero+16") == 16)
        #expect(try address("SP") == 0x87ff_ffd0, "register names in any case")
    }

    @Test func aNameIsASymbolBeforeItIsHexDigits() throws {
        #expect(try address("cafe") == 0x8000_0200, "the firmware's symbol")
        #expect(try address("0xcafe") == 0xCAFE)
        #expect(try address("beef") == 0xBEEF, "no symbol of that name: hex digits")
    }

    @Test func arithmeticWrapsAsTheHartsDoes() throws {
        #expect(try address("zero-4") == 0xFFFF_FFFC)
    }

    @Test func rangesTakeALengthOrADataSymbolsSizeOrTheDefault() throws {
        #expect(try range("sp:16") == 0x87ff_ffd0..<0x87ff_ffe0)
        #expect(try range("sensors+56:0x8") == 0x8000_1038..<0x8000_1040)
        #expect(try range("sensors") == 0x8000_1000..<0x8000_1040, "a data symbol alone covers its size")
        #expect(try range("sensors+4") == 0x8000_1004..<0x8000_1008, "with an offset, the default length")
        #expect(try range("main") == 0x8000_0100..<0x8000_0104, "a function is not data: the default length")
        #expect(try range("8000103c", defaultLength: 1) == 0x8000_103C..<0x8000_103D)
    }

    @Test func mistakesSayWhatIsWrongInOneLine() throws {
        let cases: [(text: String, allowsLength: Bool, expected: String)] = [
            ("", false, "give an address"),
            ("12X", false, "not a 32-bit hex number"),
            ("0x", false, "not a 32-bit hex number"),
            ("0x1_0000_0000", false, "not a 32-bit hex number"),
            ("nowhere", false, "'nowhere' is not a symbol, section or register of raw"),
            ("sp+", false, "a number is missing after '+'"),
            ("sp+a", false, "the offset 'a' is not a number"),
            ("sp sp", false, "join terms with + or -"),
            ("-8", false, "an address starts with"),
            ("sp:4", false, "a length (':N') is not asked for here"),
            ("sp:0", true, "the length must be 1 … 1048576 bytes"),
            ("sp:2000000", true, "the length must be 1 … 1048576 bytes"),
            ("sp:lots", true, "the length 'lots' is not a number"),
            ("0xfffffff0:0x20", true, "runs past the end of the 32-bit address space"),
            ("0xffffffff", true, "runs past the end"),
        ]
        for test in cases {
            let message = failure(test.text, allowsLength: test.allowsLength, state: try Self.state())
            #expect(
                message?.contains(test.expected) == true,
                "\(test.text.debugDescription): \(message ?? "no error")")
            #expect(message?.contains("\n") != true)
        }
        #expect(failure("sp") == "'sp' names a register, and there is no machine state here to read it from")
    }

    @Test func onlyRegistersNeedAState() throws {
        let symbol = try AddressExpression(parsing: "sensors+56")
        #expect(!symbol.readsRegisters)
        #expect(try symbol.address(in: Self.firmware, state: nil) == 0x8000_1038)
        #expect(try AddressExpression(parsing: "sp+8").readsRegisters)
        #expect(try AddressExpression(parsing: "pc").readsRegisters)
    }

    @Test func theFirmwaresWrappersSayNilWhereTheExpressionFails() throws {
        let state = try Self.state()
        #expect(Self.firmware.address(for: "8000103c") == 0x8000_103C)
        #expect(Self.firmware.address(for: "sp+8", at: state) == 0x87ff_ffd8)
        #expect(Self.firmware.address(for: "sp+8") == nil, "no state, no registers")
        #expect(Self.firmware.range(for: "sp:16", defaultLength: 4, at: state) == 0x87ff_ffd0..<0x87ff_ffe0)
        #expect(Self.firmware.range(for: "sensors:0") == nil)
    }

    @Test func registerNamesAreTheDisassemblers() {
        #expect(RegisterName.index(of: "zero") == 0)
        #expect(RegisterName.index(of: "s11") == 27)
        #expect(RegisterName.index(of: "x31") == 31)
        #expect(RegisterName.index(of: "x32") == nil)
        #expect(RegisterName.index(of: "x07") == nil)
        #expect(RegisterName.index(of: "pc") == nil, "pc is not an integer register")
        #expect(RegisterName.abi.count == 32)
    }
}

/// The one hex formatter (`Hex.swift`).
@Suite struct HexTests {
    @Test func formatsAddressesDigitsAndBytes() {
        #expect(hex(0x103C) == "0x0000103c")
        #expect(hex8(0x8000_103C) == "8000103c")
        #expect(hexDigits(0x1E as UInt32) == "1e")
        #expect(hexDigits(0x1E as UInt8, width: 4) == "001e")
        #expect(hexDigits(UInt64.max) == "ffffffffffffffff")
        #expect(hexBytes([0x74, 0x65, 0x00, 0xFF]) == "746500ff")
        #expect(hexBytes([0x74, 0x65], separator: " ") == "74 65")
        #expect(hexBytes([]) == "")
    }
}
