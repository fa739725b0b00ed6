#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-run-safety.sh - what must hold when things go wrong: racing processes
# never run a task twice; a lock timeout names the holder and exits 3; a
# process killed mid-task leaves a state that tells the truth; a MariaDB
# task failing at its third statement is reported partly applied, refused
# next time, and resumable; repairs with mark/unmark/baseline; many schemas
# with -j.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mk() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
# An always-run task whose guard never holds: present in every catalog so the
# module is the same, never shown.
TABLE='<task name="Table" always-run="true"><only-if><query>SELECT 1 FROM (SELECT 1 AS x) t WHERE 1 = 0</query></only-if><sql>SELECT 1</sql></task>'
mk base "<module $NS name=\"race\">$TABLE</module>"
mk race "<module $NS name=\"race\">$TABLE<task name=\"Count\"><sql>INSERT INTO counter VALUES (1)</sql></task></module>"

# race LABEL N ARGS...: N processes at once; the task must have run exactly once.
race() {
	label=$1 n=$2
	shift 2
	pids=
	i=0
	while [ "$i" -lt "$n" ]; do
		"$UPGRADE" -q -T "$T_TMP/race" run --lock-timeout 60 "$@" >"$T_TMP/race.$i" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	fails=0
	for p in $pids; do wait "$p" || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ] && ok "$label: $n racing runs all succeed" ||
		not_ok "$label: $n racing runs: $fails failed" "$(cat "$T_TMP"/race.*)"
}

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -At -c "$1" 2>&1; }
	for n in 2 8; do
		pg 'DROP SCHEMA IF EXISTS upg_race CASCADE; CREATE SCHEMA upg_race AUTHORIZATION upgrade' >/dev/null
		"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_PG" run --schema upg_race >/dev/null 2>&1
		pg 'CREATE TABLE upg_race.counter (n INTEGER); ALTER TABLE upg_race.counter OWNER TO upgrade' >/dev/null
		race "PG" "$n" -c "$UPGRADE_TEST_PG" --schema upg_race
		c=$(pg 'SELECT count(*) FROM upg_race.counter')
		[ "$c" = 1 ] && ok "PG: $n racing runs applied the task once" || not_ok "PG: $n racing runs: $c rows"
	done

	# Lock timeout: a slow task holds the schema; a second run gives up, naming the holder.
	mk slow "<module $NS name=\"race\">$TABLE<task name=\"Slow\"><sql>SELECT pg_sleep(4)</sql></task></module>"
	"$UPGRADE" -q -T "$T_TMP/slow" -c "$UPGRADE_TEST_PG" run --schema upg_race >/dev/null 2>&1 &
	slow=$!
	sleep 1
	run "$UPGRADE" -T "$T_TMP/slow" -c "$UPGRADE_TEST_PG" run --schema upg_race --lock-timeout 1
	expect_rc 3 "PG: lock timeout exits 3"
	expect_err 'schema upg_race is locked by another upgrade \(upgrade .* pid [0-9]+ since [0-9T:-]+Z' "PG: the timeout names the holder's host, pid and start"
	wait "$slow"

	# SIGKILL mid-task: nothing of the task stays, the state says pending.
	mk kill "<module $NS name=\"race\">$TABLE<task name=\"Killed\"><sql>CREATE TABLE killed (id INTEGER)</sql><sql>SELECT pg_sleep(30)</sql></task></module>"
	"$UPGRADE" -q -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" run --schema upg_race >/dev/null 2>&1 &
	victim=$!
	sleep 1.5
	kill -9 "$victim"
	wait "$victim" 2>/dev/null
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" status --schema upg_race
	expect_out '^  pending   race:Killed$' "PG: after SIGKILL the task is still pending"
	t=$(pg "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_race' AND table_name = 'killed'")
	[ "$t" = 0 ] && ok "PG: after SIGKILL the task's table is gone (rolled back)" || not_ok "PG: killed table exists"

	# Repairs: mark records without running, unmark makes it run again.
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" mark race:Killed --schema upg_race
	expect_rc 0 "PG: mark"
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" status --schema upg_race --check
	expect_rc 0 "PG: after mark nothing is pending"
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" mark race:Nope --schema upg_race
	expect_rc 64 "PG: mark of an unknown task"
	expect_err 'no task race:Nope in the catalogs' "PG: mark names the unknown task"
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" unmark race:Killed --schema upg_race
	expect_rc 0 "PG: unmark"
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" status --schema upg_race --check
	expect_rc 1 "PG: after unmark the task is pending again"
	log=$(pg "SELECT jsonb_array_length(state->'upgrade'->'log') FROM upg_race.upgrades WHERE module = 'race'")
	[ "$log" = 2 ] && ok "PG: mark and unmark are logged in the state" || not_ok "PG: log entries: $log"
	# A mark over several schemas, one of which never saw the module, is
	# made in none (it marked the first, then stopped at the new one).
	pg 'DROP SCHEMA IF EXISTS upg_race_new CASCADE; CREATE SCHEMA upg_race_new AUTHORIZATION upgrade' >/dev/null
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" mark race:Killed --schemas 'upg_race*'
	expect_rc 64 "PG: mark where one schema never saw the module"
	expect_err 'module race was never seen in upg_race_new' "PG: the schema is named"
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" status --schema upg_race --check
	expect_rc 1 "PG: the schema that saw it was not marked either"
	t=$(pg "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_race_new'")
	[ "$t" = 0 ] && ok "PG: the new schema got no state tables" || not_ok "PG: upg_race_new has $t tables"
	pg 'DROP SCHEMA upg_race_new CASCADE' >/dev/null

	# Adopting an existing database: baseline records, runs nothing.
	pg 'DROP SCHEMA IF EXISTS upg_adopt CASCADE; CREATE SCHEMA upg_adopt AUTHORIZATION upgrade' >/dev/null
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" baseline --schema upg_adopt
	expect_rc 0 "PG: baseline"
	run "$UPGRADE" -T "$T_TMP/kill" -c "$UPGRADE_TEST_PG" status --schema upg_adopt --check --all
	expect_rc 0 "PG: after baseline nothing is pending"
	expect_out '^  executed  race:Killed  \(recorded by baseline at ' "PG: baseline recorded the task"

	# Many schemas in parallel, output grouped in schema order.
	sql=
	i=0
	while [ $i -lt 200 ]; do
		sql="$sql DROP SCHEMA IF EXISTS upg_many_$i CASCADE; CREATE SCHEMA upg_many_$i AUTHORIZATION upgrade;"
		i=$((i + 1))
	done
	pg "$sql" >/dev/null
	"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_PG" run --schemas 'upg_many_*' -j 4 >/dev/null 2>&1
	mk many "<module $NS name=\"race\">$TABLE<task name=\"Many\"><sql>CREATE TABLE many (id INTEGER)</sql></task></module>"
	run "$UPGRADE" -T "$T_TMP/many" -c "$UPGRADE_TEST_PG" run --schemas 'upg_many_*' -j 4
	expect_rc 0 "PG: 200 schemas with -j 4"
	n=$(printf '%s\n' "$out" | grep -c '^\* race:Many$')
	[ "$n" = 200 ] && ok "PG: the task ran in all 200 schemas" || not_ok "PG: ran in $n schemas"
	order=$(printf '%s\n' "$out" | sed -n 's/^Running upgrade for //p')
	sorted=$(printf '%s\n' "$order" | LC_ALL=C sort)
	[ "$order" = "$sorted" ] && ok "PG: -j output stays grouped in schema order" || not_ok "PG: -j order"
	grouped=$(printf '%s\n' "$out" | awk '/^Running/ { if (n && (s != 1 || e != 1)) bad = 1; s = 0; e = 0; n = 1; next }
		/^\* race:Many$/ { s++ } /^executed 1 upgrade tasks$/ { e++ } END { print bad ? "bad" : "good" }')
	[ "$grouped" = good ] && ok "PG: every schema's lines stay together" || not_ok "PG: -j interleaved output"
	c=$(pg "SELECT count(*) FROM information_schema.tables WHERE table_schema LIKE 'upg\\_many\\_%' AND table_name = 'many'")
	[ "$c" = 200 ] && ok "PG: 200 tables created" || not_ok "PG: $c tables"
	sql=
	i=0
	while [ $i -lt 200 ]; do sql="$sql DROP SCHEMA upg_many_$i CASCADE;"; i=$((i + 1)); done
	pg "$sql" >/dev/null

	# A role the server gives three connections: with -j 4 two workers get
	# none (the run's own connection is the third).  They take no schema;
	# the two that connected do all six.
	pg "DROP ROLE IF EXISTS upg_few; CREATE ROLE upg_few LOGIN PASSWORD 'few' CONNECTION LIMIT 3" >/dev/null
	sql=
	for i in 1 2 3 4 5 6; do
		sql="$sql DROP SCHEMA IF EXISTS upg_few_$i CASCADE; CREATE SCHEMA upg_few_$i AUTHORIZATION upg_few;"
	done
	pg "$sql" >/dev/null
	few=$(printf '%s\n' "$UPGRADE_TEST_PG" | sed 's/Uid=[^;]*;/Uid=upg_few;/; s/Pwd=.*$/Pwd=few/')
	mk slowmany "<module $NS name=\"race\">$TABLE</module>"
	"$UPGRADE" -q -T "$T_TMP/slowmany" -c "$few" run --schemas 'upg_few_*' >/dev/null 2>&1
	mk slowmany "<module $NS name=\"race\">$TABLE<task name=\"Slow\"><sql>SELECT pg_sleep(0.3)</sql></task></module>"
	run "$UPGRADE" -T "$T_TMP/slowmany" -c "$few" run --schemas 'upg_few_*' -j 4
	expect_rc 0 "PG: -j 4 with connections for two workers"
	n=$(printf '%s\n' "$out" | grep -c '^\* race:Slow$')
	[ "$n" = 6 ] && ok "PG: all six schemas upgraded by the workers that connected" ||
		not_ok "PG: $n of 6 schemas upgraded" "$out" "$err"
	sql=
	for i in 1 2 3 4 5 6; do sql="$sql DROP SCHEMA upg_few_$i CASCADE;"; done
	pg "$sql DROP ROLE upg_few" >/dev/null
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
	for n in 2 8; do
		my 'DROP DATABASE IF EXISTS upg_race; CREATE DATABASE upg_race' >/dev/null
		"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_MARIADB" run --schema upg_race >/dev/null 2>&1
		my 'CREATE TABLE upg_race.counter (n INTEGER)' >/dev/null
		race "MariaDB" "$n" -c "$UPGRADE_TEST_MARIADB" --schema upg_race
		c=$(my 'SELECT count(*) FROM upg_race.counter')
		[ "$c" = 1 ] && ok "MariaDB: $n racing runs applied the task once" ||
			not_ok "MariaDB: $n racing runs: $c rows"
	done

	# A task failing at its third statement: DDL committed, so the state must say so.
	mk partial "<module $NS name=\"race\">$TABLE<task name=\"Three\"><sql>CREATE TABLE p1 (id INTEGER)</sql><sql>CREATE TABLE p2 (id INTEGER)</sql><sql>INSERT INTO fixme VALUES (1)</sql><sql>CREATE TABLE p4 (id INTEGER)</sql></task></module>"
	run "$UPGRADE" -T "$T_TMP/partial" -c "$UPGRADE_TEST_MARIADB" run --schema upg_race
	expect_rc 2 "MariaDB: the third statement fails"
	expect_err 'task race:Three failed in upg_race at statement 3 of 4' "MariaDB: the failure names the statement"
	run "$UPGRADE" -T "$T_TMP/partial" -c "$UPGRADE_TEST_MARIADB" status --schema upg_race --check
	expect_rc 1 "MariaDB: a partly applied task is pending for --check"
	expect_out '^  partial   race:Three  \(2 of 4 statements committed at [0-9-]+T[0-9:.]+Z; failed: ' "MariaDB: status says 2 of 4 committed"
	run "$UPGRADE" -T "$T_TMP/partial" -c "$UPGRADE_TEST_MARIADB" run --schema upg_race
	expect_rc 2 "MariaDB: the next run refuses to run the task blind"
	expect_err 'is partly applied: 2 of 4 statements committed' "MariaDB: the refusal explains"
	expect_err '\-\-resume to continue with statement 3' "MariaDB: the refusal says how to resume"
	my 'CREATE TABLE upg_race.fixme (id INTEGER)' >/dev/null
	run "$UPGRADE" -T "$T_TMP/partial" -c "$UPGRADE_TEST_MARIADB" run --schema upg_race --resume
	expect_rc 0 "MariaDB: --resume after the fix"
	expect_out '^\* race:Three$' "MariaDB: the resumed task is reported"
	t=$(my "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'upg_race'")
	[ "$t" = "counter,fixme,p1,p2,p4,upgrades,upgrade_tasks" ] && ok "MariaDB: statements 1-2 ran once, 3-4 on resume" ||
		not_ok "MariaDB: tables after resume: $t"
	run "$UPGRADE" -T "$T_TMP/partial" -c "$UPGRADE_TEST_MARIADB" status --schema upg_race --check
	expect_rc 0 "MariaDB: nothing pending after the resume"

	# Killed between statements: the journal shows how far it got.
	mk mkill "<module $NS name=\"race\">$TABLE<task name=\"Sleepy\"><sql>CREATE TABLE s1 (id INTEGER)</sql><sql>SELECT SLEEP(30)</sql><sql>CREATE TABLE s3 (id INTEGER)</sql></task></module>"
	"$UPGRADE" -q -T "$T_TMP/mkill" -c "$UPGRADE_TEST_MARIADB" run --schema upg_race >/dev/null 2>&1 &
	victim=$!
	sleep 1.5
	kill -9 "$victim"
	wait "$victim" 2>/dev/null
	run "$UPGRADE" -T "$T_TMP/mkill" -c "$UPGRADE_TEST_MARIADB" status --schema upg_race
	expect_out '^  partial   race:Sleepy  \(1 of 3 statements committed' "MariaDB: after SIGKILL the state says 1 of 3 committed"
	my 'DROP DATABASE upg_race' >/dev/null
fi

# SQLite: racing processes serialise on the lock file.
db="$T_TMP/race.db"
"$UPGRADE" -q -T "$T_TMP/base" -d "$db" run >/dev/null 2>&1
sqlite3 "$db" 'CREATE TABLE counter (n INTEGER)'
race "SQLite" 8 -d "$db"
c=$(sqlite3 "$db" 'SELECT count(*) FROM counter')
[ "$c" = 1 ] && ok "SQLite: 8 racing runs applied the task once" || not_ok "SQLite: $c rows"

finish
