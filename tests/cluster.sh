#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cluster.sh - throw-away database clusters for the cluster tests.
#
#   tests/cluster.sh start DIR   start everything inside DIR, write DIR/env.sh
#   tests/cluster.sh stop DIR    stop everything and remove DIR
#
# Starts, all on 127.0.0.1, without systemd and without touching /etc:
#   - a three-node MariaDB Galera cluster (galera-4, rsync SST): node 1
#     bootstraps the cluster, nodes 2 and 3 join it;
#   - a PostgreSQL primary with one streaming-replication standby;
#   - PgBouncer in transaction pooling mode in front of that primary.
# Works as root (CI) and as a normal user. After `start`:
#
#   . DIR/env.sh
#
# exports UPGRADE_TEST_GALERA1..3 (ODBC connection strings, one per node),
# UPGRADE_TEST_GALERA_ADMIN1..3 (mariadb client as root on each node),
# UPGRADE_TEST_PG_PRIMARY, UPGRADE_TEST_PG_STANDBY, UPGRADE_TEST_PGBOUNCER
# (ODBC connection strings), UPGRADE_TEST_PG_PRIMARY_ADMIN,
# UPGRADE_TEST_PG_STANDBY_ADMIN (psql as superuser), the ports, and
# UPGRADE_TEST_CLUSTER_DIR. The database, user and password are those of
# tests/testdb.sh, so ODBCSYSINI from its env.sh serves both.
set -euo pipefail

readonly DB=upgrade_test
readonly DBUSER=upgrade
readonly DBPASS='s3cr;et=pw'
# The longest socket path below DIR is galera/n1/mysqld.sock; sun_path holds
# only 108 bytes.
readonly MAX_DIR_LEN=80
readonly GALERA_NODES=3

PROG=${0##*/}
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
usage() { echo "usage: $PROG start|stop DIR" >&2; exit 2; }
shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
is_root() { [ "$(id -u)" = 0 ]; }
port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
random_port() { echo $((20000 + RANDOM % 12768)); }

# Sets PORT to a free port that is not in $TAKEN_PORTS and adds it there
# (not a $(...) function: the list must survive). Ports are only checked,
# not reserved: a server that then fails to bind is reported by its start.
TAKEN_PORTS=""
PORT=""
pick_port() {
    local p i
    for i in $(seq 1 50); do
        p=$(random_port)
        if [[ " $TAKEN_PORTS " != *" $p "* ]] && ! port_busy "$p"; then
            TAKEN_PORTS="$TAKEN_PORTS $p"
            PORT=$p
            return 0
        fi
        : "$i"
    done
    die "no free TCP port found on 127.0.0.1"
}

find_pgbin() {
    local d
    for d in /usr/lib/postgresql/15/bin $(printf "%s\n" /usr/lib/postgresql/*/bin | sort -Vr); do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

multiarch() {
    gcc -print-multiarch 2>/dev/null ||
        dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
        echo "$(uname -m)-linux-gnu"
}

# PostgreSQL and PgBouncer both refuse to run as root.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

wait_gone() {  # pid, seconds
    local i
    for i in $(seq 1 $(($2 * 20))); do
        alive "$1" || return 0
        sleep 0.05
        : "$i"
    done
    return 1
}

# ---------------------------------------------------------------------------
# stop
# ---------------------------------------------------------------------------

# pg_ctl stop as the data directory's owner, then signals if that failed.
stop_pg() {  # datadir
    local data=$1 pid pgbin owner
    [ -f "$data/postmaster.pid" ] || return 0
    pid=$(head -1 "$data/postmaster.pid")
    alive "$pid" || return 0
    pgbin=$(find_pgbin) || pgbin=""
    owner=$(stat -c %U "$data")
    if [ -n "$pgbin" ]; then
        if is_root && [ "$owner" != root ]; then
            runuser -u "$owner" -- "$pgbin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        else
            "$pgbin/pg_ctl" -D "$data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
    fi
    if alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || return 1
    fi
    log "postgres $data (pid $pid) stopped"
}

cmd_stop() {
    local dir=$1 rc=0 pid f pids=()
    [ -d "$dir" ] || { log "$dir does not exist; nothing to stop"; return 0; }
    [ -f "$dir/.upgrade-cluster" ] || die "$dir was not made by '$PROG start'; not touching it"

    # All Galera nodes at once: each shutdown takes a second or more, and
    # the data is thrown away, so there is no point in an orderly leave.
    for f in "$dir"/galera/n*/launcher.pid "$dir/bouncer/pgbouncer.pid"; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        if alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    # rsync daemons of an SST still in progress.
    for f in "$dir"/galera/n*/data/rsync_sst.pid; do
        if [ -f "$f" ]; then kill -KILL "$(cat "$f")" 2>/dev/null || true; fi
    done
    stop_pg "$dir/pgs/data" || rc=1
    stop_pg "$dir/pg/data" || rc=1
    for pid in "${pids[@]}"; do
        wait_gone "$pid" 10 || { rc=1; log "pid $pid did not go away"; }
    done
    [ ${#pids[@]} -eq 0 ] || log "galera nodes and pgbouncer stopped (pids ${pids[*]})"
    rm -rf "$dir"
    return $rc
}

# ---------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------

DIR=""
TIMES=()

start_failed() {
    local rc=$?
    [ $rc -eq 0 ] && return 0
    log "start FAILED (exit $rc); logs are kept in $DIR; stopping what was started"
    # Keep the logs: stop the processes but not the directory.
    ( cmd_stop_keep ) || true
    log "remove it with: $0 stop $DIR"
    exit $rc
}

cmd_stop_keep() {
    local f pid
    for f in "$DIR"/galera/n*/launcher.pid "$DIR/bouncer/pgbouncer.pid" \
        "$DIR"/galera/n*/data/rsync_sst.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        alive "$pid" && kill -KILL "$pid" 2>/dev/null
    done
    stop_pg "$DIR/pgs/data"
    stop_pg "$DIR/pg/data"
}

# ---- Galera ----

GPORT=()   # SQL port per node
GREPL=()   # group communication (gcomm) port
GIST=()    # incremental state transfer port
GSST=()    # state snapshot transfer (rsync daemon) port

galera_sock() { echo "$DIR/galera/n$1/mysqld.sock"; }

# Each node gets a defaults file instead of --no-defaults: the SST scripts
# read the node's settings through my_print_defaults with the same file.
galera_config() {  # node
    local n=$1 d=$DIR/galera/n$1 addr="" i
    for i in $(seq 1 $GALERA_NODES); do
        addr="$addr${addr:+,}127.0.0.1:${GREPL[$i]}"
    done
    {
        echo "[mariadbd]"
        # As root, the nodes run as mysql: the joiner's rsync daemon, when
        # started by root, writes as nobody and the SST fails.
        is_root && echo "user=mysql"
        cat <<EOF
datadir=$d/data
socket=$d/mysqld.sock
port=${GPORT[$n]}
bind-address=127.0.0.1
pid-file=$d/mariadbd.pid
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb-flush-log-at-trx-commit=2
innodb-buffer-pool-size=32M
innodb-log-file-size=16M
binlog-format=ROW
default-storage-engine=InnoDB
innodb-autoinc-lock-mode=2
wsrep-on=ON
wsrep-provider=$GALERA_LIB
wsrep-cluster-name=upgrade_test
wsrep-cluster-address=gcomm://$addr
wsrep-node-name=n$n
wsrep-node-address=127.0.0.1:${GREPL[$n]}
wsrep-node-incoming-address=127.0.0.1:${GPORT[$n]}
wsrep-sst-method=rsync
wsrep-sst-receive-address=127.0.0.1:${GSST[$n]}
wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${GREPL[$n]};ist.recv_addr=127.0.0.1:${GIST[$n]};gcache.size=16M;gcache.page_size=16M;evs.inactive_timeout=PT5S;evs.suspect_timeout=PT3S
EOF
    } >"$d/my.cnf"
}

galera_launch() {  # node [extra mariadbd options]
    local n=$1 d=$DIR/galera/n$1
    shift
    # No log-error: the server logs to stderr, into a file of ours that
    # mysql need not be able to open.
    "$MARIADBD" --defaults-file="$d/my.cnf" "$@" >"$d/server.log" 2>&1 </dev/null &
    echo $! >"$d/launcher.pid"
}

galera_admin() {  # node, then mariadb client options
    local n=$1
    shift
    mariadb --no-defaults --socket="$(galera_sock "$n")" -uroot "$@"
}

galera_status() {  # node variable
    galera_admin "$1" -N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{ print $2 }'
}

# Waits until node $1 is a synced member of a cluster of $2 nodes.
galera_wait() {  # node size seconds
    local n=$1 size=$2 i pid
    pid=$(cat "$DIR/galera/n$n/launcher.pid")
    for i in $(seq 1 $(($3 * 10))); do
        if [ "$(galera_status "$n" wsrep_local_state_comment)" = Synced ] &&
            [ "$(galera_status "$n" wsrep_cluster_size)" -ge "$size" ] 2>/dev/null; then
            return 0
        fi
        alive "$pid" || { cat "$DIR/galera/n$n/server.log" >&2; die "galera node $n exited during start"; }
        sleep 0.1
        : "$i"
    done
    cat "$DIR/galera/n$n/server.log" >&2
    die "galera node $n is not synced in a cluster of $size after $3 s"
}

start_galera() {
    local t0 t1 n
    local -a user_opt=()
    GALERA_LIB=/usr/lib/galera/libgalera_smm.so
    [ -f "$GALERA_LIB" ] || die "$GALERA_LIB not found (run tests/deps.sh, or apt-get install galera-4)"
    command -v rsync >/dev/null || die "rsync not found: Galera's SST needs it (apt-get install rsync)"
    command -v wsrep_sst_rsync >/dev/null || die "wsrep_sst_rsync not found (apt-get install mariadb-server)"
    for n in $(seq 1 $GALERA_NODES); do
        mkdir -p "$DIR/galera/n$n"
        pick_port; GPORT[n]=$PORT
        pick_port; GREPL[n]=$PORT
        pick_port; GIST[n]=$PORT
        pick_port; GSST[n]=$PORT
    done
    for n in $(seq 1 $GALERA_NODES); do galera_config "$n"; done
    if is_root; then
        id mysql >/dev/null 2>&1 || die "running as root but there is no 'mysql' user (apt-get install mariadb-server)"
        user_opt=(--user=mysql)
        chown -R mysql:mysql "$DIR/galera"
    fi

    t0=$(now)
    # Only node 1 is initialised; the others receive its data by SST. (A
    # copy of its data directory with a made-up grastate.dat does not
    # spare the SST: bootstrapping advances the seqno past the copies'.)
    mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$DIR/galera/n1/data" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >"$DIR/galera/n1/install.log" 2>&1 ||
        { cat "$DIR/galera/n1/install.log" >&2; die "mariadb-install-db failed"; }
    TIMES+=("galera install-db $(since "$t0") s")
    t1=$(now)
    galera_launch 1 --wsrep-new-cluster
    galera_wait 1 1 60
    TIMES+=("galera bootstrap node 1 $(since "$t1") s")
    # Users and the database go in before the joiners copy the data.
    galera_admin 1 <<SQL || die "Galera: creating user and database failed"
CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$DBUSER'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
CREATE USER '$DBUSER'@'localhost' IDENTIFIED BY '$DBPASS';
GRANT ALL PRIVILEGES ON *.* TO '$DBUSER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '$DBUSER'@'localhost';
SQL
    t1=$(now)
    # One joiner at a time: started together, they spend seconds agreeing
    # on a view and then wait for the donor, which serves one SST at a time.
    for n in $(seq 2 $GALERA_NODES); do
        mkdir -p "$DIR/galera/n$n/data"
        is_root && chown mysql:mysql "$DIR/galera/n$n/data"
        galera_launch "$n"
        galera_wait "$n" "$n" 120
    done
    galera_wait 1 $GALERA_NODES 30
    TIMES+=("galera join nodes 2-$GALERA_NODES (rsync SST) $(since "$t1") s")
    log "galera ready: $GALERA_NODES nodes on 127.0.0.1 ports ${GPORT[*]}: total $(since "$t0") s"
}

# ---- PostgreSQL primary, standby, PgBouncer ----

pg_ctl_start() {  # datadir port socketdir
    as_pg "$PGBIN/pg_ctl" -D "$1" -l "$3/server.log" -w -t 60 \
        -o "-p $2 -c listen_addresses=127.0.0.1 -k $3 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$3/pg_ctl.log" 2>&1 || { cat "$3/pg_ctl.log" "$3/server.log" >&2; die "PostgreSQL $1 did not start (port $2)"; }
}

start_pg() {
    local t0 t1 i streaming
    PGBIN=$(find_pgbin) || die "PostgreSQL server not found (run tests/deps.sh, or apt-get install postgresql-15)"
    mkdir -p "$DIR/pg" "$DIR/pgs"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user (apt-get install postgresql-15)"
        chown postgres:postgres "$DIR/pg" "$DIR/pgs"
    fi
    pick_port; PG_PORT=$PORT
    pick_port; PGS_PORT=$PORT
    t0=$(now)
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/pg/pwfile"
    is_root && chown postgres:postgres "$DIR/pg/pwfile"
    # initdb's pg_hba.conf trusts local replication connections too, which
    # pg_basebackup uses below.
    as_pg "$PGBIN/initdb" -D "$DIR/pg/data" -U postgres --pwfile="$DIR/pg/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$DIR/pg/initdb.log" 2>&1 || { cat "$DIR/pg/initdb.log" >&2; die "PostgreSQL initdb failed"; }
    rm -f "$DIR/pg/pwfile"
    TIMES+=("pg initdb $(since "$t0") s")
    t1=$(now)
    pg_ctl_start "$DIR/pg/data" "$PG_PORT" "$DIR/pg"
    as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/pg" -p "$PG_PORT" -U postgres -d postgres \
        -c "CREATE ROLE $DBUSER LOGIN CREATEDB PASSWORD '$DBPASS'" \
        -c "CREATE DATABASE $DB OWNER $DBUSER ENCODING 'UTF8'" >&2 ||
        die "PostgreSQL: creating user and database failed"
    TIMES+=("pg primary start $(since "$t1") s")

    t1=$(now)
    # -R writes primary_conninfo and standby.signal: the copy starts as a
    # streaming standby of the primary.
    as_pg "$PGBIN/pg_basebackup" -h "$DIR/pg" -p "$PG_PORT" -U postgres -D "$DIR/pgs/data" \
        -R -X stream -c fast >"$DIR/pgs/basebackup.log" 2>&1 ||
        { cat "$DIR/pgs/basebackup.log" >&2; die "pg_basebackup failed"; }
    pg_ctl_start "$DIR/pgs/data" "$PGS_PORT" "$DIR/pgs"
    for i in $(seq 1 300); do
        streaming=$(as_pg "$PGBIN/psql" -X -A -t -h "$DIR/pg" -p "$PG_PORT" -U postgres -d postgres \
            -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null || true)
        [ "$streaming" = 1 ] && break
        sleep 0.05
        : "$i"
    done
    [ "$streaming" = 1 ] || { cat "$DIR/pgs/server.log" >&2; die "the standby is not streaming"; }
    TIMES+=("pg standby basebackup+start+streaming $(since "$t1") s")
    log "postgres primary on 127.0.0.1:$PG_PORT, streaming standby on 127.0.0.1:$PGS_PORT: total $(since "$t0") s"
}

start_pgbouncer() {
    local t0 i b=$DIR/bouncer
    PGBOUNCER=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
    [ -x "$PGBOUNCER" ] || die "pgbouncer not found (run tests/deps.sh, or apt-get install pgbouncer)"
    t0=$(now)
    mkdir -p "$b"
    pick_port; BOUNCER_PORT=$PORT
    # To the server PgBouncer logs in over the primary's trusted unix
    # socket; clients log in to it with SCRAM against the plain password.
    # A small pool makes the clients share server connections, which is
    # what transaction pooling is about.
    cat >"$b/pgbouncer.ini" <<EOF
[databases]
$DB = host=$DIR/pg port=$PG_PORT dbname=$DB

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $b/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = $b/pgbouncer.log
pidfile = $b/pgbouncer.pid
EOF
    printf '"%s" "%s"\n' "$DBUSER" "$DBPASS" >"$b/userlist.txt"
    is_root && chown -R postgres:postgres "$b"
    chmod 600 "$b/userlist.txt"
    as_pg "$PGBOUNCER" -d "$b/pgbouncer.ini" >"$b/stdout.log" 2>&1 ||
        { cat "$b/stdout.log" "$b/pgbouncer.log" >&2; die "pgbouncer did not start (port $BOUNCER_PORT)"; }
    for i in $(seq 1 100); do
        port_busy "$BOUNCER_PORT" && break
        sleep 0.05
        : "$i"
    done
    port_busy "$BOUNCER_PORT" || { cat "$b/pgbouncer.log" >&2; die "pgbouncer does not listen on $BOUNCER_PORT"; }
    TIMES+=("pgbouncer $(since "$t0") s")
    log "pgbouncer (transaction pooling) on 127.0.0.1:$BOUNCER_PORT, pid $(cat "$b/pgbouncer.pid")"
}

cmd_start() {
    local t0 odbcdir so conn n
    local pg_conn pgs_conn bouncer_conn
    local -a galera_conn=()
    DIR=$1
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    [ ${#DIR} -le $MAX_DIR_LEN ] || die "DIR is too long for unix sockets (${#DIR} > $MAX_DIR_LEN bytes): $DIR"
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty; give a new or empty directory"
    touch "$DIR/.upgrade-cluster"
    trap start_failed EXIT
    t0=$(now)

    MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
    [ -x "$MARIADBD" ] || die "mariadbd not found (run tests/deps.sh, or apt-get install mariadb-server)"
    odbcdir=/usr/lib/$(multiarch)/odbc
    for so in psqlodbcw.so libmaodbc.so; do
        [ -e "$odbcdir/$so" ] || die "$odbcdir/$so missing (apt-get install odbc-postgresql odbc-mariadb)"
    done
    chmod 755 "$DIR"
    cd "$DIR"
    mkdir -p odbc

    start_galera
    start_pg
    start_pgbouncer

    # psqlODBC's CommLog=1 in Debian's /etc/odbcinst.ini would log every
    # connection to /tmp; our own ini keeps it off, as in testdb.sh.
    cat >odbc/odbcinst.ini <<EOF
[PostgreSQL Unicode]
Driver=$odbcdir/psqlodbcw.so

[MariaDB Unicode]
Driver=$odbcdir/libmaodbc.so
EOF
    : >odbc/odbc.ini

    for n in $(seq 1 $GALERA_NODES); do
        galera_conn[n]="DRIVER=$odbcdir/libmaodbc.so;Server=127.0.0.1;Port=${GPORT[$n]};Database=$DB;Uid=$DBUSER;Pwd={$DBPASS}"
    done
    pg_conn="DRIVER=$odbcdir/psqlodbcw.so;Server=127.0.0.1;Port=$PG_PORT;Database=$DB;Uid=$DBUSER;Pwd={$DBPASS}"
    pgs_conn="DRIVER=$odbcdir/psqlodbcw.so;Server=127.0.0.1;Port=$PGS_PORT;Database=$DB;Uid=$DBUSER;Pwd={$DBPASS}"
    bouncer_conn="DRIVER=$odbcdir/psqlodbcw.so;Server=127.0.0.1;Port=$BOUNCER_PORT;Database=$DB;Uid=$DBUSER;Pwd={$DBPASS}"

    if command -v isql >/dev/null; then
        for conn in "${galera_conn[@]}" "$pg_conn" "$pgs_conn" "$bouncer_conn"; do
            echo 'select 1;' | ODBCSYSINI=$DIR/odbc ODBCINI=$DIR/odbc/odbc.ini isql -b -k "$conn" >/dev/null 2>odbc/isql.err ||
                { cat odbc/isql.err >&2; die "ODBC login failed: ${conn%%;Pwd=*}"; }
        done
        rm -f odbc/isql.err
    fi

    {
        echo "# written by tests/cluster.sh; stop with: tests/cluster.sh stop $DIR"
        echo "export UPGRADE_TEST_CLUSTER_DIR=$(shquote "$DIR")"
        for n in $(seq 1 $GALERA_NODES); do
            echo "export UPGRADE_TEST_GALERA$n=$(shquote "${galera_conn[$n]}")"
            echo "export UPGRADE_TEST_GALERA${n}_PORT=${GPORT[$n]}"
            echo "export UPGRADE_TEST_GALERA_ADMIN$n=$(shquote "mariadb --no-defaults --socket=$(galera_sock "$n") -uroot --database=$DB")"
        done
        echo "export UPGRADE_TEST_PG_PRIMARY=$(shquote "$pg_conn")"
        echo "export UPGRADE_TEST_PG_PRIMARY_PORT=$PG_PORT"
        echo "export UPGRADE_TEST_PG_PRIMARY_ADMIN=$(shquote "$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $DIR/pg -p $PG_PORT -U postgres -d $DB")"
        echo "export UPGRADE_TEST_PG_STANDBY=$(shquote "$pgs_conn")"
        echo "export UPGRADE_TEST_PG_STANDBY_PORT=$PGS_PORT"
        echo "export UPGRADE_TEST_PG_STANDBY_ADMIN=$(shquote "$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $DIR/pgs -p $PGS_PORT -U postgres -d $DB")"
        echo "export UPGRADE_TEST_PGBOUNCER=$(shquote "$bouncer_conn")"
        echo "export UPGRADE_TEST_PGBOUNCER_PORT=$BOUNCER_PORT"
        echo "export UPGRADE_TEST_CLUSTER_PASSWORD=$(shquote "$DBPASS")"
        # Only when testdb.sh's env.sh has not set them already.
        echo ": \"\${ODBCSYSINI:=$DIR/odbc}\" \"\${ODBCINI:=$DIR/odbc/odbc.ini}\""
        echo "export ODBCSYSINI ODBCINI"
    } >env.sh

    trap - EXIT
    TIMES+=("total $(since "$t0") s")
    local t
    for t in "${TIMES[@]}"; do log "time: $t"; done
    log "env written to $DIR/env.sh (source it); stop with: $0 stop $DIR"
}

[ $# -eq 2 ] || usage
case $1 in
    start) cmd_start "$2" ;;
    stop) cmd_stop "$2" ;;
    *) usage ;;
esac
