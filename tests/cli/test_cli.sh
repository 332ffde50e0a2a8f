#!/bin/sh
# End-to-end tests of the heatbench command line: exit statuses, messages, output files.
# usage: test_cli.sh HEATBENCH SOURCE_DIR
HB=$1
SRC=$2
. "$(dirname "$0")/lib.sh"

# expect STATUS NEEDLE -- command...: runs the command, checks its exit status and that stderr
# contains NEEDLE (empty NEEDLE: no check).
expect() {
    want=$1 needle=$2
    shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        bad "$* -> status $got, expected $want; stderr: $(head -c 300 "$TMP/err")"
    elif [ -n "$needle" ] && ! grep -qF -- "$needle" "$TMP/err"; then
        bad "$* -> stderr lacks '$needle': $(head -c 300 "$TMP/err")"
    else
        ok
    fi
}

# --- help and version ---
expect 0 "" -- "$HB" --version
grep -q '^heatbench [0-9]' "$TMP/out" && ok || bad "--version output"
expect 0 "" -- "$HB" --help
for cmd in run check keys control live tune identify record report serve; do
    expect 0 "" -- "$HB" $cmd --help
    grep -q "usage: heatbench $cmd" "$TMP/out" && ok || bad "$cmd --help output"
done
expect 2 "unknown command" -- "$HB" frobnicate
expect 2 "usage" -- "$HB"

printf '{"room": {"ua_w_per_kk": 30}}' >"$TMP/typo.json"

# --- serve: usage errors, and a port it cannot have ---
expect 2 "bad value '70000' for --port" -- "$HB" serve --port 70000
expect 2 "not an IPv4 address" -- "$HB" serve --host nowhere
expect 2 "bad value '0' for --max-tests" -- "$HB" serve --max-tests 0
expect 2 "unexpected argument" -- "$HB" serve extra
expect 1 "cannot listen" -- "$HB" serve --host 192.0.2.1 --port 0

# --- control and live: usage errors, and no broker ---
expect 2 "--port" -- "$HB" control --port 70000
expect 2 "unknown option" -- "$HB" control --frob
expect 2 "--controller" -- "$HB" control --controller fuzzy
expect 2 "--start-time" -- "$HB" control --start-time monday,5:00
expect 2 "--topic-prefix" -- "$HB" control --topic-prefix 'heat/#'
# a state file that cannot be written is found out at start, not a minute later in the log
expect 2 "cannot write there: No such file" -- "$HB" control --state-file "$TMP/none/state.json"
expect 2 "cannot write there: Is a directory" -- "$HB" control --state-file "$TMP"
expect 2 "expected a file path" -- "$HB" control --state-file -
mkfifo "$TMP/fifo" # opened for writing, it would block the start for ever
expect 2 "expected a regular file" -- timeout 10 "$HB" control --state-file "$TMP/fifo"
echo '{"rooms": [{"setpoint_c": 20}]}' >"$TMP/home.json"
expect 2 "rooms[0].name: missing" -- "$HB" control --config "$TMP/home.json"
# --check: what a start (or a SIGHUP) would load, checked without a broker
expect 2 "rooms[0].name: missing" -- "$HB" control --check --config "$TMP/home.json"
expect 0 "" -- "$HB" control --check --config "$SRC/deploy/home.json" --scenario default
grep -q "^ok: scenario .*config .*home.json: 2 rooms with settings of their own.*would lead" "$TMP/out" &&
    ok || bad "control --check: $(cat "$TMP/out")"
expect 2 "cannot read password file" -- "$HB" control --check --username u --password-file "$TMP/none"
expect 2 "controller mpc needs a room model" -- "$HB" control --check --controller mpc
# a household's configuration given to `check` says what it is and how to check it
expect 2 "control --check --config" -- "$HB" check "$SRC/deploy/home.json"
# KPIs per interval: one line per 24 h (the last shorter), summing to the run's, which they do
# not change
"$HB" run night-setback --hours 60 --json >"$TMP/whole.json" 2>&1
"$HB" run night-setback --hours 60 --json --kpi-interval 24 --kpi-file "$TMP/days.jsonl" >"$TMP/whole2.json" 2>&1
if python3 - "$TMP/whole.json" "$TMP/whole2.json" "$TMP/days.jsonl" <<'PY'
import json, sys
whole = json.load(open(sys.argv[1]))
assert json.load(open(sys.argv[2])) == whole, "the interval KPIs changed the run"
days = [json.loads(l) for l in open(sys.argv[3])]
assert [(d["from_h"], d["to_h"]) for d in days] == [(0, 24), (24, 48), (48, 60)], days
for key in ("energy_kwh", "iae_kh", "discomfort_kh", "valve_travel_pct"):
    assert abs(sum(d[key] for d in days) - whole[key]) < 1e-4 * max(1, abs(whole[key])), key
for key in ("actuator_msgs", "readings_published"):
    assert sum(d[key] for d in days) == whole[key], key
assert max(d["peak_power_w"] for d in days) == whole["peak_power_w"]
assert "energy_ratio" not in days[0]
PY
then ok; else bad "run --kpi-interval: lines per interval that sum to the run"; fi
expect 2 "--kpi-interval" -- "$HB" run --controller pid,mpc --report "$TMP/cmp" --kpi-interval 24
# runs up to 100 years (876,000 h), not one hour more
expect 2 "876000" -- "$HB" run --hours 876001
echo '{"duration_h": 876001}' >"$TMP/long.json"
expect 2 "duration_h" -- "$HB" check "$TMP/long.json"
expect 2 "at most one '+'" -- "$HB" control --readings-topic '/a/+/+'
expect 2 "both have a '+'" -- "$HB" control --readings-topic /readings/temperature
expect 2 "password needs a username" -- "$HB" control --password x
expect 2 "cannot read password file" -- "$HB" control --username u --password-file "$TMP/none"
expect 2 "typo.json" -- "$HB" control --scenario "$TMP/typo.json"
expect 2 "--speed" -- "$HB" live --speed 0
expect 2 "--rooms > 1 needs" -- "$HB" live --rooms 3 --readings-topic /readings/temperature
expect 1 "no connection to 127.0.0.1:1" -- "$HB" live --host 127.0.0.1 --port 1 --connect-timeout 0.5
expect 2 "port: expected 1..65535" -- env HEATBENCH_MQTT_PORT=abc "$HB" live
# A fraction where a whole number goes was refused without a word before the option table.
expect 2 "--port: expected a whole number in [1, 65535], got '1.5'" -- "$HB" live --port 1.5
expect 2 "--rooms: expected a whole number" -- "$HB" live --rooms 2.5

# --- tune ---
expect 2 "--evals" -- "$HB" tune --evals 3
expect 2 "--robust" -- "$HB" tune --robust median
printf '{"radiator": {"q50_w": 300}, "weather": {"model": "constant", "constant_c": -10}}' >"$TMP/weak.json"
expect 1 "untunable: the radiator cannot hold the setpoint" -- "$HB" tune "$TMP/weak.json"
expect 0 "" -- "$HB" tune --evals 40 -o "$TMP/tuned.json" --convergence "$TMP/conv.csv" --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["chosen"]; assert {m["name"] for m in d["methods"]} >= {"default","relay-zn","relay-tl","simc","amigo","optimized"}' "$TMP/out" && ok || bad "tune --json"
expect 0 "" -- "$HB" check "$TMP/tuned.json"
# cost weights from the scenario, overridden by flags
printf '{"tuning": {"w_travel": 2}}' >"$TMP/wt.json"
"$HB" tune "$TMP/wt.json" --evals 40 --json >"$TMP/wt1.json" 2>/dev/null
"$HB" tune "$TMP/wt.json" --evals 40 --json --w-travel 0.3 >"$TMP/wt2.json" 2>/dev/null
"$HB" tune --evals 40 --json >"$TMP/wt3.json" 2>/dev/null
python3 -c '
import json, sys
c = [json.load(open(f))["methods"][0]["cost"] for f in sys.argv[1:]]
assert c[0] > c[1] and abs(c[1] - c[2]) < 1e-9, c' "$TMP/wt1.json" "$TMP/wt2.json" "$TMP/wt3.json" && ok || bad "tuning weights from the scenario and flags"
head -1 "$TMP/conv.csv" | grep -q '^evaluation,cost,kp,ki,kd$' && ok || bad "convergence CSV header"
expect 0 "" -- "$HB" run "$TMP/tuned.json" --hours 2

# --- tune --controller mpc: the MPC's weights, into a scenario that runs the MPC ---
expect 2 "--controller" -- "$HB" tune --controller fuzzy
expect 2 "for the PID's tuning" -- "$HB" tune --controller mpc --report "$TMP/mpcrep"
[ ! -e "$TMP/mpcrep" ] && ok || bad "tune --controller mpc --report made a directory"
expect 0 "" -- "$HB" tune --controller mpc --evals 10 --seeds 1 --json -o "$TMP/mpc-tuned.json" \
    --convergence "$TMP/mpc-conv.csv"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert [m["name"] for m in d["methods"]] == ["default", "optimized"] and d["evaluations"] <= 10
s = json.load(open(sys.argv[2]))
assert s["controller"]["type"] == "mpc" and s["controller"]["mpc"]["w_track"] > 0' \
    "$TMP/out" "$TMP/mpc-tuned.json" && ok || bad "tune --controller mpc --json / -o"
head -1 "$TMP/mpc-conv.csv" | grep -q '^evaluation,cost,w_track,w_travel,inner_kp$' && ok ||
    bad "MPC convergence CSV header"
expect 0 "" -- "$HB" run "$TMP/mpc-tuned.json" --hours 2
grep -q 'seed 1, mpc,' "$TMP/out" && ok || bad "the tuned scenario runs the MPC: $(head -1 "$TMP/out")"
# The model-based controllers by name; control refuses what needs a forecast it does not have.
for c in mpc pid-ff pid-os pid-ff-os; do
    expect 0 "" -- "$HB" run --controller "$c" --hours 3
done
expect 2 "needs a room model and a weather forecast" -- "$HB" control --controller mpc
# A year of plans every minute would take an hour: refused, naming the keys to change.
printf '{"duration_h": 8760, "controller": {"type": "mpc", "mpc": {"step_s": 60, "horizon_h": 6}}}' \
    >"$TMP/mpc-year.json"
expect 2 "controller.mpc.step_s" -- "$HB" check "$TMP/mpc-year.json"
# A plan too long for the program: named by check and run, and by tune and run when the MPC
# comes from the command line over a scenario that did not use it.
printf '{"controller": {"mpc": {"horizon_h": 168, "step_s": 300}}}' >"$TMP/mpc-long.json"
expect 0 "" -- "$HB" check "$TMP/mpc-long.json"
expect 2 "a plan of 2016 steps" -- "$HB" run "$TMP/mpc-long.json" --controller mpc
expect 2 "a plan of 2016 steps" -- "$HB" tune "$TMP/mpc-long.json" --controller mpc --evals 10
printf '{"controller": {"type": "mpc", "mpc": {"horizon_h": 168, "step_s": 300}}}' >"$TMP/mpc-long2.json"
expect 2 "controller.mpc.horizon_h" -- "$HB" check "$TMP/mpc-long2.json"

# --- the default run ---
expect 0 "" -- "$HB" run
grep -q '^discomfort' "$TMP/out" && ok || bad "KPI table"
expect 0 "" -- "$HB" run --json --hours 2
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [d[k] for k in ("discomfort_kh","rmse_k","max_overshoot_k","energy_kwh","energy_floor_kwh","energy_ideal_kwh","energy_ratio","valve_travel_pct","actuator_msgs")]' "$TMP/out" && ok || bad "--json keys"

# --- every shipped scenario runs ---
for f in "$SRC"/scenarios/*.json; do
    expect 0 "" -- "$HB" run "$f" --hours 3
done
expect 0 "" -- "$HB" check "$SRC"/scenarios/*.json

# --- bad usage ---
expect 2 "--seed" -- "$HB" run --seed abc
expect 2 "--seed" -- "$HB" run --seed -3
expect 2 "--controller" -- "$HB" run --controller fuzzy
expect 2 "--hours" -- "$HB" run --hours 0
expect 2 "unknown option" -- "$HB" run --frob
expect 2 "needs a value" -- "$HB" run --hours
expect 2 "at most one scenario" -- "$HB" run a.json b.json
expect 2 "trace_interval_s: expected a multiple" -- "$HB" run --trace-interval 7

# --- bad scenarios: status 2, one clear message naming the file ---
printf '{\n  "seed": 1,\n  "room": {"ua_w_per_k": 30,}\n}\n' >"$TMP/syntax.json"
expect 2 "syntax.json:3:" -- "$HB" run "$TMP/syntax.json"
printf '{"room": {"ua_w_per_kk": 30}}' >"$TMP/typo.json"
expect 2 'did you mean "room.ua_w_per_k"' -- "$HB" run "$TMP/typo.json"
printf '{"setpoint_c": "22"}' >"$TMP/type.json"
expect 2 "setpoint_c: expected a number in [5, 35] °C, got a string" -- "$HB" run "$TMP/type.json"
printf '{"valve": {"authority": 1.5}}' >"$TMP/range.json"
expect 2 "valve.authority: expected a number in (0, 1], got 1.5" -- "$HB" run "$TMP/range.json"
: >"$TMP/empty.json"
expect 2 "empty.json: file is empty" -- "$HB" run "$TMP/empty.json"
expect 2 "missing.json: cannot open scenario" -- "$HB" run "$TMP/missing.json"
expect 2 "scenario is not a regular file" -- "$HB" run "$TMP"
head -c 300 /dev/urandom >"$TMP/binary.json"
expect 2 "binary.json" -- "$HB" run "$TMP/binary.json"
expect 2 "typo.json" -- "$HB" check "$SRC/scenarios/default.json" "$TMP/typo.json"

# --- output files: atomic, never half-written ---
expect 0 "" -- "$HB" run -o "$TMP/trace.csv" --hours 1
head -1 "$TMP/trace.csv" | grep -q '^time_s,t_out,t_air,t_mass,t_rad,sensor_1,sensor_2,sensor_3,sensor_4,sensor_5,t_est,setpoint,band_lo,band_hi,level_cmd,valve_pos,q_rad_w,energy_kwh,floor_kwh$' && ok || bad "trace header"
[ "$(wc -l <"$TMP/trace.csv")" -eq 62 ] && ok || bad "trace rows: $(wc -l <"$TMP/trace.csv")"
cp "$TMP/trace.csv" "$TMP/good.csv"
expect 2 "" -- "$HB" run "$TMP/typo.json" -o "$TMP/trace.csv"
cmp -s "$TMP/trace.csv" "$TMP/good.csv" && ok || bad "a failed run replaced the trace"
ls "$TMP" | grep -q '\.tmp\.' && bad "temporary file left behind" || ok
expect 0 "" -- "$HB" run -o /dev/null --hours 1
[ -c /dev/null ] && ok || bad "/dev/null was replaced"
"$HB" run -o - --hours 1 2>/dev/null | head -1 | grep -q '^time_s,' && ok || bad "-o - to stdout"
expect 1 "cannot write" -- "$HB" run -o "$TMP/no/such/dir/trace.csv" --hours 1
mkfifo "$TMP/fifo"
(cat "$TMP/fifo" >"$TMP/from_fifo" &)
expect 0 "" -- "$HB" run -o "$TMP/fifo" --hours 1
sleep 0.2
[ -p "$TMP/fifo" ] && ok || bad "FIFO was replaced"
[ "$(wc -l <"$TMP/from_fifo")" -eq 62 ] && ok || bad "FIFO got $(wc -l <"$TMP/from_fifo") lines"

# --- determinism through the CLI ---
"$HB" run -o "$TMP/a.csv" --seed 7 --hours 4 >/dev/null
"$HB" run -o "$TMP/b.csv" --seed 7 --hours 4 >/dev/null
"$HB" run -o "$TMP/c.csv" --seed 8 --hours 4 >/dev/null
cmp -s "$TMP/a.csv" "$TMP/b.csv" && ok || bad "same seed, different trace"
cmp -s "$TMP/a.csv" "$TMP/c.csv" && bad "other seed, same trace" || ok

# --- scenarios that used to hang or say nonsense (safety audit, item 10) ---
for bad_json in '{"plant_step_s": 1e-6}|plant_step_s' '{"controller": {"update_s": 1e-9}}|controller.update_s' \
    '{"radiator": {"capacity_kj_per_k": 1e-3}}|radiator.capacity_kj_per_k'; do
    printf '%s\n' "${bad_json%|*}" >"$TMP/hang.json"
    expect 2 "${bad_json#*|}" -- timeout 20 "$HB" check "$TMP/hang.json"
    expect 2 "${bad_json#*|}" -- timeout 20 "$HB" run "$TMP/hang.json"
    expect 2 "${bad_json#*|}" -- timeout 20 "$HB" tune "$TMP/hang.json" --evals 10
done
mkfifo "$TMP/fifo.csv"
printf '{"weather": {"model": "csv", "csv_file": "%s"}}\n' "$TMP/fifo.csv" >"$TMP/fifo.json"
expect 2 "not a regular file" -- timeout 20 "$HB" check "$TMP/fifo.json"
expect 2 "not a regular file" -- timeout 20 "$HB" run "$TMP/fifo.csv"
sensors=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16; do
    sensors="$sensors${sensors:+,}{\"period_s\": 0.2}"
done
printf '{"duration_h": 8760, "plant_step_s": 0.1, "sensors": [%s]}\n' "$sensors" >"$TMP/work.json"
expect 2 "duration_h" -- timeout 20 "$HB" check "$TMP/work.json"
printf '{"duration_h": 100, "plant_step_s": 0.1, "sensors": [%s]}\n' "$sensors" >"$TMP/work.json"
expect 0 "" -- timeout 20 "$HB" check "$TMP/work.json"
expect 2 "duration_h" -- timeout 20 "$HB" run "$TMP/work.json" --hours 8760
printf '{"warmup_h": 2, "duration_h": 1}\n' >"$TMP/short.json"
expect 0 "" -- "$HB" run "$TMP/short.json"
grep -q "^rmse  *n/a" "$TMP/out" && ok || bad "a run inside its warm-up prints rmse n/a: $(cat "$TMP/out")"
grep -q "nan" "$TMP/out" && bad "a run inside its warm-up prints nan" || ok
expect 0 "" -- "$HB" run "$TMP/short.json" --json
grep -q '"rmse_k":null' "$TMP/out" && grep -q '"discomfort_kh":null' "$TMP/out" && ok ||
    bad "a run inside its warm-up gives null KPIs in JSON: $(cat "$TMP/out")"
expect 2 "warmup_h" -- "$HB" tune "$TMP/short.json" --evals 10
# strict numbers: no hexadecimal, no inf
expect 2 "--hours" -- "$HB" run --hours 0x10
expect 2 "--hours" -- "$HB" run --hours inf
expect 2 "--speed" -- "$HB" live --speed 0x10
# a message quoting the user's file cannot carry terminal escape codes
printf '{"name": "x", "\033[2Jbad": 1}\n' >"$TMP/esc.json"
expect 2 "bad" -- "$HB" check "$TMP/esc.json"
if grep -q "$(printf '\033')" "$TMP/err"; then bad "an escape code reached the terminal"; else ok; fi
printf '{"name": \033[31m}\n' >"$TMP/esc2.json"
expect 2 "JSON syntax error" -- "$HB" check "$TMP/esc2.json"
if grep -q "$(printf '\033')" "$TMP/err"; then bad "an escape code reached the terminal"; else ok; fi

# --- tune: the progress ends on its own line at 100 %; every scenario is named
if command -v script >/dev/null; then
    script -qc "\"$HB\" tune --evals 40" "$TMP/tty" >/dev/null 2>&1
    tr '\r' '\n' <"$TMP/tty" | grep -q '100%$' && ok || bad "tune progress does not reach 100 %"
    tr '\r' '\n' <"$TMP/tty" | grep -A2 '100%' | grep -q '^tuning default' && ok ||
        bad "tune results do not start on a line of their own"
fi
expect 0 "" -- "$HB" tune default cold-snap --evals 20
grep -q "^tuning default, cold-snap:" "$TMP/out" && ok || bad "tune names every scenario: $(head -1 "$TMP/out")"

# --- the key reference in docs/scenarios.md is the generated one ---
"$HB" keys >"$TMP/keys.md"
sed -n '/<!-- keys:begin -->/,/<!-- keys:end -->/p' "$SRC/docs/scenarios.md" | sed '1d;$d' >"$TMP/doc_keys.md"
if cmp -s "$TMP/keys.md" "$TMP/doc_keys.md"; then ok; else
    bad "docs/scenarios.md key table is stale: run 'heatbench keys' and paste it"
    diff "$TMP/keys.md" "$TMP/doc_keys.md" | head -10
fi

# --- identify and record: bad input gets a clear error, a good trace a scenario that loads ---
expect 2 "expected one trace file" -- "$HB" identify
expect 2 "cannot open trace" -- "$HB" identify "$TMP/no-such.csv"
printf 'time_s,sensor_1\n0,21\n60,21\n' >"$TMP/nolevel.csv"
expect 2 "level_cmd" -- "$HB" identify "$TMP/nolevel.csv"
expect 2 "unknown parameter 'ua'" -- "$HB" identify --fix ua "$TMP/nolevel.csv"
"$HB" run --hours 12 -o "$TMP/day12.csv" >/dev/null 2>&1
expect 2 "less than the 6 h" -- "$HB" identify "$TMP/day12.csv" --holdout-h 7
expect 0 "" -- "$HB" identify "$TMP/day12.csv" --holdout-h 2 --starts 1 -o "$TMP/ident.json"
grep -q "free-run RMSE" "$TMP/out" && ok || bad "identify prints its validation"
expect 0 "" -- "$HB" check "$TMP/ident.json"
grep -q '"name":[[:space:]]*"default-identified"' "$TMP/ident.json" && ok || bad "identified scenario named"
expect 0 "" -- "$HB" identify "$TMP/day12.csv" --holdout-h 2 --starts 1 --report "$TMP/idrep"
[ -s "$TMP/idrep/identify.svg" ] && grep -q "free-run RMSE" "$TMP/idrep/index.html" && ok ||
    bad "identify --report writes the plot and the table"
mkdir -p "$TMP/notmine" && touch "$TMP/notmine/keep.txt"
expect 2 "not a heatbench report" -- "$HB" identify "$TMP/day12.csv" --report "$TMP/notmine"
[ -f "$TMP/notmine/keep.txt" ] && [ ! -e "$TMP/notmine/index.html" ] && ok ||
    bad "identify --report leaves a foreign directory alone"
expect 2 "-o FILE is required" -- "$HB" record
expect 2 "not a plain room name" -- "$HB" record -o "$TMP/r.csv" --room 'a/b'
expect 1 "no connection" -- "$HB" record -o "$TMP/r.csv" --port 1 --connect-timeout 0.5
[ ! -e "$TMP/r.csv" ] && ok || bad "record without a broker writes no file"
# tune --live: no broker is a clear error within --connect-timeout, not a hang
expect 1 "no connection to 127.0.0.1:1 within 0.5 s" -- timeout 20 "$HB" tune --live --host 127.0.0.1 \
    --port 1 --connect-timeout 0.5
expect 2 "--clock-timeout" -- "$HB" tune --live --clock-timeout 0

finish cli
