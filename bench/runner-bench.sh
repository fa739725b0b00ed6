#!/bin/sh
# SPDX-License-Identifier: MIT
# runner-bench.sh - the runner benchmark: applying 1,000
# small tasks on SQLite and PostgreSQL against a plain ODBC program and
# psql running the same statements one transaction each; a run with
# nothing to do; nothing to do across 1,000 PostgreSQL schemas; peak
# memory; the references again with the runner's own state writes; the
# instructions executed.  Every figure of the runner section of bench/README.md comes
# from one run of this script.  Run it with "make bench-runner".
#
# Environment: BENCH (the built bench/runner-bench), UPGRADE (the built
# upgrade), top_srcdir; UPGRADE_SCHEMA (default: the source tree's
# catalog.rng).  The PostgreSQL server: UPGRADE_TEST_PG, _PG_ADMIN and
# _PG_PORT as tests/testdb.sh writes them; without them, this script starts
# its own servers with tests/testdb.sh and stops them at the end.
# Knobs: REPEAT (runs per comparison, default 5), TASKS (default 1000),
# SCHEMAS (default 1000), KIND (insert or create, default insert),
# MASSIF (1: measure the heap with valgrind massif, the default; 0: skip),
# CALLGRIND (1: count instructions with valgrind callgrind, the default; 0: skip).
# Figures kept per variant are set with eval (p_ratio_cli0, m_cN_j4, ...):
# shellcheck disable=SC2154
set -eu
: "${BENCH:?}" "${UPGRADE:?}" "${top_srcdir:?}"
UPGRADE_SCHEMA=${UPGRADE_SCHEMA:-$top_srcdir/tasks/catalog.rng}
export UPGRADE_SCHEMA
REPEAT=${REPEAT:-5}
TASKS=${TASKS:-1000}
SCHEMAS=${SCHEMAS:-1000}
KIND=${KIND:-insert}
MASSIF=${MASSIF:-1}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/runner-bench.XXXXXX")
own_servers=
pg_ready=
cleanup() {
	if [ -n "$pg_ready" ]; then
		pg_drop_schemas || :
		pg_admin -c "DROP SCHEMA IF EXISTS rbench_apply CASCADE" >/dev/null 2>&1 || :
	fi
	[ -z "$own_servers" ] || bash "$top_srcdir/tests/testdb.sh" stop "$tmp/db" >/dev/null 2>&1 || :
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${UPGRADE_TEST_PG:-}" ] || [ -z "${UPGRADE_TEST_PG_ADMIN:-}" ]; then
	echo "starting throw-away servers with tests/testdb.sh" >&2
	own_servers=1
	chmod 755 "$tmp" # the postgres user must reach its directory below it
	bash "$top_srcdir/tests/testdb.sh" start "$tmp/db" >/dev/null
	# shellcheck disable=SC1091
	. "$tmp/db/env.sh"
fi

# ---- helpers ---------------------------------------------------------------

# field KEY LINE: the value of KEY=value in a result line.
field() { printf '%s\n' "$2" | sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p"; }
# median: of the numbers on standard input, one a line.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
		if (NR % 2) printf "%.1f\n", v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
best() { sort -n | head -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
verdict() { if le "$1" "$2"; then echo pass; else echo FAIL; fi; }
# timed OUT CMD...: runs CMD under "runner-bench time"; its output goes to
# OUT, its time line ("time: wall_ms=... cpu_ms=... rss_mib=...") to $T.
timed() {
	out=$1
	shift
	if ! "$BENCH" time "$@" >"$out" 2>"$tmp/err"; then
		cat "$out" "$tmp/err" >&2
		echo "runner-bench.sh: failed: $*" >&2
		exit 1
	fi
	T=$(grep '^time:' "$tmp/err")
}
# record NAME VALUE: keeps a sample of NAME.
record() { echo "$2" >>"$tmp/samples.$1"; }
med() { median <"$tmp/samples.$1"; }
# mratio A B: the ratio of the medians of samples A and B.
mratio() { ratio "$(med "$1")" "$(med "$2")"; }
min() { best <"$tmp/samples.$1"; }
say() { printf '%s\n' "$*"; }

# ---- catalogs and statements -----------------------------------------------

mkdir "$tmp/c0" "$tmp/cN" "$tmp/c10"
"$BENCH" gen "$tmp/c0" 0 "$KIND"        # the module with one task: the first run baselines it
"$BENCH" gen "$tmp/cN" "$TASKS" "$KIND" # and TASKS new tasks
"$BENCH" gen "$tmp/c10" 10 "$KIND"      # a small catalog for the many-schemas case
"$BENCH" sql "$tmp/stmts.sql" 1 "$TASKS" "$KIND"
"$BENCH" sql "$tmp/stmts.psql.body" 1 "$TASKS" "$KIND" psql
printf 'SET search_path TO rbench_apply;\n' | cat - "$tmp/stmts.psql.body" >"$tmp/stmts.psql"
setup=
[ "$KIND" = insert ] && setup="CREATE TABLE bench_rows (id INTEGER)"
echo "${setup:-SELECT 1}" >"$tmp/setup.sql"

say "runner benchmark: $TASKS '$KIND' tasks, $REPEAT runs per figure, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say ""

# ---- 1. SQLite: apply TASKS tasks --------------------------------------------

db=$tmp/bench.db
cs=$("$BENCH" connstr "$db") # the connection string "upgrade --database" uses
sqlite_fresh() {
	rm -f "$db" "$db.upgrade-lock" "$db-journal"
	"$BENCH" odbc "$cs" "$tmp/setup.sql" >/dev/null
}
sqlite_baselined() {
	sqlite_fresh
	"$UPGRADE" -q --database "$db" -T "$tmp/c0" run
}
say "1. SQLite ($cs): $TASKS tasks, one transaction each"
i=0
while [ "$i" -lt "$REPEAT" ]; do
	i=$((i + 1))
	sqlite_fresh
	timed "$tmp/out" "$BENCH" odbc "$cs" "$tmp/stmts.sql"
	record s_odbc_loop "$(field loop_ms "$(cat "$tmp/out")")"
	record s_odbc_wall "$(field wall_ms "$T")"
	record s_odbc_rss "$(field rss_mib "$T")"
	sqlite_baselined
	timed "$tmp/out" "$BENCH" run "sqlite:$db" "$tmp/cN"
	line=$(cat "$tmp/out")
	[ "$(field executed "$line")" = "$TASKS" ] || { echo "expected $TASKS executed: $line" >&2; exit 1; }
	record s_lib_run "$(field median_ms "$line")"
	sqlite_baselined
	timed "$tmp/out" "$UPGRADE" -q --database "$db" -T "$tmp/cN" run
	record s_cli_wall "$(field wall_ms "$T")"
	record s_cli_cpu "$(field cpu_ms "$T")"
	record s_cli_rss "$(field rss_mib "$T")"
done
s_ratio_lib=$(mratio s_lib_run s_odbc_loop)
s_ratio_cli=$(mratio s_cli_wall s_odbc_wall)
say "   plain ODBC program:         statements $(med s_odbc_loop) ms (best $(min s_odbc_loop)), process $(med s_odbc_wall) ms"
say "   upgrade_runner_run():       $(med s_lib_run) ms (best $(min s_lib_run))  -> ${s_ratio_lib}x the statements"
say "   upgrade run (the command):  process $(med s_cli_wall) ms, CPU $(med s_cli_cpu) ms  -> ${s_ratio_cli}x the plain process"
say ""

# ---- 2. PostgreSQL: apply TASKS tasks -----------------------------------------

pg_admin() { $UPGRADE_TEST_PG_ADMIN -c "SET client_min_messages = warning" "$@"; }
connval() { printf '%s\n' "$UPGRADE_TEST_PG" | tr ';' '\n' | sed -n "s/^$1=//Ip" | head -n 1; }
pg_user=$(connval Uid)
pg_db=$(connval Database)
pg_host=$(connval Server)
pg_port=$(connval Port)
psql_bin=${UPGRADE_TEST_PG_ADMIN%% *}
pg_ready=1
# timed_psql FILE: psql -f FILE over TCP as the test user, timed like timed().
timed_psql() {
	timed "$tmp/out" env PGPASSWORD="$UPGRADE_TEST_PASSWORD" "$psql_bin" -X -q -v ON_ERROR_STOP=1 \
		-h "$pg_host" -p "$pg_port" -U "$pg_user" -d "$pg_db" -f "$1"
}
pg_fresh() {
	pg_admin -c "DROP SCHEMA IF EXISTS rbench_apply CASCADE" \
		-c "CREATE SCHEMA rbench_apply AUTHORIZATION \"$pg_user\"" >/dev/null
	[ -z "$setup" ] || pg_admin -c "CREATE TABLE rbench_apply.bench_rows (id INTEGER)" \
		-c "ALTER TABLE rbench_apply.bench_rows OWNER TO \"$pg_user\"" >/dev/null
}
pg_baselined() { # CONNECT
	pg_fresh
	"$UPGRADE" -q -c "$1" -T "$tmp/c0" run --schema rbench_apply
}
PG0=$UPGRADE_TEST_PG                          # no Protocol: the library adds Protocol=7.4-0
PG1="$UPGRADE_TEST_PG;Protocol=7.4-1"         # rollback level "transaction": no savepoints
PG2="$PG1;UseServerSidePrepare=0"             # and no server-side prepare (no DEALLOCATE)
pgconn() { case $1 in 0) echo "$PG0" ;; 1) echo "$PG1" ;; *) echo "$PG2" ;; esac; }
redacted() { printf '%s\n' "$1" | sed 's/Pwd={[^}]*}/Pwd=***/; s/Pwd=[^;{]*/Pwd=***/'; }
say "2. PostgreSQL ($(redacted "$PG0")): $TASKS tasks, one transaction each"
i=0
while [ "$i" -lt "$REPEAT" ]; do
	i=$((i + 1))
	pg_fresh
	timed_psql "$tmp/stmts.psql"
	record p_psql_wall "$(field wall_ms "$T")"
	: >"$tmp/empty.psql"
	timed_psql "$tmp/empty.psql"
	record p_psql_empty "$(field wall_ms "$T")"
	pg_fresh
	timed "$tmp/out" "$BENCH" odbc -i "SET search_path TO rbench_apply" "$PG0" "$tmp/stmts.sql"
	record p_odbc_loop "$(field loop_ms "$(cat "$tmp/out")")"
	record p_odbc_wall "$(field wall_ms "$T")"
	record p_odbc_rss "$(field rss_mib "$T")"
	for c in 0 1 2; do
		conn=$(pgconn "$c")
		pg_baselined "$conn"
		timed "$tmp/out" "$BENCH" run -s rbench_apply "$conn" "$tmp/cN"
		line=$(cat "$tmp/out")
		[ "$(field executed "$line")" = "$TASKS" ] || { echo "expected $TASKS executed: $line" >&2; exit 1; }
		record "p_lib_run$c" "$(field median_ms "$line")"
		pg_baselined "$conn"
		timed "$tmp/out" "$UPGRADE" -q -c "$conn" -T "$tmp/cN" run --schema rbench_apply
		record "p_cli_wall$c" "$(field wall_ms "$T")"
		record "p_cli_cpu$c" "$(field cpu_ms "$T")"
		record "p_cli_rss$c" "$(field rss_mib "$T")"
	done
done
p_psql_stmts=$(awk -v a="$(med p_psql_wall)" -v b="$(med p_psql_empty)" 'BEGIN { printf "%.1f", a - b }')
say "   psql -f (BEGIN; statement; COMMIT; each):  process $(med p_psql_wall) ms (best $(min p_psql_wall)); with an empty file $(med p_psql_empty) ms, so the statements take $p_psql_stmts ms"
say "   plain ODBC program:                        statements $(med p_odbc_loop) ms, process $(med p_odbc_wall) ms"
for c in 0 1 2; do
	case $c in
	0) label="no Protocol in the string (the library adds Protocol=7.4-0)" ;;
	1) label="Protocol=7.4-1" ;;
	2) label="Protocol=7.4-1;UseServerSidePrepare=0" ;;
	esac
	eval "p_ratio_cli$c=\$(ratio \"\$(med p_cli_wall$c)\" \"\$(med p_psql_wall)\")"
	eval "r=\$p_ratio_cli$c"
	say "   $label:"
	say "      upgrade_runner_run() $(med "p_lib_run$c") ms (best $(min "p_lib_run$c")); upgrade run: process $(med "p_cli_wall$c") ms, CPU $(med "p_cli_cpu$c") ms -> ${r}x psql"
done
say ""

# ---- 3. nothing to do, TASKS tasks recorded -------------------------------------

say "3. Nothing to do, $TASKS tasks recorded (upgrade_runner_run() 201 times on one connection)"
sqlite_baselined
"$UPGRADE" -q --database "$db" -T "$tmp/cN" run
line=$("$BENCH" run -r 201 "sqlite:$db" "$tmp/cN")
n_sqlite_run=$(field median_ms "$line")
n_sqlite_conn=$(field connect_ms "$line")
say "   SQLite:     run median $n_sqlite_run ms (first $(field first_ms "$line"), best $(field best_ms "$line")); connect median $n_sqlite_conn ms"
i=0
while [ "$i" -lt 11 ]; do
	i=$((i + 1))
	timed "$tmp/out" "$UPGRADE" -q --database "$db" -T "$tmp/cN" run
	record n_sqlite_cli "$(field wall_ms "$T")"
	record n_sqlite_cli_rss "$(field rss_mib "$T")"
done
say "               upgrade run (the whole command: start, catalog, connect, run): $(med n_sqlite_cli) ms"
pg_baselined "$PG1"
"$UPGRADE" -q -c "$PG1" -T "$tmp/cN" run --schema rbench_apply
for c in 1 0; do
	conn=$(pgconn "$c")
	line=$("$BENCH" run -r 201 -s rbench_apply "$conn" "$tmp/cN")
	eval "n_pg_run$c=\$(field median_ms \"\$line\")"
	eval "n_pg_conn$c=\$(field connect_ms \"\$line\")"
	say "   PostgreSQL$( [ "$c" = 1 ] && echo " (Protocol=7.4-1)" || echo " (no Protocol given: 7.4-0 added)"): run median $(field median_ms "$line") ms (first $(field first_ms "$line"), best $(field best_ms "$line")); connect median $(field connect_ms "$line") ms"
done
i=0
while [ "$i" -lt 11 ]; do
	i=$((i + 1))
	timed "$tmp/out" "$UPGRADE" -q -c "$PG1" -T "$tmp/cN" run --schema rbench_apply
	record n_pg_cli "$(field wall_ms "$T")"
	record n_pg_cli_rss "$(field rss_mib "$T")"
done
say "               upgrade run (the whole command): $(med n_pg_cli) ms"
say ""

# ---- 4. nothing to do across SCHEMAS PostgreSQL schemas ----------------------------

pg_schemas() { # SQL-TEMPLATE: runs it for every schema name
	# 100 schemas a transaction: dropping all at once takes more locks than the server has.
	ps_from=0
	while [ "$ps_from" -lt "$SCHEMAS" ]; do
		ps_to=$((ps_from + 99 < SCHEMAS - 1 ? ps_from + 99 : SCHEMAS - 1))
		pg_admin -c "DO \$\$BEGIN FOR i IN $ps_from..$ps_to LOOP
			EXECUTE format('$1', 'rbench_s' || lpad(i::text, 5, '0')); END LOOP; END\$\$" >/dev/null
		ps_from=$((ps_to + 1))
	done
}
pg_drop_schemas() { pg_schemas 'DROP SCHEMA IF EXISTS %I CASCADE'; }
say "4. Nothing to do across $SCHEMAS PostgreSQL schemas (Protocol=7.4-1), one run"
for c in c10 cN; do
	pg_drop_schemas
	pg_schemas "CREATE SCHEMA %I AUTHORIZATION \"$pg_user\""
	line=$("$BENCH" run -b -p 'rbench_s*' "$PG1" "$tmp/$c")
	ntasks=$(field tasks "$line")
	say "   catalog of $ntasks tasks: baseline of every schema once: $(field median_ms "$line") ms"
	for j in 1 4; do
		line=$("$BENCH" run -r 3 -j "$j" -p 'rbench_s*' "$PG1" "$tmp/$c")
		[ "$(field schemas "$line")" = "$SCHEMAS" ] || { echo "expected $SCHEMAS schemas: $line" >&2; exit 1; }
		eval "m_${c}_j$j=\$(field median_ms \"\$line\")"
		timed "$tmp/out" "$UPGRADE" -q -c "$PG1" -T "$tmp/$c" run --schemas 'rbench_s*' -j "$j"
		eval "m_${c}_cli$j=\$(field wall_ms \"\$T\")"
		say "      -j $j: upgrade_runner_run() median of 3: $(field median_ms "$line") ms (best $(field best_ms "$line")); upgrade run: $(field wall_ms "$T") ms"
	done
done
pg_drop_schemas
say ""

# ---- 5. memory ------------------------------------------------------------------

say "5. Peak memory, $TASKS tasks (RSS: getrusage of the whole process, drivers and libraries included)"
line=$("$UPGRADE" --database "$db" info >/dev/null; "$BENCH" time "$UPGRADE" --database "$db" info 2>&1 >/dev/null | grep '^time:')
say "   upgrade info (process, ODBC driver manager and SQLite driver, no catalog): $(field rss_mib "$line") MiB"
say "   plain ODBC program: SQLite $(med s_odbc_rss) MiB, PostgreSQL $(med p_odbc_rss) MiB"
say "   upgrade run applying $TASKS tasks: SQLite $(med s_cli_rss) MiB, PostgreSQL $(med p_cli_rss1) MiB (above the plain program: $(awk -v a="$(med s_cli_rss)" -v b="$(med s_odbc_rss)" 'BEGIN { printf "%.1f", a - b }'), $(awk -v a="$(med p_cli_rss1)" -v b="$(med p_odbc_rss)" 'BEGIN { printf "%.1f", a - b }') MiB)"
say "   upgrade run, nothing to do:        SQLite $(med n_sqlite_cli_rss) MiB, PostgreSQL $(med n_pg_cli_rss) MiB"
heap_s=- heap_p=- heap_n=-
# massif NAME CMD...: the largest heap (requested + malloc overhead, in MiB) of
# CMD under valgrind massif; children are traced, since a libtool wrapper
# script may stand between us and the program.
massif() {
	name=$1
	shift
	valgrind -q --tool=massif --trace-children=yes --massif-out-file="$tmp/massif.$name.%p" "$@"
	cat "$tmp"/massif."$name".* | awk -F= '/^mem_heap_B/ { h = $2 }
		/^mem_heap_extra_B/ { if (h + $2 > m) m = h + $2 } END { printf "%.1f\n", m / 1048576 }'
}
if [ "$MASSIF" = 1 ] && command -v valgrind >/dev/null 2>&1; then
	sqlite_baselined
	heap_s=$(massif s "$UPGRADE" -q --database "$db" -T "$tmp/cN" run)
	heap_n=$(massif n "$UPGRADE" -q --database "$db" -T "$tmp/cN" run)
	pg_baselined "$PG1"
	heap_p=$(massif p "$UPGRADE" -q -c "$PG1" -T "$tmp/cN" run --schema rbench_apply)
	say "   heap peak (valgrind massif, every malloc of the process, drivers included):"
	say "      upgrade run applying $TASKS tasks: SQLite $heap_s MiB, PostgreSQL $heap_p MiB; nothing to do (SQLite): $heap_n MiB"
fi
say ""

# ---- 6. the same statements with the runner's state writes -------------------------
#
# What any tool that records each task in the task's own transaction must
# at least do: the references of sections 1 and 2 plus, in each
# transaction, the state writes the runner makes (the module's row with
# the growing executed_tasks, and the task's row in upgrade_tasks), as
# literals, on the tables the runner created (baselined with t0000).

"$BENCH" sql "$tmp/stmts-state.sql" 1 "$TASKS" "$KIND" state
"$BENCH" sql "$tmp/stmts-state.psql.body" 1 "$TASKS" "$KIND" psql state
printf 'SET search_path TO rbench_apply;\n' | cat - "$tmp/stmts-state.psql.body" >"$tmp/stmts-state.psql"
# The least any state write costs: one UPDATE of a small column of one row.
touch_row="UPDATE \"upgrades\" SET modified = '2026-11-25 12:00:00' WHERE module = 'bench.runner'"
awk -v u="$touch_row" '{ print; print u; print "" }' "$tmp/stmts.sql" >"$tmp/stmts-touch.sql"
awk -v u="$touch_row;" '/^COMMIT;$/ { print u } { print }' "$tmp/stmts.psql" >"$tmp/stmts-touch.psql"
say "6. The same statements with the runner's state writes, one transaction each ($TASKS transactions)"
i=0
while [ "$i" -lt "$REPEAT" ]; do
	i=$((i + 1))
	# The runner again, between the references: wall time drifts over minutes.
	sqlite_baselined
	record w_s_run "$(field median_ms "$("$BENCH" run "sqlite:$db" "$tmp/cN")")"
	sqlite_baselined
	record w_s_state "$(field loop_ms "$("$BENCH" odbc -t "$cs" "$tmp/stmts-state.sql")")"
	sqlite_baselined
	record w_s_touch "$(field loop_ms "$("$BENCH" odbc -t "$cs" "$tmp/stmts-touch.sql")")"
	pg_baselined "$PG0"
	timed "$tmp/out" "$UPGRADE" -q -c "$PG0" -T "$tmp/cN" run --schema rbench_apply
	record w_p_run "$(field wall_ms "$T")"
	pg_baselined "$PG0"
	timed_psql "$tmp/stmts-state.psql"
	record w_p_state "$(field wall_ms "$T")"
	pg_baselined "$PG0"
	timed_psql "$tmp/stmts-touch.psql"
	record w_p_touch "$(field wall_ms "$T")"
done
w_s_ratio=$(mratio w_s_run w_s_state)
w_p_ratio=$(mratio w_p_run w_p_state)
w_s_touch=$(mratio w_s_touch s_odbc_loop)
w_p_touch=$(mratio w_p_touch p_psql_wall)
say "   SQLite: plain ODBC program with the state writes: $(med w_s_state) ms; upgrade_runner_run() $(med w_s_run) ms -> ${w_s_ratio}x"
say "           plain ODBC program with only a one-column UPDATE of one row: $(med w_s_touch) ms -> ${w_s_touch}x the bare statements"
say "   PostgreSQL: psql with the state writes (BEGIN; statement; state; COMMIT;): $(med w_p_state) ms; upgrade run $(med w_p_run) ms -> ${w_p_ratio}x"
say "           psql with only a one-column UPDATE of one row: $(med w_p_touch) ms -> ${w_p_touch}x psql with the bare statements"
if command -v strace >/dev/null 2>&1; then
	# Messages sent per task: the applying run less a run with nothing to do.
	pg_baselined "$PG0"
	strace -f -c -e trace=sendto -o "$tmp/strace" "$UPGRADE" -q -c "$PG0" -T "$tmp/cN" run --schema rbench_apply
	n=$(awk '$NF == "sendto" { print $4 }' "$tmp/strace")
	strace -f -c -e trace=sendto -o "$tmp/strace" "$UPGRADE" -q -c "$PG0" -T "$tmp/cN" run --schema rbench_apply
	n0=$(awk '$NF == "sendto" { print $4 }' "$tmp/strace")
	w_p_msgs=$(awk -v a="$n" -v b="$n0" -v n="$TASKS" 'BEGIN { printf "%.2f", (a - b) / n }')
	say "   PostgreSQL messages sent per task by upgrade run (strace): $w_p_msgs (psql: 3)"
fi
say ""

# ---- 7. instructions (callgrind) -----------------------------------------------------
#
# Wall time on this kind of machine moves by a third between runs (fsync on
# a shared virtual disk); the instructions executed in the process are the
# figure that repeats.  The largest process is counted (the others are
# libtool's wrapper scripts).

instructions() {
	rm -f "$tmp"/cg.*
	valgrind -q --tool=callgrind --trace-children=yes --callgrind-out-file="$tmp/cg.%p" "$@" >/dev/null 2>&1
	cat "$tmp"/cg.* | awk '/^summary:/ { if ($2 > m) m = $2 } END { printf "%.0f\n", m / 1e6 }'
}
i_run=- i_state=- i_plain=-
if [ "${CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null 2>&1; then
	sqlite_baselined
	i_run=$(instructions "$UPGRADE" -q --database "$db" -T "$tmp/cN" run)
	sqlite_baselined
	i_state=$(instructions "$BENCH" odbc -t "$cs" "$tmp/stmts-state.sql")
	sqlite_fresh
	i_plain=$(instructions "$BENCH" odbc "$cs" "$tmp/stmts.sql")
	say "7. Instructions executed (callgrind, millions), SQLite, $TASKS tasks:"
	say "   upgrade run $i_run; plain ODBC program with the same state writes $i_state; bare statements $i_plain"
	say ""
fi

# ---- summary ------------------------------------------------------------------------

say "summary (targets)"
say "| figure | target | measured | result |"
say "|---|---|---|---|"
say "| SQLite, $TASKS tasks: upgrade_runner_run() / plain ODBC statements | <= 1.05x | ${s_ratio_lib}x ($(med s_lib_run) / $(med s_odbc_loop) ms) | $(verdict "$s_ratio_lib" 1.05) |"
say "| SQLite, $TASKS tasks: upgrade run / plain ODBC program (processes) | <= 1.05x | ${s_ratio_cli}x ($(med s_cli_wall) / $(med s_odbc_wall) ms) | $(verdict "$s_ratio_cli" 1.05) |"
p_ratio_lib1=$(ratio "$(med p_lib_run1)" "$p_psql_stmts")
say "| PostgreSQL, $TASKS tasks: upgrade_runner_run() / psql's statements (process less an empty psql), Protocol=7.4-1 | <= 1.1x | ${p_ratio_lib1}x ($(med p_lib_run1) / $p_psql_stmts ms) | $(verdict "$p_ratio_lib1" 1.1) |"
say "| PostgreSQL, $TASKS tasks: upgrade run / psql, no Protocol given (7.4-0 added) | <= 1.1x | ${p_ratio_cli0}x ($(med p_cli_wall0) / $(med p_psql_wall) ms) | $(verdict "$p_ratio_cli0" 1.1) |"
say "| PostgreSQL, $TASKS tasks: upgrade run / psql, Protocol=7.4-1 | <= 1.1x | ${p_ratio_cli1}x ($(med p_cli_wall1) / $(med p_psql_wall) ms) | $(verdict "$p_ratio_cli1" 1.1) |"
say "| PostgreSQL, $TASKS tasks: upgrade run / psql, Protocol=7.4-1;UseServerSidePrepare=0 | <= 1.1x | ${p_ratio_cli2}x ($(med p_cli_wall2) / $(med p_psql_wall) ms) | $(verdict "$p_ratio_cli2" 1.1) |"
say "| nothing to do, $TASKS recorded, SQLite: upgrade_runner_run() (+ connect) | <= 5 ms | $n_sqlite_run ms (+ $n_sqlite_conn ms) | $(verdict "$n_sqlite_run" 5) |"
say "| nothing to do, $TASKS recorded, PostgreSQL: upgrade_runner_run() (+ connect) | <= 5 ms | $n_pg_run1 ms (+ $n_pg_conn1 ms) | $(verdict "$n_pg_run1" 5) |"
for c in c10 cN; do
	[ "$c" = c10 ] && nt=11 || nt=$((TASKS + 1))
	for j in 1 4; do
		eval "v=\$m_${c}_j$j; w=\$m_${c}_cli$j"
		say "| nothing to do, $SCHEMAS schemas x $nt tasks, -j $j: upgrade_runner_run(), median of 3 (one upgrade run) | <= 2000 ms | $v ms ($w ms) | $(verdict "$v" 2000) |"
	done
done
rss_s=$(med s_cli_rss)
rss_p=$(med p_cli_rss1)
say "| peak RSS, upgrade run applying $TASKS tasks: SQLite | <= 8 MiB | $rss_s MiB (plain ODBC program: $(med s_odbc_rss) MiB) | $(verdict "$rss_s" 8) |"
say "| peak RSS, upgrade run applying $TASKS tasks: PostgreSQL | <= 8 MiB | $rss_p MiB (plain ODBC program: $(med p_odbc_rss) MiB) | $(verdict "$rss_p" 8) |"
if [ "$heap_s" != - ]; then
	say "| heap peak, upgrade run applying $TASKS tasks: SQLite | <= 8 MiB | $heap_s MiB | $(verdict "$heap_s" 8) |"
	say "| heap peak, upgrade run applying $TASKS tasks: PostgreSQL | <= 8 MiB | $heap_p MiB | $(verdict "$heap_p" 8) |"
fi
say "| SQLite, $TASKS tasks: upgrade_runner_run() / plain ODBC statements with the same state writes | (<= 1.05x) | ${w_s_ratio}x ($(med w_s_run) / $(med w_s_state) ms) | $(verdict "$w_s_ratio" 1.05) |"
say "| PostgreSQL, $TASKS tasks: upgrade run / psql with the same state writes | (<= 1.1x) | ${w_p_ratio}x ($(med w_p_run) / $(med w_p_state) ms) | $(verdict "$w_p_ratio" 1.1) |"
say "| SQLite, $TASKS tasks, instructions (millions): upgrade run / plain ODBC with the same state writes / bare | | $i_run / $i_state / $i_plain | |"
say "| (the floor) SQLite: plain ODBC statements and a one-column UPDATE each / the bare statements | | ${w_s_touch}x | |"
say "| (the floor) PostgreSQL: psql, statements and a one-column UPDATE each / the bare statements | | ${w_p_touch}x | |"
say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
