#!/usr/bin/env bash
# Speed benchmark: the benchmark set (Benchmarks/Firmware, seven firmware-shaped programs of
# about 1e9 instructions each) on `timescope run` (release build) and on QEMU, alternately.
#
#   scripts/bench.sh [--rounds N] [--record] [--only NAME,...] [--no-workload] [--small]
#                    [--scratch-path DIR]
#
#   --rounds N          timed runs of each program on each emulator (default 3); medians are used
#   --record            also time `timescope record` and `timescope watch` (in tmux) against
#                       `run`, and `timescope verify` each recording
#   --only NAME,...     only these programs (calls, int64, bytes, switch, recursion, memory,
#                       interrupts, workload-bench)
#   --no-workload       leave out Firmware's workload-bench (a reference row, not in the mean)
#   --small             the small variants (a few million instructions; workload for
#                       workload-bench): checks the script and the outputs in seconds
#   --scratch-path DIR  SwiftPM build directory (default .build, as `swift build` uses)
#
# What it does:
#  1. builds the set (make -C Benchmarks/Firmware bench), Firmware's workload-bench (the
#     project's earlier CPU-bound benchmark, kept as a reference row) and Timescope
#     (swift build -c release);
#  2. runs each program once on Timescope with --dump-state (untimed: it warms the caches and
#     gives the step count and the reference console output);
#  3. N rounds; in each, every program runs on each emulator in turn, so machine noise hits all
#     alike:
#       timescope run ELF
#       qemu-system-riscv32 -M virt -bios none -nographic -icount shift=0,sleep=off -kernel ELF
#         (QEMU's deterministic mode, one instruction per ns: the fair peer of Timescope)
#       qemu-system-riscv32 -M virt -bios none -nographic -kernel ELF
#         (plain TCG, for reference: QEMU at full speed, not deterministic)
#     and, with --record, `timescope record ELF -o REC` and `timescope watch ELF -o REC` in a
#     200x60 tmux window (timed from start until watch committed the recording's ending: the
#     last write to REC or its write-ahead log, whose modification time is read once the banner
#     says the firmware ended — the screen is polled every 100 ms, which the time does not
#     depend on);
#     every run must exit 0 with console output identical to the reference, byte for byte
#     (workload-bench prints minstret, which QEMU counts differently: its minstret line is
#     left out of the comparison, see Firmware/README.md), else the script stops with status 1;
#  4. prints a table per program: median wall times, Timescope's steps per second, and the
#     ratios QEMU-icount time / Timescope time and QEMU-TCG time / Timescope time (> 1: Timescope
#     is faster), then the geometric mean of each ratio over the seven programs of the set; the
#     same table again in CPU time (user + system), which a busy machine disturbs less; with
#     --record, another table: record / run and watch / record (wall and CPU), verify's result.
# Wall times are taken with bash's $EPOCHREALTIME around each run, CPU times with bash's `time`
# (the console goes to a file).
# Needs: the cross toolchain (see Firmware/README.md), qemu-system-misc, Swift; tmux for the
# watch timings. Not run by CI.
set -euo pipefail

rounds=3
scratch=""
record=0
only=""
workload=1
small=0
usage() {
    sed -n '4,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
        --record) record=1; shift ;;
        --only) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
        --no-workload) workload=0; shift ;;
        --small) small=1; shift ;;
        --scratch-path) [ $# -ge 2 ] || usage; scratch=$2; shift 2 ;;
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
watch_tool=0
if [ "$record" -eq 1 ]; then
    if command -v tmux >/dev/null; then
        watch_tool=1
    else
        echo "bench.sh: tmux is missing: --record times record and verify, not watch" >&2
    fi
fi

set_programs=(calls int64 bytes switch recursion memory interrupts)
programs=("${set_programs[@]}")
[ "$workload" -eq 1 ] && programs+=(workload-bench)
if [ -n "$only" ]; then
    IFS=, read -r -a wanted <<<"$only"
    for name in "${wanted[@]}"; do
        case " ${set_programs[*]} workload-bench " in
            *" $name "*) ;;
            *) echo "bench.sh: no benchmark program named '$name'" >&2; exit 2 ;;
        esac
    done
    programs=("${wanted[@]}")
fi
elf_of() {
    case "$1,$small" in
        workload-bench,0) echo "$root/Firmware/build/workload-bench.elf" ;;
        workload-bench,1) echo "$root/Firmware/build/workload.elf" ;;
        *,0) echo "$root/Benchmarks/Firmware/build/$1.elf" ;;
        *,1) echo "$root/Benchmarks/Firmware/build/$1-small.elf" ;;
    esac
}
in_set() { case " ${set_programs[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

variant=$([ "$small" -eq 1 ] && echo small || echo bench)
echo "== building the benchmark set: make -C Benchmarks/Firmware $variant"
make -s -C Benchmarks/Firmware "$variant"
if [[ " ${programs[*]} " == *" workload-bench "* ]]; then
    echo "== building the firmware (workload-bench): make -C Firmware"
    make -s -C Firmware
fi

build=(swift build -c release)
[ -n "$scratch" ] && build+=(--scratch-path "$scratch")
echo "== building Timescope: ${build[*]}"
"${build[@]}"
bin_dir=$("${build[@]}" --show-bin-path)
timescope=$bin_dir/timescope

tmp=$(mktemp -d)
tmux_socket="timescope-bench-$$"
cleanup() {
    if [ "$watch_tool" -eq 1 ]; then tmux -L "$tmux_socket" kill-server 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
# Recordings go to -o paths under $tmp; nothing reaches the real session directory.
export XDG_DATA_HOME=$tmp/data

# What a console is compared on: everything, except workload-bench's minstret line.
comparable() {
    if [ "$1" = workload-bench ]; then grep -v '^minstret ' "$2" || true; else cat "$2"; fi
}

# Runs "$@" with stdin from /dev/null and stdout to $run_out, and sets run_status, run_seconds
# (wall time) and run_cpu (user + system time of the process and its children).
run_out=$tmp/out.txt
TIMEFORMAT='%U %S'
timed() {
    local start end
    start=$EPOCHREALTIME
    set +e
    { time "$@" </dev/null >"$run_out" 2>"$tmp/err.txt"; } 2>"$tmp/time.txt"
    run_status=$?
    set -e
    end=$EPOCHREALTIME
    run_seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    run_cpu=$(awk '{ printf "%.3f", $1 + $2 }' "$tmp/time.txt")
}

# Fails loudly when the last run did not exit 0 or printed something else than the reference.
check_run() {
    local name=$1 what=$2
    if [ "$run_status" -ne 0 ]; then
        echo "bench.sh: $what $name exited $run_status (expected 0); stderr:" >&2
        cat "$tmp/err.txt" >&2
        exit 1
    fi
    if ! cmp -s <(comparable "$name" "$run_out") <(comparable "$name" "$tmp/$name.reference"); then
        echo "bench.sh: $what $name printed something else than timescope run:" >&2
        diff <(comparable "$name" "$tmp/$name.reference") <(comparable "$name" "$run_out") | head -20 >&2
        exit 1
    fi
}

# The modification time of the recording at $1 (seconds since 1970, to the nanosecond): the
# newest of the file and its write-ahead log.
recording_mtime() {
    stat -c %.9Y "$1" "$1-wal" 2>/dev/null | sort -g | tail -1
}

# Runs `timescope watch ELF -o REC` in a detached 200x60 tmux window; sets run_seconds to the
# time until the recording's ending was committed (the last write to the file while the
# inspector, still open, holds it; read once the banner shows the run ended), run_cpu to the
# CPU time watch had used by then (all its threads: emulator, keyframe writer, inspector;
# from /proc, to 10 ms), run_status to 0 when it ended with exit code 0 at the expected step,
# then quits the inspector.
timed_watch() {
    local name=$1 elf=$2 recording=$3 expected_steps=$4 start end top screen pid
    rm -f "$recording" "$recording-wal" "$recording-shm"
    start=$EPOCHREALTIME
    tmux -L "$tmux_socket" -f /dev/null new-session -d -s watch -x 200 -y 60 \
        "exec '$timescope' watch '$elf' -o '$recording' 2>'$tmp/watch-err.txt'"
    while :; do
        screen=$(tmux -L "$tmux_socket" capture-pane -p -t watch 2>/dev/null || true)
        top=${screen%%$'\n'*}
        case "$top" in
            *"$(basename "$elf")"*) case "$top" in *"● LIVE"* | *PAUSED*) ;; *) break ;; esac ;;
        esac
        if ! tmux -L "$tmux_socket" has-session -t watch 2>/dev/null; then
            echo "bench.sh: timescope watch $name quit before the run ended:" >&2
            cat "$tmp/watch-err.txt" >&2
            exit 1
        fi
        sleep 0.1
    done
    end=$(recording_mtime "$recording")
    run_seconds=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')
    # The pane runs timescope itself (exec): utime and stime are fields 14 and 15, after the
    # command name in parentheses.
    pid=$(tmux -L "$tmux_socket" list-panes -t watch -F '#{pane_pid}')
    run_cpu=$(sed 's/.*) //' "/proc/$pid/stat" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }')
    run_status=1
    [[ "$top" == *"exited with code 0 at step $expected_steps "* ]] && run_status=0
    tmux -L "$tmux_socket" send-keys -t watch q
    while tmux -L "$tmux_socket" has-session -t watch 2>/dev/null; do sleep 0.05; done
    if [ "$run_status" -ne 0 ]; then
        echo "bench.sh: timescope watch $name ended otherwise than run ($expected_steps steps, exit 0):" >&2
        echo "$top" >&2
        exit 1
    fi
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A steps times cpu
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== reference runs: timescope run ELF --dump-state (untimed)"
for name in "${programs[@]}"; do
    elf=$(elf_of "$name")
    timed "$timescope" run "$elf" --dump-state "$tmp/state.json"
    if [ "$run_status" -ne 0 ]; then
        echo "bench.sh: timescope run $name exited $run_status; stderr:" >&2
        cat "$tmp/err.txt" >&2
        exit 1
    fi
    cp "$run_out" "$tmp/$name.reference"
    steps[$name]=$(grep -o '"step":[0-9]*' "$tmp/state.json" | head -1 | cut -d: -f2)
    [ -n "${steps[$name]}" ] || { echo "bench.sh: no step count in the --dump-state output" >&2; exit 1; }
    printf '   %-15s %13s steps, %s lines of output\n' "$name" "${steps[$name]}" "$(wc -l <"$run_out")"
done

kinds=(run icount tcg)
[ "$record" -eq 1 ] && kinds+=(record)
[ "$watch_tool" -eq 1 ] && kinds+=(watch)
echo "== $rounds rounds; each program on: ${kinds[*]} (wall seconds, CPU seconds in parentheses)"
for round in $(seq 1 "$rounds"); do
    for name in "${programs[@]}"; do
        elf=$(elf_of "$name")
        line=$(printf '   round %d %-15s' "$round" "$name")

        timed "$timescope" run "$elf"
        check_run "$name" "timescope run"
        times[$name,run]+=" $run_seconds"
        cpu[$name,run]+=" $run_cpu"
        line+=" run $run_seconds ($run_cpu)"

        timed timeout -k 5 600 "$qemu" -M virt -bios none -nographic -icount shift=0,sleep=off -kernel "$elf"
        check_run "$name" "QEMU -icount"
        times[$name,icount]+=" $run_seconds"
        cpu[$name,icount]+=" $run_cpu"
        line+="  icount $run_seconds ($run_cpu)"

        timed timeout -k 5 600 "$qemu" -M virt -bios none -nographic -kernel "$elf"
        check_run "$name" "QEMU TCG"
        times[$name,tcg]+=" $run_seconds"
        cpu[$name,tcg]+=" $run_cpu"
        line+="  tcg $run_seconds ($run_cpu)"

        if [ "$record" -eq 1 ]; then
            rm -f "$tmp/$name.tsr"
            timed "$timescope" record "$elf" -o "$tmp/$name.tsr"
            check_run "$name" "timescope record"
            times[$name,record]+=" $run_seconds"
            cpu[$name,record]+=" $run_cpu"
            line+="  record $run_seconds ($run_cpu)"
        fi
        if [ "$watch_tool" -eq 1 ]; then
            timed_watch "$name" "$elf" "$tmp/$name-watch.tsr" "${steps[$name]}"
            times[$name,watch]+=" $run_seconds"
            cpu[$name,watch]+=" $run_cpu"
            line+="  watch $run_seconds ($run_cpu)"
        fi
        echo "$line"
    done
done

declare -A verified
if [ "$record" -eq 1 ]; then
    echo "== timescope verify (the last recording of each program$([ "$watch_tool" -eq 1 ] && echo ", and its watch session"))"
    for name in "${programs[@]}"; do
        result=ok
        for recording in "$tmp/$name.tsr" "$tmp/$name-watch.tsr"; do
            [ -f "$recording" ] || continue
            timed "$timescope" verify "$recording"
            if [ "$run_status" -ne 0 ]; then
                result=FAILED
                echo "bench.sh: timescope verify $recording failed ($run_status):" >&2
                cat "$run_out" "$tmp/err.txt" >&2
            fi
            echo "   $(basename "$recording"): $(head -1 "$run_out") ($run_seconds s)"
        done
        verified[$name]=$result
    done
fi

cpu_model=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
qemu_version=$("$qemu" --version | head -1)
revision=$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
geomean() { tr ' ' '\n' | grep . | sed 's/x$//' | awk '{ l += log($1); n++ } END { printf "%.2fx", exp(l / n) }'; }
row_format='| %-16s | %13s | %9s | %9s | %11s | %9s | %9s | %9s |\n'

# Prints the table of one measure: "times" (wall) or "cpu".
speed_table() {
    local -n measure=$1
    local name label t i g ri rg icount_ratios="" tcg_ratios=""
    # shellcheck disable=SC2059
    printf "$row_format" program steps timescope "M steps/s" "QEMU icount" "QEMU TCG" "icount/ts" "TCG/ts"
    # shellcheck disable=SC2059
    printf "$row_format" ---------------- ------------- --------- --------- ----------- --------- --------- ---------
    for name in "${programs[@]}"; do
        t=$(echo "${measure[$name,run]}" | median)
        i=$(echo "${measure[$name,icount]}" | median)
        g=$(echo "${measure[$name,tcg]}" | median)
        ri=$(ratio "$i" "$t")
        rg=$(ratio "$g" "$t")
        label=$name
        if in_set "$name"; then
            icount_ratios+=" $ri"
            tcg_ratios+=" $rg"
        else
            label="($name)"
        fi
        # shellcheck disable=SC2059
        printf "$row_format" "$label" "${steps[$name]}" "$t" \
            "$(awk -v s="${steps[$name]}" -v t="$t" 'BEGIN { printf "%.0f", s / t / 1e6 }')" "$i" "$g" "$ri" "$rg"
    done
    if [ -n "$icount_ratios" ]; then
        # shellcheck disable=SC2059
        printf "$row_format" "geometric mean" "" "" "" "" "" "$(echo "$icount_ratios" | geomean)" \
            "$(echo "$tcg_ratios" | geomean)"
    fi
}

echo
echo "host: ${cpu_model:-unknown CPU}, $(nproc) CPUs; load average at the start $load_start, at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$qemu_version; Timescope $revision (release); medians of $rounds rounds"
echo
echo "Wall seconds:"
speed_table times
echo
echo "CPU seconds (user + system; steadier than wall time on a busy machine):"
speed_table cpu
echo "ratios > 1: Timescope is faster; means are over the programs of the set (a row in parentheses is not in it)"

if [ "$record" -eq 1 ]; then
    echo
    record_format='| %-16s | %9s | %9s | %10s | %14s | %9s | %12s | %16s | %8s |\n'
    # shellcheck disable=SC2059
    printf "$record_format" program run record record/run "record/run CPU" watch watch/record \
        "watch/record CPU" verify
    # shellcheck disable=SC2059
    printf "$record_format" ---------------- --------- --------- ---------- -------------- --------- ------------ \
        ---------------- --------
    for name in "${programs[@]}"; do
        t=$(echo "${times[$name,run]}" | median)
        r=$(echo "${times[$name,record]}" | median)
        w=-
        watch_ratio=-
        watch_cpu_ratio=-
        if [ "$watch_tool" -eq 1 ]; then
            w=$(echo "${times[$name,watch]}" | median)
            watch_ratio=$(ratio "$w" "$r")
            watch_cpu_ratio=$(ratio "$(echo "${cpu[$name,watch]}" | median)" "$(echo "${cpu[$name,record]}" | median)")
        fi
        # shellcheck disable=SC2059
        printf "$record_format" "$name" "$t" "$r" "$(ratio "$r" "$t")" \
            "$(ratio "$(echo "${cpu[$name,record]}" | median)" "$(echo "${cpu[$name,run]}" | median)")" \
            "$w" "$watch_ratio" "$watch_cpu_ratio" "${verified[$name]}"
    done
    echo "targets: record <= 1.20x run, watch <= 1.20x record$([ "$watch_tool" -eq 1 ] || echo "; watch not measured (no tmux)")"
    for name in "${programs[@]}"; do
        [ "${verified[$name]}" = ok ] || { echo "bench.sh: verify failed for $name" >&2; exit 1; }
    done
fi
