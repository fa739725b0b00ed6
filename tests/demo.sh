#!/usr/bin/env bash
# demo.sh - the quickest way to see upgrade work: installs the build
# dependencies, builds in _build/demo and runs the built program against an
# SQLite database file, _build/demo/demo.db. No database server is needed.
#
#   tests/demo.sh
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

BUILD=_build/demo

# ======================================================================
# The demo command, run from the top of the source tree. Change it here.
DEMO_CMD=("$BUILD/upgrade" --database "$BUILD/demo.db" info)
# ======================================================================

# Shows each command before running it, so the demo doubles as a how-to.
run() {
    printf '+'
    printf ' %q' "$@"
    printf '\n'
    "$@"
}

run tests/deps.sh build
run autoreconf -fi
run mkdir -p "$BUILD"
# Configure from inside the build directory: an out-of-tree build keeps the
# source tree clean.
(
    run cd "$BUILD"
    run ../../configure --quiet
)
run make -C "$BUILD" -j2
run "${DEMO_CMD[@]}"
