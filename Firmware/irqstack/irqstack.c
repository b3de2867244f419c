/*
 * irqstack - a machine timer interrupt (CLINT mtimecmp) taken while the program is deep in
 * calls, with a C handler that calls nested functions: stops inside the handler have the
 * handler and the interrupted frames on the stack. Built `-O0 -g` (irqstack-O0.elf) and
 * `-O2 -g` (irqstack-O2.elf).
 *
 * The handler is a C function with `__attribute__((interrupt("machine")))`, installed directly
 * in mtvec (direct mode): GCC saves every register it uses, reads nothing from the interrupted
 * frame and returns with mret. Its call frame information describes only its own frame: the
 * interrupted pc is in mepc, which no unwinder rule mentions, so gdb's backtrace past the
 * handler follows the interrupted code's ra instead (see Firmware/README.md).
 *
 * The timer interrupt is raised by mtimecmp = 0 (<= mtime: MTIP at once) and taken right after
 * the csrs that sets mstatus.MIE, so QEMU and Timescope take it at the same instruction. No
 * timer is ever armed in the future, on purpose: QEMU 7.2 with -icount sleep=off advances its
 * clock to the next timer deadline when gdb resumes it after a stop, so a stop while a timer is
 * armed would change mtime and when the interrupt comes (and a WFI resumed by gdb never
 * wakes). The handler drops the interrupt by clearing mie.MTIE (MTIP stays pending, masked).
 *   1. stage(3) -> ... -> stage(0) -> await_tick: mtimecmp = 0, MTIE set, poll mip.MTIP with
 *      mstatus.MIE clear, then set MIE: taken.
 *   2. crunch -> accumulate -> open_window: MTIE set again, then MIE: taken.
 * The handler calls note_tick -> remember. Prints what happened; the exit status is 0.
 */
#include "board.h"

struct tick_record {
    uint32_t cause;
    uint32_t depth;
    uint32_t token;
};

static volatile uint32_t ticks;
static volatile uint32_t stage_depth;
static struct tick_record tick_log[4];
volatile uint32_t sink;

/* mtimecmp = 0, low word first: never a value in the future (see above). */
static void raise_timer(void)
{
    REG32(CLINT_MTIMECMP) = 0;
    REG32(CLINT_MTIMECMP + 4) = 0;
}

static void __attribute__((noinline)) remember(struct tick_record *slot, uint32_t cause, uint32_t token)
{
    slot->cause = cause;
    slot->depth = stage_depth;
    slot->token = token ^ (cause << 4);
}

static uint32_t __attribute__((noinline)) note_tick(uint32_t cause, uint32_t count)
{
    uint32_t token = count * 0x101u + 7u;
    remember(&tick_log[count & 3], cause, token);
    return token;
}

void __attribute__((interrupt("machine"), aligned(4), noinline)) trap_handler(void)
{
    uint32_t cause = csr_read(mcause);
    if (cause != (MCAUSE_INT | IRQ_M_TIMER)) {
        uart_puts("unexpected trap\n");
        board_exit(1);
    }
    uint32_t count = ticks;
    sink = note_tick(cause, count);
    csr_clear(mie, MIE_MTIE); /* masked: MTIP stays pending */
    ticks = count + 1;
}

/* Interrupt 1: MTIP pending, MTIE set, then MIE opened. */
static void __attribute__((noinline)) await_tick(uint32_t spins)
{
    uint32_t before = ticks;
    raise_timer();
    csr_set(mie, MIE_MTIE);
    while (!(csr_read(mip) & (1u << IRQ_M_TIMER)))
        spins++;
    csr_set(mstatus, MSTATUS_MIE); /* taken here */
    csr_clear(mstatus, MSTATUS_MIE);
    sink = spins;
    if (ticks == before)
        uart_puts("no tick\n");
}

static int __attribute__((noinline)) stage(int level, uint32_t seed)
{
    int here = level * 3 + (int)(seed & 7u);
    stage_depth = (uint32_t)level;
    if (level == 0)
        await_tick(seed & 3u);
    else
        here += stage(level - 1, seed * 5u + 1u);
    sink = (uint32_t)here;
    return here;
}

/* Interrupt 2: MTIP is still pending; unmasking it and opening MIE takes it at once. */
static void __attribute__((noinline)) open_window(volatile uint32_t *flag)
{
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
    *flag += 1;
    csr_clear(mstatus, MSTATUS_MIE);
}

static uint32_t __attribute__((noinline)) accumulate(const uint32_t *values, int count)
{
    uint32_t sum = 0;
    for (int j = 0; j < count; j++) {
        sum += values[j];
        if (j == 2)
            open_window(&sink);
    }
    return sum;
}

static uint32_t __attribute__((noinline)) crunch(uint32_t base)
{
    uint32_t values[5];
    for (int j = 0; j < 5; j++)
        values[j] = base + (uint32_t)j * 11u;
    stage_depth = 9;
    return accumulate(values, 5);
}

int main(void)
{
    uart_puts("irqstack start\n");
    csr_clear(mstatus, MSTATUS_MIE);
    csr_write(mtvec, (uint32_t)(uintptr_t)trap_handler);
    int staged = stage(3, 2);
    uint32_t crunched = crunch(100);
    uart_puts("staged ");
    print_dec((uint32_t)staged);
    uart_puts(" crunched ");
    print_dec(crunched);
    uart_puts(" ticks ");
    print_dec(ticks);
    for (int k = 0; k < 2; k++) {
        uart_puts(k == 0 ? "\nfirst depth " : " second depth ");
        print_dec(tick_log[k].depth);
        uart_puts(" token ");
        print_hex(tick_log[k].token);
    }
    uart_puts("\nirqstack done\n");
    return 0;
}
