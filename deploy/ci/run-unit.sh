#!/bin/bash
# Runs a systemd service unit's ExecStart= the way systemd would, on a machine where systemd is
# not PID 1 (a CI container): the unit's EnvironmentFile= (a leading '-' makes it optional) and
# Environment= lines, LoadCredential= (a file, or every file of a folder as ID_<file>) copied to
# a private $CREDENTIALS_DIRECTORY, StateDirectory= as $STATE_DIRECTORY, %d, and $VAR / ${VAR}
# in the command line with systemd's word rules ($VAR splits into words, ${VAR} is one word).
# Run as root, it drops to nobody like DynamicUser= does. NOTIFY_SOCKET is passed through, so a
# caller can watch for READY=1. This reads only the keys heatbench's unit uses; it does not
# pretend to be systemd (no sandboxing, no Restart=).
# usage: run-unit.sh UNIT_FILE STATE_ROOT       (STATE_ROOT: where var/lib/<StateDirectory> goes)
set -euo pipefail
unit=$1
root=$2
creds=$(mktemp -d)
trap 'rm -rf "$creds"' EXIT
declare -A env=()
exec_start=
state=
while IFS= read -r line; do
    case "$line" in
    EnvironmentFile=*)
        f=${line#EnvironmentFile=}
        optional=0
        [ "${f#-}" != "$f" ] && { optional=1; f=${f#-}; }
        if [ -r "$f" ]; then
            while IFS= read -r kv; do
                case "$kv" in '' | '#'* | ';'*) continue ;; esac
                env[${kv%%=*}]=${kv#*=}
            done <"$f"
        elif [ $optional = 0 ]; then
            echo "run-unit: EnvironmentFile $f missing" >&2
            exit 1
        fi
        ;;
    Environment=*)
        kv=${line#Environment=}
        env[${kv%%=*}]=${kv#*=}
        ;;
    LoadCredential=*)
        spec=${line#LoadCredential=}
        id=${spec%%:*}
        src=${spec#*:}
        if [ -d "$src" ]; then
            for f in "$src"/*; do
                [ -f "$f" ] && cp "$f" "$creds/${id}_$(basename "$f")"
            done
        else
            # systemd fails the unit when a credential file is missing: so do we.
            cp "$src" "$creds/$id" || exit 1
        fi
        ;;
    StateDirectory=*) state=$root/var/lib/${line#StateDirectory=} ;;
    ExecStart=*) exec_start=${line#ExecStart=} ;;
    esac
done <"$unit"
[ -n "$exec_start" ] || { echo "run-unit: no ExecStart= in $unit" >&2; exit 1; }
user=()
if [ "$(id -u)" = 0 ]; then
    user=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
    chown -R 65534:65534 "$creds"
fi
chmod 0500 "$creds"
env[CREDENTIALS_DIRECTORY]=$creds
if [ -n "$state" ]; then
    mkdir -p "$state"
    [ "$(id -u)" = 0 ] && chown 65534:65534 "$state"
    env[STATE_DIRECTORY]=$state
fi
for k in "${!env[@]}"; do
    env[$k]=${env[$k]//%d/$creds}
done
argv=()
for word in $exec_start; do
    if [[ $word =~ ^\$([A-Za-z_][A-Za-z0-9_]*)$ ]]; then
        # shellcheck disable=SC2206 # systemd splits $VAR at whitespace: so do we
        argv+=(${env[${BASH_REMATCH[1]}]:-})
        continue
    fi
    while [[ $word =~ \$\{([A-Za-z_][A-Za-z0-9_]*)\} ]]; do
        word=${word//"${BASH_REMATCH[0]}"/${env[${BASH_REMATCH[1]}]:-}}
    done
    argv+=("$word")
done
envv=(PATH=/usr/sbin:/usr/bin:/sbin:/bin)
[ -n "${NOTIFY_SOCKET:-}" ] && envv+=("NOTIFY_SOCKET=$NOTIFY_SOCKET")
for k in "${!env[@]}"; do
    envv+=("$k=${env[$k]}")
done
"${user[@]}" env -i "${envv[@]}" "${argv[@]}" &
child=$!
trap 'kill -TERM $child 2>/dev/null' TERM INT
wait $child || wait $child
