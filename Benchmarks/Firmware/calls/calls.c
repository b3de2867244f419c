/*
 * calls - call-heavy code: many small functions, calls through function pointers, returns
 * through ra. Three parts per round, each built from tiny non-inlined functions:
 *
 *   1. a threaded-code interpreter (Forth-like): a program is an array of cells, each a
 *      pointer to a primitive (lit, dup, add, fetch, branch, call, ...) and an argument; the
 *      inner loop calls through the pointer, and the primitives call push/pop helpers;
 *   2. a packet parser whose states are functions returning the next state, delivering each
 *      packet to a handler picked from a table of function pointers by packet type;
 *   3. "drivers" behind tables of operations (a vtable per shape kind).
 *
 * Each round's results are folded into a checksum printed at the end.
 */
#include "bench.h"

/* ---- 1. threaded-code interpreter ------------------------------------------------------- */

struct vm;
typedef void (*prim_fn)(struct vm *);

struct cell {
    prim_fn fn;
    int32_t arg;
};

struct frame {
    const struct cell *ip;
    const struct cell *base;
};

struct vm {
    const struct cell *ip;   /* next cell */
    const struct cell *base; /* start of the current word (branch targets are indexes) */
    int32_t arg;             /* argument of the cell being executed */
    int sp;
    int rsp;
    int32_t stack[32];
    struct frame rstack[16];
    int32_t vars[8];
};

static NOINLINE void push(struct vm *vm, int32_t v) { vm->stack[vm->sp++ & 31] = v; }
static NOINLINE int32_t pop(struct vm *vm) { return vm->stack[--vm->sp & 31]; }
static NOINLINE int32_t top(const struct vm *vm) { return vm->stack[(vm->sp - 1) & 31]; }

static NOINLINE void p_lit(struct vm *vm) { push(vm, vm->arg); }
static NOINLINE void p_dup(struct vm *vm) { push(vm, top(vm)); }
static NOINLINE void p_drop(struct vm *vm) { (void)pop(vm); }
static NOINLINE void p_swap(struct vm *vm)
{
    int32_t b = pop(vm), a = pop(vm);
    push(vm, b);
    push(vm, a);
}
static NOINLINE void p_over(struct vm *vm)
{
    int32_t b = pop(vm), a = top(vm);
    push(vm, b);
    push(vm, a);
}
static NOINLINE void p_add(struct vm *vm) { push(vm, pop(vm) + pop(vm)); }
static NOINLINE void p_sub(struct vm *vm)
{
    int32_t b = pop(vm);
    push(vm, pop(vm) - b);
}
static NOINLINE void p_mul(struct vm *vm) { push(vm, pop(vm) * pop(vm)); }
static NOINLINE void p_xor(struct vm *vm) { push(vm, pop(vm) ^ pop(vm)); }
static NOINLINE void p_and(struct vm *vm) { push(vm, pop(vm) & pop(vm)); }
static NOINLINE void p_shr(struct vm *vm) { push(vm, (int32_t)((uint32_t)pop(vm) >> vm->arg)); }
static NOINLINE void p_shl(struct vm *vm) { push(vm, (int32_t)((uint32_t)pop(vm) << vm->arg)); }
static NOINLINE void p_lt(struct vm *vm)
{
    int32_t b = pop(vm);
    push(vm, pop(vm) < b);
}
static NOINLINE void p_fetch(struct vm *vm) { push(vm, vm->vars[vm->arg & 7]); }
static NOINLINE void p_store(struct vm *vm) { vm->vars[vm->arg & 7] = pop(vm); }
static NOINLINE void p_branch(struct vm *vm) { vm->ip = vm->base + vm->arg; }
static NOINLINE void p_zbranch(struct vm *vm)
{
    if (pop(vm) == 0)
        vm->ip = vm->base + vm->arg;
}

static const struct cell *const words[];

static NOINLINE void p_call(struct vm *vm)
{
    struct frame *f = &vm->rstack[vm->rsp++ & 15];
    f->ip = vm->ip;
    f->base = vm->base;
    vm->base = vm->ip = words[vm->arg];
}
static NOINLINE void p_exit(struct vm *vm)
{
    if (vm->rsp == 0) {
        vm->ip = 0;
        return;
    }
    const struct frame *f = &vm->rstack[--vm->rsp & 15];
    vm->ip = f->ip;
    vm->base = f->base;
}

/* Word 0, collatz-steps ( n -- steps ): the number of 3n+1 steps to reach 1. */
static const struct cell w_collatz[] = {
    /* 0 */ {p_store, 0}, {p_lit, 0}, {p_store, 1},
    /* 3 */ {p_fetch, 0}, {p_lit, 2}, {p_lt, 0}, {p_zbranch, 9}, {p_fetch, 1}, {p_exit, 0},
    /* 9 */ {p_fetch, 0}, {p_lit, 1}, {p_and, 0}, {p_zbranch, 22},
    /* 13: odd, n = 3n + 1 */ {p_fetch, 0}, {p_dup, 0}, {p_dup, 0}, {p_add, 0}, {p_add, 0},
    /* 18 */ {p_lit, 1}, {p_add, 0}, {p_store, 0}, {p_branch, 25},
    /* 22: even, n = n / 2 */ {p_fetch, 0}, {p_shr, 1}, {p_store, 0},
    /* 25: steps++ */ {p_fetch, 1}, {p_lit, 1}, {p_add, 0}, {p_store, 1}, {p_branch, 3},
};

/* Word 1, hash-step ( h x -- h' ): h' = ((h ^ x) * 0x01000193) rotated left by 5. */
static const struct cell w_hash[] = {
    {p_xor, 0}, {p_lit, 0x01000193}, {p_mul, 0}, {p_dup, 0}, {p_shl, 5}, {p_swap, 0}, {p_shr, 27},
    {p_xor, 0}, {p_exit, 0},
};

/* Word 2, main ( seed -- hash ): hash of collatz-steps(seed + i) for i in 0..15, plus an
 * over/drop/sub exercise. */
static const struct cell w_main[] = {
    /* 0 */ {p_store, 2}, {p_lit, 0}, {p_store, 3}, {p_lit, (int32_t)0x811c9dc5}, {p_store, 4},
    /* 5 */ {p_fetch, 3}, {p_lit, 16}, {p_lt, 0}, {p_zbranch, 25},
    /* 9 */ {p_fetch, 4}, {p_fetch, 2}, {p_fetch, 3}, {p_add, 0}, {p_call, 0}, {p_call, 1},
    /* 15 */ {p_fetch, 3}, {p_over, 0}, {p_sub, 0}, {p_drop, 0}, {p_store, 4},
    /* 20 */ {p_fetch, 3}, {p_lit, 1}, {p_add, 0}, {p_store, 3}, {p_branch, 5},
    /* 25 */ {p_fetch, 4}, {p_exit, 0},
};

static const struct cell *const words[] = {w_collatz, w_hash, w_main};

static NOINLINE void vm_run(struct vm *vm)
{
    while (vm->ip) {
        const struct cell *c = vm->ip++;
        vm->arg = c->arg;
        c->fn(vm);
    }
}

static struct vm vm;

static NOINLINE uint32_t interpret(uint32_t seed)
{
    vm.sp = 0;
    vm.rsp = 0;
    vm.base = vm.ip = w_main;
    push(&vm, (int32_t)(seed & 0x3ff) + 1);
    vm_run(&vm);
    return (uint32_t)pop(&vm) ^ (uint32_t)vm.sp;
}

/* ---- 2. packet parser: states are functions ------------------------------------------- */

/* A packet on the wire: 0xA5, length (0..15), type (0..5), payload, 8-bit sum of all before. */
#define SYNC 0xA5u

struct parser;
typedef struct state {
    struct state (*fn)(struct parser *, uint8_t);
} state;

struct parser {
    state st;
    uint8_t len, type, got, sum;
    uint8_t payload[16];
    uint32_t delivered, dropped, digest;
    int32_t temperature, peak;
};

typedef void (*handler_fn)(struct parser *);

static NOINLINE int32_t clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }
static NOINLINE int32_t le16(const uint8_t *p) { return (int16_t)(p[0] | p[1] << 8); }
static NOINLINE int32_t max32(int32_t a, int32_t b) { return a > b ? a : b; }
static NOINLINE void note(struct parser *p, uint32_t v) { p->digest = mix32(p->digest, v); }

static NOINLINE void on_ping(struct parser *p) { note(p, 1); }
static NOINLINE void on_temperature(struct parser *p)
{
    if (p->len < 2) {
        note(p, 0xbad);
        return;
    }
    int32_t t = clamp(le16(p->payload), -400, 1250);
    p->temperature = (p->temperature * 3 + t) / 4;
    p->peak = max32(p->peak, t);
    note(p, (uint32_t)p->temperature);
}
static NOINLINE void on_accel(struct parser *p)
{
    int32_t x = 0, y = 0, z = 0;
    if (p->len >= 6) {
        x = le16(p->payload);
        y = le16(p->payload + 2);
        z = le16(p->payload + 4);
    }
    note(p, (uint32_t)(clamp(x, -2048, 2047) * 3 + clamp(y, -2048, 2047) * 5 + clamp(z, -2048, 2047) * 7));
}
static NOINLINE void on_log(struct parser *p)
{
    uint32_t h = 0;
    for (int i = 0; i < p->len; i++)
        h = h * 31 + p->payload[i];
    note(p, h);
}
static NOINLINE void on_config(struct parser *p) { note(p, p->len ? p->payload[0] : 0xff); }
static NOINLINE void on_unknown(struct parser *p) { note(p, 0xdead0000u | p->type); }

static const handler_fn handlers[8] = {
    on_ping, on_temperature, on_accel, on_log, on_config, on_unknown, on_unknown, on_unknown,
};

static state st_sync(struct parser *p, uint8_t b);
static state st_len(struct parser *p, uint8_t b);
static state st_type(struct parser *p, uint8_t b);
static state st_payload(struct parser *p, uint8_t b);
static state st_check(struct parser *p, uint8_t b);

static NOINLINE state go(state (*fn)(struct parser *, uint8_t)) { return (state){fn}; }
static NOINLINE void add_sum(struct parser *p, uint8_t b) { p->sum = (uint8_t)(p->sum + b); }

static NOINLINE state st_sync(struct parser *p, uint8_t b)
{
    if (b != SYNC)
        return go(st_sync);
    p->sum = 0;
    add_sum(p, b);
    return go(st_len);
}
static NOINLINE state st_len(struct parser *p, uint8_t b)
{
    if (b > 15) {
        p->dropped++;
        return go(st_sync);
    }
    p->len = b;
    p->got = 0;
    add_sum(p, b);
    return go(st_type);
}
static NOINLINE state st_type(struct parser *p, uint8_t b)
{
    p->type = b & 7;
    add_sum(p, b);
    return p->len ? go(st_payload) : go(st_check);
}
static NOINLINE state st_payload(struct parser *p, uint8_t b)
{
    p->payload[p->got++] = b;
    add_sum(p, b);
    return p->got == p->len ? go(st_check) : go(st_payload);
}
static NOINLINE state st_check(struct parser *p, uint8_t b)
{
    if (b == p->sum) {
        p->delivered++;
        handlers[p->type](p);
    } else {
        p->dropped++;
    }
    return go(st_sync);
}

static NOINLINE void parser_feed(struct parser *p, const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++)
        p->st = p->st.fn(p, bytes[i]);
}

#define STREAM_LEN 1536
static uint8_t stream[STREAM_LEN];

/* Writes packets (some corrupted, some with junk between) into stream; returns the length. */
static NOINLINE int make_stream(uint32_t seed)
{
    uint32_t r = seed | 1;
    int n = 0;
    while (n < STREAM_LEN - 24) {
        uint32_t v = xorshift32(&r);
        if ((v & 15) == 0) { /* junk byte */
            stream[n++] = (uint8_t)(v >> 8);
            continue;
        }
        uint8_t len = (uint8_t)((v >> 4) & 15), type = (uint8_t)((v >> 8) % 6), sum = SYNC;
        stream[n++] = SYNC;
        stream[n++] = len;
        stream[n++] = type;
        sum = (uint8_t)(sum + len + type);
        for (int i = 0; i < len; i++) {
            uint8_t b = (uint8_t)(xorshift32(&r) >> 24);
            stream[n++] = b;
            sum = (uint8_t)(sum + b);
        }
        stream[n++] = (v & 0x3f0000) == 0 ? (uint8_t)~sum : sum; /* 1 in 64 corrupted */
    }
    return n;
}

static struct parser parser;

static NOINLINE uint32_t parse(uint32_t seed)
{
    int n = make_stream(seed);
    parser_feed(&parser, stream, n);
    return parser.digest ^ parser.delivered * 0x9e3779b9u ^ parser.dropped ^ (uint32_t)parser.peak;
}

/* ---- 3. drivers behind operation tables ------------------------------------------------ */

struct shape;
struct shape_ops {
    int32_t (*area)(const struct shape *);
    int32_t (*perimeter)(const struct shape *);
    void (*grow)(struct shape *, int32_t);
};
struct shape {
    const struct shape_ops *ops;
    int32_t a, b, c;
};

static NOINLINE int32_t isqrt(int32_t v)
{
    int32_t r = 0;
    for (int32_t bit = 1 << 14; bit; bit >>= 1)
        if ((r + bit) * (r + bit) <= v)
            r += bit;
    return r;
}
static NOINLINE int32_t rect_area(const struct shape *s) { return s->a * s->b; }
static NOINLINE int32_t rect_perimeter(const struct shape *s) { return 2 * (s->a + s->b); }
static NOINLINE void rect_grow(struct shape *s, int32_t d)
{
    s->a = clamp(s->a + d, 1, 1000);
    s->b = clamp(s->b + d, 1, 1000);
}
static NOINLINE int32_t square_area(const struct shape *s) { return s->a * s->a; }
static NOINLINE int32_t square_perimeter(const struct shape *s) { return 4 * s->a; }
static NOINLINE void square_grow(struct shape *s, int32_t d) { s->a = clamp(s->a + d, 1, 1000); }
static NOINLINE int32_t tri_perimeter(const struct shape *s) { return s->a + s->b + s->c; }
static NOINLINE int32_t tri_area(const struct shape *s)
{
    /* Heron's formula, scaled: 4 * area = sqrt((a+b+c)(-a+b+c)(a-b+c)(a+b-c)) */
    int32_t p = tri_perimeter(s);
    int32_t q = (p - 2 * s->a) * (p - 2 * s->b) / 16;
    return isqrt(clamp(p * q / 16 * (p - 2 * s->c), 0, 0x3fffffff));
}
static NOINLINE void tri_grow(struct shape *s, int32_t d)
{
    s->a = clamp(s->a + d, 2, 300);
    s->b = clamp(s->b + d, 2, 300);
    s->c = clamp(s->c + d, 2, 300);
}

static const struct shape_ops rect_ops = {rect_area, rect_perimeter, rect_grow};
static const struct shape_ops square_ops = {square_area, square_perimeter, square_grow};
static const struct shape_ops tri_ops = {tri_area, tri_perimeter, tri_grow};
static const struct shape_ops *const kinds[3] = {&rect_ops, &square_ops, &tri_ops};

#define SHAPES 48
static struct shape shapes[SHAPES];

static NOINLINE uint32_t drive_shapes(uint32_t seed)
{
    uint32_t r = seed | 1, h = 0;
    for (int i = 0; i < SHAPES; i++) {
        uint32_t v = xorshift32(&r);
        shapes[i].ops = kinds[v % 3];
        shapes[i].a = (int32_t)(v >> 8 & 63) + 10;
        shapes[i].b = (int32_t)(v >> 14 & 63) + 10;
        shapes[i].c = (shapes[i].a + shapes[i].b) / 2 + 1;
    }
    for (int pass = 0; pass < 4; pass++)
        for (int i = 0; i < SHAPES; i++) {
            struct shape *s = &shapes[i];
            s->ops->grow(s, pass - 1);
            h = mix32(h, (uint32_t)s->ops->area(s));
            h = mix32(h, (uint32_t)s->ops->perimeter(s));
        }
    return h;
}

/* ---- main ------------------------------------------------------------------------------- */

int main(void)
{
    uint32_t checksum = 0x2545f491u;

    bench_start("calls");
    /* Known answers: 27 takes 111 steps to reach 1. */
    vm.base = vm.ip = w_collatz;
    push(&vm, 27);
    vm_run(&vm);
    if (pop(&vm) != 111 || vm.sp != 0)
        return bench_fail("collatz(27)", (uint32_t)vm.sp);
    parser.st = go(st_sync);
    parser.digest = 0x811c9dc5u;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        checksum = mix32(checksum, interpret(checksum + it));
        checksum = mix32(checksum, parse(checksum));
        checksum = mix32(checksum, drive_shapes(checksum));
        if ((it & 127) == 127)
            print_labeled("round", checksum);
    }
    print_labeled("delivered", parser.delivered);
    print_labeled("dropped", parser.dropped);
    return bench_finish(checksum);
}
