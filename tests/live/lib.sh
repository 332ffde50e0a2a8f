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
# It logs every subscription ("ID QOS TOPIC"): sub_bg and start_control wait on those lines, the
# broker's own word that a subscription is in place, instead of a pause that a loaded machine
# can outlast.
start_broker() {
    {
        echo "per_listener_settings false"
        echo "listener $PORT 127.0.0.1"
        echo "allow_anonymous false"
        echo "password_file $DIR/passwd"
        echo "acl_file $DIR/acl"
        echo "persistence false"
        for t in error warning notice information subscribe; do echo "log_type $t"; done
        printf '%s\n' "${1:-}"
    } >"$DIR/mosquitto.conf"
    mosquitto -c "$DIR/mosquitto.conf" >>"$DIR/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    broker_answers() {
        mosquitto_pub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t heatbench/ping -m x 2>/dev/null
    }
    wait_for 30 broker_answers && return 0
    echo "broker did not start"
    cat "$DIR/mosquitto.log"
    return 1
}

stop_broker() {
    kill -9 "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    BROKER_PID=
}

# start_control [ARGS...]: runs the daemon as user controller; its pid in CONTROL_PID. Ready when
# the broker has logged its subscriptions (readings, controller states, household commands: a
# reading published after this returns reaches it) and its retained status says online.
start_control() {
    local before
    before=$(clients_of controller)
    "$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
        --password-file "$DIR/controller.pw" "$@" >>"$DIR/control.log" 2>&1 &
    CONTROL_PID=$!
    PIDS+=("$CONTROL_PID")
    if wait_subscribed controller "$before" 3 &&
        wait_for 60 test_eq "sub_one heatbench/control/status 1" online; then
        return 0
    fi
    echo "control did not come online"
    return 1
}

# clients_of USER: how many connections of USER the broker has logged so far.
clients_of() { grep -c "u'$1')" "$DIR/mosquitto.log"; }
# client_id USER K: the client id of the K-th connection of USER in the broker's log.
client_id() {
    sed -n "s/.* as \(.*\) (p[0-9], c[0-9], k[0-9]*, u'$1').*/\1/p" "$DIR/mosquitto.log" | sed -n "$2p"
}
# wait_subscribed USER BEFORE [N]: waits for the connection of USER after the first BEFORE ones
# (clients_of) and for N (default 1) subscriptions of it in the broker's log.
wait_subscribed() {
    local id
    wait_for 60 test_gt "clients_of $1" "$2" || return 1
    id=$(client_id "$1" $(($2 + 1)))
    wait_for 60 test_gt "grep -c '^[0-9]*: $id [0-2] ' '$DIR/mosquitto.log'" $((${3:-1} - 1))
}
# read_all PID: every byte the broker has queued for PID's connection is sent and read by PID
# (no Send-Q on the broker's side, no Recv-Q on PID's).
read_all() {
    local line cport
    line=$(ss -Htnp "( dport = :$PORT )" | grep "pid=$1,") || return 1
    [ "$(echo "$line" | awk '{print $2}')" = 0 ] || return 1
    cport=$(echo "$line" | awk '{n = split($4, a, ":"); print a[n]}')
    [ "$(ss -Htn "( sport = :$PORT and dport = :$cport )" | awk '{print $3}')" = 0 ]
}

# test_gt COMMAND N / test_eq COMMAND VALUE: COMMAND's output (evaluated here, so functions
# work) above N / equal to VALUE; for wait_for.
test_gt() { [ "$(eval "$1")" -gt "$2" ] 2>/dev/null; }
test_eq() { [ "$(eval "$1")" = "$2" ]; }

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

# sub_bg OUT USER MOSQUITTO_SUB_ARGS...: a subscriber in the background writing to OUT, its pid
# in SUB_PID (and in PIDS); returns once the broker has logged each of its -t subscriptions, so
# a message published afterwards reaches it.
SUB_N=0
sub_bg() {
    local out=$1 user=$2 topics=0 a
    shift 2
    for a in "$@"; do [ "$a" = -t ] && topics=$((topics + 1)); done
    SUB_N=$((SUB_N + 1))
    local id="livetest-sub-$$-$SUB_N"
    mosquitto_sub -h 127.0.0.1 -p "$PORT" -u "$user" -P "$user-secret" -i "$id" "$@" >"$out" 2>/dev/null &
    SUB_PID=$!
    PIDS+=("$SUB_PID")
    wait_for 60 test_gt "grep -c '^[0-9]*: $id [0-2] ' '$DIR/mosquitto.log'" $((topics - 1)) ||
        { echo "subscriber $id did not subscribe"; return 1; }
}

# command_for ROOM: publishes a valid reading for ROOM and waits up to 30 s for its command.
command_for() {
    local room=$1 out
    sub_bg "$DIR/cmd.out" admin -t "/actuators/$room" -C 1 -W 30 || return 1
    local sub=$SUB_PID
    pub "/readings/$room/temperature" '{"sensorID":"sensor-1","type":"temperature","value":20.5}'
    wait "$sub"
    out=$(cat "$DIR/cmd.out")
    echo "$out"
    echo "$out" | grep -Eq '^\{"level":[0-9]+\}$'
}

# no_retained TOPIC: true when the broker holds no retained message on TOPIC. Read as admin (who
# reads everything) together with a retained marker subscribed after it: mosquitto sends the
# retained messages of one SUBSCRIBE in the order of its topics, so the first message is the
# marker exactly when TOPIC has none. No time window: a slow machine only makes it slower.
no_retained() {
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -q 1 -r -t livetest/marker -m m
    [ "$(mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t "$1" -t livetest/marker \
        -C 1 -F %t -W 60 2>/dev/null)" = livetest/marker ]
}

# clock_past FILE SECONDS: the latest tick of the room's clock (`live --clock-topic`, {"t": s},
# recorded in FILE by sub_bg) is at or past SECONDS of simulated time. Steps that need "a day
# of the room" wait on this, not on the wall seconds that day takes on an idle machine.
clock_past() {
    tail -1 "$1" 2>/dev/null | awk -v s="$2" -F'"t":' 'NF > 1 && $2 + 0 >= s { ok = 1 } END { exit !ok }'
}

# wait_log FILE PATTERN [SECONDS]: until FILE has a line matching PATTERN (grep -e).
wait_log() { wait_for "${3:-30}" grep -q -e "$2" "$1"; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# stats PID: asks the daemon for its counters (SIGUSR1) and prints the JSON line.
stats() {
    local before
    before=$(grep -c '"messages"' "$DIR/control.log")
    kill -USR1 "$1"
    wait_for 30 test_gt "grep -c '\"messages\"' '$DIR/control.log'" "$before"
    grep '"messages"' "$DIR/control.log" | tail -1
}

# stats_until PID CONDITION [SECONDS]: asks for the counters until they satisfy the Python
# CONDITION on the JSON (as d), then prints them; false on timeout (the last ones printed). The
# counters are the daemon's word that it has handled what was published.
stats_until() {
    local end=$(($(date +%s) + ${3:-30})) s
    while :; do
        s=$(stats "$1" | grep -o '{"messages".*')
        if python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
            "$s" "$2" 2>/dev/null; then
            echo "$s"
            return 0
        fi
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "$s"
            return 1
        fi
        sleep 0.2
    done
}
