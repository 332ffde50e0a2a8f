#!/bin/sh
# Writes the manual pages of a built heatbench into OUTDIR: heatbench(1) from the --help text of
# every command (so the page cannot drift from the program) and heatbench-scenario(5) from the
# scenario schema (`heatbench keys --man`, like docs/scenarios.md).
# usage: gen-man.sh HEATBENCH OUTDIR
set -eu
hb=$1
out=$2
mkdir -p "$out"
ver=$("$hb" --version | sed 's/^heatbench //')
# troff: escape backslashes and minus signs; protect lines that start with . or '
troff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
{
    printf '.TH HEATBENCH 1 "" "heatbench %s" "User Commands"\n' "$ver"
    printf '.SH NAME\nheatbench \\- design, test, tune and deploy a room-heating controller\n'
    printf '.SH SYNOPSIS\n.B heatbench\n.I command\n[\n.I options\n]\n'
    printf '.SH DESCRIPTION\n'
    printf 'A workbench for room-heating control: a deterministic simulation of a room over a\n'
    printf 'day, controllers in the loop, KPIs, PID tuning, gnuplot reports, and the MQTT\n'
    printf 'controller daemon that runs the very same controller in production.\n'
    printf 'Exit status: 0 success, 1 run\\-time failure, 2 bad usage or bad input.\n'
    printf '.SH COMMANDS\n.nf\n'
    "$hb" --help | troff
    printf '.fi\n'
    for cmd in run check keys tune identify record report sweep control live serve; do
        printf '.SH "heatbench %s"\n.nf\n' "$cmd"
        "$hb" "$cmd" --help | troff
        printf '.fi\n'
    done
    printf '.SH FILES\n'
    printf '.TP\n.I /usr/share/heatbench/scenarios\nthe shipped scenarios, usable by name\n'
    printf '.TP\n.I /usr/share/heatbench/plots\nthe gnuplot templates of reports\n'
    printf '.SH ENVIRONMENT\n'
    printf '.TP\n.B HEATBENCH_MQTT_HOST, _PORT, _CLIENT_ID, _USERNAME, _PASSWORD, _PASSWORD_FILE, _CAFILE, _CERT, _KEY, _KEEPALIVE\n'
    printf 'connection settings of control and live (options override them)\n'
    printf '.TP\n.B HEATBENCH_DATADIR, HEATBENCH_PLOTS, HEATBENCH_SCENARIOS\n'
    printf 'where the data files are, instead of next to the binary\n'
    printf '.SH SEE ALSO\n.BR heatbench\\-scenario (5),\n.BR mosquitto (8)\n'
} >"$out/heatbench.1"
"$hb" keys --man >"$out/heatbench-scenario.5"
