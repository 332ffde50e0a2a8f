#!/usr/bin/env bash
# TLS with a test CA made here: the daemon connects with --cafile and answers over TLS; a
# daemon that does not trust the CA fails with a clear error and a non-zero status.
source "$(dirname "$0")/lib.sh" "$1" "$2"
command -v openssl >/dev/null || { echo "openssl missing"; exit 1; }
cd "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=heatbench test CA" \
    -keyout ca.key -out ca.crt >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr \
    >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile san.ext -out server.crt >/dev/null 2>&1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" -keyout other.key \
    -out other.crt >/dev/null 2>&1
chmod 0644 ./*.key ./*.crt
cd - >/dev/null
TLS_PORT=$(free_port)
start_broker "listener $TLS_PORT 127.0.0.1
cafile $DIR/ca.crt
certfile $DIR/server.crt
keyfile $DIR/server.key" || exit 1

"$HB" control --host 127.0.0.1 --port "$TLS_PORT" --cafile "$DIR/ca.crt" --username controller \
    --password-file "$DIR/controller.pw" >>"$DIR/control.log" 2>&1 &
CONTROL_PID=$!
PIDS+=("$CONTROL_PID")
wait_for 60 test_eq "sub_one heatbench/control/status 1" online
check "TLS: daemon online" grep -q "connected to 127.0.0.1:$TLS_PORT" "$DIR/control.log"
sub_bg "$DIR/tls.out" admin -p "$TLS_PORT" --cafile "$DIR/ca.crt" -t /actuators/room-t -C 1 -W 30
sub=$SUB_PID
mosquitto_pub -h 127.0.0.1 -p "$TLS_PORT" --cafile "$DIR/ca.crt" -u simulator -P simulator-secret -q 1 \
    -t /readings/room-t/temperature -m '{"sensorID":"s","value":20}'
wait $sub
check "TLS: command received over TLS" grep -Eq '^\{"level":[0-9]+\}$' "$DIR/tls.out"

timeout 20 "$HB" control --host 127.0.0.1 --port "$TLS_PORT" --cafile "$DIR/other.crt" \
    --username controller --password-file "$DIR/controller.pw" --client-id untrusting \
    >"$DIR/untrusted.log" 2>&1
rc=$?
tail -1 "$DIR/untrusted.log"
check "TLS: untrusted server -> exit 1" test "$rc" -eq 1
check "TLS: clear message" grep -qi "tls\|certificate" "$DIR/untrusted.log"
finish
