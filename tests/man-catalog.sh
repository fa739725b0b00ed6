#!/bin/sh
# SPDX-License-Identifier: MIT
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
	expect_lines 15 out "14 catalog tasks and one C task"
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
want='shop.accounts:Refresh statistics [raw]
shop.accounts (install) [install]
shop.orders (install) [install]
shop.accounts:Create administrator [always-run, guarded]
shop.accounts:Add display name [guarded]
shop.accounts:Index email
shop.orders:Add buyer [guarded]
shop.orders:Copy buyer names [requires shop.accounts:Add display name]'
[ "$out" = "$want" ] && ok "the order upgrade-catalog(5) describes" || not_ok "order of the page's example" "$out"

# The page's commands, as printed, in a directory laid out as they assume:
# the two catalogs under the names the page gives, the drop-in directory and
# the schema where a package puts them (a DESTDIR-like root).
mkdir -p "$T_TMP/cmds/usr/share/upgrade/tasks"
cp "$T_TMP/page1.xml" "$T_TMP/cmds/shop.accounts.xml"
cp "$T_TMP/page2.xml" "$T_TMP/cmds/shop.orders.xml"
cp "$T_TMP/page1.xml" "$T_TMP/page2.xml" "$T_TMP/cmds/usr/share/upgrade/tasks/"
cp "$T_TMP/page2.xml" "$T_TMP/cmds/my.xml"
cp "$top_srcdir/tasks/catalog.rng" "$T_TMP/cmds/usr/share/upgrade/catalog.rng"
"$MANDOC" -Tascii "$top_srcdir/man/upgrade-catalog.5" | sed 's/.\x08//g' |
	sed -n 's/^ *\$ //p' >"$T_TMP/cmds/commands"
n=0
while IFS= read -r cmd; do
	n=$((n + 1))
	# Absolute paths of the page are below the laid-out root here.
	cmd=$(printf '%s' "$cmd" | sed "s| /usr/| $T_TMP/cmds/usr/|g; s|^upgrade |\"\$UPGRADE\" |")
	rc=0
	(cd "$T_TMP/cmds" && eval "$cmd") >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
	out=$(cat "$T_TMP/out")
	err=$(cat "$T_TMP/err")
	expect_rc 0 "upgrade-catalog(5) command $n: $cmd"
done <"$T_TMP/cmds/commands"
[ "$n" -eq 3 ] && ok "the page's three commands ran" || not_ok "the page's commands: $n, want 3"

# ... and run as a reader would: on a new database of every engine, twice.
# The raw task's library is the application's; a stand-in is built here.
cat >"$T_TMP/shop-tasks.c" <<'EOF2'
#include <upgrade.h>

int shop_rebuild_search(struct upgrade_context *ctx, const char *arg);

int
shop_rebuild_search(struct upgrade_context *ctx, const char *arg)
{
	int yes = 0;

	/* Only proves that it ran where the page says: users is there. */
	if (upgrade_context_has_table(&yes, ctx, arg) != UPGRADE_OK || !yes)
		return UPGRADE_ERROR;
	return UPGRADE_OK;
}
EOF2
# The library is loaded from beside the catalog, which must be trusted.
trusted_tmpdir SHOP || { not_ok "no trusted directory for native libraries"; finish; }
cp "$T_TMP/page1.xml" "$SHOP/shop.accounts.xml"
cp "$T_TMP/page2.xml" "$SHOP/shop.orders.xml"
run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Wextra -Werror -shared -fPIC -I"$top_srcdir/include" \
	-I"$top_builddir/include" "$T_TMP/shop-tasks.c" -o "$SHOP/shop-tasks.so" \
	-L"$top_builddir/.libs" -lupgrade
expect_rc 0 "the stand-in for the page's native library builds"

page_run() { # label schema connection-args...
	label=$1
	schema=$2
	shift 2
	run "$UPGRADE" -T "$SHOP" "$@" run
	expect_rc 0 "$label: the page's catalogs run on a new database"
	expect_no 'Refresh statistics' "$label: the raw task does nothing where users is not there yet"
	run "$UPGRADE" -T "$SHOP" "$@" run
	expect_rc 0 "$label: the second run"
	expect_exact "Running raw upgrade for $schema
* shop.accounts:Refresh statistics
executed 1 upgrade tasks
Running upgrade for $schema
no pending upgrade tasks found" "$label: then the raw task runs, first"
	run "$UPGRADE" -T "$SHOP" "$@" status --check
	expect_rc 0 "$label: nothing is pending"
}
expect_exact() {
	if [ "$out" = "$1" ]; then ok "$2"; else not_ok "$2" "got:" "$out" "want:" "$1"; fi
}

LD_LIBRARY_PATH="$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
page_run_sqlite() {
	run "$UPGRADE" -T "$SHOP" -d "$T_TMP/shop.db" run
	expect_rc 0 "SQLite: the page's catalogs run on a new database"
	expect_no 'Refresh statistics' "SQLite: the raw task does nothing where users is not there yet"
	n=$(sqlite3 "$T_TMP/shop.db" "SELECT email FROM users; SELECT count(*) FROM orders")
	[ "$n" = "admin@example.org
0" ] && ok "SQLite: users with the administrator, and orders, exist" || not_ok "SQLite: tables" "$n"
	run "$UPGRADE" -T "$SHOP" -d "$T_TMP/shop.db" run
	expect_rc 0 "SQLite: the second run"
	expect_exact "Running raw upgrade for main
* shop.accounts:Refresh statistics
executed 1 upgrade tasks
Running upgrade for main
no pending upgrade tasks found" "SQLite: then the raw task runs, first"
}
page_run_sqlite
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'DROP DATABASE IF EXISTS upg_man' -c 'CREATE DATABASE upg_man OWNER upgrade' >/dev/null 2>&1
	page_run PostgreSQL public -c "$(printf '%s' "$UPGRADE_TEST_PG" | sed 's/Database=[^;]*/Database=upg_man/')"
	$UPGRADE_TEST_PG_ADMIN -c 'DROP DATABASE upg_man' >/dev/null 2>&1
fi
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_man; CREATE DATABASE upg_man' >/dev/null 2>&1
	page_run MariaDB upg_man -c "$(printf '%s' "$UPGRADE_TEST_MARIADB" | sed 's/Database=[^;]*/Database=upg_man/')"
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE upg_man' >/dev/null 2>&1
fi

# The page's third catalog, steps and assertions with portable guards only,
# on a database of an earlier release of every engine: customers still has
# mail and fax, invoices and quotes exist, receipts does not.
LEG=$T_TMP/legacy
mkdir -p "$LEG/v0" "$LEG/v1"
if [ -f "$T_TMP/page3.xml" ]; then ok "the third catalog extracted"; else not_ok "the third catalog extracted"; fi
printf '<module xmlns="urn:upgrade:catalog:1" name="shop.legacy"/>\n' >"$LEG/v0/shop.legacy.xml"
cp "$T_TMP/page3.xml" "$LEG/v1/shop.legacy.xml" 2>/dev/null
legacy_sql='CREATE TABLE customers (id INTEGER, mail VARCHAR(100), fax VARCHAR(40));
INSERT INTO customers VALUES (1, '"'a@example.org'"', '"'555'"');
CREATE TABLE invoices (id INTEGER, currency VARCHAR(3));
INSERT INTO invoices VALUES (1, NULL);
CREATE TABLE quotes (id INTEGER, currency VARCHAR(3), state VARCHAR(10));
INSERT INTO quotes VALUES (1, NULL, '"'open'"');'
legacy_check='SELECT * FROM customers; SELECT currency FROM invoices; SELECT currency, state FROM quotes;'
legacy_run() { # label schema admin-query-function connection-args...
	label=$1
	schema=$2
	query=$3
	shift 3
	run "$UPGRADE" -T "$LEG/v0" "$@" run
	expect_rc 0 "$label: shop.legacy is seen"
	$query "$legacy_sql" >/dev/null
	run "$UPGRADE" -T "$LEG/v1" "$@" run
	expect_rc 0 "$label: the third catalog runs on the old tables"
	expect_exact "Running raw upgrade for $schema
* shop.legacy:Close old quotes
executed 1 upgrade tasks
Running upgrade for $schema
* shop.legacy:Tidy legacy tables
executed 1 upgrade tasks" "$label: both tasks did something"
	n=$($query "$legacy_check" | tr -s ' \t\n|' '   ' | sed 's/ $//')
	[ "$n" = "1 a@example.org EUR EUR closed" ] && ok "$label: renamed, dropped, updated where present, closed" ||
		not_ok "$label: after the third catalog: $n"
	run "$UPGRADE" -T "$LEG/v1" "$@" run
	expect_rc 0 "$label: the third catalog again"
	expect_no 'Close old quotes' "$label: the raw task, with nothing left to do, is not shown"
}
sq() { sqlite3 "$T_TMP/legacy.db" "$1"; }
legacy_run SQLite main sq -d "$T_TMP/legacy.db"
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'DROP DATABASE IF EXISTS upg_leg' -c 'CREATE DATABASE upg_leg OWNER upgrade' >/dev/null 2>&1
	pq() { $UPGRADE_TEST_PG_ADMIN -tA -c "SET ROLE upgrade; $1" -d upg_leg 2>&1; }
	legacy_run PostgreSQL public pq -c "$(printf '%s' "$UPGRADE_TEST_PG" | sed 's/Database=[^;]*/Database=upg_leg/')"
	$UPGRADE_TEST_PG_ADMIN -c 'DROP DATABASE upg_leg' >/dev/null 2>&1
fi
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_leg; CREATE DATABASE upg_leg' >/dev/null 2>&1
	mq() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "USE upg_leg; $1" 2>&1; }
	legacy_run MariaDB upg_leg mq -c "$(printf '%s' "$UPGRADE_TEST_MARIADB" | sed 's/Database=[^;]*/Database=upg_leg/')"
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE upg_leg' >/dev/null 2>&1
fi

finish
