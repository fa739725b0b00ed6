# shellcheck shell=sh
# SPDX-License-Identifier: MIT
# lib.sh - sourced by the shell tests: assertions that count, and a summary
# that makes the test fail when any assertion failed.
#
# Environment (set by Makefile.am's AM_TESTS_ENVIRONMENT): UPGRADE (the
# built command), top_srcdir, top_builddir.

set -u
: "${UPGRADE:?UPGRADE must point at the built upgrade binary}"
: "${top_srcdir:?}"

t_pass=0
t_fail=0
t_name=${0##*/}
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/upgrade-sh.XXXXXX")
# Each test has a catalog cache of its own (upgrade(1), FILES): its first
# load of a catalog validates it, later loads may skip that.
XDG_CACHE_HOME=$T_TMP/cache
export XDG_CACHE_HOME

# In a build tree the command is libtool's wrapper script, a shell that
# sets the library path and then runs the binary: 40-50 ms of every run, and
# a suite runs the command thousands of times.  libtool's execute mode names
# the binary and its library path, once per test.  (So the command needs
# LD_LIBRARY_PATH: a test that empties the environment must pass it on.)
_lt_bin=
if [ -f "${top_builddir:-}/libtool" ] && [ -f "$UPGRADE" ]; then
	# shellcheck disable=SC2016 # expanded by the inner sh
	_lt=$("$top_builddir/libtool" --mode=execute sh -c \
		'printf "%s\n%s\n" "$1" "${LD_LIBRARY_PATH:-}"' resolve "$UPGRADE" 2>/dev/null) || _lt=
	_lt_bin=$(printf '%s\n' "$_lt" | sed -n 1p)
	if [ -n "$_lt_bin" ] && [ "$_lt_bin" != "$UPGRADE" ] && [ -x "$_lt_bin" ]; then
		LD_LIBRARY_PATH=$(printf '%s\n' "$_lt" | sed -n 2p)
		export LD_LIBRARY_PATH
		UPGRADE=$_lt_bin
	else
		_lt_bin=
	fi
fi

# UPGRADE_VALGRIND=1: every run of the command goes through valgrind, and a
# memory error or a definite leak makes it exit 99, failing the test.
# When the binary was not found above, the command may still be libtool's
# wrapper: libtool's execute mode puts the binary, not the wrapper's shell,
# under valgrind.
if [ -n "${UPGRADE_VALGRIND:-}" ]; then
	_vg_via=
	[ -z "$_lt_bin" ] && [ -f "${top_builddir:-}/libtool" ] &&
		_vg_via="\"$top_builddir/libtool\" --mode=execute "
	cat >"$T_TMP/upgrade-valgrind" <<EOF
#!/bin/sh
exec $_vg_via valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--suppressions="$top_srcdir/tests/valgrind.supp" "$UPGRADE" "\$@"
EOF
	chmod +x "$T_TMP/upgrade-valgrind"
	UPGRADE=$T_TMP/upgrade-valgrind
fi

# trusted DIR: DIR and every directory above it are owned by root or by us
# and writable by neither group nor others: the only places upgrade loads a
# native library from (upgrade_context(3)).
trusted() {
	_d=$(cd "$1" 2>/dev/null && pwd -P) || return 1
	while :; do
		# shellcheck disable=SC2046 # two numbers
		set -- $(stat -c '%u %a' "$_d")
		[ "$1" -eq 0 ] || [ "$1" -eq "$(id -u)" ] || return 1
		[ $((0$2 & 022)) -eq 0 ] || return 1
		[ "$_d" = / ] && return 0
		_d=$(dirname "$_d")
	done
}

# trusted_tmpdir VAR: sets VAR to a new directory from which native
# libraries may be loaded, removed on exit: below the build tree when it is
# trusted, else below $HOME (a build in /tmp, which anyone may write).
# Fails when neither is trusted.
T_TRUSTED=
trusted_tmpdir() {
	for _base in "$top_builddir/tests" "${HOME:-}"; do
		[ -n "$_base" ] && [ -d "$_base" ] && trusted "$_base" || continue
		_t=$(mktemp -d "$_base/upgrade-native.XXXXXX") || continue
		chmod 755 "$_t"
		T_TRUSTED="$T_TRUSTED $_t"
		eval "$1=\$_t"
		return 0
	done
	return 1
}
# shellcheck disable=SC2086 # a list of paths without spaces
trap 'rm -rf "$T_TMP" $T_TRUSTED' EXIT

ok() { t_pass=$((t_pass + 1)); printf 'ok - %s\n' "$1"; }
not_ok() {
	t_fail=$((t_fail + 1))
	printf 'FAIL - %s\n' "$1"
	shift
	for line in "$@"; do printf '    %s\n' "$line"; done
}

# run CMD...: runs it, keeping stdout in $out, stderr in $err, status in $rc.
run() {
	rc=0
	"$@" >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	out=$(cat "$T_TMP/out")
	err=$(cat "$T_TMP/err")
}

expect_rc() { # want description
	if [ "$rc" -eq "$1" ]; then ok "$2 (exit $1)"; else
		not_ok "$2: exit $rc, want $1" "stdout: $out" "stderr: $err"; fi
}
expect_out() { # pattern description  (grep -E on stdout)
	if printf '%s\n' "$out" | grep -Eq -- "$1"; then ok "$2"; else
		not_ok "$2: stdout lacks /$1/" "stdout: $out" "stderr: $err"; fi
}
expect_err() { # pattern description  (grep -E on stderr)
	if printf '%s\n' "$err" | grep -Eq -- "$1"; then ok "$2"; else
		not_ok "$2: stderr lacks /$1/" "stdout: $out" "stderr: $err"; fi
}
expect_no() { # fixed-string description: in neither stdout nor stderr
	if printf '%s\n%s\n' "$out" "$err" | grep -Fq -- "$1"; then
		not_ok "$2: found '$1'" "stdout: $out" "stderr: $err"; else ok "$2"; fi
}
expect_lines() { # n stream description: stream has exactly n lines
	if [ "$2" = err ]; then s=$err; else s=$out; fi
	n=$(printf '%s\n' "$s" | grep -c '')
	[ -z "$s" ] && n=0
	if [ "$n" -eq "$1" ]; then ok "$3"; else not_ok "$3: $n lines, want $1" "$s"; fi
}

# UPGRADE_TEST_SERVERS=none asks for a run without database servers (a
# package build): the parts that need one are skipped, said so, and not
# counted; a test left with nothing to run is reported as skipped (77).
# Without it, a missing server is a failure, never a skip.
t_skip=0
server_free() { [ "${UPGRADE_TEST_SERVERS:-}" = none ]; }

# require_env NAME: a test that needs a server fails loudly without it.
require_env() {
	eval "v=\${$1:-}"
	if [ -z "$v" ] && server_free; then
		t_skip=$((t_skip + 1))
		echo "skip - $1: UPGRADE_TEST_SERVERS=none (a run without servers)"
		return 1
	fi
	if [ -z "$v" ]; then
		not_ok "$1 is not set: start the test servers with tests/testdb.sh (tests/check.sh does)"
		return 1
	fi
	return 0
}

finish() {
	printf '%s: %d passed, %d failed, %d parts skipped\n' "$t_name" "$t_pass" "$t_fail" "$t_skip"
	if [ "$t_fail" -eq 0 ] && [ "$t_pass" -eq 0 ] && [ "$t_skip" -gt 0 ]; then
		exit 77
	fi
	[ "$t_fail" -eq 0 ] && [ "$t_pass" -gt 0 ]
	exit $?
}
