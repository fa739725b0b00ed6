#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-output.sh - what the commands print in the cases that are easy to
# get wrong: status of a schema with nothing to list still has its heading
# and count line; a dry run says whether it executes and rolls back or only
# plans (MariaDB), in text and in JSON; `run | head -1` does not kill the
# run half-way.  SQLite, PostgreSQL and MariaDB.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mk() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
expect_exact() { # want description
	if [ "$out" = "$1" ]; then ok "$2"; else not_ok "$2" "got:" "$out" "want:" "$1"; fi
}

# --- status: a heading and a count line per schema, even with nothing to list ---
mk rawonly "<module $NS name=\"rawonly\"><task name=\"Raw\" raw=\"true\"><step><sql>CREATE TABLE IF NOT EXISTS rawt (id INTEGER)</sql></step></task></module>"
ZERO="0 pending, 0 executed, 0 changed, 0 partly applied, 0 unknown, 0 in new modules"

: >"$T_TMP/status.db"
run "$UPGRADE" -T "$T_TMP/rawonly" -d "$T_TMP/status.db" status
expect_rc 0 "SQLite: status with raw tasks only"
expect_exact "Status of main
$ZERO" "SQLite: status of a new database with raw tasks only has its heading and count"
"$UPGRADE" -q -T "$T_TMP/rawonly" -d "$T_TMP/status.db" run >/dev/null 2>&1
run "$UPGRADE" -T "$T_TMP/rawonly" -d "$T_TMP/status.db" status --check
expect_rc 0 "SQLite: status --check after the run"
expect_exact "Status of main
$ZERO" "SQLite: status after the run, raw tasks only"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -At -c "$1" >/dev/null 2>&1; }
	pg 'DROP SCHEMA IF EXISTS upg_out_a CASCADE; DROP SCHEMA IF EXISTS upg_out_b CASCADE;
	    CREATE SCHEMA upg_out_a AUTHORIZATION upgrade; CREATE SCHEMA upg_out_b AUTHORIZATION upgrade;'
	run "$UPGRADE" -T "$T_TMP/rawonly" -c "$UPGRADE_TEST_PG" status --schemas 'upg_out_*'
	expect_rc 0 "PG: status with raw tasks only"
	expect_exact "Status of upg_out_a
$ZERO
Status of upg_out_b
$ZERO" "PG: every schema has its heading and count, with nothing to list"
	pg 'DROP SCHEMA upg_out_a CASCADE; DROP SCHEMA upg_out_b CASCADE'
fi

# --- dry runs say what they do: executed and rolled back, or only planned ---
mk plain "<module $NS name=\"plain\"><task name=\"One\"><sql>SELECT 1</sql></task></module>"
mk plain2 "<module $NS name=\"plain\"><task name=\"One\"><sql>SELECT 1</sql></task><task name=\"Two\"><sql>CREATE TABLE two (id INTEGER)</sql></task></module>"
dry_run() { # label verified(true|false) connection-args...
	label=$1 verified=$2
	shift 2
	"$UPGRADE" -q -T "$T_TMP/plain" "$@" run --schema upg_out >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/plain2" "$@" run --schema upg_out --dry-run
	expect_rc 0 "$label: dry run"
	if [ "$verified" = true ]; then
		expect_err '^upgrade: dry run: every task is rolled back, nothing is written$' "$label: the dry run says tasks are rolled back"
	else
		expect_err '^upgrade: dry run on mysql: nothing is executed; pending tasks are listed as a plan, not verified$' "$label: the dry run says nothing is executed"
		expect_no 'rolled back' "$label: the dry run does not claim to roll back"
	fi
	run "$UPGRADE" -T "$T_TMP/plain2" "$@" --format json run --schema upg_out --dry-run
	expect_out '^\{"type":"run_start","event":"run_start","schemas_count":1,"dry_run":true,"verified":'"$verified"',"time":"[^"]+"\}$' "$label: JSON run_start says verified $verified"
	n=$(printf '%s\n' "$out" | grep -c '"verified":'"$verified")
	all=$(printf '%s\n' "$out" | grep -c '"dry_run":true')
	[ "$n" = "$all" ] && [ "$n" -gt 3 ] && ok "$label: every JSON event says verified $verified" ||
		not_ok "$label: $n of $all events say verified $verified" "$out"
}

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg 'DROP SCHEMA IF EXISTS upg_out CASCADE; CREATE SCHEMA upg_out AUTHORIZATION upgrade'
	dry_run PG true -c "$UPGRADE_TEST_PG"
	pg 'DROP SCHEMA upg_out CASCADE'
fi
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -e "$1" >/dev/null 2>&1; }
	my 'DROP DATABASE IF EXISTS upg_out; CREATE DATABASE upg_out'
	dry_run MariaDB false -c "$UPGRADE_TEST_MARIADB"
	my 'DROP DATABASE upg_out'
fi

# --- a reader that goes away (upgrade run | head -1) does not cut the run short ---
# pipe_run LABEL ARGS...: upgrade ARGS | head -1; the status in $rc, what head saw in $out.
pipe_run() {
	label=$1
	shift
	{
		"$UPGRADE" "$@"
		echo $? >"$T_TMP/pipe.rc"
	} 2>"$T_TMP/pipe.err" | head -n 1 >"$T_TMP/pipe.out"
	rc=$(cat "$T_TMP/pipe.rc")
	out=$(cat "$T_TMP/pipe.out")
	err=$(cat "$T_TMP/pipe.err")
	expect_rc 0 "$label: the run ends normally after its reader went away"
	expect_out '^Running upgrade for ' "$label: the reader got the first line"
	expect_lines 0 err "$label: nothing on stderr"
}
PIPE_TASKS=8
pipe_catalogs() { # slow-sql-of-task-%d
	mk pipe0 "<module $NS name=\"pipe\"><task name=\"T0\"><sql>SELECT 1</sql></task></module>"
	{
		printf '<module %s name="pipe"><task name="T0"><sql>SELECT 1</sql></task>' "$NS"
		i=1
		while [ "$i" -le "$PIPE_TASKS" ]; do
			# shellcheck disable=SC2059 # the format is the caller's
			printf "<task name=\"T%d\">$1</task>" "$i" "$i"
			i=$((i + 1))
		done
		printf '</module>\n'
	} >"$T_TMP/pipe1/catalog.xml"
}
mkdir -p "$T_TMP/pipe1"

# SQLite has no sleep: each task counts to a million first (about 0.2 s).
pipe_catalogs '<sql>INSERT INTO applied SELECT %d FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x &lt; 1000000) SELECT count(*) AS n FROM c) t</sql>'
db="$T_TMP/pipe.db"
"$UPGRADE" -q -T "$T_TMP/pipe0" -d "$db" run >/dev/null 2>&1
sqlite3 "$db" 'CREATE TABLE applied (n INTEGER)'
pipe_run SQLite -T "$T_TMP/pipe1" -d "$db" run
state=$(sqlite3 "$db" "SELECT count(*) || ' ' || count(DISTINCT n) FROM applied; SELECT count(*) FROM upgrade_tasks WHERE how = 'run'" | tr '\n' ' ')
[ "$state" = "$PIPE_TASKS $PIPE_TASKS $PIPE_TASKS " ] && ok "SQLite: every task applied once and recorded as run" ||
	not_ok "SQLite: applied rows, distinct, recorded: $state"
run "$UPGRADE" -T "$T_TMP/pipe1" -d "$db" status --check
expect_rc 0 "SQLite: nothing is pending after the run"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pipe_catalogs '<sql>SELECT pg_sleep(0.2)</sql><sql>INSERT INTO applied VALUES (%d)</sql>'
	pg 'DROP SCHEMA IF EXISTS upg_out CASCADE; CREATE SCHEMA upg_out AUTHORIZATION upgrade'
	"$UPGRADE" -q -T "$T_TMP/pipe0" -c "$UPGRADE_TEST_PG" run --schema upg_out >/dev/null 2>&1
	pg 'CREATE TABLE upg_out.applied (n INTEGER); ALTER TABLE upg_out.applied OWNER TO upgrade'
	pipe_run PG -T "$T_TMP/pipe1" -c "$UPGRADE_TEST_PG" run --schema upg_out
	state=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT count(*) || ' ' || count(DISTINCT n) FROM upg_out.applied" \
		-c "SELECT count(*) FROM upg_out.upgrade_tasks WHERE how = 'run'" | tr '\n' ' ')
	[ "$state" = "$PIPE_TASKS $PIPE_TASKS $PIPE_TASKS " ] && ok "PG: every task applied once and recorded as run" ||
		not_ok "PG: applied rows, distinct, recorded: $state"
	run "$UPGRADE" -T "$T_TMP/pipe1" -c "$UPGRADE_TEST_PG" status --schema upg_out --check
	expect_rc 0 "PG: nothing is pending after the run"
	pg 'DROP SCHEMA upg_out CASCADE'
fi

finish
