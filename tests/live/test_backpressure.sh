#!/usr/bin/env bash
# `heatbench live --rooms N` faster than the connection drains: back-pressure holds simulated
# time, so the outgoing queue stays within --max-queue (plus what one room makes in one turn),
# every reading is written, none is lost, and the run still ends.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
/usr/bin/time -f '%M' -o "$DIR/rss" "$HB" live --host 127.0.0.1 --port "$PORT" --username simulator \
    --password-file "$DIR/simulator.pw" --rooms 300 --speed 20000 --hours 0.5 --max-queue 2000 \
    >/dev/null 2>"$DIR/live.log"
rc=$?
summary=$(grep "readings published" "$DIR/live.log")
echo "$summary; peak RSS $(cat "$DIR/rss") KiB"
check "backpressure: the run ends (exit 0)" test "$rc" -eq 0
check "backpressure: queue bounded, everything written, nothing lost" python3 -c '
import re, sys
m = re.search(r"(\d+) readings published \((\d+) written to the broker, (\d+) lost.*queue at most (\d+)", sys.argv[1])
pub, written, lost, queue = map(int, m.groups())
assert pub >= 300 * 5 * 170 and written == pub and lost == 0 and queue <= 2000 + 50, m.groups()' "$summary"
finish
