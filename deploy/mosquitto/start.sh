#!/bin/sh
# Entry point of the broker container (and of scripts/run-system.sh): writes the password file
# from the environment (passwords are never committed), then runs mosquitto. The development
# defaults are for local use only.
set -eu
PASSWD_FILE=${PASSWD_FILE:-/tmp/heatbench-passwd}
MOSQUITTO_CONF=${MOSQUITTO_CONF:-/mosquitto/config/mosquitto.conf}
: >"$PASSWD_FILE"
mosquitto_passwd -b "$PASSWD_FILE" controller "${CONTROLLER_PASSWORD:-controller-dev}"
mosquitto_passwd -b "$PASSWD_FILE" room-1 "${ROOM_PASSWORD:-room-dev}"
mosquitto_passwd -b "$PASSWD_FILE" admin "${ADMIN_PASSWORD:-admin-dev}"
mosquitto_passwd -b "$PASSWD_FILE" hub "${HUB_PASSWORD:-hub-dev}"
# mosquitto started as root reads its files after dropping to its own user.
if [ "$(id -u)" = 0 ] && id mosquitto >/dev/null 2>&1; then
    chown mosquitto "$PASSWD_FILE"
fi
chmod 0600 "$PASSWD_FILE"
exec mosquitto -c "$MOSQUITTO_CONF"
