#!/bin/sh
# SPDX-License-Identifier: MIT
# floor-bench.sh - the runner against the right floor, side by side in one
# run: raw SQL with the least durable record a runner must keep (each
# task's statement plus one INSERT of its id, one transaction a task),
# sent by the engine's own client (sqlite3, psql) and by a plain ODBC
# program through the same driver (runner-bench odbc -t), against
# "upgrade run" applying the same tasks on a fresh database; N tasks in one
# module; a run with nothing to do against a process that only connects;
# "upgrade validate" of 10,000 tasks; the per-row fill; peak RSS; on
# PostgreSQL also the plain program's transactions sent in one or two
# round trips instead of three (runner-bench odbc -1, -2).  Each
# comparison alternates its runs and takes medians.  Run it with
# "make bench-floor"; the figures of bench/README.md's floor section come
# from one run.
#
# Environment: BENCH (bench/runner-bench), CATALOG_BENCH, CONTEXT_BENCH,
# UPGRADE, top_srcdir; the servers of tests/testdb.sh (env.sh sourced), or
# none: then throw-away ones are started.  Knobs: REPEAT (default 3),
# SIZES (default "200 1000 5000"), FILL_ROWS (default "100000 1000000"),
# NOOP_RUNS (default 31, the runs of each no-op figure).
set -eu
: "${BENCH:?}" "${CATALOG_BENCH:?}" "${CONTEXT_BENCH:?}" "${UPGRADE:?}" "${top_srcdir:?}"
UPGRADE_SCHEMA=${UPGRADE_SCHEMA:-$top_srcdir/tasks/catalog.rng}
export UPGRADE_SCHEMA
REPEAT=${REPEAT:-3}
SIZES=${SIZES:-200 1000 5000}
FILL_ROWS=${FILL_ROWS:-100000 1000000}
# A no-op is 5-30 ms: its figure moves with the machine by more than the
# target's margin, so it takes more runs than the rest, and shows the spread.
NOOP_RUNS=${NOOP_RUNS:-31}

# The command itself where UPGRADE is libtool's wrapper script in a build
# tree: a shell's start (about 20 ms) would be most of a no-op's figure.
if [ "$(head -c 2 "$UPGRADE")" = '#!' ] && [ -x "$(dirname "$UPGRADE")/.libs/upgrade" ]; then
	LD_LIBRARY_PATH=$(dirname "$UPGRADE")/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
	export LD_LIBRARY_PATH
	UPGRADE=$(dirname "$UPGRADE")/.libs/upgrade
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/floor-bench.XXXXXX")
own_servers=
cleanup() {
	[ -z "$own_servers" ] || bash "$top_srcdir/tests/testdb.sh" stop "$tmp/db" >/dev/null 2>&1 || :
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Each process builds its catalog cache afresh: the no-op figure below is
# taken with one, as users get it, and said so.
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME

if [ -z "${UPGRADE_TEST_PG:-}" ] || [ -z "${UPGRADE_TEST_PG_ADMIN:-}" ]; then
	echo "starting throw-away servers with tests/testdb.sh" >&2
	own_servers=1
	chmod 755 "$tmp"
	bash "$top_srcdir/tests/testdb.sh" start "$tmp/db" >/dev/null
	# shellcheck disable=SC1091
	. "$tmp/db/env.sh"
fi

say() { printf '%s\n' "$*"; }
field() { printf '%s\n' "$2" | sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p"; }
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
		if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# quartiles NAME: "p25-p75" of the samples, the spread a median hides.
quartiles() {
	sort -n "$tmp/samples.$1" | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
		printf "%.1f-%.1f\n", v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# timed CMD...: runs CMD under "runner-bench time"; T is its time line.
timed() {
	if ! "$BENCH" time "$@" >"$tmp/out" 2>"$tmp/err"; then
		cat "$tmp/out" "$tmp/err" >&2
		echo "floor-bench.sh: failed: $*" >&2
		exit 1
	fi
	T=$(grep '^time:' "$tmp/err")
}
record() { echo "$2" >>"$tmp/samples.$1"; }
med() { median <"$tmp/samples.$1"; }

pg_admin() { $UPGRADE_TEST_PG_ADMIN -c "SET client_min_messages = warning" "$@"; }
connval() { printf '%s\n' "$UPGRADE_TEST_PG" | tr ';' '\n' | sed -n "s/^$1=//Ip" | head -n 1; }
pg_user=$(connval Uid)
psql_bin=${UPGRADE_TEST_PG_ADMIN%% *}
# psql as the test user over TCP, as a program (runner-bench time runs programs).
cat >"$tmp/psql-user" <<EOF_PSQL
#!/bin/sh
PGPASSWORD='$UPGRADE_TEST_PASSWORD' exec '$psql_bin' -X -q -v ON_ERROR_STOP=1 -h '$(connval Server)' \\
	-p '$(connval Port)' -U '$pg_user' -d '$(connval Database)' "\$@"
EOF_PSQL
chmod 700 "$tmp/psql-user"
psql_user() { "$tmp/psql-user" "$@"; }
# The plain program talks to psqlODBC as the runner does: native
# transaction semantics (drivers/postgresql.c appends the same Protocol
# unless the string has one), not the driver's savepoint per statement.
case ";$UPGRADE_TEST_PG" in
*";Protocol="* | *";A1="*) pg_plain=$UPGRADE_TEST_PG ;;
*) pg_plain="$UPGRADE_TEST_PG;Protocol=7.4-0" ;;
esac

say "floor benchmark: $REPEAT runs per figure, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v dbmate >/dev/null 2>&1; then
	say "dbmate: $(command -v dbmate) is installed, but this script does not drive it yet"
else
	say "dbmate: not installed (it is not in Debian); its figures are in the runner section"
fi
say ""

# ---- applying N tasks ---------------------------------------------------------

# floor FILE-IN PSQL-OUT ODBC-OUT: each statement, then the record of its task.
floor() {
	awk -v psql="$2" -v odbc="$3" '{
		id = sprintf("t%04d", NR)
		printf "BEGIN;\n%s;\nINSERT INTO floor_record (task) VALUES (\047%s\047);\nCOMMIT;\n", $0, id >psql
		printf "%s\nINSERT INTO floor_record (task) VALUES (\047%s\047)\n\n", $0, id >odbc
	}' "$1"
}
setup_sql="CREATE TABLE bench_rows (id INTEGER); CREATE TABLE floor_record (task VARCHAR(64) PRIMARY KEY)"
db=$tmp/bench.db
cs=$("$BENCH" connstr "$db")
sqlite_fresh() {
	rm -f "$db" "$db.upgrade-lock" "$db-journal"
	sqlite3 "$db" "$setup_sql"
}
pg_fresh() {
	pg_admin -c "DROP SCHEMA IF EXISTS fbench CASCADE" -c "CREATE SCHEMA fbench AUTHORIZATION \"$pg_user\"" >/dev/null
	psql_user -c "SET search_path TO fbench; $setup_sql" >/dev/null
}

say "1. Applying N tasks in one module, one transaction each (process wall time, ms; medians)"
say ""
say "| engine | N | engine's client | plain ODBC | upgrade run | / client | / ODBC | RSS ODBC | RSS upgrade |"
say "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
mkdir "$tmp/c0"
"$BENCH" gen "$tmp/c0" 0 insert
for n in $SIZES; do
	rm -rf "$tmp/cN" && mkdir "$tmp/cN"
	"$BENCH" gen "$tmp/cN" "$n" insert
	"$BENCH" sql "$tmp/stmts.sql" 1 "$n" insert
	floor "$tmp/stmts.sql" "$tmp/floor.psql" "$tmp/floor.odbc"
	printf 'SET search_path TO fbench;\n' | cat - "$tmp/floor.psql" >"$tmp/floor.pg.psql"
	for eng in sqlite pg; do
		i=0
		while [ "$i" -lt "$REPEAT" ]; do
			i=$((i + 1))
			if [ "$eng" = sqlite ]; then
				sqlite_fresh
				timed sqlite3 "$db" ".read $tmp/floor.psql"
				record "$eng$n.client" "$(field wall_ms "$T")"
				sqlite_fresh
				timed "$BENCH" odbc -t "$cs" "$tmp/floor.odbc"
				record "$eng$n.odbc" "$(field wall_ms "$T")"
				record "$eng$n.odbc_rss" "$(field rss_mib "$T")"
				sqlite_fresh
				"$UPGRADE" -q --database "$db" -T "$tmp/c0" run
				timed "$UPGRADE" -q --database "$db" -T "$tmp/cN" run
			else
				pg_fresh
				timed "$tmp/psql-user" -f "$tmp/floor.pg.psql"
				record "$eng$n.client" "$(field wall_ms "$T")"
				pg_fresh
				timed "$BENCH" odbc -t -i "SET search_path TO fbench" "$pg_plain" "$tmp/floor.odbc"
				record "$eng$n.odbc" "$(field wall_ms "$T")"
				record "$eng$n.odbc_rss" "$(field rss_mib "$T")"
				# The same transactions in fewer messages: the first
				# statement alone and the rest with the COMMIT (-2), or
				# all in one batch (-1).
				for b in 2 1; do
					pg_fresh
					timed "$BENCH" odbc -t -$b -i "SET search_path TO fbench" "$pg_plain" "$tmp/floor.odbc"
					record "$eng$n.batch$b" "$(field wall_ms "$T")"
				done
				pg_fresh
				"$UPGRADE" -q -c "$UPGRADE_TEST_PG" -T "$tmp/c0" run --schema fbench
				timed "$UPGRADE" -q -c "$UPGRADE_TEST_PG" -T "$tmp/cN" run --schema fbench
			fi
			record "$eng$n.run" "$(field wall_ms "$T")"
			record "$eng$n.run_rss" "$(field rss_mib "$T")"
		done
		say "| $eng | $n | $(med "$eng$n.client") | $(med "$eng$n.odbc") | $(med "$eng$n.run") | $(ratio "$(med "$eng$n.run")" "$(med "$eng$n.client")") | $(ratio "$(med "$eng$n.run")" "$(med "$eng$n.odbc")") | $(med "$eng$n.odbc_rss") | $(med "$eng$n.run_rss") |"
	done
done
say ""
say "1b. PostgreSQL, the plain ODBC program's transactions in fewer round trips (ms; medians)"
say ""
say "| N | 3 (BEGIN;statement, record, COMMIT) | 2 (statement, record;COMMIT) | 1 (one batch) | upgrade run | run / 1 |"
say "|--:|--:|--:|--:|--:|--:|"
for n in $SIZES; do
	say "| $n | $(med "pg$n.odbc") | $(med "pg$n.batch2") | $(med "pg$n.batch1") | $(med "pg$n.run") | $(ratio "$(med "pg$n.run")" "$(med "pg$n.batch1")") |"
done
say ""

# ---- nothing to do ---------------------------------------------------------------

say "2. Nothing to do, 1000 tasks recorded, SQLite, whole processes (ms; median of $NOOP_RUNS, p25-p75)"
rm -rf "$tmp/c1k" && mkdir "$tmp/c1k"
"$BENCH" gen "$tmp/c1k" 1000 insert
sqlite_fresh
"$UPGRADE" -q --database "$db" -T "$tmp/c0" run
"$UPGRADE" -q --database "$db" -T "$tmp/c1k" run
echo "SELECT state FROM upgrades" >"$tmp/select.sql"
i=0
while [ "$i" -lt "$NOOP_RUNS" ]; do
	i=$((i + 1))
	timed "$BENCH" odbc "$cs" "$tmp/select.sql"
	record noop.connect "$(field wall_ms "$T")"
	timed "$UPGRADE" -q --database "$db" -T "$tmp/c1k" run
	record noop.cache "$(field wall_ms "$T")"
	timed "$UPGRADE" -q --no-cache --database "$db" -T "$tmp/c1k" run
	record noop.nocache "$(field wall_ms "$T")"
done
say "   connect and read the state (plain ODBC): $(med noop.connect) ($(quartiles noop.connect))"
say "   upgrade run with the catalog cache:      $(med noop.cache) (+$(awk -v a="$(med noop.cache)" -v b="$(med noop.connect)" 'BEGIN { printf "%.1f", a - b }'); target +5; $(quartiles noop.cache))"
say "   upgrade run --no-cache:                  $(med noop.nocache) (+$(awk -v a="$(med noop.nocache)" -v b="$(med noop.connect)" 'BEGIN { printf "%.1f", a - b }'); $(quartiles noop.nocache))"
say ""
say "2b. The same on PostgreSQL (ms; median of $NOOP_RUNS, p25-p75)"
pg_fresh
"$UPGRADE" -q -c "$UPGRADE_TEST_PG" -T "$tmp/c0" run --schema fbench
"$UPGRADE" -q -c "$UPGRADE_TEST_PG" -T "$tmp/c1k" run --schema fbench
i=0
while [ "$i" -lt "$NOOP_RUNS" ]; do
	i=$((i + 1))
	timed "$BENCH" odbc -i "SET search_path TO fbench" "$pg_plain" "$tmp/select.sql"
	record pgnoop.connect "$(field wall_ms "$T")"
	timed "$UPGRADE" -q -c "$UPGRADE_TEST_PG" -T "$tmp/c1k" run --schema fbench
	record pgnoop.cache "$(field wall_ms "$T")"
done
say "   connect and read the state (plain ODBC): $(med pgnoop.connect) ($(quartiles pgnoop.connect))"
say "   upgrade run with the catalog cache:      $(med pgnoop.cache) (+$(awk -v a="$(med pgnoop.cache)" -v b="$(med pgnoop.connect)" 'BEGIN { printf "%.1f", a - b }'); target +5; $(quartiles pgnoop.cache))"
say ""

# ---- validate ------------------------------------------------------------------------

say "3. upgrade validate, 10,000 tasks in 100 files, whole process (ms; median of 11)"
mkdir "$tmp/c10k"
"$CATALOG_BENCH" gen "$tmp/c10k" 10000 100 2000
i=0
while [ "$i" -lt 11 ]; do
	i=$((i + 1))
	timed "$UPGRADE" validate "$tmp/c10k"
	record validate "$(field wall_ms "$T")"
done
say "   $(med validate) (target 50)"
say ""

# ---- the per-row fill -------------------------------------------------------------

say "4. add_column_with_defaults, a C function per row (bench/context-bench ENGINE ROWS ctx-fn)"
for rows in $FILL_ROWS; do
	for eng in pg sqlite mariadb; do
		[ "$eng" != mariadb ] || [ -n "${UPGRADE_TEST_MARIADB:-}" ] || continue
		line=$("$CONTEXT_BENCH" "$eng" "$rows" ctx-fn)
		# shellcheck disable=SC2086 # the fields of one line
		set -- $line
		say "   $eng $rows rows: $4 s, $(awk -v r="$rows" -v s="$4" 'BEGIN { printf "%.0f", r / s }') rows/s, peak RSS $5 -> $6 KiB"
	done
done
