/*
 * interrupts - a machine timer interrupt every few thousand instructions while the main loop
 * does real work and writes to the UART.
 *
 * The CLINT timer fires every PERIOD mtime ticks (10 MHz: 30 ticks = 3 us, which is 3,000
 * instructions on a 1 GHz hart, as with QEMU's -icount shift=0 and on Timescope). The handler
 * (a C function with GCC's interrupt attribute: it saves what it uses and returns with mret)
 * moves the deadline on by one period and re-arms mtimecmp, counts the tick, takes a "sensor"
 * sample into a ring of halfwords and, every 256 ticks, posts a report: the tick number and
 * the sum of the latest 16 samples.
 *
 * The main loop multiplies 16x16 matrices of halfwords (lh), prints a "frame" line every 256
 * rounds and, whenever a report is posted, takes it (two words, read with interrupts off) and
 * checks its sum against its own replay of the sensor up to that tick. At the end it prints
 * "timer ok" when ticks came and every report checked out.
 *
 * Nothing printed depends on when the interrupts arrived, only on the work done: the output
 * is the same on Timescope, on QEMU with -icount and on QEMU without it (whose mtime follows
 * the host clock). Printing tick numbers as they come would not be: Timescope's simulated
 * clock also advances one cycle per interrupt entry (a step), QEMU's -icount clock does not,
 * and QEMU raises the timer interrupt (mtimecmp - mtime) * 100 instructions after the write
 * of mtimecmp rather than when mtime reaches mtimecmp; over a billion instructions the two
 * drift apart by hundreds of thousands of instructions (README.md).
 *
 * On QEMU without -icount an interrupt costs microseconds of host time, more than the period:
 * the handler then starts again from mtime instead of storming to catch up.
 */
#include "bench.h"

#define PERIOD 30u /* mtime ticks between interrupts */

/* The sensor: sample t (t = 1, 2, ...) comes from the t-th step of an LCG. */
static uint32_t sensor_step(uint32_t *state) { return *state = *state * 1103515245u + 12345u; }
static int16_t sensor_sample(uint32_t state, uint32_t t) { return (int16_t)((int32_t)(state >> 16) - 32768 + (int32_t)(t & 255)); }
#define SENSOR_SEED 0x2f6b3c5du

static uint64_t deadline;
static volatile uint32_t ticks;
static uint32_t sensor = SENSOR_SEED;
static int16_t samples[64];
static volatile uint32_t report_due, report_tick;
static volatile int32_t report_sum;

void __attribute__((interrupt("machine"), aligned(4))) trap_handler(void)
{
    uint32_t cause = csr_read(mcause);
    if (cause != (MCAUSE_INT | IRQ_M_TIMER)) {
        uart_puts("unexpected trap ");
        print_hex(cause);
        uart_putc(' ');
        print_hex(csr_read(mepc));
        uart_putc('\n');
        board_exit(3);
    }
    deadline += PERIOD;
    uint64_t now = clint_mtime();
    if (deadline <= now) /* fallen behind: only where mtime follows a host clock */
        deadline = now + PERIOD;
    clint_set_mtimecmp(deadline);

    uint32_t t = ticks + 1;
    ticks = t;
    samples[t & 63] = sensor_sample(sensor_step(&sensor), t);
    if ((t & 255) == 0) {
        int32_t sum = 0;
        for (uint32_t i = 0; i < 16; i++)
            sum += samples[(t - i) & 63];
        report_tick = t;
        report_sum = sum;
        report_due = 1;
    }
}

static void timer_start(void)
{
    csr_write(mtvec, (uint32_t)(uintptr_t)trap_handler);
    deadline = clint_mtime() + PERIOD;
    clint_set_mtimecmp(deadline);
    csr_set(mie, MIE_MTIE);
    csr_set(mstatus, MSTATUS_MIE);
}

static void timer_stop(void)
{
    csr_clear(mstatus, MSTATUS_MIE);
    csr_clear(mie, MIE_MTIE);
}

/* The main loop's replay of the sensor, and what it found. */
static uint32_t replay_state = SENSOR_SEED, replay_tick;
static int16_t replay_samples[64];
static uint32_t reports_taken, reports_wrong;

/* Takes the posted report (with interrupts off: the two words belong together) and checks it. */
static NOINLINE void take_report(void)
{
    csr_clear(mstatus, MSTATUS_MIE);
    uint32_t t = report_tick;
    int32_t sum = report_sum;
    report_due = 0;
    csr_set(mstatus, MSTATUS_MIE);

    while (replay_tick < t) {
        replay_tick++;
        replay_samples[replay_tick & 63] = sensor_sample(sensor_step(&replay_state), replay_tick);
    }
    int32_t expected = 0;
    for (uint32_t i = 0; i < 16; i++)
        expected += replay_samples[(t - i) & 63];
    reports_taken++;
    if (sum != expected)
        reports_wrong++;
}

/* ---- the work: halfword matrices --------------------------------------------------------------- */

#define N 16
static int16_t a[N][N], b[N][N];
static int32_t c[N][N];

static NOINLINE void matmul(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < N; k++)
                acc += a[i][k] * b[k][j];
            c[i][j] = acc;
        }
}

static NOINLINE uint32_t round_once(uint32_t seed)
{
    uint32_t r = seed | 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            a[i][j] = (int16_t)(xorshift32(&r) >> 16);
    matmul();
    uint32_t h = seed;
    for (int i = 0; i < N; i++)
        h = mix32(h, (uint32_t)c[i][i] ^ (uint32_t)c[i][N - 1 - i]);
    /* b drifts a little every round */
    b[seed % N][(seed >> 4) % N] = (int16_t)(h >> 16);
    return h;
}

int main(void)
{
    bench_start("interrupts");
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            b[i][j] = (int16_t)((i + 1) * (j - 7) * 97);

    timer_start();
    uint32_t checksum = 0x1f83d9abu;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        checksum = round_once(checksum + it);
        if ((it & 255) == 255) {
            uart_puts("frame ");
            print_dec(it + 1);
            uart_putc(' ');
            print_hex(checksum);
            uart_putc('\n');
        }
        if (report_due)
            take_report();
    }
    timer_stop();
    if (report_due) /* posted after the last look */
        take_report();
    if (ticks == 0)
        return bench_fail("no timer interrupts", 0);
    /* A report can be overwritten before the main loop takes it only where mtime follows a
     * host clock that runs on while the emulator is descheduled. */
    if (reports_wrong != 0 || reports_taken > ticks / 256)
        return bench_fail("timer reports wrong/taken", reports_wrong << 16 | reports_taken);
    uart_puts("timer ok\n");
    return bench_finish(checksum);
}
