#!/bin/sh
# The layering, checked: a folder may include only from the folders listed for it (lower
# layers). An upward or sideways include fails this test and names the file and the line.
# usage: layers.sh SOURCE_DIR
set -u
cd "$1" || exit 2
allowed() {
    case $1 in
    util) echo "" ;;
    engine | models | controllers | metrics) echo "util" ;;
    sim) echo "util engine models controllers metrics" ;;
    scenario | tuning | report) echo "util engine models controllers metrics sim" ;;
    mqtt) echo "util" ;;
    daemon) echo "util controllers mqtt" ;;
    live) echo "util engine models controllers metrics sim mqtt" ;;
    field) echo "util engine models controllers metrics sim mqtt tuning" ;;
    sweep) echo "util engine models controllers metrics sim scenario" ;;
    serve) echo "util engine models controllers metrics sim scenario" ;;
    cli) echo "util engine models controllers metrics sim scenario tuning report mqtt daemon live field sweep serve" ;;
    esac
}
fail=0
for dir in util engine models controllers metrics sim scenario tuning report mqtt daemon live field sweep serve cli; do
    ok=$(allowed "$dir")
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        grep -n '#include "\.\./' "$f" | while IFS= read -r line; do
            target=$(echo "$line" | sed 's|.*#include "\.\./\([a-z_]*\)/.*|\1|')
            case " $ok " in
            *" $target "*) ;;
            *) echo "FAIL: $f:${line%%:*}: $dir may not include from $target/ (allowed: ${ok:-nothing})" ;;
            esac
        done
    done
done >"${TMPDIR:-/tmp}/layers.$$"
fail=$(grep -c '^FAIL' "${TMPDIR:-/tmp}/layers.$$")
cat "${TMPDIR:-/tmp}/layers.$$"
rm -f "${TMPDIR:-/tmp}/layers.$$"
files=$(ls util/*.[ch] engine/*.[ch] models/*.[ch] controllers/*.[ch] metrics/*.[ch] sim/*.[ch] scenario/*.[ch] \
    tuning/*.[ch] report/*.[ch] mqtt/*.[ch] daemon/*.[ch] live/*.[ch] field/*.[ch] sweep/*.[ch] serve/*.[ch] cli/*.[ch] | wc -l)
echo "layers: $((files - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
