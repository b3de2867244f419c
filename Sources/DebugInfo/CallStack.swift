/// One frame of a call stack: a function the machine is in at a step, with the registers
/// the unwinder recovered for it. Code inlined into a function gets a frame of its own that
/// shares its caller's registers, as in gdb.
public struct StackFrame: Sendable {
    /// The function's name (`??` where nothing names the code).
    public var function: String
    /// The frame's pc: the next instruction for the innermost frame and for code a trap
    /// interrupted, else the return address.
    public var pc: UInt32
    /// The source line the frame is at (for a caller, the line of its call).
    public var location: SourceLocation?
    /// Whether this is code inlined into the next frame out.
    public var isInlined: Bool
    /// Whether this frame is a trap handler: its caller is the code the trap interrupted, at
    /// mepc.
    public var isTrapHandler: Bool
    /// x0…x31 as far as the unwinder recovered them (nil: not saved).
    public var registers: [UInt32?]
    /// The canonical frame address (the caller's sp), when the call-frame information gives
    /// it.
    public var cfa: UInt32?

    /// The address the frame's scopes and location lists are looked up at (pc − 1 for a
    /// caller, so that it falls in the call instruction, as in gdb).
    let lookupPC: UInt32
    /// The offset of the frame's function entry (subprogram or inlined call), if any.
    let functionOffset: UInt64?
    /// The offset of the out-of-line function whose frame base the variables use.
    let physicalFunctionOffset: UInt64?
    /// The lexical blocks within the function that hold lookupPC, innermost first.
    let blockOffsets: [UInt64]
    /// Which physical (non-inlined) frame this is part of, 0 for the innermost.
    let physicalIndex: Int
}

/// The frames at one step, innermost first, and why the unwinding stopped where it did.
public struct CallStack: Sendable {
    /// Innermost first.
    public var frames: [StackFrame]
    /// Why there are no more frames, when it is not because the outermost function was reached
    /// ("no unwind information for trap_vector"); nil otherwise.
    public var end: String?
}
