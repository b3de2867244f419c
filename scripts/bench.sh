#!/usr/bin/env bash
# Speed benchmark: the CPU-bound workload (Firmware's workload-bench.elf, about 2e9 steps) on
# `timescope run` (release build) and on QEMU in its deterministic mode, alternately.
#
#   scripts/bench.sh [--rounds N] [--scratch-path DIR] [--no-hyperfine]
#
#   --rounds N          timed runs of each emulator (default 3); the median of each is used
#   --scratch-path DIR  SwiftPM build directory (default .build, as `swift build` uses)
#   --no-hyperfine      time with `date +%s.%N` even when hyperfine is installed
#
# What it does:
#  1. builds the firmware (make -C Firmware) and Timescope (swift build -c release);
#  2. runs Timescope once with --dump-state to read the step count ("step") and to check the
#     run exits 0 (this run also warms the caches; it is not timed);
#  3. N rounds, alternating so that machine noise hits both alike: one Timescope run, one
#     QEMU run (qemu-system-riscv32 -M virt -bios none -nographic -icount shift=0 -kernel ELF,
#     QEMU's deterministic one-instruction-per-tick mode: the fair peer of a deterministic
#     emulator);
#  4. prints each run's wall time, the medians, steps per second of each (the same step count
#     for both: the workload takes no trap and never waits, so a step is an instruction) and
#     the ratio Timescope/QEMU in steps per second (> 1: Timescope is faster).
# Wall times come from hyperfine (one run per measurement, no shell) when it is installed,
# else from `date +%s.%N` around the run. Console output of the timed runs is discarded.
# Needs: the cross toolchain (see Firmware/README.md), qemu-system-misc, Swift. Not run by CI.
set -euo pipefail

rounds=3
scratch=""
use_hyperfine=1
command -v hyperfine >/dev/null || use_hyperfine=0
usage() {
    sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
        --scratch-path) [ $# -ge 2 ] || usage; scratch=$2; shift 2 ;;
        --no-hyperfine) use_hyperfine=0; shift ;;
        -h|--help) usage ;;
        *) usage ;;
    esac
done
case "$rounds" in ''|*[!0-9]*|0) echo "bench.sh: --rounds needs a positive number" >&2; exit 2 ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
qemu=${QEMU:-qemu-system-riscv32}
for tool in riscv64-unknown-elf-gcc make swift "$qemu"; do
    command -v "$tool" >/dev/null || {
        echo "bench.sh: $tool is missing (see Firmware/README.md and README.md for what to install)" >&2
        exit 1
    }
done

echo "== building the firmware: make -C Firmware"
make -s -C Firmware
elf=$root/Firmware/build/workload-bench.elf

build=(swift build -c release)
[ -n "$scratch" ] && build+=(--scratch-path "$scratch")
echo "== building Timescope: ${build[*]}"
"${build[@]}"
bin_dir=$("${build[@]}" --show-bin-path)
timescope=$bin_dir/timescope

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== counting steps: timescope run $(basename "$elf") --dump-state (untimed)"
status=0
"$timescope" run "$elf" --dump-state "$tmp/state.json" >"$tmp/console.txt" || status=$?
if [ "$status" -ne 0 ]; then
    echo "bench.sh: timescope run exited $status; console:" >&2
    cat "$tmp/console.txt" >&2
    exit 1
fi
steps=$(grep -o '"step":[0-9]*' "$tmp/state.json" | head -1 | cut -d: -f2)
[ -n "$steps" ] || { echo "bench.sh: no step count in the --dump-state output" >&2; exit 1; }

timescope_cmd=("$timescope" run "$elf")
qemu_cmd=("$qemu" -M virt -bios none -nographic -icount shift=0 -kernel "$elf")

# Prints the wall time of one run of "$@" in seconds; fails when the run does not exit 0.
time_once() {
    if [ "$use_hyperfine" -eq 1 ]; then
        # hyperfine quotes nothing itself with -N: the firmware path must not contain spaces.
        hyperfine -N --runs 1 --style none --output null --export-json "$tmp/run.json" -- "$*" >/dev/null
        grep -o '"median": *[0-9.eE+-]*' "$tmp/run.json" | head -1 | sed 's/.*: *//'
    else
        local start end
        start=$(date +%s.%N)
        "$@" </dev/null >/dev/null
        end=$(date +%s.%N)
        awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
    fi
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

timer=$([ "$use_hyperfine" -eq 1 ] && echo "hyperfine" || echo "date +%s.%N")
echo "== $rounds rounds, alternating (wall time by $timer)"
ts_times=""
qemu_times=""
for round in $(seq 1 "$rounds"); do
    t=$(time_once "${timescope_cmd[@]}")
    ts_times="$ts_times $t"
    q=$(time_once "${qemu_cmd[@]}")
    qemu_times="$qemu_times $q"
    printf '   round %d: timescope %8.3f s   qemu %8.3f s\n' "$round" "$t" "$q"
done

ts_median=$(echo "$ts_times" | median)
qemu_median=$(echo "$qemu_times" | median)
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
qemu_version=$("$qemu" --version | head -1)

echo
echo "workload-bench.elf: $steps steps; host: ${cpu:-unknown CPU}, $(nproc) CPUs; $qemu_version"
awk -v steps="$steps" -v t="$ts_median" -v q="$qemu_median" -v n="$rounds" 'BEGIN {
    printf "| %-37s | %14s | %17s |\n", "emulator", "median wall s", "steps/s"
    printf "| %-37s | %14s | %17s |\n", "-------------------------------------", "--------------", "-----------------"
    printf "| %-37s | %14.3f | %17.0f |\n", "timescope run (release)", t, steps / t
    printf "| %-37s | %14.3f | %17.0f |\n", "qemu-system-riscv32 -icount shift=0", q, steps / q
    printf "ratio Timescope/QEMU (steps/s, median of %d): %.2fx\n", n, q / t
}'
