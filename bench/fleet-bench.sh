#!/bin/sh
# SPDX-License-Identifier: MIT
# fleet-bench.sh - `upgrade run --targets`: a fleet of three servers
# (PostgreSQL, MariaDB, a second PostgreSQL on another port) with SCHEMAS
# schemas each, upgraded in one run with -j 1 and -j 8: the time of a run
# that applies TASKS new tasks in every schema, and of a run with nothing
# to do.  The figures of the fleet section of bench/README.md come from one
# run of this script; run it with "make bench-fleet".
#
# Environment: UPGRADE (the built upgrade), top_srcdir; UPGRADE_SCHEMA
# (default: the source tree's catalog.rng).  The servers are its own: two
# tests/testdb.sh instances (the first one's PostgreSQL and MariaDB, the
# second one's PostgreSQL), stopped at the end.
# Knobs: SCHEMAS (per server, default 100), TASKS (default 5), REPEAT
# (runs per figure, the median is kept; default 3), JOBS (default "1 8").
set -eu
: "${UPGRADE:?}" "${top_srcdir:?}"
UPGRADE_SCHEMA=${UPGRADE_SCHEMA:-$top_srcdir/tasks/catalog.rng}
export UPGRADE_SCHEMA
SCHEMAS=${SCHEMAS:-100}
TASKS=${TASKS:-5}
REPEAT=${REPEAT:-3}
JOBS=${JOBS:-1 8}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fleet-bench.XXXXXX")
cleanup() {
	for d in a b; do
		[ ! -d "$tmp/$d" ] || bash "$top_srcdir/tests/testdb.sh" stop "$tmp/$d" >/dev/null 2>&1 || :
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$tmp" # the postgres user must reach its directory below it

echo "starting two throw-away server pairs with tests/testdb.sh" >&2
bash "$top_srcdir/tests/testdb.sh" start "$tmp/a" >/dev/null
bash "$top_srcdir/tests/testdb.sh" start "$tmp/b" >/dev/null
# The second instance's PostgreSQL, then the first's (whose env.sh stays for ODBCSYSINI).
# shellcheck disable=SC1091
. "$tmp/b/env.sh"
pg2=$UPGRADE_TEST_PG
pg2_admin=$UPGRADE_TEST_PG_ADMIN
# shellcheck disable=SC1091
. "$tmp/a/env.sh"

# The catalog: one module; v1 has one task (recorded by the first run's
# baseline), v2 adds TASKS tasks, each a table and a row.
mkdir -p "$tmp/v1" "$tmp/v2"
NS='xmlns="urn:upgrade:catalog:1"'
first="<task name=\"T0\"><sql>CREATE TABLE t0 (id INTEGER)</sql></task>"
printf '<module %s name="bench">%s</module>\n' "$NS" "$first" >"$tmp/v1/bench.xml"
{
	printf '<module %s name="bench">%s' "$NS" "$first"
	i=1
	while [ "$i" -le "$TASKS" ]; do
		printf '<task name="T%d"><sql>CREATE TABLE t%d (id INTEGER, name VARCHAR(40))</sql><sql>INSERT INTO t%d VALUES (%d, '"'"'x'"'"')</sql></task>' \
			"$i" "$i" "$i" "$i"
		i=$((i + 1))
	done
	printf '</module>\n'
} >"$tmp/v2/bench.xml"

cat >"$tmp/fleet.targets" <<EOF
pg      --connect "$UPGRADE_TEST_PG" --schemas 'fbench_*'
mariadb --connect "$UPGRADE_TEST_MARIADB" --schemas 'fbench_*'
pg2     --connect "$pg2" --schemas 'fbench_*'
EOF

# Drops and creates the SCHEMAS schemas (databases on MariaDB) of every server.
reset_schemas() {
	pgsql=
	mysql=
	i=1
	while [ "$i" -le "$SCHEMAS" ]; do
		s=$(printf 'fbench_%03d' "$i")
		pgsql="$pgsql DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s AUTHORIZATION upgrade;"
		mysql="$mysql DROP DATABASE IF EXISTS $s; CREATE DATABASE $s;"
		i=$((i + 1))
	done
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' -c "$pgsql" >/dev/null
	$pg2_admin -c 'SET client_min_messages = warning' -c "$pgsql" >/dev/null
	$UPGRADE_TEST_MARIADB_ADMIN -e "$mysql" >/dev/null
}

# ms CMD...: runs it, prints its wall time in milliseconds; fails the bench if it fails.
ms() {
	t0=$(date +%s%N)
	if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "fleet-bench: failed: $*" >&2
		cat "$tmp/err" >&2
		exit 1
	fi
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

load=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "fleet: 3 servers x $SCHEMAS schemas, $TASKS new tasks each ($((3 * SCHEMAS * TASKS)) tasks), median of $REPEAT; load $load" >&2
printf '| run | -j | median ms | runs (ms) | per schema ms |\n|---|---|---|---|---|\n'
for j in $JOBS; do
	apply=
	nothing=
	r=1
	while [ "$r" -le "$REPEAT" ]; do
		reset_schemas
		ms "$UPGRADE" -q -T "$tmp/v1" run --targets "$tmp/fleet.targets" -j 8 >/dev/null
		apply="$apply $(ms "$UPGRADE" --format json -T "$tmp/v2" run --targets "$tmp/fleet.targets" -j "$j")"
		# Each target's own time, from its target_done object.
		for t in pg mariadb pg2; do
			d=$(sed -n 's/^{"type":"target_done","target":"'$t'",.*"duration_ms":\([0-9]*\)}$/\1/p' "$tmp/out")
			eval "td_$t=\"\${td_$t:-} $d\""
		done
		n=$($UPGRADE_TEST_MARIADB_ADMIN -N -B -e "SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE 'fbench\\_%' AND table_name = 't$TASKS'")
		[ "$n" = "$SCHEMAS" ] || { echo "fleet-bench: MariaDB has t$TASKS in $n schemas, not $SCHEMAS" >&2; exit 1; }
		nothing="$nothing $(ms "$UPGRADE" -q -T "$tmp/v2" run --targets "$tmp/fleet.targets" -j "$j")"
		r=$((r + 1))
	done
	m=$(echo "$apply" | median)
	printf '| apply %d tasks in each of %d schemas | %d | %d |%s | %s |\n' "$TASKS" $((3 * SCHEMAS)) "$j" "$m" "$apply" \
		"$(awk -v m="$m" -v n=$((3 * SCHEMAS)) 'BEGIN { printf "%.1f", m / n }')"
	per=
	for t in pg mariadb pg2; do
		eval "v=\$td_$t"
		per="$per $t $(echo "$v" | median),"
		eval "td_$t="
	done
	echo "-j $j: each target's time applying, median ms:${per%,}" >&2
	m=$(echo "$nothing" | median)
	printf '| nothing to do in %d schemas | %d | %d |%s | %s |\n' $((3 * SCHEMAS)) "$j" "$m" "$nothing" \
		"$(awk -v m="$m" -v n=$((3 * SCHEMAS)) 'BEGIN { printf "%.1f", m / n }')"
done
echo "load after: $(cut -d ' ' -f 1-3 /proc/loadavg)" >&2
