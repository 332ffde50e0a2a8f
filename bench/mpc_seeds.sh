#!/usr/bin/env bash
# The predictive controller's figures over seeds 1..10 (median and worst), as docs/benchmarks.md and
# docs/model.md quote them: the shipped mismatch scenarios, the eight ±30 % corners of the night
# setback (UA and both capacities 0.7 or 1.3 of the plant's, the outdoor forecast 2 K off either
# way, the MPC's default weights), and the perfect-foresight night setback for reference; then
# optimal start and stop against the MPC and the PID's overshoot after the 06:30 step.
# usage: bench/mpc_seeds.sh [BUILD_DIR]   (default build)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
HB=$B/heatbench
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
SEEDS=$(seq 1 10)
# A KPI of every seed: scenario controller key -> one figure a line.
each() {
    for s in $SEEDS; do
        "$HB" run "$1" --controller "$2" --seed "$s" --json |
            python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$3"
    done
}
# Median and worst of the figures on stdin, to $1 decimals (default 3).
stats() {
    python3 -c '
import statistics, sys
v = [float(x) for x in sys.stdin]
print("%.*f / %.*f" % (int(sys.argv[1]), statistics.median(v), int(sys.argv[1]), max(v)))' "${1:-3}"
}
echo "| runs, seeds 1..10 | discomfort K·h, median / worst |"
echo "|---|---|"
echo "| night-setback-mismatch, mpc | $(each scenarios/night-setback-mismatch.json mpc discomfort_kh | stats) |"
echo "| mild-sunny-mismatch, mpc (sun believed twice as strong) | $(each scenarios/mild-sunny-mismatch.json mpc discomfort_kh | stats) |"
for ua in 0.7 1.3; do
    for cap in 0.7 1.3; do
        for bias in -2 2; do
            python3 - "$TMP" "$ua" "$cap" "$bias" <<'PY'
import json, sys
d, ua, cap, bias = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
m = {"room": {"ua_w_per_k": 30 * ua, "air_capacity_kj_per_k": 300 * cap,
              "mass_capacity_kj_per_k": 3300 * cap}}
json.dump(m, open(d + "/belief.json", "w"))
s = json.load(open("scenarios/night-setback.json"))
s["controller"] = {"type": "mpc"}
s["forecast"] = {"t_out_bias_k": bias, "model_file": "belief.json"}
json.dump(s, open(d + "/corner.json", "w"))
PY
            each "$TMP/corner.json" mpc discomfort_kh
        done
    done
done >"$TMP/corners"
echo "| night-setback, eight ±30 % corners × 10 seeds, mpc default weights | $(stats <"$TMP/corners") |"
echo "| night-setback, mpc, perfect foresight (reference) | $(each scenarios/night-setback.json mpc discomfort_kh | stats) |"
echo
# Optimal start and stop against the MPC, both tracking the setpoint (the MPC's default weights)
# and the MPC as shipped (economic weights), as totals and as ratios seed by seed ("track" and
# "econ"); the PID's overshoot: the highest air after 06:30 over 22 °C.
python3 - "$TMP" <<'PY'
import json, sys
s = json.load(open("scenarios/night-setback.json"))
del s["controller"]
json.dump(s, open(sys.argv[1] + "/tracking.json", "w"))
PY
each scenarios/night-setback.json pid-os energy_kwh >"$TMP/e_os"
each "$TMP/tracking.json" mpc energy_kwh >"$TMP/e_track"
each scenarios/night-setback.json mpc energy_kwh >"$TMP/e_econ"
e_os=$(stats <"$TMP/e_os")
d_os=$(each scenarios/night-setback.json pid-os discomfort_kh | stats)
e_track=$(stats <"$TMP/e_track")
e_econ=$(stats <"$TMP/e_econ")
echo "night-setback energy kWh, median / worst of seeds 1..10: pid-os $e_os (discomfort $d_os K·h), mpc default weights $e_track, mpc economic (as shipped) $e_econ"
# The ratio seed by seed (the same seed's weather noise and sensors for both), median / worst.
for m in track econ; do
    paste -d ' ' "$TMP/e_os" "$TMP/e_$m" | python3 -c 'import sys
for l in sys.stdin:
    a, b = map(float, l.split())
    print(a / b)' | stats 4 | sed "s|^|night-setback energy, pid-os / mpc $m, seed by seed, median / worst: |"
done
for c in pid pid-os; do
    for s in $SEEDS; do
        "$HB" run scenarios/night-setback.json --controller "$c" --seed "$s" -o "$TMP/t.csv" >/dev/null
        python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if 6.5 * 3600 <= float(r["time_s"]) < 22 * 3600]
print(max(float(r["t_air"]) - float(r["setpoint"]) for r in rows))' "$TMP/t.csv"
    done | stats | sed "s|^|night-setback, $c: overshoot after the 06:30 step K, median / worst: |"
done
