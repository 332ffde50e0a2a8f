#!/usr/bin/env bash
# heatbench record against heatbench live driven by heatbench control: every reading published
# is recorded, SIGINT and kill -9 leave a complete file, and identify recovers the room (which
# is unlike the default it starts from) from the recorded trace.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
SPEED=2880 # 1,440 readings/s of five sensors; rows keep to the room's own clock (--clock-topic)
cat >"$DIR/room.json" <<'JSON'
{"name": "other-room", "duration_h": 24,
 "room": {"ua_w_per_k": 55, "direct_share": 0.3, "air_capacity_kj_per_k": 600,
          "mass_capacity_kj_per_k": 7000, "air_mass_w_per_k": 700},
 "radiator": {"q50_w": 2600}}
JSON
rec() { # rec NAME ARGS...: a recorder as user recorder writing NAME.csv; pid in NAME_PID
    local name=$1
    shift
    "$HB" record --host 127.0.0.1 --port "$PORT" --username recorder \
        --password-file "$DIR/recorder.pw" --speed "$SPEED" -o "$DIR/$name.csv" \
        --clock-topic heatbench/live/clock "$@" \
        >"$DIR/$name.log" 2>&1 &
    eval "${name}_PID=$!"
    PIDS+=($!)
}
complete() { # every line of the CSV has the header's field count, and there are rows
    [ -f "$1" ] && awk -F, 'NR == 1 { n = NF; next } NF != n { bad = 1 } END { exit bad || NR < 3 }' "$1"
}
start_control --speed "$SPEED" || exit 1
"$HB" record --host 127.0.0.1 --port "$PORT" --username recorder --password-file "$DIR/recorder.pw" \
    --excite prbs --hours 1 -o "$DIR/refused.csv" >"$DIR/refused.log" 2>&1
check "--excite refuses while a controller is online (exit 1)" test $? -eq 1
check "and says why" grep -q "heatbench control is online" "$DIR/refused.log"
check "and writes no file" test ! -e "$DIR/refused.csv"
n_rec=$(clients_of recorder)
n_sim=$(clients_of simulator)
rec full --flush-s 1
rec interrupted --flush-s 0.5
rec killed --flush-s 0.5
# each recorder subscribed (readings first, the clock last) before the room starts
for k in 1 2 3; do wait_subscribed recorder $((n_rec + k - 1)) || bad "recorder $k did not subscribe"; done
wait_for 60 test_gt "grep -c ' 0 heatbench/live/clock\$' '$DIR/mosquitto.log'" 2 || bad "the recorders' clocks"
"$HB" live "$DIR/room.json" --host 127.0.0.1 --port "$PORT" --username simulator \
    --password-file "$DIR/simulator.pw" --speed "$SPEED" --clock-topic heatbench/live/clock \
    >"$DIR/live.log" 2>&1 &
LIVE_PID=$!
PIDS+=($LIVE_PID)
# both have flushed a trace with rows (their files are replaced whole, so a look is safe)
wait_for 120 complete "$DIR/killed.csv" || bad "no trace flushed by the recorder to kill"
wait_for 120 complete "$DIR/interrupted.csv" || bad "no trace flushed by the recorder to interrupt"
kill -INT "$interrupted_PID"
kill -9 "$killed_PID"
wait "$killed_PID" 2>/dev/null
wait "$interrupted_PID"
check "SIGINT: record exits 0" test $? -eq 0
check "SIGINT: the trace is complete" complete "$DIR/interrupted.csv"
check "kill -9: the last flush is a complete trace" complete "$DIR/killed.csv"
check "kill -9: no temporary file left beside it but its own" \
    test "$(find "$DIR" -name 'killed.csv?*' | wc -l)" -le 1
wait "$LIVE_PID"
# every reading in: the broker has read live's connection to its end (it logs the disconnect
# after that) and the recorder has read all the broker sent it
live_id=$(client_id simulator $((n_sim + 1)))
wait_log "$DIR/mosquitto.log" "Client $live_id \(disconnected\|closed its connection\)" 60 ||
    bad "the broker did not see live go"
# and its flushed trace has reached the room's last minutes (the broker's own queue is not
# visible in the socket's: an empty socket alone does not prove the broker has sent everything)
row_at() { tail -1 "$DIR/full.csv" 2>/dev/null | awk -F, -v s="$1" '$1 + 0 >= s { ok = 1 } END { exit !ok }'; }
wait_for 120 row_at $((24 * 3600 - 180)) || echo "(the trace did not reach the day's end)"
wait_for 60 read_all "$full_PID" || bad "the recorder did not read all"
kill -INT "$full_PID"
wait "$full_PID"
check "record exits 0 at SIGINT after the day" test $? -eq 0
cat "$DIR/full.log"
published=$(sed -n 's/.* \([0-9]*\) readings published.*/\1/p' "$DIR/live.log")
recorded=$(sed -n 's/.* \([0-9]*\) readings, .*/\1/p' "$DIR/full.log")
echo "published $published, recorded $recorded"
check "no reading lost at $((SPEED / 2)) readings/s" test "${published:-0}" -gt 40000 -a "$recorded" -eq "$published"
check "the trace is complete, with the trace's columns" complete "$DIR/full.csv"
check "the header" grep -q '^time_s,sensor_1,sensor_2,sensor_3,sensor_4,sensor_5,level_cmd$' "$DIR/full.csv"
"$HB" identify "$DIR/full.csv" --holdout-h 5 --starts 2 --json >"$DIR/ident.json" 2>"$DIR/ident.log"
check "identify runs on the recording" test $? -eq 0
cat "$DIR/ident.json"
check "identify: UA and q50 within 10 %, held-out free-run RMSE <= 0.2 K" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["parameters"]
ua, q50 = p["ua_w_per_k"]["value"], p["q50_w"]["value"]
assert abs(ua / 55 - 1) <= 0.10 and abs(q50 / 2600 - 1) <= 0.10, (ua, q50)
assert d["rmse_holdout_k"] <= 0.2, d["rmse_holdout_k"]' "$DIR/ident.json"

# The room stopped (SIGSTOP) for a few wall seconds while it is recorded on its clock: the
# recording clock waits for the room instead of running on at --speed (and being set back at
# the next tick: at 2880x a 3 s stall made over a hundred rows of the same readings stamped
# ahead of the room). --hours counts the room's hours (it counted from the last tick).
n_rec=$(clients_of recorder)
rec stall --flush-s 0.5 --hours 4
wait_subscribed recorder "$n_rec" 3 || bad "the recorder to stall did not subscribe"
"$HB" live "$DIR/room.json" --host 127.0.0.1 --port "$PORT" --username simulator \
    --password-file "$DIR/simulator.pw" --speed "$SPEED" --hours 6 --clock-topic heatbench/live/clock \
    >"$DIR/live2.log" 2>&1 &
LIVE_PID=$!
PIDS+=($LIVE_PID)
wait_for 120 complete "$DIR/stall.csv" || bad "no trace flushed before the stall"
kill -STOP "$LIVE_PID"
sleep 3 # the stall under test (not a wait for an event)
kill -CONT "$LIVE_PID"
wait "$stall_PID"
check "record --hours 4 on the room's clock ends by itself (exit 0)" test $? -eq 0
cat "$DIR/stall.log"
check "4 hours of rows on the room's time, none stamped ahead through the stall" python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t = [float(r["time_s"]) for r in rows]
assert 239 <= len(rows) <= 241 and all(abs(b - a - 60) < 1e-6 for a, b in zip(t, t[1:])), (len(rows), t[:3])
keys = [k for k in rows[0] if k.startswith("sensor_")]
run = longest = 1
for a, b in zip(rows, rows[1:]):
    run = run + 1 if all(a[k] == b[k] for k in keys) else 1
    longest = max(longest, run)
assert longest <= 10, "%d rows in a row with the same readings" % longest' "$DIR/stall.csv"
wait "$LIVE_PID"
finish
