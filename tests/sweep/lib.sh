# Helpers of the sweep tests (POSIX sh), sourced after tests/cli/lib.sh.
# small_sweep FILE: a reduced sweeps/example.json (3 scenarios x 3 controllers x 2 seeds x a
# 2-value UA grid, 2 h runs: 36 runs, a few seconds).
small_sweep() {
    cat >"$1" <<'JSON'
{
  "name": "test",
  "scenarios": ["default", "cold-snap", "leaky-old-room"],
  "controllers": ["pid", "bangbang", "mpc"],
  "seeds": {"from": 1, "to": 2},
  "hours": 2,
  "grid": {"room.ua_w_per_k": [25, 45]}
}
JSON
}
# strip_wall FILE: the results without the wall time, the one field that may differ.
strip_wall() {
    sed -E 's/,"wall_s":[0-9.eE+-]+\}$/}/' "$1"
}
# same_results A B WHAT: A and B equal line for line but wall_s.
same_results() {
    strip_wall "$1" >"$TMP/a.cmp"
    strip_wall "$2" >"$TMP/b.cmp"
    if [ -s "$TMP/a.cmp" ] && cmp -s "$TMP/a.cmp" "$TMP/b.cmp"; then ok; else
        bad "$3: results differ from the local sweep"
        diff "$TMP/a.cmp" "$TMP/b.cmp" | head -5
    fi
}
