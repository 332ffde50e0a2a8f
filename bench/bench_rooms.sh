#!/usr/bin/env bash
# The room table under a flood of new rooms (bench/bench_rooms.c): new-room readings per second
# (wall, and per CPU second of the process: steadier on a shared machine) against a full table
# of 100,000, 10,000 and 1,000 rooms, each the median of 5 repetitions of 3 s, with the sweep
# visiting only the due rooms and (--every, in the same run) every room as before; and the wall
# time of one sweep.
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
# Two floods of new rooms: refused by a table of active rooms (the default --room-idle-s of a
# day), and each admitted in the place of the longest-idle room (idle after 1 µs). The fill
# column is the readings of new rooms that filled the table from empty.
med() { python3 -c "import json,sys; d=json.loads(sys.stdin.readlines()[-1]); print(round(d['$1']))"; }
printf '%-7s %-8s | %-32s | %-32s | %s\n' rooms flood "due: msg/s (CPU-s), fill, sweep" "every: msg/s (CPU-s), fill, sweep" "ratio (wall, CPU)"
for n in 100000 10000 1000; do
    for idle in 86400 1e-6; do
        due=$("$B/bench_rooms" --port "$port" --rooms "$n" --reps "$REPS" --idle "$idle" 2>/dev/null)
        every=$("$B/bench_rooms" --port "$port" --rooms "$n" --reps "$REPS" --idle "$idle" --every 2>/dev/null)
        dw=$(echo "$due" | med median_readings_per_s)
        dc=$(echo "$due" | med median_readings_per_cpu_s)
        df=$(echo "$due" | med fill_readings_per_s)
        ew=$(echo "$every" | med median_readings_per_s)
        ec=$(echo "$every" | med median_readings_per_cpu_s)
        ef=$(echo "$every" | med fill_readings_per_s)
        ds=$(echo "$due" | python3 -c "import json,sys; print(json.loads(sys.stdin.readlines()[-1])['median_sweep_ms'])")
        es=$(echo "$every" | python3 -c "import json,sys; print(json.loads(sys.stdin.readlines()[-1])['median_sweep_ms'])")
        printf '%-7s %-8s | %-32s | %-32s | %s\n' "$n" "$([ "$idle" = 86400 ] && echo refused || echo admitted)" \
            "$dw ($dc), $df, $ds ms" "$ew ($ec), $ef, $es ms" "$(python3 -c "print(f'{$dw / $ew:.2f}x, {$dc / $ec:.2f}x')")"
    done
done
