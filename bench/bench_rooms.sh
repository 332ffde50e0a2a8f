#!/usr/bin/env bash
# The room table under a flood of new rooms (bench/bench_rooms.c): new-room readings per second
# against a full table of 100,000, 10,000 and 1,000 rooms, each the median of 5 repetitions,
# with the sweep visiting only the due rooms and (--every, in the same run) every room as before.
# A local mosquitto only takes what the daemon publishes.
# usage: bench/bench_rooms.sh [BUILD_DIR] [REPS]   (default build, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
REPS=${2:-5}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 1000000\n' \
    "$port" >"$dir/m.conf"
mosquitto -c "$dir/m.conf" >"$dir/m.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do mosquitto_pub -h 127.0.0.1 -p "$port" -t ping -m x 2>/dev/null && break; sleep 0.05; done

echo "bench_rooms: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%8s | %14s | %14s | %6s\n' rooms "due (msg/s)" "every (msg/s)" ratio
for n in 100000 10000 1000; do
    due=$("$B/bench_rooms" --port "$port" --rooms "$n" --reps "$REPS" | tail -1)
    every=$("$B/bench_rooms" --port "$port" --rooms "$n" --reps "$REPS" --every | tail -1)
    d=$(echo "$due" | python3 -c "import json,sys; print(json.load(sys.stdin)['median_readings_per_s'])")
    e=$(echo "$every" | python3 -c "import json,sys; print(json.load(sys.stdin)['median_readings_per_s'])")
    printf '%8s | %14s | %14s | %6s\n' "$n" "$d" "$e" "$(python3 -c "print(f'{$d / $e:.1f}x')")"
done
