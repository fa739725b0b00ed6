#!/bin/sh
# cli-output.sh - what the commands print in the cases that are easy to
# get wrong: status of a schema with nothing to list still has its heading
# and count line.  SQLite, PostgreSQL and MariaDB.
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

finish
