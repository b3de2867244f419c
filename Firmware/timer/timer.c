/*
 * timer - CLINT machine-timer and software interrupts, in direct and vectored mtvec modes.
 *
 * For each mode: arm mtimecmp relative to mtime, enable MTIE + MIE, sleep in WFI and count
 * TICKS timer interrupts (re-arming each time), then raise one software interrupt through
 * msip. Only logical counts and the vector slot used are printed, never mtime values, so the
 * output is the same on any emulator.
 */
#include "board.h"

#define TICKS    5
#define INTERVAL 10000u /* mtime ticks (10 MHz) = 1 ms */

void trap_direct(void);
void vector_table(void);

static volatile uint32_t ticks;
static volatile uint32_t soft_irqs;

static void print_entry(uint32_t entry)
{
    if (entry == 0xffffffffu) {
        uart_puts("(direct)\n");
    } else {
        uart_puts("(vector ");
        print_dec(entry);
        uart_puts(")\n");
    }
}

/* Called from trap.S with the cause and the mtvec entry that was used. */
void handle_trap(uint32_t mcause, uint32_t entry)
{
    if (mcause == (MCAUSE_INT | IRQ_M_TIMER)) {
        ticks++;
        uart_puts("tick ");
        print_dec(ticks);
        uart_putc(' ');
        print_entry(entry);
        if (ticks < TICKS) {
            clint_set_mtimecmp(clint_mtime() + INTERVAL);
        } else {
            clint_set_mtimecmp(~0ull); /* MTIP drops */
            csr_clear(mie, MIE_MTIE);
        }
    } else if (mcause == (MCAUSE_INT | IRQ_M_SOFT)) {
        REG32(CLINT_MSIP) = 0; /* MSIP drops */
        soft_irqs++;
        uart_puts("software interrupt ");
        print_entry(entry);
    } else {
        uart_puts("unexpected trap mcause ");
        print_hex(mcause);
        uart_puts(" mepc ");
        print_hex(csr_read(mepc));
        uart_putc(' ');
        print_entry(entry);
        board_exit(1);
    }
}

/*
 * Sleep until *counter reaches target. WFI wakes up on any interrupt enabled in mie even
 * while mstatus.MIE is 0, so checking the counter with MIE clear and only opening the
 * window after WFI cannot miss the last interrupt and then sleep forever.
 */
static void wait_for(volatile uint32_t *counter, uint32_t target)
{
    while (*counter < target) {
        wfi();
        csr_set(mstatus, MSTATUS_MIE);   /* the pending interrupt is taken here */
        csr_clear(mstatus, MSTATUS_MIE);
    }
}

static void run(const char *mode, uint32_t mtvec)
{
    uart_puts("mode ");
    uart_puts(mode);
    uart_putc('\n');
    csr_write(mtvec, mtvec);

    ticks = 0;
    clint_set_mtimecmp(clint_mtime() + INTERVAL);
    csr_set(mie, MIE_MTIE);
    wait_for(&ticks, TICKS);

    soft_irqs = 0;
    csr_set(mie, MIE_MSIE);
    REG32(CLINT_MSIP) = 1;
    wait_for(&soft_irqs, 1);
    csr_clear(mie, MIE_MSIE);
}

int main(void)
{
    uart_puts("timer start\n");
    csr_clear(mstatus, MSTATUS_MIE);
    run("direct", (uint32_t)(uintptr_t)trap_direct);
    run("vectored", (uint32_t)(uintptr_t)vector_table | 1u);
    uart_puts("ticks total ");
    print_dec(2 * TICKS);
    uart_puts("\ntimer done\n");
    return 0;
}
