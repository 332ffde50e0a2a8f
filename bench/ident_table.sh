#!/usr/bin/env bash
# From a room's own data to its gains, for rooms unlike every shipped scenario: each room runs in
# `heatbench live` (60 h at 2880x, its clock published for the recorder); `heatbench control`
# drives it for 24 h, then `record --excite
# prbs` for 12 h, then control again for the held-out day, while one `heatbench record` writes the
# whole trace through the broker. `identify` (from the default room) fits the first 36 h and is
# validated on the last 24; then gains tuned on the twin and gains tuned on the true room are both
# scored on the true room (the tuning cost of `heatbench tune`, held-out seeds 1001..1003).
# usage: bench/ident_table.sh [BUILD_DIR] [ROOM...]   (about 90 s per room; KEEP=DIR keeps
# each room's scenario, trace and twin there)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
shift $(($# > 0 ? 1 : 0))
ONLY=${*:-}
HB=$PWD/$B/heatbench
SPEED=2880
dir=$(mktemp -d)
chmod 0755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$port" >"$dir/m.conf"
mosquitto -c "$dir/m.conf" >"$dir/m.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; pkill -P $$ 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; true' EXIT
sleep 0.5
net=(--host 127.0.0.1 --port "$port")
# name UA direct C_air C_mass H_am q50 (kJ/K, W/K, W)
rooms="small-light 15 0.4 150 1650 300 800
big-heavy 80 0.4 900 9900 1200 3000
mid 45 0.3 450 4950 700 2000
slow 25 0.4 750 8250 455 1200"
echo "ident_table: $(date -u +%Y-%m-%d), $(nproc) cores; true / identified, error"
printf '%-12s %16s %18s %16s %9s %9s %9s %9s\n' room "UA W/K" "C total MJ/K" "q50 W" \
    "rmse K" "1h K" "cost" "(true)"
echo "$rooms" | while read -r name ua f ca cm ham q50; do
    if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then
        continue
    fi
    cat >"$dir/$name.json" <<EOF
{"name": "$name", "duration_h": 60,
 "room": {"ua_w_per_k": $ua, "direct_share": $f, "air_capacity_kj_per_k": $ca,
          "mass_capacity_kj_per_k": $cm, "air_mass_w_per_k": $ham},
 "radiator": {"q50_w": $q50}}
EOF
    "$HB" record "${net[@]}" --speed $SPEED -o "$dir/$name.csv" --flush-s 5 \
        --clock-topic hb/clock >"$dir/rec.log" 2>&1 &
    rec=$!
    "$HB" control "${net[@]}" --speed $SPEED --no-discovery >"$dir/ctl.log" 2>&1 &
    ctl=$!
    sleep 0.5
    "$HB" live "$dir/$name.json" "${net[@]}" --speed $SPEED --clock-topic hb/clock \
        >"$dir/live.log" 2>&1 &
    live=$!
    sleep 30 # 24 h
    kill -TERM $ctl
    wait $ctl || true
    "$HB" record "${net[@]}" --speed $SPEED --excite prbs --hours 12 --prbs-period 1800 \
        -o "$dir/excite.csv" >"$dir/exc.log" 2>&1
    "$HB" control "${net[@]}" --speed $SPEED --no-discovery >"$dir/ctl.log" 2>&1 &
    ctl=$!
    wait $live
    kill -INT $rec
    wait $rec
    kill -TERM $ctl
    wait $ctl || true
    "$HB" identify "$dir/$name.csv" --holdout-h 24 --json >"$dir/id.json"
    "$HB" identify "$dir/$name.csv" --holdout-h 24 -o "$dir/twin.json" >/dev/null
    "$HB" tune "$dir/twin.json" -o "$dir/t-twin.json" >/dev/null
    "$HB" tune "$dir/$name.json" -o "$dir/t-true.json" >/dev/null
    python3 - "$dir" "$name" "$ua" "$ca" "$cm" "$q50" "$HB" <<'PY'
import json, subprocess, sys
d, name, ua, ca, cm, q50, hb = sys.argv[1:]
ua, ca, cm, q50 = map(float, (ua, ca, cm, q50))
r = json.load(open(f"{d}/id.json"))
p = {k: v["value"] for k, v in r["parameters"].items()}
w = dict(discomfort=1, iae=0.2, energy=5, travel=0.3, msgs=0.1)
def cost(tuned):
    gains = json.load(open(tuned))["controller"]["pid"]
    room = json.load(open(f"{d}/{name}.json"))
    room["duration_h"] = 24
    room["controller"] = {"type": "pid", "pid": gains}
    path = f"{d}/eval.json"
    json.dump(room, open(path, "w"))
    total = 0
    for seed in (1001, 1002, 1003):
        k = json.loads(subprocess.run([hb, "run", path, "--seed", str(seed), "--json"],
                                      capture_output=True, text=True, check=True).stdout)
        total += (w["discomfort"] * k["discomfort_kh"] + w["iae"] * k["iae_kh"]
                  + w["energy"] * max(0, k["energy_ratio"] - 1)
                  + w["travel"] * k["valve_travel_pct"] / 100 + w["msgs"] * k["actuator_msgs"] / 100)
    return total / 3
c_twin, c_true = cost(f"{d}/t-twin.json"), cost(f"{d}/t-true.json")
ct = (ca + cm) / 1e3
ci = (p["air_capacity_kj_per_k"] + p["mass_capacity_kj_per_k"]) / 1e3
e = lambda a, b: 100 * (b / a - 1)
print("%-12s %4.0f/%5.1f %+5.1f%% %5.2f/%5.2f %+5.1f%% %4.0f/%5.0f %+5.1f%% %9.3f %9.3f %9.3f %9.3f"
      % (name, ua, p["ua_w_per_k"], e(ua, p["ua_w_per_k"]), ct, ci, e(ct, ci), q50, p["q50_w"],
         e(q50, p["q50_w"]), r["rmse_holdout_k"], r["rmse_1h_ahead_k"], c_twin, c_true))
PY
    if [ -n "${KEEP:-}" ]; then
        mkdir -p "$KEEP"
        cp "$dir/$name.json" "$dir/$name.csv" "$dir/twin.json" "$dir/id.json" "$KEEP/"
    fi
done
echo "(cost: the gains tuned on the twin, then those tuned on the true room, both on the true room)"
