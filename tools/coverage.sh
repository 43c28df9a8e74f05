#!/bin/sh
# SPDX-License-Identifier: MIT
# Line coverage of the kernel's generic code (kernel/*.c, not kernel/arch) by its unit tests:
# configures BUILD_DIR as a host build with -DUS_COVERAGE=ON (gcov instrumentation), builds
# and runs the tests labelled `kernel`, and prints a per-file table and the total (gcovr).
# Usage: tools/coverage.sh BUILD_DIR [DEPS_DIR]
# DEPS_DIR: the deps/ of a configured host build (tools/setup-deps.sh), linked as BUILD_DIR/deps
# when that does not exist. The `coverage` target of a host build runs it on BUILD/coverage.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: tools/coverage.sh BUILD_DIR [DEPS_DIR]}
jobs=${US_JOBS:-2}

if ! command -v gcovr >/dev/null 2>&1; then
    echo "coverage: gcovr missing (tools/setup-deps.sh installs it)" >&2
    exit 1
fi
mkdir -p "$build"
if [ ! -e "$build/deps" ] && [ -n "${2:-}" ]; then
    ln -s "$(cd "$2" && pwd)" "$build/deps"
fi
cmake -S "$src" -B "$build" -DUS_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" --target unit_kernel -j "$jobs" >/dev/null
# Counts from an earlier run would add up with this one's.
find "$build" -name '*.gcda' -delete
ctest --test-dir "$build" -L kernel -j "$jobs" --output-on-failure >"$build/coverage-ctest.log" ||
    { cat "$build/coverage-ctest.log"; exit 1; }
grep "tests passed" "$build/coverage-ctest.log"
# Search only this build: other build trees under the source tree have .gcda files too.
gcovr --root "$src" --object-directory "$build" --filter "$src/kernel/[^/]*\.c$" "$build"
