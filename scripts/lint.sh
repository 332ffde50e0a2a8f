#!/usr/bin/env bash
# Static checks: the project's conventions (scripts/lint_conventions.py: unique private names,
# callers of public functions, function length, creates), clang-format (no diff), clang-tidy
# (config in .clang-tidy) and cppcheck (options in .cppcheck) on every C file.
# Uses its own non-LTO build directory, since clang cannot read gcc's LTO flags.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 scripts/lint_conventions.py .
files=$(git ls-files '*.c' '*.h')
clang-format --dry-run --Werror $files
cmake -S . -B build-lint -DHEATBENCH_LTO=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
# One clang-tidy per core, a few files each: the serial run took most of the lint's time in CI.
# xargs exits non-zero when any of them found something.
git ls-files '*.c' | xargs -P "$(nproc)" -n 8 clang-tidy --quiet -p build-lint 2>/dev/null
# shellcheck disable=SC2046
cppcheck $(grep -v '^#' .cppcheck) util models controllers metrics engine sim scenario mqtt daemon live field tuning report sweep serve cli \
    bench tests fuzz
echo "lint: conventions, clang-format, clang-tidy and cppcheck clean"
