/*
 * traps - nested traps are ordinary traps: a trap taken before the handler's mret just
 * overwrites mepc/mcause/mtval and mstatus.MPIE/MPP, as the privileged spec says, and the
 * handler that saved them can carry on.
 *
 *   (a) the riscv-tests `p` start-up probe chain: mtvec pointed at the next instruction, a CSR
 *       access that may trap, repeated with no mret in between
 *   (b) an ecall inside an illegal-instruction handler, and a c.ebreak inside that ecall's
 *       handler (three levels); each level saves mepc/mstatus and restores them
 *   (c) nested interrupts: a timer interrupt handler re-enables mstatus.MIE and takes a
 *       software interrupt (msip) inside it
 *   (d) exceptions (load access fault, illegal instruction) inside that interrupt handler
 *   (e) ebreak and c.ebreak inside that handler, and a c.ebreak inside an ebreak handler
 *
 * Every trap entry is logged ("enter": depth, mcause, mepc relative to the instruction that
 * should have trapped, mtval, mstatus MIE/MPIE/MPP), and so is what an outer handler finds once
 * a nested trap has returned ("back": mcause/mepc/mtval of the inner trap, MIE/MPIE). The log is
 * compared with the expected sequence; the exit status is the number of mismatches (0 = all as
 * on QEMU 7.2).
 *
 * Printed as "-" on purpose: mtval of ebreak/c.ebreak (QEMU writes 0, the spec also allows the
 * pc; checked to be one of the two) and MPP after an mret (the least-privileged mode the hart
 * has: U on QEMU, M on an M-only hart). CSRs that exist on QEMU's hart because it has S/H mode
 * (satp, medeleg, mideleg, menvcfg, hstatus, mhpmcounter3, ...) are not probed.
 */
#include "board.h"

#define MSTATUS_MPIE (1u << 7)
#define MSTATUS_MPP  (3u << 11)

void probe_chain(uint32_t *out);
void trap_stub(void);
uint32_t t_illegal(void), t_ecall(void), t_ebreak(void), t_cebreak(void), t_load_fault(void);
void irq_window(void);
extern char t_illegal_insn[], t_ecall_insn[], t_ebreak_insn[], t_cebreak_insn[],
    t_load_fault_insn[], irq_point[];
extern char probe_0[], probe_1[], probe_2[], probe_3[], probe_4[], probe_5[], probe_6[],
    probe_7[], probe_8[], probe_9[], probe_10[];

static uint32_t failures;

static void mismatch(void)
{
    uart_puts(" <- MISMATCH");
    failures++;
}

static void print_status(uint32_t status, int with_mpp)
{
    uart_puts(" MIE ");
    print_dec((status >> 3) & 1);
    uart_puts(" MPIE ");
    print_dec((status >> 7) & 1);
    if (with_mpp) {
        uart_puts(" MPP ");
        print_dec((status >> 11) & 3);
    }
}

/* ---- (a) the probe chain ------------------------------------------------------------------ */
#define PROBES 11
static void chain(void)
{
    static const struct {
        const char *what;
        const char *label;
        const char *insn;
        uint32_t mcause; /* 0: no trap */
        uint32_t mtval;  /* 1: the instruction's bits */
        uint32_t mpie;
    } want[PROBES] = {
        {"csrr 0x7c0 (custom, absent)", "probe_0", probe_0, 2, 1, 1},
        {"csrw pmpaddr0", "probe_1", probe_1, 0, 0, 1},
        {"csrw pmpcfg0", "probe_2", probe_2, 0, 0, 1},
        {"csrw tselect", "probe_3", probe_3, 0, 0, 1},
        {"csrr fcsr", "probe_4", probe_4, 2, 1, 0},
        {"csrw mhartid (read-only)", "probe_5", probe_5, 2, 1, 0},
        {"csrw mcounteren", "probe_6", probe_6, 0, 0, 0},
        {"csrr 0x3c0 (pmpaddr16, absent)", "probe_7", probe_7, 2, 1, 0},
        {"ecall", "probe_8", probe_8, 11, 0, 0},
        {"lw from 00200000", "probe_9", probe_9, 5, 0x00200000, 0},
        {"csrr mscratch", "probe_10", probe_10, 0, 0, 0},
    };
    uint32_t out[4 * PROBES];
    probe_chain(out);
    csr_write(mtvec, (uint32_t)(uintptr_t)trap_stub);

    uart_puts("# (a) probe chain: mtvec = next instruction, no mret (MIE 1 before the first)\n");
    for (int i = 0; i < PROBES; i++) {
        uint32_t mcause = out[4 * i], mepc = out[4 * i + 1], mtval = out[4 * i + 2],
                 status = out[4 * i + 3];
        uint32_t insn_bits = *(const uint32_t *)want[i].insn;
        uart_puts("probe ");
        print_dec(i);
        uart_putc(' ');
        uart_puts(want[i].what);
        uart_puts(":");
        int ok;
        if (mepc == 0) {
            uart_puts(" no trap,");
            ok = want[i].mcause == 0 && mcause == 0 && mtval == 0;
        } else {
            uart_puts(" mcause ");
            print_hex(mcause);
            uart_puts(" mepc ");
            uart_puts(want[i].label);
            uart_putc('+');
            print_hex(mepc - (uint32_t)(uintptr_t)want[i].insn);
            uart_puts(" mtval ");
            print_hex(mtval);
            uint32_t want_tval = want[i].mtval == 1 ? insn_bits : want[i].mtval;
            ok = mcause == want[i].mcause && mepc == (uint32_t)(uintptr_t)want[i].insn &&
                 mtval == want_tval && (status & MSTATUS_MPP) == MSTATUS_MPP;
        }
        print_status(status, mepc != 0);
        ok &= ((status >> 3) & 1) == 0 && ((status >> 7) & 1) == want[i].mpie;
        if (!ok)
            mismatch();
        uart_putc('\n');
    }
}

/* ---- the log of trap entries -------------------------------------------------------------- */
enum { ENTER = 1, BACK = 2 };
struct record {
    uint32_t kind, depth, mcause, mepc, mtval, mstatus;
};
#define LOG_SIZE 32
static volatile struct record log[LOG_SIZE];
static volatile uint32_t log_count;     /* records */
static volatile uint32_t entries;       /* handler entries */
static volatile uint32_t depth;
static volatile uint32_t unexpected;

enum { SCENARIO_B = 1, SCENARIO_C, SCENARIO_E };
static volatile int scenario;

static void record(uint32_t kind, uint32_t d)
{
    if (log_count < LOG_SIZE) {
        volatile struct record *r = &log[log_count];
        r->kind = kind;
        r->depth = d;
        r->mcause = csr_read(mcause);
        r->mepc = csr_read(mepc);
        r->mtval = csr_read(mtval);
        r->mstatus = csr_read(mstatus);
    }
    log_count++;
}

static uint32_t insn_length(uint32_t pc) { return (*(volatile uint16_t *)pc & 3) == 3 ? 4 : 2; }

/* Called by trap_stub (probes.S) for every trap after the probe chain. */
void trap_dispatch(void)
{
    uint32_t cause = csr_read(mcause), epc = csr_read(mepc), status = csr_read(mstatus);
    uint32_t d = ++depth;
    entries++;
    record(ENTER, d);

    if (cause == (MCAUSE_INT | IRQ_M_TIMER)) {
        clint_set_mtimecmp(~0ull); /* MTIP drops */
        if (scenario == SCENARIO_C && d == 1) {
            /* (c) a software interrupt inside the timer interrupt handler */
            REG32(CLINT_MSIP) = 1;
            irq_window();
            record(BACK, d);
            /* (d) exceptions inside the interrupt handler */
            t_load_fault();
            record(BACK, d);
            t_illegal();
            record(BACK, d);
            /* (e) ebreak and c.ebreak inside the interrupt handler */
            t_ebreak();
            record(BACK, d);
            t_cebreak();
            record(BACK, d);
        }
        csr_write(mepc, epc);
        csr_write(mstatus, status);
    } else if (cause == (MCAUSE_INT | IRQ_M_SOFT)) {
        REG32(CLINT_MSIP) = 0; /* MSIP drops */
    } else if (cause == 2 || cause == 3 || cause == 5 || cause == 11) {
        if (scenario == SCENARIO_B && cause == 2 && d == 1) {
            t_ecall(); /* (b) an ecall inside the illegal-instruction handler */
            record(BACK, d);
        } else if (scenario == SCENARIO_B && cause == 11 && d == 2) {
            t_cebreak(); /* and a c.ebreak inside the ecall's handler */
            record(BACK, d);
        } else if (scenario == SCENARIO_E && cause == 3 && d == 1) {
            t_cebreak(); /* (e) a c.ebreak inside an ebreak handler */
            record(BACK, d);
        }
        csr_write(mstatus, status);
        csr_write(mepc, epc + insn_length(epc));
    } else {
        unexpected++;
        csr_write(mepc, epc + insn_length(epc));
    }
    depth--;
}

/* ---- expected sequences ------------------------------------------------------------------- */
#define TVAL_INSN  1u          /* the trapping instruction's bits */
#define TVAL_BREAK 2u          /* ebreak: 0 or the pc (printed "-") */
struct expect {
    uint32_t kind, depth, mcause;
    const char *label;
    const char *at;  /* the label's address */
    uint32_t offset; /* mepc - at */
    uint32_t mtval;
    uint32_t mie, mpie;
    const char *break_pc; /* for TVAL_BREAK when the breakpoint is not at `at` */
};

/* Prints the log from index `from` and compares it with want[0..n). */
static void check_log(uint32_t from, const struct expect *want, uint32_t n)
{
    uint32_t count = log_count - from;
    for (uint32_t i = 0; i < count || i < n; i++) {
        if (i >= n) {
            uart_puts("unexpected extra record <- MISMATCH\n");
            failures++;
            continue;
        }
        if (i >= count || from + i >= LOG_SIZE) {
            uart_puts("missing record <- MISMATCH\n");
            failures++;
            continue;
        }
        const struct expect *w = &want[i];
        volatile struct record *r = &log[from + i];
        uint32_t at = (uint32_t)(uintptr_t)w->at;
        uart_puts(r->kind == ENTER ? "enter" : "back ");
        uart_puts(" depth ");
        print_dec(r->depth);
        uart_puts(": mcause ");
        print_hex(r->mcause);
        uart_puts(" mepc ");
        uart_puts(w->label);
        uart_putc('+');
        print_hex(r->mepc - at);
        uart_puts(" mtval ");
        int ok = r->kind == w->kind && r->depth == w->depth && r->mcause == w->mcause &&
                 r->mepc == at + w->offset;
        if (w->mtval == TVAL_BREAK) {
            uart_putc('-');
            /* 0, or the breakpoint's own pc */
            uint32_t pc = w->break_pc ? (uint32_t)(uintptr_t)w->break_pc : at;
            ok &= r->mtval == 0 || r->mtval == pc;
        } else {
            uint32_t want_tval = w->mtval == TVAL_INSN ? *(const uint32_t *)(uintptr_t)at : w->mtval;
            print_hex(r->mtval);
            ok &= r->mtval == want_tval;
        }
        print_status(r->mstatus, r->kind == ENTER);
        ok &= ((r->mstatus >> 3) & 1) == w->mie && ((r->mstatus >> 7) & 1) == w->mpie;
        if (r->kind == ENTER)
            ok &= (r->mstatus & MSTATUS_MPP) == MSTATUS_MPP;
        if (!ok)
            mismatch();
        uart_putc('\n');
    }
}

static void expect_value(const char *what, uint32_t got, uint32_t want)
{
    uart_puts(what);
    uart_putc(' ');
    print_hex(got);
    if (got != want)
        mismatch();
    uart_putc('\n');
}

/* ---- scenarios ---------------------------------------------------------------------------- */
static void scenario_b(void)
{
    static const struct expect want[] = {
        {ENTER, 1, 2, "t_illegal_insn", t_illegal_insn, 0, TVAL_INSN, 0, 0, 0},
        {ENTER, 2, 11, "t_ecall_insn", t_ecall_insn, 0, 0, 0, 0, 0},
        {ENTER, 3, 3, "t_cebreak_insn", t_cebreak_insn, 0, TVAL_BREAK, 0, 0, 0},
        {BACK, 2, 3, "t_cebreak_insn", t_cebreak_insn, 2, TVAL_BREAK, 0, 1, 0},
        /* mepc as the ecall's handler left it; mcause/mtval still the c.ebreak's */
        {BACK, 1, 3, "t_ecall_insn", t_ecall_insn, 4, TVAL_BREAK, 0, 1, t_cebreak_insn},
    };
    uart_puts("# (b) illegal instruction -> ecall in its handler -> c.ebreak in that one\n");
    uint32_t from = log_count;
    scenario = SCENARIO_B;
    uint32_t a0 = t_illegal();
    scenario = 0;
    check_log(from, want, sizeof want / sizeof want[0]);
    expect_value("back in main after the illegal instruction, a0", a0, 0x600d);
    expect_value("mstatus MIE/MPIE in main", csr_read(mstatus) & 0x88, 0x80);
}

static void scenario_c(void)
{
    static const struct expect want[] = {
        {ENTER, 1, MCAUSE_INT | IRQ_M_TIMER, "irq_point", irq_point, 0, 0, 0, 1, 0},
        {ENTER, 2, MCAUSE_INT | IRQ_M_SOFT, "irq_point", irq_point, 0, 0, 0, 1, 0},
        {BACK, 1, MCAUSE_INT | IRQ_M_SOFT, "irq_point", irq_point, 0, 0, 0, 1, 0},
        {ENTER, 2, 5, "t_load_fault_insn", t_load_fault_insn, 0, 0x00200000, 0, 0, 0},
        {BACK, 1, 5, "t_load_fault_insn", t_load_fault_insn, 4, 0x00200000, 0, 1, 0},
        {ENTER, 2, 2, "t_illegal_insn", t_illegal_insn, 0, TVAL_INSN, 0, 0, 0},
        {BACK, 1, 2, "t_illegal_insn", t_illegal_insn, 4, TVAL_INSN, 0, 1, 0},
        {ENTER, 2, 3, "t_ebreak_insn", t_ebreak_insn, 0, TVAL_BREAK, 0, 0, 0},
        {BACK, 1, 3, "t_ebreak_insn", t_ebreak_insn, 4, TVAL_BREAK, 0, 1, 0},
        {ENTER, 2, 3, "t_cebreak_insn", t_cebreak_insn, 0, TVAL_BREAK, 0, 0, 0},
        {BACK, 1, 3, "t_cebreak_insn", t_cebreak_insn, 2, TVAL_BREAK, 0, 1, 0},
    };
    uart_puts("# (c) timer interrupt -> software interrupt inside it (MIE set again);\n");
    uart_puts("# (d) load fault and illegal instruction, (e) ebreak and c.ebreak in the same handler\n");
    uint32_t from = log_count;
    scenario = SCENARIO_C;
    csr_write(mie, MIE_MTIE | MIE_MSIE);
    clint_set_mtimecmp(clint_mtime() + 100); /* 10 us from now */
    while (!(csr_read(mip) & (1u << IRQ_M_TIMER)))
        ;
    irq_window(); /* the timer interrupt is taken at irq_point */
    csr_write(mie, 0);
    scenario = 0;
    check_log(from, want, sizeof want / sizeof want[0]);
    expect_value("mip MSIP/MTIP after", csr_read(mip) & 0x88, 0);
    expect_value("mstatus MIE/MPIE in main", csr_read(mstatus) & 0x88, 0x80);
}

static void scenario_e(void)
{
    static const struct expect want[] = {
        {ENTER, 1, 3, "t_ebreak_insn", t_ebreak_insn, 0, TVAL_BREAK, 0, 0, 0},
        {ENTER, 2, 3, "t_cebreak_insn", t_cebreak_insn, 0, TVAL_BREAK, 0, 0, 0},
        {BACK, 1, 3, "t_cebreak_insn", t_cebreak_insn, 2, TVAL_BREAK, 0, 1, 0},
    };
    uart_puts("# (e) ebreak -> c.ebreak in its handler\n");
    uint32_t from = log_count;
    scenario = SCENARIO_E;
    uint32_t a0 = t_ebreak();
    scenario = 0;
    check_log(from, want, sizeof want / sizeof want[0]);
    expect_value("back in main after the ebreak, a0", a0, 0x600d);
}

int main(void)
{
    uart_puts("traps start\n");
    csr_write(mstatus, 0);
    chain();
    scenario_b();
    scenario_c();
    scenario_e();
    expect_value("handler entries", entries, 3 + 6 + 2);
    expect_value("unexpected traps", unexpected, 0);
    expect_value("mismatches", failures, 0);
    uart_puts("traps done\n");
    return failures > 100 ? 100 : (int)failures;
}
