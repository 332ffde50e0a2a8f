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

# the first message on the subscription is a marker published after the forbidden reading: it
# would have come first had the broker let it through
sub_bg "$DIR/acl.out" admin -t '/readings/#' -t livetest/acl -C 1 -W 60 -F %t
sub=$SUB_PID
pub /readings/room-1/temperature '{"sensorID":"x","value":21}' controller
pub livetest/acl marker admin
wait $sub
check "ACL: the controller cannot publish readings" test "$(cat "$DIR/acl.out")" = livetest/acl

start_control || exit 1
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"
rc=$?
check "SIGTERM: exit 0" test "$rc" -eq 0
check "SIGTERM: retained status offline" test "$(sub_one heatbench/control/status 2)" = offline
# heatbench live on SIGINT: stops, writes the trace of what ran and prints its KPIs, exit 0.
sub_bg "$DIR/clock.out" admin -t heatbench/live/clock
"$HB" live --host 127.0.0.1 --port "$PORT" --username simulator --password-file "$DIR/simulator.pw" \
    --speed 600 --hours 5 -o "$DIR/live.csv" --json --clock-topic heatbench/live/clock \
    >"$DIR/live.json" 2>>"$DIR/live.log" &
live=$!
# 20 minutes of the room's time (its own clock), well inside its 5 hours
wait_for 60 clock_past "$DIR/clock.out" 1200 || bad "the room's clock did not move"
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
