#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# check.sh - the complete test run, as CI does it, from a clean clone.
#
#   tests/check.sh [--quick] [--no-valgrind] [--no-distcheck]
#
# Phases: install packages (tests/deps.sh) -> autoreconf -> the README's
# demo (tests/demo.sh) -> build _build/sanitize (ASan + UBSan + -Werror)
# -> compare its ABI with abi/libupgrade.abi (tests/abi-check.sh) -> start
# PostgreSQL and MariaDB (tests/testdb.sh) and the clusters
# (tests/cluster.sh: Galera, a PostgreSQL standby, PgBouncer) -> make check
# -> build _build/plain -> make check-valgrind-unit (the CUnit programs
# under memcheck) -> the command under valgrind (UPGRADE_VALGRIND=1) -> make
# distcheck -> build the Debian packages and run lintian -> install them and
# run their autopkgtest (debian/tests; as root only) -> stop the servers.
#
#   --quick          sanitizer build, ABI check and `make check` only
#   --no-valgrind    skip `make check-valgrind-unit` and the command under valgrind
#   --no-distcheck   skip `make distcheck` (the plain build's shell tests then
#                    run in `make check-valgrind`)
#   --no-packages    skip building, linting, installing and testing the
#                    Debian packages
#
# A failing phase does not stop the later ones, so one run reports
# everything. The last line on stdout is `check: N passed, N failed`, summed
# over the test-suite*.log files of the test phases (FAIL + ERROR + XPASS
# count as failed); a phase that fails without a failing test in its logs (a
# build error, a distcheck packaging error) counts as one failure. The exit
# status is non-zero when anything failed. Timings go to stderr.
set -euo pipefail

QUICK=""
VALGRIND=1
DISTCHECK=1
PACKAGES=1
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        --no-valgrind) VALGRIND="" ;;
        --no-distcheck) DISTCHECK="" ;;
        --no-packages) PACKAGES="" ;;
        -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "check.sh: unknown option: $arg (try --help)" >&2; exit 2 ;;
    esac
done
if [ -n "$QUICK" ]; then VALGRIND=""; DISTCHECK=""; PACKAGES=""; fi

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

JOBS=2
PASSED=0
FAILED=0
DBDIR=""
CLUSTERDIR=""
TIMINGS=()

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[check] %s\n' "$*" >&2; }

# Prints the command, runs it and records its wall time under $1.
# Returns the command's status.
phase() {
    local name=$1 t0 rc=0
    shift
    say "== $name: $*"
    t0=$(now)
    "$@" || rc=$?
    TIMINGS+=("$(printf '%-20s %7s s  %s' "$name" "$(since "$t0")" "$([ $rc -eq 0 ] && echo ok || echo "FAILED ($rc)")")")
    say "== $name: $(since "$t0") s, exit $rc"
    return $rc
}

cleanup() {
    local rc=$?
    if [ -n "$CLUSTERDIR" ]; then
        tests/cluster.sh stop "$CLUSTERDIR" || say "stopping the test clusters failed"
        CLUSTERDIR=""
    fi
    if [ -n "$DBDIR" ]; then
        tests/testdb.sh stop "$DBDIR" || say "stopping the test servers failed"
        DBDIR=""
    fi
    return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

print_timings() {
    local t
    say "timings:"
    for t in "${TIMINGS[@]}"; do say "  $t"; done
}

finish() {
    print_timings
    # The servers go down before the verdict so that it is the last line.
    cleanup
    echo "check: $PASSED passed, $FAILED failed"
    if [ "$FAILED" -eq 0 ]; then exit 0; fi
    exit 1
}

# test-suite*.log files below $1 written after stamp file $2.
suite_logs() { find "$1" -name 'test-suite*.log' -newer "$2" -type f 2>/dev/null | sort; }

# "# PASS:  3" etc. from an automake test-suite.log header.
count_of() { awk -v k="# $2:" '$1" "$2 == k { print $3; exit }' "$1"; }

# Shows the .log of every test that a test-suite.log lists as failed. Such
# a test appears as a heading "FAIL: name" underlined with '='; the test's
# own log is name.log next to the test-suite.log.
show_failed_logs() {
    local suite=$1 dir name log
    dir=$(dirname "$suite")
    awk 'prev ~ /^(FAIL|ERROR|XPASS): / && $0 ~ /^=+$/ && length($0) == length(prev) {
             sub(/^[A-Z]+: /, "", prev); print prev }
         { prev = $0 }' "$suite" |
        while IFS= read -r name; do
            log=$dir/$name.log
            [ -f "$log" ] || log=$dir/${name%.*}.log
            echo
            echo "---------- failed: $name ($suite) ----------"
            if [ -f "$log" ]; then cat "$log"; else echo "(no log file $dir/$name.log)"; fi
            echo "---------- end of $name ----------"
        done
}

# Runs `make TARGET` in build dir $2 as phase $1 and adds the results of the
# test-suite logs it wrote to the totals. With $4 = failures-only, passes are
# not counted: distcheck repeats `make check` and deletes its logs when it
# succeeds, so only its failures can be reported.
test_phase() {
    local name=$1 dir=$2 target=$3 mode=${4:-} stamp rc=0 suite p f e x phase_failed=0 found=0
    local extra=()
    [ $# -gt 4 ] && extra=("${@:5}")
    stamp=$(mktemp "$dir/.check-stamp.XXXXXX")
    # The stamp must be strictly older than the logs that follow.
    sleep 0.01
    phase "$name" make -C "$dir" -j"$JOBS" "$target" "${extra[@]}" || rc=$?
    while IFS= read -r suite; do
        [ -n "$suite" ] || continue
        found=1
        p=$(count_of "$suite" PASS); f=$(count_of "$suite" FAIL)
        e=$(count_of "$suite" ERROR); x=$(count_of "$suite" XPASS)
        [ "$mode" = failures-only ] || PASSED=$((PASSED + ${p:-0}))
        phase_failed=$((phase_failed + ${f:-0} + ${e:-0} + ${x:-0}))
        say "$name: $suite: ${p:-0} passed, $((${f:-0} + ${e:-0} + ${x:-0})) failed"
        if [ $((${f:-0} + ${e:-0} + ${x:-0})) -gt 0 ]; then
            show_failed_logs "$suite"
        fi
    done < <(suite_logs "$dir" "$stamp")
    rm -f "$stamp"
    [ $found -eq 1 ] || [ "$mode" = failures-only ] || say "$name: WARNING: no test-suite log was written"
    if [ $rc -ne 0 ] && [ $phase_failed -eq 0 ]; then
        say "$name: make $target failed (exit $rc) without a failing test; see its output above"
        phase_failed=1
    fi
    FAILED=$((FAILED + phase_failed))
    return 0
}

# shellcheck disable=SC2317  # called through phase
in_dir() { (cd "$1" && shift && "$@"); }

# Configures and builds in $2 (relative to TOP) with configure options $3...
build_phase() {
    local name=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    if phase "$name-configure" in_dir "$dir" "$TOP/configure" "$@" &&
        phase "$name-make" make -C "$dir" -j"$JOBS"; then
        return 0
    fi
    FAILED=$((FAILED + 1))
    return 1
}

# ---- packages and build system ----
if ! phase deps tests/deps.sh all; then
    FAILED=$((FAILED + 1))
    finish
fi
if ! phase autoreconf autoreconf -fi; then
    FAILED=$((FAILED + 1))
    finish
fi

# ---- the README's first command ----
# tests/demo.sh as a user on a fresh machine runs it: its own build, the
# example catalogs on a new SQLite file.  Before the other builds, since it
# runs autoreconf again.
if [ -z "$QUICK" ]; then
    if phase demo tests/demo.sh; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
    fi
fi

SAN_OK=""
build_phase sanitize _build/sanitize --enable-asan --enable-ubsan --enable-werror && SAN_OK=1

# ---- ABI ----
# Any incompatible change to the library's ABI fails here; tests/abi-check.sh
# says how to update the baseline when a change is intended.
if [ -n "$SAN_OK" ]; then
    if phase abi tests/abi-check.sh _build/sanitize; then
        PASSED=$((PASSED + 1))
    else
        FAILED=$((FAILED + 1))
    fi
fi

# ---- test servers ----
# Short path: the servers' unix sockets live below it.
DBDIR=$(mktemp -d /tmp/upg-db.XXXXXX)
if ! phase servers tests/testdb.sh start "$DBDIR"; then
    FAILED=$((FAILED + 1))
    finish
fi
# shellcheck disable=SC1091  # written at run time by testdb.sh
. "$DBDIR/env.sh"
# Without the clusters only tests/cli-cluster.sh fails (it then tries to
# start its own), so the other tests still run.
CLUSTERDIR=$(mktemp -d /tmp/upg-cl.XXXXXX)
if phase clusters tests/cluster.sh start "$CLUSTERDIR"; then
    # shellcheck disable=SC1091  # written at run time by cluster.sh
    . "$CLUSTERDIR/env.sh"
else
    FAILED=$((FAILED + 1))
    tests/cluster.sh stop "$CLUSTERDIR" >/dev/null 2>&1 || true
    CLUSTERDIR=""
fi

# ---- tests ----
if [ -n "$SAN_OK" ]; then
    test_phase check _build/sanitize check
fi

if [ -n "$VALGRIND" ] || [ -n "$DISTCHECK" ]; then
    plain_opts=()
    [ -n "$VALGRIND" ] && plain_opts+=(--enable-valgrind)
    if build_phase plain _build/plain "${plain_opts[@]}"; then
        if [ -n "$VALGRIND" ]; then
            # The CUnit programs under memcheck; the shell tests' plain runs
            # are distcheck's, or, without distcheck, check-valgrind's.
            if [ -n "$DISTCHECK" ]; then
                test_phase check-valgrind-unit _build/plain check-valgrind-unit
            else
                test_phase check-valgrind _build/plain check-valgrind
            fi
            # The command itself under valgrind, through the shell tests that
            # do not depend on timing (the racing and killing ones do).
            UPGRADE_VALGRIND=1 test_phase cli-valgrind _build/plain check "" \
                TESTS="tests/cli-usage.sh tests/cli-info.sh tests/cli-errors.sh tests/cli-run.sh tests/cli-validate.sh tests/cli-list.sh tests/cli-graph.sh"
        fi
        if [ -n "$DISTCHECK" ]; then
            # The fuzz target is built from the sources, so the check phase
            # has run it already; here its sources are only compiled.
            FUZZ_RUNS=0 test_phase distcheck _build/plain distcheck failures-only
        fi
    fi
fi

# ---- Debian packages ----
# dpkg-buildpackage builds inside the tree it is given, so it gets a copy of
# the tracked (and new, not ignored) files.  lintian, pedantic tags and
# info included, must report nothing but the overrides of
# debian/*.lintian-overrides, each of which says why it is there.
# The directory stays until the packages' own tests below have used the
# .debs.
PKGDIR=""
# shellcheck disable=SC2317  # called through phase
package_build() {
    # Not below /tmp: the tests of native libraries need a build tree that
    # nobody else may write to (upgrade_context(3)), as a build daemon's is.
    PKGDIR=$(mktemp -d "${HOME:?}/upg-pkg.XXXXXX")
    mkdir "$PKGDIR/src"
    git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$PKGDIR/src"
    # A package build has no servers: the test servers' variables are
    # dropped, so that UPGRADE_TEST_SERVERS=none (debian/rules) runs the
    # server-free parts only, as on a build daemon.
    # Nor does it fuzz again what the check phase fuzzed (FUZZ_RUNS=0).
    (cd "$PKGDIR/src" && unset "${!UPGRADE_TEST_@}" && FUZZ_RUNS=0 dpkg-buildpackage -us -uc -b) &&
        lintian --pedantic -I --fail-on error,warning,info,pedantic "$PKGDIR"/*.changes
}

# The autopkgtest of debian/tests, run as autopkgtest would on a testbed:
# the built .debs installed with dpkg (their dependencies and the tests'
# from the archive), then each test script from the top of the sources
# with its own empty AUTOPKGTEST_TMP.  This changes the machine's
# packages, which CI may do (it runs as root on a throw-away machine); the
# packages of this tree are purged again afterwards.
# shellcheck disable=SC2317  # called through phase
package_install() {
    local deps
    # The tests' Depends, except the packages built here (a comma list,
    # possibly over several lines of a stanza).
    deps=$(awk '/^Depends:/ { on = 1; sub(/^Depends:/, "") } /^[A-Z][A-Za-z-]*:/ && !/^Depends:/ { on = 0 }
                /^$/ { on = 0 } on' debian/tests/control | tr ',' '\n' |
        sed 's/[[:space:]]//g; /^$/d; /^upgrade$/d; /^libupgrade/d' | sort -u)
    # dpkg -i leaves a package whose dependencies are missing unconfigured;
    # apt-get -f install then fetches them and finishes the configuration.
    dpkg -i "$PKGDIR"/*.deb || DEBIAN_FRONTEND=noninteractive apt-get -f install -y || return 1
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $deps || return 1
    dpkg-query -W -f '${Package} ${Version} ${db:Status-Status}\n' upgrade libupgrade0 libupgrade-dev
}
# shellcheck disable=SC2317  # called through phase
package_purge() {
    local p pkgs=()
    for p in "$PKGDIR"/*.deb; do pkgs+=("$(dpkg-deb -f "$p" Package)"); done
    dpkg --purge "${pkgs[@]}"
}
# shellcheck disable=SC2317  # called through phase
autopkgtest_one() {
    local t=$1 tmp rc=0
    tmp=$(mktemp -d /tmp/upg-autopkgtest.XXXXXX)
    AUTOPKGTEST_TMP=$tmp "debian/tests/$t" || rc=$?
    rm -rf "$tmp"
    return "$rc"
}

if [ -n "$PACKAGES" ]; then
    if ! phase packages package_build; then
        FAILED=$((FAILED + 1))
    else
        PASSED=$((PASSED + 1))
        if [ "$(id -u)" -ne 0 ]; then
            say "packages: SKIPPING the autopkgtest (debian/tests): installing the .debs needs root, and this is uid $(id -u)"
            TIMINGS+=("$(printf '%-20s %7s s  %s' autopkgtest - "SKIPPED (not root)")")
        elif ! phase package-install package_install; then
            say "packages: the built .debs do not install; the autopkgtest cannot run"
            FAILED=$((FAILED + 1))
        else
            # shellcheck disable=SC2013 # a Tests: field lists names separated by spaces
            for t in $(sed -n 's/^Tests:[[:space:]]*//p' debian/tests/control); do
                if phase "autopkgtest-$t" autopkgtest_one "$t"; then
                    PASSED=$((PASSED + 1))
                else
                    FAILED=$((FAILED + 1))
                fi
            done
            phase package-purge package_purge || say "packages: purging the installed packages failed"
        fi
    fi
    [ -n "$PKGDIR" ] && rm -rf "$PKGDIR"
fi

finish
