#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-log.sh - `upgrade log`: the history of each schema from its state
# tables, newest first (a run's baseline, tasks run, marks, unmarks, a
# baseline command), in text with local times and in JSON Lines with UTC
# times, on SQLite, PostgreSQL and MariaDB.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
cat_dir() { # name module-xml...
	d=$T_TMP/$1
	shift
	mkdir -p "$d"
	i=0
	for m in "$@"; do
		i=$((i + 1))
		printf '%s\n' "$m" >"$d/$i.xml"
	done
}
SHOP1="<module $NS name=\"shop\"><task name=\"Create\"><sql>CREATE TABLE t1 (id INTEGER)</sql></task></module>"
SHOP2="<module $NS name=\"shop\"><task name=\"Create\"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name=\"Add more\"><sql>CREATE TABLE t2 (id INTEGER)</sql></task><task name=\"Later\"><sql>CREATE TABLE t3 (id INTEGER)</sql></task></module>"
EXTRA="<module $NS name=\"extra\"><task name=\"E\"><sql>CREATE TABLE e (id INTEGER)</sql></task></module>"
cat_dir v1 "$SHOP1"
cat_dir v2 "$SHOP2"
cat_dir v3 "$SHOP2" "$EXTRA"

# The lines of $out without their times and with "by HOST pid N" as "by P".
strip() { printf '%s\n' "$out" | sed -e 's/^  [^ ]*  /  /' -e 's/  by [^ ]* pid [0-9]*$/  by P/' -e 's/([0-9]* ms)/(N ms)/'; }
expect_text() { # want description
	got=$(strip)
	if [ "$got" = "$1" ]; then ok "$2"; else not_ok "$2" "got:" "$got" "want:" "$1" "stderr: $err"; fi
}

# log_scenario LABEL SCHEMA-A SCHEMA-B CONNECTION... (SCHEMA-B empty: one schema only)
log_scenario() {
	label=$1 a=$2 b=$3
	shift 3
	if [ -n "$b" ]; then sel="--schemas upg_log_*"; else sel=; fi

	# shellcheck disable=SC2086 # $sel is empty or two words
	run "$UPGRADE" "$@" log $sel
	expect_rc 0 "$label: log of schemas never upgraded"
	want="History of $a"
	[ -n "$b" ] && want="$want
History of $b"
	expect_text "$want" "$label: a heading per schema, nothing recorded"

	# shellcheck disable=SC2086
	{
		"$UPGRADE" -q -T "$T_TMP/v1" "$@" run $sel &&
			"$UPGRADE" -q -T "$T_TMP/v2" "$@" run $sel &&
			"$UPGRADE" -q -T "$T_TMP/v2" "$@" mark 'shop:Later' $sel &&
			"$UPGRADE" -q -T "$T_TMP/v2" "$@" unmark 'shop:Later' $sel &&
			"$UPGRADE" -q -T "$T_TMP/v3" "$@" baseline $sel
	} >"$T_TMP/steps" 2>&1 || not_ok "$label: the steps ran" "$(cat "$T_TMP/steps")"

	entries="  baseline    extra  (1 task)  by P
  unmark      shop:Later  by P
  mark        shop:Later  by P
  run         shop:Add more  (N ms)
  baseline    shop  (1 task)"
	want="History of $a
$entries"
	[ -n "$b" ] && want="$want
History of $b
$entries"
	# shellcheck disable=SC2086
	run env TZ=UTC "$UPGRADE" "$@" log $sel
	expect_rc 0 "$label: log"
	expect_text "$want" "$label: newest first, every kind of entry, per schema"
	first=$(printf '%s\n' "$out" | sed -n 2p)
	case $first in
	"  "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z"  "*)
		ok "$label: text times are RFC 3339 (TZ=UTC: Z)" ;;
	*) not_ok "$label: text time not RFC 3339 in UTC: $first" ;;
	esac
	case $first in
	*"by $(hostname) pid "[0-9]*) ok "$label: who did it: host and process" ;;
	*) not_ok "$label: the baseline does not name host and process: $first" ;;
	esac
	utc=$(printf '%s\n' "$first" | cut -c3-21)
	# shellcheck disable=SC2086
	run env TZ=EST5 "$UPGRADE" "$@" log $sel
	local1=$(printf '%s\n' "$out" | sed -n 2p | cut -c3-)
	case $local1 in
	????-??-??T??:??:??-05:00" "*) ok "$label: text times in the local zone with its offset" ;;
	*) not_ok "$label: TZ=EST5 time lacks -05:00: $local1" ;;
	esac
	if [ "$(date -u -d "${local1%% *}" +%Y-%m-%dT%H:%M:%S 2>/dev/null)" = "$utc" ]; then
		ok "$label: the local time is the same moment"; else
		not_ok "$label: ${local1%% *} is not $utc"; fi

	# shellcheck disable=SC2086
	run "$UPGRADE" "$@" --format json log $sel
	expect_rc 0 "$label: log --format json"
	n=$(printf '%s\n' "$out" | grep -c '^{"type":"log",')
	want=5
	[ -n "$b" ] && want=10
	if [ "$n" -eq "$want" ]; then ok "$label: one JSON object per entry"; else
		not_ok "$label: $n JSON entries, want $want" "$out"; fi
	expect_lines "$want" out "$label: JSON Lines: nothing else"
	expect_out "^\\{\"type\":\"log\",\"schema\":\"$a\",\"at\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z\",\"event\":\"baseline\",\"module\":\"extra\",\"by\":\"[^\"]+ pid [0-9]+\",\"tasks\":1\\}\$" \
		"$label: JSON baseline entry, RFC 3339 UTC time"
	expect_out "\"event\":\"run\",\"module\":\"shop\",\"task\":\"Add more\",\"duration_ms\":[0-9]+\\}\$" \
		"$label: JSON run entry with its duration"
	expect_out "\"event\":\"mark\",\"module\":\"shop\",\"task\":\"Later\",\"by\":" "$label: JSON mark entry"
	expect_out "\"event\":\"baseline\",\"module\":\"shop\",\"tasks\":1\\}\$" \
		"$label: JSON entry of the first run's baseline"
	times=$(printf '%s\n' "$out" | grep "\"schema\":\"$a\"" | sed 's/.*"at":"\([^"]*\)".*/\1/')
	if [ "$times" = "$(printf '%s\n' "$times" | sort -r)" ]; then ok "$label: JSON newest first"; else
		not_ok "$label: JSON not newest first" "$times"; fi
}

# log reads: a database file that is not there is an error, not a new file.
run "$UPGRADE" -d "$T_TMP/app.db" log
expect_rc 5 "SQLite: log of a database file that does not exist"
expect_err "app\.db: no such database file" "SQLite: the missing file is named"
[ ! -e "$T_TMP/app.db" ] && ok "SQLite: log created no file" || not_ok "SQLite: log created the file"
sqlite3 "$T_TMP/app.db" 'PRAGMA user_version = 0' >/dev/null
log_scenario SQLite main "" -d "$T_TMP/app.db"

run "$UPGRADE" -d "$T_TMP/app.db" log --schema nosuch
expect_rc 5 "SQLite: log of a schema that does not exist"
expect_lines 1 err "SQLite: one line of error"
run "$UPGRADE" -d "$T_TMP/app.db" log extra
expect_rc 64 "log takes no operands"

# A module first seen with an install block: its tasks are recorded by
# the install, never run, and the log says so as for a baseline.
mkdir -p "$T_TMP/inst"
printf '<module xmlns="urn:upgrade:catalog:1" name="ins"><install><sql>CREATE TABLE i (a INTEGER)</sql></install><task name="One"><sql>CREATE TABLE one (a INTEGER)</sql></task><task name="Two"><sql>CREATE TABLE two (a INTEGER)</sql></task></module>\n' \
	>"$T_TMP/inst/ins.xml"
"$UPGRADE" -q -T "$T_TMP/inst" -d "$T_TMP/inst.db" run >/dev/null 2>&1
run "$UPGRADE" -d "$T_TMP/inst.db" log
expect_rc 0 "SQLite: log after an install"
expect_out '^  [^ ]+  baseline    ins  \(2 tasks\)$' "SQLite: the install's tasks are one baseline entry"
case $out in
*"run         ins:"*) not_ok "SQLite: log shows tasks the install recorded as run" "$out" ;;
*) ok "SQLite: no task the install recorded is shown as run" ;;
esac

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA IF EXISTS upg_log_a CASCADE; DROP SCHEMA IF EXISTS upg_log_b CASCADE' \
		-c 'CREATE SCHEMA upg_log_a AUTHORIZATION upgrade; CREATE SCHEMA upg_log_b AUTHORIZATION upgrade' \
		>/dev/null
	log_scenario PostgreSQL upg_log_a upg_log_b -c "$UPGRADE_TEST_PG"
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_log_a; DROP DATABASE IF EXISTS upg_log_b;
		CREATE DATABASE upg_log_a; CREATE DATABASE upg_log_b;' >/dev/null
	log_scenario MariaDB upg_log_a upg_log_b -c "$UPGRADE_TEST_MARIADB"
fi

finish
