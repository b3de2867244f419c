/*
 * bytes - short loops over byte and halfword arrays (lbu/lb/lhu/lh/sb/sh), the bread and
 * butter of protocol, image and audio code. Per round:
 *
 *   1. CRC-16/CCITT (table-driven: a 256-entry halfword table) of a 1 KiB message;
 *   2. a PackBits-style run-length encoder and decoder, round trip checked;
 *   3. an 8-bit grey image (80x60): 3x3 smoothing and an edge filter with saturation, then
 *      a histogram;
 *   4. 16-bit signals: an 8-tap FIR filter over signed samples (lh/sh) with saturation, and
 *      RGB565 pixels (lhu) turned into 8-bit grey;
 *   5. C strings by hand: strlen, strcmp and strchr over a table of generated words, sorted
 *      by insertion with strcmp.
 */
#include "bench.h"

static uint32_t rng = 0x1234567u;

/* ---- 1. CRC-16/CCITT-FALSE (poly 0x1021, init 0xffff) ------------------------------------- */

static uint16_t crc_table[256];

static NOINLINE void crc16_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint16_t c = (uint16_t)(i << 8);
        for (int k = 0; k < 8; k++)
            c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
        crc_table[i] = c;
    }
}

static NOINLINE uint16_t crc16(const uint8_t *p, int n)
{
    uint16_t crc = 0xffff;
    while (n--)
        crc = (uint16_t)((crc << 8) ^ crc_table[((crc >> 8) ^ *p++) & 0xff]);
    return crc;
}

/* ---- 2. run-length codec -------------------------------------------------------------------- */

#define RLE_LEN 1024
static uint8_t rle_src[RLE_LEN], rle_packed[RLE_LEN + RLE_LEN / 64 + 8], rle_out[RLE_LEN];

/* Control byte c: 0..127 -> c + 1 literal bytes follow; 129..255 -> the next byte 257 - c times. */
static NOINLINE int rle_encode(const uint8_t *src, int n, uint8_t *dst)
{
    int i = 0, o = 0;
    while (i < n) {
        int run = 1;
        while (i + run < n && run < 128 && src[i + run] == src[i])
            run++;
        if (run >= 3) {
            dst[o++] = (uint8_t)(257 - run);
            dst[o++] = src[i];
            i += run;
            continue;
        }
        int start = i, lit = 0;
        while (i < n && lit < 128) {
            if (i + 2 < n && src[i] == src[i + 1] && src[i] == src[i + 2])
                break;
            i++;
            lit++;
        }
        dst[o++] = (uint8_t)(lit - 1);
        for (int k = 0; k < lit; k++)
            dst[o++] = src[start + k];
    }
    return o;
}

static NOINLINE int rle_decode(const uint8_t *src, int n, uint8_t *dst)
{
    int i = 0, o = 0;
    while (i < n) {
        uint8_t c = src[i++];
        if (c < 128) {
            for (int k = 0; k <= c; k++)
                dst[o++] = src[i++];
        } else if (c > 128) {
            uint8_t b = src[i++];
            for (int k = 0; k < 257 - c; k++)
                dst[o++] = b;
        }
    }
    return o;
}

/* ---- 3. 8-bit image filters ------------------------------------------------------------------ */

#define W 80
#define H 60
static uint8_t image[H][W], smooth[H][W], edges[H][W];
static uint16_t histogram[256];

static NOINLINE void make_image(uint32_t seed)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint32_t v = (uint32_t)(x * 3 + y * 2) + (seed >> ((x ^ y) & 7) & 31);
            if (((x - 40) * (x - 40) + (y - 30) * (y - 30)) < 300)
                v += 100;
            image[y][x] = (uint8_t)v;
        }
}

static NOINLINE void smooth3x3(void)
{
    for (int y = 1; y < H - 1; y++)
        for (int x = 1; x < W - 1; x++) {
            uint32_t s = image[y - 1][x - 1] + 2 * image[y - 1][x] + image[y - 1][x + 1] + 2 * image[y][x - 1]
                + 4 * image[y][x] + 2 * image[y][x + 1] + image[y + 1][x - 1] + 2 * image[y + 1][x]
                + image[y + 1][x + 1];
            smooth[y][x] = (uint8_t)(s >> 4);
        }
}

static NOINLINE void edge3x3(void)
{
    for (int y = 1; y < H - 1; y++)
        for (int x = 1; x < W - 1; x++) {
            int gx = smooth[y - 1][x + 1] + 2 * smooth[y][x + 1] + smooth[y + 1][x + 1] - smooth[y - 1][x - 1]
                - 2 * smooth[y][x - 1] - smooth[y + 1][x - 1];
            int gy = smooth[y + 1][x - 1] + 2 * smooth[y + 1][x] + smooth[y + 1][x + 1] - smooth[y - 1][x - 1]
                - 2 * smooth[y - 1][x] - smooth[y - 1][x + 1];
            int g = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
            edges[y][x] = (uint8_t)(g > 255 ? 255 : g);
        }
}

static NOINLINE uint32_t histogram_digest(const uint8_t *p, int n)
{
    for (int i = 0; i < 256; i++)
        histogram[i] = 0;
    for (int i = 0; i < n; i++)
        histogram[p[i]]++;
    uint32_t h = 0;
    for (int i = 0; i < 256; i++)
        h = h * 33 + histogram[i];
    return h;
}

/* ---- 4. 16-bit signals ----------------------------------------------------------------------- */

#define SAMPLES 512
static int16_t signal[SAMPLES], filtered[SAMPLES];
static const int16_t taps[8] = {-1200, 2100, 5400, 9800, 9800, 5400, 2100, -1200};
static uint16_t rgb565[SAMPLES];
static uint8_t grey[SAMPLES];

static NOINLINE void fir8(const int16_t *in, int16_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        int32_t acc = 0;
        for (int k = 0; k < 8; k++)
            acc += (int32_t)in[i - k >= 0 ? i - k : 0] * taps[k];
        acc >>= 15;
        out[i] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : acc);
    }
}

static NOINLINE void rgb565_to_grey(const uint16_t *in, uint8_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        uint16_t p = in[i];
        uint32_t r = (p >> 11) << 3, g = ((p >> 5) & 63) << 2, b = (p & 31) << 3;
        out[i] = (uint8_t)((r * 77 + g * 150 + b * 29) >> 8);
    }
}

static NOINLINE uint32_t sum_signed_bytes(const int8_t *p, int n)
{
    int32_t s = 0;
    for (int i = 0; i < n; i++)
        s += p[i];
    return (uint32_t)s;
}

/* ---- 5. strings by hand ---------------------------------------------------------------------- */

#define WORDS 40
static char text[WORDS * 12];
static char *word[WORDS];

static NOINLINE int my_strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (int)(p - s);
}

static NOINLINE int my_strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static NOINLINE const char *my_strchr(const char *s, int c)
{
    for (; *s; s++)
        if (*s == (char)c)
            return s;
    return 0;
}

static NOINLINE uint32_t strings(void)
{
    char *p = text;
    for (int i = 0; i < WORDS; i++) {
        uint32_t v = xorshift32(&rng);
        int len = 2 + (int)(v % 9);
        word[i] = p;
        for (int k = 0; k < len; k++)
            *p++ = (char)('a' + (xorshift32(&rng) >> 8) % 6); /* few letters: long common prefixes */
        *p++ = 0;
    }
    for (int i = 1; i < WORDS; i++) { /* insertion sort */
        char *w = word[i];
        int j = i - 1;
        while (j >= 0 && my_strcmp(word[j], w) > 0) {
            word[j + 1] = word[j];
            j--;
        }
        word[j + 1] = w;
    }
    uint32_t h = 0;
    for (int i = 0; i < WORDS; i++) {
        if (i > 0 && my_strcmp(word[i - 1], word[i]) > 0)
            return 0xbadbad;
        const char *e = my_strchr(word[i], 'e');
        h = mix32(h, (uint32_t)my_strlen(word[i]) << 8 | (uint32_t)(e ? e - word[i] : 0xff));
    }
    return h;
}

/* ---- a round ---------------------------------------------------------------------------------- */

static NOINLINE uint32_t round_once(uint32_t seed)
{
    uint32_t h = seed;
    rng ^= seed | 1;
    if (!rng)
        rng = 1;

    /* 1 + 2: a message with runs; its CRC, then pack, unpack and compare. */
    for (int i = 0; i < RLE_LEN;) {
        uint32_t v = xorshift32(&rng);
        int run = (v & 3) == 0 ? (int)(v >> 8 & 63) + 1 : 1;
        for (int k = 0; k < run && i < RLE_LEN; k++)
            rle_src[i++] = (uint8_t)(v >> 24);
    }
    h = mix32(h, crc16(rle_src, RLE_LEN));
    int packed = rle_encode(rle_src, RLE_LEN, rle_packed);
    if (rle_decode(rle_packed, packed, rle_out) != RLE_LEN)
        return 0xbad0bad0u;
    for (int i = 0; i < RLE_LEN; i++)
        if (rle_out[i] != rle_src[i])
            return 0xbad0bad0u;
    h = mix32(h, (uint32_t)packed << 16 | crc16(rle_packed, packed));

    /* 3. image */
    make_image(seed);
    smooth3x3();
    edge3x3();
    h = mix32(h, histogram_digest(&edges[0][0], W * H));
    h = mix32(h, crc16(&smooth[0][0], W * H));

    /* 4. signals */
    for (int i = 0; i < SAMPLES; i++) {
        uint32_t v = xorshift32(&rng);
        signal[i] = (int16_t)(((i & 63) - 32) * 700 + (int32_t)(v & 2047) - 1024);
        rgb565[i] = (uint16_t)(v >> 16);
    }
    fir8(signal, filtered, SAMPLES);
    rgb565_to_grey(rgb565, grey, SAMPLES);
    h = mix32(h, crc16((const uint8_t *)filtered, (int)sizeof filtered));
    h = mix32(h, sum_signed_bytes((const int8_t *)filtered, (int)sizeof filtered));
    h = mix32(h, crc16(grey, SAMPLES));

    /* 5. strings */
    h = mix32(h, strings());
    return h;
}

int main(void)
{
    bench_start("bytes");
    crc16_init();
    if (crc16((const uint8_t *)"123456789", 9) != 0x29b1)
        return bench_fail("crc16", crc16((const uint8_t *)"123456789", 9));

    uint32_t checksum = 0xbb67ae85u;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        checksum = round_once(checksum + it);
        if (checksum == 0xbad0bad0u)
            return bench_fail("rle round trip", it);
        if ((it & 127) == 127)
            print_labeled("round", checksum);
    }
    return bench_finish(checksum);
}
