#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-cluster.sh - upgrade(1) against the clusters of tests/cluster.sh:
#  - run, baseline, mark and unmark against a PostgreSQL streaming standby
#    fail at once with exit 8 and one line naming the server as a standby,
#    also when nothing is pending (which used to "succeed"); status works;
#  - the same on a MariaDB (Galera) node with read_only=ON for a user that
#    is not exempt from it, while an exempt user still writes;
#  - on Galera, runs racing on three nodes apply every task exactly once
#    (GET_LOCK is local to a node; the lock table is cluster-wide), a run
#    on another node waits for the holder and names it, and the lock of a
#    holder killed with -9 is free within its lease;
#  - run --wait-replicas waits for the standby to replay the run (exit 9
#    when it cannot: paused replay, hidden positions, too few replicas);
#  - through PgBouncer in transaction pooling mode with --pool-mode
#    transaction, runs racing on two tenants apply every task exactly once,
#    in the tenant's schema, record only what ran, leave no search path or
#    advisory lock to the pool's next client, and keep the role's search
#    path after the tenant's; a killed holder's lock is free within its
#    lease.
# It uses the clusters named by UPGRADE_TEST_CLUSTER_DIR's env.sh (as
# tests/check.sh starts them), else starts its own with tests/cluster.sh and
# stops them at the end.
. "$top_srcdir/tests/lib.sh"

own_cluster=
stop_cluster() {
	if [ -n "$own_cluster" ]; then
		"$top_srcdir/tests/cluster.sh" stop "$own_cluster" >/dev/null 2>&1 ||
			echo "stopping the cluster in $own_cluster failed" >&2
	fi
	[ -n "${ro_node_admin:-}" ] && $ro_node_admin -e 'SET GLOBAL read_only = 0' >/dev/null 2>&1
	rm -rf "$T_TMP"
}
trap stop_cluster EXIT

if [ -z "${UPGRADE_TEST_PG_STANDBY:-}" ] && ! server_free; then
	# Short: the servers' unix sockets live below it.
	own_cluster=$(mktemp -d /tmp/upg-cl.XXXXXX)
	if "$top_srcdir/tests/cluster.sh" start "$own_cluster" >"$T_TMP/cluster.log" 2>&1; then
		. "$own_cluster/env.sh"
	else
		not_ok "tests/cluster.sh could not start the clusters" "$(tail -n 20 "$T_TMP/cluster.log")"
	fi
fi

NS='xmlns="urn:upgrade:catalog:1"'
cat_dir() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
cat_dir v1 "<module $NS name=\"cl\"><task name=\"One\"><sql>CREATE TABLE one (id INTEGER)</sql></task></module>"
cat_dir v2 "<module $NS name=\"cl\"><task name=\"One\"><sql>CREATE TABLE one (id INTEGER)</sql></task><task name=\"Two\"><sql>CREATE TABLE two (id INTEGER)</sql></task></module>"
cat_dir v3 "<module $NS name=\"cl\"><task name=\"One\"><sql>CREATE TABLE one (id INTEGER)</sql></task><task name=\"Two\"><sql>CREATE TABLE two (id INTEGER)</sql></task><task name=\"Three\"><sql>CREATE TABLE three (id INTEGER)</sql></task></module>"

# writers LABEL CONN PATTERN SCHEMA-ARGS...: every writing command is refused
# at once with exit 8 and one line matching PATTERN; status still works.
writers() {
	label=$1 conn=$2 pattern=$3
	shift 3
	for cmd in run "run --dry-run" baseline "mark cl:Two" "unmark cl:One"; do
		# shellcheck disable=SC2086 # cmd is the command and its arguments
		run "$UPGRADE" -T "$T_TMP/v2" -c "$conn" $cmd "$@"
		expect_rc 8 "$label: $cmd is refused"
		expect_err "^upgrade: error: $pattern" "$label: $cmd names the server"
		# A dry run announces itself first; that line is no part of the error.
		err=$(printf '%s\n' "$err" | grep -v '^upgrade: dry run: ')
		expect_lines 1 err "$label: $cmd says so in one line"
	done
	run "$UPGRADE" -T "$T_TMP/v1" -c "$conn" run "$@"
	expect_rc 8 "$label: a run with nothing pending is refused too"
	run "$UPGRADE" -T "$T_TMP/v2" -c "$conn" status "$@"
	expect_rc 0 "$label: status works"
	expect_out 'pending +cl:Two' "$label: status lists the pending task"
	run "$UPGRADE" -T "$T_TMP/v2" -c "$conn" status --check "$@"
	expect_rc 1 "$label: status --check says something is pending"
}

# --- PostgreSQL: a streaming standby ------------------------------------------
if require_env UPGRADE_TEST_PG_STANDBY && require_env UPGRADE_TEST_PG_PRIMARY_ADMIN &&
	require_env UPGRADE_TEST_PG_STANDBY_ADMIN; then
	pgp() { $UPGRADE_TEST_PG_PRIMARY_ADMIN -At -c "$1" 2>&1; }
	pgs() { $UPGRADE_TEST_PG_STANDBY_ADMIN -At -c "$1" 2>&1; }
	pgp 'DROP SCHEMA IF EXISTS upg_cl CASCADE; CREATE SCHEMA upg_cl AUTHORIZATION upgrade' >/dev/null
	run "$UPGRADE" -T "$T_TMP/v1" -c "$UPGRADE_TEST_PG_PRIMARY" run --schema upg_cl
	expect_rc 0 "PG primary: the first run records the module"
	# The standby must have replayed that before it is asked.
	lsn=$(pgp 'SELECT pg_current_wal_lsn()')
	i=0
	while [ "$(pgs "SELECT pg_last_wal_replay_lsn() >= '$lsn'")" != t ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i -lt 100 ] && ok "PG standby: replayed the primary" || not_ok "PG standby: did not replay $lsn in 10 s"

	writers "PG standby" "$UPGRADE_TEST_PG_STANDBY" \
		"PostgreSQL server 127\\.0\\.0\\.1:$UPGRADE_TEST_PG_STANDBY_PORT, database upgrade_test, is a standby" \
		--schema upg_cl

	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_PG_PRIMARY" run --schema upg_cl
	expect_rc 0 "PG primary: the run that the standby refused works there"
	expect_out '^\* cl:Two' "PG primary: the pending task ran"
	# The module grows by one table per run: tables N adds tables t1 .. tN.
	tables() {
		mkdir -p "$T_TMP/t$1"
		{
			echo "<module $NS name=\"cl\"><task name=\"One\"><sql>CREATE TABLE one (id INTEGER)</sql></task><task name=\"Two\"><sql>CREATE TABLE two (id INTEGER)</sql></task>"
			i=1
			while [ "$i" -le "$1" ]; do
				echo "<task name=\"t$i\"><sql>CREATE TABLE t$i (id INTEGER)</sql></task>"
				i=$((i + 1))
			done
			echo "</module>"
		} >"$T_TMP/t$1/catalog.xml"
	}
	on_standby() { # table: whether the standby has upg_cl.table
		[ "$(pgs "SELECT to_regclass('upg_cl.$1') IS NOT NULL")" = t ]
	}
	tables 1
	run "$UPGRADE" -T "$T_TMP/t1" -c "$UPGRADE_TEST_PG_PRIMARY" run --schema upg_cl \
		--wait-replicas 1 --wait-timeout 2
	expect_rc 9 "PG --wait-replicas: a role that cannot see replay positions times out"
	expect_out '^\* cl:t1' "PG --wait-replicas: the run itself was done before the wait"
	expect_err '^upgrade: error: 0 of 1 replicas replayed up to [0-9A-F]+/[0-9A-F]+ within 2\.0 s; 1 of the 1 connected replicas hide their position from this role \(grant it pg_monitor' \
		"PG --wait-replicas: the timeout names the missing privilege"
	[ "$(pgp "SELECT state FROM upg_cl.upgrades WHERE module = 'cl'" | grep -c '"t1"')" = 1 ] &&
		ok "PG --wait-replicas: a timeout leaves the run committed" ||
		not_ok "PG --wait-replicas: the state lost cl:t1 after a timeout"
	pgp 'GRANT pg_monitor TO upgrade' >/dev/null

	# With replay paused the standby cannot catch up: the wait must not claim it did.
	pgs 'SELECT pg_wal_replay_pause()' >/dev/null
	tables 2
	run "$UPGRADE" -T "$T_TMP/t2" -c "$UPGRADE_TEST_PG_PRIMARY" --format json run --schema upg_cl \
		--wait-replicas 1 --wait-timeout 1
	expect_rc 9 "PG --wait-replicas: a standby that does not replay times out"
	expect_out '"event":"replicas","wanted":1,"ok":false' "PG --wait-replicas: JSON says the wait failed"
	expect_err '0 of 1 replicas replayed up to .* within 1\.0 s \(1 connected\)' \
		"PG --wait-replicas: the timeout says how far the replicas got"
	on_standby t2 && not_ok "PG --wait-replicas: the paused standby was expected to lag" ||
		ok "PG --wait-replicas: the paused standby indeed lacks the new table"
	pgs 'SELECT pg_wal_replay_resume()' >/dev/null
	tables 3
	run "$UPGRADE" -T "$T_TMP/t3" -c "$UPGRADE_TEST_PG_PRIMARY" run --schema upg_cl \
		--wait-replicas 1 --wait-timeout 30
	expect_rc 0 "PG --wait-replicas: a replaying standby is waited for"
	expect_out '^1 replica replayed the run \(waited [0-9.]+ s\)$' "PG --wait-replicas: says how long it waited"
	# The promise: right after the command, the standby has what the run committed.
	on_standby t3 && ok "PG --wait-replicas: the standby has the run's table when the command returns" ||
		not_ok "PG --wait-replicas: the standby lacks upg_cl.t3 after the wait" \
			"$(pgs "SELECT pg_last_wal_replay_lsn(), pg_is_wal_replay_paused()"; pgp "SELECT to_regclass('upg_cl.t3'), pg_current_wal_lsn()"; printf '%s\n' "$out")"
	tables 4
	run "$UPGRADE" -T "$T_TMP/t4" -c "$UPGRADE_TEST_PG_PRIMARY" run --schema upg_cl \
		--wait-replicas 2 --wait-timeout 1
	expect_rc 9 "PG --wait-replicas: more replicas than there are cannot be waited for"
	expect_err '1 of 2 replicas replayed up to .*\(1 connected\)' "PG --wait-replicas: names the count"
	pgp 'REVOKE pg_monitor FROM upgrade' >/dev/null
fi

# --- MariaDB: a Galera node with read_only=ON ---------------------------------
if require_env UPGRADE_TEST_GALERA3 && require_env UPGRADE_TEST_GALERA_ADMIN3; then
	my() { $UPGRADE_TEST_GALERA_ADMIN3 -N -e "$1" 2>&1; }
	ro_node_admin=$UPGRADE_TEST_GALERA_ADMIN3
	# read_only is per node and not replicated: only node 3 refuses.
	my "DROP DATABASE IF EXISTS upg_cl; CREATE DATABASE upg_cl;
	    DROP USER IF EXISTS 'upg_cl_ro'@'127.0.0.1', 'upg_cl_su'@'127.0.0.1';
	    CREATE USER 'upg_cl_ro'@'127.0.0.1' IDENTIFIED BY 'ro';
	    GRANT ALL ON upg_cl.* TO 'upg_cl_ro'@'127.0.0.1';
	    CREATE USER 'upg_cl_su'@'127.0.0.1' IDENTIFIED BY 'su';
	    GRANT SUPER ON *.* TO 'upg_cl_su'@'127.0.0.1';
	    GRANT ALL ON upg_cl.* TO 'upg_cl_su'@'127.0.0.1'" >/dev/null
	run "$UPGRADE" -T "$T_TMP/v1" -c "$UPGRADE_TEST_GALERA3" run --schema upg_cl
	expect_rc 0 "MariaDB: the first run records the module"
	my 'SET GLOBAL read_only = 1' >/dev/null
	ro=$(printf '%s' "$UPGRADE_TEST_GALERA3" | sed 's/Uid=[^;]*/Uid=upg_cl_ro/; s/Pwd={[^}]*}/Pwd=ro/; s/Database=[^;]*/Database=upg_cl/')
	writers "MariaDB read_only" "$ro" \
		"MariaDB server [^ ]*:$UPGRADE_TEST_GALERA3_PORT is read-only \\(read_only is ON\\) for upg_cl_ro@" \
		--schema upg_cl
	# Since 10.11 SUPER no longer exempts from read_only.
	su=$(printf '%s' "$UPGRADE_TEST_GALERA3" | sed 's/Uid=[^;]*/Uid=upg_cl_su/; s/Pwd={[^}]*}/Pwd=su/; s/Database=[^;]*/Database=upg_cl/')
	run "$UPGRADE" -T "$T_TMP/v2" -c "$su" run --schema upg_cl
	expect_rc 8 "MariaDB read_only: a user with SUPER is refused"
	# ALL PRIVILEGES includes READ_ONLY ADMIN, which read_only does not stop.
	run "$UPGRADE" -T "$T_TMP/v2" -c "$UPGRADE_TEST_GALERA3" run --schema upg_cl
	expect_rc 0 "MariaDB read_only: a user with READ_ONLY ADMIN still runs"
	expect_out '^\* cl:Two' "MariaDB read_only: the exempt user's task ran"
	my 'SET GLOBAL read_only = 0' >/dev/null
	ro_node_admin=
	run "$UPGRADE" -T "$T_TMP/v3" -c "$UPGRADE_TEST_GALERA3" run --schema upg_cl --wait-replicas 1
	expect_rc 64 "MariaDB --wait-replicas: refused before the run"
	expect_err '^upgrade: error: --wait-replicas: the mysql dialect cannot see the server.s replicas' \
		"MariaDB --wait-replicas: says why"
	expect_no 'cl:Three' "MariaDB --wait-replicas: nothing ran"
	my "DROP USER 'upg_cl_ro'@'127.0.0.1', 'upg_cl_su'@'127.0.0.1'; DROP DATABASE upg_cl" >/dev/null
fi

# --- Galera: the lock table ---------------------------------------------------
if require_env UPGRADE_TEST_GALERA1 && require_env UPGRADE_TEST_GALERA2 &&
	require_env UPGRADE_TEST_GALERA3 && require_env UPGRADE_TEST_GALERA_ADMIN1 &&
	require_env UPGRADE_TEST_GALERA_ADMIN2; then
	g1() { $UPGRADE_TEST_GALERA_ADMIN1 -N -e "$1" 2>&1; }
	g2() { $UPGRADE_TEST_GALERA_ADMIN2 -N -e "$1" 2>&1; }
	{
		echo "<module $NS name=\"race\">"
		i=1
		while [ $i -le 100 ]; do
			echo "<task name=\"t$i\"><sql>INSERT INTO hits (task) VALUES ('t$i')</sql></task>"
			i=$((i + 1))
		done
		echo "<task name=\"raw\" raw=\"true\"><step><sql>INSERT INTO upgrade_test.raw_hits VALUES (1)</sql></step></task>"
		echo "</module>"
	} >"$T_TMP/race.xml"
	cat_dir race0 "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task></module>"
	mkdir -p "$T_TMP/race100" && cp "$T_TMP/race.xml" "$T_TMP/race100/catalog.xml"

	# Three runs at once, one per node, several times: without a lock that
	# the cluster serializes, some task runs twice or a run trips over the
	# other's half-written state.
	trial=1
	while [ $trial -le 5 ]; do
		g1 'DROP DATABASE IF EXISTS upg_race; CREATE DATABASE upg_race;
		    CREATE TABLE upg_race.hits (id INTEGER AUTO_INCREMENT PRIMARY KEY, task VARCHAR(20));
		    DROP TABLE IF EXISTS upgrade_test.raw_hits; CREATE TABLE upgrade_test.raw_hits (i INTEGER)' >/dev/null
		"$UPGRADE" -q -T "$T_TMP/race0" -c "$UPGRADE_TEST_GALERA1" run --schema upg_race >/dev/null 2>&1
		pids=
		n=1
		for conn in "$UPGRADE_TEST_GALERA1" "$UPGRADE_TEST_GALERA2" "$UPGRADE_TEST_GALERA3"; do
			"$UPGRADE" -T "$T_TMP/race100" -c "$conn" run --schema upg_race --lock-timeout 60 \
				>"$T_TMP/race$n.out" 2>&1 &
			pids="$pids $!"
			n=$((n + 1))
		done
		codes=
		for p in $pids; do
			rc=0
			wait "$p" || rc=$?
			codes="$codes$rc"
		done
		# Node 2 must see every row; wsrep_sync_wait makes it wait for them.
		counts=$(g2 'SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*), COUNT(DISTINCT task) FROM upg_race.hits; SELECT COUNT(*) FROM upgrade_test.raw_hits' | tr '\t\n' '  ')
		# Raw tasks are never recorded: each run does it once, one after the other.
		if [ "$codes" = 000 ] && [ "$counts" = "100 100 3 " ]; then
			ok "Galera race $trial: three runs on three nodes, every task once"
		else
			not_ok "Galera race $trial: exits $codes, rows/distinct/raw $counts (want 000, 100 100 3)" \
				"$(cat "$T_TMP/race1.out" "$T_TMP/race2.out" "$T_TMP/race3.out" | grep -v '^\*')"
		fi
		trial=$((trial + 1))
	done
	n=$(g2 'SELECT COUNT(*) FROM upg_race.upgrade_locks')
	[ "$n" = 0 ] && ok "Galera: the released locks left no rows" || not_ok "Galera: $n lock rows left"

	# A holder killed with -9 stops renewing; its lock is free within the lease.
	cat_dir slow0 "<module $NS name=\"slow\"><task name=\"A\"><sql>SELECT 1</sql></task></module>"
	cat_dir slow1 "<module $NS name=\"slow\"><task name=\"A\"><sql>SELECT 1</sql></task><task name=\"Slow\"><sql>SELECT SLEEP(30)</sql></task></module>"
	g1 'DROP DATABASE IF EXISTS upg_kill; CREATE DATABASE upg_kill' >/dev/null
	"$UPGRADE" -q -T "$T_TMP/slow0" -c "$UPGRADE_TEST_GALERA1" run --schema upg_kill >/dev/null 2>&1
	"$UPGRADE" -T "$T_TMP/slow1" -c "$UPGRADE_TEST_GALERA1" --lock-lease 3 run --schema upg_kill \
		>"$T_TMP/holder.out" 2>&1 &
	holder=$!
	i=0
	while [ "$(g2 'SELECT COUNT(*) FROM upg_kill.upgrade_locks' 2>/dev/null)" != 1 ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	run "$UPGRADE" -T "$T_TMP/slow1" -c "$UPGRADE_TEST_GALERA2" --lock-lease 3 run --schema upg_kill --lock-timeout 1
	expect_rc 3 "Galera: a run on another node does not get the held lock"
	expect_err "locked by another upgrade \\(upgrade [^ ]+ pid $holder since [^,]+, lease until " \
		"Galera: the holder is named, with its lease"
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	# The server notices the dead client only when its SLEEP ends; ending
	# that session too leaves nothing but the lock row and its lease.
	for id in $(g1 "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO = 'SELECT SLEEP(30)'"); do
		g1 "KILL $id" >/dev/null
	done
	# The task is quick now, so the time measured is the wait for the lock.
	cat_dir slow2 "<module $NS name=\"slow\"><task name=\"A\"><sql>SELECT 1</sql></task><task name=\"Slow\"><sql>SELECT 2</sql></task></module>"
	start=$(date +%s.%N)
	run "$UPGRADE" -T "$T_TMP/slow2" -c "$UPGRADE_TEST_GALERA2" --lock-lease 3 run --schema upg_kill --lock-timeout 20
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	expect_rc 0 "Galera: the run after the killed holder"
	expect_no "locked by another upgrade" "Galera: the killed holder's lock was taken over"
	# The killed statement was a SELECT: it and its journal entry rolled back
	# together, so the journal knows it never committed and the task runs.
	expect_out '^\* slow:Slow$' "Galera: the new holder runs the killed run's task, which never committed"
	# The lease runs 3 s from the last renewal; the waiter polls once a
	# second and needs a moment to start on a busy machine.
	if awk -v t="$took" 'BEGIN { exit !(t <= 6) }'; then
		ok "Galera: the lock was free within the 3 s lease, a poll and start-up ($took s)"
	else
		not_ok "Galera: the lock took $took s to become free (lease 3 s)"
	fi

	run "$UPGRADE" -T "$T_TMP/slow1" -c "$UPGRADE_TEST_GALERA1" --cluster-lock bogus run
	expect_rc 64 "--cluster-lock takes auto, off or table"
	run "$UPGRADE" -T "$T_TMP/slow1" -c "$UPGRADE_TEST_GALERA1" --lock-lease 0 run
	expect_rc 64 "--lock-lease takes at least a second"
	g1 'DROP DATABASE upg_race; DROP DATABASE upg_kill; DROP TABLE upgrade_test.raw_hits' >/dev/null
fi

# --- PgBouncer in transaction pooling mode -------------------------------------
if require_env UPGRADE_TEST_PGBOUNCER && require_env UPGRADE_TEST_PGBOUNCER_PORT &&
	require_env UPGRADE_TEST_PG_PRIMARY_ADMIN && require_env UPGRADE_TEST_CLUSTER_PASSWORD; then
	pa() { $UPGRADE_TEST_PG_PRIMARY_ADMIN -At -c "$1" 2>&1; }
	# psql as the test user through the pool: another client of the same server sessions.
	psql_bin=${UPGRADE_TEST_PG_PRIMARY_ADMIN%% *}
	pb() {
		PGPASSWORD=$UPGRADE_TEST_CLUSTER_PASSWORD "$psql_bin" -X -q -At -h 127.0.0.1 \
			-p "$UPGRADE_TEST_PGBOUNCER_PORT" -U upgrade -d upgrade_test -c "$1" 2>&1
	}
	# Fresh server sessions, so that what a trial leaves in them is its own.
	pool_reset() {
		pa "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		    WHERE usename = 'upgrade' AND pid <> pg_backend_pid()" >/dev/null
	}
	{
		echo "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task>"
		i=1
		while [ $i -le 100 ]; do
			echo "<task name=\"t$i\"><sql>INSERT INTO hits (task) VALUES ('t$i')</sql></task>"
			i=$((i + 1))
		done
		echo "<task name=\"path\"><sql>INSERT INTO paths SELECT current_setting('search_path')</sql></task>"
		echo "</module>"
	} >"$T_TMP/race.xml"
	cat_dir pgrace0 "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task></module>"
	mkdir -p "$T_TMP/pgrace100" && cp "$T_TMP/race.xml" "$T_TMP/pgrace100/catalog.xml"
	pa 'DROP TABLE IF EXISTS public.hits; CREATE TABLE public.hits (task TEXT); GRANT ALL ON public.hits TO upgrade' >/dev/null

	# Three runs at once through the pool, several times: with session locks
	# and a session search path, tasks ran twice, recorded tasks never ran,
	# and inserts landed in public.hits (tests/CLUSTERS.md).
	trial=1
	while [ $trial -le 3 ]; do
		pa 'DROP SCHEMA IF EXISTS tenant_a CASCADE; DROP SCHEMA IF EXISTS tenant_b CASCADE;
		    CREATE SCHEMA tenant_a AUTHORIZATION upgrade; CREATE SCHEMA tenant_b AUTHORIZATION upgrade;
		    CREATE TABLE tenant_a.hits (task TEXT); CREATE TABLE tenant_b.hits (task TEXT);
		    CREATE TABLE tenant_a.paths (p TEXT); CREATE TABLE tenant_b.paths (p TEXT);
		    GRANT ALL ON ALL TABLES IN SCHEMA tenant_a, tenant_b TO upgrade; TRUNCATE public.hits' >/dev/null
		pool_reset
		"$UPGRADE" -q -T "$T_TMP/pgrace0" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
			run --schemas 'tenant_*' >/dev/null 2>&1
		pids=
		for n in 1 2 3; do
			"$UPGRADE" -T "$T_TMP/pgrace100" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
				run --schemas 'tenant_*' --lock-timeout 60 >"$T_TMP/pgrace$n.out" 2>&1 &
			pids="$pids $!"
		done
		codes=
		for p in $pids; do
			rc=0
			wait "$p" || rc=$?
			codes="$codes$rc"
		done
		# Rows and distinct tasks per tenant, stray rows, and recorded tasks without their row.
		counts=$(pa "SELECT count(*), count(DISTINCT task) FROM tenant_a.hits;
		             SELECT count(*), count(DISTINCT task) FROM tenant_b.hits;
		             SELECT count(*) FROM public.hits;
		             SELECT count(*) FROM tenant_a.upgrade_tasks t WHERE task LIKE 't_%' AND task <> 't0'
		                 AND NOT EXISTS (SELECT 1 FROM tenant_a.hits h WHERE h.task = t.task);
		             SELECT count(*) FROM tenant_b.upgrade_tasks t WHERE task LIKE 't_%' AND task <> 't0'
		                 AND NOT EXISTS (SELECT 1 FROM tenant_b.hits h WHERE h.task = t.task)" | tr '|\n' '  ')
		if [ "$codes" = 000 ] && [ "$counts" = "100 100 100 100 0 0 0 " ]; then
			ok "PgBouncer race $trial: three runs through the pool, every task once per tenant"
		else
			not_ok "PgBouncer race $trial: exits $codes, rows/distinct a, b, public, recorded not run a, b: $counts (want 000, 100 100 100 100 0 0 0)" \
				"$(cat "$T_TMP/pgrace1.out" "$T_TMP/pgrace2.out" "$T_TMP/pgrace3.out" | grep -v '^\*')"
		fi
		trial=$((trial + 1))
	done
	paths=$(pa "SELECT p FROM tenant_a.paths UNION ALL SELECT p FROM tenant_b.paths" | tr '\n' ';')
	case $paths in
	'tenant_a, "$user", public;tenant_b, "$user", public;') ok "PgBouncer: each task ran with its tenant's search path, the user's after it" ;;
	*) not_ok "PgBouncer: the tasks' search paths were '$paths' (want tenant_a, \"\$user\", public;tenant_b, \"\$user\", public;)" ;;
	esac
	n=$(pa "SELECT (SELECT count(*) FROM tenant_a.upgrade_locks) + (SELECT count(*) FROM tenant_b.upgrade_locks)")
	[ "$n" = 0 ] && ok "PgBouncer: the released locks left no rows" || not_ok "PgBouncer: $n lock rows left"
	# Nothing stays behind in the server sessions for the pool's next client.
	leaked=
	for i in 1 2 3 4 5 6; do
		leaked="$leaked$(pb 'SHOW search_path');"
	done
	case $leaked in
	*tenant*) not_ok "PgBouncer: another client of the pool got a run's search path" "$leaked" ;;
	*) ok "PgBouncer: another client of the pool sees its own search path" ;;
	esac
	n=$(pa "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
	[ "$n" = 0 ] && ok "PgBouncer: no advisory lock stays in a server session" ||
		not_ok "PgBouncer: $n advisory locks left in server sessions"

	# Without --pool-mode the runner cannot see the pool, only its effect: the
	# statement after the one that took the session lock on a server session
	# other than that one.  Eight loops of runs keep the pool's two server
	# sessions busy until one run is caught so; a run must then stop with
	# exit 5 and name the option.  Every other run succeeds, or waits for a
	# lock that a caught run could not release (exit 3).  Each run has an
	# always-run task whose guard does not hold: a run with nothing at all
	# to do takes no lock, so it could not be caught.
	cat_dir pgtick "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task><task name=\"tick\" always-run=\"true\"><only-if><query>SELECT 1 WHERE 1 = 0</query></only-if><sql>SELECT 1</sql></task></module>"
	pa 'DROP SCHEMA IF EXISTS nopool CASCADE; CREATE SCHEMA nopool AUTHORIZATION upgrade' >/dev/null
	pool_reset
	"$UPGRADE" -q -T "$T_TMP/pgtick" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
		run --schema nopool >/dev/null 2>&1
	rm -f "$T_TMP"/nopool.*
	pids=
	for n in 1 2 3 4 5 6 7 8; do
		(
			i=0
			while [ $i -lt 40 ] && ! [ -e "$T_TMP/nopool.caught" ]; do
				i=$((i + 1))
				"$UPGRADE" -q -T "$T_TMP/pgtick" -c "$UPGRADE_TEST_PGBOUNCER" run --schema nopool \
					--lock-timeout 2 >"$T_TMP/nopool.$n.out" 2>&1
				rc=$?
				echo "$rc" >>"$T_TMP/nopool.rcs"
				if [ $rc = 5 ]; then
					cp "$T_TMP/nopool.$n.out" "$T_TMP/nopool.caught"
				elif [ $rc != 0 ] && [ $rc != 3 ]; then
					cp "$T_TMP/nopool.$n.out" "$T_TMP/nopool.odd"
				fi
			done
		) &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait $pids
	if [ -e "$T_TMP/nopool.caught" ] && grep -q 'pooler in transaction mode.*--pool-mode transaction' \
		"$T_TMP/nopool.caught"; then
		ok "PgBouncer without --pool-mode: a run whose lock and next statement met two server sessions stops with exit 5 and names the option"
	else
		not_ok "PgBouncer without --pool-mode: no run was caught in $(wc -l <"$T_TMP/nopool.rcs") runs" \
			"$(sort "$T_TMP/nopool.rcs" | uniq -c)"
	fi
	if [ -e "$T_TMP/nopool.odd" ]; then
		not_ok "PgBouncer without --pool-mode: a run failed otherwise" "$(cat "$T_TMP/nopool.odd")"
	else
		ok "PgBouncer without --pool-mode: every other run succeeded or waited for the lock (exit 0 or 3)"
	fi
	# A caught run's lock may stay in a server session: end them.
	pool_reset
	pa 'DROP SCHEMA nopool CASCADE' >/dev/null

	# A holder killed with -9 stops renewing; its lock is free within the lease.
	cat_dir pgslow0 "<module $NS name=\"slow\"><task name=\"A\"><sql>SELECT 1</sql></task></module>"
	cat_dir pgslow1 "<module $NS name=\"slow\"><task name=\"A\"><sql>SELECT 1</sql></task><task name=\"Slow\"><sql>SELECT pg_sleep(30)</sql></task></module>"
	cat_dir pgslow2 "<module $NS name=\"slow\"><task name=\"A\"><sql>SELECT 1</sql></task><task name=\"Slow\"><sql>SELECT 2</sql></task></module>"
	"$UPGRADE" -q -T "$T_TMP/pgslow0" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
		run --schema tenant_a >/dev/null 2>&1
	"$UPGRADE" -T "$T_TMP/pgslow1" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction --lock-lease 3 \
		run --schema tenant_a >"$T_TMP/pgholder.out" 2>&1 &
	holder=$!
	i=0
	while [ "$(pa "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'")" != 1 ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	run "$UPGRADE" -T "$T_TMP/pgslow1" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction --lock-lease 3 \
		run --schema tenant_a --lock-timeout 1
	expect_rc 3 "PgBouncer: a second run does not get the held lock"
	expect_err "locked by another upgrade \\(upgrade [^ ]+ pid $holder since [^,]+, lease until " \
		"PgBouncer: the holder is named, with its lease"
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	# The server notices the dead client only when its sleep ends; end it now.
	pa "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'" >/dev/null
	start=$(date +%s.%N)
	run "$UPGRADE" -T "$T_TMP/pgslow2" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction --lock-lease 3 \
		run --schema tenant_a --lock-timeout 20
	took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	expect_rc 0 "PgBouncer: the run after the killed holder"
	expect_out '^\* slow:Slow$' "PgBouncer: the new holder runs the killed run's task, which never committed"
	if awk -v t="$took" 'BEGIN { exit !(t <= 6) }'; then
		ok "PgBouncer: the lock was free within the 3 s lease, a poll and start-up ($took s)"
	else
		not_ok "PgBouncer: the lock took $took s to become free (lease 3 s)"
	fi

	# A dry run with a raw task holds one transaction for all schemas, each a
	# savepoint in it: the tenant's search path must go into that one.
	cat_dir dry "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task><task name=\"rawdry\" raw=\"true\"><step><sql>SELECT 1</sql></step></task><task name=\"dry\"><sql>INSERT INTO paths VALUES ('dry')</sql></task></module>"
	pa 'DROP TABLE public.hits' >/dev/null
	run "$UPGRADE" -T "$T_TMP/dry" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
		run --dry-run --schemas 'tenant_*'
	expect_rc 0 "PgBouncer: a dry run with raw tasks runs each schema's tasks in its schema"
	n=$(printf '%s\n' "$out" | grep -c '^\* race:dry$')
	[ "$n" = 2 ] && ok "PgBouncer: the dry run tried the task in both tenants" ||
		not_ok "PgBouncer: the dry run showed race:dry $n times (want 2)" "$out"

	# status evaluates an always-run task's guard outside any task: in the
	# tenant's search path all the same.
	pa "CREATE TABLE tenant_b.only_tenant (t TEXT); INSERT INTO tenant_b.only_tenant VALUES ('x');
	    GRANT ALL ON tenant_b.only_tenant TO upgrade" >/dev/null
	cat_dir ar "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task><task name=\"ar\" always-run=\"true\"><only-if><query>SELECT 1 FROM only_tenant</query></only-if><sql>SELECT 1</sql></task></module>"
	"$UPGRADE" -q -T "$T_TMP/ar" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
		run --schema tenant_b >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/ar" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
		status --schema tenant_b
	expect_out 'race:ar  \(always-run and its guard holds' \
		"PgBouncer: status evaluates a guard in the tenant's search path"

	# The role's search path (here: an extension's schema) follows the tenant.
	pa 'DROP SCHEMA IF EXISTS upgx_ext CASCADE; CREATE SCHEMA upgx_ext; GRANT USAGE ON SCHEMA upgx_ext TO upgrade;
	    CREATE EXTENSION citext SCHEMA upgx_ext;
	    ALTER ROLE upgrade SET search_path = "$user", public, upgx_ext' >/dev/null
	pool_reset
	cat_dir ext "<module $NS name=\"race\"><task name=\"t0\"><sql>SELECT 1</sql></task><task name=\"Words\"><sql>CREATE TABLE words (w citext)</sql></task></module>"
	run "$UPGRADE" -T "$T_TMP/ext" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction \
		run --schema tenant_a
	expect_rc 0 "PgBouncer: a task uses a type of the role's search path unqualified"
	t=$(pa "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = 'tenant_a.words'::regclass AND attname = 'w'")
	[ "$t" = upgx_ext.citext ] && ok "PgBouncer: the table is the tenant's, with the extension's type" ||
		not_ok "PgBouncer: tenant_a.words.w is '$t' (want upgx_ext.citext)"
	pa 'ALTER ROLE upgrade RESET search_path' >/dev/null
	pool_reset

	run "$UPGRADE" -T "$T_TMP/ext" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode bogus run
	expect_rc 64 "--pool-mode takes session or transaction"
	run "$UPGRADE" -T "$T_TMP/ext" -c "$UPGRADE_TEST_PGBOUNCER" --pool-mode transaction --cluster-lock off run
	expect_rc 64 "--pool-mode transaction refuses --cluster-lock off"
	expect_err '^upgrade: --pool-mode transaction locks with the lock table' \
		"--pool-mode transaction with --cluster-lock off: one line says why"
	pa 'DROP SCHEMA tenant_a CASCADE; DROP SCHEMA tenant_b CASCADE; DROP SCHEMA upgx_ext CASCADE' >/dev/null
fi

finish
