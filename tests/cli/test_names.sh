#!/bin/sh
# Names: `heatbench scenarios` lists every shipped scenario, one line each; a misspelt name gets
# "did you mean". Bash completion driven as bash would drive it, for the first word and for each subcommand:
# the commands are exactly those of `heatbench --help` (not the "heatbench" of its usage lines),
# every subcommand's options complete, and option values complete to their own words.
# usage: test_names.sh HEATBENCH SOURCE_DIR
HB=$1
SRC=$2
. "$(dirname "$0")/lib.sh"
C="$SRC/deploy/completion/heatbench.bash"
# complete WORDS...: the last word is the one being completed; prints COMPREPLY, sorted
complete_words() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _heatbench
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$C" "$@"
}
cmds=$(complete_words "$HB" "")
# The list of commands as written here, so that one gone from --help (and so from the
# completion) fails the test rather than passing silently.
all="check control identify keys live record report run scenarios serve sweep tune"
want="--help --version $all "
[ "$cmds" = "$want" ] && ok || bad "first word: [$cmds], expected [$want]"
for cmd in $all; do
    opts=$(complete_words "$HB" "$cmd" --)
    first=$("$HB" "$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]*' | head -1)
    echo "$opts" | grep -q -- "--help " && echo " $opts" | grep -q -- " ${first:---help} " && ok ||
        bad "$cmd --<TAB>: [$opts], expected --help and $first"
done
out=$(complete_words "$HB" run --rep)
[ "$out" = "--report " ] && ok || bad "run --rep<TAB>: [$out]"
out=$(complete_words "$HB" tune --live --rule "")
[ "$out" = "amigo no-overshoot simc tl zn " ] && ok || bad "tune --rule <TAB>: [$out]"
out=$(complete_words "$HB" control --log-format j)
[ "$out" = "journal " ] && ok || bad "control --log-format j<TAB>: [$out]"
out=$(complete_words "$HB" control --controller "")
[ "$out" = "bangbang pid " ] && ok || bad "control --controller <TAB>: [$out]"

# heatbench scenarios: every shipped one, one line each, no wider than 100 columns
"$HB" scenarios >"$TMP/list" 2>&1 && ok || bad "heatbench scenarios: $(cat "$TMP/list")"
for f in "$SRC"/scenarios/*.json; do
    n=$(basename "$f" .json)
    [ "$(grep -c "^$n " "$TMP/list")" = 1 ] && ok || bad "scenarios lists $n once"
done
[ "$(wc -l <"$TMP/list")" = "$(ls "$SRC"/scenarios/*.json | wc -l)" ] && ok || bad "one line per scenario"
[ "$(awk 'length($0) > 100' "$TMP/list")" = "" ] && ok || bad "a line wider than 100 columns"
"$HB" scenarios extra >/dev/null 2>&1
[ $? = 2 ] && ok || bad "scenarios with an argument: exit 2"
# did you mean
"$HB" run cold-snapp >"$TMP/out" 2>&1
[ $? = 2 ] && grep -q "did you mean 'cold-snap'" "$TMP/out" && ok || bad "run cold-snapp: $(cat "$TMP/out")"
"$HB" check nigth-setback >"$TMP/out" 2>&1
grep -q "did you mean 'night-setback'" "$TMP/out" && ok || bad "check nigth-setback: $(cat "$TMP/out")"
"$HB" run qqqqqqqq >"$TMP/out" 2>&1
grep -q "heatbench scenarios" "$TMP/out" && ! grep -q "did you mean" "$TMP/out" && ok ||
    bad "a name far from any: $(cat "$TMP/out")"
finish names
