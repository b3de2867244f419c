/*
 * echo - interrupt-driven UART echo through the PLIC.
 *
 * Prints "ready", then sleeps in WFI. Each UART receive interrupt (PLIC source 10) is
 * claimed, RBR is drained while LSR.DR is set and every character is echoed upper-cased
 * (so the echo is distinguishable from the input), then the claim is completed.
 * On 'q' the program prints "\nbye\n" and exits with status 0; input after the 'q' is
 * discarded.
 */
#include "board.h"

static volatile uint32_t quit;

static char upcase(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c; }

/* GCC saves every register it uses and returns with mret. */
static void __attribute__((interrupt("machine"), used)) trap_handler(void)
{
    uint32_t mcause = csr_read(mcause);
    if (mcause != (MCAUSE_INT | IRQ_M_EXT)) {
        uart_puts("unexpected trap mcause ");
        print_hex(mcause);
        uart_putc('\n');
        board_exit(1);
    }
    uint32_t id;
    while ((id = REG32(PLIC_CLAIM(0))) != 0) {
        if (id == PLIC_SRC_UART0) {
            while (REG8(UART_LSR) & UART_LSR_DR) {
                char c = (char)REG8(UART_RBR);
                if (quit)
                    continue;
                if (c == 'q')
                    quit = 1;
                else
                    uart_putc(upcase(c));
            }
        }
        REG32(PLIC_CLAIM(0)) = id; /* complete */
    }
}

int main(void)
{
    csr_write(mtvec, (uint32_t)(uintptr_t)trap_handler);
    uart_puts("ready\n");

    REG8(UART_IER) = UART_IER_RDA;              /* receive-data-available interrupt */
    REG32(PLIC_PRIORITY(PLIC_SRC_UART0)) = 1;
    REG32(PLIC_ENABLE(0)) = 1u << PLIC_SRC_UART0; /* sources 0..31 live in word 0 */
    REG32(PLIC_THRESHOLD(0)) = 0;
    csr_set(mie, MIE_MEIE);

    /* Same sleep pattern as timer.c: test with MIE clear, take interrupts after WFI. */
    while (!quit) {
        wfi();
        csr_set(mstatus, MSTATUS_MIE);
        csr_clear(mstatus, MSTATUS_MIE);
    }
    REG8(UART_IER) = 0;
    uart_puts("\nbye\n");
    return 0;
}
