/*
 * frames.c - the inspector benchmark's source-level firmware: main calls an 8-deep chain of
 * functions round after round; the innermost has 30 variables to show (its arguments and
 * locals, and the members of the struct its pointer argument points to). Built at -O0, so that
 * every variable lives in memory and has a value at every step.
 */
#include "board.h"

#ifndef ROUNDS
#define ROUNDS 2000u
#endif

struct point {
    int32_t x;
    int32_t y;
};

struct sample {
    uint32_t id;
    struct point at;
    char tag[8];
    uint32_t values[4];
    uint32_t total;
};

static struct sample samples[2];

static uint32_t __attribute__((noinline)) innermost(uint32_t seed, uint32_t round, struct sample *sample)
{
    uint32_t a = seed + 1, b = seed ^ round, c = a * 3, d = b >> 2, e = c + d;
    uint32_t f = e ^ 0x5a5a, g = f + a, h = g * 5, i = h - b, j = i ^ c;
    uint32_t k = j + d, l = k * 7, m = l ^ e, n = m + f, o = n - g;
    uint32_t p = o ^ h, q = p + i, r = q * 3, s = r ^ j, t = s + k;
    for (uint32_t step = 0; step < 8; step++) {
        sample->values[step & 3] += t + step;
        sample->at.x += (int32_t)(a - b);
        sample->at.y -= (int32_t)(c - d);
        t = t * 5 + step;
    }
    sample->total += t;
    return t ^ l ^ m ^ n ^ o ^ p ^ q ^ r ^ s;
}

#define LEVEL(depth, call)                                                                      \
    static uint32_t __attribute__((noinline)) level##depth(uint32_t seed, uint32_t round)     \
    {                                                                                           \
        uint32_t mixed = seed * 31 + round;                                                    \
        uint32_t result = call;                                                                 \
        return result ^ mixed;                                                                  \
    }

LEVEL(6, innermost(mixed, round, &samples[round & 1]))
LEVEL(5, level6(mixed, round))
LEVEL(4, level5(mixed, round))
LEVEL(3, level4(mixed, round))
LEVEL(2, level3(mixed, round))
LEVEL(1, level2(mixed, round))

int main(void)
{
    uint32_t sum = 0;
    samples[0].id = 1;
    samples[1].id = 2;
    for (uint32_t round = 0; round < ROUNDS; round++)
        sum += level1(sum, round);
    uart_puts("frames done ");
    print_dec(sum & 0xffffu);
    uart_putc('\n');
    return 0;
}
