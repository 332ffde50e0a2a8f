# Shared helpers of the live-mode integration tests: a real mosquitto on a free loopback port
# with a password file and the project's ACL, started and stopped by each test.
# Usage: source lib.sh HEATBENCH SOURCE_DIR
set -u
# Under ASan, freed memory sits in a 256 MiB quarantine and looks like growth: keep it small so
# the memory bound of test_caps measures the daemon, not the sanitizer.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=4}
HB=$1
SRC=$2
DIR=$(mktemp -d)
chmod 0755 "$DIR" # mosquitto started as root reads its files as its own user
PIDS=()
pass=0
fail=0

cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [ -n "${BROKER_PID:-}" ] && kill -9 "$BROKER_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "$fail" -ne 0 ]; then
        for f in "$DIR"/*.log; do echo "--- $f"; tail -20 "$f"; done
    fi
    # KEEP_DIR=PATH keeps a copy of the logs (broker, daemon, valgrind) for a look afterwards
    [ -n "${KEEP_DIR:-}" ] && cp -r "$DIR" "$KEEP_DIR"
    rm -rf "$DIR"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok; else bad "$what"; fi
}
finish() {
    echo "$(basename "$0" .sh): $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; false on timeout.
# The timeout only guards against a hang: tests wait on events (a log line, a message), so
# SECONDS is generous and a loaded machine only makes the wait longer, never the test fail.
wait_for() {
    local end=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -ge "$end" ] && return 1
        sleep 0.1
    done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PORT=$(free_port)
: >"$DIR/passwd"
for u in controller simulator admin hub recorder room-1 room-2; do mosquitto_passwd -b "$DIR/passwd" "$u" "$u-secret"; done
chmod 0644 "$DIR/passwd"
cp "$SRC/deploy/mosquitto/acl" "$DIR/acl"
chmod 0644 "$DIR/acl"
for u in controller simulator admin hub recorder room-1 room-2; do printf '%s-secret\n' "$u" >"$DIR/$u.pw"; done
# The pair's shared key (--pair-key-file): private to its user, as the daemon requires.
(umask 077 && printf 'live-test-pair-key-%s%s\n' "$RANDOM" "$RANDOM" >"$DIR/pair.key")

# start_broker [EXTRA_CONFIG_LINES]: (re)starts mosquitto on $PORT and waits until it answers.
start_broker() {
    {
        echo "per_listener_settings false"
        echo "listener $PORT 127.0.0.1"
        echo "allow_anonymous false"
        echo "password_file $DIR/passwd"
        echo "acl_file $DIR/acl"
        echo "persistence false"
        printf '%s\n' "${1:-}"
    } >"$DIR/mosquitto.conf"
    mosquitto -c "$DIR/mosquitto.conf" >>"$DIR/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 100); do
        mosquitto_pub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t heatbench/ping -m x \
            2>/dev/null && return 0
        sleep 0.05
    done
    echo "broker did not start"
    cat "$DIR/mosquitto.log"
    return 1
}

stop_broker() {
    kill -9 "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    BROKER_PID=
}

# start_control [ARGS...]: runs the daemon as user controller; its pid in CONTROL_PID.
start_control() {
    "$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
        --password-file "$DIR/controller.pw" "$@" >>"$DIR/control.log" 2>&1 &
    CONTROL_PID=$!
    PIDS+=("$CONTROL_PID")
    # ready when its retained status says online
    for _ in $(seq 100); do
        [ "$(sub_one heatbench/control/status 1)" = online ] && return 0
        sleep 0.05
    done
    echo "control did not come online"
    return 1
}

# pub TOPIC PAYLOAD [USER]: one message (QoS 1 so it is delivered before mosquitto_pub exits)
pub() {
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u "${3:-simulator}" -P "${3:-simulator}-secret" -q 1 -t "$1" \
        -m "$2"
}

# sub_one TOPIC SECONDS [USER]: prints the first message on TOPIC within SECONDS (or nothing)
sub_one() {
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -u "${3:-admin}" -P "${3:-admin}-secret" -t "$1" \
        -C 1 -W "$2" 2>/dev/null
}

# command_for ROOM: publishes a valid reading for ROOM and waits up to 5 s for its command.
command_for() {
    local room=$1 out
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t "/actuators/$room" -C 1 \
        -W 5 >"$DIR/cmd.out" 2>/dev/null &
    local sub=$!
    sleep 0.3
    pub "/readings/$room/temperature" '{"sensorID":"sensor-1","type":"temperature","value":20.5}'
    wait "$sub"
    out=$(cat "$DIR/cmd.out")
    echo "$out"
    echo "$out" | grep -Eq '^\{"level":[0-9]+\}$'
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# stats PID: asks the daemon for its counters (SIGUSR1) and prints the JSON line.
stats() {
    local before
    before=$(grep -c '"messages"' "$DIR/control.log")
    kill -USR1 "$1"
    for _ in $(seq 50); do
        [ "$(grep -c '"messages"' "$DIR/control.log")" -gt "$before" ] && break
        sleep 0.05
    done
    grep '"messages"' "$DIR/control.log" | tail -1
}
