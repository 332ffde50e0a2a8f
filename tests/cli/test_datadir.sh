#!/bin/sh
# The data files (plots/, scenarios/) are found from a build directory anywhere, not only from a
# child of the source tree (`cmake -S . -B /elsewhere/build`), with no HEATBENCH_* variable: the
# binary copied to a folder outside the tree has neither ../share/heatbench nor ../plots beside
# it, so only the source tree compiled in (util/hb_datadir.h) can find them. A run with its
# report (gnuplot templates) and a shipped scenario by name must work from there.
# usage: test_datadir.sh HEATBENCH SOURCE_DIR
. "$(dirname "$0")/lib.sh"
unset HEATBENCH_PLOTS HEATBENCH_SCENARIOS HEATBENCH_DATADIR
mkdir -p "$TMP/elsewhere/build"
cp "$1" "$TMP/elsewhere/build/heatbench"
HB=$TMP/elsewhere/build/heatbench
[ ! -e "$TMP/elsewhere/plots" ] && [ ! -e "$TMP/elsewhere/share" ] && ok || bad "no data beside the copy"
if "$HB" run --hours 2 -o "$TMP/a.csv" >/dev/null 2>"$TMP/err" &&
    (cd "$TMP" && "$HB" report a.csv -o "$TMP/rep" >/dev/null 2>"$TMP/err"); then
    ok
else
    bad "report from a build outside the tree: $(cat "$TMP/err")"
fi
ls "$TMP/rep"/*.png >/dev/null 2>&1 && ok || bad "no plots in the report"
# A shipped scenario by its name, run from a folder where no scenarios/ is.
(cd "$TMP" && "$HB" run window-open --hours 1 --json >"$TMP/out" 2>"$TMP/err") &&
    grep -q '"scenario":"window-open"' "$TMP/out" && ok || bad "run window-open by name: $(cat "$TMP/err")"
finish datadir
