#!/usr/bin/env bash
# Open-window detection measured (docs/benchmarks.md, "Open windows"): the shipped airing and
# tilted-window scenarios with the detector off and on, under the PID and the MPC; seed 1.
# usage: bench/window_table.sh [HEATBENCH]   (default build/heatbench)
set -euo pipefail
cd "$(dirname "$0")/.."
HB=${1:-build/heatbench}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "| scenario | controller | detection | discomfort K·h | max under K | energy kWh | commands | valve travel % |"
echo "|---|---|---|---|---|---|---|---|"
for s in window-open window-tilted; do
    for detect in false true; do
        python3 - "$s" "$detect" "$TMP/s.json" <<'PY'
import json, sys
s = json.load(open("scenarios/%s.json" % sys.argv[1]))
s.setdefault("controller", {}).setdefault("window", {})["detect"] = sys.argv[2] == "true"
json.dump(s, open(sys.argv[3], "w"))
PY
        for c in pid mpc; do
            "$HB" run "$TMP/s.json" --controller "$c" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("| {} | {} | {} | {:.2f} | {:.2f} | {:.3f} | {} | {:.0f} |".format(
    d["scenario"], d["controller"], "on" if sys.argv[1] == "true" else "off",
    d["discomfort_kh"], d["max_undershoot_k"], d["energy_kwh"], d["actuator_msgs"],
    d["valve_travel_pct"]))' "$detect"
        done
    done
done
