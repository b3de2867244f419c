/*
 * int64 - 64-bit arithmetic on a 32-bit core: what GCC cannot do inline goes through libgcc
 * (__udivdi3, __umoddi3, __divdi3, __moddi3, __clzsi2/__ctzsi2 ...); 64-bit multiplies and
 * shifts are inline mul/mulhu and shift-pair sequences. Per round:
 *
 *   1. Miller-Rabin primality (bases 2, 7, 61: exact below 4,759,123,141) of odd numbers in a
 *      window, with modular multiplication as a 64-bit product reduced by __umoddi3;
 *   2. modular exponentiation in Montgomery form (R = 2^32, 64-bit products and shifts),
 *      checked against the plain version;
 *   3. 64-bit hashing (FNV-1a 64 and a splitmix64 finalizer) of a buffer;
 *   4. Euclid's and the binary GCD of 64-bit numbers, and 64-bit values written in bases 3..31;
 *   5. signed fixed-point (Q16.16 held in 64 bits) arithmetic with 64-bit division and modulo.
 */
#include "bench.h"

/* ---- random numbers ---------------------------------------------------------------------- */

static uint64_t sm_state;

static NOINLINE uint64_t splitmix64(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- 1. Miller-Rabin with __umoddi3 ------------------------------------------------------- */

static NOINLINE uint32_t mulmod(uint32_t a, uint32_t b, uint32_t m) { return (uint32_t)((uint64_t)a * b % m); }

static NOINLINE uint32_t powmod(uint32_t base, uint32_t exp, uint32_t m)
{
    uint32_t result = 1 % m;
    base %= m;
    while (exp) {
        if (exp & 1)
            result = mulmod(result, base, m);
        base = mulmod(base, base, m);
        exp >>= 1;
    }
    return result;
}

static NOINLINE int witness(uint32_t a, uint32_t d, int s, uint32_t n)
{
    uint32_t x = powmod(a, d, n);
    if (x == 1 || x == n - 1)
        return 0;
    for (int r = 1; r < s; r++) {
        x = mulmod(x, x, n);
        if (x == n - 1)
            return 0;
    }
    return 1; /* a proves n composite */
}

static NOINLINE int is_prime(uint32_t n)
{
    static const uint32_t bases[3] = {2, 7, 61};
    if (n < 2)
        return 0;
    if (n % 2 == 0 || n % 3 == 0 || n % 5 == 0)
        return n == 2 || n == 3 || n == 5;
    uint32_t d = n - 1;
    int s = 0;
    while ((d & 1) == 0) {
        d >>= 1;
        s++;
    }
    for (int i = 0; i < 3; i++) {
        if (bases[i] % n == 0)
            continue;
        if (witness(bases[i], d, s, n))
            return 0;
    }
    return 1;
}

/* ---- 2. Montgomery multiplication (odd modulus below 2^31, R = 2^32) --------------------- */

struct mont {
    uint32_t n;
    uint32_t ninv;   /* -n^-1 mod 2^32 */
    uint32_t r2;     /* R^2 mod n */
};

static NOINLINE uint32_t redc(const struct mont *m, uint64_t t)
{
    uint32_t q = (uint32_t)t * m->ninv;
    uint64_t u = (t + (uint64_t)q * m->n) >> 32;
    return u >= m->n ? (uint32_t)(u - m->n) : (uint32_t)u;
}

static NOINLINE void mont_init(struct mont *m, uint32_t n)
{
    uint32_t inv = n; /* Newton: each step doubles the correct low bits (n*n = 1 mod 8) */
    for (int i = 0; i < 4; i++)
        inv *= 2 - n * inv;
    m->n = n;
    m->ninv = -inv;
    uint64_t r = ((uint64_t)1 << 32) % n;
    m->r2 = (uint32_t)(r * r % n);
}

static NOINLINE uint32_t mont_pow(const struct mont *m, uint32_t base, uint32_t exp)
{
    uint32_t x = redc(m, (uint64_t)(base % m->n) * m->r2); /* base * R mod n */
    uint32_t acc = redc(m, m->r2);                          /* 1 * R mod n */
    while (exp) {
        if (exp & 1)
            acc = redc(m, (uint64_t)acc * x);
        x = redc(m, (uint64_t)x * x);
        exp >>= 1;
    }
    return redc(m, acc);
}

/* ---- 3. 64-bit hashing ------------------------------------------------------------------- */

#define HASH_BYTES 512
static uint8_t hash_buf[HASH_BYTES];

static NOINLINE uint64_t fnv1a64(const uint8_t *p, int n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static NOINLINE uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* A word-at-a-time 64-bit hash: multiply, rotate by a data-dependent amount, finalize. */
static NOINLINE uint64_t wide_hash(const uint8_t *p, int n, uint64_t seed)
{
    uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
    for (int i = 0; i + 8 <= n; i += 8) {
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--)
            w = (w << 8) | p[i + k];
        h ^= w * 0xc2b2ae3d27d4eb4full;
        h = rotl64(h, 1 + (int)(w & 31)) * 0x165667b19e3779f9ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 29;
    return h;
}

/* ---- 4. GCDs and decimal formatting -------------------------------------------------------- */

static NOINLINE uint64_t gcd_euclid(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static NOINLINE uint64_t gcd_binary(uint64_t a, uint64_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    int shift = __builtin_ctzll(a | b);
    a >>= __builtin_ctzll(a);
    do {
        b >>= __builtin_ctzll(b);
        if (a > b) {
            uint64_t t = a;
            a = b;
            b = t;
        }
        b -= a;
    } while (b);
    return a << shift;
}

/* Digits of v in base 2..36 into buf (no terminator); returns the digit count. A variable
 * base makes GCC call __udivdi3 and __umoddi3 (for a constant base it multiplies instead). */
static NOINLINE int u64_to_digits(uint64_t v, uint32_t base, char *buf)
{
    char tmp[64];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % base];
        v /= base;
    } while (v);
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    return n;
}

static NOINLINE int bit_length(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

/* ---- 5. signed fixed point ----------------------------------------------------------------- */

typedef int64_t fix; /* Q16.16 in 64 bits, so products and shifted dividends do not overflow */

static NOINLINE fix fix_div(fix a, fix b) { return (a * 65536) / b; }
static NOINLINE fix fix_mul(fix a, fix b) { return (a * b) >> 16; }

/* Newton's square root of x in [1, 2^20). */
static NOINLINE fix fix_sqrt(fix x)
{
    fix y = x > ((fix)16 << 16) ? x >> 4 : (fix)1 << 16;
    for (int i = 0; i < 12; i++)
        y = (y + fix_div(x, y)) / 2;
    return y;
}

static int64_t signed_samples[32];

static NOINLINE int64_t signed_stats(uint64_t seed)
{
    int64_t sum = 0;
    for (int i = 0; i < 32; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        signed_samples[i] = (int64_t)seed >> (int)(seed & 15);
        sum += signed_samples[i] / 1024;
    }
    int64_t mean = sum / 32, spread = 0;
    for (int i = 0; i < 32; i++) {
        int64_t d = signed_samples[i] / 1024 - mean;
        spread += d % 1000003;
    }
    return mean ^ spread;
}

/* ---- a round ------------------------------------------------------------------------------ */

#define WINDOW 48

static uint32_t primes_found;

static NOINLINE uint32_t round_once(uint32_t seed)
{
    uint32_t h = seed;
    sm_state ^= seed;

    /* 1. primes in a window of odd numbers below 2^31 + 2^30 */
    uint32_t start = ((uint32_t)splitmix64() & 0x7fffffffu) | 0x40000001u;
    for (uint32_t n = start; n < start + 2 * WINDOW; n += 2)
        if (is_prime(n)) {
            primes_found++;
            h = mix32(h, n);
        }

    /* 2. Montgomery against the plain modular exponentiation */
    struct mont m;
    uint32_t n = ((uint32_t)splitmix64() & 0x7fffffffu) | 1;
    mont_init(&m, n);
    for (int i = 0; i < 4; i++) {
        uint32_t b = (uint32_t)splitmix64(), e = (uint32_t)splitmix64();
        uint32_t x = mont_pow(&m, b, e);
        if (x != powmod(b, e, n))
            return 0xbad0bad0u; /* caught in main */
        h = mix32(h, x);
    }

    /* 3. hashing */
    for (int i = 0; i < HASH_BYTES; i += 8) {
        uint64_t v = splitmix64();
        for (int k = 0; k < 8; k++)
            hash_buf[i + k] = (uint8_t)(v >> (8 * k));
    }
    uint64_t f = fnv1a64(hash_buf, HASH_BYTES), w = wide_hash(hash_buf, HASH_BYTES, f);
    h = mix32(h, (uint32_t)f ^ (uint32_t)(w >> 32));
    h = mix32(h, (uint32_t)(f >> 32) ^ (uint32_t)w);

    /* 4. GCDs (both algorithms must agree) and decimal digits */
    for (int i = 0; i < 8; i++) {
        uint64_t common = (splitmix64() & 0xffff) + 1;
        uint64_t a = (splitmix64() >> 24) * common, b = (splitmix64() >> 28) * common;
        uint64_t g = gcd_euclid(a, b);
        if (g != gcd_binary(a, b))
            return 0xbad1bad1u;
        char digits[64];
        int len = u64_to_digits(a, 3 + (uint32_t)(i * 4), digits);
        uint32_t dsum = (uint32_t)len;
        for (int k = 0; k < len; k++)
            dsum += (uint32_t)digits[k];
        h = mix32(h, (uint32_t)g ^ dsum << 16 ^ (uint32_t)bit_length(a + b));
    }

    /* 5. fixed point */
    fix x = (fix)((splitmix64() & 0xfffff) + 1) << 16;
    fix root = fix_sqrt(x);
    fix back = fix_mul(root, root);
    h = mix32(h, (uint32_t)root ^ (uint32_t)(back >> 8) ^ (uint32_t)(x - back));
    h = mix32(h, (uint32_t)signed_stats(splitmix64()));
    return h;
}

int main(void)
{
    bench_start("int64");

    /* Known answers. */
    if (!is_prime(2147483647u) || is_prime(3215031751u) || !is_prime(4294967291u))
        return bench_fail("miller-rabin", 0);
    if (powmod(2, 1000000, 1000000007u) != 235042059u)
        return bench_fail("powmod", powmod(2, 1000000, 1000000007u));
    if (gcd_euclid(1071ull << 40, 462ull << 40) != 21ull << 40)
        return bench_fail("gcd", (uint32_t)(gcd_euclid(1071ull << 40, 462ull << 40) >> 32));

    uint32_t checksum = 0x6a09e667u;
    sm_state = 0x243f6a8885a308d3ull;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        checksum = round_once(checksum + it);
        if (checksum == 0xbad0bad0u || checksum == 0xbad1bad1u)
            return bench_fail("round", it);
        if ((it & 255) == 255)
            print_labeled("round", checksum);
    }
    print_labeled("primes", primes_found);
    return bench_finish(checksum);
}
