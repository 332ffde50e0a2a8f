#!/usr/bin/env bash
# The pair and the saved state tried as an attacker, a frozen machine and a looping automation
# would (issue 26), against a real broker:
#   1. a leader frozen (SIGSTOP) past the takeover and resumed sends nothing once it stands down;
#   2. forged heartbeats (any id, any term, empty, a made-up mac) change nothing and are counted;
#   3. poisoned retained ctl (100 %, mode off under another room's topic, rooms never seen,
#      40 phantoms against --max-rooms 20) move no valve, make no room, announce nothing and
#      refuse no real room;
#   4. 2,000 heat/off toggles in a burst: at most 2 valve commands per minimum interval;
#   5. a 40 MiB state file is set aside with a clear line, the daemon controls from fresh state
#      under 100 MiB; SIGTERM during a restore stops the read at once; the file is 0600.
# Every step waits on an event (a log line, a message, a counter), never on a fixed sleep.
source "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1
SPEED=60 # a controller minute (the minimum command interval) is a wall second
KEY="$DIR/pair.key"

in_log() { grep -q -- "$2" "$DIR/$1.log"; }
cmds() { grep -c '/actuators/.* <- ' "$DIR/$1.log"; }
more_cmds() { [ "$(cmds "$1")" -gt "$2" ]; }
ctl() { # ctl NAME ARGS...: a daemon as user controller, logging to NAME.log; pid in NAME_PID
    local name=$1
    shift
    "$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
        --password-file "$DIR/controller.pw" --speed "$SPEED" -v "$@" >>"$DIR/$name.log" 2>&1 &
    eval "${name}_PID=$!"
    PIDS+=($!)
}
# counter NAME PATH: one counter of the daemon's latest stats line in NAME.log (SIGUSR1 first)
counter() {
    local before
    before=$(grep -c '"messages"' "$DIR/$1.log")
    kill -USR1 "$(eval echo "\$${1}_PID")"
    wait_for 10 bash -c "[ \$(grep -c '\"messages\"' '$DIR/$1.log') -gt $before ]" || return 1
    grep '"messages"' "$DIR/$1.log" | tail -1 | python3 -c '
import json, sys
line = sys.stdin.read()
s = json.loads(line[line.index("{"):])
for k in sys.argv[1].split("."):
    s = s[k]
print(s)' "$2"
}
at_least() { [ "$(counter "$1" "$2")" -ge "$3" ]; }
attack() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -q 1 "$@"; }

# --- refusals at start --------------------------------------------------------------------------
"$HB" control --standby --host 127.0.0.1 --port "$PORT" >"$DIR/nokey.log" 2>&1
check "--standby without a key: exit 2" test $? -eq 2
check "--standby without a key: says why" grep -q "needs --pair-key-file" "$DIR/nokey.log"
cp "$KEY" "$DIR/open.key"
chmod 0644 "$DIR/open.key"
"$HB" control --pair-key-file "$DIR/open.key" --host 127.0.0.1 --port "$PORT" >"$DIR/openkey.log" 2>&1
check "a world-readable key file: exit 2" test $? -eq 2
check "a world-readable key file: says why" grep -q "readable by every user" "$DIR/openkey.log"

# --- 1. a frozen leader -------------------------------------------------------------------------
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t '/actuators/#' -F '%U %t %p' \
    >"$DIR/wire.out" 2>/dev/null &
PIDS+=($!)
ctl a --pair-key-file "$KEY" --takeover-s 3
wait_for 30 in_log a "leading (term" || bad "leader did not lead"
ctl b --pair-key-file "$KEY" --takeover-s 3 --standby
wait_for 30 in_log b "connected to" || bad "standby did not connect"
"$HB" live --host 127.0.0.1 --port "$PORT" --username simulator --password-file "$DIR/simulator.pw" \
    --rooms 3 --speed "$SPEED" --hours 48 >"$DIR/live.log" 2>&1 &
LIVE_PID=$!
PIDS+=($!)
wait_for 60 more_cmds a 2 || bad "the leader never commanded"
kill -STOP "$a_PID"
a_cmds=$(cmds a)
wait_for 60 in_log b "leading (term" || bad "the standby did not take over from the frozen leader"
b0=$(cmds b)
wait_for 60 more_cmds b "$((b0 + 2))" || bad "the new leader does not command"
# the readings of the freeze are queued for the old leader now; it resumes
kill -CONT "$a_PID"
wait_for 30 in_log a "lease ran out" || bad "the resumed leader did not see its lease run out"
b1=$(cmds b)
wait_for 60 more_cmds b "$((b1 + 2))" || bad "the new leader stopped commanding"
echo "frozen leader: $a_cmds commands before the freeze, $(cmds a) at the end"
check "frozen leader: nothing sent after it resumed" test "$(cmds a)" -eq "$a_cmds"
check "frozen leader: stood down without a command after" bash -c \
    "! sed -n '/lease ran out/,\$p' '$DIR/a.log' | grep -q '/actuators/.* <- '"

# --- 2. forged heartbeats -----------------------------------------------------------------------
LEADER=heatbench/control/status/leader
now=$(date +%s)
a_leads=$(grep -c "leading (term" "$DIR/a.log")
attack -t "$LEADER" -m '{"id":"zzzz","term":999999999999999,"at":0}'
attack -t "$LEADER" -m "{\"id\":\"zzzz\",\"term\":3,\"at\":$now}"
attack -t "$LEADER" -n
attack -t "$LEADER" -m "{\"id\":\"zzzz\",\"term\":9,\"at\":$now,\"n\":1,\"mac\":\"$(printf '0%.0s' $(seq 64))\"}"
attack -t "$LEADER" -r -m "{\"id\":\"aaaa\",\"term\":99,\"at\":$now}"
wait_for 30 at_least b dropped.forged 5 || bad "the leader did not count 5 forged heartbeats"
wait_for 30 at_least a dropped.forged 5 || bad "the standby did not count 5 forged heartbeats"
b2=$(cmds b)
wait_for 60 more_cmds b "$((b2 + 2))" || bad "the leader stopped commanding after the forgeries"
check "forged heartbeats: the leader still leads" bash -c \
    "! sed -n '/leading (term/,\$p' '$DIR/b.log' | grep -q 'standing by'"
check "forged heartbeats: the standby did not take over" test "$(grep -c "leading (term" "$DIR/a.log")" -eq "$a_leads"
check "forged heartbeats: the standby sent nothing" test "$(cmds a)" -eq "$a_cmds"
attack -t "$LEADER" -r -n # the forged retained one off the broker
kill -TERM "$a_PID" "$b_PID" "$LIVE_PID"
wait "$a_PID" "$b_PID" "$LIVE_PID" 2>/dev/null

# --- 3. poisoned retained controller state -------------------------------------------------------
now=$(date +%s)
entry() { # entry ROOM LEVEL MODE
    echo "{\"room\":\"$1\",\"level\":$2,\"integral\":100,\"avg\":null,\"mode\":\"$3\",\"preset\":\"none\",\"manual_c\":null,\"period\":-1,\"at\":$now}"
}
attack -r -t heatbench/bed/ctl -m "$(entry bed 100 heat)"
attack -r -t heatbench/anything/ctl -m "$(entry kitchen 0 off)"
attack -r -t heatbench/never/ctl -m "$(entry never 100 heat)"
for i in $(seq 40); do attack -r -t "heatbench/ph$i/ctl" -m "$(entry "ph$i" 100 heat)"; done
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t 'homeassistant/#' -F '%t' \
    >"$DIR/ha.out" 2>/dev/null &
PIDS+=($!)
ctl c --pair-key-file "$KEY" --max-rooms 20
wait_for 30 in_log c "leading (term" || bad "the daemon did not lead"
wait_for 30 at_least c dropped.forged 43 || bad "the 43 poisoned states were not all counted as forged"
reading() { pub "/readings/$1/temperature" "{\"sensorID\":\"s1\",\"type\":\"temperature\",\"value\":$2}"; }
reading bed 21.5
reading kitchen 21.5
for i in $(seq 18); do reading "real$i" 21; done
wait_for 30 at_least c rooms 20 || bad "20 real rooms were not all admitted"
wait_for 30 bash -c "grep -q '/actuators/bed <- ' '$DIR/c.log' && grep -q '/actuators/kitchen <- ' '$DIR/c.log'" ||
    bad "bed and kitchen were not commanded"
echo "first commands: $(grep -m1 '/actuators/bed <- ' "$DIR/c.log" | sed 's/.*<- //') (bed)," \
    "$(grep -m1 '/actuators/kitchen <- ' "$DIR/c.log" | sed 's/.*<- //') (kitchen)"
check "poisoned ctl: bed, 0.5 K under its setpoint, not at 100 %" bash -c \
    "! grep '/actuators/bed <- ' '$DIR/c.log' | grep -q '\"level\":100'"
check "poisoned ctl: kitchen not turned off by another room's topic" bash -c \
    "grep '/actuators/kitchen <- ' '$DIR/c.log' | head -1 | grep -qv '\"level\":0}'"
check "poisoned ctl: no phantom commanded" bash -c "! grep -q 'actuators/\\(ph\\|never\\|anything\\)' '$DIR/c.log'"
check "poisoned ctl: no phantom announced" bash -c "! grep -q 'heatbench_\\(ph\\|never\\|anything\\)' '$DIR/ha.out'"
check "poisoned ctl: no real room refused" test "$(counter c dropped.room-cap)" -eq 0
check "poisoned ctl: 20 rooms, none of them a phantom" test "$(counter c rooms)" -eq 20
for t in bed anything never $(seq -f 'ph%g' 40); do attack -r -t "heatbench/$t/ctl" -n; done

# --- 4. a looping automation ---------------------------------------------------------------------
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u admin -P admin-secret -t '/actuators/real1' -F '%U %p' \
    >"$DIR/toggle.out" 2>/dev/null &
PIDS+=($!)
# subscribed when a probe of ours comes back
probe() { attack -t /actuators/real1 -m probe && grep -q probe "$DIR/toggle.out"; }
wait_for 30 probe || bad "the subscription did not start"
requests0=$(counter c requests)
t0=$(date +%s.%N)
python3 -c 'print("\n".join("off" if i % 2 == 0 else "heat" for i in range(2000)))' |
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u hub -P hub-secret -q 1 -t heatbench/real1/mode/set -l
t1=$(date +%s.%N)
wait_for 60 at_least c requests $((requests0 + 2000)) || bad "not every toggle arrived"
# the last wish (heat) acts when the interval ends: a command with a level above 0 after t0
wait_for 30 python3 -c '
import sys
t0 = float(sys.argv[2])
sys.exit(0 if [l for l in open(sys.argv[1]) if float(l.split()[0]) > t0 and "\"level\":0}" not in l] else 1)
' "$DIR/toggle.out" "$t0" || bad "the last wish never acted"
echo "2000 toggles in $(python3 -c "print('%.2f' % ($t1 - $t0))") s: $(counter c coalesced) coalesced;" \
    "commands for the room since: $(awk -v t0="$t0" '$1 > t0' "$DIR/toggle.out" | wc -l)"
check "toggles: at most 2 valve commands per minimum interval (1 s here)" python3 -c '
import sys
t0 = float(sys.argv[2])
ts = [float(l.split()[0]) for l in open(sys.argv[1]) if float(l.split()[0]) > t0]
assert ts and all(ts[i + 2] - ts[i] >= 0.9 for i in range(len(ts) - 2)), ts' "$DIR/toggle.out" "$t0"
check "toggles: counted as coalesced" at_least c coalesced 1900
kill -TERM "$c_PID"
wait "$c_PID" 2>/dev/null

# --- 5. the state file ---------------------------------------------------------------------------
python3 - "$DIR/big.json" <<'PY'
import sys, time
now = time.time()
with open(sys.argv[1], "w") as f:
    f.write('{"version":1,"rooms":[')
    i = 0
    while f.tell() < 40 << 20:
        f.write('%s\n  {"room":"r%d","level":20,"integral":20,"avg":null,"mode":"heat","preset":"none","manual_c":null,"period":-1,"at":%.3f}' % ("," if i else "", i, now))
        i += 1
    f.write("\n]}\n")
PY
cp "$DIR/big.json" "$DIR/big2.json"
ctl d --pair-key-file "$KEY" --state-file "$DIR/big.json"
wait_for 30 in_log d "leading (term" || bad "the daemon with a 40 MiB state file did not lead"
check "40 MiB state file: a clear line" grep -q "set aside unread" "$DIR/d.log"
check "40 MiB state file: moved aside" test -f "$DIR/big.json.bad"
pub /readings/fresh/temperature '{"sensorID":"s1","type":"temperature","value":20}'
wait_for 30 in_log d "/actuators/fresh <- " || bad "no control after a state file set aside"
peak=$(awk '/^VmHWM/ {print $2}' "/proc/$d_PID/status")
echo "40 MiB state file: peak RSS $peak KiB"
check "40 MiB state file: peak RSS under 100 MiB" test "$peak" -lt 102400
kill -TERM "$d_PID"
wait "$d_PID" 2>/dev/null
check "state file: written 0600" test "$(stat -c %a "$DIR/big.json")" = 600

# SIGTERM while a file --max-rooms allows is read (its open file is the event)
ctl e --pair-key-file "$KEY" --state-file "$DIR/big2.json" --max-rooms 100000
# reading when the file is in its memory (or done, if this machine outran the check)
wait_for 30 bash -c "[ \$(awk '/^VmRSS/ {print \$2}' /proc/$e_PID/status) -gt 30000 ] || grep -q 'wait for\|connected' '$DIR/e.log'" || true
t0=$(date +%s.%N)
kill -TERM "$e_PID"
wait "$e_PID" 2>/dev/null
t1=$(date +%s.%N)
echo "SIGTERM during a restore: ended after $(python3 -c "print('%.2f' % ($t1 - $t0))") s"
# Promptness is read from the daemon's own words, not from a wall time a loaded machine stretches:
# the read stopped at the signal (or had already ended, if this machine outran the check). The
# 10 s bound only guards against a hang; an idle machine ends in about 0.1 s.
check "SIGTERM during a restore: the read stops there" \
    grep -q "reading stopped\|wait for the room's first reading\|connected" "$DIR/e.log"
check "SIGTERM during a restore: ends (10 s hang guard)" \
    python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 10 else 1)"
finish
