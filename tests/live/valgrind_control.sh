#!/usr/bin/env bash
# valgrind --leak-check=full over a short `heatbench control` session that sees good readings,
# every kind of bad one, household commands (good and bad), a reload of its --config, a broker
# restart and a SIGTERM with a state file: zero errors, no definite leaks.
# usage: valgrind_control.sh HEATBENCH SOURCE_DIR   (a non-sanitizer build)
source "$(dirname "$0")/lib.sh" "$1" "$2"
unset ASAN_OPTIONS
start_broker || exit 1
valgrind --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    --suppressions="$SRC/tests/live/valgrind.supp" \
    --log-file="$DIR/valgrind.log" \
    "$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --log-interval 0 --config "$SRC/deploy/home.json" \
    --state-file "$DIR/state.json" --state-interval 1 >>"$DIR/control.log" 2>&1 &
CONTROL_PID=$!
PIDS+=("$CONTROL_PID")
wait_subscribed controller 0 3 || echo "(no subscription of the daemon seen)"
wait_for 120 test_eq "sub_one heatbench/control/status 1" online || echo "(the daemon is not online)"
for room in a b c; do
    for s in 1 2 3 4 5; do
        pub "/readings/room-$room/temperature" "{\"sensorID\":\"sensor-$s\",\"value\":2$s.5}"
    done
done
for bad in '{' '[1]' '{"value":1}' '{"sensorID":"x"}' '{"sensorID":"x","value":"nan"}' \
           '{"sensorID":"x","value":500}' '{"sensorID":"x","type":"co2","value":1}'; do
    pub /readings/room-a/temperature "$bad"
done
pub "/readings/no such room/temperature" '{"sensorID":"x","value":20}'
for cmd in "setpoint/set 23" "setpoint/set 99" "mode/set off" "mode/set heat" "preset/set away" \
           "preset/set nope" "setpoint/set x"; do
    pub "heatbench/room-a/${cmd% *}" "${cmd#* }" admin
done
kill -HUP "$CONTROL_PID"
# the readings handled and the reload done (valgrind is slow: generous bounds)
stats_until "$CONTROL_PID" 'd["readings"] >= 15 and d["reloads"] >= 1' 120 >/dev/null ||
    echo "(not every reading or the reload seen)"
lost=$(grep -c "connection lost" "$DIR/control.log")
stop_broker
wait_for 60 test_gt "grep -c 'connection lost' '$DIR/control.log'" "$lost" || echo "(the loss not logged)"
conn=$(grep -c "connected to" "$DIR/control.log")
start_broker || exit 1
wait_for 120 test_gt "grep -c 'connected to' '$DIR/control.log'" "$conn" || echo "(no reconnect logged)"
command_for room-z >/dev/null
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"
rc=$?
grep -E "ERROR SUMMARY|definitely lost" "$DIR/valgrind.log"
check "valgrind: clean exit (no errors, no definite leaks)" test "$rc" -eq 0
check "the session saved its rooms" grep -q '"room":"room-a"' "$DIR/state.json"
finish
