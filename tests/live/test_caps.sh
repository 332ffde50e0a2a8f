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
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID" 2>/dev/null

# --- An evicted room withdraws what may be retained of it, and nothing else ------------------
# A flood of new rooms into a full table: each takes the place of the one before, most before a
# sweep announced them. Withdrawing what was never published costs four publishes a room (the
# admission rate of bench/bench_rooms.sh); a room of a previous leader (its discovery, state and
# controller state retained, then that leader gone) is withdrawn all the same.
stop_broker
start_broker || exit 1
start_control || exit 1
pub /readings/prev-1/temperature '{"sensorID":"s1","value":20.0}'
prev_topics="homeassistant/climate/heatbench_prev-1/config heatbench/prev-1/state heatbench/prev-1/ctl"
retained() { test -n "$(sub_one "$1" 1)"; }
for t in $prev_topics; do wait_for 20 retained "$t" || bad "the previous leader publishes $t"; done
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID" 2>/dev/null
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -q 1 -F '%t %l' -t 'homeassistant/#' \
    -t 'heatbench/+/state' -t 'heatbench/+/ctl' -t heatbench/control/status >"$DIR/retained.out" 2>/dev/null &
cap=$!
PIDS+=("$cap")
wait_for 20 grep -q '^heatbench/prev-1/ctl [1-9]' "$DIR/retained.out" || bad "capture ready"
# 1 controller second (--room-idle) is 1 µs at --speed 1e6: the room before is idle by then.
start_control --max-rooms 1 --room-idle 1 --speed 1e6 || exit 1
python3 - "$PORT" <<'PY'
import socket, sys, time
def s(x):
    b = x.encode()
    return len(b).to_bytes(2, "big") + b
def packet(kind, body):
    n, size = len(body), b""
    while True:
        d, n = n % 128, n // 128
        size += bytes([d | (128 if n else 0)])
        if not n:
            return bytes([kind]) + size + body
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sock.sendall(packet(0x10, s("MQTT") + bytes([4, 0xC2, 0, 60]) + s("flood") + s("simulator")
                   + s("simulator-secret")))
assert sock.recv(4)[3] == 0, "not connected"
for i in range(301):
    room = "prev-1" if i == 0 else "flood-%d" % i
    sock.sendall(packet(0x30, s("/readings/%s/temperature" % room) + b'{"sensorID":"s1","value":20}'))
    time.sleep(0.001)
sock.sendall(b"\xe0\x00")
sock.close()
PY
handled() { python3 -c 'import json,sys; assert json.loads(sys.argv[1])["messages"] >= 301' "$(stats "$CONTROL_PID")" 2>/dev/null; }
wait_for 30 handled || bad "the flood handled"
s=$(stats "$CONTROL_PID")
echo "$s"
offline() { test "$(grep -c '^heatbench/control/status 7$' "$DIR/retained.out")" -ge 2; }
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID" 2>/dev/null
wait_for 20 offline || bad "the daemon's goodbye seen"
kill "$cap" 2>/dev/null
check "flood: rooms evicted to admit new ones" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["rooms_evicted"] >= 100, d' "$s"
check "eviction: nothing withdrawn that was never published" python3 -c '
import sys
seen, empty = set(), set()
for line in open(sys.argv[1]):
    topic, n = line.rsplit(" ", 1)
    (seen if int(n) else empty).add(topic)
print("withdrawn %d topics, %d of them never published" % (len(empty), len(empty - seen)))
assert not empty - seen, sorted(empty - seen)[:5]' "$DIR/retained.out"
for t in $prev_topics; do
    check "eviction: the previous leader's $t withdrawn" test -z "$(sub_one "$t" 1)"
done
finish
