#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
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
# The demo, run from the top of the source tree: the example catalogs
# against a new SQLite file. The catalog schema is read from the source
# tree, since nothing is installed.
export UPGRADE_SCHEMA=tasks/catalog.rng
DEMO_DB=$BUILD/demo.db
# Only run (not a dry run, not info) creates the database file.
DEMO_CMDS=(
    "$BUILD/upgrade -T tasks/examples list"
    "$BUILD/upgrade -T tasks/examples --database $DEMO_DB run -v"
    "$BUILD/upgrade --database $DEMO_DB info"
    "$BUILD/upgrade -T tasks/examples --database $DEMO_DB run --dry-run"
    "$BUILD/upgrade -T tasks/examples --database $DEMO_DB run"
    "$BUILD/upgrade -T tasks/examples --database $DEMO_DB status --all"
)
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
# A fresh database each time, so the demo always shows a first run.
run rm -f "$DEMO_DB" "$DEMO_DB.upgrade-lock"
for cmd in "${DEMO_CMDS[@]}"; do
    # shellcheck disable=SC2086  # each entry is a command line of plain words
    run $cmd
done
