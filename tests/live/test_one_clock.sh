#!/usr/bin/env bash
# One clock for live and control (issue 27 item 4): `heatbench live` publishes its simulated clock
# by default and a `heatbench control` started without --speed follows it, so the pair started
# with no options beyond the broker's controls the room; a control held to the wall clock by an
# explicit --speed 1 beside a fast room says so, once.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
start_control || exit 1
"$HB" live --host 127.0.0.1 --port "$PORT" --username simulator \
    --password-file "$DIR/simulator.pw" --speed 360 --hours 2 --json >"$DIR/live.json" \
    2>"$DIR/live.log"
check "live ran" test -s "$DIR/live.json"
check "control follows the room's clock" grep -q "following the simulated clock on heatbench/live/clock" "$DIR/control.log"
check "the room is controlled: RMSE <= 0.3 K after the warm-up" python3 - "$DIR/live.json" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))
print("rmse %.3f K, energy ratio %.3f, %d commands" % (k["rmse_k"], k["energy_ratio"], k["actuator_msgs"]))
assert k["rmse_k"] <= 0.3 and k["actuator_msgs"] >= 5, k
PY
check "no warning when the clocks agree" bash -c "! grep -q 'faster than' '$DIR/control.log'"
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"

# An explicit --speed wins over the published clock: readings 360 times too fast get a warning.
start_control --speed 1 || exit 1
"$HB" live --host 127.0.0.1 --port "$PORT" --username simulator \
    --password-file "$DIR/simulator.pw" --speed 360 --hours 0.5 --json >/dev/null 2>&1
check "control at --speed 1 does not follow the clock" bash -c "[ \$(grep -c 'following the' '$DIR/control.log') -eq 1 ]"
check "readings far too fast: one warning" bash -c "[ \$(grep -c 'warning: readings arrive' '$DIR/control.log') -eq 1 ]"
grep 'warning: readings arrive' "$DIR/control.log"
finish
