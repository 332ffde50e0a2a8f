#!/bin/sh
# Entry point of the broker container: writes the password file from the environment (never
# committed), then runs mosquitto. Development defaults are for local use only.
set -eu
PASSWD=/tmp/heatbench-passwd
: >"$PASSWD"
mosquitto_passwd -b "$PASSWD" controller "${CONTROLLER_PASSWORD:-controller-dev}"
mosquitto_passwd -b "$PASSWD" room "${ROOM_PASSWORD:-room-dev}"
mosquitto_passwd -b "$PASSWD" admin "${ADMIN_PASSWORD:-admin-dev}"
chmod 0700 "$PASSWD"
exec mosquitto -c /mosquitto/config/mosquitto.conf
