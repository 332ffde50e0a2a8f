#!/bin/sh
# The convention checks of scripts/lint_conventions.py can fail: on a copy of the source tree,
# each planted violation (a private name defined twice, a public function nobody calls, a
# function over 150 lines, one in cli/ over 100, a listed long function grown past its ratchet,
# a create returning a pointer, a network loop run outside mqtt/hb_session.c) must fail the
# check with its own message, and the unplanted copy must pass.
# usage: lint_checks.sh SOURCE_DIR
. "$(dirname "$0")/cli/lib.sh"
src=$1
copy=$TMP/src
mkdir -p "$copy"
(cd "$src" && tar --exclude='./build*' --exclude=./.git -cf - .) | (cd "$copy" && tar -xf -)
check() { python3 "$copy/scripts/lint_conventions.py" "$copy" >"$TMP/out" 2>&1; }
if check; then ok; else bad "the unplanted tree fails: $(cat "$TMP/out")"; fi
# plant NAME FILE TEXT EXPECTED: adds FILE, expects a failure whose output holds EXPECTED.
plant() {
    printf '%s\n' "$3" >"$copy/$2"
    if check; then
        bad "$1: planted in $2, the check passed"
    elif grep -q -- "$4" "$TMP/out"; then
        ok
    else
        bad "$1: failed without '$4': $(cat "$TMP/out")"
    fi
    rm -f "$copy/$2"
}
# A private name that some other file defines already (the check reads what exists today).
dup=$(sed -n 's/^static [a-z_ *]*\(hb__[a-z_0-9]*\)(.*/\1/p' "$copy/util/hb_numeric.c" "$copy/util/hb_file.c" | head -1)
[ -n "$dup" ] || bad "no static hb__ function found in util/ to duplicate"
plant duplicate util/hb_planted.c "static int $dup(void) { return 0; }" "private name $dup is defined in 2 files"
plant uncalled util/hb_planted.c "int hb_planted_nobody_calls(void) { return 0; }" \
    "public function hb_planted_nobody_calls has no caller"
body=$(i=0; while [ $i -lt 160 ]; do echo "    x += $i;"; i=$((i + 1)); done)
plant long tests/planted.c "int hb__planted_long(int x);
int hb__planted_long(int x) {
$body
    return x;
}" "function hb__planted_long is 163 lines, over 150"
body=$(i=0; while [ $i -lt 110 ]; do echo "    x += $i;"; i=$((i + 1)); done)
plant thin-cli cli/planted.c "int hb__planted_cli(int x);
int hb__planted_cli(int x) {
$body
    return x;
}" "function hb__planted_cli in cli/ is 113 lines, over 100"
plant create util/hb_planted.c "typedef struct hb_planted hb_planted;
hb_planted *hb_planted_create(int n);
hb_planted *hb_planted_create(int n) { (void)n; return 0; }
void hb_planted_use(void);
void hb_planted_use(void) { (void)hb_planted_create(1); }" "hb_planted_create is not"
plant session live/hb_planted.c "#include <mosquitto.h>
int hb__planted_loop(struct mosquitto *m);
int hb__planted_loop(struct mosquitto *m) { return mosquitto_loop(m, 10, 1); }" \
    "live/hb_planted.c calls mosquitto_loop: only mqtt/hb_session.c"
plant session-reconnect tests/planted.c "#include <mosquitto.h>
int hb__planted_again(struct mosquitto *m);
int hb__planted_again(struct mosquitto *m) { return mosquitto_reconnect(m); }" \
    "tests/planted.c calls mosquitto_reconnect"
# A listed offender may shrink, never grow: lower its allowance below its length.
long=$(grep -v '^#' "$copy/scripts/ratchet/long-function.txt" | head -1)
if [ -n "$long" ]; then
    cp "$copy/scripts/ratchet/long-function.txt" "$TMP/ratchet"
    set -- $long
    sed -i "s/^$1 $2\$/$1 $(($2 - 1))/" "$copy/scripts/ratchet/long-function.txt"
    if ! check && grep -q "function $1 is $2 lines.*may only shrink" "$TMP/out"; then ok; else
        bad "grown $1: $(cat "$TMP/out")"
    fi
    cp "$TMP/ratchet" "$copy/scripts/ratchet/long-function.txt"
fi
finish lint_checks
