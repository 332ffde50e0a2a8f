#!/usr/bin/env bash
# One MQTT session (mqtt/hb_session.c) connects and runs the network loop for every program: no
# other C file calls mosquitto_connect*, mosquitto_reconnect* or mosquitto_loop*, so connection
# pacing, handshake deadlines and fatal CONNACKs cannot drift apart between programs again (they
# had: tune --live reconnected with no pause at all). Exempt: bench/bench_control.c, a benchmark
# client that drives the daemon with libmosquitto's own threaded loop and is no heatbench program.
# Usage: check_session.sh [FILE...] (default: every tracked .c file). Exit 1 on a call found.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then
    set -- $(git ls-files '*.c' | grep -v -x -e mqtt/hb_session.c -e bench/bench_control.c)
fi
# A call is the name followed by "(", callback setters (..._callback_set) excepted.
if grep -n -E '\bmosquitto_(connect|reconnect|loop)[a-z0-9_]*[[:space:]]*\(' "$@" |
    grep -v -E 'mosquitto_[a-z0-9_]*_callback_set[[:space:]]*\('; then
    echo "check_session: connect/loop calls outside mqtt/hb_session.c (use hb_session_step)" >&2
    exit 1
fi
