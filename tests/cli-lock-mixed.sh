#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-lock-mixed.sh - runs that reach one schema but lock it in different
# ways (PostgreSQL's advisory lock and, with --pool-mode transaction, the
# lock table; MariaDB's GET_LOCK and, with --cluster-lock table, the lock
# table) do not see each other's locks.  The state write still notices:
# the run whose record finds the task already in the module's list
# rolls its task back, so a task runs and is recorded once, and the
# other's record is never written over.
. "$top_srcdir/tests/lib.sh"

# Release 1 installs a counter; release 2 bumps it, slowly.
mkdir -p "$T_TMP/v1" "$T_TMP/v2"
cat >"$T_TMP/v1/m.xml" <<'XML'
<module xmlns="urn:upgrade:catalog:1" name="m">
  <install><sql>CREATE TABLE cnt (v INTEGER)</sql><sql>INSERT INTO cnt VALUES (0)</sql></install>
  <task name="t0"><sql>SELECT 1</sql></task>
</module>
XML
sed 's|^</module>|  <task name="bump"><sql dialect="postgresql">SELECT pg_sleep(2)</sql><sql dialect="mysql">SELECT SLEEP(2)</sql><sql>UPDATE cnt SET v = v + 1</sql></task>\n</module>|' \
	"$T_TMP/v1/m.xml" >"$T_TMP/v2/m.xml"

# race ENGINE CONN SCHEMA SQL-COUNT SQL-STATE FIRST-OPTIONS...: a run with
# FIRST-OPTIONS starts the task, a plain run follows half a second later.
race() {
	eng=$1 conn=$2 schema=$3 count=$4 state=$5
	shift 5
	"$UPGRADE" -q -T "$T_TMP/v1" -c "$conn" run --schema "$schema" >/dev/null 2>&1
	"$UPGRADE" -T "$T_TMP/v2" -c "$conn" "$@" run --schema "$schema" >"$T_TMP/first.out" 2>&1 &
	first=$!
	sleep 0.5
	run "$UPGRADE" -T "$T_TMP/v2" -c "$conn" run --schema "$schema"
	second=$rc
	second_err=$err
	wait "$first"
	first=$?
	case "$first $second" in
	"0 2" | "2 0") ok "$eng: one run applies the task, the other fails ($first, $second)" ;;
	*) not_ok "$eng: exit statuses $first and $second" "$(cat "$T_TMP/first.out")" "$second_err" ;;
	esac
	printf '%s\n%s\n' "$(cat "$T_TMP/first.out")" "$second_err" |
		grep -q 'another run recorded task m:bump in .* while this one ran it' &&
		ok "$eng: the failed run says another run recorded the task meanwhile" ||
		not_ok "$eng: no word of the other run" "$(cat "$T_TMP/first.out")" "$second_err"
	v=$(eval "$count")
	[ "$v" = 1 ] && ok "$eng: the task ran once" || not_ok "$eng: the counter is $v"
	s=$(eval "$state")
	case $s in
	*'"bump"'*'"bump"'*) not_ok "$eng: bump recorded twice: $s" ;;
	*'"bump"'*) ok "$eng: bump recorded once, t0 kept" ;;
	*) not_ok "$eng: bump not recorded: $s" ;;
	esac
	run "$UPGRADE" -T "$T_TMP/v2" -c "$conn" status --schema "$schema" --check
	expect_rc 0 "$eng: nothing pending or partial after the race"
}

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' -c 'DROP SCHEMA IF EXISTS upg_mixed CASCADE' \
		-c 'CREATE SCHEMA upg_mixed AUTHORIZATION upgrade' >/dev/null
	race PG "$UPGRADE_TEST_PG" upg_mixed \
		'$UPGRADE_TEST_PG_ADMIN -At -c "SELECT v FROM upg_mixed.cnt"' \
		'$UPGRADE_TEST_PG_ADMIN -At -c "SELECT state FROM upg_mixed.upgrades WHERE module = '"'m'"'"' \
		--pool-mode transaction
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' -c 'DROP SCHEMA upg_mixed CASCADE' >/dev/null
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_mixed; CREATE DATABASE upg_mixed' >/dev/null
	race MariaDB "$UPGRADE_TEST_MARIADB" upg_mixed \
		'$UPGRADE_TEST_MARIADB_ADMIN -N -e "SELECT v FROM upg_mixed.cnt"' \
		'$UPGRADE_TEST_MARIADB_ADMIN -N -e "SELECT state FROM upg_mixed.upgrades WHERE module = '"'m'"'"' \
		--cluster-lock table
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE upg_mixed' >/dev/null
fi

finish
