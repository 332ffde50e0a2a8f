#!/bin/bash
# Home Assistant played by a third-party client, MQTT.js (tests/live/ha/play_ha.js), as the hub
# account against the shipped ACL and a real mosquitto: birth message accepted, discovery
# announced again, setpoint, preset and mode act. Needs node and `npm install --prefix
# tests/live/ha` (.ci/run does it); skipped (77) without them.
. "$(dirname "$0")/lib.sh" "$1" "$2"
HA=$SRC/tests/live/ha
if ! command -v node >/dev/null || [ ! -d "$HA/node_modules/mqtt" ]; then
    echo "SKIP: node or MQTT.js missing (npm install --prefix tests/live/ha)"
    exit 77
fi
start_broker || exit 1
# At 60x a controller minute (the minimum command interval, over which household wishes are
# coalesced) is a wall second, so the three wishes below act within the client's 8 s.
start_control --speed 60 -v || exit 1
for s in s1 s2 s3; do
    pub /readings/room-1/temperature "{\"sensorID\":\"$s\",\"value\":20.5}" room-1
done
# the first announcement (retained) before HA arrives
check "room-1 announced" test -n "$(sub_one homeassistant/climate/heatbench_room-1/config 30 hub)"
node "$HA/play_ha.js" "$PORT" hub-secret room-1 >"$DIR/ha.log" 2>&1 && ok ||
    bad "MQTT.js as Home Assistant: $(cat "$DIR/ha.log")"
grep -q "birth message accepted" "$DIR/ha.log" && ok || bad "the hub's birth message"
# the ACL in force: the hub still may not command a valve
# (a marker after it on the same subscription: the forged command would have come by then; it
# carries a field the daemon never sends)
sub_bg "$DIR/forged.out" admin -t /actuators/room-1 -t livetest/acl -F '%t %p'
sub=$SUB_PID
pub /actuators/room-1 '{"level":77,"by":"hub"}' hub 2>/dev/null
pub livetest/acl marker admin
wait_log "$DIR/forged.out" "^livetest/acl marker" 60 || bad "the marker never came"
kill $sub
grep -q '"by":"hub"' "$DIR/forged.out" && bad "the hub commanded a valve" || ok
finish
