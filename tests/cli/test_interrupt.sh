#!/bin/sh
# Ctrl-C or SIGTERM in the middle of writing: no temporary (DIR.tmp.*, FILE.tmp.*) is left behind,
# the target is untouched, and the exit status says which signal stopped heatbench.
# usage: test_interrupt.sh HEATBENCH
HB=$1
. "$(dirname "$0")/lib.sh"

# wait_for GLOB PID: until a path matching GLOB exists (0), or PID has exited or 20 s went by (1).
# Polled every 20 ms: the event is the temporary appearing, not a guessed delay.
wait_for() {
    i=0
    while [ "$i" -lt 1000 ]; do
        for p in $1; do
            [ -e "$p" ] && return 0
        done
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.02
        i=$((i + 1))
    done
    return 1
}

# interrupt SIG GLOB CMD...: runs CMD, sends SIG once GLOB appears; the status is CMD's.
interrupt() {
    sig=$1
    glob=$2
    shift 2
    # A shell starts a background job with SIGINT ignored; heatbench gets it as Ctrl-C gives it.
    python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@" >/dev/null 2>"$TMP/err" &
    pid=$!
    wait_for "$glob" "$pid" || bad "$*: $glob never appeared"
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid"
}

leftovers() { ls -d "$TMP"/*.tmp.* 2>/dev/null; }

# run --report, Ctrl-C while the report is staged
interrupt INT "$TMP/rep.tmp.*" "$HB" run --hours 12 --report "$TMP/rep"
st=$?
[ "$st" -eq 130 ] && ok || bad "run --report, SIGINT: status $st (want 130): $(cat "$TMP/err")"
[ -z "$(leftovers)" ] && ok || bad "run --report, SIGINT: left $(leftovers)"
[ ! -e "$TMP/rep" ] && ok || bad "run --report, SIGINT: the report directory was created"

# SIGTERM into a previous report: it stays as it was
"$HB" run --hours 6 --report "$TMP/old" >/dev/null 2>&1 || bad "first report"
before=$(cd "$TMP/old" && cat ./* | cksum)
interrupt TERM "$TMP/old.tmp.*" "$HB" run --hours 12 --controller bangbang --report "$TMP/old"
st=$?
[ "$st" -eq 143 ] && ok || bad "run --report over a report, SIGTERM: status $st (want 143)"
[ -z "$(leftovers)" ] && ok || bad "run --report over a report, SIGTERM: left $(leftovers)"
[ "$(cd "$TMP/old" && cat ./* | cksum)" = "$before" ] && ok || bad "the previous report changed"

# Ctrl-C while the trace is simulated: neither the trace's temporary nor a report directory
interrupt INT "$TMP/t.csv.tmp.*" "$HB" run --hours 87600 -o "$TMP/t.csv" --report "$TMP/rep2"
st=$?
[ "$st" -eq 130 ] && ok || bad "run -o, SIGINT: status $st (want 130)"
[ -z "$(leftovers)" ] && ok || bad "run -o, SIGINT: left $(leftovers)"
[ ! -e "$TMP/t.csv" ] && [ ! -e "$TMP/rep2" ] && ok || bad "run -o, SIGINT: a target was written"

# tune --report, Ctrl-C once its report is staged
interrupt INT "$TMP/tr.tmp.*" "$HB" tune --evals 20 --seeds 1 --threads 2 --report "$TMP/tr"
st=$?
[ "$st" -eq 130 ] && ok || bad "tune --report, SIGINT: status $st (want 130): $(cat "$TMP/err")"
[ -z "$(leftovers)" ] && ok || bad "tune --report, SIGINT: left $(leftovers)"
[ ! -e "$TMP/tr" ] && ok || bad "tune --report, SIGINT: the report directory was created"

finish interrupt
