#!/bin/sh
# SPDX-License-Identifier: MIT
# header.sh - the public headers stand alone: <upgrade.h> compiles as strict
# C99 with every warning an error, and as C++ when a compiler is there.
. "$top_srcdir/tests/lib.sh"

printf '#include <upgrade.h>\nint main(void) { return upgrade_version() == 0; }\n' >"$T_TMP/h.c"
inc="-I$top_srcdir/include -I$top_builddir/include"

run ${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror $inc -c "$T_TMP/h.c" -o "$T_TMP/h.o"
expect_rc 0 "upgrade.h compiles as C99 -pedantic -Werror"

for h in "$top_srcdir"/include/upgrade/*.h; do
	b=${h##*/}
	# A declaration of our own: a header of macros only would be an empty unit under -pedantic.
	printf '#include <upgrade/%s>\ntypedef int upgrade_header_check;\n' "$b" >"$T_TMP/one.c"
	run ${CC:-cc} -std=c99 -pedantic -Wall -Werror $inc -c "$T_TMP/one.c" -o "$T_TMP/one.o"
	expect_rc 0 "upgrade/$b compiles on its own"
done

if grep -El '#include <(sql|sqlext|libxml/)' "$top_srcdir"/include/upgrade.h "$top_srcdir"/include/upgrade/*.h >/dev/null; then
	not_ok "no ODBC or libxml2 header in the public headers"
else
	ok "no ODBC or libxml2 header in the public headers"
fi

cxx=${CXX:-}
[ -z "$cxx" ] && command -v g++ >/dev/null 2>&1 && cxx=g++
if [ -n "$cxx" ] && command -v "$cxx" >/dev/null 2>&1; then
	cp "$T_TMP/h.c" "$T_TMP/h.cc"
	run "$cxx" -std=c++11 -pedantic -Wall -Werror $inc -c "$T_TMP/h.cc" -o "$T_TMP/hcc.o"
	expect_rc 0 "upgrade.h compiles as C++"
fi

finish
