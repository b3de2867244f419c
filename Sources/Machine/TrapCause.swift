/// mcause values (privileged spec 3.1.15). Interrupts have bit 31 set.
public enum TrapCause {
    /// Instruction address misaligned (0).
    public static let instructionMisaligned: UInt32 = 0
    /// Instruction access fault (1).
    public static let instructionAccessFault: UInt32 = 1
    /// Illegal instruction (2).
    public static let illegalInstruction: UInt32 = 2
    /// Breakpoint: ebreak (3).
    public static let breakpoint: UInt32 = 3
    /// Load address misaligned (4).
    public static let loadMisaligned: UInt32 = 4
    /// Load access fault (5).
    public static let loadAccessFault: UInt32 = 5
    /// Store/AMO address misaligned (6).
    public static let storeMisaligned: UInt32 = 6
    /// Store/AMO access fault (7).
    public static let storeAccessFault: UInt32 = 7
    /// Environment call from M-mode: ecall (11).
    public static let environmentCallFromM: UInt32 = 11
    /// Bit 31 of mcause: the trap is an interrupt.
    public static let interruptBit: UInt32 = 0x8000_0000
    /// Machine software interrupt (CLINT msip).
    public static let machineSoftwareInterrupt: UInt32 = interruptBit | 3
    /// Machine timer interrupt (CLINT mtimecmp).
    public static let machineTimerInterrupt: UInt32 = interruptBit | 7
    /// Machine external interrupt (the PLIC).
    public static let machineExternalInterrupt: UInt32 = interruptBit | 11

    /// A readable name for an mcause value, e.g. "illegal instruction".
    public static func name(of cause: UInt32) -> String {
        switch cause {
        case instructionMisaligned: "instruction address misaligned"
        case instructionAccessFault: "instruction access fault"
        case illegalInstruction: "illegal instruction"
        case breakpoint: "breakpoint"
        case loadMisaligned: "load address misaligned"
        case loadAccessFault: "load access fault"
        case storeMisaligned: "store/AMO address misaligned"
        case storeAccessFault: "store/AMO access fault"
        case 8: "environment call from U-mode"
        case environmentCallFromM: "environment call from M-mode"
        case machineSoftwareInterrupt: "machine software interrupt"
        case machineTimerInterrupt: "machine timer interrupt"
        case machineExternalInterrupt: "machine external interrupt"
        default:
            cause & interruptBit != 0 ? "interrupt \(cause & ~interruptBit)" : "exception \(cause)"
        }
    }

    /// A short identifier for an mcause value, e.g. "illegal-instruction" (used as marker kinds).
    public static func slug(of cause: UInt32) -> String {
        name(of: cause).replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: " ", with: "-")
    }
}

import Foundation
