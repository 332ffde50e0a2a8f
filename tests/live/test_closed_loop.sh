#!/usr/bin/env bash
# The whole system on loopback (scripts/run-system.sh: broker with password and ACL, the
# controller daemon, the simulated room): 3 simulated hours at 900x hold the comfort band.
source "$(dirname "$0")/lib.sh" "$1" "$2"
out=$(HEATBENCH="$HB" "$SRC/scripts/run-system.sh" --speed 900 --hours 3 --json 2>"$DIR/system.log")
echo "$out"
check "closed loop: KPIs printed" test -n "$out"
check "closed loop: no discomfort after warm-up" python3 -c '
import json, sys
k = json.loads(sys.argv[1])
assert k["discomfort_kh"] < 0.05, k
assert k["max_overshoot_k"] < 0.5 and k["max_undershoot_k"] < 0.5, k
assert k["actuator_msgs"] >= 3, k
assert k["readings_published"] > 5000, k' "$out"
finish
