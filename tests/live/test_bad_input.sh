#!/usr/bin/env bash
# Every class of bad input is dropped and counted; the daemon survives and still answers the
# next valid reading. Also: what real sensors send is accepted, and legacy single-room topics.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
start_control --log-interval 0.5 || exit 1

T=/readings/room-b/temperature
pub $T '{"sensorID":"s1","value":'                                   # malformed JSON
pub $T '[1,2,3]'                                                     # not an object
pub $T '{"value":21}'                                                # no sensorID
pub $T '{"sensorID":"s1"}'                                           # no value
pub $T '{"sensorID":"s1","value":true}'                              # wrong type
pub $T '{"sensorID":"s1","value":"hot"}'                             # not numeric
pub $T '{"sensorID":"s1","value":"NaN"}'                             # NaN
pub $T '{"sensorID":"s1","value":1e999}'                             # Infinity
pub $T '{"sensorID":"s1","value":200}'                               # implausible
pub $T '{"sensorID":"s1","type":"humidity","value":40}'              # not a temperature
pub $T "{\"sensorID\":\"s1\",\"value\":21,\"pad\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}" # oversize
head -c 200 /dev/urandom >"$DIR/garbage.bin"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u simulator -P simulator-secret -q 1 -t $T -f "$DIR/garbage.bin"
pub "/readings/bad room!/temperature" '{"sensorID":"s1","value":21}' # not a plain room name
pub "/readings/x/y/temperature" '{"sensorID":"s1","value":21}'       # does not match at all
# every one handled: the counters the check below reads, waited for
s=$(stats_until "$CONTROL_PID" '(all(d["dropped"][k] >= 1 for k in ("json", "not-object", "no-sensor",
    "no-value", "bad-value", "non-finite", "implausible", "wrong-type", "oversize", "bad-topic"))
    and d["dropped"]["bad-value"] >= 2 and d["dropped"]["json"] + d["dropped"]["binary"] >= 2)')
check "daemon alive after bad input" kill -0 "$CONTROL_PID"
echo "$s"
check "every bad payload counted by reason" python3 -c '
import json, sys
d = json.loads(sys.argv[1])["dropped"]
for k in ("json", "not-object", "no-sensor", "no-value", "bad-value", "non-finite",
          "implausible", "wrong-type", "oversize"):
    assert d[k] >= 1, (k, d)
assert d["bad-value"] >= 2 and d["json"] + d["binary"] >= 2, d
assert d["bad-topic"] >= 1, d' "$s"
check "rate-limited log lines name the reason and the value" grep -q "dropped .* (implausible: value outside -40..80 degC), latest '.*' on topic" "$DIR/control.log"
check "next valid reading still answered" command_for room-b

# What real sensors send: pretty-printed, integer, numeric string, odd ids.
pub /readings/room-c/temperature $'{\n  "sensorID": "A4:C1:38:0F:7E:11",\n  "type": "temperature",\n  "value": 21\n}'
pub /readings/room-c/temperature '{"sensorID":42,"value":"20.7"}'
s=$(stats_until "$CONTROL_PID" 'd["readings"] >= 3')
check "real-world payloads accepted" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["readings"] >= 3, d' "$s"
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"

# Legacy deployment: /readings/temperature -> /actuators/room-1, no leading-slash variant too.
start_control --readings-topic readings/temperature --actuator-topic actuators/room-1 \
    --client-id legacy || exit 1
sub_bg "$DIR/legacy.out" admin -t actuators/room-1 -C 1 -W 30
sub=$SUB_PID
pub readings/temperature '{"sensorID":"sensor-1","type":"temperature","value":19}'
wait $sub
check "legacy topics served" grep -Eq '^\{"level":[0-9]+\}$' "$DIR/legacy.out"
finish
