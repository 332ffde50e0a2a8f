#!/usr/bin/env bash
# `heatbench live --rooms N` as a load test: N rooms against `heatbench control` through a local
# mosquitto, at a speed where the broker keeps up and at one where it cannot. Reports what was
# published, written to the broker and delivered to the daemon, the longest outgoing queue, how
# long back-pressure held simulated time, and live's peak resident memory.
# usage: bench/bench_live.sh [BUILD_DIR] [ROOMS] [SPEEDS...]   (default build 1000 60 3000)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
ROOMS=${2:-1000}
shift $(($# > 2 ? 2 : $#))
SPEEDS=${*:-60 3000}
HB=$B/heatbench
dir=$(mktemp -d)
chmod 0755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n' \
    "$port" >"$dir/m.conf"
mosquitto -c "$dir/m.conf" >"$dir/m.log" 2>&1 &
broker=$!
ctl=
trap 'kill $broker ${ctl:-} 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
sleep 0.5
echo "bench_live: $(date -u +%Y-%m-%d), $(nproc) cores, $ROOMS rooms, 60 simulated min each"
for speed in $SPEEDS; do
    "$HB" control --port "$port" --speed "$speed" --max-rooms $((ROOMS + 10)) --no-discovery \
        --log-interval 600 >"$dir/ctl.log" 2>&1 &
    ctl=$!
    sleep 1
    /usr/bin/time -f '%M' -o "$dir/rss" "$HB" live --port "$port" --rooms "$ROOMS" --speed "$speed" \
        --hours 1 >/dev/null 2>"$dir/live.log"
    sleep 1
    kill -TERM "$ctl"
    wait "$ctl" 2>/dev/null || true
    ctl=
    python3 - "$dir/live.log" "$dir/ctl.log" "$(cat "$dir/rss")" "$speed" <<'PY'
import json, re, sys
live = open(sys.argv[1]).read()
m = re.search(r"in ([\d.]+) s wall; (\d+) readings published \((\d+) written to the broker, (\d+) lost"
              r".*queue at most (\d+), simulated time held ([\d.]+) s", live)
wall, pub, written, lost, queue, held = m.groups()
ctl = [json.loads(l[l.index("{"):]) for l in open(sys.argv[2]) if '"messages"' in l][-1]
got = ctl["readings"]
print("  speed %5s: %s readings published, %s written, %.2f %% delivered to the daemon; queue at"
      " most %s; simulated time held %s of %s s wall; live RSS %.1f MB"
      % (sys.argv[4], pub, written, 100.0 * got / int(pub), queue, held, wall, int(sys.argv[3]) / 1024))
PY
done
