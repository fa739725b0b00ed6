#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh - install the Debian packages needed to build and test upgrade.
#
#   tests/deps.sh [all]   everything: build, test servers, valgrind, clang,
#                         Debian packaging tools (the default)
#   tests/deps.sh build   only what building and the SQLite demo need
#
# Asks apt only when something is missing, so a second run is quick.
# Runs as root, or through sudo for a normal user.
set -euo pipefail

PROG=${0##*/}
log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

BUILD_PKGS=(
    build-essential autoconf automake libtool autoconf-archive pkg-config
    unixodbc unixodbc-dev odbcinst libsqliteodbc
    libcunit1-dev libxml2-dev libxml2-utils libjson-c-dev nettle-dev mandoc groff-base
    sqlite3 git bash-completion
)
# The full test run also talks to PostgreSQL and MariaDB (their drivers and
# servers; galera-4, rsync for its state transfers and pgbouncer for the
# clusters of tests/cluster.sh), checks memory with valgrind and the
# sanitizers (clang runtime), compares the library's ABI with the committed
# baseline (abigail-tools), validates the JSON output against its schema
# (python3-jsonschema), and builds the Debian package.
TEST_PKGS=(
    odbc-postgresql odbc-mariadb tdsodbc
    postgresql-15 mariadb-server galera-4 rsync pgbouncer
    valgrind clang libclang-rt-14-dev
    abigail-tools zsh python3-jsonschema
    dpkg-dev debhelper devscripts lintian fakeroot
)

case ${1:-all} in
    build) PKGS=("${BUILD_PKGS[@]}") ;;
    all) PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
    *) echo "usage: $PROG [all|build]" >&2; exit 2 ;;
esac

command -v dpkg-query >/dev/null || die "dpkg-query not found: this script supports Debian (12) and derivatives only"

# One dpkg-query call for all packages keeps the no-op run fast; names it has
# never heard of are simply absent from its output.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null |
    awk '$2 == "installed" { print $1 }' || true)
missing=()
for p in "${PKGS[@]}"; do
    grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#PKGS[@]} packages present"
    exit 0
fi
log "missing: ${missing[*]}"

if [ "$(id -u)" = 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null; then
    # Without a terminal nobody can type a password, so fail instead of hanging.
    if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi
else
    die "installing packages needs root: run as root, or install sudo, or install by hand: apt-get install ${missing[*]}"
fi

# apt's progress output runs to thousands of lines; keep it in a file and
# show it only when something goes wrong.
aptlog=$(mktemp /tmp/deps-apt.XXXXXX)
apt() {
    # sudo drops most of the environment, hence env for DEBIAN_FRONTEND.
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "$@" </dev/null >>"$aptlog" 2>&1; then
        tail -n 60 "$aptlog" >&2
        die "apt-get $1 failed (full output: $aptlog)"
    fi
}
# Package lists may be absent or stale on a fresh machine; one update suffices.
log "apt-get update"
apt update
log "apt-get install ${missing[*]}"
# confdef/confold: never stop at a config-file question (there is no stdin).
apt install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
rm -f "$aptlog"
log "installed ${#missing[@]} packages"
