#!/bin/sh
# `cmake --install` into a scratch prefix: the binary, data files, manual pages, completion and
# the systemd unit are there, and the installed heatbench works from anywhere, finding its plot
# templates and scenarios relative to itself (no source tree needed).
# usage: test_install.sh BUILD_DIR
BUILD=$1
. "$(dirname "$0")/lib.sh"

P="$TMP/prefix"
cmake --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1 || { bad "install: $(tail -5 "$TMP/install.log")"; }
for f in bin/heatbench share/heatbench/plots/temperatures.gp share/heatbench/scenarios/default.json \
    share/heatbench/scenarios/weather/winter-front.csv share/man/man1/heatbench.1.gz \
    share/man/man5/heatbench-scenario.5.gz share/man/man5/heatbench-config.5.gz \
    share/bash-completion/completions/heatbench \
    lib/systemd/system/heatbench-control.service share/doc/heatbench/LICENSE \
    share/doc/heatbench/copyright share/doc/heatbench/changelog.Debian.gz \
    etc/default/heatbench-control etc/heatbench/home.json; do
    [ -f "$P/$f" ] && ok || bad "installed: $f"
done
# Work from an unrelated directory with a scrubbed environment: only the prefix.
cd "$TMP"
env -i PATH="$P/bin:/usr/bin:/bin" heatbench run >"$TMP/run.out" 2>&1 && grep -q "^rmse" "$TMP/run.out" &&
    ok || bad "installed run: $(cat "$TMP/run.out")"
env -i PATH="$P/bin:/usr/bin:/bin" heatbench run cold-snap --hours 2 --report "$TMP/rep" >"$TMP/rep.out" 2>&1 &&
    [ -f "$TMP/rep/index.html" ] && ok || bad "installed run by name with a report: $(cat "$TMP/rep.out")"
env -i PATH="$P/bin:/usr/bin:/bin" heatbench check csv-weather >/dev/null 2>&1 && ok ||
    bad "a shipped scenario with a weather file, by name"
grep -q "^ExecStart=$P/bin/heatbench control" "$P/lib/systemd/system/heatbench-control.service" &&
    ok || bad "the unit names the installed binary"
grep -q "^EnvironmentFile=-$P/etc/default/heatbench-control" "$P/lib/systemd/system/heatbench-control.service" &&
    grep -q "^LoadCredential=heatbench:$P/etc/heatbench/credentials" "$P/lib/systemd/system/heatbench-control.service" &&
    [ -d "$P/etc/heatbench/credentials" ] && ok || bad "the unit names the installed settings and credentials"
env -i PATH="$P/bin:/usr/bin:/bin" heatbench control --config "$P/etc/heatbench/home.json" --check \
    >"$TMP/check.out" 2>&1 && ok || bad "the installed household config: $(cat "$TMP/check.out")"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify --man=no "$P/lib/systemd/system/heatbench-control.service" \
        >"$TMP/verify" 2>&1 && ok || bad "systemd-analyze verify: $(cat "$TMP/verify")"
fi
if command -v man >/dev/null; then
    for page in man1/heatbench.1.gz man5/heatbench-scenario.5.gz man5/heatbench-config.5.gz; do
        MANWIDTH=100 man -l "$P/share/man/$page" >"$TMP/man.txt" 2>"$TMP/man.err" &&
            [ ! -s "$TMP/man.err" ] && ok || bad "man $page: $(head -3 "$TMP/man.err")"
    done
    MANWIDTH=100 man -l "$P/share/man/man1/heatbench.1.gz" 2>/dev/null >"$TMP/man1.txt"
    for cmd in run check keys tune report control live; do
        grep -q "usage: heatbench $cmd" "$TMP/man1.txt" && ok || bad "heatbench(1) lacks $cmd"
    done
    # FILES and EXAMPLES name the files where this install put them, not /usr or /etc.
    for f in "$P/etc/default/heatbench-control" "$P/etc/heatbench/home.json" \
        "$P/etc/heatbench/credentials/" "$P/share/heatbench/scenarios" "^EXAMPLES"; do
        grep -q -- "$f" "$TMP/man1.txt" && ok || bad "heatbench(1) lacks $f"
    done
    MANWIDTH=300 man -l "$P/share/man/man5/heatbench-scenario.5.gz" 2>/dev/null |
        grep -q "$P/share/heatbench/scenarios" && ok || bad "heatbench-scenario(5) names another prefix"
    MANWIDTH=300 man -l "$P/share/man/man5/heatbench-config.5.gz" 2>/dev/null >"$TMP/man5.txt"
    grep -q "$P/etc/heatbench/home.json" "$TMP/man5.txt" && ok || bad "heatbench-config(5) names another prefix"
    # Its example is a valid config.
    sed -n '/^EXAMPLE/,/^       }$/p' "$TMP/man5.txt" | sed 1d >"$TMP/example.json"
    env -i PATH="$P/bin:/usr/bin:/bin" heatbench control --config "$TMP/example.json" --check \
        >"$TMP/check5.out" 2>&1 && ok || bad "heatbench-config(5)'s example: $(cat "$TMP/check5.out")"
fi
out=$(PATH="$P/bin:$PATH" bash -c '. "$1"; COMP_WORDS=(heatbench ru); COMP_CWORD=1; _heatbench
    echo "${COMPREPLY[*]}"; COMP_WORDS=(heatbench run cold); COMP_CWORD=2; _heatbench
    echo "${COMPREPLY[*]}"' _ "$P/share/bash-completion/completions/heatbench")
echo "$out" | head -1 | grep -qx run && ok || bad "completion of a command: $out"
echo "$out" | tail -1 | grep -q cold-snap && ok || bad "completion of a shipped scenario: $out"
out=$(PATH="$P/bin:$PATH" bash -c '. "$1"; for c in run control; do COMP_WORDS=(heatbench $c --controller pid-); COMP_CWORD=3; _heatbench
    echo "[${COMPREPLY[*]}]"; done' _ "$P/share/bash-completion/completions/heatbench")
[ "$(echo "$out" | head -1)" = "[pid-ff pid-os pid-ff-os]" ] && [ "$(echo "$out" | tail -1)" = "[]" ] && ok ||
    bad "completion of --controller (run offers the model-based ones, control does not): $out"

finish install
