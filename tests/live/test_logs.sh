#!/bin/bash
# The daemon's log for journald: with --log-format journal, or when stderr is the stream named by
# $JOURNAL_STREAM (as systemd sets it), each line starts with an sd-daemon priority "<N>" and no
# time of its own; otherwise with its UTC time. Every drop is a warning with its reason and the
# offending payload (truncated, printable), rate-limited per reason.
. "$(dirname "$0")/lib.sh" "$1" "$2"
start_broker || exit 1

# 1. auto: stderr is the journal stream (its device and inode in JOURNAL_STREAM)
: >"$DIR/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$DIR/journal.log") "$HB" control --host 127.0.0.1 --port "$PORT" \
    --username controller --password-file "$DIR/controller.pw" 2>>"$DIR/journal.log" &
PIDS+=($!)
J=$!
wait_log "$DIR/journal.log" "leading" || bad "never leads"
for s in s1 s2 s3; do pub /readings/room-1/temperature "{\"sensorID\":\"$s\",\"value\":20.5}" room-1; done
pub heatbench/room-1/setpoint/set 99 hub
wait_log "$DIR/journal.log" "dropped 1 message" || bad "no drop line: $(cat "$DIR/journal.log")"
check "a rejected setpoint: a warning with its reason and value" grep -q \
    "^<4>heatbench control: dropped 1 message (command: not understood or outside the room's limits), latest '99' on topic 'heatbench/room-1/setpoint/set'$" \
    "$DIR/journal.log"
check "journal: an info line with no time of its own" grep -q "^<6>heatbench control: connected to" "$DIR/journal.log"
check "journal: every line has a priority" test -z "$(grep -v '^<[0-7]>' "$DIR/journal.log")"
# a long payload with control bytes: printable, truncated
pub /readings/room-1/temperature "$(printf 'A\001B%.0s' $(seq 40))" room-1
wait_log "$DIR/journal.log" "(binary" || bad "no binary drop line"
check "an unprintable payload: made printable and cut" grep -q "latest 'A?BA?B.*\.\.\.' on topic '/readings/room-1/temperature'" "$DIR/journal.log"
kill -TERM $J
wait $J
check "journal: the last line a notice" grep -q "^<5>heatbench control: stopped" "$DIR/journal.log"

# 2. JOURNAL_STREAM of another stream (a child whose stderr went elsewhere): times, as on a terminal
: >"$DIR/text.log"
JOURNAL_STREAM=1:1 "$HB" control --host 127.0.0.1 --port "$PORT" --username controller \
    --password-file "$DIR/controller.pw" --run-for 1 2>>"$DIR/text.log"
check "text: each line starts with its UTC time" grep -Eq \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z heatbench control: connected" "$DIR/text.log"
# 3. --log-format journal by hand, and a bad value
"$HB" control --host 127.0.0.1 --port "$PORT" --username controller --password-file "$DIR/controller.pw" \
    --run-for 1 --log-format journal 2>"$DIR/forced.log"
check "--log-format journal" grep -q "^<6>heatbench control: connected" "$DIR/forced.log"
"$HB" control --log-format xml 2>"$DIR/bad.log"
check "--log-format xml: exit 2 with the expected values" test $? -eq 2 -a -n "$(grep 'auto, text or journal' "$DIR/bad.log")"
finish
