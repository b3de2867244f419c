/*
 * structs - data to show: a device registry with nested structs, an array of structs, a union,
 * enums, bit-fields, typedefs, const and volatile members, pointers to struct, function
 * pointers, char arrays, float and double (soft-float: the hart has no FPU), globals and file
 * statics. Built `-O0 -g` (structs-O0.elf) and `-O2 -g` (structs-O2.elf) to compare
 * source-level values with gdb's.
 *
 * Registers four devices, links them into a list, sends each an event through its handler
 * (function pointer) and prints a line per device; the exit status is 0.
 */
#include "board.h"

typedef uint16_t device_id_t;

enum device_mode {
    MODE_IDLE,
    MODE_SAMPLING = 3,
    MODE_FAULT = -1,
};
typedef enum device_mode device_mode_t;

enum event { EVENT_POLL = 1, EVENT_RESET, EVENT_SHUTDOWN };

struct calibration {
    float gain;
    double offset;
    int16_t trim[3];
};

struct flags {
    unsigned int enabled : 1;
    unsigned int channel : 3;
    signed int bias : 4;
    unsigned int level : 7;
    _Bool urgent;
};

union reading {
    uint32_t raw;
    int16_t halves[2];
    uint8_t bytes[4];
    float as_float;
};

struct device;
typedef int (*event_handler)(struct device *device, enum event event);

struct device {
    char name[12];
    device_id_t id;
    device_mode_t mode;
    struct flags flags;
    struct calibration calibration;
    union reading last;
    event_handler on_event;
    struct device *next;
    const char *label;
    volatile uint32_t *status;
};

struct registry {
    struct device devices[4];
    unsigned int count;
    struct device *head;
};

struct registry registry;
const struct calibration default_calibration = {1.5f, -0.25, {1, -2, 3}};
static volatile uint32_t status_words[4];
static struct device spare = {
    .name = "spare",
    .id = 99,
    .mode = MODE_FAULT,
    .flags = {.enabled = 0, .channel = 7, .bias = -8, .level = 127, .urgent = 1},
    .calibration = {0.5f, 2.0, {-1, 0, 1}},
    .last = {.raw = 0xdeadbeefu},
    .label = "never used",
};
static int events_handled;

static void __attribute__((noinline)) copy_text(char *destination, const char *source, unsigned int size)
{
    unsigned int n = 0;
    while (n + 1 < size && source[n] != 0) {
        destination[n] = source[n];
        n++;
    }
    destination[n] = 0;
}

static int __attribute__((noinline)) on_temperature(struct device *device, enum event event)
{
    union reading sample;
    sample.halves[0] = (int16_t)(device->id * 10 - 3);
    sample.halves[1] = (int16_t)event;
    float scaled = (float)sample.halves[0] * device->calibration.gain;
    double corrected = (double)scaled + device->calibration.offset;
    device->last = sample;
    device->flags.level = (unsigned int)corrected & 0x7fu;
    *device->status = sample.raw;
    events_handled++;
    return (int)corrected;
}

static int __attribute__((noinline)) on_pressure(struct device *device, enum event event)
{
    const struct calibration *calibration = &device->calibration;
    int16_t trimmed[3];
    for (int t = 0; t < 3; t++)
        trimmed[t] = (int16_t)(calibration->trim[t] + (int16_t)event);
    device->last.bytes[0] = (uint8_t)trimmed[0];
    device->last.bytes[1] = (uint8_t)trimmed[1];
    device->last.bytes[2] = (uint8_t)trimmed[2];
    device->last.bytes[3] = (uint8_t)device->flags.channel;
    device->mode = device->flags.bias < 0 ? MODE_FAULT : MODE_SAMPLING;
    *device->status = device->last.raw;
    events_handled++;
    return trimmed[0] + trimmed[1] + trimmed[2];
}

static struct device *__attribute__((noinline))
add_device(struct registry *into, const char *name, device_id_t id, const struct calibration *calibration,
           event_handler handler)
{
    struct device *device = &into->devices[into->count];
    copy_text(device->name, name, sizeof device->name);
    device->id = id;
    device->mode = MODE_IDLE;
    device->flags.enabled = 1;
    device->flags.channel = into->count & 7u;
    device->flags.bias = (int)into->count - 2;
    device->flags.level = 0;
    device->flags.urgent = id > 200;
    device->calibration = *calibration;
    device->calibration.trim[into->count % 3] += (int16_t)id;
    device->last.raw = 0;
    device->on_event = handler;
    device->next = into->head;
    device->label = into->count % 2 ? "odd" : "even";
    device->status = &status_words[into->count];
    into->head = device;
    into->count++;
    return device;
}

static int __attribute__((noinline)) dispatch(struct device *device, enum event event)
{
    int answer = device->on_event(device, event);
    if (answer < 0)
        device->mode = MODE_FAULT;
    return answer;
}

static void __attribute__((noinline)) print_device(const struct device *device, int answer)
{
    uart_puts(device->name);
    uart_puts(" id ");
    print_dec(device->id);
    uart_puts(" answer ");
    print_hex((uint32_t)answer);
    uart_puts(" last ");
    print_hex(device->last.raw);
    uart_puts(" level ");
    print_dec(device->flags.level);
    uart_putc('\n');
}

int main(void)
{
    struct calibration warm = default_calibration;
    warm.gain = 2.25f;
    warm.offset = 0.125;
    uart_puts("structs start\n");
    add_device(&registry, "thermo", 7, &warm, on_temperature);
    add_device(&registry, "barometer-long-name", 300, &default_calibration, on_pressure);
    add_device(&registry, "hygro", 12, &spare.calibration, on_temperature);
    add_device(&registry, "wind", 250, &warm, on_pressure);
    int total = 0;
    for (struct device *device = registry.head; device != 0; device = device->next) {
        int answer = dispatch(device, device->id > 100 ? EVENT_RESET : EVENT_POLL);
        print_device(device, answer);
        total += answer;
    }
    uart_puts("events ");
    print_dec((uint32_t)events_handled);
    uart_puts(" total ");
    print_hex((uint32_t)total);
    uart_puts("\nstructs done\n");
    return 0;
}
