/*
 * memory - memcpy/memset/memmove-heavy code, with this program's own C implementations of
 * them (word-at-a-time once the destination is aligned, shifts and ors for a misaligned
 * source, bytes at the edges), kept out of line as a C library's are. Per round:
 *
 *   1. block copies of sizes from 1 to 4096 bytes at every source/destination alignment;
 *   2. a 128x64 8-bit "frame buffer": cleared with memset, filled rectangles (memset per row),
 *      sprites blitted from a sheet (memcpy per row, any alignment);
 *   3. a 4 KiB ring buffer: a producer writes chunks of varying size, a consumer reads chunks
 *      of other sizes, both with wrap-around (two copies);
 *   4. 128-byte messages built in a memset local and copied by struct assignment (GCC copies
 *      these inline, word by word), and a table kept sorted by memmove on insert and delete;
 *   5. memcmp of what was copied against where it came from.
 */
#include "bench.h"

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* ---- the library --------------------------------------------------------------------------- */

/* The functions are not inlined into their callers, as if they came from a library. */

/* Word accesses to memory of any declared type: exempt from strict aliasing, as C libraries do. */
typedef uint32_t __attribute__((may_alias)) word;

NOINLINE void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (n < 8) {
        while (n--)
            *d++ = *s++;
        return dst;
    }
    while ((uintptr_t)d & 3) { /* align the destination */
        *d++ = *s++;
        n--;
    }
    word *dw = (word *)d;
    uintptr_t misalign = (uintptr_t)s & 3;
    if (misalign == 0) {
        const word *sw = (const word *)s;
        for (; n >= 16; n -= 16) {
            uint32_t a = sw[0], b = sw[1], c = sw[2], e = sw[3];
            dw[0] = a;
            dw[1] = b;
            dw[2] = c;
            dw[3] = e;
            dw += 4;
            sw += 4;
        }
        for (; n >= 4; n -= 4)
            *dw++ = *sw++;
        s = (const uint8_t *)sw;
    } else {
        /* Aligned loads from the source, two words merged per store (little-endian). */
        const word *sw = (const word *)(s - misalign);
        unsigned right = 8 * misalign, left = 32 - right;
        uint32_t prev = *sw++;
        for (; n >= 4; n -= 4) {
            uint32_t next = *sw++;
            *dw++ = prev >> right | next << left;
            prev = next;
        }
        s = (const uint8_t *)sw - 4 + misalign;
    }
    d = (uint8_t *)dw;
    while (n--)
        *d++ = *s++;
    return dst;
}

NOINLINE void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    uint8_t b = (uint8_t)c;
    if (n >= 8) {
        while ((uintptr_t)d & 3) {
            *d++ = b;
            n--;
        }
        uint32_t w = b * 0x01010101u;
        word *dw = (word *)d;
        for (; n >= 16; n -= 16) {
            dw[0] = w;
            dw[1] = w;
            dw[2] = w;
            dw[3] = w;
            dw += 4;
        }
        for (; n >= 4; n -= 4)
            *dw++ = w;
        d = (uint8_t *)dw;
    }
    while (n--)
        *d++ = b;
    return dst;
}

NOINLINE void *memmove(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n); /* no harmful overlap: a forward copy is right */
    d += n;
    s += n;
    if ((((uintptr_t)d | (uintptr_t)s) & 3) == 0) {
        for (; n >= 4; n -= 4) {
            d -= 4;
            s -= 4;
            *(word *)d = *(const word *)s;
        }
    }
    while (n--)
        *--d = *--s;
    return dst;
}

NOINLINE int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    if ((((uintptr_t)p | (uintptr_t)q) & 3) == 0)
        for (; n >= 4 && *(const word *)p == *(const word *)q; n -= 4) {
            p += 4;
            q += 4;
        }
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

/* ---- checksums -------------------------------------------------------------------------------- */

/* A word-wise Fletcher-style sum of n bytes at a 4-byte aligned address (n a multiple of 4). */
static NOINLINE uint32_t sum_words(const void *p, size_t n)
{
    const uint32_t *w = p;
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n / 4; i++) {
        a += w[i];
        b += a;
    }
    return a ^ b << 7;
}

static uint32_t rng = 0x510e527fu;

/* ---- 1. block copies -------------------------------------------------------------------------- */

#define BLOCK 8192
static uint8_t src_buf[BLOCK + 64] __attribute__((aligned(16)));
static uint8_t dst_buf[BLOCK + 64] __attribute__((aligned(16)));

static const uint16_t sizes[] = {1, 2, 3, 5, 7, 8, 13, 16, 31, 64, 100, 255, 256, 1000, 1500, 4096};

static NOINLINE uint32_t block_copies(uint32_t seed)
{
    uint32_t h = seed;
    for (size_t i = 0; i < BLOCK + 64; i += 4) {
        uint32_t v = xorshift32(&rng);
        memcpy(&src_buf[i], &v, 4);
    }
    for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (unsigned so = 0; so < 4; so++)
            for (unsigned d0 = 0; d0 < 4; d0++) {
                size_t n = sizes[k];
                unsigned sofs = so + 4 * (seed >> k & 7), dofs = d0 + 4 * (seed >> (k + 3) & 3);
                memcpy(&dst_buf[dofs], &src_buf[sofs], n);
                h = mix32(h, (uint32_t)dst_buf[dofs] | (uint32_t)dst_buf[dofs + n - 1] << 8);
                if (n >= 64 && memcmp(&dst_buf[dofs], &src_buf[sofs], n) != 0)
                    return 0xbad0bad0u;
            }
    return mix32(h, sum_words(dst_buf, BLOCK));
}

/* ---- 2. frame buffer ------------------------------------------------------------------------- */

#define FB_W 128
#define FB_H 64
static uint8_t fb[FB_H][FB_W] __attribute__((aligned(16)));
static uint8_t sprites[4][16][24];

static NOINLINE void fill_rect(int x, int y, int w, int h, uint8_t colour)
{
    for (int row = y; row < y + h; row++)
        memset(&fb[row][x], colour, (size_t)w);
}

static NOINLINE void blit(int sprite, int x, int y)
{
    for (int row = 0; row < 16; row++)
        memcpy(&fb[y + row][x], sprites[sprite][row], 24);
}

static NOINLINE uint32_t frame(void)
{
    memset(fb, 0, sizeof fb);
    for (int i = 0; i < 12; i++) {
        uint32_t v = xorshift32(&rng);
        int w = 1 + (int)(v & 63), h = 1 + (int)(v >> 6 & 31);
        int x = (int)(v >> 12) % (FB_W - w), y = (int)(v >> 20) % (FB_H - h);
        fill_rect(x, y, w, h, (uint8_t)(v >> 24));
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = xorshift32(&rng);
        blit((int)(v & 3), (int)(v >> 8) % (FB_W - 24), (int)(v >> 16) % (FB_H - 16));
    }
    return sum_words(fb, sizeof fb);
}

/* ---- 3. ring buffer --------------------------------------------------------------------------- */

#define RING 4096
static struct {
    uint8_t data[RING];
    uint32_t head, tail; /* free-running: used = head - tail */
} ring;
static uint8_t chunk_in[1024], chunk_out[1024];

static NOINLINE size_t ring_put(const uint8_t *p, size_t n)
{
    size_t room = RING - (ring.head - ring.tail);
    if (n > room)
        n = room;
    size_t at = ring.head % RING, first = RING - at < n ? RING - at : n;
    memcpy(&ring.data[at], p, first);
    memcpy(&ring.data[0], p + first, n - first);
    ring.head += (uint32_t)n;
    return n;
}

static NOINLINE size_t ring_get(uint8_t *p, size_t n)
{
    size_t used = ring.head - ring.tail;
    if (n > used)
        n = used;
    size_t at = ring.tail % RING, first = RING - at < n ? RING - at : n;
    memcpy(p, &ring.data[at], first);
    memcpy(p + first, &ring.data[0], n - first);
    ring.tail += (uint32_t)n;
    return n;
}

static uint8_t produced_next, consumed_next; /* the byte stream is 0, 1, 2, ... mod 251 */

static NOINLINE uint32_t ring_traffic(void)
{
    uint32_t h = 0;
    for (int i = 0; i < 48; i++) {
        uint32_t v = xorshift32(&rng);
        size_t want = 1 + (v & 1023) % 700;
        for (size_t k = 0; k < want; k++) {
            chunk_in[k] = produced_next;
            produced_next = (uint8_t)(produced_next == 250 ? 0 : produced_next + 1);
        }
        size_t put = ring_put(chunk_in, want);
        if (put < want) { /* ring full: rewind the producer's stream */
            unsigned back = (unsigned)(want - put) % 251;
            produced_next = (uint8_t)((produced_next + 251 - back) % 251);
        }
        size_t got = ring_get(chunk_out, 1 + (v >> 12 & 1023) % 600);
        for (size_t k = 0; k < got; k++) {
            if (chunk_out[k] != consumed_next)
                return 0xbad1bad1u;
            consumed_next = (uint8_t)(consumed_next == 250 ? 0 : consumed_next + 1);
        }
        h = mix32(h, (uint32_t)(put << 16 | got));
    }
    return h;
}

/* ---- 4. struct copies and a sorted table ----------------------------------------------------- */

struct message {
    uint32_t id;
    uint16_t length;
    uint16_t flags;
    uint8_t payload[120];
};

#define MESSAGES 32
static struct message inbox[MESSAGES], outbox[MESSAGES];

static NOINLINE void make_message(struct message *m, uint32_t id)
{
    struct message local;
    memset(&local, 0, sizeof local);
    local.id = id;
    local.length = (uint16_t)(id % 121);
    local.flags = (uint16_t)(id >> 7);
    for (int i = 0; i < local.length; i += 4)
        local.payload[i] = (uint8_t)(id + (uint32_t)i);
    *m = local; /* struct assignment: a memcpy */
}

#define TABLE 200
static uint32_t table[TABLE];
static int table_len;

static NOINLINE void table_insert(uint32_t v)
{
    int lo = 0, hi = table_len;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (table[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&table[lo + 1], &table[lo], (size_t)(table_len - lo) * sizeof table[0]);
    table[lo] = v;
    table_len++;
}

static NOINLINE void table_delete(int at)
{
    memmove(&table[at], &table[at + 1], (size_t)(table_len - at - 1) * sizeof table[0]);
    table_len--;
}

static NOINLINE uint32_t structs_and_table(uint32_t seed)
{
    uint32_t h = 0;
    for (int i = 0; i < MESSAGES; i++)
        make_message(&inbox[i], seed + (uint32_t)i * 2654435761u);
    for (int pass = 0; pass < 4; pass++)
        for (int i = 0; i < MESSAGES; i++) {
            outbox[(i * 7 + pass) % MESSAGES] = inbox[i];
            h = mix32(h, outbox[i].id ^ outbox[i].length);
        }
    if (memcmp(&outbox[3], &inbox[(3 * 9 + 3) % MESSAGES], sizeof(struct message)) == 0)
        h ^= 1;

    table_len = 0;
    for (int i = 0; i < TABLE; i++) {
        table_insert(xorshift32(&rng) % 100000);
        if ((i & 3) == 3)
            table_delete((int)(xorshift32(&rng) % (uint32_t)table_len));
    }
    for (int i = 1; i < table_len; i++)
        if (table[i - 1] > table[i])
            return 0xbad2bad2u;
    return mix32(h, sum_words(table, (size_t)table_len * 4));
}

/* ---- a round ------------------------------------------------------------------------------------ */

static NOINLINE uint32_t round_once(uint32_t seed)
{
    rng ^= seed | 1;
    if (!rng)
        rng = 1;
    uint32_t h = block_copies(seed);
    if (h == 0xbad0bad0u)
        return h;
    h = mix32(h, frame());
    uint32_t r = ring_traffic();
    if (r == 0xbad1bad1u)
        return r;
    uint32_t s = structs_and_table(seed);
    if (s == 0xbad2bad2u)
        return s;
    return mix32(mix32(h, r), s);
}

int main(void)
{
    bench_start("memory");

    /* Known answers: an overlapping move each way, and a misaligned copy. */
    static uint8_t t[32];
    for (int i = 0; i < 32; i++)
        t[i] = (uint8_t)i;
    memmove(t + 1, t, 20);
    memmove(t + 8, t + 10, 13);
    memcpy(t + 21, t + 2, 11);
    static const uint8_t want[32] = {0, 0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16,
                                     17, 18, 19, 21, 22, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13};
    if (memcmp(t, want, 32) != 0)
        return bench_fail("memmove", 0);
    for (int i = 0; i < 4; i++)
        for (int row = 0; row < 16; row++)
            memset(sprites[i][row], 0x40 * i + row, 24 - (size_t)row);

    uint32_t checksum = 0x9b05688cu;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        uint32_t h = round_once(checksum + it);
        if (h == 0xbad0bad0u || h == 0xbad1bad1u || h == 0xbad2bad2u)
            return bench_fail(h == 0xbad0bad0u ? "copy" : h == 0xbad1bad1u ? "ring" : "table", it);
        checksum = h;
        if ((it & 63) == 63)
            print_labeled("round", checksum);
    }
    print_labeled("ring bytes", ring.head);
    return bench_finish(checksum);
}
