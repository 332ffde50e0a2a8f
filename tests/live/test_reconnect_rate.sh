#!/usr/bin/env bash
# With the broker gone, each program that talks to it (control, live, record, tune --live) makes
# at most two connection attempts a second: a counting listener takes the broker's port, accepts
# every connection and closes it at once (a broker that dies on every attempt, the worst case for
# a reconnect loop), and logs when each attempt came. Once from the start (the first-connection
# loops), and for tune --live and record also after a real broker went away mid-run (their main
# loops; tune --live used to spin there at thousands of connect() a second).
source "$(dirname "$0")/lib.sh" "$1" "$2"
WINDOW=4 # s of attempts counted per program

# listen FILE: a listener on $PORT that appends the wall time of every accepted connection to FILE.
listen() {
    python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
print("listening", flush=True)
with open(sys.argv[2], "a") as f:
    while True:
        c, _ = s.accept()
        f.write("%.6f\n" % time.time())
        f.flush()
        c.close()' "$PORT" "$1" >"$DIR/listener.log" 2>&1 &
    LISTENER_PID=$!
    PIDS+=("$LISTENER_PID")
    wait_log "$DIR/listener.log" listening && return 0
    echo "the listener did not start"
    return 1
}

# rate NAME PID: waits for PID's first attempt, counts attempts for $WINDOW s (measured), stops PID
# and checks at most 2 attempts a second over the measured span (plus the first).
rate() {
    local name=$1 pid=$2 f=$DIR/$1.attempts
    attempted_or_gone() { [ -s "$f" ] || ! kill -0 "$pid" 2>/dev/null; }
    wait_for 60 attempted_or_gone
    check "$name: made a first attempt" test -s "$f"
    sleep "$WINDOW" # the window over which attempts are counted (a measurement, not a wait)
    local until
    until=$(date +%s.%N)
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    check "$name: at most 2 attempts a second" python3 -c '
import sys
t = [float(l) for l in open(sys.argv[1])]
span = float(sys.argv[2]) - t[0]
n = sum(1 for x in t if x <= float(sys.argv[2]))
print("%s: %d attempts in %.2f s" % (sys.argv[3], n, span))
assert n <= 1 + 2 * span, (n, span)' "$f" "$until" "$name"
}

# From the start: nothing but the counting listener on the port.
listen "$DIR/start.attempts" || exit 1
run_from_start() { # NAME COMMAND...: the program against the listener, attempts in NAME.attempts
    local name=$1
    shift
    kill -9 "$LISTENER_PID" 2>/dev/null
    wait "$LISTENER_PID" 2>/dev/null
    listen "$DIR/$name.attempts" || exit 1
    "$@" --host 127.0.0.1 --port "$PORT" >"$DIR/$name.log" 2>&1 &
    rate "$name" $!
}
run_from_start control "$HB" control --username controller --password-file "$DIR/controller.pw"
run_from_start live "$HB" live --username simulator --password-file "$DIR/simulator.pw" \
    --connect-timeout 60
run_from_start record "$HB" record --username recorder --password-file "$DIR/recorder.pw" \
    -o "$DIR/rec.csv" --connect-timeout 60
run_from_start tune "$HB" tune --live --username controller --password-file "$DIR/controller.pw"
kill -9 "$LISTENER_PID" 2>/dev/null
wait "$LISTENER_PID" 2>/dev/null

# After a loss: a real broker first, the program connected to it, then the broker killed and
# the counting listener in its place.
after_loss() { # NAME USER COMMAND...
    local name=$1 user=$2
    shift 2
    start_broker || exit 1
    local before
    before=$(clients_of "$user") # the broker's log is appended to: its clients of the user so far
    "$@" --host 127.0.0.1 --port "$PORT" >"$DIR/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    # connected and subscribed: the broker logs its client and subscription
    wait_subscribed "$user" "$before" || echo "($name: no subscription seen)"
    # past the program's own half-second wait for retained messages (timed by its monotonic
    # clock from the subscription, so a wall second after it is past it), into the main loop
    sleep 1
    stop_broker
    listen "$DIR/$name.attempts" || exit 1
    rate "$name" "$pid"
    kill -9 "$LISTENER_PID" 2>/dev/null
    wait "$LISTENER_PID" 2>/dev/null
}
after_loss tune-after-loss controller "$HB" tune --live --username controller \
    --password-file "$DIR/controller.pw"
after_loss record-after-loss recorder "$HB" record --username recorder \
    --password-file "$DIR/recorder.pw" -o "$DIR/rec2.csv"
finish
