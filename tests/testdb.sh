#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# testdb.sh - throw-away PostgreSQL and MariaDB servers for the test suite.
#
#   tests/testdb.sh start DIR   start both servers inside DIR, write DIR/env.sh
#   tests/testdb.sh stop DIR    stop both servers and remove DIR
#
# Both servers listen on 127.0.0.1 only and need neither systemd nor any
# change to /etc. Works as root (CI) and as a normal user. After `start`:
#
#   . DIR/env.sh
#
# exports UPGRADE_TEST_PG, UPGRADE_TEST_MARIADB (DSN-less ODBC connection
# strings), UPGRADE_TEST_PG_PORT, UPGRADE_TEST_MARIADB_PORT,
# UPGRADE_TEST_PASSWORD, UPGRADE_TEST_DOWN_PORT, UPGRADE_TEST_PG_ADMIN,
# UPGRADE_TEST_MARIADB_ADMIN, UPGRADE_TEST_DIR, ODBCSYSINI and ODBCINI.
#
# Knobs (environment, optional): UPGRADE_TEST_PG_PORT / UPGRADE_TEST_MARIADB_PORT
# choose the preferred ports (defaults 54321 / 33061); a busy port is replaced
# by a free one, so several instances can run side by side.
set -euo pipefail

readonly DB=upgrade_test
readonly DBUSER=upgrade
# Contains ';' and '=' on purpose: connection strings must brace it and the
# tests check that braced passwords are redacted from messages.
readonly DBPASS='s3cr;et=pw'
# Both server sockets live below DIR and sun_path holds only 108 bytes.
readonly MAX_DIR_LEN=80

PROG=${0##*/}
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
usage() { echo "usage: $PROG start|stop DIR" >&2; exit 2; }

# Single-quote a value for env.sh so that ';', '{' and spaces survive sourcing.
shquote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

is_root() { [ "$(id -u)" = 0 ]; }

# A connect that succeeds means something listens there already.
port_busy() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Ports 20000-32767 stay below Linux's ephemeral range (32768+), so outgoing
# connections of other programs do not grab them between our check and bind.
random_port() { echo $((20000 + RANDOM % 12768)); }

# $1: preferred port; prints it or, if busy or in $TAKEN_PORTS, a free one.
pick_port() {
    local p=$1 i
    for i in $(seq 1 50); do
        if ! port_busy "$p" && [[ " ${TAKEN_PORTS:-} " != *" $p "* ]]; then
            echo "$p"
            return 0
        fi
        p=$(random_port)
        : "$i"
    done
    die "no free TCP port found on 127.0.0.1"
}

# For "server is down" tests. Ports below 1024 can only be bound by root, and
# this script never binds one, so a concurrent instance cannot take it later.
pick_down_port() {
    local p i
    for i in $(seq 1 50); do
        p=$((700 + RANDOM % 300))
        port_busy "$p" || { echo "$p"; return 0; }
        : "$i"
    done
    die "no unused low TCP port found on 127.0.0.1"
}

find_pgbin() {
    local d
    # Prefer 15 (what CI installs) but accept any installed major version.
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

# Runs a command as the owner of the PostgreSQL data directory: postgres
# refuses to run as root.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# ---------------------------------------------------------------------------
# stop
# ---------------------------------------------------------------------------

# A server we started in an earlier invocation is no child of ours; once it
# exits it stays a zombie until PID 1 reaps it, which in some containers
# takes seconds. kill -0 succeeds on zombies, so look at the state as well.
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

cmd_stop() {
    local dir=$1 rc=0 pid mpid="" pgbin owner
    [ -d "$dir" ] || { log "$dir does not exist; nothing to stop"; return 0; }
    # Refuse to rm -rf something this script did not create.
    [ -f "$dir/.upgrade-testdb" ] || die "$dir was not made by '$PROG start'; not touching it"

    # MariaDB first and without waiting: its shutdown is the slow one, so it
    # overlaps with PostgreSQL's.
    if [ -f "$dir/mariadb/mariadbd.pid" ]; then
        mpid=$(cat "$dir/mariadb/mariadbd.pid")
    elif [ -f "$dir/mariadb/launcher.pid" ]; then
        mpid=$(cat "$dir/mariadb/launcher.pid")
    fi
    if [ -n "$mpid" ] && alive "$mpid"; then
        kill -TERM "$mpid" 2>/dev/null || true
    else
        mpid=""
    fi

    if [ -f "$dir/pg/data/postmaster.pid" ]; then
        pid=$(head -1 "$dir/pg/data/postmaster.pid")
        if alive "$pid"; then
            pgbin=$(find_pgbin) || pgbin=""
            owner=$(stat -c %U "$dir/pg/data")
            if [ -n "$pgbin" ]; then
                if is_root && [ "$owner" != root ]; then
                    runuser -u "$owner" -- "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
                else
                    "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
                fi
            fi
            if alive "$pid"; then
                kill -TERM "$pid" 2>/dev/null || true
                wait_gone "$pid" 10 || { kill -KILL "$pid" 2>/dev/null || true; rc=1; log "postgres (pid $pid) had to be killed"; }
            fi
            log "postgres (pid $pid) stopped"
        fi
    fi

    if [ -n "$mpid" ]; then
        wait_gone "$mpid" 30 || { kill -KILL "$mpid" 2>/dev/null || true; rc=1; log "mariadbd (pid $mpid) had to be killed"; }
        log "mariadbd (pid $mpid) stopped"
    fi

    rm -rf "$dir"
    return $rc
}

# ---------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------

DIR=""
PG_STARTED=""
MARIADB_PID=""

# On any failure after servers came up, take them down again so a failed
# start leaves no daemons behind; DIR stays for its logs.
start_failed() {
    local rc=$?
    [ $rc -eq 0 ] && return 0
    if [ -n "$PG_STARTED" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "$MARIADB_PID" ] && kill -0 "$MARIADB_PID" 2>/dev/null; then
        kill -KILL "$MARIADB_PID" 2>/dev/null || true
    fi
    log "start FAILED (exit $rc); logs are kept in $DIR; remove it with: $0 stop $DIR"
    exit $rc
}

start_pg() {
    local port=$1
    as_pg "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$DIR/pg/pg_ctl.log" 2>&1
}

start_mariadb() {
    local port=$1 i
    local -a user_opt=()
    # mariadbd aborts when run as root unless told that this is intended.
    is_root && user_opt=(--user=root)
    : >"$DIR/mariadb/error.log"
    # --no-defaults keeps /etc/mysql out, which also drops Debian's utf8mb4
    # default (the compiled-in one is latin1), hence the charset options.
    # Durability settings are relaxed because the data is thrown away.
    "$MARIADBD" --no-defaults "${user_opt[@]}" \
        --datadir="$DIR/mariadb/data" --socket="$MYSOCK" --port="$port" \
        --bind-address=127.0.0.1 --pid-file="$DIR/mariadb/mariadbd.pid" \
        --log-error="$DIR/mariadb/error.log" --skip-name-resolve \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
        --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=64M \
        --innodb-fast-shutdown=3 \
        >"$DIR/mariadb/stdout.log" 2>&1 </dev/null &
    MARIADB_PID=$!
    echo "$MARIADB_PID" >"$DIR/mariadb/launcher.pid"
    for i in $(seq 1 600); do
        mariadb-admin --no-defaults --socket="$MYSOCK" -uroot ping >/dev/null 2>&1 && return 0
        kill -0 "$MARIADB_PID" 2>/dev/null || { MARIADB_PID=""; return 1; }
        sleep 0.05
        : "$i"
    done
    return 1
}

# Two instances may pick the same free port at the same moment; the loser
# sees "Address already in use" and retries on another port.
bind_failed() { grep -q 'Address already in use' "$1" 2>/dev/null; }

cmd_start() {
    local t0 t1 can_write tries odbcdir so conn pg_conn maria_conn
    DIR=$1
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    [ ${#DIR} -le $MAX_DIR_LEN ] || die "DIR is too long for unix sockets (${#DIR} > $MAX_DIR_LEN bytes): $DIR"
    [ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty; give a new or empty directory"
    touch "$DIR/.upgrade-testdb"
    trap start_failed EXIT

    PGBIN=$(find_pgbin) || die "PostgreSQL server not found (run tests/deps.sh, or apt-get install postgresql-15)"
    MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
    [ -x "$MARIADBD" ] || die "mariadbd not found (run tests/deps.sh, or apt-get install mariadb-server)"
    command -v mariadb-install-db >/dev/null || die "mariadb-install-db not found (apt-get install mariadb-server)"
    command -v mariadb-admin >/dev/null || die "mariadb-admin not found (apt-get install mariadb-server)"
    odbcdir=/usr/lib/$(multiarch)/odbc
    for so in psqlodbcw.so libmaodbc.so libsqlite3odbc.so; do
        [ -e "$odbcdir/$so" ] || die "$odbcdir/$so missing (apt-get install odbc-postgresql odbc-mariadb libsqliteodbc)"
    done

    # mktemp makes 0700 directories; the postgres user must traverse DIR.
    chmod 755 "$DIR"
    # runuser keeps the cwd, and postgres complains when it cannot read it.
    cd "$DIR"
    mkdir -p pg mariadb sqlite odbc
    if is_root; then
        id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user (apt-get install postgresql-15)"
        chown postgres:postgres pg
        can_write=$(runuser -u postgres -- sh -c "test -w '$DIR/pg' && echo yes" 2>/dev/null || true)
        [ "$can_write" = yes ] || die "user postgres cannot write $DIR/pg: a parent directory is not world-traversable; use a DIR under /tmp"
    fi

    local pg_port maria_port down_port
    TAKEN_PORTS=""
    pg_port=$(pick_port "${UPGRADE_TEST_PG_PORT:-54321}")
    TAKEN_PORTS="$pg_port"
    maria_port=$(pick_port "${UPGRADE_TEST_MARIADB_PORT:-33061}")
    TAKEN_PORTS="$pg_port $maria_port"

    # ---- PostgreSQL ----
    t0=$(now)
    # Password auth over TCP needs a superuser password at initdb time; tests
    # use the trusted unix socket for admin work, so it is random and unused.
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >pg/pwfile
    is_root && chown postgres:postgres pg/pwfile
    as_pg "$PGBIN/initdb" -D "$DIR/pg/data" -U postgres --pwfile="$DIR/pg/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >pg/initdb.log 2>&1 || { cat pg/initdb.log >&2; die "PostgreSQL initdb failed"; }
    rm -f pg/pwfile
    t1=$(now)
    tries=0
    until start_pg "$pg_port"; do
        tries=$((tries + 1))
        if bind_failed "$DIR/pg/server.log" && [ $tries -lt 5 ]; then
            log "port $pg_port taken meanwhile; retrying on another"
            pg_port=$(pick_port "$(random_port)")
            continue
        fi
        cat pg/pg_ctl.log pg/server.log >&2 || true
        die "PostgreSQL did not start (port $pg_port)"
    done
    PG_STARTED=1
    as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/pg" -p "$pg_port" -U postgres -d postgres \
        -c "CREATE ROLE $DBUSER LOGIN CREATEDB PASSWORD '$DBPASS'" \
        -c "CREATE DATABASE $DB OWNER $DBUSER ENCODING 'UTF8'" >&2 ||
        die "PostgreSQL: creating user and database failed"
    log "postgres ready on 127.0.0.1:$pg_port (pid $(head -1 pg/data/postmaster.pid)): total $(since "$t0") s, server start $(since "$t1") s"

    # ---- MariaDB ----
    t0=$(now)
    local -a user_opt=()
    is_root && user_opt=(--user=root)
    MYSOCK=$DIR/mariadb/mysqld.sock
    mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$DIR/mariadb/data" \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        >mariadb/install.log 2>&1 || { cat mariadb/install.log >&2; die "mariadb-install-db failed"; }
    t1=$(now)
    tries=0
    until start_mariadb "$maria_port"; do
        tries=$((tries + 1))
        if bind_failed "$DIR/mariadb/error.log" && [ $tries -lt 5 ]; then
            log "port $maria_port taken meanwhile; retrying on another"
            maria_port=$(pick_port "$(random_port)")
            continue
        fi
        cat mariadb/error.log mariadb/stdout.log >&2 || true
        die "MariaDB did not start (port $maria_port)"
    done
    mariadb --no-defaults --socket="$MYSOCK" -uroot <<SQL || die "MariaDB: creating user and database failed"
CREATE DATABASE \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$DBUSER'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
CREATE USER '$DBUSER'@'localhost' IDENTIFIED BY '$DBPASS';
GRANT ALL PRIVILEGES ON *.* TO '$DBUSER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO '$DBUSER'@'localhost';
SQL
    log "mariadb ready on 127.0.0.1:$maria_port (pid $MARIADB_PID): total $(since "$t0") s, server start $(since "$t1") s"

    down_port=$(pick_down_port)

    # ---- ODBC configuration ----
    # Debian's /etc/odbcinst.ini sets CommLog=1 for psqlODBC, which then
    # writes a log file to /tmp for every connection; pointing ODBCSYSINI
    # here avoids that and keeps /etc out of the tests.
    cat >odbc/odbcinst.ini <<EOF
[SQLite3]
Description=SQLite3 ODBC Driver
Driver=$odbcdir/libsqlite3odbc.so

[PostgreSQL Unicode]
Description=PostgreSQL ODBC driver (Unicode version)
Driver=$odbcdir/psqlodbcw.so

[MariaDB Unicode]
Description=MariaDB Connector/ODBC (Unicode)
Driver=$odbcdir/libmaodbc.so
EOF
    # Key names differ per driver (Servername/Username for psqlODBC,
    # Server/User for MariaDB).
    cat >odbc/odbc.ini <<EOF
[upgrade_pg]
Driver=PostgreSQL Unicode
Servername=127.0.0.1
Port=$pg_port
Database=$DB
Username=$DBUSER
Password=$DBPASS

[upgrade_mariadb]
Driver=MariaDB Unicode
Server=127.0.0.1
Port=$maria_port
Database=$DB
User=$DBUSER
Password=$DBPASS

[upgrade_sqlite]
Driver=SQLite3
Database=$DIR/sqlite/test.db
Timeout=2000
EOF

    pg_conn="DRIVER=$odbcdir/psqlodbcw.so;Server=127.0.0.1;Port=$pg_port;Database=$DB;Uid=$DBUSER;Pwd={$DBPASS}"
    maria_conn="DRIVER=$odbcdir/libmaodbc.so;Server=127.0.0.1;Port=$maria_port;Database=$DB;Uid=$DBUSER;Pwd={$DBPASS}"

    # Servers answering their admin ping is not the same as the ODBC login
    # the tests use working; prove the latter once here.
    if command -v isql >/dev/null; then
        for conn in "$pg_conn" "$maria_conn"; do
            echo 'select 1;' | ODBCSYSINI=$DIR/odbc ODBCINI=$DIR/odbc/odbc.ini isql -b -k "$conn" >/dev/null 2>odbc/isql.err ||
                { cat odbc/isql.err >&2; die "ODBC login failed: ${conn%%;Pwd=*}"; }
        done
        rm -f odbc/isql.err
    fi

    {
        echo "# written by tests/testdb.sh; stop with: tests/testdb.sh stop $DIR"
        echo "export UPGRADE_TEST_DIR=$(shquote "$DIR")"
        echo "export UPGRADE_TEST_PG=$(shquote "$pg_conn")"
        echo "export UPGRADE_TEST_MARIADB=$(shquote "$maria_conn")"
        echo "export UPGRADE_TEST_PG_PORT=$pg_port"
        echo "export UPGRADE_TEST_MARIADB_PORT=$maria_port"
        echo "export UPGRADE_TEST_PASSWORD=$(shquote "$DBPASS")"
        echo "export UPGRADE_TEST_DOWN_PORT=$down_port"
        # Superuser over the trusted unix socket, connected to $DB; append
        # e.g. -c 'CREATE SCHEMA s' (psql) or -e 'CREATE DATABASE d' (mariadb).
        echo "export UPGRADE_TEST_PG_ADMIN=$(shquote "$PGBIN/psql -X -q -v ON_ERROR_STOP=1 -h $DIR/pg -p $pg_port -U postgres -d $DB")"
        echo "export UPGRADE_TEST_MARIADB_ADMIN=$(shquote "mariadb --no-defaults --socket=$MYSOCK -uroot --database=$DB")"
        echo "export ODBCSYSINI=$(shquote "$DIR/odbc")"
        echo "export ODBCINI=$(shquote "$DIR/odbc/odbc.ini")"
    } >env.sh

    trap - EXIT
    log "env written to $DIR/env.sh (source it); stop with: $0 stop $DIR"
}

[ $# -eq 2 ] || usage
case $1 in
    start) cmd_start "$2" ;;
    stop) cmd_stop "$2" ;;
    *) usage ;;
esac
