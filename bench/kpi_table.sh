#!/usr/bin/env bash
# Prints the KPI table of every shipped scenario under each controller, as Markdown.
# usage: bench/kpi_table.sh [HEATBENCH]   (default build/heatbench)
set -euo pipefail
cd "$(dirname "$0")/.."
HB=${1:-build/heatbench}
echo "| scenario | controller | discomfort K·h | RMSE K | max over K | max under K | energy kWh | energy ratio | valve travel % | commands |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for f in scenarios/*.json; do
    for c in pid bangbang mpc; do
        "$HB" run "$f" --controller "$c" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("| {} | {} | {:.2f} | {:.3f} | {:.2f} | {:.2f} | {:.2f} | {:.3f} | {:.0f} | {} |".format(
    d["scenario"], d["controller"], d["discomfort_kh"], d["rmse_k"], d["max_overshoot_k"],
    d["max_undershoot_k"], d["energy_kwh"], d["energy_ratio"], d["valve_travel_pct"],
    d["actuator_msgs"]))'
    done
done
