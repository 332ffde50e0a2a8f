#!/bin/sh
# heatbench sweep as a Slurm array job on a real single-node Slurm that the test starts: munged,
# slurmctld and slurmd with a configuration written into a scratch directory (SlurmUser=root,
# proctrack/linuxproc, task/none: no cgroups, no accounting database), on free ports. The
# shipped example sweep (sweeps/example.json, 270 runs) runs as deploy/slurm/sweep.sbatch in 4
# array tasks; the merged parts must equal the local sweep line for line but wall_s. Everything started is stopped at exit.
# Needs root (the daemons run as root here) and slurm-wlm + munge: else it exits 77 (skipped).
# usage: test_slurm.sh HEATBENCH SOURCE_DIR
HB=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
. "$SRC/tests/cli/lib.sh"
. "$SRC/tests/sweep/lib.sh"
# A free port, the way tests/live/lib.sh picks one (that file starts a broker when sourced).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
if [ "$(id -u)" -ne 0 ]; then
    echo "sweep.slurm: skipped: the single-node Slurm of this test runs as root"
    exit 77
fi
for b in munged mungekey slurmctld slurmd sbatch squeue sinfo; do
    command -v $b >/dev/null || PATH=$PATH:/usr/sbin
    command -v $b >/dev/null || { echo "sweep.slurm: skipped: $b missing (scripts/deps.sh installs slurm-wlm and munge)"; exit 77; }
done
export HEATBENCH_DATADIR="$SRC"
chmod 755 "$TMP"
cd "$TMP" || exit 2
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- munge ------------------------------------------------------------------------------------
mkdir -p munge state spool work
chmod 700 munge
mungekey --create --keyfile=munge/munge.key 2>/dev/null || dd if=/dev/urandom of=munge/munge.key bs=1024 count=1 2>/dev/null
chmod 400 munge/munge.key
munged --foreground --force --key-file="$TMP/munge/munge.key" --socket="$TMP/munge/munge.sock" \
    --pid-file="$TMP/munge/munged.pid" --log-file="$TMP/munge/munged.log" \
    --seed-file="$TMP/munge/munged.seed" 2>munge/stderr &
pids="$pids $!"
i=0
while [ ! -S munge/munge.sock ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
[ -S munge/munge.sock ] && ok || { bad "munged did not start: $(cat munge/stderr munge/munged.log 2>/dev/null)"; finish sweep.slurm; exit 1; }

# ---- slurm -------------------------------------------------------------------------------------
host=$(hostname -s)
cports=$(free_port)
dport=$(free_port)
while [ "$dport" = "$cports" ]; do dport=$(free_port); done
cat >slurm.conf <<CONF
ClusterName=hbtest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$cports
SlurmdPort=$dport
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TMP/munge/munge.sock
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$TMP/jobcomp.txt
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$TMP/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >slurmctld.out 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" -N "$host" >slurmd.out 2>&1 &
pids="$pids $!"
i=0
while ! sinfo -h -o %T 2>/dev/null | grep -q idle && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
if sinfo -h -o %T | grep -q idle; then ok; else
    bad "the Slurm node did not come up: $(sinfo 2>&1; tail -5 slurmctld.log slurmd.log slurmctld.out slurmd.out 2>/dev/null)"
    finish sweep.slurm
    exit 1
fi

# ---- the sweep as an array job -------------------------------------------------------------------
cp "$SRC/sweeps/example.json" sweep.json
"$HB" sweep sweep.json -q -o local.jsonl && "$HB" sweep merge local.jsonl -o local.sorted.jsonl 2>/dev/null ||
    bad "local sweep"
job=$(sbatch --parsable --array=1-4 --chdir="$TMP/work" --export=ALL,HEATBENCH="$HB" \
    "$SRC/deploy/slurm/sweep.sbatch" "$TMP/sweep.json" "$TMP/parts" 2>sbatch.err)
[ -n "$job" ] && ok || bad "sbatch: $(cat sbatch.err)"
# Done when the completion log holds the 4 tasks and the queue is empty (events of Slurm's own).
i=0
while [ $i -lt 2400 ]; do
    n=$(cat jobcomp.txt 2>/dev/null | grep -c "JobId=")
    [ "$n" -ge 4 ] && [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
    sleep 0.1
    i=$((i + 1))
done
grep -c "JobState=COMPLETED" jobcomp.txt 2>/dev/null | grep -qx 4 && ok ||
    bad "array tasks: $(cat jobcomp.txt 2>/dev/null; cat work/*.log 2>/dev/null | tail -5)"
[ "$(ls parts/part-*.jsonl 2>/dev/null | wc -l)" -eq 4 ] && ok || bad "parts: $(ls parts)"
"$HB" sweep merge parts/part-*.jsonl --plan sweep.json -o slurm.jsonl 2>merge.err && ok ||
    bad "merge of the Slurm parts: $(cat merge.err)"
[ "$(wc -l <slurm.jsonl)" -eq 270 ] && ok || bad "Slurm: not 270 results"
same_results local.sorted.jsonl slurm.jsonl "Slurm array job"
finish sweep.slurm
