#!/bin/sh
# SPDX-License-Identifier: MIT
# licence.sh - every source file carries the SPDX licence line of LICENSE
# near its top, so that a file copied out of the tree still says under
# which terms it may be used.
#
# The files are those git tracks when the source tree is a checkout, else
# (a release tarball, a Debian build) those present: a file added later is
# checked without anyone having to list it here.
. "$top_srcdir/tests/lib.sh"

spdx='SPDX-License-Identifier: MIT'

# The sources: code, scripts, build files, the package's tests, the catalog
# schema and the example catalogs.  Catalogs under tests/catalogs are test data whose line
# numbers the tests quote, and are left out on purpose.  Only source names
# are kept, so that objects and logs of a build inside the tree are not.
sources() {
	if git -C "$top_srcdir" rev-parse --show-toplevel >/dev/null 2>&1 &&
	   [ "$(cd "$top_srcdir" && git rev-parse --show-prefix)" = "" ]; then
		git -C "$top_srcdir" ls-files
	else
		(cd "$top_srcdir" && find . -path ./_build -prune -o -type f -print | sed 's|^\./||')
	fi | grep -E '^(src|include|drivers|tests|bench|completion)/|^(configure\.ac|Makefile\.am|tasks/catalog\.rng|debian/rules|\.ci/run)$|^debian/tests/|^tasks/examples/[^/]*\.xml$' |
	grep -E '\.(c|h|h\.in|sh|am|ac|rng|xml)$|^(debian/rules|debian/tests/.*|\.ci/run|completion/.*)$' |
	grep -v '^tests/catalogs/' | sort
}

n=0
missing=
for f in $(sources); do
	n=$((n + 1))
	head -n 5 "$top_srcdir/$f" | grep -qF "$spdx" || missing="$missing $f"
done

if [ "$n" -lt 50 ]; then
	not_ok "the source files are found ($n found in $top_srcdir)"
elif [ -n "$missing" ]; then
	# shellcheck disable=SC2086 # one detail line per file
	not_ok "every source file has '$spdx' in its first 5 lines; these do not:" $missing
else
	ok "all $n source files have '$spdx' in their first 5 lines"
fi

finish
