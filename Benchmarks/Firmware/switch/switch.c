/*
 * switch - indirect jumps through switch tables. Per round:
 *
 *   1. a bytecode virtual machine (8 registers, 32 opcodes, a word and a byte memory, a call
 *      stack) whose dispatch is one dense `switch` that GCC compiles to a jump table (a load
 *      from a table of addresses and a `jr`); it runs three programs assembled at start-up by
 *      a small two-pass assembler: Fibonacci with a rotating hash, a sieve of Eratosthenes in
 *      byte memory, and a bubble sort that calls a compare-and-swap subroutine;
 *   2. a lexer whose character classes and token kinds are switches too, over generated
 *      "source text".
 */
#include "bench.h"

/* ---- the virtual machine ------------------------------------------------------------------- */

enum {
    OP_HALT, OP_LI, OP_MOV, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_OR,
    OP_XOR, OP_SHL, OP_SHR, OP_ADDI, OP_LD, OP_ST, OP_LDB, OP_STB,
    OP_JMP, OP_JZ, OP_JNZ, OP_JLT, OP_JGE, OP_CALL, OP_RET, OP_PUSH,
    OP_POP, OP_INC, OP_DEC, OP_CMPEQ, OP_ROTL, OP_OUT, OP_NOP, OP_SWAP,
};

struct vm {
    int32_t r[8];
    int32_t words[64];
    uint8_t bytes[256];
    uint16_t calls[16];
    int32_t stack[16];
    int csp, sp;
    uint32_t out;
    uint32_t executed;
};

#define RD(b) ((b) & 7)
#define RS(b) (((b) >> 4) & 7)

/* Runs code from pc until HALT; returns the number of instructions executed. */
static NOINLINE uint32_t vm_run(struct vm *vm, const uint8_t *code, uint32_t pc)
{
    uint32_t n = 0;
    int32_t *r = vm->r;
    for (;;) {
        uint8_t op = code[pc], a = code[pc + 1];
        uint32_t target = (uint32_t)code[pc + 2] | (uint32_t)code[pc + 3] << 8;
        n++;
        switch (op) {
        case OP_HALT: return n;
        case OP_LI: r[RD(a)] = (int16_t)target; pc += 4; break;
        case OP_MOV: r[RD(a)] = r[RS(a)]; pc += 2; break;
        case OP_ADD: r[RD(a)] += r[RS(a)]; pc += 2; break;
        case OP_SUB: r[RD(a)] -= r[RS(a)]; pc += 2; break;
        case OP_MUL: r[RD(a)] *= r[RS(a)]; pc += 2; break;
        case OP_AND: r[RD(a)] &= r[RS(a)]; pc += 2; break;
        case OP_OR: r[RD(a)] |= r[RS(a)]; pc += 2; break;
        case OP_XOR: r[RD(a)] ^= r[RS(a)]; pc += 2; break;
        case OP_SHL: r[RD(a)] = (int32_t)((uint32_t)r[RD(a)] << (RS(a) + 1)); pc += 2; break;
        case OP_SHR: r[RD(a)] = (int32_t)((uint32_t)r[RD(a)] >> (RS(a) + 1)); pc += 2; break;
        case OP_ADDI: r[RD(a)] += (int8_t)code[pc + 2]; pc += 3; break;
        case OP_LD: r[RD(a)] = vm->words[r[RS(a)] & 63]; pc += 2; break;
        case OP_ST: vm->words[r[RD(a)] & 63] = r[RS(a)]; pc += 2; break;
        case OP_LDB: r[RD(a)] = vm->bytes[r[RS(a)] & 255]; pc += 2; break;
        case OP_STB: vm->bytes[r[RD(a)] & 255] = (uint8_t)r[RS(a)]; pc += 2; break;
        case OP_JMP: pc = target; break;
        case OP_JZ: pc = r[RD(a)] == 0 ? target : pc + 4; break;
        case OP_JNZ: pc = r[RD(a)] != 0 ? target : pc + 4; break;
        case OP_JLT: pc = r[RD(a)] < r[RS(a)] ? target : pc + 4; break;
        case OP_JGE: pc = r[RD(a)] >= r[RS(a)] ? target : pc + 4; break;
        case OP_CALL: vm->calls[vm->csp++ & 15] = (uint16_t)(pc + 4); pc = target; break;
        case OP_RET: pc = vm->calls[--vm->csp & 15]; break;
        case OP_PUSH: vm->stack[vm->sp++ & 15] = r[RD(a)]; pc += 2; break;
        case OP_POP: r[RD(a)] = vm->stack[--vm->sp & 15]; pc += 2; break;
        case OP_INC: r[RD(a)]++; pc += 2; break;
        case OP_DEC: r[RD(a)]--; pc += 2; break;
        case OP_CMPEQ: r[RD(a)] = r[RD(a)] == r[RS(a)]; pc += 2; break;
        case OP_ROTL: {
            uint32_t v = (uint32_t)r[RD(a)];
            int k = RS(a) + 1;
            r[RD(a)] = (int32_t)(v << k | v >> (32 - k));
            pc += 2;
            break;
        }
        case OP_OUT: vm->out = mix32(vm->out, (uint32_t)r[RD(a)]); pc += 2; break;
        case OP_NOP: pc += 2; break;
        case OP_SWAP: {
            int32_t t = r[RD(a)];
            r[RD(a)] = r[RS(a)];
            r[RS(a)] = t;
            pc += 2;
            break;
        }
        default: return n | 0x80000000u; /* unreachable: every opcode is a case */
        }
    }
}

/* ---- a two-pass assembler -------------------------------------------------------------------- */

static uint8_t code[1024];
static int here;
static int16_t labels[32];
static struct {
    int16_t at, label;
} fixups[64];
static int nfixups;

static void emit(uint32_t b) { code[here++] = (uint8_t)b; }
static void rr(int op, int rd, int rs)
{
    emit((uint32_t)op);
    emit((uint32_t)(rd | rs << 4));
}
static void li(int rd, int imm)
{
    emit(OP_LI);
    emit((uint32_t)rd);
    emit((uint32_t)imm & 0xff);
    emit((uint32_t)imm >> 8 & 0xff);
}
static void addi(int rd, int imm)
{
    emit(OP_ADDI);
    emit((uint32_t)rd);
    emit((uint32_t)imm & 0xff);
}
static void jump(int op, int ra, int rb, int label)
{
    emit((uint32_t)op);
    emit((uint32_t)(ra | rb << 4));
    fixups[nfixups].at = (int16_t)here;
    fixups[nfixups++].label = (int16_t)label;
    emit(0);
    emit(0);
}
static void label(int l) { labels[l] = (int16_t)here; }
static void resolve(void)
{
    for (int i = 0; i < nfixups; i++) {
        int at = fixups[i].at, target = labels[fixups[i].label];
        code[at] = (uint8_t)target;
        code[at + 1] = (uint8_t)(target >> 8);
    }
}

static int prog_fib, prog_sieve, prog_sort;

/* Register conventions: the programs read their inputs from r6 (a seed) and r2 (a count). */
static NOINLINE void assemble(void)
{
    enum { FIB_LOOP, CLEAR, OUTER, INNER, NEXT, FILL, PASS, CMP, NOSWAP, SUM, CSWAP, CSWAP_DONE };

    /* Fibonacci mod 2^32, r2 terms, with a rotate-xor hash of the terms in r4. */
    prog_fib = here;
    li(0, 0);
    li(1, 1);
    rr(OP_MOV, 4, 6);
    label(FIB_LOOP);
    rr(OP_MOV, 3, 0);
    rr(OP_ADD, 3, 1);
    rr(OP_MOV, 0, 1);
    rr(OP_MOV, 1, 3);
    rr(OP_ROTL, 3, 6); /* by 7 */
    rr(OP_XOR, 4, 3);
    rr(OP_DEC, 2, 0);
    jump(OP_JNZ, 2, 0, FIB_LOOP);
    rr(OP_OUT, 4, 0);
    rr(OP_OUT, 1, 0);
    emit(OP_HALT);

    /* Sieve of Eratosthenes below 256 in byte memory; outputs the count (54). */
    prog_sieve = here;
    li(0, 0);
    li(7, 256);
    li(1, 0);
    label(CLEAR);
    rr(OP_STB, 0, 1);
    rr(OP_INC, 0, 0);
    jump(OP_JLT, 0, 7, CLEAR);
    li(0, 2);
    li(5, 0);
    label(OUTER);
    rr(OP_LDB, 1, 0);
    jump(OP_JNZ, 1, 0, NEXT);
    rr(OP_INC, 5, 0);
    rr(OP_OUT, 0, 0);
    rr(OP_MOV, 2, 0);
    rr(OP_ADD, 2, 0);
    label(INNER);
    jump(OP_JGE, 2, 7, NEXT);
    li(3, 1);
    rr(OP_STB, 2, 3);
    rr(OP_ADD, 2, 0);
    jump(OP_JMP, 0, 0, INNER);
    label(NEXT);
    rr(OP_INC, 0, 0);
    jump(OP_JLT, 0, 7, OUTER);
    rr(OP_OUT, 5, 0);
    emit(OP_HALT);

    /* Fill 32 words from an LCG seeded by r6, bubble sort them (signed) through a
     * compare-and-swap subroutine, output a hash of the sorted words. */
    prog_sort = here;
    li(0, 0);
    li(7, 32);
    li(5, 16807);
    label(FILL);
    rr(OP_MUL, 6, 5);
    addi(6, 77);
    rr(OP_ST, 0, 6);
    rr(OP_INC, 0, 0);
    jump(OP_JLT, 0, 7, FILL);
    li(1, 31);
    label(PASS);
    li(0, 0);
    label(CMP);
    jump(OP_CALL, 0, 0, CSWAP);
    rr(OP_INC, 0, 0);
    jump(OP_JLT, 0, 1, CMP);
    rr(OP_DEC, 1, 0);
    jump(OP_JNZ, 1, 0, PASS);
    li(0, 0);
    li(4, 0);
    label(SUM);
    rr(OP_LD, 3, 0);
    rr(OP_ROTL, 4, 4); /* by 5 */
    rr(OP_XOR, 4, 3);
    rr(OP_INC, 0, 0);
    jump(OP_JLT, 0, 7, SUM);
    rr(OP_OUT, 4, 0);
    emit(OP_HALT);
    /* cswap: if words[r0] > words[r0 + 1], swap them. Keeps r0 and r1. */
    label(CSWAP);
    rr(OP_PUSH, 1, 0);
    rr(OP_MOV, 2, 0);
    rr(OP_INC, 2, 0);
    rr(OP_LD, 3, 0);
    rr(OP_LD, 4, 2);
    jump(OP_JGE, 4, 3, CSWAP_DONE);
    rr(OP_ST, 0, 4);
    rr(OP_ST, 2, 3);
    rr(OP_NOP, 0, 0);
    label(CSWAP_DONE);
    rr(OP_POP, 1, 0);
    emit(OP_RET);

    resolve();
}

static struct vm vm;

/* ---- the lexer --------------------------------------------------------------------------------- */

enum { T_NUM, T_IDENT, T_OP, T_OPEN, T_CLOSE, T_SEP, T_KINDS };

#define SRC_LEN 600
static char src[SRC_LEN + 1];
static uint32_t token_counts[T_KINDS];

static NOINLINE void make_source(uint32_t *r)
{
    static const char alphabet[] = "abcxyz0123456789+-*/%<>=&|^!~()[]{};, \t\n";
    for (int i = 0; i < SRC_LEN; i++)
        src[i] = alphabet[(xorshift32(r) >> 8) % (sizeof alphabet - 1)];
    src[SRC_LEN] = 0;
}

/* Operator precedence by character: a switch over a dense range of ASCII punctuation. */
static NOINLINE int precedence(char c)
{
    switch (c) {
    case '!': return 9;
    case '%': return 7;
    case '&': return 4;
    case '*': return 7;
    case '+': return 6;
    case '-': return 6;
    case '/': return 7;
    case '<': return 5;
    case '=': return 2;
    case '>': return 5;
    case '^': return 3;
    case '|': return 1;
    case '~': return 9;
    default: return 0;
    }
}

static NOINLINE uint32_t lex(const char *p)
{
    uint32_t h = 0, value = 0;
    while (*p) {
        char c = *p++;
        int kind;
        switch (c) {
        case ' ': case '\t': case '\n': continue;
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            value = (uint32_t)(c - '0');
            while (*p >= '0' && *p <= '9')
                value = value * 10 + (uint32_t)(*p++ - '0');
            kind = T_NUM;
            break;
        case 'a': case 'b': case 'c': case 'x': case 'y': case 'z':
            value = (uint32_t)c;
            while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
                value = value * 31 + (uint32_t)*p++;
            kind = T_IDENT;
            break;
        case '(': case '[': case '{': kind = T_OPEN; value = (uint32_t)c; break;
        case ')': case ']': case '}': kind = T_CLOSE; value = (uint32_t)c; break;
        case ';': case ',': kind = T_SEP; value = 0; break;
        default: kind = T_OP; value = (uint32_t)precedence(c); break;
        }
        token_counts[kind]++;
        switch (kind) {
        case T_NUM: h = h * 3 + value; break;
        case T_IDENT: h ^= value; break;
        case T_OP: h = h * 5 + value; break;
        case T_OPEN: h = (h << 1) | 1; break;
        case T_CLOSE: h = h >> 1 ^ value; break;
        case T_SEP: h = mix32(h, 0x3b); break;
        }
    }
    return h;
}

/* ---- a round ------------------------------------------------------------------------------------ */

static uint32_t vm_instructions;

static NOINLINE uint32_t round_once(uint32_t seed)
{
    uint32_t r = seed | 1;
    vm.out = seed;
    vm.r[6] = (int32_t)seed;
    vm.r[2] = 150 + (int32_t)(seed & 63);
    vm_instructions += vm_run(&vm, code, (uint32_t)prog_fib);
    vm_instructions += vm_run(&vm, code, (uint32_t)prog_sieve);
    vm.r[6] = (int32_t)(seed ^ 0x5bd1e995u);
    vm_instructions += vm_run(&vm, code, (uint32_t)prog_sort);
    for (int i = 1; i < 32; i++)
        if (vm.words[i - 1] > vm.words[i])
            return 0xbad0bad0u;
    make_source(&r);
    return mix32(vm.out, lex(src));
}

int main(void)
{
    bench_start("switch");
    assemble();

    /* Known answer: 54 primes below 256. */
    vm.csp = vm.sp = 0;
    vm_run(&vm, code, (uint32_t)prog_sieve);
    if (vm.r[5] != 54)
        return bench_fail("vm sieve", (uint32_t)vm.r[5]);

    uint32_t checksum = 0x3c6ef372u;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        checksum = round_once(checksum + it);
        if (checksum == 0xbad0bad0u)
            return bench_fail("vm sort", it);
        if ((it & 255) == 255)
            print_labeled("round", checksum);
    }
    print_labeled("vm instructions", vm_instructions);
    print_labeled("numbers", token_counts[T_NUM]);
    print_labeled("operators", token_counts[T_OP]);
    return bench_finish(checksum);
}
