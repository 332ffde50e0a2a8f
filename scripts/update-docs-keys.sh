#!/usr/bin/env bash
# Regenerates the key table of docs/scenarios.md from the schema (`heatbench keys`), between its
# keys:begin and keys:end markers. The cli test fails when the two differ.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/heatbench}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$bin" keys >"$tmp"
awk -v keys="$tmp" '
    /<!-- keys:begin -->/ { print; while ((getline line < keys) > 0) print line; skip = 1; next }
    /<!-- keys:end -->/ { skip = 0 }
    !skip { print }
' docs/scenarios.md >docs/scenarios.md.new
mv docs/scenarios.md.new docs/scenarios.md
