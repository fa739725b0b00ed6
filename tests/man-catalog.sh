#!/bin/sh
# man-catalog.sh - the catalog man pages: the program in
# upgrade_catalog_new(3) compiles and prints the plan of the example
# catalogs, and the catalogs shown in upgrade-catalog(5) are valid.
. "$top_srcdir/tests/lib.sh"

MANDOC=${MANDOC:-mandoc}
if ! command -v "$MANDOC" >/dev/null 2>&1; then
	not_ok "mandoc is needed to read the man pages (Debian package mandoc)"
	finish
fi

"$MANDOC" -Tascii "$top_srcdir/man/upgrade_catalog_new.3" | sed 's/.\x08//g' |
	awk '/^EXAMPLES/ { ex = 1 } ex && /^     #include/ { on = 1 } on { sub(/^     /, ""); print }
	     on && /^main\(/ { m = 1 } m && /^}$/ { exit }' \
	>"$T_TMP/example.c"
if grep -q 'upgrade_catalog_prepare' "$T_TMP/example.c"; then ok "example extracted"; else
	not_ok "example extracted" "$(cat "$T_TMP/example.c")"; fi
run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Wextra -Werror -I"$top_srcdir/include" -I"$top_builddir/include" \
	"$T_TMP/example.c" -o "$T_TMP/example" -L"$top_builddir/.libs" -lupgrade
expect_rc 0 "the upgrade_catalog_new(3) example compiles"
if [ "$rc" -eq 0 ]; then
	run env LD_LIBRARY_PATH="$top_builddir/.libs" "$T_TMP/example" "$top_srcdir/tasks/examples"
	expect_rc 0 "the example runs"
	expect_lines 17 out "16 catalog tasks and one C task"
	expect_out '^app\.search:Rebuild index \(always\)$' "the C task is in the plan"
	run env LD_LIBRARY_PATH="$top_builddir/.libs" "$T_TMP/example" "$top_srcdir/tests/catalogs/bad/requires-raw.xml"
	expect_rc 1 "the example reports problems"
	expect_err 'requires-raw\.xml:6: error: bad\.reqraw:B: requires raw task' "in the documented form"
fi

# The catalogs of upgrade-catalog(5), as a reader sees them.
"$MANDOC" -Tascii "$top_srcdir/man/upgrade-catalog.5" | sed 's/.\x08//g' |
	awk -v dir="$T_TMP" '/^     <\?xml/ { n++; on = 1 } on { sub(/^     /, ""); print > (dir "/page" n ".xml") } on && /^<\/module>/ { on = 0 }'
if [ -f "$T_TMP/page1.xml" ] && [ -f "$T_TMP/page2.xml" ]; then ok "two catalogs extracted from upgrade-catalog(5)"; else
	not_ok "catalogs extracted from upgrade-catalog(5)"; fi
run "$UPGRADE" list -T "$T_TMP/page1.xml" -T "$T_TMP/page2.xml"
expect_rc 0 "the catalogs of upgrade-catalog(5) are valid"
want='shop.accounts:Create users table [always-run, guarded]
shop.accounts:Create administrator [always-run, guarded]
shop.accounts:Add display name [guarded]
shop.accounts:Index email
shop.accounts:Refresh statistics [raw]
shop.orders:Create orders table [always-run, guarded]
shop.orders:Copy buyer names [requires shop.accounts:Add display name]'
[ "$out" = "$want" ] && ok "the order upgrade-catalog(5) describes" || not_ok "order of the page's example" "$out"

finish
