#!/bin/sh
# SPDX-License-Identifier: MIT
# context-bench.sh - add_column_with_defaults on a table of 1,000,000 rows
# against the hand-written ALTER TABLE + UPDATE (bench/context-bench), and
# the peak memory of the per-row function form at 100,000 and 1,000,000
# rows.  Run it with "make bench-context" after sourcing the env.sh of
# tests/testdb.sh (PostgreSQL and MariaDB come from there).
#
# Environment: BENCH (the built bench/context-bench); ROWS (1000000), REPS
# (3, the median is shown), ENGINES ("sqlite pg mariadb").
set -eu
: "${BENCH:?}"
ROWS=${ROWS:-1000000}
REPS=${REPS:-3}
ENGINES=${ENGINES:-sqlite pg mariadb}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# one ENGINE ROWS MODE: runs REPS times, prints "mode median-seconds rss-before rss-after".
one() {
	times=""
	for _ in $(seq "$REPS"); do
		line=$("$BENCH" "$1" "$2" "$3")
		times="$times $(echo "$line" | cut -d' ' -f4)"
		rss="$(echo "$line" | cut -d' ' -f5-6)"
	done
	printf '%-14s %8s s   peak RSS before/after: %s KiB\n' "$3" \
		"$(echo $times | tr ' ' '\n' | median)" "$rss"
}

for engine in $ENGINES; do
	if [ "$engine" = pg ] && [ -z "${UPGRADE_TEST_PG:-}" ]; then echo "pg: UPGRADE_TEST_PG not set"; continue; fi
	if [ "$engine" = mariadb ] && [ -z "${UPGRADE_TEST_MARIADB:-}" ]; then echo "mariadb: UPGRADE_TEST_MARIADB not set"; continue; fi
	echo "== $engine, $ROWS rows, median of $REPS"
	for mode in hand-const ctx-const hand-expr ctx-expr ctx-const-nn ctx-expr-nn; do
		one "$engine" "$ROWS" "$mode"
	done
	echo "== $engine, per-row function, one run each"
	for rows in 100000 1000000; do
		REPS=1 one "$engine" "$rows" ctx-fn | sed "s/^/$rows rows: /"
	done
done
