#!/usr/bin/env bash
# heatbench tune --live against heatbench live: refuses while a controller is online; tunes the
# room with the relay and the step test (gains written, a scenario that loads, the room inside its
# limits); a step heading for a limit is cut; leaving the limits or SIGINT ends the experiment
# with the valve restored; the experiment keeps to the room's clock, through a stall of the room
# and past bad ticks.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
SPEED=1440
# Every experiment follows the room's own clock (live publishes it on heatbench/live/clock, where
# tune --live looks by default): on the wall clock at 1440x a stall of the room or of the
# experiment for 0.2 s was 300 s of silence, and ended it or hid the step's dead time.
CLOCK=heatbench/live/clock
tl() { # tl NAME ARGS...: an experiment as user controller, output in NAME.out/NAME.log
    local name=$1
    shift
    "$HB" tune --live --host 127.0.0.1 --port "$PORT" --username controller \
        --password-file "$DIR/controller.pw" --speed "$SPEED" --clock-topic "$CLOCK" "$@" \
        >"$DIR/$name.out" 2>"$DIR/$name.log"
}
# The valve's wire, with markers (on livetest/wire, same subscription) that prove every command
# published before them is in: wire prints the commands alone.
sub_bg "$DIR/wire.all" admin -t /actuators/room-1 -t livetest/wire
wire() { grep -v '^livetest-marker' "$DIR/wire.all"; }
MARKS=0
fence_wire() {
    MARKS=$((MARKS + 1))
    pub livetest/wire "livetest-marker-$MARKS" admin
    wait_log "$DIR/wire.all" "^livetest-marker-$MARKS\$" 60 || bad "marker $MARKS never came"
    wire >"$DIR/wire.out"
}
last_level() { tail -1 "$DIR/wire.out" | sed 's/.*"level":\([0-9]*\).*/\1/'; }

# A controller online: the experiment would fight it for the valve.
start_control || exit 1
tl refused --max-h 1
check "refuses while a controller is online (exit 1)" test $? -eq 1
check "and says why" grep -q "heatbench control is online" "$DIR/refused.log"
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID" 2>/dev/null
fence_wire
check "and sent no command" test "$(wc -l <"$DIR/wire.out")" -eq 0

start_room() { # a fresh simulated room at midnight: each experiment below meets the same day
    [ -n "${ROOM_PID:-}" ] && kill "$ROOM_PID" 2>/dev/null && wait "$ROOM_PID" 2>/dev/null
    local n
    n=$(clients_of simulator)
    "$HB" live --host 127.0.0.1 --port "$PORT" --username simulator \
        --password-file "$DIR/simulator.pw" --speed "$SPEED" --hours 60 >>"$DIR/live.log" 2>&1 &
    ROOM_PID=$!
    PIDS+=("$ROOM_PID")
    # the room is there once the broker has its subscription (its clock starts then)
    wait_subscribed simulator "$n" || bad "the simulated room did not subscribe"
}
start_room
# First, while the room is at its start: a step that would take the room past --max-c is cut
# at 3/4 of the way to it; the room stays inside.
tl cut --json --cycles 3 --max-c 23.2 --step-du 40 --rule tl
check "a step heading for the limit is cut, not aborted (exit 0)" test $? -eq 0
check "the step was cut and the room stayed below 23.2 °C" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["step"]["cut"] and d["step"]["du"] == 40 and d["step"]["hours"] < 2, d["step"]
assert d["max_c"] < 23.2, d' "$DIR/cut.out"

# The time limit after the relay ends the step test, not the experiment: relay gains, exit 0.
tl late --json --warmup-h 0 --bias 14 --cycles 3 --settle-h 24 --max-h 6
check "the time limit during the step test keeps the relay's result (exit 0)" test $? -eq 0
check "and says why there is no step" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and "tl" in d["gains"] and "simc" not in d["gains"], d
assert not d["step"]["ok"] and "time limit" in d["step"]["reason"], d["step"]' "$DIR/late.out"

start_room
tl tuned -o "$DIR/tuned.json" --rule simc --json
check "tunes the room (exit 0)" test $? -eq 0
cat "$DIR/tuned.out"
check "relay ok, the room inside 20..24 °C, the valve left at the bias" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["ku"] > 0 and d["pu_s"] > 0, d
assert 20 <= d["min_c"] and d["max_c"] <= 24, d
assert d["restored"] == round(d["bias"]), d' "$DIR/tuned.out"
check "on the room's clock: a tick a simulated minute, none ignored" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["clock"]
assert c["followed"] and c["ignored"] == 0 and c["ticks"] >= 0.9 * d["hours"] * 60, (c, d["hours"])' \
    "$DIR/tuned.out"
check "the step test fitted a FOPDT model: +10 % for 2 h, k, tau, dead time plausible" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["step"]
assert s["ok"] and s["du"] == 10 and not s["cut"] and abs(s["hours"] - 2) < 0.05, s
assert 0.02 < s["k"] < 0.3 and 600 < s["tau_s"] < 4 * 3600 and 0 <= s["theta_s"] < 1800, s' "$DIR/tuned.out"
check "all five rules gave gains; the SIMC ones are in the tuned scenario" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d["gains"]) == {"tl", "zn", "no-overshoot", "simc", "amigo"}, d["gains"]
pid = json.load(open(sys.argv[2]))["controller"]["pid"]
g = d["gains"]["simc"]
assert abs(pid["kp"] - g["kp"]) < 0.01 and abs(pid["ki"] - g["ki"]) < 0.01, (pid, g)' \
    "$DIR/tuned.out" "$DIR/tuned.json"
fence_wire
check "the last command on the wire is the restore level" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
last = open(sys.argv[2]).read().split()[-1]
assert json.loads(last)["level"] == d["restored"], (last, d["restored"])' "$DIR/tuned.out" "$DIR/wire.out"
check "every command within 0..100" python3 -c '
import json, sys
assert all(0 <= json.loads(l)["level"] <= 100 for l in open(sys.argv[1]))' "$DIR/wire.out"
check "the tuned scenario loads" "$HB" check "$DIR/tuned.json"

tl tight --min-c 21.95 --max-c 22.05 --bias 14 --warmup-h 0 --amplitude 30 --restore 13
check "leaving the limits aborts (exit 1)" test $? -eq 1
check "and says so" grep -q "left its limits" "$DIR/tight.log"
fence_wire
check "the valve is restored after the abort" test "$(last_level)" -eq 13

"$HB" tune --live --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --speed "$SPEED" --restore 12 --min-c 5 --max-c 35 -v \
    >"$DIR/interrupted.out" 2>"$DIR/interrupted.log" &
TL_PID=$!
# SIGINT while the experiment runs: once its first command is out (an event, not a wall time, so
# a loaded machine cannot let it end first), and with limits so wide that they cannot end it.
wait_for 60 grep -q ' <- ' "$DIR/interrupted.log" || bad "the experiment to interrupt never commanded"
kill -INT "$TL_PID"
wait "$TL_PID"
check "SIGINT ends the experiment (exit 1)" test $? -eq 1
check "and says so" grep -q "interrupted" "$DIR/interrupted.log"
fence_wire
check "the valve is restored after SIGINT" test "$(last_level)" -eq 12

# The room stopped (SIGSTOP) for a few wall seconds in the middle of the relay, then continued: the
# experiment's clock waits for the room and the experiment runs to its end. Messages on the clock
# topic that are no tick, or behind the room's time, are counted and ignored. (It may end without
# gains: the room catches up the stopped hour in a burst, at a valve its controller could not
# move in time, and the relay's periods may then disagree.)
start_room
"$HB" tune --live --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --speed "$SPEED" --clock-topic "$CLOCK" --json -v \
    --warmup-h 0 --bias 14 --cycles 3 --step-du 0 >"$DIR/stalled.out" 2>"$DIR/stalled.log" &
TL_PID=$!
# mid-relay: after its third command (an event, so a loaded machine only makes it later)
wait_for 60 test_gt "grep -c ' <- ' '$DIR/stalled.log'" 2 || bad "the experiment to stall never commanded"
for p in 'not json' '{"t":"soon"}' '{"t":0}' '{"t":-5}' '{"t":1e999}' '[60]'; do
    pub "$CLOCK" "$p" admin
done
kill -STOP "$ROOM_PID"
sleep 3 # the stall under test (not a wait for an event): 72 minutes of the room at 1440x
kill -CONT "$ROOM_PID"
wait "$TL_PID"
check "a stall of the room does not end the experiment" bash -c "! grep -q 'ended early' '$DIR/stalled.log'"
check "it says it waited for the room's clock" grep -q "no tick of the room's clock for" "$DIR/stalled.log"
check "the relay ran to its end, the stall waited for, the bad ticks ignored" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["clock"]
assert c["followed"] and c["stalls"] >= 1 and c["longest_stall_s"] >= 2.5, c
assert c["ignored"] == 6, c
assert d["cycles"] >= 2 and d["step"]["reason"] == "the step test did not run", d' "$DIR/stalled.out"
grep -v ' <- ' "$DIR/stalled.log"

# The experiment itself stopped (SIGSTOP) for longer than its --clock-timeout, the room running
# on: when it continues, the readings and ticks that queued up meanwhile come first, and its own
# stall is not the room's clock stopping. (Same room, a short timeout so the case stays fast.)
"$HB" tune --live --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --speed "$SPEED" --clock-topic "$CLOCK" --json -v \
    --warmup-h 0 --bias 14 --cycles 3 --step-du 0 --clock-timeout 2 >"$DIR/self.out" \
    2>"$DIR/self.log" &
TL_PID=$!
wait_for 60 grep -q ' <- ' "$DIR/self.log" || bad "the experiment to stop never commanded"
kill -STOP "$TL_PID"
sleep 3 # the stall under test, longer than --clock-timeout 2
kill -CONT "$TL_PID"
wait "$TL_PID"
check "a stall of the experiment itself does not end it" bash -c "! grep -q 'ended early' '$DIR/self.log'"
check "the clock waited for it and ran on" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["clock"]
assert c["followed"] and c["stalls"] >= 1 and c["longest_stall_s"] >= 2.5 and c["ignored"] == 0, c' \
    "$DIR/self.out"
grep -v ' <- ' "$DIR/self.log"

# record --excite prbs on the room's clock: the valve driven by the PRBS while recording 3 hours
# of the room, then restored.
"$HB" record --host 127.0.0.1 --port "$PORT" --username recorder --password-file "$DIR/recorder.pw" \
    --speed "$SPEED" --clock-topic "$CLOCK" --excite prbs --prbs-period 600 --hours 3 \
    -o "$DIR/excited.csv" >"$DIR/excite.log" 2>&1
check "record --excite prbs runs (exit 0)" test $? -eq 0
cat "$DIR/excite.log"
check "it recorded 3 hours of the room's clock" test "$(($(wc -l <"$DIR/excited.csv") - 1))" -ge 179
# No command seen before it started: centred on 30 %, so 10 and 50 (its own commands, which come
# back on the actuator topic, must not move the centre).
check "the recorded commands are the two PRBS levels, 30 -+ 20" python3 -c '
import csv, sys
levels = {r["level_cmd"] for r in csv.DictReader(open(sys.argv[1])) if r["level_cmd"]}
assert levels == {"10", "50"}, levels' "$DIR/excited.csv"
fence_wire
check "the valve is left at the centre after the excitation" test "$(last_level)" -eq 30
finish
