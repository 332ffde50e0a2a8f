#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for SECONDS (default
# 30), starting from the seed corpora in fuzz/corpus/. A crash leaves its input in
# build-fuzz/artifacts/ and fails the run: copy it to fuzz/regressions/<harness>/ so ctest
# replays it from then on.
# usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build-fuzz
mkdir -p "$out/artifacts"
common=(util/hb_error.c util/hb_ofile.c util/hb_rng.c util/hb_strutil.c util/hb_numeric.c util/hb_file.c
        models/hb_weather.c models/hb_valve.c models/hb_plant.c models/hb_sensor.c
        models/hb_netlink.c controllers/hb_fusion.c controllers/hb_pid.c
        controllers/hb_bangbang.c controllers/hb_room_ctl.c engine/hb_evq.c engine/hb_engine.c
        engine/hb_sim.c engine/hb_sim_default.c engine/hb_sim_check.c scenario/hb_schema.c scenario/hb_scenario.c
        live/hb_payload.c)
flags=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
libs=(-lcjson -lgsl -lgslcblas -lm)
status=0
for h in reading level topic scenario; do
    clang "${flags[@]}" -o "$out/fuzz_$h" "fuzz/fuzz_$h.c" "${common[@]}" "${libs[@]}"
    mkdir -p "$out/corpus-$h"
    cp -n fuzz/corpus/"$h"/* "$out/corpus-$h/" 2>/dev/null || true
    echo "== fuzz_$h for ${secs} s"
    if ! "$out/fuzz_$h" -max_total_time="$secs" -max_len=4096 -timeout=10 \
        -artifact_prefix="$out/artifacts/$h-" "$out/corpus-$h" >"$out/fuzz_$h.log" 2>&1; then
        echo "fuzz_$h: FAILED, see $out/fuzz_$h.log and $out/artifacts/"
        tail -30 "$out/fuzz_$h.log"
        status=1
    else
        grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$out/fuzz_$h.log" | tail -1
    fi
done
exit $status
