#!/usr/bin/env bash
# Wall time of `heatbench tune` on the default scenario (all methods, <= 300 evaluations),
# median of 5 runs. Target: <= 10 s on this 2-core machine.
# usage: bench/bench_tune.sh [HEATBENCH]
set -euo pipefail
HB=${1:-build/heatbench}
times=()
for _ in 1 2 3 4 5; do
    t0=$(date +%s.%N)
    "$HB" tune --evals 300 >/dev/null
    t1=$(date +%s.%N)
    times+=("$(python3 -c "print($t1 - $t0)")")
done
python3 - "${times[@]}" <<'PY'
import statistics, sys
t = sorted(float(x) for x in sys.argv[1:])
print(f"bench_tune: heatbench tune (default scenario, all methods, <= 300 evaluations): "
      f"median {statistics.median(t):.2f} s, min {t[0]:.2f} s, max {t[-1]:.2f} s over {len(t)} runs "
      f"(target <= 10 s)")
PY
