#!/bin/sh
# man.sh - the manual: every page is mandoc -Tlint clean, every exported
# function has a page that documents it, and the example program of
# libupgrade(3) compiles against the headers and runs against SQLite.
. "$top_srcdir/tests/lib.sh"

MANDOC=${MANDOC:-mandoc}
if ! command -v "$MANDOC" >/dev/null 2>&1; then
	not_ok "mandoc is needed to check the man pages (Debian package mandoc)"
	finish
fi

for page in "$top_srcdir"/man/*.[1-9]; do
	run "$MANDOC" -Tlint -W warning "$page"
	if [ "$rc" -eq 0 ] && [ -z "$out$err" ]; then ok "lint ${page##*/}"; else
		not_ok "lint ${page##*/}" "$out" "$err"; fi
done

lib="$top_builddir/.libs/libupgrade.so"
if [ -f "$lib" ]; then
	syms=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }')
	[ -n "$syms" ] && ok "the library exports functions" || not_ok "the library exports functions"
	for s in $syms; do
		case $s in
		upgrade_*) ok "export $s has the upgrade_ prefix" ;;
		*) not_ok "export $s lacks the upgrade_ prefix" ;;
		esac
		if grep -Eq "^\.(Fn|Fo) $s( |\$)" "$top_srcdir"/man/*.3; then ok "$s is documented"; else
			not_ok "$s has no .Fn or .Fo in any man/*.3 page"; fi
	done
else
	not_ok "$lib not built"
fi

# The libupgrade(3) example, extracted from the page as a reader sees it.
"$MANDOC" -Tascii "$top_srcdir/man/libupgrade.3" | sed 's/.\x08//g' |
	awk '/^EXAMPLES/ { ex = 1 } ex && /^     #include/ { on = 1 } /^     Build it with/ { exit } on { sub(/^     /, ""); print } ' \
	>"$T_TMP/example.c"
expect_grep() { grep -q "$1" "$T_TMP/example.c"; }
if expect_grep 'int$' && expect_grep 'upgrade_runner_run'; then
	ok "example extracted from libupgrade(3)"
else
	not_ok "example extracted from libupgrade(3)" "$(cat "$T_TMP/example.c")"
fi
run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Werror -I"$top_srcdir/include" -I"$top_builddir/include" \
	"$T_TMP/example.c" -o "$T_TMP/example" -L"$top_builddir/.libs" -lupgrade
expect_rc 0 "the libupgrade(3) example compiles"
if [ "$rc" -eq 0 ]; then
	run env LD_LIBRARY_PATH="$top_builddir/.libs" "$T_TMP/example" "$T_TMP/example.db"
	expect_rc 0 "the libupgrade(3) example runs"
	expect_out '^SQLite 3\.[0-9.]+, dialect sqlite$' "the example describes SQLite"
	expect_out '^done: example:Create notes$' "the example's always-run task creates its table"
	expect_out '^executed 1 tasks$' "the C task did nothing and is not counted"
	run env LD_LIBRARY_PATH="$top_builddir/.libs" "$T_TMP/example" "$T_TMP/example.db"
	expect_rc 0 "the libupgrade(3) example runs again"
	expect_out '^executed 0 tasks$' "the second run has nothing to do"
	[ "$(sqlite3 "$T_TMP/example.db" "SELECT count(*) FROM sqlite_master WHERE name = 'notes'")" = 1 ] &&
		ok "the example's table exists" || not_ok "the example's table exists"
fi

finish
