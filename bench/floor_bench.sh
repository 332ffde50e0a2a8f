#!/usr/bin/env bash
# Whole-process `heatbench run` times from a cold start (a fresh HOME, nothing cached), energy
# floor included: the default day, a week, 337 h and a year; median of RUNS runs (wall clock,
# date +%s%N), in ms. The machine's load moves these: compare builds run alternately.
# usage: bench/floor_bench.sh [HEATBENCH] [RUNS]   (default build/heatbench, 7)
set -euo pipefail
cd "$(dirname "$0")/.."
HB=${1:-build/heatbench}
RUNS=${2:-7}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bench() { # label args...
    local label=$1
    shift
    for _ in $(seq "$RUNS"); do
        rm -rf "$TMP/home" && mkdir "$TMP/home"
        local s e
        s=$(date +%s%N)
        HOME=$TMP/home "$HB" run "$@" >/dev/null
        e=$(date +%s%N)
        echo $(((e - s) / 1000))
    done | median | awk -v l="$label" '{printf "| %s | %.1f ms |\n", l, $1 / 1000}'
}
echo "| run (whole process, floor included) | median |"
echo "|---|---|"
bench "default day" 
bench "away-week (168 h)" scenarios/away-week.json
bench "default, 337 h" --hours 337
bench "default, a year (8760 h)" --hours 8760 --kpi-interval 8760
