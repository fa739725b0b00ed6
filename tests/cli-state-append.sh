#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-state-append.sh - recording a task appends its name to the module's
# executed_tasks on the server instead of writing the whole list again, on
# SQLite, PostgreSQL and MariaDB:
#  - after 40 tasks over three runs the row is the model's format: an
#    array holding each name once, with another writer's key kept;
#  - a name that another writer appended to the stored list while a run
#    was going on (here: a task of the run itself) survives the run, which
#    a write of the whole list from memory would lose;
#  - a stored list with duplicates or values that are not names is written
#    whole once, without them;
#  - on PostgreSQL, a task that deallocates the session's prepared
#    statements does not break the state write kept prepared after it.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
# catalog DIR N [EXTRA]: module ap with tasks T01..TN, then EXTRA.
catalog() {
	mkdir -p "$T_TMP/$1"
	{
		printf '<module %s name="ap">\n' "$NS"
		i=1
		while [ "$i" -le "$2" ]; do
			printf '<task name="T%02d"><sql>SELECT %d</sql></task>\n' "$i" "$i"
			i=$((i + 1))
		done
		printf '%s\n</module>\n' "${3:-}"
	} >"$T_TMP/$1/c.xml"
}

# scenario ENGINE QUERY APPEND-SQL CONNECT...: QUERY prints the names
# (sorted, comma-separated) and the number of entries; APPEND-SQL is a
# statement that appends "Foreign" to the stored list.
scenario() {
	eng=$1 q=$2 app=$3
	shift 3
	catalog a1 5
	run "$UPGRADE" -q -T "$T_TMP/a1" "$@" run
	expect_rc 0 "$eng: the first run records the module"
	catalog a2 20
	run "$UPGRADE" -q -T "$T_TMP/a2" "$@" run
	expect_rc 0 "$eng: a run of 15 new tasks"
	catalog a3 40 "<task name=\"Writer\"><sql>$app</sql></task>"
	run "$UPGRADE" -q -T "$T_TMP/a3" "$@" run
	expect_rc 0 "$eng: a run of 21 new tasks, one of which appends a name itself"
	names=$(i=1; while [ "$i" -le 40 ]; do printf 'T%02d,' "$i"; i=$((i + 1)); done)
	got=$(eval "$q")
	want="Foreign,${names}Writer 42 theirs"
	[ "$got" = "$want" ] && ok "$eng: every name once, the other writer's name and key kept" ||
		not_ok "$eng: executed_tasks" "got:  $got" "want: $want"
	run "$UPGRADE" -T "$T_TMP/a3" "$@" status --check
	expect_rc 0 "$eng: status: nothing pending"
}

db="$T_TMP/ap.db"
sqlite3 "$db" "CREATE TABLE upgrades (module TEXT NOT NULL PRIMARY KEY, state TEXT NOT NULL, created TEXT, modified TEXT);
INSERT INTO upgrades VALUES ('other', '{}', NULL, NULL)"
sq_q="sqlite3 '$db' \"SELECT (SELECT group_concat(value, ',') FROM (SELECT value FROM json_each(state, '\\\$.executed_tasks') ORDER BY value)) || ' ' || json_array_length(state, '\\\$.executed_tasks') || ' ' || (SELECT group_concat(key) FROM json_each(state) WHERE key = 'theirs') FROM upgrades WHERE module = 'ap'\""
# The other writer's key, put in after the module's row exists.
catalog a1 5
"$UPGRADE" -q -T "$T_TMP/a1" -d "$db" run >/dev/null 2>&1
sqlite3 "$db" "UPDATE upgrades SET state = json_set(state, '\$.theirs', 1) WHERE module = 'ap'"
scenario SQLite "$sq_q" "UPDATE upgrades SET state = json_insert(state, '\$.executed_tasks[#]', 'Foreign') WHERE module = 'ap'" -d "$db"

# A list that another writer left with a duplicate and a number: written whole once.
sqlite3 "$db" "UPDATE upgrades SET state = json_insert(state, '\$.executed_tasks[#]', 'T01', '\$.executed_tasks[#]', 7) WHERE module = 'ap'"
catalog a4 41 "<task name=\"Writer\"><sql>SELECT 0</sql></task>"
run "$UPGRADE" -q -T "$T_TMP/a4" -d "$db" run
expect_rc 0 "SQLite: a run after another writer left a duplicate"
got=$(sqlite3 "$db" "SELECT json_array_length(state, '\$.executed_tasks') || ' ' || (SELECT count(DISTINCT value) FROM json_each(state, '\$.executed_tasks')) || ' ' || (SELECT count(*) FROM json_each(state, '\$.executed_tasks') WHERE type <> 'text') FROM upgrades WHERE module = 'ap'")
[ "$got" = "43 43 0" ] && ok "SQLite: the duplicate and the number are gone, each name once" ||
	not_ok "SQLite: entries, distinct, not names" "$got"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -At -c "$1" 2>&1; }
	pg 'DROP SCHEMA IF EXISTS upg_ap CASCADE; CREATE SCHEMA upg_ap AUTHORIZATION upgrade' >/dev/null
	# The model's own table: state is json, not jsonb.
	pg 'CREATE TABLE upg_ap.upgrades (module TEXT PRIMARY KEY, state JSON NOT NULL, created TIMESTAMP, modified TIMESTAMP);
	    ALTER TABLE upg_ap.upgrades OWNER TO upgrade' >/dev/null
	catalog a1 5
	"$UPGRADE" -q -T "$T_TMP/a1" -c "$UPGRADE_TEST_PG" --schema upg_ap run >/dev/null 2>&1
	pg "UPDATE upg_ap.upgrades SET state = jsonb_set(state::jsonb, '{theirs}', '1') WHERE module = 'ap'" >/dev/null
	pg_q="pg \"SELECT (SELECT string_agg(x, ',' ORDER BY x) FROM json_array_elements_text(state->'executed_tasks') x) || ' ' || json_array_length(state->'executed_tasks') || ' ' || (SELECT string_agg(k, ',') FROM json_object_keys(state) k WHERE k = 'theirs') FROM upg_ap.upgrades WHERE module = 'ap'\""
	scenario PG "$pg_q" "UPDATE upgrades SET state = jsonb_set(state::jsonb, '{executed_tasks}', (state::jsonb -> 'executed_tasks') || '[\"Foreign\"]') WHERE module = 'ap'" \
		-c "$UPGRADE_TEST_PG" --schema upg_ap
	# The state column of a table made by the runner is stored uncompressed
	# (rewriting it per task costs less than compressing it); a table that
	# another tool made is left as it is, even one the runner may not alter.
	storage() { pg "SELECT attstorage FROM pg_attribute WHERE attrelid = '$1.upgrades'::regclass AND attname = 'state'"; }
	[ "$(storage upg_ap)" = x ] && ok "PG: the model's own table keeps its storage" ||
		not_ok "PG: the model's table's state storage is '$(storage upg_ap)'"
	pg 'DROP SCHEMA IF EXISTS upg_ap2 CASCADE; CREATE SCHEMA upg_ap2 AUTHORIZATION upgrade' >/dev/null
	run "$UPGRADE" -q -T "$T_TMP/a1" -c "$UPGRADE_TEST_PG" --schema upg_ap2 run
	expect_rc 0 "PG: a schema without state tables"
	[ "$(storage upg_ap2)" = e ] && ok "PG: a state table made by the runner stores state uncompressed" ||
		not_ok "PG: state storage of a new table is '$(storage upg_ap2)', want e"
	pg 'DROP SCHEMA IF EXISTS upg_ap3 CASCADE; CREATE SCHEMA upg_ap3 AUTHORIZATION upgrade;
	    CREATE TABLE upg_ap3.upgrades (module TEXT PRIMARY KEY, state JSON NOT NULL, created TIMESTAMP, modified TIMESTAMP);
	    GRANT ALL ON upg_ap3.upgrades TO upgrade' >/dev/null
	run "$UPGRADE" -q -T "$T_TMP/a1" -c "$UPGRADE_TEST_PG" --schema upg_ap3 run
	expect_rc 0 "PG: a state table of another role, which the runner may not alter"
	[ "$(storage upg_ap3)" = x ] && ok "PG: another role's table is left as it is" ||
		not_ok "PG: another role's table's state storage is '$(storage upg_ap3)'"
	# A task that deallocates every prepared statement of the session, the
	# one the runner keeps for its state write included (it failed the
	# next write with 26000), once plainly and once hidden in a DO block;
	# the tasks after each are recorded all the same.
	mkdir -p "$T_TMP/dealloc"
	{
		printf '<module %s name="ap">\n' "$NS"
		for t in T01 T02 T03 T04 T05; do printf '<task name="%s"><sql>SELECT 1</sql></task>\n' "$t"; done
		printf '<task name="Plain"><sql>DEALLOCATE ALL</sql></task>\n'
		printf '<task name="After1"><sql>CREATE TABLE after1 (n INTEGER)</sql></task>\n'
		printf '<task name="Hidden"><sql>DO $$BEGIN EXECUTE %s; END$$</sql></task>\n' "'deallocate all'"
		printf '<task name="After2"><sql>CREATE TABLE after2 (n INTEGER)</sql></task>\n'
		printf '</module>\n'
	} >"$T_TMP/dealloc/c.xml"
	run "$UPGRADE" -q -T "$T_TMP/dealloc" -c "$UPGRADE_TEST_PG" --schema upg_ap2 run
	expect_rc 0 "PG: tasks that deallocate all prepared statements, and tasks after them"
	got=$(pg "SELECT string_agg(x, ',' ORDER BY x) FROM upg_ap2.upgrades, jsonb_array_elements_text(state->'executed_tasks') x WHERE module = 'ap'")
	[ "$got" = "After1,After2,Hidden,Plain,T01,T02,T03,T04,T05" ] && ok "PG: every task after a DEALLOCATE ALL recorded" ||
		not_ok "PG: executed_tasks after DEALLOCATE ALL" "$got"
	pg 'DROP SCHEMA upg_ap2 CASCADE; DROP SCHEMA upg_ap3 CASCADE' >/dev/null
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
	my 'DROP DATABASE IF EXISTS upg_ap; CREATE DATABASE upg_ap' >/dev/null
	catalog a1 5
	"$UPGRADE" -q -T "$T_TMP/a1" -c "$UPGRADE_TEST_MARIADB" --schema upg_ap run >/dev/null 2>&1
	my "UPDATE upg_ap.upgrades SET state = JSON_SET(state, '\$.theirs', 1) WHERE module = 'ap'" >/dev/null
	my_q="my \"SELECT CONCAT((SELECT GROUP_CONCAT(n ORDER BY n SEPARATOR ',') FROM upg_ap.upgrades u, JSON_TABLE(u.state, '\\\$.executed_tasks[*]' COLUMNS (n VARCHAR(100) PATH '\\\$')) j WHERE u.module = 'ap'), ' ', JSON_LENGTH(state, '\\\$.executed_tasks'), ' ', IF(JSON_CONTAINS_PATH(state, 'one', '\\\$.theirs'), 'theirs', '')) FROM upg_ap.upgrades WHERE module = 'ap'\""
	scenario MariaDB "$my_q" "UPDATE upgrades SET state = JSON_ARRAY_APPEND(state, '\$.executed_tasks', 'Foreign') WHERE module = 'ap'" \
		-c "$UPGRADE_TEST_MARIADB" --schema upg_ap
	my 'DROP DATABASE IF EXISTS upg_ap' >/dev/null
fi

finish
