#!/usr/bin/env bash
# Installs the Debian 12 packages heatbench needs to build, test and run. Idempotent: does
# nothing when they are all present. Needs root (uses sudo when run as a user). `time` is
# GNU time (/usr/bin/time): live.backpressure and bench/bench_live.sh read peak memory with it.
# universal-ctags: scripts/lint_conventions.py (and its ctest, lint_checks) reads definitions with it.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcjson-dev libgsl-dev libglpk-dev libmosquitto-dev libcunit1-dev
      gnuplot-nox mosquitto mosquitto-clients python3 openssl time universal-ctags
      libssl-dev parallel slurm-wlm munge
      libmicrohttpd-dev python3-requests)
# libssl-dev: libcrypto's SHA-256 for sweep run ids; parallel, slurm-wlm, munge: the engines
# `heatbench sweep` runs on, which tests/sweep starts for real (Slurm as a single node).
# libmicrohttpd-dev: heatbench serve's HTTP server; python3-requests: its BOPTEST client test.
# libssl-dev also gives the control pair's HMAC-SHA256 (daemon/hb_sign.c).
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "heatbench: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
