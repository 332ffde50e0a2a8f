#!/usr/bin/env bash
# Runs the whole test suite: installs the packages, builds, runs every CUnit suite and the CLI
# tests with ctest. With --sanitizers, builds into build-asan/ with ASan and UBSan instead. CI
# runs each test once (.ci/run), by the ctest labels of tests/CMakeLists.txt:
#   --sanitizers  build-asan/, every test but those labelled `release`;
#   --tsan        build-tsan/ with ThreadSanitizer, the tests labelled `threads` (the tuner's);
#   --release     build/ (Release), only the tests labelled `release`: what a sanitizer build
#                 cannot judge (the README as written, golden figures, the installed tree).
# Without an option: everything, in the normal build (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
select=()
case "${1:-}" in
--sanitizers)
    export BUILD_DIR=build-asan BUILD_TYPE=Debug
    scripts/build.sh -DHEATBENCH_SANITIZERS=ON
    select=(-LE release)
    ;;
--tsan)
    export BUILD_DIR=build-tsan BUILD_TYPE=RelWithDebInfo
    scripts/build.sh -DHEATBENCH_TSAN=ON
    select=(-L threads)
    ;;
--release)
    scripts/build.sh
    select=(-L release)
    ;;
*)
    scripts/build.sh
    ;;
esac
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "${select[@]}"
