/*
 * misaligned - QEMU's virt hart performs misaligned loads and stores instead of trapping.
 *
 *   loads:   lw, lh, lhu, c.lw at every offset of a word, across a 64-byte line boundary and
 *            across a 4 KiB page boundary, compared with the same bytes read one by one
 *   stores:  sw, sh, c.sw at the same places, then the bytes around them read one by one
 *   sign:    lh/lhu of 0x8001 and 0x7ffe stored at offsets 1 and 3 and across the page
 *   rom:     misaligned loads from the reset ROM at 0x1000 (memory that is not RAM)
 *   atomics: lr.w, sc.w, amoadd.w, amoswap.w at offsets 0..3: what traps (mcause, mepc, mtval)
 *            and what rd and memory hold afterwards. QEMU 7.2: misaligned lr.w, amoadd.w and
 *            amoswap.w all raise cause 4 (load address misaligned, mtval = the address; the spec
 *            says 6 for AMOs); a misaligned sc.w does not trap, it just fails (rd = 1) because
 *            there can be no reservation for that address. Timescope follows the spec there
 *            (cause 6), so those lines print only "not performed" and the memory.
 *
 * Each line is checked against what QEMU 7.2 does; a difference adds " <- MISMATCH" and counts
 * towards the exit status (0 = everything as on QEMU). Addresses are printed relative to the
 * 8 KiB test buffer (buf+XXXX, the buffer is 4 KiB aligned), mepc relative to the instruction.
 *
 * Left out on purpose: misaligned loads from devices (CLINT, UART, PLIC). QEMU 7.2's results
 * there are not sensible: lw at mtimecmp+1 returns bytes shifted out of the 64-bit register, lh
 * at CLINT+1 faults with mtval = the address rounded down, lw at UART+5 faults with mtval
 * UART+8, lh at UART+5 returns 0xffffb000.
 */
#include "board.h"

#define RD_UNTOUCHED 0x0badc0deu

uint32_t ld_w(uint32_t a), ld_h(uint32_t a), ld_hu(uint32_t a), ld_c_w(uint32_t a);
void st_w(uint32_t a, uint32_t v), st_h(uint32_t a, uint32_t v), st_c_w(uint32_t a, uint32_t v);
uint32_t lr_w(uint32_t a), sc_w(uint32_t a, uint32_t v);
uint32_t amoadd_w(uint32_t a, uint32_t v), amoswap_w(uint32_t a, uint32_t v);
uint32_t lr_then_sc(uint32_t reserve, uint32_t a, uint32_t v);
extern char ld_w_insn[], ld_h_insn[], ld_hu_insn[], ld_c_w_insn[], st_w_insn[], st_h_insn[],
    st_c_w_insn[], lr_w_insn[], sc_w_insn[], amoadd_w_insn[], amoswap_w_insn[], lr_then_sc_insn[];
void trap_entry(void);

/* count, then (mcause, mepc, mtval) per trap; written by trap_entry in access.S */
#define TRAP_LOG_SIZE 256
volatile uint32_t trap_log[1 + 3 * TRAP_LOG_SIZE];

static uint8_t buf[8192] __attribute__((aligned(4096)));
#define BUF  ((uint32_t)(uintptr_t)buf)
#define WORD 0x100u  /* an aligned word */
#define LINE 0x140u  /* a 64-byte line boundary */
#define PAGE 0x1000u /* a 4 KiB page boundary */
#define ATOM 0x200u  /* atomics */

static uint32_t failures;
static uint32_t traps_reported;
/* Traps of not-performed atomics: not counted in the "traps" line (QEMU and the spec differ). */
static uint32_t quiet_traps;

static void mismatch(void)
{
    uart_puts(" <- MISMATCH");
    failures++;
}

static uint8_t pattern(uint32_t offset) { return (uint8_t)(offset * 0x11u + 0x80u); }

static void fill_pattern(void)
{
    for (uint32_t i = 0; i < sizeof buf; i++)
        ((volatile uint8_t *)buf)[i] = pattern(i);
}

static uint32_t byte_at(uint32_t addr) { return *(volatile uint8_t *)(uintptr_t)addr; }

static uint32_t bytes_le(uint32_t addr, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | byte_at(addr + i);
    return v;
}

static void print_hex2(uint32_t v)
{
    uart_putc("0123456789abcdef"[(v >> 4) & 0xf]);
    uart_putc("0123456789abcdef"[v & 0xf]);
}

static void print_place(uint32_t addr)
{
    if (addr >= BUF && addr < BUF + sizeof buf) {
        uart_puts("buf+");
        print_hex2((addr - BUF) >> 8);
        print_hex2(addr - BUF);
    } else {
        print_hex(addr);
    }
}

/* The name of a site: word+N, line-N, page-N */
static void print_site(uint32_t offset)
{
    if (offset >= PAGE - 8 && offset < PAGE + 8) {
        uart_puts(offset < PAGE ? "page-" : "page+");
        print_dec(offset < PAGE ? PAGE - offset : offset - PAGE);
    } else if (offset >= LINE - 8 && offset < LINE + 8) {
        uart_puts(offset < LINE ? "line-" : "line+");
        print_dec(offset < LINE ? LINE - offset : offset - LINE);
    } else if (offset >= ATOM && offset < ATOM + 8) {
        uart_puts("atom+");
        print_dec(offset - ATOM);
    } else {
        uart_puts("word+");
        print_dec(offset - WORD);
    }
}

/*
 * If the access just made trapped, prints " trap mcause C mepc-off O mtval M" and returns 1.
 * insn is the label of the instruction that is allowed to trap.
 */
static int took_trap_quietly(const char *insn, int quiet)
{
    uint32_t count = trap_log[0];
    if (count == traps_reported)
        return 0;
    uint32_t i = traps_reported;
    traps_reported = count;
    if (quiet) {
        quiet_traps += count - i;
        return 1;
    }
    if (i >= TRAP_LOG_SIZE) {
        uart_puts(" trap (log full)");
        return 1;
    }
    uart_puts(" trap mcause ");
    print_hex(trap_log[1 + 3 * i]);
    uart_puts(" mepc-off ");
    print_hex(trap_log[2 + 3 * i] - (uint32_t)(uintptr_t)insn);
    uart_puts(" mtval ");
    print_place(trap_log[3 + 3 * i]);
    if (count != i + 1) {
        uart_puts(" (and ");
        print_dec(count - i - 1);
        uart_puts(" more)");
    }
    return 1;
}

static int took_trap(const char *insn) { return took_trap_quietly(insn, 0); }

/* A load that must not trap: " name value", checked against want. */
static void show_load(const char *name, const char *insn, uint32_t got, uint32_t want)
{
    uart_putc(' ');
    uart_puts(name);
    if (took_trap(insn)) {
        mismatch();
        return;
    }
    uart_putc(' ');
    print_hex(got);
    if (got != want)
        mismatch();
}

static uint32_t sext16(uint32_t v) { return (uint32_t)(int32_t)(int16_t)v; }

static void load_line(uint32_t offset)
{
    uint32_t a = BUF + offset;
    uart_puts("load ");
    print_site(offset);
    show_load("lw", ld_w_insn, ld_w(a), bytes_le(a, 4));
    show_load("lh", ld_h_insn, ld_h(a), sext16(bytes_le(a, 2)));
    show_load("lhu", ld_hu_insn, ld_hu(a), bytes_le(a, 2));
    show_load("c.lw", ld_c_w_insn, ld_c_w(a), bytes_le(a, 4));
    uart_putc('\n');
}

/* A store, then the 8 bytes from 2 before the address read one by one. */
static void store_line(uint32_t offset)
{
    static const struct {
        const char *name;
        void (*store)(uint32_t, uint32_t);
        const char *insn;
        uint32_t value;
        int size;
    } stores[3] = {
        {"sw", st_w, st_w_insn, 0x44332211u, 4},
        {"sh", st_h, st_h_insn, 0x00006655u, 2},
        {"c.sw", st_c_w, st_c_w_insn, 0xaa998877u, 4},
    };
    uint32_t a = BUF + offset;
    for (int s = 0; s < 3; s++) {
        for (uint32_t i = 0; i < 8; i++)
            ((volatile uint8_t *)buf)[offset - 2 + i] = 0xee;
        stores[s].store(a, stores[s].value);
        uart_puts("store ");
        print_site(offset);
        uart_putc(' ');
        uart_puts(stores[s].name);
        uart_putc(' ');
        print_hex(stores[s].value);
        uart_puts(" ->");
        int trapped = took_trap(stores[s].insn);
        int ok = !trapped;
        for (int i = 0; i < 8; i++) {
            uint32_t want = i >= 2 && i < 2 + stores[s].size ? (stores[s].value >> (8 * (i - 2))) & 0xff
                                                              : 0xee;
            uint32_t got = byte_at(a - 2 + i);
            uart_putc(' ');
            print_hex2(got);
            ok &= got == want;
        }
        if (!ok)
            mismatch();
        uart_putc('\n');
    }
}

static void sign_line(uint32_t offset)
{
    uint32_t a = BUF + offset;
    uart_puts("sign ");
    print_site(offset);
    static const uint32_t values[2] = {0x8001, 0x7ffe};
    for (int i = 0; i < 2; i++) {
        st_h(a, values[i]);
        if (took_trap(st_h_insn))
            mismatch();
        uart_puts(i ? "; sh " : ": sh ");
        print_hex(values[i]);
        uart_puts(" ->");
        show_load("lh", ld_h_insn, ld_h(a), sext16(values[i]));
        show_load("lhu", ld_hu_insn, ld_hu(a), values[i]);
    }
    uart_putc('\n');
}

/* ---- atomics ------------------------------------------------------------------------------ */
struct atomic_want {
    int traps;
    uint32_t mcause; /* when it traps */
    uint32_t rd;     /* when it does not */
    uint32_t mem;    /* the aligned word at ATOM afterwards */
    /*
     * A misaligned sc.w or AMO, where QEMU 7.2 and the spec differ (QEMU: a failed sc.w, cause 4
     * for AMOs; the spec and Timescope: store/AMO address-misaligned, 6). Only what both agree
     * on is printed: the access is not performed, rd is not written with a value, memory holds.
     */
    int not_performed;
};

static void atomic_line(const char *name, const char *insn, uint32_t offset, uint32_t rd,
                        const struct atomic_want *want)
{
    uint32_t a = BUF + offset;
    uart_puts(name);
    uart_putc(' ');
    print_site(offset);
    uint32_t log_index = traps_reported;
    int trapped = took_trap_quietly(insn, want->not_performed);
    int ok = trapped == want->traps;
    if (want->not_performed) {
        if (trapped && log_index < TRAP_LOG_SIZE) {
            uint32_t cause = trap_log[1 + 3 * log_index];
            ok = (cause == 4 || cause == 6) && trap_log[2 + 3 * log_index] == (uint32_t)(uintptr_t)insn &&
                 trap_log[3 + 3 * log_index] == a && rd == RD_UNTOUCHED;
        } else {
            ok = !trapped && rd == want->rd;  /* only a failed sc.w may go without a trap */
        }
        uart_puts(" not performed");
    } else if (trapped && log_index >= TRAP_LOG_SIZE) {
        ok = 0;
    } else if (trapped) {
        ok &= trap_log[1 + 3 * log_index] == want->mcause && trap_log[2 + 3 * log_index] == (uint32_t)(uintptr_t)insn &&
              trap_log[3 + 3 * log_index] == a;
        uart_puts(rd == RD_UNTOUCHED ? ", rd untouched" : ", rd written <- MISMATCH");
        ok &= rd == RD_UNTOUCHED;
    } else {
        uart_puts(" no trap, rd ");
        print_hex(rd);
        ok &= rd == want->rd;
    }
    uart_puts(", memory");
    for (int i = 0; i < 8; i++) {
        uart_putc(' ');
        print_hex2(byte_at(BUF + ATOM + i));
    }
    ok &= bytes_le(BUF + ATOM, 4) == want->mem;
    if (!ok)
        mismatch();
    uart_putc('\n');
}

static void reset_atom(void)
{
    for (uint32_t i = 0; i < 8; i++)
        ((volatile uint8_t *)buf)[ATOM + i] = (uint8_t)(0x10 * (i + 1) + i + 1); /* 11 22 33 .. 88 */
    sc_w(BUF + ATOM + 64, 0); /* drops any reservation */
    traps_reported = trap_log[0];
}

static void atomics(void)
{
    const uint32_t mem0 = 0x44332211u;
    for (uint32_t off = 0; off < 4; off++) {
        reset_atom();
        uint32_t rd = lr_w(BUF + ATOM + off);
        struct atomic_want w = {off != 0, 4, mem0, mem0};
        atomic_line("lr.w", lr_w_insn, ATOM + off, rd, &w);
    }
    for (uint32_t off = 0; off < 4; off++) {
        reset_atom();
        uint32_t rd = sc_w(BUF + ATOM + off, 0xcafef00du);
        /*
         * No reservation: QEMU 7.2 compares the address with the reservation before anything
         * else, so sc.w fails (rd 1) without a trap, misaligned or not. (The spec would allow
         * an address-misaligned or access-fault exception for the misaligned ones.)
         */
        struct atomic_want w = {0, 0, 1, mem0, off != 0};
        atomic_line("sc.w without reservation", sc_w_insn, ATOM + off, rd, &w);
    }
    for (uint32_t off = 0; off < 4; off++) {
        reset_atom();
        uint32_t rd = lr_then_sc(BUF + ATOM, BUF + ATOM + off, 0xcafef00du);
        /* the reservation is for the aligned word: sc.w elsewhere fails without a trap on QEMU */
        struct atomic_want w = {0, 0, off != 0, off == 0 ? 0xcafef00du : mem0, off != 0};
        atomic_line("lr.w atom+0, sc.w", lr_then_sc_insn, ATOM + off, rd, &w);
    }
    for (uint32_t off = 0; off < 4; off++) {
        reset_atom();
        uint32_t rd = amoadd_w(BUF + ATOM + off, 0x01010101u);
        /*
         * QEMU 7.2 with one hart does an AMO as a load then a store, and the load's alignment
         * check fires first: cause 4 (load address misaligned), where the spec says 6
         * (store/AMO address misaligned). Same with and without -icount.
         */
        struct atomic_want w = {off != 0, 4, mem0, off == 0 ? mem0 + 0x01010101u : mem0, off != 0};
        atomic_line("amoadd.w", amoadd_w_insn, ATOM + off, rd, &w);
    }
    for (uint32_t off = 0; off < 4; off++) {
        reset_atom();
        uint32_t rd = amoswap_w(BUF + ATOM + off, 0x5a5a5a5au);
        struct atomic_want w = {off != 0, 4, mem0, off == 0 ? 0x5a5a5a5au : mem0, off != 0};
        atomic_line("amoswap.w", amoswap_w_insn, ATOM + off, rd, &w);
    }
}

int main(void)
{
    csr_write(mtvec, (uint32_t)(uintptr_t)trap_entry);
    uart_puts("misaligned start\n");
    fill_pattern();

    uart_puts("# loads (buf byte i = 0x80 + 0x11 * i)\n");
    for (uint32_t off = 0; off < 8; off++)
        load_line(WORD + off);
    for (uint32_t off = 3; off >= 1; off--)
        load_line(LINE - off);
    for (uint32_t off = 3; off >= 1; off--)
        load_line(PAGE - off);

    uart_puts("# stores (then the 8 bytes from address-2 read one by one)\n");
    for (uint32_t off = 0; off < 4; off++)
        store_line(WORD + off);
    for (uint32_t off = 3; off >= 1; off--)
        store_line(LINE - off);
    for (uint32_t off = 3; off >= 1; off--)
        store_line(PAGE - off);

    uart_puts("# sign extension\n");
    sign_line(WORD + 1);
    sign_line(WORD + 3);
    sign_line(PAGE - 1);

    uart_puts("# reset ROM at 00001000\n");
    for (uint32_t a = 0x1001; a <= 0x1003; a++) {
        uart_puts("load rom ");
        print_hex(a);
        show_load("lw", ld_w_insn, ld_w(a), bytes_le(a, 4));
        show_load("lh", ld_h_insn, ld_h(a), sext16(bytes_le(a, 2)));
        show_load("lhu", ld_hu_insn, ld_hu(a), bytes_le(a, 2));
        uart_putc('\n');
    }

    uart_puts("# atomics (atom = buf+0200, bytes 11 22 .. 88 before each)\n");
    atomics();

    uart_puts("traps ");
    print_dec(trap_log[0] - quiet_traps);
    uart_puts(", mismatches ");
    print_dec(failures);
    uart_puts("\nmisaligned done\n");
    return failures > 100 ? 100 : (int)failures;
}
