/*
 * bench.h - what the benchmark programs share: the board (Firmware/common/board.h), the
 * ITERATIONS knob, the start and end lines every program prints, and a small deterministic
 * random number generator. Header-only, like board.h.
 *
 * Every program prints "<name> iterations <N>" first and "checksum <8 hex digits>" last, and
 * returns 0 from main (the finisher then ends the run with status 0). A program that finds
 * its own results wrong (a self-check fails) prints "FAILED <what>" and returns 1.
 */
#ifndef TIMESCOPE_BENCH_H
#define TIMESCOPE_BENCH_H

#include "board.h"

#ifndef ITERATIONS
#define ITERATIONS 1
#endif

#define NOINLINE __attribute__((noinline))

static inline void bench_start(const char *name)
{
    uart_puts(name);
    uart_puts(" iterations ");
    print_dec(ITERATIONS);
    uart_putc('\n');
}

/* "<label> <8 hex digits>\n" */
static inline void print_labeled(const char *label, uint32_t value)
{
    uart_puts(label);
    uart_putc(' ');
    print_hex(value);
    uart_putc('\n');
}

static inline int bench_finish(uint32_t checksum)
{
    print_labeled("checksum", checksum);
    return 0;
}

static inline int bench_fail(const char *what, uint32_t value)
{
    uart_puts("FAILED ");
    print_labeled(what, value);
    return 1;
}

/* xorshift32 (Marsaglia): never 0 for a non-zero seed. */
static inline uint32_t xorshift32(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    return x;
}

/* A 32-bit rotate-and-mix step for running checksums. */
static inline uint32_t mix32(uint32_t h, uint32_t v)
{
    h ^= v;
    h *= 0x01000193u;
    return (h << 7) | (h >> 25);
}

#endif /* TIMESCOPE_BENCH_H */
