/*
 * stepping.c - the source benchmark's firmware: about 1e9 steps of small calls in a loop,
 * then one call that runs about 1e8 steps. The benchmark moves by source line (next, step,
 * finish, both ways) at random points of its recording, and steps over the long call.
 */
#include "board.h"

#ifndef ROUNDS
#define ROUNDS 30000000u
#endif
#ifndef LONG_ROUNDS
#define LONG_ROUNDS 7000000u
#endif

struct stats {
    uint32_t count;
    uint32_t sum;
    uint32_t max;
};

static struct stats totals;

static uint32_t __attribute__((noinline)) mix(uint32_t x)
{
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

static void __attribute__((noinline)) record_sample(struct stats *stats, uint32_t value)
{
    stats->count++;
    stats->sum += value;
    if (value > stats->max)
        stats->max = value;
}

static uint32_t __attribute__((noinline)) busy(uint32_t seed, uint32_t rounds)
{
    uint32_t value = seed;
    for (uint32_t i = 0; i < rounds; i++)
        value = mix(value) + i;
    return value;
}

int main(void)
{
    uint32_t value = 1;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        value = mix(value + round);
        record_sample(&totals, value & 0xffffu);
        if ((round & 0xffu) == 0)
            value = busy(value, 16);
    }
    value = busy(value, LONG_ROUNDS);
    uart_puts("stepping done ");
    print_dec(value & 0xffffu);
    uart_putc('\n');
    return 0;
}
