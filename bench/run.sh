#!/usr/bin/env bash
# Runs every benchmark and prints one table: the simulation core, tuning, and the control daemon
# under load through a local mosquitto. Figures are medians; the machine is shared and noisy.
# usage: bench/run.sh [BUILD_DIR]   (default build; build it first with scripts/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
for f in "$B/heatbench" "$B/bench_sim" "$B/bench_mpc" "$B/bench_floor" "$B/bench_control" "$B/bench_rooms" "$B/bench_serve"; do
    [ -x "$f" ] || { echo "bench/run.sh: $f missing (scripts/build.sh)" >&2; exit 2; }
done
sim=$("$B/bench_sim" 31)
mpc=$("$B/bench_mpc" 5 scenarios/night-setback.json)
flr=$("$B/bench_floor" 7)
tune=$(bench/bench_tune.sh "$B/heatbench")
ctl=$(bench/bench_control.sh "$B")
rooms=$(bench/bench_rooms.sh "$B" 5)
srv=$("$B/bench_serve" 5)
srv_http=$(bench/bench_serve.sh "$B" 5)
field() { echo "$1" | grep -F "$2" | head -1 | awk '{print $(NF-1), $NF}'; }
echo "heatbench benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}')"
echo
printf '| %-52s | %-32s | %-16s |\n' "benchmark" "measured" "target"
printf '|%s|%s|%s|\n' "------------------------------------------------------" "----------------------------------" "------------------"
printf '| %-52s | %-32s | %-16s |\n' "one simulated day, default scenario (median)" "$(field "$sim" "one simulated day (no trace)")" "<= 5 ms"
printf '| %-52s | %-32s | %-16s |\n' "one simulated day / bare loop (same run)" "$(field "$sim" "one simulated day / bare loop")" "<= 2.0 x"
printf '| %-52s | %-32s | %-16s |\n' "fastest day / fastest bare loop (same run)" "$(field "$sim" "fastest day / fastest bare loop")" "goal 1.5 x"
printf '| %-52s | %-32s | %-16s |\n' "simulated time / wall time" "$(field "$sim" "simulated time / wall time")" ""
printf '| %-52s | %-32s | %-16s |\n' "simulated days per second" "$(echo "$sim" | awk '/simulated day \(no trace\)/ {printf "%.0f", 1000/$(NF-1); exit}')" ""
printf '| %-52s | %-32s | %-16s |\n' "wall time per event" "$(field "$sim" "wall time per event")" ""
ffield() { echo "$flr" | grep -F "$1" | head -1 | awk -F'|' '{gsub(/^ +| +$/, "", $3); print $3}'; }
printf '| %-52s | %-32s | %-16s |\n' "energy floor alone, default day (median)" "$(ffield "default day")" ""
printf '| %-52s | %-32s | %-16s |\n' "energy floor alone, away week / a year (median)" "$(ffield "away-week") / $(ffield "a year")" "year <= 1 s"
printf '| %-52s | %-32s | %-16s |\n' "one MPC plan, night-setback, 96 steps (median)" "$(field "$mpc" "one MPC solve, warm start (median)")" "<= 5 ms"
printf '| %-52s | %-32s | %-16s |\n' "a simulated day with the MPC (median of 5)" "$(field "$mpc" "one simulated day with the MPC")" "<= 0.5 s"
printf '| %-52s | %-32s | %-16s |\n' "heatbench tune, default scenario (median of 5)" "$(echo "$tune" | sed -E 's/.*median ([0-9.]+ s).*/\1/')" "<= 10 s"
printf '| %-52s | %-32s | %-16s |\n' "control: readings/s processed, 1000 rooms" "$(echo "$ctl" | sed -nE 's/.*throughput.*processed ([0-9]+) readings.*/\1/p')" ">= 20000"
printf '| %-52s | %-32s | %-16s |\n' "control: share of the readings the broker accepted" "$(echo "$ctl" | sed -nE 's/.*throughput.*\(([0-9.]+ %) of what.*/\1/p')" ">= 90 %"
printf '| %-52s | %-32s | %-16s |\n' "control: CPU per reading, full load / 20,000 per s" "$(echo "$ctl" | sed -nE 's/.*throughput.*CPU ([0-9.]+ us) per.*/\1/p') / $(echo "$ctl" | sed -nE 's/.*paced.*CPU ([0-9.]+ us) per.*/\1/p')" ""
printf '| %-52s | %-32s | %-16s |\n' "control: latency p50 / p99 at 1000 readings/s" "$(echo "$ctl" | sed -nE 's/.*p50 ([0-9.]+) ms, p99 ([0-9.]+) ms.*/\1 ms \/ \2 ms/p')" "p99 <= 10 ms"
printf '| %-52s | %-32s | %-16s |\n' "control: memory per room (10,000 rooms)" "$(echo "$ctl" | sed -nE 's/.* ([0-9]+) bytes per room.*/\1 bytes/p')" "<= 1024 bytes"
new_rooms() { echo "$rooms" | awk -v f="$1" '$1 == 100000 && $2 == f {gsub(/[(),]/, "", $5); print $4 " (" $5 " per CPU-s)"; exit}'; }
printf '| %-52s | %-32s | %-16s |\n' "control: new rooms/s, full 100,000-room table, refused" "$(new_rooms refused)" ">= 20000"
printf '| %-52s | %-32s | %-16s |\n' "control: the same, admitted in an idle room's place" "$(new_rooms admitted)" ">= 20000"
printf '| %-52s | %-32s | %-16s |\n' "serve: router time per /advance of 300 s (median)" "$(echo "$srv" | sed -nE 's/.*: ([0-9.]+ ms)$/\1/p')" "<= 0.2 ms"
printf '| %-52s | %-32s | %-16s |\n' "serve: 1000 advances, one keep-alive connection" "$(echo "$srv_http" | sed -nE 's/.*: ([0-9.]+ s)$/\1/p')" "<= 0.5 s"
printf '| %-52s | %-32s | %-16s |\n' "serve: memory of a test, at select / after 24 h" "$(echo "$srv" | sed -nE 's/.*select ([0-9]+) bytes, after 24 h ([0-9]+) bytes/\1 \/ \2 bytes/p')" "<= 1 MiB"
