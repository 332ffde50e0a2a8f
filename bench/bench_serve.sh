#!/usr/bin/env bash
# heatbench serve over HTTP: 1000 advances of 300 s of the away-week room, over one keep-alive
# connection from curl (one curl process, 1000 URLs: curl reuses the connection), median of RUNS.
# usage: bench/bench_serve.sh [BUILD_DIR] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
RUNS=${2:-5}
TMP=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$TMP"' EXIT
"$B/heatbench" serve --port 0 >"$TMP/out" 2>"$TMP/err" &
pid=$!
until grep -q listening "$TMP/out"; do sleep 0.05; done
url=$(sed -E 's/.*(http:[^ ]*).*/\1/' "$TMP/out")
times=()
for r in $(seq "$RUNS"); do
    id=$(curl -s -X POST "$url/testcases/away-week/select" | sed -E 's/.*"testid":"([^"]*)".*/\1/')
    curl -s -o /dev/null -X PUT -H 'Content-Type: application/json' -d '{"step":300}' "$url/step/$id"
    for i in $(seq 1000); do echo "url = \"$url/advance/$id\""; echo 'output = "/dev/null"'; done >"$TMP/cfg"
    t0=$(date +%s.%N)
    curl -s -X POST -H 'Content-Type: application/json' -d '{"valve_u":0.4,"valve_activate":1}' -K "$TMP/cfg"
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
    curl -s -o /dev/null -X PUT "$url/stop/$id"
done
med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf '1000 advances of 300 s over one keep-alive connection (curl, median of %s): %.3f s\n' "$RUNS" "$med"
kill -TERM $pid
wait $pid
