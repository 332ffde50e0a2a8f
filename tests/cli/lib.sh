# Shared helpers of the command-line tests (POSIX sh): a scratch directory removed at exit,
# pass/fail counters, and the closing line ctest and CI read.
# Usage: . "$(dirname "$0")/lib.sh"
set -u
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# finish NAME: the plain closing line "NAME: N passed, N failed", and the status.
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}
