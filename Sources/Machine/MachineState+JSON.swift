/// The JSON form of a machine state shared by `run --dump-state` and `state --json`:
///
/// ```
/// {"step", "pc", "x": [32], "privilege", "csr": {mstatus, mie, mip, mtvec, mepc, mcause, mtval,
///  mscratch, mcycle, minstret}, "devices": {"uart", "clint", "plic", "semihosting", "htif"},
///  "stateHash": "16 hex digits"}
/// ```
///
/// Device objects (every number an integer):
/// - `uart`: ier, iir, lcr, mcr, lsr, msr, scr, fcr, divisor, rxFifo (bytes waiting, oldest
///   first), interruptPending (0/1 line towards the PLIC)
/// - `clint`: mtime, mtimecmp, msip
/// - `plic`: priority (96 sources), pending, enable (context 0), claimed (bit words of 32
///   sources), threshold (context 0), claimable (the source a claim would return now)
/// - `semihosting`: featuresPosition
/// - `htif`: lastCommand
extension MachineState {
    /// The state as ordered JSON members; `extra` members are appended before `stateHash`.
    public func json(stateHash: UInt64, extra: [(String, JSONValue)] = []) -> JSONValue {
        let csrObject: JSONValue = .object([
            ("mstatus", .u32(csr.mstatus)), ("mie", .u32(csr.mie)), ("mip", .u32(csr.mip)),
            ("mtvec", .u32(csr.mtvec)), ("mepc", .u32(csr.mepc)), ("mcause", .u32(csr.mcause)),
            ("mtval", .u32(csr.mtval)), ("mscratch", .u32(csr.mscratch)),
            ("mcycle", .unsigned(mcycle)), ("minstret", .unsigned(minstret)),
        ])
        let devices: JSONValue = .object([
            (
                "uart",
                .object([
                    ("ier", .u32(UInt32(uart.ier))), ("iir", .u32(UInt32(uart.iir))),
                    ("lcr", .u32(UInt32(uart.lcr))),
                    ("mcr", .u32(UInt32(uart.mcr))), ("lsr", .u32(UInt32(uart.lsr))),
                    ("msr", .u32(UInt32(uart.msr))),
                    ("scr", .u32(UInt32(uart.scr))), ("fcr", .u32(UInt32(uart.fcr))),
                    ("divisor", .u32(UInt32(uart.divisor))),
                    ("rxFifo", .u32s(uart.receiveFIFO.map(UInt32.init))),
                    ("interruptPending", .integer(uart.interruptLine ? 1 : 0)),
                ])
            ),
            (
                "clint",
                .object([
                    ("mtime", .unsigned(mtime)), ("mtimecmp", .unsigned(clint.mtimecmp)),
                    ("msip", .u32(clint.msip)),
                ])
            ),
            (
                "plic",
                .object([
                    ("priority", .u32s(plic.priority)), ("pending", .u32s(plic.pending)),
                    ("enable", .u32s(Array(plic.enable[0..<PLIC.wordCount]))),
                    ("claimed", .u32s(plic.claimed)),
                    ("threshold", .u32(plic.threshold[0])),
                    ("claimable", .integer(Int64(plic.bestSource(context: 0)))),
                ])
            ),
            ("semihosting", .object([("featuresPosition", .u32(semihosting.featuresPosition))])),
            ("htif", .object([("lastCommand", .unsigned(htif.lastCommand))])),
        ])
        var members: [(String, JSONValue)] = [
            ("step", .unsigned(step)), ("pc", .u32(pc)), ("x", .u32s(x)),
            ("privilege", .integer(Int64(privilege))),
            ("csr", csrObject), ("devices", devices),
        ]
        members += extra
        members.append(("stateHash", .string(MachineState.hashText(stateHash))))
        return .object(members)
    }

    /// A state hash as 16 lowercase hex digits.
    public static func hashText(_ hash: UInt64) -> String {
        hexDigits(hash, width: 16)
    }
}
