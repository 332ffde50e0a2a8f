#!/bin/sh
# heatbench sweep on one machine and through GNU parallel: the plan, the errors (exit 2), a local
# sweep whose KPIs equal `heatbench run`'s, a kill -9 half way and a resume that give the same
# file, a torn last line cut off, shards and their merge, the merge's completeness check, and
# deploy/parallel/sweep.sh on this machine as its ssh login (":") giving the same results.
# usage: test_sweep.sh HEATBENCH SOURCE_DIR
HB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/sweep/lib.sh"
export HEATBENCH_DATADIR="$SRC"
cd "$TMP" || exit 2
small_sweep sweep.json

# ---- the plan and the errors --------------------------------------------------------------
out=$("$HB" check sweep.json) && [ "$out" = "ok sweep.json: a sweep of 36 runs (6 scenario points)" ] &&
    ok || bad "check: $out"
out=$("$HB" check "$SRC/sweeps/example.json") && echo "$out" | grep -q "a sweep of 270 runs" &&
    ok || bad "example.json: $out"
expect_usage() { # NAME SED-EXPRESSION PATTERN: the edited sweep fails with exit 2 and PATTERN
    sed "$2" sweep.json >"$1.json"
    "$HB" check "$1.json" >/dev/null 2>"$1.err"
    st=$?
    if [ $st -eq 2 ] && grep -q "$3" "$1.err"; then ok; else
        bad "$1: exit $st, $(cat "$1.err")"
    fi
    "$HB" sweep "$1.json" -o "$1.jsonl" 2>/dev/null
    [ $? -eq 2 ] && [ ! -e "$1.jsonl" ] && ok || bad "$1: sweep did not refuse it with exit 2"
}
expect_usage typo 's/"controllers"/"controlers"/' \
    '^heatbench check: typo.json:4:3: controlers: unknown key (did you mean "controllers"?)'
expect_usage badkey 's/room.ua_w_per_k/room.ua_per_k/' \
    'badkey.json:7:12: grid."room.ua_per_k": unknown scenario key (did you mean "room.ua_w_per_k"?)'
expect_usage emptyrange 's/"to": 2/"to": 0/' 'emptyrange.json:5:24: seeds: the range 1..0 has no values'
expect_usage emptygrid 's/\[25, 45\]/[]/' 'emptygrid.json:7:12: grid."room.ua_w_per_k": expected 1 to'
expect_usage badvalue 's/\[25, 45\]/[25, -1]/' 'badvalue.json:7:12: run 6 (default, overrides {"room.ua_w_per_k":-1}): default: room.ua_w_per_k: expected a number in (0, 2000] W/K, got -1'
expect_usage badctl 's/"bangbang"/"bang-bang"/' 'unknown controller "bang-bang" (did you mean "bangbang"?)'
expect_usage missing 's/"cold-snap"/"cold-snip"/' 'no scenario "cold-snip"'
"$HB" sweep sweep.json -o x.jsonl --shard 3/2 2>/dev/null
[ $? -eq 2 ] && ok || bad "--shard 3/2 accepted"

# ---- one machine ----------------------------------------------------------------------------
"$HB" sweep sweep.json -o local.jsonl --jobs 2 2>local.err
st=$?
[ $st -eq 0 ] && [ "$(wc -l <local.jsonl)" -eq 36 ] && ok || bad "local sweep: exit $st, $(cat local.err)"
# The floor is solved once per scenario point (6), not once per run (36).
grep -q "36 ran on 2 threads.*0 failed; 6 energy floors solved" local.err && ok ||
    bad "floor memo: $(cat local.err)"
[ "$(cut -c1-26 local.jsonl | sort -u | wc -l)" -eq 36 ] && ok || bad "ids not distinct"
"$HB" sweep merge local.jsonl --plan sweep.json -o sorted.jsonl 2>merge.err &&
    grep -q "36 runs written.*0 missing, 0 not in the plan" merge.err && ok || bad "merge: $(cat merge.err)"
# A run's KPIs are `heatbench run`'s for the same scenario, controller, seed and hours.
line=$(grep '"scenario":"cold-snap","controller":"mpc","seed":2,"overrides":{"room.ua_w_per_k":45}' local.jsonl)
python3 - "$SRC/scenarios/cold-snap.json" >ua45.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d.setdefault("room", {})["ua_w_per_k"] = 45
json.dump(d, sys.stdout)
PY
run=$("$HB" run ua45.json --controller mpc --seed 2 --hours 2 --json)
k1=$(echo "$line" | sed -E 's/.*"kpis":\{([^}]*)\}.*/\1/')
k2=$(echo "$run" | sed -E 's/.*"setpoint_c":[0-9.]+,//; s/\}$//')
[ -n "$k1" ] && [ "$k1" = "$k2" ] && ok || bad "KPIs differ from heatbench run: $k1 / $k2"
# --only runs one and reproduces its line; --list names every run once.
id=$(echo "$line" | cut -c8-23)
"$HB" sweep sweep.json --only "$id" -q >only.jsonl && strip_wall only.jsonl | grep -qF "$(echo "$line" | sed -E 's/,"wall_s":[0-9.]+\}$//')" &&
    ok || bad "--only $id"
"$HB" sweep sweep.json --list >list.txt && [ "$(cut -d' ' -f1 list.txt | sort -u | wc -l)" -eq 36 ] &&
    grep -q "^$id heatbench sweep sweep.json --only $id" list.txt && ok || bad "--list"
"$HB" sweep sweep.json --only 0123456789abcdef -q 2>/dev/null
[ $? -eq 2 ] && ok || bad "--only of an unknown id"

# A second call resumes: nothing to run, the file unchanged.
cp local.jsonl before.jsonl
"$HB" sweep sweep.json -o local.jsonl 2>again.err && cmp -s before.jsonl local.jsonl &&
    grep -q "36 already done, 0 ran" again.err && ok || bad "resume of a finished sweep: $(cat again.err)"

# ---- kill -9 half way, then the same command --------------------------------------------------
"$HB" sweep sweep.json -o killed.jsonl --jobs 1 -q 2>/dev/null &
pid=$!
i=0
while [ "$({ wc -l <killed.jsonl; } 2>/dev/null || echo 0)" -lt 18 ] && [ $i -lt 6000 ]; do
    kill -0 $pid 2>/dev/null || break
    sleep 0.01
    i=$((i + 1))
done
kill -9 $pid 2>/dev/null && ok || bad "the sweep ended before it could be killed half way"
wait $pid 2>/dev/null
n=$(wc -l <killed.jsonl)
[ "$n" -ge 18 ] && [ "$n" -lt 36 ] && ok || bad "killed at $n of 36 lines"
# A crash of the machine can tear the last line: resume cuts it off.
printf '{"id":"0011223344556677","scenario":"def' >>killed.jsonl
"$HB" sweep sweep.json -o killed.jsonl --jobs 2 2>resume.err
st=$?
[ $st -eq 0 ] && grep -q "cutting off an unfinished last line" resume.err &&
    grep -q "$n already done, $((36 - n)) ran" resume.err && ok || bad "resume: exit $st, $(cat resume.err)"
[ "$(wc -l <killed.jsonl)" -eq 36 ] && [ "$(cut -c1-26 killed.jsonl | sort | uniq -d | wc -l)" -eq 0 ] &&
    ok || bad "after the resume: $(wc -l <killed.jsonl) lines, not every id once"
"$HB" sweep merge killed.jsonl --plan sweep.json -o killed.sorted.jsonl 2>/dev/null && ok || bad "merge after resume"
same_results sorted.jsonl killed.sorted.jsonl "kill -9 and resume"

# ---- shards and merge -------------------------------------------------------------------------
for i in 1 2 3; do "$HB" sweep sweep.json --shard $i/3 -q -o shard$i.jsonl || bad "shard $i"; done
[ "$(cat shard1.jsonl shard2.jsonl shard3.jsonl | wc -l)" -eq 36 ] && ok || bad "shards overlap or miss runs"
# Shards through SLURM_ARRAY_* (a 0-based array of 3) make the same parts.
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_COUNT=3 \
    "$HB" sweep sweep.json -q -o slurm2.jsonl
[ "$(cut -c1-26 slurm2.jsonl | sort)" = "$(cut -c1-26 shard2.jsonl | sort)" ] && ok || bad "SLURM_ARRAY_TASK_ID shard"
"$HB" sweep merge shard1.jsonl shard3.jsonl --plan sweep.json -o partial.jsonl >missing.txt 2>/dev/null
st=$?
[ $st -eq 1 ] && [ "$(wc -l <missing.txt)" -eq "$(wc -l <shard2.jsonl)" ] &&
    [ "$(sort missing.txt)" = "$(cut -c8-23 shard2.jsonl | sort)" ] && ok || bad "missing ids: exit $st"
# Duplicates (a shard run twice, a part given twice) collapse to one line per id.
"$HB" sweep merge shard3.jsonl shard1.jsonl shard2.jsonl shard1.jsonl --plan sweep.json -o merged.jsonl 2>/dev/null &&
    ok || bad "merge of shards"
same_results sorted.jsonl merged.jsonl "shards merged"

# ---- the sweep report ---------------------------------------------------------------------------
"$HB" report local.jsonl -o rep --plan sweep.json >rep.out 2>rep.err && ok || bad "report: $(cat rep.err)"
for f in index.html box.png pareto.png param_1.png; do
    [ -s rep/$f ] && ok || bad "report: rep/$f missing"
done
# The worst run's command reproduces its KPIs.
cmd=$(sed -nE 's|.*<code>(heatbench sweep sweep.json --only [0-9a-f]{16})</code>.*|\1|p' rep/index.html | head -1)
wid=${cmd##* }
[ -n "$wid" ] && "$HB" ${cmd#heatbench } -q >worst.jsonl && [ "$(strip_wall worst.jsonl)" = "$(grep "^{\"id\":\"$wid\"" local.jsonl | strip_wall /dev/stdin)" ] &&
    ok || bad "the worst run's command ($cmd) does not reproduce its line"
# Its discomfort is the largest of the sweep.
max=$(sed -E 's/.*"discomfort_kh":([0-9.e+-]+).*/\1/' local.jsonl | sort -g | tail -1)
grep -q "\"discomfort_kh\":$max," worst.jsonl && ok || bad "the worst run is not the one with discomfort $max"
mkdir foreign && touch foreign/mine.txt
"$HB" report local.jsonl -o foreign 2>/dev/null
[ $? -eq 2 ] && [ -e foreign/mine.txt ] && [ ! -e foreign/index.html ] && ok || bad "report into a foreign directory"

# ---- GNU parallel -------------------------------------------------------------------------------
# The shipped example (270 runs, a few seconds): through parallel in 4 shards, as sorted locally.
if command -v parallel >/dev/null; then
    echo ":" >logins
    cp "$SRC/sweeps/example.json" example.json
    "$HB" sweep example.json -q -o example.jsonl && "$HB" sweep merge example.jsonl --plan example.json \
        -o example.sorted.jsonl 2>/dev/null && ok || bad "the example sweep locally"
    SSHLOGINFILE=$TMP/logins HEATBENCH=$HB "$SRC/deploy/parallel/sweep.sh" example.json par 4 \
        >par.out 2>par.err && ok || bad "deploy/parallel/sweep.sh: $(cat par.err)"
    [ "$(tail -n +2 par/joblog | wc -l)" -eq 4 ] && ok || bad "parallel joblog: $(cat par/joblog)"
    [ "$(wc -l <par/results.jsonl)" -eq 270 ] && ok || bad "parallel: not 270 results"
    same_results example.sorted.jsonl par/results.jsonl "GNU parallel"
    # A second call: --resume-failed runs nothing again.
    SSHLOGINFILE=$TMP/logins HEATBENCH=$HB "$SRC/deploy/parallel/sweep.sh" example.json par 4 \
        >/dev/null 2>&1 && [ "$(tail -n +2 par/joblog | wc -l)" -eq 4 ] && ok || bad "parallel resume"
else
    bad "GNU parallel is not installed (scripts/deps.sh installs it)"
fi
finish sweep
