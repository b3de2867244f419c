/*
 * frames - nested calls, recursion, inlining and arguments that die early: a program to compare
 * source-level frames (functions, lines, arguments, locals) with gdb's. Built twice, `-O0 -g`
 * (frames-O0.elf) and `-O2 -g` (frames-O2.elf): at -O2 `square` and `sum_of_squares` are inlined,
 * there is no frame pointer, and arguments live in location lists that end early.
 *
 * What is where:
 *   descend         recursion 4 deep; int, char, short and pointer arguments; a char array local
 *   sum_of_squares  a static function with a static inline callee (both inlined into
 *                   tally at -O2: two levels of inline frames)
 *   tally           nested blocks, and an `i` in an inner block that shadows the outer one
 *   mix             `seed` is used once at entry and then dead: at -O2 gdb gives its entry value
 *                   (`seed@entry`, from the caller's call site) or `<optimized out>`
 *   measure         a struct passed by value (bt prints it as `...`)
 * Prints a few numbers; the exit status is 0.
 */
#include "board.h"

typedef unsigned char byte_t;

struct span {
    const byte_t *data;
    unsigned int length;
};

/* Results go to volatile memory so that nothing is thrown away. */
static volatile uint32_t results[8];
static const byte_t message[] = "time travel";
unsigned int call_count;
volatile uint32_t noise = 0x5a5a1234u;

static int __attribute__((noinline)) descend(int depth, char tag, short weight, unsigned int *counter)
{
    int local = depth * weight;
    char label[4] = {tag, (char)('0' + depth), '!', 0};

    (*counter)++;
    if (depth > 0)
        local += descend(depth - 1, (char)(tag + 1), (short)(weight - 3), counter);
    results[depth & 7] = (uint32_t)local + (uint32_t)label[1];
    return local;
}

static inline int square(int x)
{
    int product = x * x;
    return product;
}

static int sum_of_squares(int a, int b)
{
    int first = square(a);
    int second = square(b + 1);
    return first + second;
}

static uint32_t __attribute__((noinline)) tally(int rounds, int offset)
{
    uint32_t total = 0;
    for (int i = 0; i < rounds; i++) {
        int step = sum_of_squares(i + offset, rounds - i);
        {
            int i = step & 3; /* shadows the loop counter */
            total += (uint32_t)(step + i);
        }
        results[6] = total;
    }
    return total;
}

/* `seed` is needed only for the first statement; after it, only `acc` and the loop are. */
static uint32_t __attribute__((noinline)) mix(const byte_t *bytes, unsigned int count, uint32_t seed)
{
    uint32_t acc = seed ^ 0x9e3779b9u;
    for (unsigned int i = 0; i < count; i++)
        acc = (acc << 5) + acc + bytes[i];
    results[5] = acc;
    call_count++;
    return acc;
}

static uint32_t __attribute__((noinline)) measure(struct span span, uint32_t bias)
{
    uint32_t sum = bias;
    for (unsigned int k = 0; k < span.length; k++)
        sum += span.data[k];
    results[4] = sum;
    return sum;
}

static void __attribute__((noinline)) report(const char *what, uint32_t value)
{
    uart_puts(what);
    uart_putc(' ');
    print_hex(value);
    uart_putc('\n');
}

int main(void)
{
    unsigned int counter = 0;
    uart_puts("frames start\n");
    int deep = descend(4, 'a', 7, &counter);
    report("descend", (uint32_t)deep);
    report("counter", counter);
    report("tally", tally(3, (int)(noise & 3u)));
    report("mix constant", mix(message, sizeof message - 1, 0x1234u));
    /* The seed here is a volatile load: no call-site value for gdb to recover it from. */
    report("mix noise", mix(message + 5, 6, noise));
    struct span span = {message, 4};
    report("measure", measure(span, call_count));
    uart_puts("frames done\n");
    return 0;
}
