#!/bin/sh
# Every shipped scenario on seeds 1..3: the trace and the --json KPIs, and `tune --json` on the
# default, byte for byte against the checksums in tests/golden/sums.txt. A refactoring must leave
# them all alone; a change that means to move a figure updates the file with --update, and the
# commit's diff of sums.txt shows which runs it moved.
# usage: test_golden.sh HEATBENCH SOURCE_DIR [--update]
. "$(dirname "$0")/lib.sh"
hb=$1
src=$2
sums=$src/tests/golden/sums.txt
: >"$TMP/sums"
for f in "$src"/scenarios/*.json; do
    n=$(basename "$f" .json)
    for s in 1 2 3; do
        if ! "$hb" run "$f" --seed "$s" -o "$TMP/$n-$s.csv" --json >"$TMP/$n-$s.json" 2>"$TMP/err"; then
            bad "run $n --seed $s: $(cat "$TMP/err")"
        fi
        (cd "$TMP" && sha256sum "$n-$s.csv" "$n-$s.json") >>"$TMP/sums"
    done
done
"$hb" tune "$src/scenarios/default.json" --evals 60 --threads 2 --json >"$TMP/tune-default.json" 2>"$TMP/err" ||
    bad "tune: $(cat "$TMP/err")"
(cd "$TMP" && sha256sum tune-default.json) >>"$TMP/sums"
if [ "${3:-}" = --update ]; then
    cp "$TMP/sums" "$sums"
    echo "golden: wrote $sums"
    exit 0
fi
# One line per file: a moved figure names the run it moved.
diff "$sums" "$TMP/sums" | sed -n 's/^> [0-9a-f]*  /FAIL: differs from tests\/golden\/sums.txt: /p' >"$TMP/diff"
if [ -s "$TMP/diff" ]; then
    cat "$TMP/diff"
    fail=$((fail + $(wc -l <"$TMP/diff")))
fi
pass=$((pass + $(wc -l <"$TMP/sums") - $(wc -l <"$TMP/diff")))
finish golden
