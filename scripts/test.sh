#!/usr/bin/env bash
# Runs the whole test suite: installs the packages, builds, runs every CUnit suite and the CLI
# tests with ctest. With --sanitizers, builds into build-asan/ with ASan and UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ "${1:-}" = "--sanitizers" ]; then
    export BUILD_DIR=build-asan BUILD_TYPE=Debug
    scripts/build.sh -DHEATBENCH_SANITIZERS=ON
else
    scripts/build.sh
fi
cd "${BUILD_DIR:-build}"
# The README test checks documentation, not memory: it runs in the normal build only.
exclude=()
[ "${1:-}" = "--sanitizers" ] && exclude=(-LE readme)
ctest --output-on-failure -j"$(nproc)" "${exclude[@]}"
