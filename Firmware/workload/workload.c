/*
 * workload - a deterministic CPU-bound benchmark: CRC32, prime sieve, integer matrix
 * multiply and quicksort, repeated ITERATIONS times (set at compile time with
 * -DITERATIONS=n). Each round feeds the previous checksum into its inputs so nothing can be
 * hoisted out of the loop. Prints the checksum at the end; with -DPRINT_INSTRET it also prints
 * the 64-bit minstret (retired instructions) read just before the final output.
 */
#include "board.h"

#ifndef ITERATIONS
#define ITERATIONS 10
#endif

#define BUF_LEN   512
#define SIEVE_MAX 4096
#define MAT_N     12
#define SORT_LEN  128

static uint8_t buf[BUF_LEN];
static uint8_t composite[SIEVE_MAX];
static int32_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];
static int32_t arr[SORT_LEN];

static uint32_t lcg_state;

static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1664525u + 1013904223u;
    return lcg_state;
}

/* Bitwise (table-free) CRC-32, reflected polynomial 0xEDB88320. */
static uint32_t __attribute__((noinline)) crc32(const uint8_t *p, uint32_t n)
{
    uint32_t crc = 0xffffffffu;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

/* Sieve of Eratosthenes; returns the number of primes below limit and the sum of them. */
static uint32_t __attribute__((noinline)) sieve(uint32_t limit, uint32_t *sum)
{
    uint32_t count = 0, s = 0;
    for (uint32_t i = 0; i < limit; i++)
        composite[i] = 0;
    for (uint32_t i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        s += i;
        for (uint32_t j = i * i; j < limit; j += i)
            composite[j] = 1;
    }
    *sum = s;
    return count;
}

static uint32_t __attribute__((noinline)) matmul(void)
{
    uint32_t trace = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < MAT_N; k++)
                acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc;
        }
    for (int i = 0; i < MAT_N; i++)
        trace = trace * 31u + (uint32_t)mc[i][i] + (uint32_t)mc[i][MAT_N - 1 - i];
    return trace;
}

static void __attribute__((noinline)) quicksort(int32_t *a, int lo, int hi)
{
    while (lo < hi) {
        int32_t pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                int32_t t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        /* recurse into the smaller half, loop on the larger one */
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static uint32_t round_once(uint32_t seed)
{
    uint32_t sum, h;

    lcg_state = seed;
    for (int i = 0; i < BUF_LEN; i++)
        buf[i] = (uint8_t)(lcg() >> 24);
    h = crc32(buf, BUF_LEN);

    h ^= sieve(SIEVE_MAX - (seed & 0xff), &sum) * 0x9e3779b9u;
    h += sum;

    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = (int32_t)(lcg() >> 20) - 2048;
            mb[i][j] = (int32_t)(lcg() >> 20) - 2048;
        }
    h = (h << 5 | h >> 27) ^ matmul();

    for (int i = 0; i < SORT_LEN; i++)
        arr[i] = (int32_t)lcg();
    quicksort(arr, 0, SORT_LEN - 1);
    for (int i = 1; i < SORT_LEN; i++)
        if (arr[i - 1] > arr[i])
            return 0xdeadbeefu; /* unsorted: a CPU bug */
    h += (uint32_t)arr[0] ^ (uint32_t)arr[SORT_LEN / 2] ^ (uint32_t)arr[SORT_LEN - 1];
    return h;
}

int main(void)
{
    uint32_t checksum = 0x12345678u;

    uart_puts("workload iterations ");
    print_dec(ITERATIONS);
    uart_putc('\n');
    for (uint32_t it = 0; it < ITERATIONS; it++)
        checksum = round_once(checksum + it);
#ifdef PRINT_INSTRET
    uint32_t hi, lo;
    do {
        hi = csr_read(minstreth);
        lo = csr_read(minstret);
    } while (hi != csr_read(minstreth));
    uart_puts("minstret ");
    print_hex(hi);
    print_hex(lo);
    uart_putc('\n');
#endif
    uart_puts("checksum ");
    print_hex(checksum);
    uart_putc('\n');
    return 0;
}
