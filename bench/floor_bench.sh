#!/usr/bin/env bash
# Whole-process `heatbench run` times from a cold start (a fresh HOME, nothing cached), energy
# floor included: the default day, a week, 337 h and a year; medians of RUNS runs of the wall
# clock and of the CPU time (user + sys, which the machine's load moves less), in ms. Compare
# builds run alternately.
# usage: bench/floor_bench.sh [HEATBENCH] [RUNS]   (default build/heatbench, 7)
set -euo pipefail
cd "$(dirname "$0")/.."
HB=${1:-build/heatbench}
RUNS=${2:-7}
python3 - "$HB" "$RUNS" <<'PY'
import os, resource, statistics, subprocess, sys, tempfile, time
hb, runs = sys.argv[1], int(sys.argv[2])
cases = [("default day", []), ("away-week (168 h)", ["scenarios/away-week.json"]),
         ("default, 337 h", ["--hours", "337"]),
         ("default, a year (8760 h)", ["--hours", "8760", "--kpi-interval", "8760"])]
print("| run (whole process, floor included) | wall median | CPU median |")
print("|---|---|---|")
for label, args in cases:
    wall, cpu = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as home:
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([hb, "run", *args], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, HOME=home))
            wall.append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    print(f"| {label} | {1e3 * statistics.median(wall):.1f} ms | "
          f"{1e3 * statistics.median(cpu):.1f} ms |", flush=True)
PY
