#!/usr/bin/env bash
# Benchmark of `heatbench control` through a local mosquitto: sustained readings/s with 1000
# rooms and their share of what the broker accepted from the publisher, the daemon's CPU (user +
# system) and read system calls per reading at full load and at 20,000 readings/s, reading ->
# command latency at 1000 readings/s, and resident memory per room.
# usage: bench/bench_control.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
HB=$B/heatbench
BC=$B/bench_control
dir=$(mktemp -d)
chmod 0755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\nmax_queued_messages 100000\n' \
    "$port" >"$dir/m.conf"
mosquitto -c "$dir/m.conf" >"$dir/m.log" 2>&1 &
broker=$!
ctl=
trap 'kill $broker ${ctl:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
sleep 0.5

start_control() {
    "$HB" control --port "$port" --log-interval 60 "$@" >"$dir/ctl.log" 2>&1 &
    ctl=$!
    sleep 0.5
}
stop_control() { kill -TERM "$ctl"; wait "$ctl" 2>/dev/null || true; ctl=; }
counter() { # counter NAME: a field of the daemon's counters (SIGUSR1)
    local n
    n=$(grep -c '"messages"' "$dir/ctl.log" || true)
    kill -USR1 "$ctl"
    for _ in $(seq 100); do
        [ "$(grep -c '"messages"' "$dir/ctl.log" || true)" -gt "$n" ] && break
        sleep 0.02
    done
    grep '"messages"' "$dir/ctl.log" | tail -1 | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$ctl/status"; }

echo "bench_control: $(date -u +%Y-%m-%d), $(nproc) cores, mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}')"

jfield() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$ctl/stat"; }
reads() { awk '/^syscr/ {print $2}' "/proc/$ctl/io"; }
tick_us=$(python3 -c "print(1e6 / $(getconf CLK_TCK))")

# 1. Throughput: 1000 rooms, readings as fast as the broker takes them, for 10 s; the daemon's
# CPU (user + system, /proc/PID/stat) and read system calls (/proc/PID/io) per reading.
load() { # load RATE SECONDS LABEL: readings through the daemon, its rate, CPU and reads per reading
    local r0 r1 c0 c1 s0 s1 out secs
    r0=$(counter readings)
    c0=$(cpu_ticks)
    s0=$(reads)
    out=$("$BC" --port "$port" --rooms 1000 --rate "$1" --seconds "$2")
    sleep 1
    c1=$(cpu_ticks)
    s1=$(reads)
    r1=$(counter readings)
    secs=$(echo "$out" | jfield seconds)
    python3 - "$3" "$(echo "$out" | jfield sent)" "$r0" "$r1" "$secs" "$c0" "$c1" "$s0" "$s1" "$tick_us" <<'PY'
import sys
label, sent, r0, r1, secs, c0, c1, s0, s1, tick_us = sys.argv[1:]
n = max(int(r1) - int(r0), 1)
print(f"  {label}: offered {int(sent) / float(secs):.0f} readings/s, processed {n / float(secs):.0f} "
      f"readings/s ({100 * n / max(int(sent), 1):.1f} % of what the broker accepted), "
      f"CPU {(int(c1) - int(c0)) * float(tick_us) / n:.2f} us per reading, "
      f"{(int(s1) - int(s0)) / n:.2f} reads per reading")
PY
}
start_control
load 0 10 "throughput, 1000 rooms"
load 20000 5 "paced, 1000 rooms"
stop_control

# 2. Latency: a controller that answers every reading, 1000 readings/s over 1000 rooms.
# Controller time at 1000 x the wall clock: update_s (1 s, its lower bound) is 1 ms of wall time,
# so the update runs at every reading, as an update_s of 1 ms did before that bound existed.
start_control --scenario bench/answer-every-reading.json --speed 1000
out=$("$BC" --port "$port" --rooms 1000 --rate 1000 --seconds 10 --swing 1)
echo "  latency at 1000 readings/s: p50 $(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_p50_ms"])') ms, p99 $(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_p99_ms"])') ms (target p99 <= 10 ms), $(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["commands"])') commands"
stop_control

# 3. Memory: resident set growth per room for 10,000 rooms of 5 sensors (the cap set to them).
start_control --max-rooms 10000 ${HB_BENCH_CONTROL_ARGS:-}
m0=$(rss)
"$BC" --port "$port" --rooms 10000 --rate 0 --seconds 4 >/dev/null
sleep 1
rooms=$(counter rooms)
m1=$(rss)
echo "  memory: ${rooms} rooms, RSS ${m0} -> ${m1} KiB, $(python3 -c "print(round(($m1 - $m0) * 1024 / max($rooms, 1)))") bytes per room (target <= 1024)"
stop_control
