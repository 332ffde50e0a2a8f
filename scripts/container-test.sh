#!/usr/bin/env bash
# Builds the container images and runs the docker-compose topology for real, with Debian's podman
# (no Docker engine needed): the broker with passwords and ACLs, the controller daemon and the
# simulated room for a short accelerated day; checks that the loop closes (commands flowing, the
# room in its comfort band). Needs root (apt-get, podman).
#
# No image is pulled from a public registry: debian:12-slim is made with debootstrap from the
# machine's own apt source (the tarball is kept in build-containers/ for the next run), and the
# broker image of the compose file, eclipse-mosquitto:2, is stood in for by one built from
# Debian's mosquitto package. `docker compose up --build` uses the same Dockerfile and compose
# file with the official images.
# usage: scripts/container-test.sh [SPEED [HOURS]]     (default 3600 and 3: 3 s of wall time)
set -euo pipefail
cd "$(dirname "$0")/.."
speed=${1:-3600}
hours=${2:-3}
work=$PWD/build-containers
mkdir -p "$work"
need=()
for p in podman runc debootstrap podman-compose golang-github-containernetworking-plugin-dnsname \
    lintian; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Containers start here only without the default ulimits; runc copes with hybrid cgroups, where
# crun refuses to start.
cat >"$work/containers.conf" <<'CONF'
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$work/containers.conf

if ! podman image exists docker.io/library/debian:12-slim; then
    if [ ! -s "$work/debian-12-minbase.tar" ]; then
        echo "== debian:12-slim from debootstrap --variant=minbase bookworm"
        rm -rf "$work/rootfs"
        mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
        debootstrap --variant=minbase bookworm "$work/rootfs" "${mirror:-http://deb.debian.org/debian}" \
            >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
        rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
        tar -C "$work/rootfs" -cf "$work/debian-12-minbase.tar" .
        rm -rf "$work/rootfs"
    fi
    podman import --change 'CMD ["/bin/bash"]' "$work/debian-12-minbase.tar" \
        docker.io/library/debian:12-slim >/dev/null
fi

echo "== podman build: heatbench:latest (deploy/Dockerfile)"
podman build -q -t heatbench:latest -f deploy/Dockerfile . >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; exit 1; }
echo "== podman build: eclipse-mosquitto:2 stand-in (deploy/ci/mosquitto.Dockerfile)"
podman build -q -t docker.io/library/eclipse-mosquitto:2 -f deploy/ci/mosquitto.Dockerfile deploy/ci \
    >"$work/broker.log" 2>&1 || { tail -30 "$work/broker.log"; exit 1; }

echo "== the image on its own: heatbench run, a report"
podman run --rm heatbench:latest run --hours 2 --json | grep -q '"discomfort_kh":0' ||
    { echo "heatbench run in the image failed"; exit 1; }
podman run --rm heatbench:latest run --hours 2 --report /out/r >/dev/null 2>"$work/report.err" ||
    { cat "$work/report.err"; exit 1; }

echo "== the .deb (cpack): lintian, then on a fresh Debian 12 with mosquitto: it controls a room"
cmake -S . -B "$work/deb" -DCMAKE_BUILD_TYPE=Release -DHEATBENCH_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$work/deb" -j"$(nproc)" --target heatbench man >/dev/null
(cd "$work/deb" && rm -f heatbench_*.deb && cpack -G DEB >/dev/null)
# lintian refuses to be quiet as root ("running with root privileges is not recommended"):
# it reads a copy as nobody, and any line it prints (error, warning) fails the check.
lintdir=$(mktemp -d)
cp "$work/deb"/heatbench_*.deb "$lintdir/" && chmod -R a+rX "$lintdir"
lint=$(runuser -u nobody -- lintian "$lintdir"/heatbench_*.deb 2>&1) || true
rm -rf "$lintdir"
[ -z "$lint" ] || { echo "$lint"; echo "lintian is not silent on the .deb"; exit 1; }
# No systemd runs as PID 1 in the container: deploy/ci/run-unit.sh starts the installed unit's
# ExecStart= with the unit's own environment file, credentials folder and state directory,
# exactly as the package left them, as nobody. The postinst has enabled the unit
# (multi-user.target.wants); systemd itself is tested by `systemd-analyze verify` (tests/cli).
podman run --rm -v "$work/deb:/pkg:ro" -v "$PWD/deploy/ci:/ci:ro" docker.io/library/debian:12-slim bash -c '
    set -e
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
    # Debian mosquitto as shipped: localhost only, anonymous clients (started by hand: no systemd)
    if ! mosquitto_pub -t x -m x 2>/dev/null; then
        mkdir -p /run/mosquitto && chown mosquitto /run/mosquitto
        mosquitto -c /etc/mosquitto/mosquitto.conf -d
    fi
    apt-get install -y -qq /pkg/heatbench_*.deb >/dev/null
    test -L /etc/systemd/system/multi-user.target.wants/heatbench-control.service
    /ci/run-unit.sh /lib/systemd/system/heatbench-control.service / >/tmp/service.log 2>&1 &
    svc=$!
    mosquitto_sub -t /actuators/room-1 -C 1 -W 10 >/tmp/cmd.out &
    sub=$!
    timeout 15 heatbench live --speed 360 --hours 1 >/tmp/live.out 2>&1 || true
    wait $sub || true
    grep -Eq "^\{\"level\":[0-9]+\}$" /tmp/cmd.out ||
        { cat /tmp/service.log /tmp/live.out; echo "no command on /actuators/room-1 within 10 s"; exit 1; }
    echo "deb: installed, the service commanded room-1: $(cat /tmp/cmd.out)"
    heatbench run --hours 2 | grep -q "^discomfort"
    heatbench run cold-snap --hours 2 --report /tmp/r >/dev/null
    test -s /tmp/r/index.html
    test -f /usr/share/man/man1/heatbench.1.gz && test -f /usr/share/man/man5/heatbench-config.5.gz
    zcat /usr/share/man/man1/heatbench.1.gz | grep -q "^\.I /etc/heatbench/home.json"
    heatbench control --check --config /etc/heatbench/home.json >/dev/null
    kill -TERM $svc 2>/dev/null || true
    wait $svc 2>/dev/null || true
    apt-get purge -y -qq heatbench >/dev/null
    test ! -e /etc/default/heatbench-control && test ! -e /etc/heatbench &&
        test ! -e /etc/systemd/system/multi-user.target.wants/heatbench-control.service ||
        { echo "apt-get purge left files behind"; ls -la /etc/heatbench; exit 1; }
    echo "deb: purged, no conffile left"' || { echo "the .deb does not install, run or purge"; exit 1; }

echo "== docker-compose.yml under podman-compose: ${hours} h at ${speed}x"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
project=heatbench-ci-$$
cleanup() { podman-compose -p "$project" -f docker-compose.yml down -v >/dev/null 2>&1 || true; }
trap cleanup EXIT
MQTT_PORT=$port SPEED=$speed HOURS=$hours timeout 600 \
    podman-compose -p "$project" -f docker-compose.yml up --abort-on-container-exit \
    >"$work/compose.log" 2>&1 || true
grep -q "heatbench control: connected to mosquitto:1883" "$work/compose.log" ||
    { tail -40 "$work/compose.log"; echo "the controller never connected"; exit 1; }
kpis=$(grep '^{"scenario"' "$work/compose.log" | tail -1)
echo "$kpis"
python3 - "$kpis" "$hours" <<'PY' || { tail -40 "$work/compose.log"; exit 1; }
import json, sys
k = json.loads(sys.argv[1])
hours = float(sys.argv[2])
assert abs(k["hours"] - hours) < 1e-6, ("the room ran", k["hours"], "h")
assert k["actuator_msgs"] >= 3, ("commands flowing", k["actuator_msgs"])
assert k["readings_published"] > 1000, ("readings flowing", k["readings_published"])
assert k["discomfort_kh"] == 0, ("room in band after warm-up", k["discomfort_kh"])
print("containers: the loop closes (%d commands, discomfort %.3f K·h)" % (k["actuator_msgs"], k["discomfort_kh"]))
PY

echo "== the compose file's own header: run --rm room cat /out/kpis.json"
# stdin from /dev/null: a command form that lost the file name would read it and print nothing
# instead of hanging; a timeout for anything else.
back=$(MQTT_PORT=$port timeout 300 podman-compose -p "$project" -f docker-compose.yml \
    run --rm room cat /out/kpis.json </dev/null 2>"$work/compose-run.log" | grep '^{"scenario"' | tail -1) || true
[ -n "$back" ] && [ "$(echo "$back" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hours"])')" = \
    "$(echo "$kpis" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hours"])')" ] ||
    { tail -20 "$work/compose-run.log"; echo "run --rm room cat /out/kpis.json: [$back]"; exit 1; }
echo "compose: the KPIs read back from the out volume"
