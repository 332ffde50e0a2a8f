#!/usr/bin/env bash
# The broker dies and comes back: the daemon reconnects, resubscribes and answers again soon
# after the broker's return; it also waits for a broker that is not up yet at start.
# The lease: a leader whose heartbeats cannot come back (the broker is gone) stands down when its
# lease runs out (half of --takeover-s) and leads again only after a full --takeover-s without a
# leader. That is the pair's safety, tested in test_standby.sh and test_pair_attack.sh; here a
# 30 s takeover keeps the lease longer than the outage plus back-off on any loaded machine, so
# what is measured is the reconnection alone.
source "$(dirname "$0")/lib.sh" "$1" "$2"
# Start the daemon first: it must wait and retry.
"$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --takeover-s 30 >>"$DIR/control.log" 2>&1 &
CONTROL_PID=$!
PIDS+=("$CONTROL_PID")
wait_for 30 grep -q "not reachable" "$DIR/control.log" || bad "no retry logged without a broker"
check "daemon waits for a missing broker" kill -0 "$CONTROL_PID"
start_broker || exit 1
online() { [ "$(sub_one heatbench/control/status 1)" = online ]; }
retries_over() { [ "$(grep -c "not reachable" "$DIR/control.log")" -gt "$1" ]; }
wait_for 30 online || bad "never online"
check "answers once the broker is up" command_for room-r

stop_broker
wait_for 30 grep -q "connection lost" "$DIR/control.log" || bad "the loss was not logged"
lost=$(grep -c "not reachable" "$DIR/control.log")
wait_for 30 retries_over "$lost" || bad "no retry"
check "daemon survives the broker's death" kill -0 "$CONTROL_PID"
start_broker || exit 1
t0=$(date +%s.%N)
# One subscriber waits while a reading goes out every 0.2 s: the first command after the broker's
# return marks the moment control resumed.
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t /actuators/room-q -C 1 -W 30 \
    >"$DIR/resume.out" 2>/dev/null &
sub=$!
while kill -0 $sub 2>/dev/null; do
    pub /readings/room-q/temperature '{"sensorID":"sensor-1","value":20.5}' 2>/dev/null
    sleep 0.2
done
t1=$(date +%s.%N)
secs=$(python3 -c "print(round($t1 - $t0, 2))")
echo "control resumed $secs s after the broker returned"
# Back-off: 0.5, 1, 2 s... after a failed try, so a retry comes at most about 4 s after the
# broker is back; 15 s leaves room for a loaded machine and still catches a stuck back-off.
check "control resumes within 15 s" python3 -c "import sys; sys.exit(0 if $secs <= 15 and open('$DIR/resume.out').read().startswith('{\"level\"') else 1)"
finish
