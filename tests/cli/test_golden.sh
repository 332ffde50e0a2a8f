#!/bin/sh
# Every shipped scenario on seeds 1..3: the trace and the --json KPIs, and `tune --json` on the
# default, byte for byte against the checksums in tests/golden/sums.txt, and figure by figure
# against tests/golden/figures.txt (every KPI as printed, each trace's row count, first and last
# rows; tests/cli/golden_figures.py). The hashes catch any byte that moves; the figures say which
# number moved and by how much. A refactoring must leave both alone; a change that means to move
# a figure runs --update, which rewrites both files and prints the diff of the figures, so the
# commit's diff of figures.txt shows exactly which numbers it moved.
# usage: test_golden.sh HEATBENCH SOURCE_DIR [--update]
. "$(dirname "$0")/lib.sh"
hb=$1
src=$2
sums=$src/tests/golden/sums.txt
figures=$src/tests/golden/figures.txt
fig() { python3 "$src/tests/cli/golden_figures.py" "$@" >>"$TMP/figures" || bad "figures of $1"; }
: >"$TMP/sums"
: >"$TMP/figures"
for f in "$src"/scenarios/*.json; do
    n=$(basename "$f" .json)
    for s in 1 2 3; do
        if ! "$hb" run "$f" --seed "$s" -o "$TMP/$n-$s.csv" --json >"$TMP/$n-$s.json" 2>"$TMP/err"; then
            bad "run $n --seed $s: $(cat "$TMP/err")"
        fi
        (cd "$TMP" && sha256sum "$n-$s.csv" "$n-$s.json") >>"$TMP/sums"
        fig "$n-$s" "$TMP/$n-$s.json" "$TMP/$n-$s.csv"
    done
done
"$hb" tune "$src/scenarios/default.json" --evals 60 --threads 2 --json >"$TMP/tune-default.json" 2>"$TMP/err" ||
    bad "tune: $(cat "$TMP/err")"
(cd "$TMP" && sha256sum tune-default.json) >>"$TMP/sums"
fig tune-default "$TMP/tune-default.json"
if [ "${3:-}" = --update ]; then
    # The figures' diff is the review of the update: it names every number that moved.
    if [ -f "$figures" ]; then
        diff -u "$figures" "$TMP/figures" | sed "1,2s|$TMP/figures|tests/golden/figures.txt (new)|"
    fi
    cp "$TMP/sums" "$sums"
    cp "$TMP/figures" "$figures"
    echo "golden: wrote $sums and $figures"
    exit 0
fi
# The figures first: a failure shows the numbers that moved, old and new.
if ! diff -u "$figures" "$TMP/figures" >"$TMP/figdiff"; then
    echo "FAIL: figures differ from tests/golden/figures.txt (- golden, + now):"
    grep '^[-+][^-+]' "$TMP/figdiff"
    fail=$((fail + $(grep -c '^+[^+]' "$TMP/figdiff")))
else
    pass=$((pass + $(wc -l <"$TMP/figures")))
fi
# Then one line per file whose bytes moved (a figure outside the text file, e.g. a middle row).
diff "$sums" "$TMP/sums" | sed -n 's/^> [0-9a-f]*  /FAIL: differs from tests\/golden\/sums.txt: /p' >"$TMP/diff"
if [ -s "$TMP/diff" ]; then
    cat "$TMP/diff"
    fail=$((fail + $(wc -l <"$TMP/diff")))
fi
pass=$((pass + $(wc -l <"$TMP/sums") - $(wc -l <"$TMP/diff")))
finish golden
