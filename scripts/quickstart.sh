#!/usr/bin/env bash
# One command on a fresh Debian 12 machine: installs the packages, builds, and runs the default
# scenario (the seed's room over a winter day), printing its KPIs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec build/heatbench run "$@"
