/*
 * board.h - the QEMU-compatible `virt` board as seen by Timescope test firmware.
 * See /work/shared/boards/virt.md for the full memory map.
 *
 * Header-only: every helper is static inline so each program stays a single C file.
 * Output is raw bytes: '\n' is sent as-is (no "\r\n" translation) so console output can be
 * compared byte for byte between QEMU and Timescope.
 */
#ifndef TIMESCOPE_BOARD_H
#define TIMESCOPE_BOARD_H

#include <stdint.h>

#define REG8(addr)  (*(volatile uint8_t *)(uintptr_t)(addr))
#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* ---- sifive_test finisher ---------------------------------------------------------------- */
#define FINISHER_BASE 0x00100000u
#define FINISHER_PASS 0x5555u
#define FINISHER_FAIL 0x3333u /* (code << 16) | FINISHER_FAIL */

static inline __attribute__((noreturn)) void board_exit(uint32_t code)
{
    REG32(FINISHER_BASE) = code == 0 ? FINISHER_PASS : (code << 16) | FINISHER_FAIL;
    for (;;)
        __asm__ volatile("wfi");
}

/* ---- CLINT (10 MHz mtime) ---------------------------------------------------------------- */
#define CLINT_BASE      0x02000000u
#define CLINT_MSIP      (CLINT_BASE + 0x0000u) /* hart 0 */
#define CLINT_MTIMECMP  (CLINT_BASE + 0x4000u) /* hart 0: lo at +0, hi at +4 */
#define CLINT_MTIME     (CLINT_BASE + 0xBFF8u) /* lo at +0, hi at +4 */

static inline uint64_t clint_mtime(void)
{
    uint32_t hi, lo;
    do { /* re-read if the low word wrapped between the two high reads */
        hi = REG32(CLINT_MTIME + 4);
        lo = REG32(CLINT_MTIME);
    } while (hi != REG32(CLINT_MTIME + 4));
    return ((uint64_t)hi << 32) | lo;
}

static inline void clint_set_mtimecmp(uint64_t t)
{
    /* Park the high word at max first so no intermediate value fires early. */
    REG32(CLINT_MTIMECMP + 4) = 0xffffffffu;
    REG32(CLINT_MTIMECMP) = (uint32_t)t;
    REG32(CLINT_MTIMECMP + 4) = (uint32_t)(t >> 32);
}

/* ---- PLIC (context 0 = hart 0 M-mode) ---------------------------------------------------- */
#define PLIC_BASE          0x0C000000u
#define PLIC_PRIORITY(src) (PLIC_BASE + 4u * (src))
#define PLIC_PENDING       (PLIC_BASE + 0x1000u)
#define PLIC_ENABLE(ctx)   (PLIC_BASE + 0x2000u + 0x80u * (ctx))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000u + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx)    (PLIC_BASE + 0x200004u + 0x1000u * (ctx))
#define PLIC_SRC_UART0     10u

/* ---- ns16550a UART0 ---------------------------------------------------------------------- */
#define UART0_BASE 0x10000000u
#define UART_RBR   (UART0_BASE + 0) /* read */
#define UART_THR   (UART0_BASE + 0) /* write */
#define UART_IER   (UART0_BASE + 1)
#define UART_IIR   (UART0_BASE + 2) /* read */
#define UART_FCR   (UART0_BASE + 2) /* write */
#define UART_LCR   (UART0_BASE + 3)
#define UART_LSR   (UART0_BASE + 5)
#define UART_LSR_DR   0x01u
#define UART_LSR_THRE 0x20u
#define UART_IER_RDA  0x01u

static inline void uart_putc(char c)
{
    while (!(REG8(UART_LSR) & UART_LSR_THRE))
        ;
    REG8(UART_THR) = (uint8_t)c;
}

static inline void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

/* Exactly 8 lowercase hex digits, no prefix. */
static inline void print_hex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        uart_putc("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* Unsigned decimal, no padding. */
static inline void print_dec(uint32_t v)
{
    char buf[10];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        uart_putc(buf[--n]);
}

/* ---- CSRs -------------------------------------------------------------------------------- */
#define csr_read(csr)                                           \
    ({                                                          \
        uint32_t __v;                                           \
        __asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory"); \
        __v;                                                    \
    })
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"(val) : "memory")
#define csr_set(csr, bits)  __asm__ volatile("csrs " #csr ", %0" ::"rK"(bits) : "memory")
#define csr_clear(csr, bits) __asm__ volatile("csrc " #csr ", %0" ::"rK"(bits) : "memory")

#define MSTATUS_MIE (1u << 3)
#define MIE_MSIE    (1u << 3)
#define MIE_MTIE    (1u << 7)
#define MIE_MEIE    (1u << 11)
#define MCAUSE_INT  0x80000000u
#define IRQ_M_SOFT  3u
#define IRQ_M_TIMER 7u
#define IRQ_M_EXT   11u

static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }

#endif /* TIMESCOPE_BOARD_H */
