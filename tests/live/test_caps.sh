#!/usr/bin/env bash
# Floods of new sensor ids and rooms: memory stays under the caps and the daemon keeps working.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
start_control --max-rooms 500 || exit 1
rss0=$(rss_kib "$CONTROL_PID")

# 10,000 distinct sensor ids into one room (the room keeps its 5 expected sensors).
for i in $(seq 10000); do
    printf '{"sensorID":"flood-%d","value":21}\n' "$i"
done | mosquitto_pub -h 127.0.0.1 -p "$PORT" -u simulator -P simulator-secret -t /readings/room-s/temperature -l
# 10,000 distinct rooms, from the simulated rooms themselves (5 readings each, then more).
"$HB" live --host 127.0.0.1 --port "$PORT" --username simulator --password-file "$DIR/simulator.pw" \
    --rooms 10000 --hours 0.02 --speed 30 >"$DIR/live.log" 2>&1
# every message handled: the flood of sensor ids and each reading live published, counted
n_pub=$(sed -n 's/.* \([0-9]*\) readings published.*/\1/p' "$DIR/live.log")
s=$(stats_until "$CONTROL_PID" "d['messages'] >= 10000 + ${n_pub:-0}" 120) ||
    echo "(not every message counted)"
echo "$s"
rss1=$(rss_kib "$CONTROL_PID")
echo "RSS before ${rss0} KiB, after ${rss1} KiB"
check "rooms capped" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["rooms"] <= 500, d
assert d["dropped"]["room-cap"] > 0, d
assert d["dropped"]["sensor-cap"] >= 10000 - 16, d' "$s"
check "memory bounded (< 64 MiB growth)" test $((rss1 - rss0)) -lt 65536
check "daemon alive" kill -0 "$CONTROL_PID"
# Still working: a reading from a known sensor of an existing room (room-s kept flood-1..5).
before=$(echo "$s" | python3 -c 'import json,sys; print(json.load(sys.stdin)["readings"])')
pub /readings/room-s/temperature '{"sensorID":"flood-1","type":"temperature","value":21.5}'
after=$(stats_until "$CONTROL_PID" "d['readings'] > $before" | python3 -c 'import json,sys; print(json.load(sys.stdin)["readings"])')
echo "readings before $before after $after"; check "an existing room still takes readings" test "$after" -gt "$before"
finish
