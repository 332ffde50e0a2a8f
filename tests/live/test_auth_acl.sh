#!/usr/bin/env bash
# Wrong password: a clear error and a non-zero exit. ACL: the controller cannot publish readings.
# SIGTERM: exit 0 and a retained "offline" status.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
printf 'wrong\n' >"$DIR/wrong.pw"
timeout 20 "$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/wrong.pw" >"$DIR/wrong.log" 2>&1
rc=$?
cat "$DIR/wrong.log" | tail -2
check "wrong password: exit status 1" test "$rc" -eq 1
check "wrong password: clear message" grep -q "wrong user name or password\|bad user name or password" "$DIR/wrong.log"

mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t '/readings/#' -C 1 -W 2 \
    >"$DIR/acl.out" 2>/dev/null &
sub=$!
sleep 0.3
pub /readings/room-1/temperature '{"sensorID":"x","value":21}' controller
wait $sub
check "ACL: the controller cannot publish readings" test ! -s "$DIR/acl.out"

start_control || exit 1
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"
rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
check "SIGTERM: retained status offline" test "$(sub_one heatbench/control/status 2)" = offline
# heatbench live on SIGINT: stops, writes the trace of what ran and prints its KPIs, exit 0.
"$HB" live --host 127.0.0.1 --port "$PORT" --username simulator --password-file "$DIR/simulator.pw" \
    --speed 600 --hours 5 -o "$DIR/live.csv" --json >"$DIR/live.json" 2>>"$DIR/live.log" &
live=$!
sleep 2
kill -INT $live
wait $live
rc=$?
check "live SIGINT: exit 0" test "$rc" -eq 0
check "live SIGINT: trace written" test "$(wc -l <"$DIR/live.csv")" -gt 10
check "live SIGINT: KPIs of what ran" python3 -c '
import json, sys
k = json.load(open(sys.argv[1]))
assert 0 < k["hours"] < 5 and k["readings_published"] > 0, k' "$DIR/live.json"
finish
