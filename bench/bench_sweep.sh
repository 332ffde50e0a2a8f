#!/usr/bin/env bash
# Benchmarks of `heatbench sweep`, as same-run ratios and medians (the machine is shared):
#  1. parallel efficiency: runs/s with --jobs 2 over --jobs 1 on 200 default-day PID runs,
#     the two measured alternately, REPEATS times;
#  2. 1,000 default-day PID runs (seeds 1..1000) with the default --jobs (the cores), and the
#     per-run overhead against the simulation alone: --jobs 1 wall per run over bench_sim's
#     median day, measured back to back;
#  3. a merge of a million result lines (four parts of 250,000 realistic lines, ~630 MB) with
#     dedupe and sort (no --plan): wall and CPU time and peak memory (GNU time); the CPU time
#     is the figure a loaded machine does not move.
# usage: bench/bench_sweep.sh [BUILD_DIR] [REPEATS]   (default build, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
B=$(cd "${1:-build}" && pwd)
R=${2:-3}
HB=$B/heatbench
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
median() { sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
wall() { # the sweep's own wall time from its summary line
    sed -nE 's/.* in ([0-9.]+) s,.*/\1/p' "$1"
}
echo '{"scenarios": ["default"], "controllers": ["pid"], "seeds": {"from": 1, "to": 200}}' >"$W/s200.json"
echo '{"scenarios": ["default"], "controllers": ["pid"], "seeds": {"from": 1, "to": 1000}}' >"$W/s1000.json"
export HEATBENCH_DATADIR=$PWD
for i in $(seq "$R"); do
    for j in 1 2; do
        rm -f "$W/o.jsonl"
        "$HB" sweep "$W/s200.json" -o "$W/o.jsonl" --jobs $j 2>"$W/e"
        wall "$W/e" >>"$W/j$j"
    done
    paste "$W/j1" "$W/j2" | tail -1 | awk '{printf "%.3f\n", $1 / $2}' >>"$W/ratio"
    rm -f "$W/o.jsonl"
    "$HB" sweep "$W/s1000.json" -o "$W/o.jsonl" 2>"$W/e"
    wall "$W/e" >>"$W/k"
    rm -f "$W/o.jsonl"
    "$HB" sweep "$W/s200.json" -o "$W/o.jsonl" --jobs 1 2>"$W/e"
    per=$(wall "$W/e")
    day=$("$B/bench_sim" 21 | awk '/one simulated day \(no trace\)/ {print $(NF-1)}')
    awk -v p="$per" -v d="$day" 'BEGIN {printf "%.3f\n", p / 200 * 1000 / d}' >>"$W/over"
done
echo "runs/s --jobs 2 / --jobs 1 (200 runs, median of $R): $(median <"$W/ratio") x (each: $(tr '\n' ' ' <"$W/ratio"))"
echo "1,000 default-day PID runs, --jobs $(nproc) (median of $R): $(median <"$W/k") s (each: $(tr '\n' ' ' <"$W/k"))"
echo "sweep --jobs 1 per run / bench_sim day (median of $R): $(median <"$W/over") x (each: $(tr '\n' ' ' <"$W/over"))"

# A million lines: one real result line, its id replaced by distinct pseudo-random ones.
rm -f "$W/o.jsonl"
"$HB" sweep "$W/s200.json" --only "$("$HB" sweep "$W/s200.json" --list | head -1 | cut -d' ' -f1)" -q >"$W/line"
for p in 1 2 3 4; do
    awk -v p=$p -v line="$(cat "$W/line")" 'BEGIN {
        rest = substr(line, 24); srand(p)
        for (i = 0; i < 250000; i++) {
            printf "{\"id\":\"%08x%08x%s\n", int(rand() * 4294967296), (p * 250000 + i), rest
        }
    }' >"$W/part$p.jsonl"
done
for i in $(seq "$R"); do
    /usr/bin/time -f "%e %M %U %S" -o "$W/t" "$HB" sweep merge "$W"/part*.jsonl -o "$W/merged.jsonl" 2>/dev/null
    awk '{print $1}' "$W/t" >>"$W/m"
    awk '{print $2}' "$W/t" >>"$W/mem"
    awk '{print $3 + $4}' "$W/t" >>"$W/cpu"
done
[ "$(wc -l <"$W/merged.jsonl")" -eq 1000000 ] || echo "merge: wrong line count" >&2
echo "merge of 1,000,000 lines, 4 parts, $(du -sh "$W/merged.jsonl" | cut -f1) (median of $R): $(median <"$W/m") s wall, $(median <"$W/cpu") s CPU, peak RSS $(median <"$W/mem") KB (each wall: $(tr '\n' ' ' <"$W/m"))"
