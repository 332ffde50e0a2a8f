#!/bin/sh
# heatbench report: plots and pages for one and two traces and for a tuning run; malformed and
# empty traces rejected with their messages; no half-written report left behind.
# usage: test_report.sh HEATBENCH SOURCE_DIR
HB=$1
SRC=$2
. "$(dirname "$0")/lib.sh"

is_png() { # valid PNG signature and a non-trivial size
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] &&
        [ "$(wc -c <"$1")" -gt 5000 ]
}

"$HB" run -o "$TMP/a.csv" --hours 6 >/dev/null
"$HB" run -o "$TMP/b.csv" --hours 6 --controller bangbang >/dev/null

# one trace
"$HB" report "$TMP/a.csv" -o "$TMP/one" >/dev/null 2>"$TMP/err" || bad "report of one trace: $(cat "$TMP/err")"
for p in temperatures valve heat; do
    is_png "$TMP/one/trace-1-$p.png" && ok || bad "one: $p.png"
    grep -q '<svg' "$TMP/one/trace-1-$p.svg" && ok || bad "one: $p.svg"
done
[ "$(grep -c '<svg' "$TMP/one/index.html")" -eq 3 ] && ok || bad "one: index.html shows 3 plots"
grep -q 'trace-1-temperatures.png' "$TMP/one/report.md" && ok || bad "one: report.md"
grep -Eq '(src|href)="https?://' "$TMP/one/index.html" && bad "index.html loads from the network" || ok

# two traces: a comparison too
"$HB" report "$TMP/a.csv" "$TMP/b.csv" --labels pid,bangbang -o "$TMP/two" >/dev/null 2>"$TMP/err" || bad "report of two traces: $(cat "$TMP/err")"
is_png "$TMP/two/compare.png" && ok || bad "two: compare.png"
[ "$(grep -c '<svg' "$TMP/two/index.html")" -eq 7 ] && ok || bad "two: index.html shows 7 plots"
grep -q 'bangbang' "$TMP/two/report.md" && ok || bad "two: labels in report.md"

# two controllers compared in one command
"$HB" run --hours 4 --controller pid,bangbang --report "$TMP/cmp" >/dev/null 2>"$TMP/err" || bad "run --controller pid,bangbang --report: $(cat "$TMP/err")"
is_png "$TMP/cmp/compare.png" && ok || bad "compare: compare.png"
grep -q '<th>pid</th><th>bangbang</th>' "$TMP/cmp/index.html" && ok || bad "compare: a KPI column per controller"
[ "$(grep -c '^<tr><td>' "$TMP/cmp/index.html")" -eq 17 ] && ok || bad "compare: every KPI (17 rows)"
grep -q "heatbench [0-9.]*; command: .*run --hours 4 --controller pid,bangbang" "$TMP/cmp/index.html" &&
    ok || bad "compare: provenance (version and command line)"
grep -q "scenario default, seed 1" "$TMP/cmp/report.md" && ok || bad "compare: provenance in report.md"

# event markers: windows, sensor faults, fail-safe spans on the plots of a run
"$HB" run "$SRC/scenarios/window-open.json" --report "$TMP/win" >/dev/null 2>"$TMP/err" || bad "window report: $(cat "$TMP/err")"
[ "$(grep -c "'window open'" "$TMP/win/trace-1-events.gp")" -eq 2 ] && ok || bad "window markers"
"$HB" run "$SRC/scenarios/lossy-network.json" --report "$TMP/lossy" >/dev/null 2>"$TMP/err" || bad "lossy report"
grep -q "'fail-safe'" "$TMP/lossy/trace-1-events.gp" && grep -q "'sensor-4 dropout'" "$TMP/lossy/trace-1-events.gp" &&
    ok || bad "fail-safe and dropout markers"
[ -s "$TMP/err" ] && bad "gnuplot warnings on a normal report: $(cat "$TMP/err")" || ok
# a run inside its warm-up says so instead of showing zeros
printf '{"warmup_h": 2}\n' >"$TMP/short.json"
"$HB" run "$TMP/short.json" --hours 1 --report "$TMP/short" >/dev/null 2>&1
grep -q "ended inside its 2.0 h warm-up" "$TMP/short/index.html" && ok || bad "warm-up note"
grep -q "<tr><td>discomfort K·h</td><td>-</td>" "$TMP/short/index.html" && ok ||
    bad "a run inside its warm-up shows no discomfort figure"
"$HB" run --controller pid,fuzzy --report "$TMP/cmp2" >/dev/null 2>&1
[ $? -eq 2 ] && [ ! -e "$TMP/cmp2" ] && ok || bad "compare: bad controller name"

# run --report and tune --report
"$HB" run --hours 3 --report "$TMP/run" >/dev/null 2>"$TMP/err" || bad "run --report: $(cat "$TMP/err")"
is_png "$TMP/run/trace-1-temperatures.png" && ok || bad "run --report: plots"
"$HB" tune --evals 30 --report "$TMP/tune" >/dev/null 2>"$TMP/err" || bad "tune --report: $(cat "$TMP/err")"
is_png "$TMP/tune/tuning.png" && ok || bad "tune --report: convergence plot"
grep -q 'optimized' "$TMP/tune/index.html" && ok || bad "tune --report: method table"
for p in relay-temperatures relay-valve step; do
    is_png "$TMP/tune/$p.png" && ok || bad "tune --report: $p plot"
done
grep -q '<h3>Relay experiment</h3>' "$TMP/tune/index.html" && grep -q '<h3>Step test</h3>' "$TMP/tune/index.html" &&
    ok || bad "tune --report: experiment sections"
[ -s "$TMP/err" ] && bad "tune --report printed warnings: $(cat "$TMP/err")" || ok

# bad traces: a clear message naming the file and line, status 2, the old report untouched
cp -r "$TMP/one" "$TMP/keep"
printf 'time_s,t_out,t_air\n0,1,2\n' >"$TMP/short.csv"
"$HB" report "$TMP/short.csv" -o "$TMP/one" 2>"$TMP/err" >/dev/null
[ $? -eq 2 ] && grep -q "short.csv: line 1: missing column 't_est'" "$TMP/err" && ok || bad "missing column: $(cat "$TMP/err")"
head -5 "$TMP/a.csv" >"$TMP/broken.csv"
echo "60,1,2,oops" >>"$TMP/broken.csv"
"$HB" report "$TMP/broken.csv" -o "$TMP/one" 2>"$TMP/err" >/dev/null
[ $? -eq 2 ] && grep -q "broken.csv: line 6:" "$TMP/err" && ok || bad "malformed row: $(cat "$TMP/err")"
: >"$TMP/empty.csv"
"$HB" report "$TMP/empty.csv" -o "$TMP/one" 2>"$TMP/err" >/dev/null
[ $? -eq 2 ] && grep -q "empty.csv: empty file" "$TMP/err" && ok || bad "empty: $(cat "$TMP/err")"
diff -r "$TMP/one" "$TMP/keep" >/dev/null && ok || bad "a failed report changed the old one"
ls "$TMP" | grep -q '\.tmp\.' && bad "temporary report directory left behind" || ok

# -o DIR writes only what the report owns (the audit's data-loss finding)
"$HB" report "$TMP/a.csv" -o "$TMP/slash/" >/dev/null 2>"$TMP/err" && [ -f "$TMP/slash/index.html" ] &&
    ok || bad "trailing slash: $(cat "$TMP/err")"
"$HB" report "$TMP/a.csv" -o "$TMP/deep/er/dir" >/dev/null 2>"$TMP/err" &&
    [ -f "$TMP/deep/er/dir/index.html" ] && ok || bad "missing parents: $(cat "$TMP/err")"
echo "my notes" >"$TMP/slash/notes.txt"
"$HB" report "$TMP/a.csv" "$TMP/b.csv" -o "$TMP/slash" >/dev/null 2>"$TMP/err" || bad "replace: $(cat "$TMP/err")"
[ "$(cat "$TMP/slash/notes.txt")" = "my notes" ] && ok || bad "a file the user put into a report was lost"
[ -f "$TMP/slash/compare-temperatures.png" ] || [ -f "$TMP/slash/compare.png" ] ||
    ls "$TMP/slash" | grep -q compare && ok || bad "the new report is in place"
"$HB" report "$TMP/a.csv" -o "$TMP/slash" >/dev/null 2>"$TMP/err"
ls "$TMP/slash" | grep -q compare && bad "a file of the previous report only was left behind" || ok
[ "$(cat "$TMP/slash/notes.txt")" = "my notes" ] && ok || bad "notes lost on the second replace"
mkdir -p "$TMP/src/tuning" && echo 'int main(void){return 0;}' >"$TMP/src/tuning/hb_tune.c"
(cd "$TMP/src" && "$HB" tune --report tuning --evals 10 >/dev/null 2>"$TMP/err")
[ $? -eq 2 ] && grep -q "not a heatbench report" "$TMP/err" && ok ||
    bad "tune --report into a source folder: $(cat "$TMP/err")"
[ "$(ls "$TMP/src/tuning")" = "hb_tune.c" ] && ok || bad "the source folder was touched"
"$HB" run --report "$TMP/src/tuning" --hours 2 >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && ok || bad "run --report into a foreign folder: status 2"
"$HB" run --report "$TMP/src/tuning" --hours 2 --force >/dev/null 2>"$TMP/err" && ok ||
    bad "--force: $(cat "$TMP/err")"
[ -f "$TMP/src/tuning/hb_tune.c" ] && [ -f "$TMP/src/tuning/index.html" ] && ok ||
    bad "--force writes beside the user's files"
mkdir -p "$TMP/clash" && echo "mine" >"$TMP/clash/index.html"
"$HB" report "$TMP/a.csv" -o "$TMP/clash" --force >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && [ "$(cat "$TMP/clash/index.html")" = "mine" ] && ok ||
    bad "--force never overwrites a file heatbench did not write: $(cat "$TMP/err")"
printf '../../victim\n' >>"$TMP/slash/.heatbench-report"
echo keep >"$TMP/victim"
"$HB" report "$TMP/a.csv" -o "$TMP/slash" >/dev/null 2>&1
[ -f "$TMP/victim" ] && ok || bad "a doctored manifest made the report delete outside its directory"
: >"$TMP/plainfile"
"$HB" report "$TMP/a.csv" -o "$TMP/plainfile" >/dev/null 2>"$TMP/err"
[ $? -eq 2 ] && grep -q "not a directory" "$TMP/err" && ok || bad "-o a file: $(cat "$TMP/err")"

# gnuplot missing: a message naming the package
PATH=/nonexistent "$HB" report "$TMP/a.csv" -o "$TMP/nognuplot" 2>"$TMP/err" >/dev/null
[ $? -eq 1 ] && grep -q "apt-get install gnuplot-nox" "$TMP/err" && ok || bad "no gnuplot: $(cat "$TMP/err")"
# usage
"$HB" report "$TMP/a.csv" 2>/dev/null
[ $? -eq 2 ] && ok || bad "report without -o"

finish report
