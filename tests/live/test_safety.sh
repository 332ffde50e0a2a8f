#!/usr/bin/env bash
# The daemon's safety invariants against a real broker (issue "a room is never left cold"):
# retained readings, oversized payloads, a second instance, SIGHUP, per-room ACLs, a wrong first
# reading, and argument limits.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1 # no max_packet_size here: the daemon must protect itself

# --- retained readings are never fresh: a stale retained 30 °C does not create or drive a room
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u simulator -P simulator-secret -q 1 -r \
    -t /readings/room-old/temperature -m '{"sensorID":"s1","value":30}'
start_control --speed 60 || exit 1
s=$(stats_until "$CONTROL_PID" 'd["dropped"]["retained"] >= 1')
check "retained reading dropped as retained, no room made of it" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["dropped"]["retained"] == 1 and d["rooms"] == 0 and d["readings"] == 0, d' "$s"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -q 1 -r -n \
    -t /readings/room-old/temperature

# --- a wrong first reading: 25 °C, then a room reading exactly 22 °C for 30 controller-minutes
# (30 wall seconds at --speed 60): the level never rises more than 10 points above the start (20).
sub_bg "$DIR/first.cmds" admin -t /actuators/room-f -v
sub=$SUB_PID
pub /readings/room-f/temperature '{"sensorID":"sensor-1","value":25.0}'
# The sensors' pace: five readings a controller minute (a wall second at --speed 60). A slow
# machine stretches it, which only gives the controller more time per reading.
for _ in $(seq 30); do
    for i in 1 2 3 4 5; do
        printf '{"sensorID":"sensor-%d","type":"temperature","value":22.0}\n' "$i"
    done
    sleep 1
done | mosquitto_pub -h 127.0.0.1 -p "$PORT" -u simulator -P simulator-secret \
    -t /readings/room-f/temperature -l
# every reading handled (151 counted), then a marker after the last command on the subscription
stats_until "$CONTROL_PID" 'd["readings"] >= 151' 60 >/dev/null || bad "the 151 readings were not all handled"
pub /actuators/room-f marker admin
wait_log "$DIR/first.cmds" "^/actuators/room-f marker" 60 || bad "the marker never came"
kill "$sub" 2>/dev/null
wait "$sub" 2>/dev/null
levels=$(sed -n 's/.*"level":\([0-9]*\).*/\1/p' "$DIR/first.cmds" | tr '\n' ' ')
echo "levels after a first reading of 25 °C in a room at 22 °C: $levels"
check "first reading 25 °C: commands were sent" test -n "$levels"
check "first reading 25 °C: level never above start + 10" python3 -c '
import sys
levels = [int(x) for x in sys.argv[1].split()]
assert max(levels) <= 30, levels' "$levels"

# --- a 10 MiB reading never reaches the daemon's memory (MQTT 5 Maximum Packet Size)
rss0=$(rss_kib "$CONTROL_PID")
head -c 10485760 /dev/zero | tr '\0' ' ' >"$DIR/big.json"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u simulator -P simulator-secret -q 1 \
    -t /readings/room-big/temperature -f "$DIR/big.json"
# a reading after it, handled: the 10 MiB one went wherever it went by then
n=$(stats "$CONTROL_PID" | python3 -c 'import json, sys; print(json.load(sys.stdin)["readings"])')
pub /readings/room-fence/temperature '{"sensorID":"s1","value":21}'
stats_until "$CONTROL_PID" "d['readings'] > $n" >/dev/null || bad "the reading after the 10 MiB one was not handled"
rss1=$(rss_kib "$CONTROL_PID")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$CONTROL_PID/status")
echo "daemon RSS ${rss0} -> ${rss1} KiB, peak ${hwm} KiB after a 10 MiB reading"
check "10 MiB reading: peak memory under 10 MiB more than before" test $((hwm - rss0)) -lt 10240
check "10 MiB reading: daemon alive and connected" command_for room-big

# --- SIGHUP never kills: without --scenario it is logged and nothing changes
kill -HUP "$CONTROL_PID"
check "SIGHUP without --scenario: logged" wait_log "$DIR/control.log" "SIGHUP: no --scenario"
check "SIGHUP without --scenario: alive" kill -0 "$CONTROL_PID"
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"

# --- SIGHUP with --scenario: reloads; a broken file is logged and the old settings stay
cp "$SRC/scenarios/default.json" "$DIR/ctl.json"
start_control --scenario "$DIR/ctl.json" || exit 1
sed -i 's/"setpoint_c": 22/"setpoint_c": 19/' "$DIR/ctl.json"
kill -HUP "$CONTROL_PID"
check "SIGHUP: reloaded" wait_log "$DIR/control.log" "SIGHUP: settings reloaded"
echo '{"setpoint_c": ' >"$DIR/ctl.json"
kill -HUP "$CONTROL_PID"
check "SIGHUP with a broken file: logged" wait_log "$DIR/control.log" "SIGHUP: reload failed"
check "SIGHUP with a broken file: alive" kill -0 "$CONTROL_PID"
s=$(stats "$CONTROL_PID")
check "SIGHUP: one reload counted" python3 -c '
import json, sys
assert json.loads(sys.argv[1])["reloads"] == 1' "$s"
kill -TERM "$CONTROL_PID"
wait "$CONTROL_PID"
check "SIGHUP: a clean exit after it all" test $? -eq 0

# --- two instances: distinct default client ids live side by side; the same id is a take-over
# that is logged, counted and backed off instead of a fight
start_control || exit 1
first=$CONTROL_PID
start_control || exit 1
second=$CONTROL_PID
sleep 2 # a window in which a fight would show (a negative check); both are subscribed by now
s1=$(stats "$first")
check "default client ids: both instances stay connected once" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["connects"] == 1 and d["takeovers"] == 0, d' "$s1"
kill -TERM "$first" "$second"
wait "$first" "$second"
: >"$DIR/control.log"
start_control --client-id same-id || exit 1
first=$CONTROL_PID
"$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --client-id same-id >>"$DIR/control2.log" 2>&1 &
second=$!
PIDS+=("$second")
# the take-over comes at once (an event); the connects are then counted over an 8 s window
wait_log "$DIR/control.log" "session taken over.*id 'same-id'" 30 ||
    wait_log "$DIR/control2.log" "session taken over.*id 'same-id'" 30
sleep 8
s1=$(stats "$first")
echo "first instance after 8 s beside a second one with its id: $s1"
check "same client id: the take-over is logged" grep -q "session taken over.*id 'same-id'" \
    "$DIR/control.log" "$DIR/control2.log"
check "same client id: no reconnect fight (at most 3 connects each in 8 s; was 16 in 15 s)" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["connects"] <= 3, d' "$s1"
check "same client id: counted" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["takeovers"] >= 1, d' "$s1" \
    || grep -q '"takeovers":[1-9]' "$DIR/control2.log"
kill -TERM "$first" "$second"
wait "$first" "$second"

# --- per-room accounts: room-1 writes its own readings, not room-2's
# (a marker published after them, in order on the same subscription, proves that the forged
# one would have arrived by then)
sub_bg "$DIR/acl.out" admin -t '/readings/#' -t livetest/acl -v
sub=$SUB_PID
pub /readings/room-1/temperature '{"sensorID":"own","value":21}' room-1
pub /readings/room-2/temperature '{"sensorID":"forged","value":21}' room-1
pub livetest/acl marker admin
wait_log "$DIR/acl.out" "^livetest/acl marker" 60 || bad "the ACL marker never came"
kill "$sub"
check "ACL: a room writes its own readings" grep -q "^/readings/room-1/temperature" "$DIR/acl.out"
check "ACL: a room cannot write another room's readings" test "$(grep -c room-2 "$DIR/acl.out")" -eq 0

# --- a lost broker costs `heatbench live` no CPU: it sleeps between reconnect attempts (it used to
# spin at 100 %)
n_room1=$(grep -c "u'room-1')" "$DIR/mosquitto.log")
"$HB" live --host 127.0.0.1 --port "$PORT" --username room-1 --password-file "$DIR/room-1.pw" \
    --speed 60 --hours 1 >"$DIR/live-down.log" 2>&1 &
live=$!
PIDS+=("$live")
wait_for 30 test_gt "grep -c \"u'room-1')\" '$DIR/mosquitto.log'" "$n_room1" || bad "live did not connect"
stop_broker
# live has seen the broker go once it has closed its socket (none left to the port)
gone() { [ -z "$(ss -Htn "( dport = :$PORT )")" ]; }
wait_for 30 gone || bad "live kept its connection to the dead broker"
cpu0=$(awk '{print $14 + $15}' "/proc/$live/stat")
sleep 3 # the window over which its CPU time is measured
cpu1=$(awk '{print $14 + $15}' "/proc/$live/stat")
ticks=$(getconf CLK_TCK)
echo "live with the broker down: $((cpu1 - cpu0)) CPU ticks in 3 s (${ticks} ticks/s)"
check "live with the broker down: under 10 % of a core" test $(((cpu1 - cpu0) * 10)) -lt $((3 * ticks))
start_broker || exit 1
kill -INT "$live"
wait "$live"
check "live after the broker came back: clean exit" test $? -eq 0

# --- argument limits
long=$(head -c 70 /dev/zero | tr '\0' r)
"$HB" control --room "$long" --readings-topic /readings/temperature \
    --actuator-topic /actuators/room-1 >"$DIR/arg.log" 2>&1
check "--room of 70 bytes: exit 2" test $? -eq 2
check "--room of 70 bytes: clear message" grep -q -- "--room: expected 1 to 63" "$DIR/arg.log"
huge=$(head -c 70000 /dev/zero | tr '\0' c)
"$HB" control --client-id "$huge" >"$DIR/arg.log" 2>&1
check "--client-id of 70,000 bytes: exit 2" test $? -eq 2
check "--client-id of 70,000 bytes: clear message" grep -q "client id: expected 1 to 256 bytes" "$DIR/arg.log"
finish
