/*
 * Exerciser driver: runs the assembly test groups in exerciser.S and prints their results.
 * Expected output (identical on QEMU and Timescope) is in Firmware/README.md.
 */
#include "board.h"

void ex_rv32i(void);
void ex_m(void);
void ex_a(void);
void ex_c(void);
void ex_csr(void);
void ex_traps(void);

/*
 * Called from exerciser.S: prints "name" followed by the low nibble of fmt values as inputs,
 * " ->", then the high nibble of fmt values as outputs (values come from v[0..4] in order).
 * A "[...]" at the end of a name describes the outputs, e.g. "[old new]".
 */
void rep(const char *name, uint32_t fmt, uint32_t v0, uint32_t v1, uint32_t v2, uint32_t v3,
         uint32_t v4)
{
    const uint32_t v[5] = {v0, v1, v2, v3, v4};
    unsigned nin = fmt & 0xf, nout = fmt >> 4, i = 0;

    uart_puts(name);
    for (; i < nin; i++) {
        uart_putc(' ');
        print_hex(v[i]);
    }
    uart_puts(" ->");
    for (; i < nin + nout; i++) {
        uart_putc(' ');
        print_hex(v[i]);
    }
    uart_putc('\n');
}

int main(void)
{
    uart_puts("exerciser start\n");
    uart_puts("# rv32i\n");
    ex_rv32i();
    uart_puts("# m\n");
    ex_m();
    uart_puts("# a\n");
    ex_a();
    uart_puts("# c\n");
    ex_c();
    uart_puts("# zicsr zifencei\n");
    ex_csr();
    uart_puts("# traps\n");
    ex_traps();
    uart_puts("exerciser done\n");
    return 0;
}
