/*
 * resetinfo - what the hart finds at reset on QEMU's virt board (-bios none), and mtime's pace.
 *
 *   1. What start.S saved at the first instruction: the pc it ran at, a0/a1/a2/t0 as the reset
 *      ROM left them, mcycle/minstret/mtime.
 *   2. mtime against minstret across busy loops of known instruction counts (10 MHz mtime is one
 *      tick per 100 instructions under -icount shift=0).
 *   3. The reset ROM at 0x1000: its six instructions, the start and device-tree addresses, the
 *      fw_dynamic_info a2 points at, and a store to the ROM (ignored, no trap).
 *   4. The flattened device tree at a1, read with the small walker below: the nodes and
 *      properties a bare-metal program needs to find the board's devices.
 *   5. A last line through the UART that /chosen/stdout-path names, then the exit through the
 *      sifive_test device that /poweroff's regmap names.
 *
 * Every value is also compared with what QEMU 7.2 gives; a difference is printed as
 * " <- MISMATCH, expected ..." and makes the exit status the number of mismatches (0 = all as
 * expected). Not printed on purpose: the blob's totalsize and the full riscv,isa string (an
 * emulator may build a smaller tree for the same devices), /chosen/rng-seed (random per boot).
 */
#include "board.h"

/* ---- what start.S saved ------------------------------------------------------------------ */
extern struct {
    uint32_t a0, a1, a2, t0;
    uint32_t mcycle, minstret, mtime_lo, mtime_hi, mcycleh, minstreth;
    uint32_t pc, started;
} boot_info;

extern char _start[];
void mtime_probe(uint32_t *out);
void mtime_edges(uint32_t *out);
#define EDGES 3
#define PROBE_POINTS 7
static const uint32_t probe_busy[PROBE_POINTS] = {0, 1000, 12345, 99, 100, 101, 250000};
#define PROBE_POINT_COST 4u /* csrr, lw, sw, sw */

/* ---- self-checks ------------------------------------------------------------------------- */
static uint32_t failures;

static void mismatch_hex(uint32_t want)
{
    uart_puts(" <- MISMATCH, expected ");
    print_hex(want);
    failures++;
}

static void expect(uint32_t got, uint32_t want)
{
    if (got != want)
        mismatch_hex(want);
}

static void expect_true(int ok, const char *what)
{
    if (!ok) {
        uart_puts(" <- MISMATCH, expected ");
        uart_puts(what);
        failures++;
    }
}

static void line(const char *label, uint32_t value, uint32_t want)
{
    uart_puts(label);
    uart_putc(' ');
    print_hex(value);
    expect(value, want);
    uart_putc('\n');
}

/* ---- small string helpers (no libc) ------------------------------------------------------ */
static uint32_t str_len(const char *s)
{
    uint32_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int bytes_eq(const void *a, const void *b, uint32_t n)
{
    const uint8_t *x = a, *y = b;
    for (uint32_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

/* ---- trap handler: record and skip (nothing here is expected to trap) -------------------- */
static volatile uint32_t trap_count, trap_cause, trap_epc, trap_tval;

void __attribute__((interrupt("machine"), aligned(4))) trap_entry(void)
{
    uint32_t epc = csr_read(mepc);
    trap_count++;
    trap_cause = csr_read(mcause);
    trap_epc = epc;
    trap_tval = csr_read(mtval);
    /* skip the instruction: 2 bytes if compressed */
    uint32_t len = (*(volatile uint16_t *)epc & 3) == 3 ? 4 : 2;
    csr_write(mepc, epc + len);
}

static void report_traps(uint32_t before)
{
    if (trap_count == before) {
        uart_puts("no trap");
        return;
    }
    uart_puts("trap mcause ");
    print_hex(trap_cause);
    uart_puts(" mtval ");
    print_hex(trap_tval);
    uart_puts(" <- MISMATCH, expected no trap");
    failures++;
}

/* ---- flattened device tree walker --------------------------------------------------------- */
#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE   2u
#define FDT_PROP       3u
#define FDT_NOP        4u
#define FDT_END        9u
#define FDT_MAX_DEPTH  16
#define FDT_MAX_PATH   128

static const uint8_t *fdt;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t fdt_header(unsigned index) { return be32(fdt + 4 * index); }

/*
 * Called for every node (prop == 0) and every property. path is the node's full path
 * ("/" for the root); pac/psc are the parent's #address-cells/#size-cells (what "reg" uses).
 * A non-zero return stops the walk.
 */
typedef int (*fdt_visit)(void *ctx, const char *path, const char *prop, const uint8_t *value,
                         uint32_t len, uint32_t pac, uint32_t psc);

/* Returns 0 when the structure block ended with FDT_END, -1 when it is malformed. */
static int fdt_walk(fdt_visit visit, void *ctx)
{
    const uint8_t *structure = fdt + fdt_header(2);
    const char *strings = (const char *)fdt + fdt_header(3);
    uint32_t size = fdt_header(9); /* size_dt_struct (version 17) */
    char path[FDT_MAX_PATH];
    uint32_t path_len[FDT_MAX_DEPTH + 1];
    uint32_t acells[FDT_MAX_DEPTH + 1], scells[FDT_MAX_DEPTH + 1];
    int depth = 0; /* number of open nodes */
    uint32_t off = 0;

    path[0] = 0;
    path_len[0] = 0;
    acells[0] = 2; /* defaults (devicetree spec 2.3.5) */
    scells[0] = 1;
    while (off + 4 <= size) {
        uint32_t token = be32(structure + off);
        off += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)structure + off;
            uint32_t n = str_len(name);
            off = (off + n + 1 + 3) & ~3u;
            if (depth == FDT_MAX_DEPTH)
                return -1;
            uint32_t at = path_len[depth];
            if (depth == 0) {
                if (n != 0)
                    return -1; /* the root's name is empty */
                path[0] = '/';
                at = 1;
            } else {
                if (depth > 1)
                    path[at++] = '/';
                if (at + n + 1 > FDT_MAX_PATH)
                    return -1;
                for (uint32_t i = 0; i < n; i++)
                    path[at++] = name[i];
            }
            path[at] = 0;
            depth++;
            path_len[depth] = at;
            acells[depth] = 2;
            scells[depth] = 1;
            if (visit(ctx, path, 0, 0, 0, acells[depth - 1], scells[depth - 1]))
                return 0;
        } else if (token == FDT_PROP) {
            if (depth == 0 || off + 8 > size)
                return -1;
            uint32_t len = be32(structure + off);
            const char *name = strings + be32(structure + off + 4);
            const uint8_t *value = structure + off + 8;
            off = (off + 8 + len + 3) & ~3u;
            if (len == 4 && str_eq(name, "#address-cells"))
                acells[depth] = be32(value);
            if (len == 4 && str_eq(name, "#size-cells"))
                scells[depth] = be32(value);
            path[path_len[depth]] = 0;
            if (visit(ctx, path, name, value, len, acells[depth - 1], scells[depth - 1]))
                return 0;
        } else if (token == FDT_END_NODE) {
            if (depth == 0)
                return -1;
            depth--;
            path[path_len[depth]] = 0;
        } else if (token == FDT_NOP) {
            continue;
        } else if (token == FDT_END) {
            return depth == 0 ? 0 : -1;
        } else {
            return -1;
        }
    }
    return -1;
}

/* Look-up of one property of one node. */
struct prop_query {
    const char *path, *prop;
    const uint8_t *value;
    uint32_t len, pac, psc;
    int node_found;
};

static int prop_visit(void *ctx, const char *path, const char *prop, const uint8_t *value,
                      uint32_t len, uint32_t pac, uint32_t psc)
{
    struct prop_query *q = ctx;
    if (!str_eq(path, q->path))
        return 0;
    q->node_found = 1;
    if (prop && str_eq(prop, q->prop)) {
        q->value = value;
        q->len = len;
        q->pac = pac;
        q->psc = psc;
        return 1;
    }
    return 0;
}

static struct prop_query fdt_prop(const char *path, const char *prop)
{
    struct prop_query q = {path, prop, 0, 0, 0, 0, 0};
    if (fdt_walk(prop_visit, &q) != 0) {
        uart_puts("device tree malformed <- MISMATCH\n");
        failures++;
    }
    return q;
}

/* The path of the node whose phandle is ph, copied into out. */
struct phandle_query {
    uint32_t phandle;
    char *out;
    int found;
};

static int phandle_visit(void *ctx, const char *path, const char *prop, const uint8_t *value,
                         uint32_t len, uint32_t pac, uint32_t psc)
{
    (void)pac, (void)psc;
    struct phandle_query *q = ctx;
    if (prop && len == 4 && str_eq(prop, "phandle") && be32(value) == q->phandle) {
        uint32_t i = 0;
        for (; path[i] && i < FDT_MAX_PATH - 1; i++)
            q->out[i] = path[i];
        q->out[i] = 0;
        q->found = 1;
        return 1;
    }
    return 0;
}

/* ---- printing device-tree values ---------------------------------------------------------- */

/* A string list as "a" "b" ... */
static void print_strings(const uint8_t *v, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        if (i)
            uart_putc(' ');
        uart_putc('"');
        for (; i < len && v[i]; i++)
            uart_putc((char)v[i]);
        uart_putc('"');
        i++;
    }
}

/* cells big-endian cells, printed as one number of 8*cells hex digits */
static void print_cells(const uint8_t *v, uint32_t cells)
{
    for (uint32_t i = 0; i < cells; i++)
        print_hex(be32(v + 4 * i));
}

/* The 64-bit value of 1 or 2 cells (0 for anything else). */
static uint64_t cells_value(const uint8_t *v, uint32_t cells)
{
    if (cells == 1)
        return be32(v);
    if (cells == 2)
        return (uint64_t)be32(v) << 32 | be32(v + 4);
    return 0;
}

/* Prints " reg A size S" for the first (address, size) pair of node's reg and checks it. */
static uint64_t show_reg(const char *path, uint64_t want_base, uint64_t want_size)
{
    struct prop_query q = fdt_prop(path, "reg");
    if (!q.value) {
        uart_puts(" reg missing <- MISMATCH");
        failures++;
        return 0;
    }
    uint32_t pair = 4 * (q.pac + q.psc);
    if (q.len < pair || pair == 0) {
        uart_puts(" reg too short <- MISMATCH");
        failures++;
        return 0;
    }
    uint64_t base = cells_value(q.value, q.pac), size = cells_value(q.value + 4 * q.pac, q.psc);
    uart_puts(" reg ");
    print_cells(q.value, q.pac);
    uart_puts(" size ");
    print_cells(q.value + 4 * q.pac, q.psc);
    if (!(q.pac == 2 && q.psc == 2 && base == want_base && size == want_size)) {
        uart_puts(" <- MISMATCH, expected 2+2 cells: reg ");
        print_hex((uint32_t)(want_base >> 32));
        print_hex((uint32_t)want_base);
        uart_puts(" size ");
        print_hex((uint32_t)(want_size >> 32));
        print_hex((uint32_t)want_size);
        failures++;
    }
    return base;
}

/* Prints " name <strings>" and checks it against want (NUL-separated, like the property). */
static void show_strings(const char *path, const char *prop, const char *want, uint32_t want_len)
{
    struct prop_query q = fdt_prop(path, prop);
    uart_putc(' ');
    uart_puts(prop);
    uart_putc(' ');
    if (!q.value) {
        uart_puts("missing <- MISMATCH");
        failures++;
        return;
    }
    print_strings(q.value, q.len);
    expect_true(q.len == want_len && bytes_eq(q.value, want, want_len), "other strings");
}

/* Prints " name XXXXXXXX" for a one-cell property and checks it. */
static uint32_t show_cell(const char *path, const char *prop, uint32_t want)
{
    struct prop_query q = fdt_prop(path, prop);
    uart_putc(' ');
    uart_puts(prop);
    uart_putc(' ');
    if (!q.value || q.len != 4) {
        uart_puts("missing <- MISMATCH");
        failures++;
        return 0;
    }
    print_hex(be32(q.value));
    expect(be32(q.value), want);
    return be32(q.value);
}

static void node_line(const char *path)
{
    uart_puts(path);
    struct prop_query q = fdt_prop(path, "");
    if (!q.node_found) {
        uart_puts(" no such node <- MISMATCH\n");
        failures++;
    }
}

/* string-list literals with their NULs: sizeof includes the final NUL */
#define STRS(s) s, sizeof(s)

/* ---- console through the UART the device tree names --------------------------------------- */
static void dt_uart_puts(uint32_t base, const char *s)
{
    for (; *s; s++) {
        while (!(REG8(base + 5) & UART_LSR_THRE))
            ;
        REG8(base) = (uint8_t)*s;
    }
}

static void dt_uart_hex(uint32_t base, uint32_t v)
{
    char buf[9];
    for (int i = 0; i < 8; i++)
        buf[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
    buf[8] = 0;
    dt_uart_puts(base, buf);
}

/* ------------------------------------------------------------------------------------------ */
int main(void)
{
    /* Before any output, so that nothing (e.g. waiting for the UART) can change the counts. */
    uint32_t probe[2 * PROBE_POINTS];
    mtime_probe(probe);
    uint32_t edges[2 * EDGES];
    mtime_edges(edges);

    uart_puts("resetinfo start\n");
    if (!boot_info.started) {
        uart_puts("_start did not run first\n");
        return 1;
    }

    /* 1. registers at the first instruction */
    line("first instruction at", boot_info.pc, 0x80000000u);
    line("_start symbol", (uint32_t)(uintptr_t)_start, 0x80000000u);
    line("a0 (hart id)", boot_info.a0, 0);
    line("mhartid", csr_read(mhartid), 0);
    line("a1 (device tree)", boot_info.a1, 0x87e00000u);
    line("a2 (fw_dynamic_info)", boot_info.a2, 0x00001028u);
    line("t0 (start address)", boot_info.t0, 0x80000000u);
    uart_puts("mcycle at _start ");
    print_hex(boot_info.mcycleh);
    print_hex(boot_info.mcycle);
    expect(boot_info.mcycle, 7);
    expect(boot_info.mcycleh, 0);
    uart_puts("\nminstret at _start ");
    print_hex(boot_info.minstreth);
    print_hex(boot_info.minstret);
    expect(boot_info.minstret, 8);
    expect(boot_info.minstreth, 0);
    uart_puts("\nmtime at _start ");
    print_hex(boot_info.mtime_hi);
    print_hex(boot_info.mtime_lo);
    expect(boot_info.mtime_lo, 0);
    expect(boot_info.mtime_hi, 0);
    uart_putc('\n');

    /* 2. mtime against minstret */
    uart_puts("# mtime probe: minstret and mtime after busy loops of known length\n");
    for (int k = 0; k < PROBE_POINTS; k++) {
        uint32_t instret = probe[2 * k], mtime = probe[2 * k + 1];
        uart_puts("point ");
        print_dec(k);
        uart_puts(" minstret ");
        print_hex(instret);
        uart_puts(" mtime ");
        print_hex(mtime);
        if (k > 0) {
            uint32_t di = instret - probe[2 * k - 2], dt = mtime - probe[2 * k - 1];
            uart_puts(" busy ");
            print_dec(probe_busy[k]);
            uart_puts(" -> +");
            print_dec(di);
            uart_puts(" instructions +");
            print_dec(dt);
            uart_puts(" ticks");
            expect(di, probe_busy[k] + PROBE_POINT_COST);
            /* 10 MHz at 1 instruction per ns: ticks = instructions / 100, give or take one */
            expect_true(dt * 100 + 100 > di && di + 100 > dt * 100, "one tick per 100 instructions");
        }
        /* The lw of mtime is the instruction after the csrr of minstret. */
        expect_true(mtime == (instret + 1) / 100, "mtime == (minstret + 1) / 100");
        uart_putc('\n');
    }

    for (int k = 0; k < EDGES; k++) {
        uint32_t mtime = edges[2 * k], instret = edges[2 * k + 1];
        uart_puts("edge ");
        print_dec(k);
        uart_puts(": an lw first reads mtime ");
        print_hex(mtime);
        uart_puts(", the csrr minstret after it reads ");
        print_hex(instret);
        /*
         * The instruction that retires as the n-th since reset (counting the ROM's 6 from 1)
         * reads minstret/mcycle = n and mtime = n / 100. The lw is instruction instret - 1, and
         * the loop is 3 instructions long, so it is one of the 3 instructions after the tick.
         */
        expect_true(mtime == (instret - 1) / 100 && (instret - 1) % 100 < 3, "lw at instruction 100*mtime + 0..2");
        uart_putc('\n');
    }

    /* 3. the reset ROM */
    uart_puts("# reset ROM\n");
    static const uint32_t rom_want[6] = {0x00000297, 0x02828613, 0xf1402573,
                                         0x0202a583, 0x0182a283, 0x00028067};
    static const char *const rom_text[6] = {"auipc t0, 0", "addi a2, t0, 40", "csrr a0, mhartid",
                                            "lw a1, 32(t0)", "lw t0, 24(t0)", "jr t0"};
    for (int i = 0; i < 6; i++) {
        uart_puts("rom ");
        print_hex(0x1000u + 4 * i);
        uart_putc(' ');
        print_hex(REG32(0x1000u + 4 * i));
        uart_putc(' ');
        uart_puts(rom_text[i]);
        expect(REG32(0x1000u + 4 * i), rom_want[i]);
        uart_putc('\n');
    }
    line("rom 00001018 start address", REG32(0x1018), 0x80000000u);
    line("rom 0000101c start address high", REG32(0x101c), 0);
    line("rom 00001020 device tree address", REG32(0x1020), 0x87e00000u);
    line("rom 00001024 device tree address high", REG32(0x1024), 0);
    {
        const volatile uint32_t *info = (const volatile uint32_t *)(uintptr_t)boot_info.a2;
        static const char *const names[6] = {"magic", "version", "next_addr", "next_mode",
                                              "options", "boot_hart"};
        static const uint32_t want[6] = {0x4942534f, 2, 0x80000000u, 1, 0, 0};
        uart_puts("fw_dynamic_info at a2:");
        for (int i = 0; i < 6; i++) {
            uart_putc(' ');
            uart_puts(names[i]);
            uart_putc(' ');
            print_hex(info[i]);
            expect(info[i], want[i]);
        }
        uart_putc('\n');
    }
    {
        uint32_t before = trap_count;
        REG32(0x1000) = 0x12345678u;
        uint32_t after = REG32(0x1000);
        uart_puts("rom store 12345678 to 00001000: ");
        report_traps(before);
        uart_puts(", reads back ");
        print_hex(after);
        expect(after, 0x00000297);
        uart_putc('\n');
    }

    /* 4. the device tree */
    fdt = (const uint8_t *)(uintptr_t)boot_info.a1;
    uart_puts("# device tree at a1\n");
    line("fdt magic", fdt_header(0), FDT_MAGIC);
    if (fdt_header(0) != FDT_MAGIC)
        return (int)failures;
    uart_puts("fdt version >= 17, last_comp_version <= 16: ");
    uart_puts(fdt_header(5) >= 17 && fdt_header(6) <= 16 ? "yes" : "no");
    expect_true(fdt_header(5) >= 17 && fdt_header(6) <= 16, "yes (version 17)");
    uart_putc('\n');

    node_line("/");
    show_cell("/", "#address-cells", 2);
    show_cell("/", "#size-cells", 2);
    uart_putc('\n');

    node_line("/memory@80000000");
    show_strings("/memory@80000000", "device_type", STRS("memory"));
    show_reg("/memory@80000000", 0x80000000u, 0x08000000u);
    uart_putc('\n');

    uint32_t uart_base = 0;
    {
        node_line("/chosen");
        show_strings("/chosen", "stdout-path", STRS("/soc/serial@10000000"));
        uart_putc('\n');
        struct prop_query q = fdt_prop("/chosen", "stdout-path");
        if (q.value) {
            /* stdout-path may carry ":options"; the node path ends before ':' */
            char path[FDT_MAX_PATH];
            uint32_t i = 0;
            for (; i < q.len && i < FDT_MAX_PATH - 1 && q.value[i] && q.value[i] != ':'; i++)
                path[i] = (char)q.value[i];
            path[i] = 0;
            uart_puts("stdout-path node ");
            uart_puts(path);
            struct prop_query reg = fdt_prop(path, "reg");
            if (reg.value && reg.pac == 2 && be32(reg.value) == 0)
                uart_base = be32(reg.value + 4);
            uart_puts(" uart at ");
            print_hex(uart_base);
            expect(uart_base, UART0_BASE);
            uart_putc('\n');
        }
    }

    node_line("/cpus");
    show_cell("/cpus", "timebase-frequency", 10000000);
    uart_putc('\n');
    {
        node_line("/cpus/cpu@0");
        struct prop_query q = fdt_prop("/cpus/cpu@0", "riscv,isa");
        int rv32 = q.value && q.len >= 5 && bytes_eq(q.value, "rv32", 4) && q.value[q.len - 1] == 0;
        uart_puts(" riscv,isa ");
        uart_puts(q.value ? "present" : "missing");
        uart_puts(", starts with \"rv32\": ");
        uart_puts(rv32 ? "yes" : "no");
        expect_true(rv32, "present and rv32");
        uart_putc('\n');
    }

    static const struct {
        const char *path;
        const char *compatible;
        uint32_t compatible_len;
        uint32_t base, size;
    } devices[4] = {
        {"/soc/serial@10000000", STRS("ns16550a"), 0x10000000u, 0x100},
        {"/soc/clint@2000000", STRS("sifive,clint0\0riscv,clint0"), 0x02000000u, 0x10000},
        {"/soc/plic@c000000", STRS("sifive,plic-1.0.0\0riscv,plic0"), 0x0c000000u, 0x600000},
        {"/soc/test@100000", STRS("sifive,test1\0sifive,test0\0syscon"), 0x00100000u, 0x1000},
    };
    for (int i = 0; i < 4; i++) {
        node_line(devices[i].path);
        show_strings(devices[i].path, "compatible", devices[i].compatible,
                     devices[i].compatible_len);
        show_reg(devices[i].path, devices[i].base, devices[i].size);
        uart_putc('\n');
    }

    /* /poweroff and /reboot: syscon-poweroff/-reboot pointing at the test device */
    uint32_t exit_addr = 0, exit_value = 0;
    static const struct {
        const char *path;
        uint32_t value;
    } syscons[2] = {{"/poweroff", 0x5555}, {"/reboot", 0x7777}};
    for (int i = 0; i < 2; i++) {
        node_line(syscons[i].path);
        uint32_t value = show_cell(syscons[i].path, "value", syscons[i].value);
        uint32_t offset = show_cell(syscons[i].path, "offset", 0);
        struct prop_query q = fdt_prop(syscons[i].path, "regmap");
        char target[FDT_MAX_PATH];
        struct phandle_query pq = {q.value && q.len == 4 ? be32(q.value) : 0xffffffffu, target, 0};
        fdt_walk(phandle_visit, &pq);
        uart_puts(" regmap -> ");
        uart_puts(pq.found ? target : "(none)");
        expect_true(pq.found && str_eq(target, "/soc/test@100000"), "/soc/test@100000");
        uart_putc('\n');
        if (i == 0 && pq.found) {
            struct prop_query reg = fdt_prop(target, "reg");
            if (reg.value && reg.pac == 2 && be32(reg.value) == 0)
                exit_addr = be32(reg.value + 4) + offset;
            exit_value = value;
        }
    }
    uart_puts("poweroff register ");
    print_hex(exit_addr);
    uart_puts(" value ");
    print_hex(exit_value);
    expect_true(exit_addr == FINISHER_BASE && exit_value == FINISHER_PASS, "00100000 00005555");
    uart_putc('\n');

    /* 5. last line through the device tree's UART, exit through its test device */
    if (uart_base == 0 || exit_addr == 0) {
        uart_puts("no console or poweroff device in the device tree\n");
        return 100;
    }
    dt_uart_puts(uart_base, "resetinfo done through the uart at ");
    dt_uart_hex(uart_base, uart_base);
    dt_uart_puts(uart_base, ", mismatches ");
    dt_uart_hex(uart_base, failures);
    dt_uart_puts(uart_base, "\n");
    uint32_t status = failures > 100 ? 100 : failures;
    REG32(exit_addr) = status == 0 ? exit_value : (status << 16) | FINISHER_FAIL;
    for (;;)
        wfi();
}
