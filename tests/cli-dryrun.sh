#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-dryrun.sh - dry runs with raw tasks, lock waits and errors that must
# reach the user, on SQLite, PostgreSQL and MariaDB:
#  - a dry run never executes what it cannot undo (MariaDB raw steps);
#  - a dry run's per-schema tasks see what its raw tasks did, as the real
#    run's will, and afterwards the database is as it was;
#  - a lock wait is announced, a lock timeout in the raw phase is explained;
#  - a schema that does not exist, or that the user may not write, is named
#    with the server's reason, never an empty "error:".
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
cat_dir() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }

# A raw step that drops a table, guarded by its existence.
cat_dir drop "<module $NS name=\"m\"><task name=\"Drop old cache\" raw=\"true\"><step><only-if><has-table table=\"victim\"/></only-if><sql>DROP TABLE victim</sql></step></task><task name=\"T1\"><sql>SELECT 1</sql></task></module>"

# --- MariaDB: a dry run executes no raw step ---------------------------------
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
	# Raw steps run in the connection's own database, so the victim lives there.
	my 'DROP DATABASE IF EXISTS upg_dry; CREATE DATABASE upg_dry; DROP TABLE IF EXISTS victim; CREATE TABLE victim (i INTEGER); INSERT INTO victim VALUES (1)' >/dev/null
	run "$UPGRADE" -T "$T_TMP/drop" -c "$UPGRADE_TEST_MARIADB" run --dry-run --schema upg_dry
	expect_rc 0 "MariaDB: dry run with a raw step"
	expect_out '^\* m:Drop old cache \(not verified' "MariaDB: the raw task is listed as not verified"
	expect_out '^(planned [0-9]+ upgrade tasks \(dry run: not executed\)|no pending upgrade tasks found \(dry run\))$' \
		"MariaDB: the summary says it was a dry run and claims nothing executed"
	printf '%s\n' "$out" | grep -q '^executed ' && not_ok "MariaDB: a line claims tasks executed" "$out" ||
		ok "MariaDB: no line claims a task executed"
	n=$(my "SELECT COUNT(*) FROM victim")
	[ "$n" = 1 ] && ok "MariaDB: the dry run left the raw step's table and its row" ||
		not_ok "MariaDB: the dry run executed the raw step" "$n"
	run "$UPGRADE" -T "$T_TMP/drop" -c "$UPGRADE_TEST_MARIADB" --format json run --dry-run --schema upg_dry
	expect_out '"task":"m:Drop old cache","raw":true.*"verified":false' "MariaDB: JSON marks the raw task unverified"

	# A user who may only read: the server's reason, never an empty error.
	my "DROP USER IF EXISTS 'upg_ro'@'127.0.0.1'; CREATE USER 'upg_ro'@'127.0.0.1' IDENTIFIED BY 'ro'; GRANT SELECT ON upg_dry.* TO 'upg_ro'@'127.0.0.1'" >/dev/null
	ro=$(printf '%s' "$UPGRADE_TEST_MARIADB" | sed 's/Uid=[^;]*/Uid=upg_ro/; s/Pwd={[^}]*}/Pwd=ro/; s/Database=[^;]*/Database=upg_dry/')
	run "$UPGRADE" -T "$T_TMP/drop" -c "$ro" run
	expect_rc 5 "MariaDB: a user with SELECT only"
	expect_err '^upgrade: error: upg_dry: ' "MariaDB: the error names the schema"
	expect_err 'denied' "MariaDB: the server's reason reaches the user"
	my "DROP USER 'upg_ro'@'127.0.0.1'" >/dev/null

	run "$UPGRADE" -T "$T_TMP/drop" -c "$UPGRADE_TEST_MARIADB" run --schema upg_nosuch
	expect_rc 5 "MariaDB: a named schema that does not exist"
	expect_err "^upgrade: error: no schema 'upg_nosuch'" "MariaDB: the missing schema is named"
	my 'DROP DATABASE upg_dry; DROP TABLE victim' >/dev/null
fi

# --- PostgreSQL ---------------------------------------------------------------
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -tA -c "$1" 2>&1; }
	cat_dir j1 "<module $NS name=\"js\"><task name=\"Start\"><sql>SELECT 1</sql></task></module>"
	cat_dir j2 "<module $NS name=\"js\"><task name=\"Start\"><sql>SELECT 1</sql></task><task name=\"To jsonb\" raw=\"true\"><step><sql>ALTER TABLE upg_dry1.t ALTER COLUMN j TYPE JSONB USING j::jsonb</sql></step><step><sql>ALTER TABLE upg_dry2.t ALTER COLUMN j TYPE JSONB USING j::jsonb</sql></step></task><task name=\"Use it\"><sql>INSERT INTO t (j) SELECT jsonb_build_object('kind', jsonb_typeof(j)) FROM t</sql></task></module>"
	fresh_pg() {
		pg 'DROP SCHEMA IF EXISTS upg_dry1 CASCADE; DROP SCHEMA IF EXISTS upg_dry2 CASCADE' >/dev/null
		for s in upg_dry1 upg_dry2; do
			pg "CREATE SCHEMA $s AUTHORIZATION upgrade; CREATE TABLE $s.t (j TEXT); INSERT INTO $s.t VALUES ('{\"a\": 1}'); ALTER TABLE $s.t OWNER TO upgrade" >/dev/null
		done
	}
	snapshot() {
		pg "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns WHERE table_schema LIKE 'upg_dry_' ORDER BY 1, 2, 3; SELECT 'rows', count(*) FROM upg_dry1.t; SELECT 'rows', count(*) FROM upg_dry2.t; SELECT module, state::text FROM upg_dry1.upgrades UNION ALL SELECT module, state::text FROM upg_dry2.upgrades ORDER BY 1, 2"
	}
	fresh_pg
	"$UPGRADE" -q -T "$T_TMP/j1" -c "$UPGRADE_TEST_PG" run --schemas 'upg_dry?' >/dev/null 2>&1
	before=$(snapshot)
	for jobs in 1 2; do
		run "$UPGRADE" -T "$T_TMP/j2" -c "$UPGRADE_TEST_PG" run --dry-run --schemas 'upg_dry?' -j $jobs
		expect_rc 0 "PG: dry run -j $jobs: a task uses the type a raw step made"
		expect_out '^\* js:Use it$' "PG: dry run -j $jobs: the task ran"
		expect_no 'jsonb_typeof(text)' "PG: dry run -j $jobs: the task saw the raw step's jsonb column"
		after=$(snapshot)
		[ "$before" = "$after" ] && ok "PG: dry run -j $jobs: tables, rows and state are as before" ||
			not_ok "PG: dry run -j $jobs changed the database" "before: $before" "after: $after"
	done
	# A schema's failure inside such a dry run must not break the next schema.
	pg "INSERT INTO upg_dry1.t VALUES ('not json')" >/dev/null
	before=$(snapshot)
	run "$UPGRADE" -T "$T_TMP/j2" -c "$UPGRADE_TEST_PG" run --dry-run --schemas 'upg_dry?'
	expect_rc 2 "PG: dry run: the raw step fails on bad JSON"
	expect_err 'task js:To jsonb failed' "PG: the failing raw task is named"
	[ "$before" = "$(snapshot)" ] && ok "PG: the failed dry run left the database as before" ||
		not_ok "PG: the failed dry run changed the database"
	pg "DELETE FROM upg_dry1.t WHERE j = 'not json'" >/dev/null
	run "$UPGRADE" -T "$T_TMP/j2" -c "$UPGRADE_TEST_PG" run --schemas 'upg_dry?'
	expect_rc 0 "PG: the real run"
	n=$(pg "SELECT count(*) FROM upg_dry1.t WHERE j->>'kind' = 'object'")
	[ "$n" = 1 ] && ok "PG: the real run did what the dry run showed" || not_ok "PG: real run result" "$n"

	# Missing schemas, and schemas the user may not write: the reason is printed.
	for cmd in run status baseline; do
		run "$UPGRADE" -T "$T_TMP/j2" -c "$UPGRADE_TEST_PG" $cmd --schema upg_nosuch
		expect_rc 5 "PG: $cmd on a schema that does not exist"
		expect_err "^upgrade: error: no schema 'upg_nosuch' in this database" "PG: $cmd names the missing schema"
	done
	run "$UPGRADE" -T "$T_TMP/j2" -c "$UPGRADE_TEST_PG" --format json run --schema upg_nosuch
	expect_no '"error":""' "PG: JSON never carries an empty error"
	pg 'DROP SCHEMA IF EXISTS upg_noperm CASCADE; CREATE SCHEMA upg_noperm; GRANT USAGE ON SCHEMA upg_noperm TO upgrade' >/dev/null
	run "$UPGRADE" -T "$T_TMP/j1" -c "$UPGRADE_TEST_PG" run --schema upg_noperm
	expect_rc 5 "PG: a schema without CREATE for this user"
	expect_err '^upgrade: error: upg_noperm: ' "PG: the error names the schema"
	expect_err 'permission denied for schema upg_noperm' "PG: the server's reason reaches the user"
	pg 'DROP SCHEMA upg_noperm CASCADE' >/dev/null
	# A read-only session that is no standby: the server refuses the first write.
	pg "DROP SCHEMA IF EXISTS upg_rosch; DROP ROLE IF EXISTS upg_ro; CREATE ROLE upg_ro LOGIN PASSWORD 'ro'; ALTER ROLE upg_ro SET default_transaction_read_only = on; CREATE SCHEMA upg_rosch AUTHORIZATION upg_ro" >/dev/null
	ro=$(printf '%s' "$UPGRADE_TEST_PG" | sed 's/Uid=[^;]*/Uid=upg_ro/; s/Pwd={[^}]*}/Pwd=ro/')
	run "$UPGRADE" -T "$T_TMP/j1" -c "$ro" run --schema upg_rosch
	expect_rc 5 "PG: a read-only session"
	expect_err '^upgrade: error: upg_rosch: ' "PG: the read-only error names the schema"
	expect_err 'read-only transaction' "PG: the server's reason reaches the user"
	pg "DROP SCHEMA upg_rosch; DROP ROLE upg_ro" >/dev/null

	# A lock wait is announced; a lock timeout in the raw phase is explained.
	cat_dir slow "<module $NS name=\"slow\"><task name=\"Wait\" raw=\"true\"><step><sql>SELECT pg_sleep(4)</sql></step></task></module>"
	"$UPGRADE" -q -T "$T_TMP/slow" -c "$UPGRADE_TEST_PG" run --schema upg_dry1 >/dev/null 2>&1 &
	holder=$!
	sleep 1.5
	run "$UPGRADE" -T "$T_TMP/slow" -c "$UPGRADE_TEST_PG" run --schema upg_dry1 --lock-timeout 1
	expect_rc 3 "PG: lock timeout in the raw phase"
	expect_err 'waiting up to 1 s for the lock held by upgrade .* pid '"$holder" "PG: the wait names the holder"
	expect_err '^upgrade: error: .*raw tasks of this database are being run by another upgrade' "PG: the timeout says why"
	run "$UPGRADE" -T "$T_TMP/slow" -c "$UPGRADE_TEST_PG" --format json run --schema upg_dry1 --lock-timeout 1
	expect_out '^\{"type":"lock_wait","event":"lock_wait","schema":"[^"]*","holder":"upgrade [^"]* pid '"$holder"'[^"]*","timeout_ms":1000,"time":"[^"]+"\}$' "PG: JSON lock_wait event"
	wait "$holder"
	pg 'DROP SCHEMA upg_dry1 CASCADE; DROP SCHEMA upg_dry2 CASCADE' >/dev/null
fi

# --- SQLite ---------------------------------------------------------------------
cat_dir s1 "<module $NS name=\"lite\"><task name=\"Start\"><sql>SELECT 1</sql></task></module>"
cat_dir s2 "<module $NS name=\"lite\"><task name=\"Start\"><sql>SELECT 1</sql></task><task name=\"Make\" raw=\"true\"><step><sql>CREATE TABLE made (n INTEGER)</sql></step></task><task name=\"Fill\"><sql>INSERT INTO made VALUES (1)</sql></task></module>"
db=$T_TMP/lite.db
"$UPGRADE" -q -T "$T_TMP/s1" -d "$db" run >/dev/null 2>&1
sum=$(cksum <"$db")
run "$UPGRADE" -T "$T_TMP/s2" -d "$db" run --dry-run
expect_rc 0 "SQLite: dry run: a task fills the table a raw step made"
expect_out '^\* lite:Fill$' "SQLite: the task ran in the dry run"
[ "$sum" = "$(cksum <"$db")" ] && ok "SQLite: the dry run left the file byte for byte unchanged" ||
	not_ok "SQLite: the dry run changed the file"
run "$UPGRADE" -T "$T_TMP/s2" -d "$db" run --schema other
expect_rc 5 "SQLite: a schema other than main"
expect_err "^upgrade: error: no schema 'other': a sqlite database has one schema, 'main'" "SQLite: says there is one schema"
run "$UPGRADE" -T "$T_TMP/s2" -d "$db" run --schema main --schema main
expect_rc 0 "SQLite: main named twice"
[ "$(printf '%s\n' "$out" | grep -c '^Running upgrade for main$')" = 1 ] &&
	ok "SQLite: a schema named twice runs once" || not_ok "SQLite: ran twice" "$out"

# mark on a task whose body changed after it ran accepts the new body.
cat_dir mk1 "<module $NS name=\"mk\"><task name=\"A\"><sql>SELECT 1</sql></task></module>"
cat_dir mk2 "<module $NS name=\"mk\"><task name=\"A\"><sql>SELECT 1</sql></task><task name=\"B\"><sql>SELECT 2</sql></task></module>"
cat_dir mk3 "<module $NS name=\"mk\"><task name=\"A\"><sql>SELECT 1</sql></task><task name=\"B\"><sql>SELECT 3</sql></task></module>"
"$UPGRADE" -q -T "$T_TMP/mk1" -d "$T_TMP/mk.db" run >/dev/null 2>&1
"$UPGRADE" -q -T "$T_TMP/mk2" -d "$T_TMP/mk.db" run >/dev/null 2>&1
run "$UPGRADE" -T "$T_TMP/mk3" -d "$T_TMP/mk.db" status --check --strict
expect_rc 7 "SQLite: a task changed after it ran"
run "$UPGRADE" -T "$T_TMP/mk3" -d "$T_TMP/mk.db" mark mk:B
expect_rc 0 "SQLite: mark the changed task"
run "$UPGRADE" -T "$T_TMP/mk3" -d "$T_TMP/mk.db" status --check --strict --all
expect_rc 0 "SQLite: mark accepted the new body"
expect_out '^  executed  mk:B  \(marked at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z\)$' "SQLite: the task is executed, marked, with an RFC 3339 time in UTC"

finish
