#!/bin/sh
# cli-output.sh - what the commands print in the cases that are easy to
# get wrong: status of a schema with nothing to list still has its heading
# and count line; a dry run says whether it executes and rolls back or only
# plans (MariaDB), in text and in JSON.  SQLite, PostgreSQL and MariaDB.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mk() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
expect_exact() { # want description
	if [ "$out" = "$1" ]; then ok "$2"; else not_ok "$2" "got:" "$out" "want:" "$1"; fi
}

# --- status: a heading and a count line per schema, even with nothing to list ---
mk rawonly "<module $NS name=\"rawonly\"><task name=\"Raw\" raw=\"true\"><step><sql>CREATE TABLE IF NOT EXISTS rawt (id INTEGER)</sql></step></task></module>"
ZERO="0 pending, 0 executed, 0 changed, 0 partly applied, 0 unknown, 0 in new modules"

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
	expect_out '^\{"event":"run_start","schemas_count":1,"dry_run":true,"verified":'"$verified"'\}$' "$label: JSON run_start says verified $verified"
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

finish
