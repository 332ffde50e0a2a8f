#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (ASan + UBSan) and runs each for SECONDS (default
# 30), starting from the seed corpora in fuzz/corpus/. The harnesses and what they link come from
# CMake (fuzz/fuzz.cmake, -DHEATBENCH_FUZZ=ON in build-fuzz/): no source list is kept here. A crash leaves its input in
# build-fuzz/artifacts/ and fails the run: copy it to fuzz/regressions/<harness>/ so ctest
# replays it from then on.
#
# cJSON is compiled from Debian's source package of the installed libcjson-dev (same version,
# same patches) with the fuzzer's instrumentation, so the harnesses get coverage inside the JSON
# parser too; the system library, uninstrumented, is the fallback when the source cannot be had.
# usage: fuzz/run.sh [SECONDS [HARNESS...]]   (all harnesses when none is named)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=build-fuzz
mkdir -p "$out/artifacts"
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
cjson_opt=-DHB_FUZZ_CJSON_SOURCE=
if [ -f "$cjson_dir/cJSON.c" ]; then
    echo "== cJSON $(dpkg-query -W -f='${Version}' libcjson-dev) from source, instrumented"
    cjson_opt=-DHB_FUZZ_CJSON_SOURCE=$PWD/$cjson_dir
else
    echo "== warning: cJSON source not available; linking the uninstrumented system library"
fi
CC=clang cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEATBENCH_FUZZ=ON \
    -DHEATBENCH_LTO=OFF -DHEATBENCH_TESTS=OFF "$cjson_opt" >"$out/cmake.log"
cmake --build "$out" --target fuzz -j"$(nproc)" >"$out/build.log" ||
    { tail -30 "$out/build.log"; exit 1; }
shift || true
if [ $# -gt 0 ]; then
    harnesses=("$@")
else
    mapfile -t harnesses <"$out/fuzz-harnesses.txt"
fi
status=0
for h in "${harnesses[@]}"; do
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
