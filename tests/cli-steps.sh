#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-steps.sh - guarded steps, assertions, per-schema raw steps and native
# actions that changed nothing, on SQLite, PostgreSQL and MariaDB:
#  - a task renames column x of a if it exists, drops b if it exists and
#    updates t1, t2 and t3 each if present, with portable guards only; a
#    dry run of it leaves the database as it was;
#  - an always-run task whose steps all skipped is neither shown nor
#    counted, nor due in status, and is shown (and due) once a step has
#    work;
#  - an assertion that fails in the middle of a task fails it with its
#    message and place, leaving nothing half-applied (MariaDB, which cannot
#    roll back, journals the statements that committed: --resume goes on);
#  - a step that fails after its first statement is rolled back whole, or
#    (MariaDB) resumed inside the step, whose guard no longer holds;
#  - a raw step for-each-schema runs in every target schema, ${schema}
#    naming it quoted, its guard asked in that schema;
#  - a native function returning UPGRADE_NOTHING_DONE hides an always-run
#    or raw task.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
# catalog DIR TASKS...: module st, whose first task registers it.
catalog() {
	_d=$1
	shift
	mkdir -p "$T_TMP/$_d"
	printf '<module %s name="st">\n<task name="Zero"><sql>SELECT 1</sql></task>\n%s\n</module>\n' \
		"$NS" "$*" >"$T_TMP/$_d/c.xml"
}

tidy='<task name="Tidy">
  <step><only-if><has-column table="a" column="x"/></only-if><rename-column table="a" from="x" to="y"/></step>
  <step><only-if><has-column table="a" column="b"/></only-if><drop-column table="a" name="b"/></step>
  <step><only-if><has-table table="t1"/></only-if><sql>UPDATE t1 SET v = v + 10</sql></step>
  <step><only-if><has-table table="t2"/></only-if><sql>UPDATE t2 SET v = v + 10</sql></step>
  <step><only-if><has-table table="t3"/></only-if><sql>UPDATE t3 SET v = v + 10</sql></step>
</task>'
keep='<task name="Keep tidy" always-run="true">
  <step><only-if><has-column table="a" column="x"/></only-if><rename-column table="a" from="x" to="y"/></step>
  <step><only-if><has-table table="t2"/></only-if><sql>UPDATE t2 SET v = 7</sql></step>
</task>'
fill='<task name="Guarded fill">
  <step><only-if><has-table table="t1"/></only-if><sql>UPDATE t1 SET v = 100</sql></step>
  <step>
    <assert message="every row of a has a y"><not><query>SELECT 1 FROM a WHERE y IS NULL</query></not></assert>
    <sql>UPDATE t3 SET v = 100</sql>
  </step>
</task>'

# Its step's guard no longer holds once its first statement ran.
move='<task name="Move and log">
  <step>
    <only-if><has-column table="a" column="id"/></only-if>
    <rename-column table="a" from="id" to="ident"/>
    <sql>INSERT INTO moved (v) VALUES (1)</sql>
  </step>
</task>'

catalog c0
catalog c1 "$tidy"
catalog c2 "$tidy" "$keep"
catalog c3 "$tidy" "$keep" "$fill"
catalog c4 "$tidy" "$keep" "$fill" "$move"
at=$(grep -n '<assert' "$T_TMP/c3/c.xml" | cut -d: -f1)

# state: the columns of a and the values of t1, t2 (if there) and t3.
state() {
	printf '%s|%s|%s|%s' "$(cols)" "$(q 'SELECT v FROM t1')" "$(has_t2 && q 'SELECT v FROM t2')" \
		"$(q 'SELECT v FROM t3')"
}

# suite E SCHEMA TRANSACTIONAL: everything, on engine E through up(), q(),
# cols(), has_t2() and fresh(), in schema SCHEMA (where an engine has one).
suite() {
	E=$1
	S=$2
	tx=$3
	fresh
	up c0 run >/dev/null
	q 'CREATE TABLE a (id INTEGER, x INTEGER, b INTEGER)'
	q 'INSERT INTO a VALUES (1, 5, 6)'
	q 'CREATE TABLE t1 (v INTEGER)'
	q 'INSERT INTO t1 VALUES (1)'
	q 'CREATE TABLE t3 (v INTEGER)'
	q 'INSERT INTO t3 VALUES (1)'

	# --- steps: a dry run, then the run --------------------------------
	before=$(state)
	up c1 run --dry-run
	expect_rc 0 "$E: dry run of a task of guarded steps"
	if [ "$tx" = 1 ]; then
		expect_out '^\* st:Tidy$' "$E: the dry run tried the task"
	else
		expect_out '^\* st:Tidy \(not verified' "$E: the dry run lists the task, not verified"
	fi
	after=$(state)
	[ "$before" = "$after" ] && ok "$E: the dry run left the database as before" ||
		not_ok "$E: the dry run changed the database" "before: $before" "after: $after"
	up c1 run
	expect_rc 0 "$E: a task of guarded steps runs"
	expect_out '^\* st:Tidy$' "$E: it is reported"
	after=$(state)
	[ "$after" = "id,y|11||11" ] && ok "$E: x renamed, b dropped, t1 and t3 updated, t2 absent" ||
		not_ok "$E: after the task of steps: $after, want id,y|11||11"

	# --- an always-run task whose steps all skip ------------------------
	up c2 run
	expect_rc 0 "$E: an always-run task whose steps all skip"
	expect_no 'Keep tidy' "$E: it is not shown"
	expect_out '^no pending upgrade tasks found$' "$E: nor counted"
	up c2 status --check
	expect_rc 0 "$E: status: nothing is due"
	q 'CREATE TABLE t2 (v INTEGER)'
	q 'INSERT INTO t2 VALUES (1)'
	up c2 status --check
	expect_rc 1 "$E: status: with a step's guard holding, the always-run task is due"
	expect_out '^  pending +st:Keep tidy ' "$E: status names it"
	up c2 run
	expect_rc 0 "$E: the always-run task with a step to run"
	expect_out '^\* st:Keep tidy$' "$E: now it is shown"
	[ "$(q 'SELECT v FROM t2')" = 7 ] && ok "$E: its step ran" || not_ok "$E: t2 is $(q 'SELECT v FROM t2')"

	# --- an assertion failing mid-task ----------------------------------
	q 'INSERT INTO a (id) VALUES (2)'
	before=$(state)
	if [ "$tx" = 1 ]; then
		up c3 run --dry-run
		expect_rc 2 "$E: a dry run checks the assertion too"
		expect_err "c\\.xml:$at: assertion failed: every row of a has a y" "$E: dry run: the message, file and line"
	fi
	up c3 run
	expect_rc 2 "$E: a failed assertion fails the task"
	expect_err "^upgrade: error: task st:Guarded fill failed .*c\\.xml:$at: assertion failed: every row of a has a y\$" \
		"$E: with the task, the place and the message on one line"
	after=$(state)
	if [ "$tx" = 1 ]; then
		[ "$before" = "$after" ] && ok "$E: nothing of the task stays" ||
			not_ok "$E: the failed task left changes" "before: $before" "after: $after"
		q 'DELETE FROM a WHERE y IS NULL'
		up c3 run
		expect_rc 0 "$E: with the data fixed, the task runs"
	else
		[ "$(q 'SELECT v FROM t1')" = 100 ] && ok "$E: the statement before the assertion committed" ||
			not_ok "$E: t1 is $(q 'SELECT v FROM t1')"
		q 'DELETE FROM a WHERE y IS NULL'
		up c3 run
		expect_rc 2 "$E: the journal holds the task back"
		expect_err 'is partly applied: 1 of 3 statements committed' "$E: the journal says what committed"
		up c3 run --resume
		expect_rc 0 "$E: --resume goes on from the assertion"
	fi
	expect_out '^\* st:Guarded fill$' "$E: the task is reported"
	[ "$(q 'SELECT v FROM t3')" = 100 ] && ok "$E: the rest of the task ran" ||
		not_ok "$E: t3 is $(q 'SELECT v FROM t3')"
	# --- a failure inside a step ----------------------------------------
	up c4 run
	expect_rc 2 "$E: the second statement of a step fails"
	if [ "$tx" = 1 ]; then
		[ "$(cols)" = id,y ] && ok "$E: the step's first statement is rolled back" ||
			not_ok "$E: columns of a: $(cols)"
		q 'CREATE TABLE moved (v INTEGER)'
		up c4 run
	else
		q 'CREATE TABLE moved (v INTEGER)'
		up c4 run --resume
	fi
	expect_rc 0 "$E: the task runs once moved exists"
	expect_out '^\* st:Move and log$' "$E: it is reported"
	[ "$(cols)|$(q 'SELECT count(*) FROM moved')" = "ident,y|1" ] &&
		ok "$E: the whole step ran, resumed inside it without asking its guard again" ||
		not_ok "$E: after the step: $(cols)|$(q 'SELECT count(*) FROM moved')"
}

# each NAME MAX: catalogs of per-schema raw steps; the raw task of e1
# runs when NAME is a target schema and there are at most MAX of them.
each() {
	catalog e1 "<task name=\"Per schema\" raw=\"true\">
  <only-if><schemas-include name=\"$1\"/><schema-count min=\"1\" max=\"$2\"/></only-if>
  <step for-each-schema=\"true\">
    <only-if><has-table table=\"t1\"/><query>SELECT 1 FROM \${schema}.t1 WHERE v &lt; 1000</query></only-if>
    <sql>UPDATE \${schema}.t1 SET v = 1000 + (SELECT count(*) FROM \${schema}.t3)</sql>
  </step>
</task>"
	catalog e2 "<task name=\"Per schema\" raw=\"true\">
  <only-if><schemas-include name=\"no_such_schema\"/></only-if>
  <step for-each-schema=\"true\"><sql>UPDATE \${schema}.t1 SET v = 0</sql></step>
</task>"
	catalog e3 "<task name=\"Per schema\" raw=\"true\">
  <step for-each-schema=\"true\"><sql>UPDATE \${schema}.t1 SET v = 0</sql></step>
</task>"
}

LIBDIR="$top_builddir/tests/native/.libs"
NATIVE=
if [ -f "$LIBDIR/example-tasks.so" ] && trusted_tmpdir SAFE; then
	if ! trusted "$LIBDIR"; then
		cp "$LIBDIR/example-tasks.so" "$SAFE/" && chmod 644 "$SAFE/example-tasks.so"
		LIBDIR=$SAFE
	fi
	NATIVE=$LIBDIR
fi
catalog n1 '<task name="Noop" always-run="true"><native library="example-tasks.so" symbol="example_noop"/></task>
<task name="Raw noop" raw="true"><step><native library="example-tasks.so" symbol="example_noop"/></step></task>'
catalog n2 '<task name="Make notes" always-run="true"><native library="example-tasks.so" symbol="example_noop"/><native library="example-tasks.so" symbol="example_create_notes" arg="notes"/></task>'

# native E: native functions that changed nothing hide their task.
native() {
	if [ -z "$NATIVE" ]; then
		echo "skip - $1: no trusted directory to load the example task library from"
		return
	fi
	up n1 run
	expect_rc 0 "$1: always-run and raw tasks of native functions that changed nothing"
	expect_no 'Noop' "$1: the always-run task is not shown"
	expect_no 'Raw noop' "$1: the raw task is not shown"
	up n2 run
	expect_rc 0 "$1: an always-run task with a native function that changed something"
	expect_out '^\* st:Make notes$' "$1: it is shown"
}
export UPGRADE_LIBRARY_PATH="${NATIVE:-/nonexistent}"

# --- SQLite ----------------------------------------------------------------------
DB=$T_TMP/steps.db
up() { _c=$1; _cmd=$2; shift 2; run "$UPGRADE" -T "$T_TMP/$_c" -d "$DB" "$_cmd" "$@"; }
q() { sqlite3 "$DB" "$1"; }
cols() { q "SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_table_info('a') ORDER BY cid)"; }
has_t2() { [ "$(q "SELECT count(*) FROM sqlite_master WHERE name = 't2'")" = 1 ]; }
fresh() { rm -f "$DB"; }
suite SQLite main 1
each main 1
q 'UPDATE t1 SET v = 1'
up e1 run --dry-run
expect_rc 0 "SQLite: dry run of a per-schema raw step"
expect_out '^\* st:Per schema$' "SQLite: it is shown"
[ "$(q 'SELECT v FROM t1')" = 1 ] && ok "SQLite: the dry run rolled the step back" || not_ok "SQLite: t1 is $(q 'SELECT v FROM t1')"
up e1 run
expect_rc 0 "SQLite: a per-schema raw step runs in main"
expect_out '^\* st:Per schema$' "SQLite: it is shown"
[ "$(q 'SELECT v FROM t1')" = 1001 ] && ok "SQLite: \${schema} named main" || not_ok "SQLite: t1 is $(q 'SELECT v FROM t1')"
up e1 run
expect_no 'Per schema' "SQLite: its guard, asked in the schema, no longer holds: not shown"
up e2 run
expect_rc 0 "SQLite: a raw task for a schema that is not a target"
expect_no 'Per schema' "SQLite: its guard on the target schemas does not hold"
q 'DROP TABLE t1'
up e3 run
expect_rc 2 "SQLite: a per-schema raw step that fails"
expect_err '^upgrade: error: .*\(schema main\)$' "SQLite: the failing schema is named"
native SQLite

# --- PostgreSQL --------------------------------------------------------------------
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -tA -c "$1" 2>&1; }
	up() { _c=$1; _cmd=$2; shift 2; run "$UPGRADE" -T "$T_TMP/$_c" -c "$UPGRADE_TEST_PG" "$_cmd" --schema upg_st1 "$@"; }
	q() { pg "SET ROLE upgrade; SET search_path TO upg_st1; $1"; }
	cols() { q "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'upg_st1' AND table_name = 'a'"; }
	has_t2() { [ "$(q "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_st1' AND table_name = 't2'")" = 1 ]; }
	fresh() {
		pg 'DROP SCHEMA IF EXISTS upg_st1 CASCADE; DROP SCHEMA IF EXISTS "upg_st""2" CASCADE; CREATE SCHEMA upg_st1 AUTHORIZATION upgrade; CREATE SCHEMA "upg_st""2" AUTHORIZATION upgrade' >/dev/null
	}
	suite PG upg_st1 1
	# The second schema's name needs quoting: ${schema} must quote it.
	pg 'SET ROLE upgrade; CREATE TABLE "upg_st""2".t1 (v INTEGER); INSERT INTO "upg_st""2".t1 VALUES (1); CREATE TABLE "upg_st""2".t3 (v INTEGER); UPDATE upg_st1.t1 SET v = 1' >/dev/null
	each 'upg_st&quot;2' 2
	snap() { pg 'SELECT v FROM upg_st1.t1 UNION ALL SELECT v FROM "upg_st""2".t1' | tr '\n' ' '; }
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_PG" run --dry-run --schemas 'upg_st*'
	expect_rc 0 "PG: dry run of a per-schema raw step"
	[ "$(snap)" = "1 1 " ] && ok "PG: the dry run rolled the steps back" || not_ok "PG: after the dry run: $(snap)"
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_st*'
	expect_rc 0 "PG: a per-schema raw step runs in each target schema"
	expect_out '^\* st:Per schema$' "PG: it is shown"
	[ "$(snap)" = "1001 1000 " ] && ok "PG: each schema updated from its own t3" || not_ok "PG: after the run: $(snap)"
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_st*'
	expect_no 'Per schema' "PG: its guard no longer holds in either schema: not shown"
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_st1'
	expect_no 'Per schema' "PG: a run without that schema: the raw task's guard does not hold"
	run "$UPGRADE" -T "$T_TMP/e3" -c "$UPGRADE_TEST_PG" run --schemas 'upg_st*'
	expect_rc 0 "PG: an unguarded per-schema step"
	[ "$(snap)" = "0 0 " ] && ok "PG: it ran in both schemas" || not_ok "PG: after it: $(snap)"
	pg 'DROP TABLE "upg_st""2".t1' >/dev/null
	run "$UPGRADE" -T "$T_TMP/e3" -c "$UPGRADE_TEST_PG" run --schemas 'upg_st*'
	expect_rc 2 "PG: the step fails in one schema"
	expect_err '^upgrade: error: .*\(schema upg_st"2\)$' "PG: the failing schema is named"
	native PG
	pg 'DROP SCHEMA upg_st1 CASCADE; DROP SCHEMA "upg_st""2" CASCADE' >/dev/null
fi

# --- MariaDB -----------------------------------------------------------------------
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
	up() { _c=$1; _cmd=$2; shift 2; run "$UPGRADE" -T "$T_TMP/$_c" -c "$UPGRADE_TEST_MARIADB" "$_cmd" --schema upg_st1 "$@"; }
	q() { my "USE upg_st1; $1"; }
	cols() { q "SELECT group_concat(column_name ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'upg_st1' AND table_name = 'a'"; }
	has_t2() { [ "$(q "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_st1' AND table_name = 't2'")" = 1 ]; }
	fresh() { my 'DROP DATABASE IF EXISTS upg_st1; DROP DATABASE IF EXISTS upg_st2; CREATE DATABASE upg_st1; CREATE DATABASE upg_st2' >/dev/null; }
	suite MariaDB upg_st1 0
	my 'CREATE TABLE upg_st2.t1 (v INTEGER); INSERT INTO upg_st2.t1 VALUES (1); CREATE TABLE upg_st2.t3 (v INTEGER); UPDATE upg_st1.t1 SET v = 1' >/dev/null
	each upg_st2 2
	snap() { my 'SELECT v FROM upg_st1.t1 UNION ALL SELECT v FROM upg_st2.t1' | tr '\n' ' '; }
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_MARIADB" run --dry-run --schemas 'upg_st*'
	expect_rc 0 "MariaDB: dry run of a per-schema raw step"
	[ "$(snap)" = "1 1 " ] && ok "MariaDB: the dry run ran no raw step" || not_ok "MariaDB: after the dry run: $(snap)"
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_st*'
	expect_rc 0 "MariaDB: a per-schema raw step runs in each target schema"
	expect_out '^\* st:Per schema$' "MariaDB: it is shown"
	[ "$(snap)" = "1001 1000 " ] && ok "MariaDB: each schema updated from its own t3" || not_ok "MariaDB: after the run: $(snap)"
	run "$UPGRADE" -T "$T_TMP/e1" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_st*'
	expect_no 'Per schema' "MariaDB: its guard no longer holds in either schema: not shown"
	run "$UPGRADE" -T "$T_TMP/e2" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_st*'
	expect_no 'Per schema' "MariaDB: a raw task for a schema that is not a target: not run"
	my 'DROP TABLE upg_st2.t1' >/dev/null
	run "$UPGRADE" -T "$T_TMP/e3" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_st*'
	expect_rc 2 "MariaDB: the step fails in one schema"
	expect_err '^upgrade: error: .*\(schema upg_st2\)$' "MariaDB: the failing schema is named"
	native MariaDB
	my 'DROP DATABASE upg_st1; DROP DATABASE upg_st2' >/dev/null
fi

finish
