#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-errors.sh - how a failure reads: one line "upgrade: error: ...", the
# driver's diagnostics indented below it, each on one line (psqlODBC's
# messages hold line breaks of their own), on every engine; and the first
# error is the one shown: SQLite running out of disk space at COMMIT says
# so, not what the rollback after it ran into.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mk() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
# The module's first run records its tasks as done without running them:
# "Make" is always run, so it creates the table then; "Fail" comes later.
MAKE='<task name="Make" always-run="true"><only-if><not><has-table table="filled"/></not></only-if>
  <sql>CREATE TABLE filled (v TEXT)</sql></task>'
mk v1 "<module $NS name=\"errors\">$MAKE</module>"
mk v2 "<module $NS name=\"errors\">$MAKE
  <task name=\"Fail\"><sql>SELECT *
      FROM no_such_table</sql></task></module>"

# expect_one_line_error LABEL: stderr is one "upgrade: error:" line and
# indented details, none of them a lone "(native N)".
expect_one_line_error() {
	first=$(printf '%s\n' "$err" | head -n 1)
	case $first in
	'upgrade: error: '*) ok "$1: the error starts with 'upgrade: error: '" ;;
	*) not_ok "$1: the error starts with 'upgrade: error: '" "stderr: $err" ;;
	esac
	if printf '%s\n' "$err" | sed 1d | grep -qv '^  [^ ]'; then
		not_ok "$1: every line after the first is an indented detail" "stderr: $err"
	else
		ok "$1: every line after the first is an indented detail"
	fi
	if printf '%s\n' "$err" | grep -q '^[[:space:]]*(native'; then
		not_ok "$1: no '(native N)' on a line of its own" "stderr: $err"
	else
		ok "$1: no '(native N)' on a line of its own"
	fi
	expect_err '^upgrade: error: task errors:Fail failed .*: statement failed: SELECT \* FROM no_such_table$' \
		"$1: the statement, on the error's line"
}

# fail_run LABEL RUN-OPTIONS ARGS...: baseline the module, then run the
# failing task.
fail_run() {
	label=$1 opts=$2
	shift 2
	# shellcheck disable=SC2086 # $opts is a list of words
	run "$UPGRADE" -T "$T_TMP/v1" "$@" run $opts
	expect_rc 0 "$label: first run"
	# shellcheck disable=SC2086
	run "$UPGRADE" -T "$T_TMP/v2" "$@" run $opts
	expect_rc 2 "$label: the failing task fails the run"
	expect_one_line_error "$label"
}

fail_run SQLite "" --database "$T_TMP/errors.db"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'DROP SCHEMA IF EXISTS upg_errors CASCADE' \
		-c 'CREATE SCHEMA upg_errors AUTHORIZATION upgrade' >/dev/null 2>&1
	fail_run PG "--schema upg_errors" -c "$UPGRADE_TEST_PG"
	# psqlODBC's message ends with a line break and holds another.
	expect_err '^  \[42P01\] .*no_such_table.* \(native [0-9]+\)$' "PG: the diagnostic is one line"
	# The same for an error that is not a statement's.
	bad=$(printf '%s' "$UPGRADE_TEST_PG" | sed "s/{$UPGRADE_TEST_PASSWORD}/{wrong-password}/")
	run "$UPGRADE" --connect "$bad" info
	expect_rc 5 "PG: wrong password"
	expect_lines 2 err "PG: a connect error is its line and one diagnostic"
	expect_err '^  \[[0-9A-Z]{5}\] .*password.* \(native [0-9]+\)$' "PG: the connect diagnostic is one line"
	$UPGRADE_TEST_PG_ADMIN -c 'DROP SCHEMA IF EXISTS upg_errors CASCADE' >/dev/null 2>&1
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_errors; CREATE DATABASE upg_errors' \
		>/dev/null 2>&1
	fail_run MariaDB "--schema upg_errors" -c "$UPGRADE_TEST_MARIADB"
	# The next run refuses the partly applied task: the journal's stored
	# failure comes as detail lines, not inside the message's line.
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_MARIADB" run --schema upg_errors
	expect_rc 2 "MariaDB: a partly applied task is refused"
	first=$(printf '%s\n' "$err" | head -n 1)
	case $first in
	'upgrade: error: '*'is partly applied'*"'upgrade mark errors:Fail'") ok "MariaDB: the refusal is one line" ;;
	*) not_ok "MariaDB: the refusal is one line" "stderr: $err" ;;
	esac
	if printf '%s\n' "$err" | sed 1d | grep -qv '^  [^ ]\|^    \['; then
		not_ok "MariaDB: the earlier failure is indented detail" "stderr: $err"
	else
		ok "MariaDB: the earlier failure is indented detail"
	fi
	expect_err '^  earlier failure: statement failed: SELECT \* FROM no_such_table$' "MariaDB: the earlier failure is named"
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_MARIADB" status --schema upg_errors
	n=$(printf '%s\n' "$out" | grep -c '')
	[ "$n" = 3 ] && ok "MariaDB: status shows the partial task on one line" || not_ok "MariaDB: status lines" "$out"
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_errors' >/dev/null 2>&1
fi

# --- SQLite: the disk fills up at COMMIT ---------------------------------
# A 300 KiB tmpfs in a mount namespace of its own, so the test needs no
# root and leaves no mount behind.
mk full1 "<module $NS name=\"full\">$MAKE</module>"
mk full2 "<module $NS name=\"full\">$MAKE
  <task name=\"Fill\"><sql>INSERT INTO filled WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL
    SELECT i + 1 FROM n WHERE i &lt; 2000) SELECT printf('%0500d', i) FROM n</sql></task></module>"
mkdir -p "$T_TMP/small"
# SQLite takes a double-quoted name that is no column for a string: an
# index on a misspelt column would index a constant (and a unique one let
# the table hold one row).  The column is looked up first.
mk idx1 "<module $NS name=\"idx\"><task name=\"Users\"><sql>SELECT 1</sql></task></module>"
mk idx2 "<module $NS name=\"idx\"><task name=\"Users\"><sql>SELECT 1</sql></task>
  <task name=\"Index\"><create-index name=\"ux_users_email\" table=\"users\" columns=\"id,emial\" unique=\"true\"/></task></module>"
rm -f "$T_TMP/idx.db"
"$UPGRADE" -q -T "$T_TMP/idx1" -d "$T_TMP/idx.db" run >/dev/null 2>&1
sqlite3 "$T_TMP/idx.db" "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)"
run "$UPGRADE" -T "$T_TMP/idx2" -d "$T_TMP/idx.db" run
expect_rc 2 "SQLite: an index on a column the table does not have fails the task"
expect_err 'table users has no column emial to index' "SQLite: the error names the column"
n=$(sqlite3 "$T_TMP/idx.db" "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ux_users_email'")
[ "$n" = 0 ] && ok "SQLite: no index on a constant was made" || not_ok "SQLite: the index exists"

if [ "$(id -u)" = 0 ]; then userns=; else userns=--map-root-user; fi
cat >"$T_TMP/full.sh" <<EOF
mount -t tmpfs -o size=300k tmpfs "$T_TMP/small" || exit 99
"$UPGRADE" -q -T "$T_TMP/full1" --database "$T_TMP/small/full.db" run || exit 98
exec "$UPGRADE" -T "$T_TMP/full2" --database "$T_TMP/small/full.db" run
EOF
# shellcheck disable=SC2086 # $userns is one option or none
run unshare $userns --mount sh "$T_TMP/full.sh"
if [ "$rc" -eq 99 ] || [ "$rc" -eq 98 ]; then
	not_ok "SQLite: cannot set up a small file system (unshare and mount tmpfs)" "$err"
else
	expect_rc 2 "SQLite: a full disk fails the task"
	expect_err '^upgrade: error: task full:Fill failed in main: COMMIT failed$' \
		"SQLite: the error is the COMMIT's"
	expect_err 'database or disk is full' "SQLite: the error says the disk is full"
	expect_no 'cannot switch autocommit' "SQLite: the cleanup's error does not replace it"
	expect_no 'no transaction is active' "SQLite: nor its diagnostic"
fi

finish
