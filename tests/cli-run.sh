#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-run.sh - `upgrade run` end to end on SQLite, PostgreSQL and MariaDB:
# the model system's CLI scenarios line by line (baseline on first sight,
# dry run, commit, nothing left; raw tasks once per database with every
# schema), failure mid-run, keep-going, exit statuses, and JSON events.
. "$top_srcdir/tests/lib.sh"

cat_dir() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
NS='xmlns="urn:upgrade:catalog:1"'

cat_dir v1 "<module $NS name=\"onegov.test\"><task name=\"Foobar\"><sql>CREATE TABLE foobar (id INTEGER)</sql></task></module>"
cat_dir v2 "<module $NS name=\"onegov.test\"><task name=\"Barfoo\"><sql>CREATE TABLE barfoo (id INTEGER)</sql><sql>INSERT INTO barfoo VALUES (1)</sql></task></module>"
cat_dir raw1 "<module $NS name=\"onegov.test\"><task name=\"Foobar\" raw=\"true\"><step><only-if><query>SELECT 1 FROM (SELECT 1 AS x) t WHERE 1 = 0</query></only-if><sql>CREATE TABLE never (id INTEGER)</sql></step></task></module>"
cat_dir raw2 "<module $NS name=\"onegov.test\"><task name=\"Barfoo\" raw=\"true\"><step><sql>CREATE TABLE IF NOT EXISTS rawtable (id INTEGER)</sql></step></task></module>"
cat_dir fail "<module $NS name=\"onegov.test\"><task name=\"Good\"><sql>CREATE TABLE good (id INTEGER)</sql></task><task name=\"Bad\"><sql>CREATE TABLE bad (id INTEGER)</sql><sql>INSERT INTO no_such_table VALUES (1)</sql></task><task name=\"Later\"><sql>CREATE TABLE later (id INTEGER)</sql></task></module>"

# lines FILE N...: the output must be exactly these lines.
expect_exact() {
	want=$1
	shift
	if [ "$out" = "$want" ]; then ok "$*"; else not_ok "$*" "got:" "$out" "want:" "$want"; fi
}

model_scenario() { # label connection-args...
	label=$1
	shift
	run "$UPGRADE" -T "$T_TMP/v1" "$@" run --schemas 'upg_foo-*'
	expect_rc 0 "$label: run 1"
	expect_exact "Running upgrade for upg_foo-bar
no pending upgrade tasks found
Running upgrade for upg_foo-fah
no pending upgrade tasks found" "$label: run 1 baselines the new module: nothing runs"

	run "$UPGRADE" -T "$T_TMP/v2" "$@" run --schemas 'upg_foo-*' --dry-run
	expect_rc 0 "$label: run 2 (dry run)"
	dry=$out

	run "$UPGRADE" -T "$T_TMP/v2" "$@" run --schemas 'upg_foo-*'
	expect_rc 0 "$label: run 3"
	expect_exact "Running upgrade for upg_foo-bar
* onegov.test:Barfoo
executed 1 upgrade tasks
Running upgrade for upg_foo-fah
* onegov.test:Barfoo
executed 1 upgrade tasks" "$label: run 3 executes the new task in both schemas"

	run "$UPGRADE" -T "$T_TMP/v2" "$@" run --schemas 'upg_foo-*'
	expect_rc 0 "$label: run 4"
	expect_exact "Running upgrade for upg_foo-bar
no pending upgrade tasks found
Running upgrade for upg_foo-fah
no pending upgrade tasks found" "$label: run 4 finds the task recorded"
}

raw_scenario() { # label connection-args...
	label=$1
	shift
	run "$UPGRADE" -T "$T_TMP/raw1" "$@" run --schemas 'upg_foo-*'
	expect_rc 0 "$label: raw run 1"
	expect_exact "Running raw upgrade for upg_foo-bar, upg_foo-fah
no pending upgrade tasks found
Running upgrade for upg_foo-bar
no pending upgrade tasks found
Running upgrade for upg_foo-fah
no pending upgrade tasks found" "$label: a raw task that changes nothing is neither shown nor counted"
	run "$UPGRADE" -T "$T_TMP/raw2" "$@" run --schemas 'upg_foo-*'
	expect_rc 0 "$label: raw run 2"
	expect_exact "Running raw upgrade for upg_foo-bar, upg_foo-fah
* onegov.test:Barfoo
executed 1 upgrade tasks
Running upgrade for upg_foo-bar
no pending upgrade tasks found
Running upgrade for upg_foo-fah
no pending upgrade tasks found" "$label: a raw task that changed something is shown once, before the schemas"
	run "$UPGRADE" -T "$T_TMP/raw2" "$@" run --schemas 'upg_foo-*'
	expect_out '^\* onegov.test:Barfoo$' "$label: raw tasks are never recorded: it runs again"
}

# --- PostgreSQL: schemas ------------------------------------------------------
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -c "$1" >/dev/null 2>&1; }
	fresh_pg() {
		pg 'DROP SCHEMA IF EXISTS "upg_foo-bar" CASCADE; DROP SCHEMA IF EXISTS "upg_foo-fah" CASCADE;
		    CREATE SCHEMA "upg_foo-bar" AUTHORIZATION upgrade; CREATE SCHEMA "upg_foo-fah" AUTHORIZATION upgrade;'
	}
	fresh_pg
	model_scenario PG -c "$UPGRADE_TEST_PG"
	# The state is what the model system reads: executed_tasks, each name once (the
	# model reads a set; a run appends the names of the tasks it ran).
	state=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT jsonb_typeof(state->'executed_tasks') || ' ' || (SELECT string_agg(x, ',' ORDER BY x) FROM jsonb_array_elements_text(state->'executed_tasks') x) FROM \"upg_foo-bar\".upgrades WHERE module = 'onegov.test'")
	[ "$state" = 'array Barfoo,Foobar' ] && ok "PG: executed_tasks holds both tasks, once each" ||
		not_ok "PG: executed_tasks" "$state"
	row=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT how || ',' || (checksum LIKE 'sha256:%' OR length(checksum) >= 64) || ',' || (executed_at IS NOT NULL) FROM \"upg_foo-bar\".upgrade_tasks WHERE module = 'onegov.test' AND task = 'Barfoo'")
	[ "$row" = "run,true,true" ] && ok "PG: upgrade_tasks records how, when and the checksum" ||
		not_ok "PG: upgrade_tasks row" "$row"
	row=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT how FROM \"upg_foo-bar\".upgrade_tasks WHERE task = 'Foobar'")
	[ "$row" = "baseline" ] && ok "PG: a baselined task is recorded as such" || not_ok "PG: baseline row" "$row"
	keys=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT string_agg(k, ',' ORDER BY k) FROM \"upg_foo-bar\".upgrades, jsonb_object_keys(state) k")
	[ "$keys" = "executed_tasks" ] && ok "PG: the state row holds executed_tasks only" || not_ok "PG: state keys" "$keys"
	# Dry run output equals the committing run's (the model's test 6, run 2 = run 3).
	fresh_pg
	"$UPGRADE" -q -T "$T_TMP/v1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_foo-*' >/dev/null 2>&1
	before=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema LIKE 'upg_foo-%' ORDER BY 1; SELECT module || ' ' || state::text FROM \"upg_foo-bar\".upgrades ORDER BY 1" 2>&1)
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_PG" run --schemas 'upg_foo-*' --dry-run
	dry=$out
	after=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema LIKE 'upg_foo-%' ORDER BY 1; SELECT module || ' ' || state::text FROM \"upg_foo-bar\".upgrades ORDER BY 1" 2>&1)
	[ "$before" = "$after" ] && ok "PG: a dry run leaves tables and state unchanged" ||
		not_ok "PG: a dry run leaves tables and state unchanged" "$before" "---" "$after"
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_PG" run --schemas 'upg_foo-*'
	# The model's lines, and the dry run saying what it was on each summary line.
	[ "$(printf '%s\n' "$dry" | sed 's/ (dry run: rolled back)$//')" = "$out" ] &&
		[ "$(printf '%s\n' "$dry" | grep -c ' (dry run: rolled back)$')" = 2 ] &&
		ok "PG: the dry run printed what the real run did, marked as a dry run" ||
		not_ok "PG: dry run output" "$dry" "---" "$out"

	fresh_pg
	raw_scenario PG -c "$UPGRADE_TEST_PG"

	type=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT data_type FROM information_schema.columns WHERE table_schema = 'upg_foo-bar' AND table_name = 'upgrades' AND column_name = 'state'")
	[ "$type" = jsonb ] && ok "PG: state is JSONB" || not_ok "PG: state is JSONB" "$type"

	# Failure mid-run: the failed task leaves nothing, earlier ones stay, later ones do not run.
	fresh_pg
	"$UPGRADE" -q -T "$T_TMP/v1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_foo-*' >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/fail" -c "$UPGRADE_TEST_PG" run --schemas 'upg_foo-*'
	expect_rc 2 "PG: a failing task gives exit status 2"
	expect_exact "Running upgrade for upg_foo-bar
* onegov.test:Good
! onegov.test:Bad FAILED" "PG: output stops at the failed task, marked failed, no summary, no further schema"
	expect_err "task onegov.test:Bad failed in upg_foo-bar at statement 2 of 2" "PG: the error names task, schema and statement"
	expect_err '\[42P01\]' "PG: the error carries the SQLSTATE"
	tables=$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'upg_foo-bar'")
	[ "$tables" = "good,upgrade_tasks,upgrades" ] && ok "PG: Good kept, Bad rolled back, Later not run" ||
		not_ok "PG: tables after failure" "$tables"
	run "$UPGRADE" -T "$T_TMP/fail" -c "$UPGRADE_TEST_PG" status --schema upg_foo-bar --check
	expect_rc 1 "PG: status --check exits 1 with pending tasks"
	expect_out '^  pending   onegov.test:Bad$' "PG: status lists the failed task as pending"
	expect_out '^  pending   onegov.test:Later$' "PG: status lists the later task as pending"

	# A state table the user may not read is an error, not a schema never upgraded.
	$UPGRADE_TEST_PG_ADMIN -q -c "SET client_min_messages = warning" -c "DROP SCHEMA IF EXISTS upg_noperm CASCADE" \
		-c "CREATE SCHEMA upg_noperm" \
		-c "CREATE TABLE upg_noperm.upgrades (module TEXT PRIMARY KEY, state JSONB NOT NULL, created TIMESTAMP, modified TIMESTAMP)"
	run "$UPGRADE" -T "$T_TMP/v1" -c "$UPGRADE_TEST_PG" status --schema upg_noperm
	expect_rc 5 "PG: status of a schema whose state table cannot be read fails"
	expect_err '42501.*permission denied' "PG: and says why"
	$UPGRADE_TEST_PG_ADMIN -q -c "SET client_min_messages = warning" -c "DROP SCHEMA upg_noperm CASCADE"

	run "$UPGRADE" -T "$T_TMP/fail" -c "$UPGRADE_TEST_PG" run --schemas 'upg_foo-*' --keep-going
	expect_rc 2 "PG: keep-going where every schema fails: task failed"
	expect_out '^Running upgrade for upg_foo-fah$' "PG: keep-going goes on with the next schema"

	# A failure after a schema that succeeded: status 2 and the run stops,
	# unless --keep-going, which goes on and says 6 (it said 6 either way).
	mkdir -p "$T_TMP/kg0" "$T_TMP/kg1"
	printf '<module %s name="kg"><task name="Zero"><sql>SELECT 1</sql></task></module>\n' \
		'xmlns="urn:upgrade:catalog:1"' >"$T_TMP/kg0/catalog.xml"
	printf '<module %s name="kg"><task name="Zero"><sql>SELECT 1</sql></task><task name="Make"><sql>CREATE TABLE kx (a INTEGER)</sql></task></module>\n' \
		'xmlns="urn:upgrade:catalog:1"' >"$T_TMP/kg1/catalog.xml"
	$UPGRADE_TEST_PG_ADMIN -q -c "SET client_min_messages = warning" \
		-c "DROP SCHEMA IF EXISTS upg_kg_a CASCADE" -c "DROP SCHEMA IF EXISTS upg_kg_b CASCADE" \
		-c "DROP SCHEMA IF EXISTS upg_kg_c CASCADE" -c "CREATE SCHEMA upg_kg_a AUTHORIZATION upgrade" \
		-c "CREATE SCHEMA upg_kg_b AUTHORIZATION upgrade" -c "CREATE SCHEMA upg_kg_c AUTHORIZATION upgrade"
	"$UPGRADE" -q -T "$T_TMP/kg0" -c "$UPGRADE_TEST_PG" run --schemas 'upg_kg_*' >/dev/null 2>&1
	$UPGRADE_TEST_PG_ADMIN -q -c "CREATE TABLE upg_kg_b.kx (a INTEGER)"
	run "$UPGRADE" -T "$T_TMP/kg1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_kg_*'
	expect_rc 2 "PG: a task fails in the second of three schemas, the first done: task failed"
	case $out in
	*upg_kg_c*) not_ok "PG: without --keep-going the third schema ran" "$out" ;;
	*) ok "PG: without --keep-going the run stopped at the failed schema" ;;
	esac
	run "$UPGRADE" -T "$T_TMP/kg1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_kg_*' --keep-going
	expect_rc 6 "PG: with --keep-going the third schema runs and the status is partial"
	expect_out '^Running upgrade for upg_kg_c$' "PG: --keep-going went on with upg_kg_c"
	$UPGRADE_TEST_PG_ADMIN -q -c "SET client_min_messages = warning" -c "DROP SCHEMA upg_kg_a CASCADE" \
		-c "DROP SCHEMA upg_kg_b CASCADE" -c "DROP SCHEMA upg_kg_c CASCADE"

	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_PG" run --schemas 'upg_nothing_*'
	expect_rc 5 "PG: a pattern matching no schema"
	expect_err "no schema matches 'upg_nothing_\*'" "PG: the pattern is named"

	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_PG" --format json run --schema upg_foo-bar
	expect_out '^\{"type":"run_start","event":"run_start","schemas_count":1,"time":"[^"]+"\}$' "PG: JSON run_start"
	expect_out '^\{"type":"schema_start","event":"schema_start","schema":"upg_foo-bar","index":1,"of":1,"time":"[^"]+"\}$' "PG: JSON schema_start"
	expect_out '^\{"type":"task_start","event":"task_start","schema":"upg_foo-bar","task":"onegov.test:Barfoo","raw":false,"time":"[^"]+"\}$' "PG: JSON task_start"
	expect_out '^\{"type":"task_done","event":"task_done","schema":"upg_foo-bar","task":"onegov.test:Barfoo","raw":false,"nothing_done":false,"duration_ms":[0-9]+,"time":"[^"]+"\}$' "PG: JSON task_done"
	expect_out '^\{"type":"run_done","event":"run_done","executed":1,"ok":true,"duration_ms":[0-9]+,"time":"[^"]+"\}$' "PG: JSON run_done"
fi

# --- MariaDB: databases are schemas -----------------------------------------------
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -e "$1" >/dev/null 2>&1; }
	fresh_my() {
		my 'DROP DATABASE IF EXISTS `upg_foo-bar`; DROP DATABASE IF EXISTS `upg_foo-fah`;
		    CREATE DATABASE `upg_foo-bar`; CREATE DATABASE `upg_foo-fah`;'
	}
	fresh_my
	model_scenario MariaDB -c "$UPGRADE_TEST_MARIADB"
	fresh_my
	raw_scenario MariaDB -c "$UPGRADE_TEST_MARIADB"
	fresh_my
	"$UPGRADE" -q -T "$T_TMP/v1" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_foo-*' >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_foo-*' --dry-run
	expect_rc 0 "MariaDB: dry run"
	expect_out '^\* onegov.test:Barfoo \(not verified: this engine cannot roll back DDL\)$' "MariaDB: a dry run plans, labelled not verified"
	expect_err 'did not verify them' "MariaDB: the dry run says so on stderr"
	n=$($UPGRADE_TEST_MARIADB_ADMIN -N -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = 'barfoo' AND TABLE_SCHEMA LIKE 'upg_foo-%'")
	[ "$n" = 0 ] && ok "MariaDB: the dry run executed nothing" || not_ok "MariaDB: dry run executed" "$n"
fi

# --- SQLite: one schema, "main" ------------------------------------------------------
db="$T_TMP/model.db"
run "$UPGRADE" -T "$T_TMP/v1" -d "$db" run
expect_rc 0 "SQLite: run 1"
expect_exact "Running upgrade for main
no pending upgrade tasks found" "SQLite: baseline on first sight"
sum1=$(cksum <"$db")
run "$UPGRADE" -T "$T_TMP/v2" -d "$db" run --dry-run
expect_rc 0 "SQLite: dry run"
expect_exact "Running upgrade for main
* onegov.test:Barfoo
executed 1 upgrade tasks (dry run: rolled back)" "SQLite: the dry run executes the task, and says it rolled it back"
sum2=$(cksum <"$db")
[ "$sum1" = "$sum2" ] && ok "SQLite: the dry run leaves the file byte for byte unchanged" ||
	not_ok "SQLite: dry run changed the file"
run "$UPGRADE" -T "$T_TMP/v2" -d "$db" run
expect_exact "Running upgrade for main
* onegov.test:Barfoo
executed 1 upgrade tasks" "SQLite: run 3"
row=$(sqlite3 "$db" "SELECT how || ',' || length(checksum) || ',' || (executed_at IS NOT NULL) FROM upgrade_tasks WHERE task = 'Barfoo'; SELECT sql LIKE '%WITHOUT ROWID' FROM sqlite_master WHERE name = 'upgrade_tasks'" | tr '\n' ' ')
[ "$row" = "run,64,1 1 " ] && ok "SQLite: upgrade_tasks records how, when and the checksum, in a WITHOUT ROWID table" ||
	not_ok "SQLite: upgrade_tasks row" "$row"
run "$UPGRADE" -T "$T_TMP/v2" -d "$db" run
expect_exact "Running upgrade for main
no pending upgrade tasks found" "SQLite: run 4"
run "$UPGRADE" -T "$T_TMP/v2" -d "$db" status --check
expect_rc 0 "SQLite: status --check with nothing pending"
expect_out '^  unknown   onegov.test:Foobar  \(recorded, but no catalog has it any more\)$' "SQLite: status shows a recorded task no catalog has"
run "$UPGRADE" -T "$T_TMP/v2" -d "$db" unmark onegov.test:Foobar
expect_rc 0 "SQLite: unmark a task no catalog has"
row=$(sqlite3 "$db" "SELECT json_valid(state) || ',' || json_extract(state, '$.executed_tasks') || ',' || json_array_length(state, '$.upgrade.log') FROM upgrades")
[ "$row" = '1,["Barfoo"],1' ] && ok "SQLite: the state is valid JSON: executed_tasks and the log beside it" ||
	not_ok "SQLite: state after unmark" "$row"

# A dry run runs the tasks of a schema in one transaction, each a savepoint:
# a task building on an earlier one works, as it will in the real run.
cat_dir dep1 "<module $NS name=\"dep\"><task name=\"Base\"><sql>SELECT 1</sql></task></module>"
cat_dir dep2 "<module $NS name=\"dep\"><task name=\"Base\"><sql>SELECT 1</sql></task><task name=\"Make\"><sql>CREATE TABLE dep_t (n INTEGER)</sql></task><task name=\"Use\"><sql>INSERT INTO dep_t VALUES (1)</sql></task><task name=\"Break\"><sql>INSERT INTO nowhere VALUES (1)</sql></task></module>"
"$UPGRADE" -q -T "$T_TMP/dep1" -d "$T_TMP/dep.db" run >/dev/null 2>&1
sum1=$(cksum <"$T_TMP/dep.db")
run "$UPGRADE" -T "$T_TMP/dep2" -d "$T_TMP/dep.db" run --dry-run
expect_rc 2 "SQLite: dry run with a failing task"
expect_exact "Running upgrade for main
* dep:Make
* dep:Use
! dep:Break FAILED" "SQLite: in a dry run a task sees what the tasks before it did"
expect_err 'task dep:Break failed in main at statement 1 of 1 \(dry run\)' "SQLite: the dry run reports the task that would fail"
[ "$sum1" = "$(cksum <"$T_TMP/dep.db")" ] && ok "SQLite: that dry run left the file unchanged" ||
	not_ok "SQLite: that dry run changed the file"

run "$UPGRADE" -T "$T_TMP/v2" -d "$T_TMP/new.db" run --dry-run
expect_rc 5 "SQLite: dry run on a missing database file"
[ ! -e "$T_TMP/new.db" ] && ok "SQLite: the dry run created no file" ||
	not_ok "SQLite: a dry run created the database file"
: >"$T_TMP/new.db"
run "$UPGRADE" -T "$T_TMP/v2" -d "$T_TMP/new.db" run --dry-run
expect_rc 0 "SQLite: dry run on an empty database file"
[ "$(sqlite3 "$T_TMP/new.db" "SELECT count(*) FROM sqlite_master" 2>&1)" = 0 ] &&
	ok "SQLite: a dry run on a new database creates no table, not even upgrades" ||
	not_ok "SQLite: a dry run on a new database created something"

finish
