/*
 * sensorhub.c - the post-mortem demo: a bug that corrupts memory early and crashes much later.
 *
 * A little sensor hub registers three sensors, then polls them round after round and prints a
 * report now and then. The third sensor is a spare: it is only switched on after a warm-up of
 * WARMUP_ROUNDS rounds. copy_name() copies a sensor's name without checking its length, and the
 * spare's name ("thermometer1", 12 characters) is longer than the 8 bytes of `name`: its last
 * four characters land on the sensor's `read` function pointer. Nothing goes wrong until the
 * spare is polled, millions of steps later, and the hub calls through the corrupted pointer:
 * pc becomes 0x31726574 ("ter1"), which is not memory, and with no trap handler the run
 * crashes.
 *
 * In Timescope: open the recording (it starts at the crash), step back once to the call in
 * poll_sensors, look at sensors[2].read in memory, and ask for its last write (W): it was
 * copy_name, at the very start.
 */
#include "board.h"

#define SENSOR_COUNT 3
#define WARMUP_ROUNDS 20000
#define REPORT_EVERY 5000

struct sensor {
    char name[8];
    uint32_t (*read)(struct sensor *self);
    uint32_t samples;
    uint32_t total;
    uint32_t state;
};

static struct sensor sensors[SENSOR_COUNT];
static uint32_t active_sensors;

/* The bug: no bound on the destination. */
static void __attribute__((noinline)) copy_name(char *destination, const char *source)
{
    while ((*destination++ = *source++) != 0)
        ;
}

static uint32_t __attribute__((noinline)) read_temperature(struct sensor *self)
{
    self->state = self->state * 1103515245u + 12345u;
    return 200 + (self->state >> 24) % 50; /* tenths of a degree above 20 C */
}

static uint32_t __attribute__((noinline)) read_pressure(struct sensor *self)
{
    self->state ^= self->state << 13;
    self->state ^= self->state >> 17;
    self->state ^= self->state << 5;
    return 1000 + self->state % 40; /* hPa */
}

static void __attribute__((noinline)) register_sensor(int index, const char *name,
                                                      uint32_t (*read)(struct sensor *))
{
    struct sensor *sensor = &sensors[index];
    sensor->read = read;
    sensor->state = 0x1234567u + (uint32_t)index;
    copy_name(sensor->name, name);
    uart_puts("registered ");
    uart_puts(sensor->name);
    uart_putc('\n');
}

/* Smooths the readings: a bit of arithmetic per sample, so that the rounds take time. */
static uint32_t __attribute__((noinline)) filter(uint32_t previous, uint32_t sample)
{
    uint32_t value = previous;
    for (int i = 0; i < 16; i++)
        value = (value * 7 + sample) / 8;
    return value;
}

static void __attribute__((noinline)) poll_sensors(void)
{
    for (uint32_t i = 0; i < active_sensors; i++) {
        struct sensor *sensor = &sensors[i];
        uint32_t sample = sensor->read(sensor);
        sensor->total = filter(sensor->total, sample);
        sensor->samples++;
    }
}

static void report(uint32_t round)
{
    uart_puts("round ");
    print_dec(round);
    for (uint32_t i = 0; i < active_sensors; i++) {
        uart_puts("  ");
        uart_puts(sensors[i].name);
        uart_putc('=');
        print_dec(sensors[i].total);
    }
    uart_putc('\n');
}

int main(void)
{
    uart_puts("sensor hub starting\n");
    register_sensor(0, "temp", read_temperature);
    register_sensor(1, "baro", read_pressure);
    register_sensor(2, "thermometer1", read_temperature); /* the spare: its name is too long */
    active_sensors = 2;

    for (uint32_t round = 1; round <= 2 * WARMUP_ROUNDS; round++) {
        if (round == WARMUP_ROUNDS) {
            uart_puts("warm-up done, switching on the spare sensor\n");
            active_sensors = 3;
        }
        poll_sensors();
        if (round % REPORT_EVERY == 0)
            report(round);
    }
    uart_puts("all rounds done\n");
    return 0;
}
