#!/bin/sh
# cli-cluster.sh - upgrade(1) against the clusters of tests/cluster.sh:
#  - run, baseline, mark and unmark against a PostgreSQL streaming standby
#    fail at once with exit 8 and one line naming the server as a standby,
#    also when nothing is pending (which used to "succeed"); status works;
#  - the same on a MariaDB (Galera) node with read_only=ON for a user that
#    is not exempt from it, while an exempt user still writes.
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

if [ -z "${UPGRADE_TEST_PG_STANDBY:-}" ]; then
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
	my "DROP USER 'upg_cl_ro'@'127.0.0.1', 'upg_cl_su'@'127.0.0.1'; DROP DATABASE upg_cl" >/dev/null
fi

finish
