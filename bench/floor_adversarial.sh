#!/usr/bin/env bash
# The energy floor's property test on 200 random adversarial days (gain pulses, window openings,
# sun at random phases; every controller), more than ctest runs for time (issue 28).
# usage: bench/floor_adversarial.sh [BUILD_DIR] [N]   (default build, 200)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
HB_ADVERSARIAL_N=${2:-200} "$B/tests/hb_tests" energy
