# gdb's view of source-level state, as JSON: the oracle for Timescope's `state --frames` and
# `state --eval` (Sources/TestSupport/GDBOracle.swift drives it; docs/testing.md explains it).
#
# Runs inside gdb-multiarch (`gdb -nx -batch -x scripts/gdb-frames.py ELF`) and reads a request
# (JSON) from the file named by $GDB_FRAMES_REQUEST:
#
#   {"mode": "stops", "target": "/tmp/x/gdb.sock" (QEMU's gdbstub socket) | "127.0.0.1:PORT",
#    "stops": [{"address": A, "hit": N}, ...], "expressions": ["sensors[2].read", ...],
#    "output": "/path/result.json", "qemuPid": PID, "stallSeconds": 5}
#       Connects to QEMU's gdbstub (QEMU started with -S, so nothing has run yet), puts one
#       breakpoint on each address and runs the firmware once. The N-th time the instruction at
#       A is about to execute (gdb stops *before* it runs), the stop is dumped; all stops come
#       from the same run, in the order they happen. When the firmware runs stallSeconds
#       without reaching another requested stop, QEMU (qemuPid) is killed and the run ends
#       there: what was not reached is reported as unreached.
#
#   {"mode": "discover", "output": "/path/result.json"}
#       No target: the functions of the ELF that have debug information, with the addresses a
#       test may want to stop at (see discover()).
#
# A stop in the result:
#   {"address", "hit", "pc", "x": [x0..x31], "csr": {"mstatus", "mepc", "mcause", ...},
#    "bt": the text of `bt`, "backtraceEnd": why unwinding stopped,
#    "frames": [FRAME, ...] innermost first, "eval": [EVAL, ...]}
#   FRAME = {"function", "pc", "file" (the symtab's file name as gdb names it), "fullname",
#            "line", "inlined": frame.type() == gdb.INLINE_FRAME, "kind" (gdb's frame type),
#            "hasDebugInfo", "args": [VAR], "locals": [VAR],
#            "infoArgs", "infoLocals": the text of `info args` / `info locals` in that frame}
#   VAR  = {"name", "type": str(type) (what `whatis NAME` prints), "value",
#           "optimizedOut": true (value null) | "error": "..." (value null),
#           "shadowed": true when an inner block's variable of the same name hides it,
#           "entryValue": VALUE for an optimized-out argument whose value at function entry gdb
#           knows (`info args` prints `NAME@entry = VALUE` for it),
#           "whatis": what `whatis NAME` printed (not for shadowed variables)}
#   EVAL = {"expr", "address" (when the value has one), "type", "value", "whatis", "print"};
#          {"expr", "error"} when gdb cannot evaluate it there ("No symbol ... in current
#          context."); with "type" and "address" but a null value and an "error" when it can
#          evaluate it but not read the value ("Cannot access memory at address 0x38").
# Frames are the ones `bt` shows: from the innermost out to main (gdb stops unwinding at main:
# `backtrace past-main` is off), inline frames included; args and locals in the frame's
# innermost block out to its function, as `info args`/`info locals` list them.
#   value: int for integer, char, bool, enum and pointer types (pointers unsigned), a number
#   for floating types (a float as the shortest decimal that reads back as the same float;
#   "inf"/"-inf"/"nan" as strings: JSON has no such numbers), {member: value} for structs and unions
#   (an anonymous member under ""), [value, ...] for arrays (at most the first 256 elements),
#   the address for functions; null where gdb has no value (optimized out, unreadable memory).
# Stops never reached (the run ended first) are listed in "unreached" as {"address", "hit"};
# "ended" says how the run ended when it did.
import json
import os
import re
import signal
import struct
import sys
import threading
import time

import gdb

ARRAY_LIMIT = 256
UNWIND_LIMIT = 64

request_path = os.environ.get("GDB_FRAMES_REQUEST", "")
try:
    with open(request_path) as handle:
        request = json.load(handle)
except (OSError, ValueError) as error:
    sys.stderr.write("gdb-frames: cannot read the request %r: %s\n" % (request_path, error))
    sys.stderr.flush()
    os._exit(2)


def finish(result, status=0):
    with open(request["output"] + ".tmp", "w") as handle:
        json.dump(result, handle, indent=None, separators=(",", ":"))
    os.replace(request["output"] + ".tmp", request["output"])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def fail(message):
    sys.stderr.write("gdb-frames: %s\n" % message)
    finish({"error": message}, 1)


for setting in [
    "set confirm off",
    "set pagination off",
    "set width 0",
    "set height 0",
    "set print pretty off",
    "set print frame-arguments scalars",
    "set print entry-values default",
    "set breakpoint always-inserted on",
    "set style enabled off",
]:
    gdb.execute(setting, to_string=True)

# Read every unit's symbols now. Which unit gdb asks about a pc depends on the units it has
# read: where an assembly unit's DWARF ranges overlap a C unit's (gas 2.40 writes an assembly
# unit's ranges before the linker relaxes its code: the crash demo's start.S claims the first
# ten bytes of main), a C unit with an address map wins once both are read, whereas a fresh gdb
# answers from the first unit that claims the pc. Reading all first makes every stop's answer
# the same whatever the earlier stops read.
gdb.execute("maint expand-symtabs", to_string=True)


# ---- values ----------------------------------------------------------------------------------


def json_value(value, depth=0):
    """The value as JSON, by the rules in the header; raises gdb.error where gdb cannot read."""
    if value.is_optimized_out:
        return None
    actual = value.type.strip_typedefs()
    code = actual.code
    if code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_CHAR, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_ENUM):
        return int(value)
    if code == gdb.TYPE_CODE_PTR:
        return int(value) & ((1 << (8 * actual.sizeof)) - 1)
    if code == gdb.TYPE_CODE_FLT:
        number = float(value)
        if number != number:
            return "nan"
        if number in (float("inf"), float("-inf")):
            return "inf" if number > 0 else "-inf"
        if actual.sizeof == 4:
            return shortest_float32(number)
        return number
    if code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
        members = {}
        for field in actual.fields():
            if field.artificial:
                continue
            name = field.name or ""
            try:
                members[name] = json_value(value[field], depth + 1)
            except gdb.error:
                members[name] = None
        return members
    if code == gdb.TYPE_CODE_ARRAY:
        low, high = actual.range()
        count = min(high - low + 1, ARRAY_LIMIT)
        return [json_value(value[low + index], depth + 1) for index in range(max(count, 0))]
    if code == gdb.TYPE_CODE_FUNC:
        return int(value.address) if value.address is not None else None
    if code == gdb.TYPE_CODE_VOID:
        return None
    return str(value)


def shortest_float32(number):
    """A float's value as the shortest decimal that reads back as the same float (gdb prints
    floats with up to 9 digits; the double Python holds would print 17)."""
    exact = struct.pack("<f", number)
    for digits in range(1, 10):
        candidate = float("%.*g" % (digits, number))
        try:
            if struct.pack("<f", candidate) == exact:
                return candidate
        except OverflowError:  # rounded past the largest float
            continue
    return number


def describe(name, value):
    """A VAR or the value part of an EVAL: type, value, optimizedOut or error."""
    entry = {"name": name, "type": str(value.type)}
    try:
        if value.is_optimized_out:
            entry["value"] = None
            entry["optimizedOut"] = True
            return entry
        value.fetch_lazy()
        entry["value"] = json_value(value)
    except gdb.error as error:  # gdb.MemoryError is a gdb.error
        entry["value"] = None
        entry["error"] = str(error)
    return entry


def command(text):
    try:
        return gdb.execute(text, to_string=True)
    except gdb.error as error:
        return "error: %s" % error


# ---- frames ----------------------------------------------------------------------------------

FRAME_KINDS = {
    gdb.NORMAL_FRAME: "normal",
    gdb.DUMMY_FRAME: "dummy",
    gdb.INLINE_FRAME: "inline",
    gdb.TAILCALL_FRAME: "tailcall",
    gdb.SIGTRAMP_FRAME: "sigtramp",
    gdb.ARCH_FRAME: "arch",
    gdb.SENTINEL_FRAME: "sentinel",
}


LOCAL_CLASSES = {
    gdb.SYMBOL_LOC_CONST,
    gdb.SYMBOL_LOC_LOCAL,
    gdb.SYMBOL_LOC_REGISTER,
    gdb.SYMBOL_LOC_STATIC,
    gdb.SYMBOL_LOC_COMPUTED,
    gdb.SYMBOL_LOC_OPTIMIZED_OUT,
}


def frame_variables(frame):
    """(args, locals) as `info args` / `info locals` list them: locals from the innermost block
    at pc outward up to and including the function's block (an inlined function's block for an
    inline frame), args from the function's block."""
    try:
        block = frame.block()
    except RuntimeError:
        return [], []
    blocks = []
    while block is not None:
        blocks.append(block)
        if block.function is not None:
            break
        block = block.superblock
    args, locals_ = [], []
    seen = set()
    for block in blocks:
        for symbol in block:
            # The address classes gdb's iterate_over_block_locals lists (a constant such as
            # libgcc's `_frm` included; types, labels and nested functions not).
            if symbol.is_argument or symbol.addr_class not in LOCAL_CLASSES:
                continue
            locals_.append(variable(frame, symbol, symbol.name in seen))
            seen.add(symbol.name)
    function_block = blocks[-1] if blocks and blocks[-1].function is not None else None
    if function_block is not None:
        for symbol in function_block:
            if symbol.is_argument:
                entry = variable(frame, symbol, False)
                if entry.get("optimizedOut"):
                    # `info args` then prints `NAME@entry = VALUE` where gdb knows the value at
                    # function entry (from the caller's call site): kept as "entryValue".
                    try:
                        at_entry = gdb.parse_and_eval(symbol.name + "@entry")
                        if not at_entry.is_optimized_out:
                            entry["entryValue"] = json_value(at_entry)
                    except gdb.error:
                        pass
                args.append(entry)
    return args, locals_


def variable(frame, symbol, shadowed):
    try:
        value = symbol.value(frame)
    except gdb.error as error:
        entry = {"name": symbol.name, "type": str(symbol.type), "value": None, "error": str(error)}
        value = None
    if value is not None:
        entry = describe(symbol.name, value)
    if shadowed:
        entry["shadowed"] = True
    else:
        entry["whatis"] = whatis(symbol.name)
    return entry


def whatis(expression):
    text = command("whatis " + expression)
    return text[len("type = "):].rstrip("\n") if text.startswith("type = ") else text.rstrip("\n")


def frame_entry(frame):
    entry = {"pc": frame.pc(), "kind": FRAME_KINDS.get(frame.type(), str(frame.type()))}
    entry["inlined"] = frame.type() == gdb.INLINE_FRAME
    entry["function"] = frame.name()
    entry["hasDebugInfo"] = frame.function() is not None
    sal = frame.find_sal()
    if sal.symtab is not None:
        entry["file"] = sal.symtab.filename
        entry["fullname"] = sal.symtab.fullname()
    else:
        entry["file"] = None
        entry["fullname"] = None
    entry["line"] = sal.line if sal.line else None
    frame.select()
    entry["args"], entry["locals"] = frame_variables(frame)
    entry["infoArgs"] = command("info args")
    entry["infoLocals"] = command("info locals")
    return entry


def frames_now():
    frames = []
    end = None
    try:
        frame = gdb.newest_frame()
    except gdb.error as error:
        return [], "no frame: %s" % error
    while frame is not None and len(frames) < UNWIND_LIMIT:
        try:
            frames.append(frame_entry(frame))
        except gdb.error as error:
            frames.append({"pc": None, "function": None, "error": str(error)})
            end = "error: %s" % error
            break
        try:
            older = frame.older()
        except gdb.error as error:
            end = "error: %s" % error
            break
        if older is None:
            reason = frame.unwind_stop_reason()
            end = gdb.frame_stop_reason_string(reason)
        frame = older
    gdb.newest_frame().select()
    return frames, end


def evaluate(expression):
    entry = {"expr": expression}
    try:
        value = gdb.parse_and_eval(expression)
        part = describe(expression, value)
        del part["name"]
        entry.update(part)
        try:
            address = value.address
        except gdb.error:
            address = None
        if address is not None:
            entry["address"] = int(address) & 0xFFFFFFFF
    except gdb.error as error:
        return {"expr": expression, "error": str(error)}
    entry["whatis"] = whatis(expression)
    entry["print"] = command("print " + expression).strip()
    return entry


def registers():
    reply = gdb.execute("maint packet g", to_string=True)
    match = re.search(r'received: "([0-9a-fA-F]+)"', reply)
    if not match:
        raise gdb.error("no reply to g: %r" % reply)
    g = match.group(1)
    words = [int.from_bytes(bytes.fromhex(g[8 * i : 8 * i + 8]), "little") for i in range(33)]
    return words[32], words[:32]


def csrs():
    frame = gdb.newest_frame()
    values = {}
    for name in ["mstatus", "mie", "mip", "mtvec", "mepc", "mcause", "mtval", "mscratch"]:
        try:
            values[name] = int(frame.read_register(name)) & 0xFFFFFFFF
        except (gdb.error, ValueError):
            pass
    return values


# ---- stops -----------------------------------------------------------------------------------


class CountingBreakpoint(gdb.Breakpoint):
    """Stops only at the hits someone asked for (like an ignore count, for several hits).

    A user breakpoint (`break *ADDR`), not an internal one, on purpose: where an inlined
    function's code starts at ADDR, gdb shows its inline frames only when a *user* breakpoint
    stopped there; for any other stop (an internal breakpoint, a step) it hides the inline
    frames that start at pc and shows the call site in the caller instead."""

    def __init__(self, address, hits):
        super().__init__("*0x%x" % address)
        self.address = address
        self.hits = set(hits)
        self.count = 0

    def stop(self):
        self.count += 1
        return self.count in self.hits


def connect(target):
    last = None
    for _ in range(100):
        try:
            gdb.execute("target remote " + target, to_string=True)
            return
        except gdb.error as error:
            last = error
            time.sleep(0.05)
    fail("cannot connect to QEMU at %s: %s" % (target, last))


class Watchdog:
    """Kills QEMU when the firmware runs `seconds` without reaching a requested stop: a run
    can go on forever (the crash demo ends in a loop of access faults at mtvec, and QEMU has no
    step limit), and gdb's `continue` only returns at a stop or when QEMU goes away."""

    def __init__(self, pid, seconds):
        self.pid = pid
        self.seconds = seconds
        self.timer = None
        self.fired = False

    def arm(self):
        self.disarm()
        if self.pid:
            self.timer = threading.Timer(self.seconds, self.fire)
            self.timer.daemon = True
            self.timer.start()

    def disarm(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def fire(self):
        self.fired = True
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass


def run_stops():
    wanted = {}
    for stop in request["stops"]:
        wanted.setdefault(int(stop["address"]), set()).add(int(stop["hit"]))
    expressions = request.get("expressions", [])
    connect(request["target"])
    breakpoints = {address: CountingBreakpoint(address, hits) for address, hits in wanted.items()}
    remaining = sum(len(hits) for hits in wanted.values())
    stops = []
    ended = None
    watchdog = Watchdog(int(request.get("qemuPid", 0)), float(request.get("stallSeconds", 5)))
    while remaining > 0:
        watchdog.arm()
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error as error:
            watchdog.disarm()
            ended = str(error)
            if watchdog.fired:
                ended = "no requested stop within %g s (QEMU killed): %s" % (watchdog.seconds, ended)
            break
        watchdog.disarm()
        try:
            pc, x = registers()
        except gdb.error as error:
            ended = str(error)
            break
        breakpoint = breakpoints.get(pc)
        if breakpoint is None or breakpoint.count not in breakpoint.hits:
            ended = "stopped at 0x%08x, which is not a requested stop" % pc
            break
        stop = {"address": pc, "hit": breakpoint.count, "pc": pc, "x": x, "csr": csrs()}
        stop["bt"] = command("bt")
        stop["frames"], stop["backtraceEnd"] = frames_now()
        stop["eval"] = [evaluate(expression) for expression in expressions]
        stops.append(stop)
        remaining -= 1
        if breakpoint.count >= max(breakpoint.hits):
            breakpoint.enabled = False
    done = {(stop["address"], stop["hit"]) for stop in stops}
    unreached = [
        {"address": address, "hit": hit}
        for address, hits in sorted(wanted.items())
        for hit in sorted(hits)
        if (address, hit) not in done
    ]
    result = {"stops": stops, "unreached": unreached}
    if ended is not None:
        result["ended"] = ended
    try:
        gdb.execute("kill", to_string=True)
    except gdb.error:
        pass
    finish(result)


# ---- discovery -------------------------------------------------------------------------------

STOP_MNEMONICS = {"wfi", "mret", "sret", "ecall", "ebreak", "c.ebreak"}


def text_symbols():
    listing = gdb.execute("maint print msymbols", to_string=True)
    symbols = []
    for line in listing.splitlines():
        match = re.match(r"\[\s*\d+\]\s+([Tt])\s+0x([0-9a-fA-F]+)\s+(\S+)", line)
        if match:
            symbols.append((int(match.group(2), 16), match.group(3)))
    return symbols


def is_call(text):
    """jal/jalr that links (gdb prints `jal 0x...` and `jalr a5` when the link register is ra,
    and `j`/`jr`/`ret` when it is zero)."""
    parts = text.split(None, 1)
    if parts[0] not in ("jal", "jalr"):
        return False
    operands = parts[1].split(",") if len(parts) > 1 else []
    return not operands or operands[0].strip() not in ("zero", "x0")


def function_blocks(block):
    """The function blocks around `block`, innermost first: inlined functions, then the
    function itself (last)."""
    blocks = []
    while block is not None and not block.is_static and not block.is_global:
        if block.function is not None:
            blocks.append(block)
        block = block.superblock
    return blocks


def discover():
    """For each function with debug information (its out-of-line code): its DWARF name, the ELF
    symbol, the range, where `break NAME` puts a breakpoint, every address the line table
    starts a row at (with the inlined functions active there, innermost first), and the
    instructions that follow a call (the return addresses callers' frames show). Instructions
    that gdb's software single-step cannot step over (wfi, mret, ecall, ebreak) are marked."""
    architecture = gdb.selected_inferior().architecture()
    functions = []
    seen_blocks = set()
    for address, symbol in text_symbols():
        blocks = function_blocks(gdb.block_for_pc(address))
        if not blocks:
            continue
        block = blocks[-1]
        if (block.start, block.end) in seen_blocks:
            continue
        seen_blocks.add((block.start, block.end))
        name = block.function.name
        entry = {"name": name, "symbol": symbol, "start": block.start, "end": block.end}
        spec = gdb.Breakpoint(name, internal=True)
        entry["breakAt"] = sorted(
            location.address for location in spec.locations if block.start <= location.address < block.end
        )
        spec.delete()
        instructions = []
        pc = block.start
        while pc < block.end:
            insn = architecture.disassemble(pc)[0]
            instructions.append(insn)
            pc += insn["length"]
        # Also the instruction before a wfi: stepping over a breakpoint there (gdb steps in
        # software: a breakpoint on the next instruction, then continue) resumes QEMU at the
        # wfi, and QEMU 7.2 under gdb never wakes from a WFI it was resumed at.
        entry["noStop"] = [
            insn["addr"]
            for index, insn in enumerate(instructions)
            if insn["asm"].split()[0] in STOP_MNEMONICS
            or (index + 1 < len(instructions) and instructions[index + 1]["asm"].split()[0] == "wfi")
        ]
        entry["returnSites"] = [
            insn["addr"] + insn["length"]
            for insn in instructions
            if is_call(insn["asm"]) and insn["addr"] + insn["length"] < block.end
        ]
        symtab = gdb.find_pc_line(block.start).symtab
        rows = []
        if symtab is not None:
            addresses = sorted(
                {item.pc for item in symtab.linetable() if item.line > 0 and block.start <= item.pc < block.end}
            )
            for pc in addresses:
                sal = gdb.find_pc_line(pc)
                rows.append(
                    {
                        "pc": pc,
                        "line": sal.line,
                        "inlined": [b.function.name for b in function_blocks(gdb.block_for_pc(pc))[:-1]],
                    }
                )
        entry["rows"] = rows
        functions.append(entry)
    finish({"functions": functions})


if request.get("mode") == "discover":
    discover()
elif request.get("mode") == "stops":
    run_stops()
else:
    fail("unknown mode %r" % request.get("mode"))
