#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for SECONDS (default
# 30), starting from the seed corpora in fuzz/corpus/. A crash leaves its input in
# build-fuzz/artifacts/ and fails the run: copy it to fuzz/regressions/<harness>/ so ctest
# replays it from then on.
#
# cJSON is compiled from Debian's source package of the installed libcjson-dev (same version,
# same patches) with the fuzzer's instrumentation, so the harnesses get coverage inside the JSON
# parser too; the system library, uninstrumented, is the fallback when the source cannot be had.
# usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build-fuzz
mkdir -p "$out/artifacts"
common=(util/hb_error.c util/hb_ofile.c util/hb_rng.c util/hb_strutil.c util/hb_numeric.c util/hb_file.c util/hb_gsl.c util/hb_datadir.c
        models/hb_weather.c models/hb_valve.c models/hb_plant.c models/hb_sensor.c
        models/hb_netlink.c controllers/hb_fusion.c controllers/hb_pid.c
        controllers/hb_bangbang.c controllers/hb_room_ctl.c controllers/hb_schedule.c
        controllers/hb_room_model.c controllers/hb_room_kf.c controllers/hb_mpc.c engine/hb_evq.c engine/hb_engine.c
        metrics/hb_kpi.c metrics/hb_cost.c metrics/hb_trace.c
        sim/hb_energy.c sim/hb_belief.c sim/hb_sim.c sim/hb_sim_default.c sim/hb_sim_check.c scenario/hb_schema.c scenario/hb_scenario.c
        mqtt/hb_payload.c metrics/hb_bkpi.c serve/hb_tc1.c serve/hb_test.c serve/hb_serve.c)
flags=(-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
libs=(-lglpk -lgsl -lgslcblas -lm)

cjson_dir="$out/cjson"
if [ ! -f "$cjson_dir/cJSON.c" ]; then
    ver=$(dpkg-query -W -f='${Version}' libcjson-dev 2>/dev/null || true)
    src="$out/cjson-src"
    rm -rf "$src" && mkdir -p "$src/lists/partial"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" >"$src/sources.list"
    apt_src=(-q -o Dir::Etc::SourceList="$PWD/$src/sources.list" -o Dir::Etc::SourceParts=/dev/null
             -o Dir::State::Lists="$PWD/$src/lists")
    if [ -n "$ver" ] && command -v dpkg-source >/dev/null &&
        apt-get "${apt_src[@]}" update >"$src/apt.log" 2>&1 &&
        (cd "$src" && apt-get "${apt_src[@]}" source --download-only "cjson=$ver" >>apt.log 2>&1 &&
            dpkg-source -x cjson_*.dsc tree >>apt.log 2>&1); then
        mkdir -p "$cjson_dir/include/cjson"
        cp "$src/tree/cJSON.c" "$cjson_dir/"
        cp "$src/tree/cJSON.h" "$cjson_dir/include/cjson/"
        cp "$src/tree/cJSON.h" "$cjson_dir/"
    fi
fi
if [ -f "$cjson_dir/cJSON.c" ]; then
    echo "== cJSON $(dpkg-query -W -f='${Version}' libcjson-dev) from source, instrumented"
    cjson=(-I"$cjson_dir/include" "$cjson_dir/cJSON.c")
else
    echo "== warning: cJSON source not available; linking the uninstrumented system library"
    cjson=(-lcjson)
fi
status=0
for h in reading level topic scenario room_ctl serve; do
    clang "${flags[@]}" -o "$out/fuzz_$h" "fuzz/fuzz_$h.c" "${common[@]}" "${cjson[@]}" "${libs[@]}"
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
