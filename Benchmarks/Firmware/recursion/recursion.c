/*
 * recursion - recursive algorithms: deep and wide call trees, frames on the stack, returns
 * through saved ra. Per round:
 *
 *   1. quicksort (both halves recursive) and a top-down merge sort of 512 words;
 *   2. a binary search tree: recursive insert of 256 keys from a node pool, recursive
 *      in-order fold, height and lookups;
 *   3. N-queens for N = 7 (40 solutions) by recursive backtracking;
 *   4. Ackermann A(2, n) and A(3, 3), Towers of Hanoi (10 discs), and a recursive-descent
 *      evaluator of generated arithmetic expressions.
 */
#include "bench.h"

static uint32_t rng = 0x9e3779b9u;

/* ---- 1. sorting ----------------------------------------------------------------------------- */

#define N_SORT 512
static int32_t data[N_SORT], scratch[N_SORT], copy[N_SORT];

static NOINLINE void quicksort(int32_t *a, int lo, int hi)
{
    if (lo >= hi)
        return;
    int32_t pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
        while (a[i] < pivot)
            i++;
        while (a[j] > pivot)
            j--;
        if (i <= j) {
            int32_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
    }
    quicksort(a, lo, j);
    quicksort(a, i, hi);
}

static NOINLINE void merge_sort(int32_t *a, int32_t *tmp, int n)
{
    if (n < 2)
        return;
    int half = n / 2;
    merge_sort(a, tmp, half);
    merge_sort(a + half, tmp, n - half);
    int i = 0, j = half, k = 0;
    while (i < half && j < n)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
    while (i < half)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    for (k = 0; k < n; k++)
        a[k] = tmp[k];
}

/* ---- 2. binary search tree ------------------------------------------------------------------- */

struct node {
    struct node *left, *right;
    uint32_t key, count;
};

#define N_NODES 256
static struct node pool[N_NODES];
static int pool_used;

static NOINLINE struct node *insert(struct node *t, uint32_t key)
{
    if (!t) {
        struct node *n = &pool[pool_used++];
        n->left = n->right = 0;
        n->key = key;
        n->count = 1;
        return n;
    }
    if (key < t->key)
        t->left = insert(t->left, key);
    else if (key > t->key)
        t->right = insert(t->right, key);
    else
        t->count++;
    return t;
}

static NOINLINE uint32_t fold_in_order(const struct node *t, uint32_t h)
{
    if (!t)
        return h;
    h = fold_in_order(t->left, h);
    h = mix32(h, t->key + t->count);
    return fold_in_order(t->right, h);
}

static NOINLINE int height(const struct node *t)
{
    if (!t)
        return 0;
    int l = height(t->left), r = height(t->right);
    return 1 + (l > r ? l : r);
}

static NOINLINE const struct node *find(const struct node *t, uint32_t key)
{
    if (!t || t->key == key)
        return t;
    return find(key < t->key ? t->left : t->right, key);
}

/* ---- 3. N-queens ------------------------------------------------------------------------------ */

static NOINLINE int queens(int n, int row, uint32_t cols, uint32_t diag1, uint32_t diag2)
{
    if (row == n)
        return 1;
    int solutions = 0;
    uint32_t free = ~(cols | diag1 | diag2) & ((1u << n) - 1);
    while (free) {
        uint32_t bit = free & -free;
        free ^= bit;
        solutions += queens(n, row + 1, cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1);
    }
    return solutions;
}

/* ---- 4. small classics and an expression evaluator ---------------------------------------------- */

static NOINLINE uint32_t ackermann(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint32_t hanoi_moves, hanoi_digest;

static NOINLINE void hanoi(int discs, int from, int to, int via)
{
    if (discs == 0)
        return;
    hanoi(discs - 1, from, via, to);
    hanoi_moves++;
    hanoi_digest = hanoi_digest * 7 + (uint32_t)(from * 3 + to);
    hanoi(discs - 1, via, to, from);
}

/* Grammar: expr = term {('+'|'-') term}; term = factor {'*' factor}; factor = digit | '(' expr ')' */
#define EXPR_LEN 400
static char expr_text[EXPR_LEN];
static const char *cursor;

static NOINLINE int gen_expr(char *out, int budget, int depth)
{
    int n = 0;
    uint32_t v = xorshift32(&rng);
    if (budget < 12 || depth > 6 || (v & 3) == 0) {
        out[n++] = (char)('0' + (v >> 8) % 10);
        return n;
    }
    int terms = 2 + (int)((v >> 4) & 1);
    if (depth > 0)
        out[n++] = '(';
    for (int i = 0; i < terms; i++) {
        if (i > 0)
            out[n++] = "+-*"[(v >> (12 + 2 * i)) % 3];
        n += gen_expr(out + n, (budget - 2) / terms - 1, depth + 1);
    }
    if (depth > 0)
        out[n++] = ')';
    return n;
}

static uint32_t parse_expr(void);

/* Unsigned arithmetic: products wrap instead of overflowing. */
static NOINLINE uint32_t parse_factor(void)
{
    char c = *cursor++;
    if (c == '(') {
        uint32_t v = parse_expr();
        cursor++; /* ')' */
        return v;
    }
    return (uint32_t)(c - '0');
}

static NOINLINE uint32_t parse_term(void)
{
    uint32_t v = parse_factor();
    while (*cursor == '*') {
        cursor++;
        v *= parse_factor();
    }
    return v;
}

static NOINLINE uint32_t parse_expr(void)
{
    uint32_t v = parse_term();
    while (*cursor == '+' || *cursor == '-') {
        char op = *cursor++;
        uint32_t t = parse_term();
        v = op == '+' ? v + t : v - t;
    }
    return v;
}

/* ---- a round ------------------------------------------------------------------------------------ */

static NOINLINE uint32_t round_once(uint32_t seed)
{
    uint32_t h = seed;
    rng ^= seed | 1;
    if (!rng)
        rng = 1;

    for (int i = 0; i < N_SORT; i++)
        copy[i] = data[i] = (int32_t)(xorshift32(&rng) >> (i & 7));
    quicksort(data, 0, N_SORT - 1);
    merge_sort(copy, scratch, N_SORT);
    for (int i = 0; i < N_SORT; i++)
        if (data[i] != copy[i] || (i > 0 && data[i - 1] > data[i]))
            return 0xbad0bad0u;
    h = mix32(h, (uint32_t)data[0] ^ (uint32_t)data[N_SORT / 3] ^ (uint32_t)data[N_SORT - 1]);

    pool_used = 0;
    struct node *root = 0;
    for (int i = 0; i < N_NODES; i++)
        root = insert(root, xorshift32(&rng) % 1000);
    h = fold_in_order(root, h);
    h = mix32(h, (uint32_t)height(root) << 16 | (uint32_t)pool_used);
    for (uint32_t k = seed % 7; k < 1000; k += 7) {
        const struct node *n = find(root, k);
        if (n)
            h = mix32(h, n->count);
    }

    h = mix32(h, (uint32_t)queens(7, 0, 0, 0, 0));
    h = mix32(h, ackermann(2, seed & 31) + ackermann(3, 3));
    hanoi_moves = 0;
    hanoi(10, 0, 2, 1);
    h = mix32(h, hanoi_moves ^ hanoi_digest);

    int len = gen_expr(expr_text, EXPR_LEN - 1, 0);
    expr_text[len] = 0;
    cursor = expr_text;
    h = mix32(h, parse_expr() ^ (uint32_t)len << 20);
    return h;
}

int main(void)
{
    bench_start("recursion");

    /* Known answers. */
    if (queens(8, 0, 0, 0, 0) != 92)
        return bench_fail("8 queens", (uint32_t)queens(8, 0, 0, 0, 0));
    if (ackermann(2, 3) != 9 || ackermann(3, 3) != 61)
        return bench_fail("ackermann(3, 3)", ackermann(3, 3));
    cursor = "2*(3+4)-5*(1-(2*3))";
    if (parse_expr() != 39)
        return bench_fail("expression", 0);

    uint32_t checksum = 0xa54ff53au;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        checksum = round_once(checksum + it);
        if (checksum == 0xbad0bad0u)
            return bench_fail("sort", it);
        if ((it & 255) == 255)
            print_labeled("round", checksum);
    }
    return bench_finish(checksum);
}
