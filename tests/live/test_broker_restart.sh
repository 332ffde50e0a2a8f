#!/usr/bin/env bash
# The broker dies and comes back: the daemon reconnects, resubscribes and answers again within
# 5 s of the broker's return; it also waits for a broker that is not up yet at start.
source "$(dirname "$0")/lib.sh" "$1" "$2"
# Start the daemon first: it must wait and retry.
"$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" >>"$DIR/control.log" 2>&1 &
CONTROL_PID=$!
PIDS+=("$CONTROL_PID")
sleep 1.5
check "daemon waits for a missing broker" kill -0 "$CONTROL_PID"
start_broker || exit 1
for _ in $(seq 100); do [ "$(sub_one heatbench/control/status 1)" = online ] && break; sleep 0.1; done
check "answers once the broker is up" command_for room-r

stop_broker
sleep 2
check "daemon survives the broker's death" kill -0 "$CONTROL_PID"
start_broker || exit 1
t0=$(date +%s.%N)
# One subscriber waits while a reading goes out every 0.2 s: the first command after the broker's
# return marks the moment control resumed.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t /actuators/room-q -C 1 -W 8 \
    >"$DIR/resume.out" 2>/dev/null &
sub=$!
while kill -0 $sub 2>/dev/null; do
    pub /readings/room-q/temperature '{"sensorID":"sensor-1","value":20.5}' 2>/dev/null
    sleep 0.2
done
t1=$(date +%s.%N)
secs=$(python3 -c "print(round($t1 - $t0, 2))")
echo "control resumed $secs s after the broker returned"
check "control resumes within 5 s" python3 -c "import sys; sys.exit(0 if $secs <= 5 and open('$DIR/resume.out').read().startswith('{\"level\"') else 1)"
finish
