#!/usr/bin/env bash
# The docker-compose topology without Docker: mosquitto (password file + ACL), the controller
# daemon and the simulated room, all on loopback. Prints the room's KPIs at the end.
#
# usage: scripts/run-system.sh [--speed X] [--hours H] [--port P] [--json] [-o trace.csv]
#                              [SCENARIO]
# Environment: HEATBENCH (binary, default build/heatbench), KEEP_LOGS=1 to keep the log dir.
set -euo pipefail
cd "$(dirname "$0")/.."
HB=${HEATBENCH:-build/heatbench}
speed=360 hours=24 port="" extra=()
while [ $# -gt 0 ]; do
    case "$1" in
    --speed) speed=$2; shift 2 ;;
    --hours) hours=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --json) extra+=(--json); shift ;;
    -o) extra+=(-o "$2"); shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) extra+=("$1"); shift ;;
    esac
done
[ -x "$HB" ] || { echo "run-system: $HB not built (scripts/build.sh)" >&2; exit 2; }
command -v mosquitto >/dev/null || { echo "run-system: mosquitto not installed (scripts/deps.sh)" >&2; exit 2; }
if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
dir=$(mktemp -d)
# mosquitto started as root drops to its own user: it must be able to read the files in here.
chmod 0755 "$dir"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "run-system: logs in $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT

# Broker: the containers' own configuration, ACL and start script, with loopback paths.
cp deploy/mosquitto/acl "$dir/acl"
chmod 0644 "$dir/acl"
sed -e "s|^listener 1883\$|listener $port 127.0.0.1|" -e "s|/mosquitto/config/acl|$dir/acl|" \
    -e "s|/tmp/heatbench-passwd|$dir/passwd|" deploy/mosquitto/mosquitto.conf >"$dir/mosquitto.conf"
PASSWD_FILE="$dir/passwd" MOSQUITTO_CONF="$dir/mosquitto.conf" \
    CONTROLLER_PASSWORD="controller-pw-$$" ROOM_PASSWORD="room-pw-$$" ADMIN_PASSWORD="admin-pw-$$" \
    deploy/mosquitto/start.sh >"$dir/mosquitto.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    mosquitto_pub -h 127.0.0.1 -p "$port" -u admin -P "admin-pw-$$" -t heatbench/ping -m x 2>/dev/null && break
    sleep 0.1
done

printf '%s\n' "controller-pw-$$" >"$dir/controller.pw"
"$HB" control --host 127.0.0.1 --port "$port" --username controller \
    --password-file "$dir/controller.pw" --speed "$speed" >"$dir/control.log" 2>&1 &
pids+=($!)

printf '%s\n' "room-pw-$$" >"$dir/room.pw"
"$HB" live --host 127.0.0.1 --port "$port" --username room-1 --password-file "$dir/room.pw" \
    --speed "$speed" --hours "$hours" "${extra[@]}"
