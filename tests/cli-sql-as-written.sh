#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-sql-as-written.sh - SQL of a catalog reaches the server as written:
# PostgreSQL's jsonb operators ?, ?| and ?& in <sql>, in <query> guards
# and in an expression of an operation (psqlODBC takes them for parameter
# markers); a ? in string literals and comments on MariaDB, and in string
# literals on SQLite.  The state writes, which bind parameters of their
# own, keep working next to them.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mkdir -p "$T_TMP/v1" "$T_TMP/v2" "$T_TMP/lit1" "$T_TMP/lit2"

# v1 creates the table when the module is first seen; v2 adds the tasks.
install='<install><sql>CREATE TABLE docs (id INTEGER, d JSONB)</sql>
<sql>INSERT INTO docs VALUES (1, CAST(&apos;{"a": 1, "b": 2}&apos; AS JSONB))</sql></install>'
printf '<module %s name="qm">%s</module>\n' "$NS" "$install" >"$T_TMP/v1/qm.xml"
cat >"$T_TMP/v2/qm.xml" <<XML
<module $NS name="qm">$install
  <task name="Has a">
    <only-if><query>SELECT 1 FROM docs WHERE d ? 'a'</query></only-if>
    <sql>UPDATE docs SET d = d || '{"t1": true}' WHERE d ?| array['a', 'z'] -- any of them?</sql>
  </task>
  <task name="Has a and z">
    <only-if><query>SELECT 1 FROM docs WHERE d ?&amp; array['a', 'z']</query></only-if>
    <sql>UPDATE docs SET d = d || '{"t2": true}'</sql>
  </task>
  <task name="Has a and b">
    <only-if><all><has-column table="docs" column="d"/>
      <query>SELECT 1 FROM docs WHERE d ?&amp; array['a', 'b']</query></all></only-if>
    <sql>UPDATE docs SET d = d || '{"t3": true}' WHERE d ? 'b' AND '?' = '?'</sql>
    <add-check table="docs" name="docs_has_a" expression="d ? 'a'"/>
  </task>
</module>
XML

# lit1/lit2: the same shape with ? only inside literals (and comments).
lit_install='<install><sql>CREATE TABLE notes (id INTEGER, note VARCHAR(20))</sql>
<sql>INSERT INTO notes VALUES (1, &apos;a?b&apos;)</sql></install>'
printf '<module %s name="lit">%s</module>\n' "$NS" "$lit_install" >"$T_TMP/lit1/lit.xml"
lit_tasks() { # extra-sql
	cat <<XML
<module $NS name="lit">$lit_install
  <task name="Literal">
    <only-if><query>SELECT 1 FROM notes WHERE note = 'a?b'</query></only-if>
    <sql>UPDATE notes SET note = 'why?' WHERE note = 'a?b'</sql>$1
  </task>
  <task name="No match">
    <only-if><query>SELECT 1 FROM notes WHERE note = '?'</query></only-if>
    <sql>UPDATE notes SET note = 'wrong'</sql>
  </task>
</module>
XML
}

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -c "$1" >/dev/null 2>&1; }
	pg 'DROP SCHEMA IF EXISTS upg_qm CASCADE; CREATE SCHEMA upg_qm AUTHORIZATION upgrade;'
	run "$UPGRADE" -T "$T_TMP/v1" -c "$UPGRADE_TEST_PG" run --schema upg_qm
	expect_rc 0 "PG: the install block creates the table"
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_PG" run --schema upg_qm
	expect_rc 0 "PG: tasks with ?, ?| and ?& run"
	expect_no "07002" "PG: no 'parameters exist' error from the driver"
	expect_out '^\* qm:Has a$' "PG: the task whose ? guard holds ran"
	expect_out '^\* qm:Has a and b$' "PG: the task whose ?& guard holds ran"
	got=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT d::text FROM upg_qm.docs")
	if [ "$got" = '{"a": 1, "b": 2, "t1": true, "t3": true}' ]; then
		ok "PG: ?| and ? updated the row, the ?& guard that fails skipped its task"
	else
		not_ok "PG: the row after the run" "$got"
	fi
	got=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'docs_has_a'")
	case $got in
	*'d ? '*) ok "PG: an operation's expression with ? reaches the server" ;;
	*) not_ok "PG: the check constraint" "$got" ;;
	esac
	got=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT string_agg(task, ',' ORDER BY task) FROM upg_qm.upgrade_tasks WHERE module = 'qm'")
	if [ "$got" = 'Has a,Has a and b,Has a and z' ]; then
		ok "PG: the state writes (bound parameters) recorded every task"
	else
		not_ok "PG: the recorded tasks" "$got"
	fi
	# A failing statement with ? is reported as written, with the server's SQLSTATE.
	mkdir -p "$T_TMP/bad"
	printf '<module %s name="qm">%s<task name="Bad"><sql>SELECT 1 FROM no_such_table WHERE d ? &apos;a&apos;</sql></task></module>\n' \
		"$NS" "$install" >"$T_TMP/bad/qm.xml"
	run "$UPGRADE" -T "$T_TMP/bad" -c "$UPGRADE_TEST_PG" run --schema upg_qm
	expect_rc 2 "PG: a failing statement with ? fails its task"
	expect_err "42P01" "PG: the server's SQLSTATE is reported"
	expect_err "statement failed: SELECT 1 FROM no_such_table WHERE d \? 'a'" "PG: the error quotes the statement as written"
	pg 'DROP SCHEMA IF EXISTS upg_qm CASCADE;'

	pg 'DROP SCHEMA IF EXISTS upg_lit CASCADE; CREATE SCHEMA upg_lit AUTHORIZATION upgrade;'
	lit_tasks "<sql>UPDATE notes SET id = 2 /* is it? */ WHERE note = 'why?'</sql>" >"$T_TMP/lit2/lit.xml"
	"$UPGRADE" -q -T "$T_TMP/lit1" -c "$UPGRADE_TEST_PG" run --schema upg_lit >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/lit2" -c "$UPGRADE_TEST_PG" run --schema upg_lit
	expect_rc 0 "PG: ? in literals and comments"
	got=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT id || ',' || note FROM upg_lit.notes")
	[ "$got" = '2,why?' ] && ok "PG: literals with ? arrive unchanged" || not_ok "PG: notes" "$got"
	pg 'DROP SCHEMA IF EXISTS upg_lit CASCADE;'
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -e "$1" >/dev/null 2>&1; }
	my 'DROP DATABASE IF EXISTS upg_lit; CREATE DATABASE upg_lit;'
	lit_tasks "<sql>UPDATE notes SET id = 2 /* is it? */ WHERE note = 'why?' -- sure?
</sql><sql>UPDATE notes SET id = id + 1 # and now?
</sql>" >"$T_TMP/lit2/lit.xml"
	"$UPGRADE" -q -T "$T_TMP/lit1" -c "$UPGRADE_TEST_MARIADB" run --schema upg_lit >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/lit2" -c "$UPGRADE_TEST_MARIADB" run --schema upg_lit
	expect_rc 0 "MariaDB: ? in literals and comments"
	got=$($UPGRADE_TEST_MARIADB_ADMIN -N -B -e "SELECT CONCAT(id, ',', note) FROM upg_lit.notes")
	[ "$got" = '3,why?' ] && ok "MariaDB: literals with ? arrive unchanged" || not_ok "MariaDB: notes" "$got"
	# A ? outside quotes is a marker to the driver: the run says so, not
	# "Malformed packet", and stops before any task (status 4, as validate).
	printf '<module %s name="lit">%s<task name="Marker"><sql>UPDATE notes SET id = ?</sql></task></module>\n' \
		"$NS" "$lit_install" >"$T_TMP/lit2/lit.xml"
	run "$UPGRADE" -T "$T_TMP/lit2" -c "$UPGRADE_TEST_MARIADB" run --schema upg_lit
	expect_rc 4 "MariaDB: a ? outside quotes stops the run before its task"
	expect_err "Connector/ODBC takes a \? outside quotes and comments for a parameter marker" "MariaDB: the error says why"
	my 'DROP DATABASE IF EXISTS upg_lit;'
fi

# SQLite: sqliteodbc counts a ? in a comment as a marker (upgrade-dialects(7)); literals only.
lit_tasks "" >"$T_TMP/lit2/lit.xml"
"$UPGRADE" -q -T "$T_TMP/lit1" -d "$T_TMP/lit.db" run >/dev/null 2>&1
run "$UPGRADE" -T "$T_TMP/lit2" -d "$T_TMP/lit.db" run
expect_rc 0 "SQLite: ? in literals"
expect_out '^\* lit:Literal$' "SQLite: the guard with ? in a literal holds"
got=$(sqlite3 "$T_TMP/lit.db" "SELECT id || ',' || note FROM notes")
[ "$got" = '1,why?' ] && ok "SQLite: literals with ? arrive unchanged" || not_ok "SQLite: notes" "$got"

# A ? in a comment cannot reach SQLite as written: the run says why, not
# the driver's count, before any task runs (status 4, as validate).
mkdir -p "$T_TMP/lit3"
printf '<module %s name="lit">%s<task name="Comment"><sql>UPDATE notes SET id = 2 -- is it?\n</sql></task></module>\n' \
	"$NS" "$lit_install" >"$T_TMP/lit3/lit.xml"
run "$UPGRADE" -T "$T_TMP/lit3" -d "$T_TMP/lit.db" run
expect_rc 4 "SQLite: a ? in a comment stops the run before its task"
expect_err "sqliteodbc takes a \? in a comment for a parameter marker; leave it out of the comment" "SQLite: the error says why and what to do"

finish
