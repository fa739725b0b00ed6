#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-sql.sh - `upgrade sql`, on SQLite, PostgreSQL and MariaDB:
#  - its output for pending tasks (a table, an added column, an index, a
#    guarded update), fed to the engine's own client on one fresh
#    database, gives the same schema as `upgrade run` on another;
#  - the database it looked at is unchanged, state table included;
#  - guards' answers and state writes are comments, a ? in a literal
#    stays as written, and JSON gives one valid "sql" object a task.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mkdir -p "$T_TMP/v1" "$T_TMP/v2"
printf '<module %s name="shop">\n<task name="Zero"><sql>SELECT 1</sql></task>\n</module>\n' "$NS" \
	>"$T_TMP/v1/c.xml"
cat >"$T_TMP/v2/c.xml" <<EOF
<module $NS name="shop">
  <task name="Zero"><sql>SELECT 1</sql></task>
  <task name="Create items"><sql>CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40))</sql></task>
  <task name="Add price"><add-column table="items" name="price" type="integer" default="0"/></task>
  <task name="Index name"><create-index table="items" name="items_name" columns="name"/></task>
  <task name="Fill"><sql>INSERT INTO items (id, name) VALUES (1, 'what?')</sql></task>
  <task name="Never"><only-if><has-table table="nope"/></only-if><sql>DROP TABLE items</sql></task>
</module>
EOF

# check ENGINE DUMP FEED CONNECT-A... -- CONNECT-B...: DUMP prints a
# database's schema (argument a or b), FEED feeds stdin to database a.
check() {
	eng=$1 dump=$2 feed=$3
	shift 3
	a= b=
	while [ "$1" != -- ]; do a="$a $1"; shift; done
	shift
	b="$*"
	# shellcheck disable=SC2086 # connection options, split on purpose
	{
		"$UPGRADE" -q -T "$T_TMP/v1" $a run >/dev/null 2>&1
		"$UPGRADE" -q -T "$T_TMP/v1" $b run >/dev/null 2>&1
		before=$(eval "$dump a")
		run "$UPGRADE" -T "$T_TMP/v2" $a sql
	}
	expect_rc 0 "$eng: sql"
	expect_out '^-- upgrade: record shop:Add price as executed$' "$eng: the state write is a comment"
	expect_out "^-- upgrade: <only-if> \\(line 7\\) does not hold now: the task would do nothing$" \
		"$eng: a guard's answer is a comment"
	expect_out "^INSERT INTO items \\(id, name\\) VALUES \\(1, 'what\\?'\\);$" "$eng: a ? in a literal, as written"
	expect_no "DROP TABLE" "$eng: a task whose guard does not hold shows no statement"
	[ -z "$switch" ] || expect_out "$switch" "$eng: the output switches to the schema first"
	sql=$out
	after=$(eval "$dump a")
	[ "$before" = "$after" ] && ok "$eng: sql changed nothing, state included" ||
		not_ok "$eng: the database changed" "before: $before" "after: $after"
	printf '%s\n' "$sql" | eval "$feed" >"$T_TMP/feed.log" 2>&1 &&
		ok "$eng: the output runs in the engine's own client" ||
		not_ok "$eng: the client refused the output" "$(cat "$T_TMP/feed.log")"
	# shellcheck disable=SC2086
	run "$UPGRADE" -T "$T_TMP/v2" $b run
	expect_rc 0 "$eng: run on the other database"
	da=$(eval "$dump a" | grep -v -e upgrade -e executed_tasks)
	db=$(eval "$dump b" | grep -v -e upgrade -e executed_tasks)
	[ -n "$da" ] && [ "$da" = "$db" ] && ok "$eng: the fed output and the run give the same schema" ||
		not_ok "$eng: the schemas differ" "sql fed: $da" "run:     $db"
	# shellcheck disable=SC2086
	run "$UPGRADE" --format json -T "$T_TMP/v2" $a sql
	expect_rc 0 "$eng: sql --format json"
	expect_out '^\{"type":"sql","schema":"[^"]+","task":"shop:Create items","sql":"\\n-- task shop:Create items\\n' \
		"$eng: one sql object a task"
}

sq_dump() { sqlite3 "$T_TMP/$1.db" '.schema' 'SELECT module, state FROM upgrades'; }
switch=
check SQLite sq_dump 'sqlite3 -bail "$T_TMP/a.db"' -d "$T_TMP/a.db" -- -d "$T_TMP/b.db"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -q -c 'DROP SCHEMA IF EXISTS upg_sqla CASCADE; DROP SCHEMA IF EXISTS upg_sqlb CASCADE;
		CREATE SCHEMA upg_sqla AUTHORIZATION upgrade; CREATE SCHEMA upg_sqlb AUTHORIZATION upgrade' >/dev/null 2>&1
	pg_dump_s() {
		$UPGRADE_TEST_PG_ADMIN -At -c "SELECT table_name || '.' || column_name || ':' || data_type || ':' || coalesce(column_default, '') FROM information_schema.columns WHERE table_schema = 'upg_sql$1' ORDER BY 1" \
			-c "SELECT indexname FROM pg_indexes WHERE schemaname = 'upg_sql$1' ORDER BY 1" \
			-c "SELECT module || ' ' || state::text FROM upg_sql$1.upgrades ORDER BY 1"
	}
	# Fed on a session whose search path does not name the schema: the
	# output's own first statement must switch to it.
	switch='^SET search_path TO "upg_sqla"'
	check PG pg_dump_s '$UPGRADE_TEST_PG_ADMIN -q -v ON_ERROR_STOP=1' \
		-c "$UPGRADE_TEST_PG" --schema upg_sqla -- -c "$UPGRADE_TEST_PG" --schema upg_sqlb
	$UPGRADE_TEST_PG_ADMIN -q -c 'DROP SCHEMA upg_sqla CASCADE; DROP SCHEMA upg_sqlb CASCADE' >/dev/null 2>&1
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_sqla; DROP DATABASE IF EXISTS upg_sqlb;
		CREATE DATABASE upg_sqla; CREATE DATABASE upg_sqlb' >/dev/null 2>&1
	my_dump() {
		$UPGRADE_TEST_MARIADB_ADMIN -N -e "SELECT CONCAT(table_name, '.', column_name, ':', column_type, ':', coalesce(column_default, '')) FROM information_schema.columns WHERE table_schema = 'upg_sql$1' ORDER BY 1;
			SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema = 'upg_sql$1' ORDER BY 1;
			SELECT CONCAT(module, ' ', state) FROM upg_sql$1.upgrades ORDER BY 1"
	}
	# Fed with another database as the default.
	switch='^USE `upg_sqla`;$'
	check MariaDB my_dump '$UPGRADE_TEST_MARIADB_ADMIN' \
		-c "$UPGRADE_TEST_MARIADB" --schema upg_sqla -- -c "$UPGRADE_TEST_MARIADB" --schema upg_sqlb
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE upg_sqla; DROP DATABASE upg_sqlb' >/dev/null 2>&1
fi

# A guard that reads what an earlier task of the run creates cannot be
# asked before the run: sql says so and goes on (it stopped with status 5
# and "statement failed", naming no task, and showed no later schema).
mkdir -p "$T_TMP/guard"
cat >"$T_TMP/guard/g.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="g">
  <task name="Zero"><sql>SELECT 1</sql></task>
</module>
EOF
rm -f "$T_TMP/guard.db"
"$UPGRADE" -q -T "$T_TMP/guard" -d "$T_TMP/guard.db" run >/dev/null 2>&1
cat >"$T_TMP/guard/g.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="g">
  <task name="Zero"><sql>SELECT 1</sql></task>
  <task name="Make"><sql>CREATE TABLE made (a INTEGER)</sql></task>
  <task name="Fill"><only-if><query>SELECT 1 FROM made WHERE a IS NULL</query></only-if><sql>INSERT INTO made VALUES (1)</sql></task>
  <task name="After"><sql>CREATE TABLE after_it (a INTEGER)</sql></task>
</module>
EOF
run "$UPGRADE" -T "$T_TMP/guard" -d "$T_TMP/guard.db" sql
expect_rc 0 "SQLite: sql with a guard on a table an earlier task makes"
expect_out '^-- upgrade: <only-if> \(line 4\) cannot be asked before the run \(statement failed: SELECT 1 FROM made WHERE a IS NULL .*no such table: made.*\); the run asks it when the task.s turn comes, and if it holds sends:$' \
	"SQLite: the guard is named, and why"
expect_out '^INSERT INTO made VALUES \(1\);$' "SQLite: the guarded statement follows"
expect_out '^CREATE TABLE after_it \(a INTEGER\);$' "SQLite: and the tasks after it"
[ "$(sqlite3 "$T_TMP/guard.db" "SELECT count(*) FROM sqlite_master WHERE name IN ('made', 'after_it')")" = 0 ] &&
	ok "SQLite: sql wrote nothing" || not_ok "SQLite: sql created tables"
# Any other failure of a guard (here its syntax) still stops sql, as it stops the run.
sed -i 's/SELECT 1 FROM made WHERE a IS NULL/SELEC 1/' "$T_TMP/guard/g.xml"
run "$UPGRADE" -T "$T_TMP/guard" -d "$T_TMP/guard.db" sql
expect_rc 5 "SQLite: sql with a guard that cannot run at all fails"
expect_err 'SELEC 1' "SQLite: and names the guard's statement"
expect_err '^upgrade: error: task g:Fill failed in main \(dry run\): statement failed: SELEC 1' "SQLite: and the task, as run does"

# What sql writes is fed to the engine's own client: a statement ending in
# a comment gets its ';' on a line of its own, and the values the runner
# binds (here a table rebuild keeping its AUTOINCREMENT counter) are
# written into the statements, where sqlite3 cannot bind them.
mkdir -p "$T_TMP/client"
cat >"$T_TMP/client/c.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="c">
  <task name="Zero"><sql>SELECT 1</sql></task>
</module>
EOF
rm -f "$T_TMP/client.db"
"$UPGRADE" -q -T "$T_TMP/client" -d "$T_TMP/client.db" run >/dev/null 2>&1
sqlite3 "$T_TMP/client.db" "CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, y INTEGER);
	INSERT INTO auto (y) VALUES (1), (2); DELETE FROM auto WHERE id = 2"
cat >"$T_TMP/client/c.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="c">
  <task name="Zero"><sql>SELECT 1</sql></task>
  <task name="Commented"><sql>CREATE TABLE c1 (a INTEGER) -- the first table</sql><sql>INSERT INTO c1 VALUES (1) -- one row</sql></task>
  <task name="Not null"><alter-column table="auto" name="y" nullable="false" default="0"/></task>
</module>
EOF
run "$UPGRADE" -T "$T_TMP/client" -d "$T_TMP/client.db" sql
expect_rc 0 "SQLite: sql of a comment and a rebuild"
expect_no '-- parameters:' "SQLite: no value is left in a comment"
printf '%s\n' "$out" | sqlite3 -bail "$T_TMP/client.db" >/dev/null 2>"$T_TMP/client.err" &&
	ok "SQLite: sqlite3 runs the output" || not_ok "SQLite: sqlite3 fails on the output" "$(cat "$T_TMP/client.err")"
got=$(sqlite3 "$T_TMP/client.db" "SELECT count(*) FROM c1; INSERT INTO auto (y) VALUES (3); SELECT max(id) FROM auto" 2>&1 | tr '\n' ' ')
[ "$got" = "1 3 " ] && ok "SQLite: the commented statements ran, and id 2 is not handed out again" ||
	not_ok "SQLite: after the output: $got (want '1 3 ')"

# feed_sqlite3 DB QUERY WANT WHAT: feeds the last output to sqlite3 on DB,
# then passes when QUERY's rows, a space after each, are WANT.
feed_sqlite3() {
	if printf '%s\n' "$out" | sqlite3 -bail "$1" >/dev/null 2>"$T_TMP/feed.err"; then
		ok "SQLite: sqlite3 runs that output"
	else
		not_ok "SQLite: sqlite3 fails on that output" "$(cat "$T_TMP/feed.err")"
	fi
	got=$(sqlite3 "$1" "$2" 2>&1 | tr '\n' ' ')
	[ "$got" = "$3" ] && ok "SQLite: $4" || not_ok "SQLite: $4: $got"
}

# An operation rendered from a table an earlier statement of the output
# names: a SQLite rebuild listed the columns the table has before the run,
# so fed to sqlite3 it dropped the column an earlier task adds.  It is left
# as comments; a rebuild of a table nothing earlier names is not.
mkdir -p "$T_TMP/keep"
printf '<module %s name="k"><task name="Zero"><sql>SELECT 1</sql></task></module>\n' \
	'xmlns="urn:upgrade:catalog:1"' >"$T_TMP/keep/k.xml"
rm -f "$T_TMP/keep.db"
"$UPGRADE" -q -T "$T_TMP/keep" -d "$T_TMP/keep.db" run >/dev/null 2>&1
cat >"$T_TMP/keep/k.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="k">
  <task name="Zero"><sql>SELECT 1</sql></task>
  <task name="Extra"><sql>ALTER TABLE keep ADD COLUMN extra INTEGER DEFAULT 7</sql></task>
  <task name="Keep not null"><alter-column table="keep" name="y" nullable="false" default="0"/></task>
  <task name="Other not null"><alter-column table="other" name="y" nullable="false" default="0"/></task>
</module>
EOF
sqlite3 "$T_TMP/keep.db" "CREATE TABLE keep (id INTEGER PRIMARY KEY, y INTEGER); INSERT INTO keep VALUES (1, NULL);
	CREATE TABLE other (id INTEGER PRIMARY KEY, y INTEGER)"
run "$UPGRADE" -T "$T_TMP/keep" -d "$T_TMP/keep.db" sql
expect_rc 0 "SQLite: sql of a column added, then a rebuild of its table"
expect_out '^-- upgrade: <alter-column> \(line 4\) looked at keep as it is before the run, and an earlier statement of this output names keep: its statements are left as comments' \
	"SQLite: the rebuild of a table an earlier task changes is left as comments, and says why"
expect_out '^-- INSERT INTO "upgrade_rebuild_tmp" \("id", "y"\) SELECT "id", "y" FROM "keep";$' \
	"SQLite: the statement that would drop the added column is a comment"
expect_out '^INSERT INTO "upgrade_rebuild_tmp" \("id", "y"\) SELECT "id", "y" FROM "other";$' \
	"SQLite: the rebuild of a table nothing earlier names is shown as before"
feed_sqlite3 "$T_TMP/keep.db" "SELECT extra FROM keep; SELECT sql FROM sqlite_master WHERE name = 'other'" \
	"7 CREATE TABLE \"other\" (id INTEGER PRIMARY KEY, y INTEGER NOT NULL DEFAULT '0') " \
	"the added column and its value survive; the other table was rebuilt"

# Names are compared as words, in any case: a table named in another case
# or quoted with a space counts as named, a longer word that contains the
# name does not.
cat >"$T_TMP/keep/k.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="k">
  <task name="Zero"><sql>SELECT 1</sql></task>
  <task name="Upper"><sql>ALTER TABLE MIXED ADD COLUMN extra INTEGER</sql></task>
  <task name="Spaced"><sql>ALTER TABLE "my tab" ADD COLUMN extra INTEGER</sql></task>
  <task name="Longer"><sql>INSERT INTO keepers VALUES (1)</sql></task>
  <task name="Mixed not null"><alter-column table="MiXed" name="y" nullable="false" default="0"/></task>
  <task name="Spaced not null"><alter-column table="my tab" name="y" nullable="false" default="0"/></task>
  <task name="Keep not null"><alter-column table="keep" name="y" nullable="false" default="0"/></task>
</module>
EOF
rm -f "$T_TMP/keep2.db"
sqlite3 "$T_TMP/keep2.db" "CREATE TABLE upgrades (module TEXT NOT NULL PRIMARY KEY, state TEXT NOT NULL, created TEXT, modified TEXT);
	INSERT INTO upgrades VALUES ('k', '{\"executed_tasks\":[\"Zero\"]}', NULL, NULL);
	CREATE TABLE Mixed (id INTEGER PRIMARY KEY, y INTEGER); CREATE TABLE \"my tab\" (id INTEGER PRIMARY KEY, y INTEGER);
	CREATE TABLE keep (id INTEGER PRIMARY KEY, y INTEGER); CREATE TABLE keepers (id INTEGER)"
run "$UPGRADE" -T "$T_TMP/keep" -d "$T_TMP/keep2.db" sql
expect_rc 0 "SQLite: sql of names in another case, with a space, and inside a longer word"
expect_out '^-- upgrade: <alter-column> \(line 6\) looked at MiXed as it is before the run' \
	"SQLite: a table named earlier in another case counts as named"
expect_out '^-- upgrade: <alter-column> \(line 7\) looked at my tab as it is before the run' \
	"SQLite: a quoted name with a space named earlier counts as named"
expect_out '^INSERT INTO "upgrade_rebuild_tmp" \("id", "y"\) SELECT "id", "y" FROM "keep";$' \
	"SQLite: a longer word (keepers) does not name keep"
feed_sqlite3 "$T_TMP/keep2.db" "SELECT count(extra) FROM Mixed; SELECT count(extra) FROM \"my tab\";
	SELECT sql FROM sqlite_master WHERE name = 'keep'" \
	"0 0 CREATE TABLE \"keep\" (id INTEGER PRIMARY KEY, y INTEGER NOT NULL DEFAULT '0') " \
	"the added columns survive; keep was rebuilt"

# The shipped upgrade path: release 1 of the examples, then the examples as
# they are.  A guard on a column an earlier task of the run adds is
# commented like one on a missing table, and sql shows every task after it.
ex=$top_srcdir/tasks/examples
r1=$top_srcdir/tests/catalogs/examples-r1
rm -f "$T_TMP/r1.db"
"$UPGRADE" -q -T "$r1" -d "$T_TMP/r1.db" run >/dev/null 2>&1
run "$UPGRADE" -T "$ex" -d "$T_TMP/r1.db" sql
expect_rc 0 "SQLite: sql of the examples after release 1"
expect_out '^-- upgrade: <only-if> \(line [0-9]+\) cannot be asked before the run \(.*no such column: status' \
	"SQLite: a guard on a column not there yet is commented"
expect_out '^-- task demo.reports \(install\)$' "SQLite: the tasks after it are shown"
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	# On PostgreSQL sql runs inside a transaction: a failed guard aborted it,
	# and the next guard failed with 25P02.
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA IF EXISTS upg_sqlex CASCADE' -c 'CREATE SCHEMA upg_sqlex AUTHORIZATION upgrade' >/dev/null
	run "$UPGRADE" -T "$ex" -c "$UPGRADE_TEST_PG" sql --schema upg_sqlex
	expect_rc 0 "PG: sql of the examples on a fresh schema"
	n=$(printf '%s\n' "$out" | grep -c 'cannot be asked before the run')
	[ "$n" = 2 ] && ok "PG: both guards on tables not there yet are commented" ||
		not_ok "PG: $n guards commented, want 2" "$out" "$err"
	expect_no '25P02' "PG: no statement ran in an aborted transaction"
	"$UPGRADE" -q -T "$r1" -c "$UPGRADE_TEST_PG" run --schema upg_sqlex >/dev/null 2>&1
	run "$UPGRADE" -T "$ex" -c "$UPGRADE_TEST_PG" sql --schema upg_sqlex
	expect_rc 0 "PG: sql of the examples after release 1"
	expect_out 'column "status" does not exist' "PG: the missing column is the reason given"
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' -c 'DROP SCHEMA upg_sqlex CASCADE' >/dev/null
fi

finish
