#!/bin/sh
# SPDX-License-Identifier: MIT
# abi-check.sh - compare the ABI of a built libupgrade with the baseline
# committed in abi/libupgrade.abi, so that no change breaks programs linked
# against the library without anyone noticing.
#
#   tests/abi-check.sh BUILDDIR            compare (tests/check.sh does)
#   tests/abi-check.sh --update BUILDDIR   write the baseline from BUILDDIR
#
# BUILDDIR is a configured and built tree (_build/plain, _build/sanitize).
# Both sides are dumped by abidw (abigail-tools) the same way and compared
# with abidiff; abi/libupgrade.suppr leaves out what programs cannot see:
# the inside of the opaque handles, and the upg_* types.
#
# The check fails when abidiff finds an incompatible change (a function
# removed, a parameter or a public struct changed, the soname changed) or
# cannot compare.  A compatible change (a new function) passes with a
# notice.  When a change is intended:
#   - new functions: list them in debian/libupgrade0.symbols with the first
#     version that has them (debian/changelog), then run --update;
#   - an incompatible change needs a new soname: bump LIBUPGRADE_LT_VERSION
#     in configure.ac (current+1:0:0), rename the Debian package libupgrade0
#     after the new soname (debian/control, debian/libupgrade0.*), rebuild,
#     then run --update.
# Commit the new abi/libupgrade.abi together with the change.
set -eu

PROG=${0##*/}
update=
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi
[ $# -eq 1 ] || { echo "usage: $PROG [--update] BUILDDIR" >&2; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
baseline=$top/abi/libupgrade.abi
suppr=$top/abi/libupgrade.suppr
# The real file behind the development symlink, whatever the soname.
lib=$(readlink -f "$build/.libs/libupgrade.so" 2>/dev/null || true)

fail() { echo "$PROG: error: $*" >&2; exit 1; }

if ! command -v abidw >/dev/null || ! command -v abidiff >/dev/null; then
	fail "abidw and abidiff not found: install abigail-tools (tests/deps.sh does)"
fi
if [ -z "$lib" ] || [ ! -f "$lib" ]; then
	fail "$build/.libs/libupgrade.so: no built library; run make in $build first"
fi

# Public types are those of the installed headers (version.h is generated).
dump() {
	abidw --no-corpus-path --no-comp-dir-path --short-locs --drop-undefined-syms \
		--suppressions "$suppr" --headers-dir "$top/include" --headers-dir "$build/include" \
		--out-file "$1" "$lib"
}

if [ -n "$update" ]; then
	dump "$baseline" || fail "abidw could not read $lib"
	echo "$PROG: wrote $baseline from $lib"
	exit 0
fi

[ -f "$baseline" ] || fail "$baseline is missing; see --update"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dump "$tmp/current.abi" || fail "abidw could not read $lib"
# abidiff's status is a bit mask: 1 error, 2 usage, 4 a change, 8 a change
# it knows to be incompatible (a symbol removed).  It calls a public struct's
# new layout only "a change", so every change but an addition fails:
# additions are left out of the first comparison and shown by the second.
rc=0
abidiff --no-added-syms --suppressions "$suppr" "$baseline" "$tmp/current.abi" \
	>"$tmp/report" 2>&1 || rc=$?
if [ $((rc & 3)) -ne 0 ]; then
	cat "$tmp/report" >&2
	fail "abidiff could not compare $lib with $baseline (status $rc)"
fi
if [ $rc -ne 0 ]; then
	sed 's/^/    /' "$tmp/report" >&2
	fail "$lib breaks the ABI of $baseline: undo the change, or change the soname and run $PROG --update (see its header)"
fi
rc=0
abidiff --suppressions "$suppr" "$baseline" "$tmp/current.abi" >"$tmp/report" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
	sed 's/^/    /' "$tmp/report"
	echo "$PROG: new functions only (compatible); list them in debian/libupgrade0.symbols and run $PROG --update"
	exit 0
fi
echo "$PROG: the ABI of $lib matches $baseline"
