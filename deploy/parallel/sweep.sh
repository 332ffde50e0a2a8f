#!/bin/bash
# A heatbench sweep over the machines of an ssh login file with GNU parallel: the sweep is cut
# into SHARDS shards, parallel runs one `heatbench sweep --shard I/SHARDS` per free slot on the
# hosts, keeps a job log, and a second call with the same arguments re-runs only the shards that
# failed or never ran (--resume-failed); each shard itself skips the runs its part file holds.
# Then the parts are merged and checked against the plan.
#
# usage: deploy/parallel/sweep.sh SWEEP.json OUTDIR [SHARDS]
#   SSHLOGINFILE  hosts, one per line (parallel's format: "8/user@host", ":" is this machine;
#                 default: deploy/parallel/sshloginfile beside this script)
#   HEATBENCH     the heatbench binary (default: heatbench on the PATH of each host)
# The sweep file, the scenarios it names and OUTDIR must be at the same path on every host (a
# shared filesystem); docs/sweep.md shows the variant that copies files with --transferfile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sweep=${1:?usage: sweep.sh SWEEP.json OUTDIR [SHARDS]}
out=${2:?usage: sweep.sh SWEEP.json OUTDIR [SHARDS]}
shards=${3:-8}
logins=${SSHLOGINFILE:-$here/sshloginfile}
hb=${HEATBENCH:-heatbench}
mkdir -p "$out"
sweep=$(cd "$(dirname "$sweep")" && pwd)/$(basename "$sweep")
out=$(cd "$out" && pwd)
# One thread per shard: parallel fills each host's slots with shards.
status=0
seq 1 "$shards" | parallel --sshloginfile "$logins" --joblog "$out/joblog" --resume-failed \
    --halt never "$hb" sweep "$sweep" --quiet --jobs 1 --shard "{}/$shards" \
    -o "$out/part-{}.jsonl" || status=$?
"$hb" sweep merge "$out"/part-*.jsonl --plan "$sweep" -o "$out/results.jsonl"
exit "$status"
