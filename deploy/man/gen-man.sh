#!/bin/sh
# Writes the manual pages of a built heatbench into OUTDIR: heatbench(1) from the --help text of
# every command (so the page cannot drift from the program), heatbench-scenario(5) from the
# scenario schema (`heatbench keys --man`, like docs/scenarios.md) and heatbench-config(5), the
# household config of `heatbench control --config`. The files they name are where this build
# installs them: DATADIR (e.g. /usr/share) and SYSCONFDIR (/etc for the /usr prefix, else
# PREFIX/etc), as CMakeLists.txt passes them.
# usage: gen-man.sh HEATBENCH OUTDIR [DATADIR [SYSCONFDIR]]
set -eu
hb=$1
out=$2
data=${3:-/usr/share}/heatbench
etc=${4:-/etc}
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
    printf '.TP\n.I %s/scenarios\nthe shipped scenarios, usable by name (\\fBheatbench scenarios\\fR lists them)\n' "$data"
    printf '.TP\n.I %s/sweeps\nexample sweeps\n' "$data"
    printf '.TP\n.I %s/plots\nthe gnuplot templates of reports\n' "$data"
    printf '.TP\n.I %s/default/heatbench\-control\n' "$etc"
    printf 'settings of the heatbench\-control service: the broker (HEATBENCH_MQTT_HOST, _PORT,\n'
    printf '_USERNAME) and the options of \\fBheatbench control\\fR (HEATBENCH_CONTROL_ARGS)\n'
    printf '.TP\n.I %s/heatbench/home.json\n' "$etc"
    printf 'an example household config (each room'"'"'s schedule, presets, limits and sensors), used\n'
    printf 'once named by \\-\\-config in HEATBENCH_CONTROL_ARGS; see \\fBheatbench\\-config\\fR(5)\n'
    printf '.TP\n.I %s/heatbench/credentials/\n' "$etc"
    printf 'the service'"'"'s secrets, one file each, mode 0600: \\fImqtt\\-password\\fR (the broker\n'
    printf 'password) and \\fIpair\\-key\\fR (the shared key of a pair, needed with \\-\\-standby);\n'
    printf 'handed over as systemd credentials, each optional\n'
    printf '.TP\n.I /var/lib/heatbench/state.json\n'
    printf 'each room'"'"'s saved state (level, integral, mode, preset) under the service, so a restart\n'
    printf 'is bumpless (systemd'"'"'s StateDirectory; with its dynamic user, in /var/lib/private)\n'
    printf '.SH EXAMPLES\n'
    # ex TEXT COMMAND...: a sentence, then the commands as a literal block (troff-escaped).
    ex() {
        printf '.PP\n%s\n.PP\n.RS\n.nf\n' "$1"
        shift
        printf '%s\n' "$@" | troff
        printf '.fi\n.RE\n'
    }
    ex 'Simulate the default room for a day with the PID controller and print its KPIs:' \
        'heatbench run --controller pid'
    ex 'List the shipped scenarios, then run one by name and write a report of plots:' \
        'heatbench scenarios' 'heatbench run cold-snap --report cold-snap-report'
    ex 'Tune the PID gains of a room against its scenario:' 'heatbench tune cold-snap'
    ex 'The daemon with a household config, and a simulated room beside it, both 360 times faster than real time (a local broker, e.g. mosquitto, must be running):' \
        "heatbench control --config $etc/heatbench/home.json --speed 360 &" \
        'heatbench live --speed 360 --hours 2'
    ex 'Check an edited household config, then have the service load it without a bump:' \
        "heatbench control --check --config $etc/heatbench/home.json" \
        'systemctl reload heatbench-control'
    printf '.SH ENVIRONMENT\n'
    printf '.TP\n.B HEATBENCH_MQTT_HOST, _PORT, _CLIENT_ID, _USERNAME, _PASSWORD, _PASSWORD_FILE, _CAFILE, _CERT, _KEY, _KEEPALIVE\n'
    printf 'connection settings of control and live (options override them)\n'
    printf '.TP\n.B HEATBENCH_DATADIR, HEATBENCH_PLOTS, HEATBENCH_SCENARIOS\n'
    printf 'where the data files are, instead of next to the binary\n'
    printf '.SH SEE ALSO\n.BR heatbench\\-scenario (5),\n.BR heatbench\\-config (5),\n.BR mosquitto (8)\n'
} >"$out/heatbench.1"
# The scenario page names the shipped scenarios' folder as the program would find it installed.
"$hb" keys --man | sed "s|/usr/share/heatbench|$data|g" >"$out/heatbench-scenario.5"
sed -e "s|@VERSION@|$ver|g" -e "s|@DATA@|$data|g" -e "s|@ETC@|$etc|g" \
    "$(dirname "$0")/heatbench-config.5.in" >"$out/heatbench-config.5"
