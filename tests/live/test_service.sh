#!/bin/bash
# The installed heatbench-control service as systemd would start it (deploy/ci/run-unit.sh runs
# the unit's ExecStart with its environment, credentials and state directory): with the shipped
# settings against an anonymous broker it reports READY=1 and commands a room with no further
# step (no pair key either: both credentials are optional); with a username in the settings file
# and the password and the pair key in the credentials folder it logs in to a broker with
# accounts and signs with the key; a bad setting exits 2 (the unit does not restart on it).
# usage: test_service.sh HEATBENCH SOURCE_DIR BUILD_DIR
. "$(dirname "$0")/lib.sh" "$1" "$2"
BUILD=$3
P=$DIR/prefix
cmake --install "$BUILD" --prefix "$P" >"$DIR/install.log" 2>&1 || { bad "install"; finish; exit 1; }
UNIT=$P/lib/systemd/system/heatbench-control.service
DEFAULTS=$P/etc/default/heatbench-control
chmod -R a+rX "$DIR"

# A service manager's notification socket: READY=1 lands in $DIR/notify.log.
NOTIFY=$DIR/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
import os; os.chmod(sys.argv[1], 0o777)
while True:
    d = s.recv(4096).decode()
    with open(sys.argv[2], "a") as f:
        f.write(d.replace("\n", " ") + "\n")
' "$NOTIFY" "$DIR/notify.log" &
PIDS+=($!)
wait_for 30 test -S "$NOTIFY" || bad "the notification socket"

# 1. As installed, against an anonymous broker on localhost (Debian's mosquitto as shipped).
APORT=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$APORT" >"$DIR/anon.conf"
printf 'log_type %s\n' error warning notice information subscribe >>"$DIR/anon.conf"
mosquitto -c "$DIR/anon.conf" >"$DIR/anon-broker.log" 2>&1 &
PIDS+=($!)
wait_for 30 mosquitto_pub -p "$APORT" -t x -m x 2>/dev/null || bad "the anonymous broker did not start"
echo "HEATBENCH_MQTT_PORT=$APORT" >>"$DEFAULTS"
NOTIFY_SOCKET=$NOTIFY "$SRC/deploy/ci/run-unit.sh" "$UNIT" "$DIR/root" >"$DIR/service.log" 2>&1 &
SVC=$!
PIDS+=($SVC)
check "READY=1 once connected (as installed, anonymous broker)" wait_log "$DIR/notify.log" "READY=1" 60
# subscribed when the broker logs it
mosquitto_sub -p "$APORT" -i livetest-svc -t /actuators/room-1 -C 1 -W 30 >"$DIR/cmd.out" 2>/dev/null &
sub=$!
wait_log "$DIR/anon-broker.log" "livetest-svc 0 /actuators/room-1" || bad "the subscriber"
mosquitto_pub -p "$APORT" -q 1 -t /readings/room-1/temperature \
    -m '{"sensorID":"sensor-1","type":"temperature","value":20.5}'
wait $sub
check "a room commanded with the shipped settings: $(cat "$DIR/cmd.out")" \
    grep -Eq '^\{"level":[0-9]+\}$' "$DIR/cmd.out"
kill -TERM $SVC
wait $SVC 2>/dev/null
check "the state kept in the state directory" test -s "$DIR/root/var/lib/heatbench/state.json"
check "no pair key installed: started unsigned, said so" grep -q "no --pair-key-file" "$DIR/service.log"

# 2. A broker with accounts: username in the settings, password in the credentials folder.
start_broker || { finish; exit 1; }
sed -i "s/^HEATBENCH_MQTT_PORT=.*/HEATBENCH_MQTT_PORT=$PORT/" "$DEFAULTS"
echo "HEATBENCH_MQTT_USERNAME=controller" >>"$DEFAULTS"
install -m 0600 "$DIR/controller.pw" "$P/etc/heatbench/credentials/mqtt-password"
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$P/etc/heatbench/credentials/pair-key")
: >"$DIR/notify.log"
NOTIFY_SOCKET=$NOTIFY "$SRC/deploy/ci/run-unit.sh" "$UNIT" "$DIR/root" >"$DIR/service2.log" 2>&1 &
SVC=$!
PIDS+=($SVC)
check "READY=1 with the password from the credentials folder" wait_log "$DIR/notify.log" "READY=1" 60
command_for room-1 >/dev/null && ok || bad "a room commanded as user controller"
kill -TERM $SVC
wait $SVC 2>/dev/null
grep -q "no --pair-key-file" "$DIR/service2.log" && bad "the pair key in the credentials folder not used" || ok

# 3. A password without a username is a bad setting: exit 2, which the unit does not restart.
rm "$P/etc/heatbench/credentials/mqtt-password" "$P/etc/heatbench/credentials/pair-key"
sed -i '/^HEATBENCH_MQTT_USERNAME=/d' "$DEFAULTS"
echo "HEATBENCH_MQTT_PASSWORD=x" >>"$DEFAULTS"
timeout 20 "$SRC/deploy/ci/run-unit.sh" "$UNIT" "$DIR/root" >"$DIR/service3.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "needs a username" "$DIR/service3.log" && ok ||
    bad "a password without a username: exit $rc, $(cat "$DIR/service3.log")"
grep -q "^RestartPreventExitStatus=2" "$UNIT" && ok || bad "the unit restarts on a bad setting"
finish
