#!/bin/sh
# SPDX-License-Identifier: MIT
# man-examples.sh - every example of upgrade(1), run as a reader would run it.
#
# The EXAMPLES section is read from the rendered page; each display is a
# block.  Each `$ upgrade ...` line runs exactly as printed, in a directory
# where the names it uses exist: the data sources production, staging and
# legacy (PostgreSQL, a database made for this test) and maria (MariaDB),
# app.db, tasks/examples.  Output that the page shows must be what the
# command prints.  A block this test does not know fails it, so a new
# example cannot go untested.
. "$top_srcdir/tests/lib.sh"

MANDOC=${MANDOC:-mandoc}
if ! command -v "$MANDOC" >/dev/null 2>&1; then
	not_ok "mandoc is needed to read the man pages (Debian package mandoc)"
	finish
fi
require_env UPGRADE_TEST_PG || finish
require_env UPGRADE_TEST_PG_ADMIN || finish
require_env UPGRADE_TEST_MARIADB || finish
require_env UPGRADE_TEST_MARIADB_ADMIN || finish

# ---- the blocks of EXAMPLES -------------------------------------------------
"$MANDOC" -Tascii "$top_srcdir/man/upgrade.1" | sed 's/.\x08//g' |
	awk -v dir="$T_TMP" '
		/^EXAMPLES/ { on = 1; next }
		/^[A-Z]/ { on = 0 }
		!on { next }
		/^           / { if (!inblock) { n++; inblock = 1 } sub(/^           /, ""); print > (dir "/block" n); next }
		{ inblock = 0 }'
nblocks=$(ls "$T_TMP"/block* 2>/dev/null | wc -l)
[ "$nblocks" -ge 10 ] && ok "$nblocks example blocks extracted" || not_ok "example blocks extracted: $nblocks"

# ---- the world the examples assume ----------------------------------------------
WORK=$T_TMP/work
mkdir -p "$WORK/bin" "$WORK/etc"
ln -s "$top_srcdir/tasks" "$WORK/tasks"
cat >"$WORK/bin/upgrade" <<EOF
#!/bin/sh
exec "$UPGRADE" "\$@"
EOF
chmod +x "$WORK/bin/upgrade"
PATH=$WORK/bin:$PATH
export PATH

pg() { $UPGRADE_TEST_PG_ADMIN -tA -c "$1" 2>&1; }
my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
pg 'DROP DATABASE IF EXISTS upg_examples' >/dev/null
pg 'CREATE DATABASE upg_examples OWNER upgrade' >/dev/null
PGEX() { $UPGRADE_TEST_PG_ADMIN -d upg_examples -tA -c "$1" 2>&1; }
for s in tenant_a tenant_b shop; do PGEX "CREATE SCHEMA $s AUTHORIZATION upgrade" >/dev/null; done
my 'DROP DATABASE IF EXISTS shop; CREATE DATABASE shop' >/dev/null

pg_conn=$(printf '%s' "$UPGRADE_TEST_PG" | sed 's/Database=[^;]*/Database=upg_examples/')
# The data sources are tests/testdb.sh's, under the names the page uses.
section() { # name-in-odbc.ini new-name
	awk -v want="[$1]" -v name="[$2]" '/^\[/ { on = ($0 == want); if (on) { print name; next } } on' "$ODBCINI"
}
{
	for name in production staging legacy; do
		section upgrade_pg "$name" | sed 's/^Database=.*/Database=upg_examples/'
	done
	section upgrade_mariadb maria
} >"$WORK/etc/odbc.ini"
ODBCINI=$WORK/etc/odbc.ini
export ODBCINI

# The catalog the data-source examples use (the drop-in directory): module
# shop, whose task "Split names" has four statements; the third fails until
# its cause is fixed (the table name_log is missing).
mkdir -p "$WORK/shop-v1" "$WORK/shop-v2"
NS='xmlns="urn:upgrade:catalog:1"'
printf '%s\n' "<module $NS name=\"shop\"><task name=\"Create people\" always-run=\"true\"><only-if><not><has-table table=\"people\"/></not></only-if><sql>CREATE TABLE people (id INTEGER PRIMARY KEY, full_name VARCHAR(100), first_name VARCHAR(50), last_name VARCHAR(50))</sql><sql>INSERT INTO people (id, full_name) VALUES (1, 'Ada Lovelace')</sql></task></module>" >"$WORK/shop-v1/shop.xml"
printf '%s\n' "<module $NS name=\"shop\"><task name=\"Create people\" always-run=\"true\"><only-if><not><has-table table=\"people\"/></not></only-if><sql>CREATE TABLE people (id INTEGER PRIMARY KEY, full_name VARCHAR(100), first_name VARCHAR(50), last_name VARCHAR(50))</sql><sql>INSERT INTO people (id, full_name) VALUES (1, 'Ada Lovelace')</sql></task><task name=\"Split names\"><sql>UPDATE people SET first_name = 'Ada' WHERE id = 1</sql><sql>UPDATE people SET last_name = 'Lovelace' WHERE id = 1</sql><sql>INSERT INTO name_log (person, note) VALUES (1, 'split')</sql><sql>UPDATE people SET full_name = NULL WHERE id = 1</sql></task></module>" >"$WORK/shop-v2/shop.xml"

# run_block N: runs block N's commands one by one in $WORK (each `$ ` line; a
# line that follows without `$ ` is output the page shows for the command
# before it, kept in $T_TMP/shown).  Stops at the first failing command.
run_block() {
	: >"$T_TMP/shown"
	rc=0
	while IFS= read -r line; do
		case $line in
		'$ #'*) ;;
		'$ '*)
			cmd=${line#\$ }
			# In this shell: an example's export holds for its next command.
			cd "$WORK" || return 1
			eval "$cmd" >"$T_TMP/out" 2>"$T_TMP/err" || rc=$?
			cd - >/dev/null || return 1
			out=$(cat "$T_TMP/out")
			err=$(cat "$T_TMP/err")
			[ "$rc" -eq 0 ] || return 0
			;;
		*) printf '%s\n' "$line" >>"$T_TMP/shown" ;;
		esac
	done <"$T_TMP/block$1"
}
# The page's output lines must be the command's, to the letter; a line the
# page ends with "..." matches the start of a line.
expect_shown() {
	missing=
	while IFS= read -r want; do
		case $want in
		*'...)') prefix=${want%...)}
			printf '%s\n' "$out" | grep -Fq -- "$prefix" || missing="$missing
$want" ;;
		*) printf '%s\n' "$out" | grep -Fxq -- "$want" || missing="$missing
$want" ;;
		esac
	done <"$T_TMP/shown"
	if [ -z "$missing" ]; then ok "$1"; else not_ok "$1: the page shows lines the command does not print:$missing" "printed: $out"; fi
}
block_has() { grep -Fq -- "$2" "$T_TMP/block$1"; }

i=1
while [ "$i" -le "$nblocks" ]; do
	b=$T_TMP/block$i
	first=$(head -n 1 "$b")
	case $first in
	'$ upgrade --database app.db info')
		run "$UPGRADE" --database "$WORK/app.db" info
		expect_rc 5 "example $i: info does not create a missing database file"
		[ ! -e "$WORK/app.db" ] && ok "example $i: no app.db was created" || not_ok "example $i: info created app.db"
		: >"$WORK/app.db"
		run_block "$i"
		expect_rc 0 "example $i: info on an existing SQLite database"
		expect_shown "example $i: info prints what the page shows"
		;;
	'$ upgrade --dsn production info')
		run_block "$i"
		expect_rc 0 "example $i: info through a DSN of odbc.ini"
		expect_out '^dialect: +postgresql$' "example $i: the DSN reaches PostgreSQL"
		expect_shown "example $i: info prints what the page shows"
		;;
	'$ export UPGRADE_CONNECT='*)
		# The page's server "db" is not here: the same command with this test's string.
		sed -i "s|^\\\$ export UPGRADE_CONNECT=.*|\$ export UPGRADE_CONNECT='$pg_conn'|" "$b"
		run_block "$i"
		expect_rc 0 "example $i: a connection string from the environment"
		expect_out '"dialect":"postgresql"' "example $i: JSON from info"
		expect_no "${UPGRADE_TEST_PASSWORD}" "example $i: the password is not printed"
		unset UPGRADE_CONNECT
		;;
	'$ upgrade -T tasks/examples --database app.db run')
		rm -f "$WORK/app.db"
		run_block "$i"
		expect_rc 0 "example $i: the example catalogs on a new SQLite database"
		expect_out '^Running upgrade for main$' "example $i: upgrades main"
		run "$UPGRADE" -T "$WORK/tasks/examples" --database "$WORK/app.db" status --check
		expect_rc 0 "example $i: afterwards nothing is pending"
		;;
	'$ upgrade --dsn production run --schemas '*)
		UPGRADE_TASKS_PATH=$WORK/shop-v1
		export UPGRADE_TASKS_PATH
		run_block "$i"
		expect_rc 0 "example $i: every tenant schema, -j 4, --keep-going"
		expect_out '^Running upgrade for tenant_a$' "example $i: tenant_a"
		expect_out '^Running upgrade for tenant_b$' "example $i: tenant_b"
		expect_no 'Running upgrade for shop' "example $i: only the tenants"
		[ "$(PGEX 'SELECT full_name FROM tenant_b.people')" = 'Ada Lovelace' ] &&
			ok "example $i: the always-run task made its table" || not_ok "example $i: no people in tenant_b"
		;;
	'$ upgrade --dsn staging run --dry-run')
		UPGRADE_TASKS_PATH=$WORK/shop-v2
		export UPGRADE_TASKS_PATH
		before=$(PGEX "SELECT module, state::text FROM public.upgrades ORDER BY 1")
		run_block "$i"
		expect_rc 0 "example $i: a dry run"
		[ "$before" = "$(PGEX "SELECT module, state::text FROM public.upgrades ORDER BY 1")" ] &&
			ok "example $i: the dry run wrote nothing" || not_ok "example $i: the dry run changed the state"
		;;
	'if ! upgrade --dsn production -q status --check; then')
		# A database that has seen the module, and a release that adds a task.
		UPGRADE_TASKS_PATH=$WORK/shop-v1 "$UPGRADE" -q --dsn production run >/dev/null 2>&1
		PGEX 'CREATE TABLE public.name_log (person INTEGER, note VARCHAR(20)); ALTER TABLE public.name_log OWNER TO upgrade' >/dev/null
		UPGRADE_TASKS_PATH=$WORK/shop-v2
		export UPGRADE_TASKS_PATH
		run sh "$b"
		expect_rc 1 "example $i: the deploy script stops while a task is pending"
		expect_err "run 'upgrade run' first" "example $i: and says why"
		"$UPGRADE" -q --dsn production run >/dev/null 2>&1
		run sh "$b"
		expect_rc 0 "example $i: the deploy script goes on once nothing is pending"
		;;
	'$ upgrade --dsn legacy baseline --schema shop')
		UPGRADE_TASKS_PATH=$WORK/shop-v2
		export UPGRADE_TASKS_PATH
		# An existing database whose schema is current: its table is there, empty.
		PGEX 'CREATE TABLE shop.people (id INTEGER PRIMARY KEY, full_name VARCHAR(100), first_name VARCHAR(50), last_name VARCHAR(50)); ALTER TABLE shop.people OWNER TO upgrade' >/dev/null
		run_block "$i"
		expect_rc 0 "example $i: baseline of an existing schema"
		run "$UPGRADE" --dsn legacy status --schema shop --check
		expect_rc 0 "example $i: after the baseline nothing is pending"
		[ "$(PGEX "SELECT count(*) FROM shop.people")" = 0 ] &&
			ok "example $i: the baseline ran nothing" || not_ok "example $i: the baseline ran a task"
		;;
	'$ upgrade --dsn maria status --schema shop')
		# The state the page starts from: Split names failed at statement 3.
		UPGRADE_TASKS_PATH=$WORK/shop-v1 "$UPGRADE" -q --dsn maria run --schema shop >/dev/null 2>&1
		UPGRADE_TASKS_PATH=$WORK/shop-v2
		export UPGRADE_TASKS_PATH
		run "$UPGRADE" --dsn maria run --schema shop
		expect_rc 2 "example $i: Split names fails at its third statement"
		# Its first command, the status, shows what the page shows.
		head -n 2 "$b" >"$T_TMP/block-status"
		mv "$T_TMP/block-status" "$b.status"
		cp "$b" "$b.all"
		cp "$b.status" "$b"
		run_block "$i"
		expect_rc 0 "example $i: status"
		expect_shown "example $i: status shows the partial task as the page does"
		# "Fix the cause", then resume.
		my 'CREATE TABLE shop.name_log (person INTEGER, note VARCHAR(20))' >/dev/null
		grep -F -- '--resume' "$b.all" >"$b"
		run_block "$i"
		expect_rc 0 "example $i: run --resume finishes the task"
		n=$(my "SELECT CONCAT(COUNT(*), ',', COALESCE(MAX(first_name), ''), ',', COALESCE(MAX(full_name), 'null')) FROM shop.people; SELECT COUNT(*) FROM shop.name_log")
		[ "$n" = "1,Ada,null
1" ] && ok "example $i: every statement applied exactly once" || not_ok "example $i: after resume" "$n"
		# The other way: finish by hand and mark.
		my 'DELETE FROM shop.name_log; UPDATE shop.people SET full_name = NULL' >/dev/null
		"$UPGRADE" -q --dsn maria unmark 'shop:Split names' --schema shop >/dev/null 2>&1
		my 'DROP TABLE shop.name_log' >/dev/null
		"$UPGRADE" -q --dsn maria run --schema shop >/dev/null 2>&1
		grep -F -- 'mark ' "$b.all" >"$b"
		run_block "$i"
		expect_rc 0 "example $i: mark records the task"
		run "$UPGRADE" --dsn maria status --schema shop --check
		expect_rc 0 "example $i: after mark nothing is pending or partial"
		;;
	'case "$1" in')
		# Another package's catalog in the same directory must stay out of shop's database.
		mkdir -p "$WORK/shared"
		cp "$WORK/shop-v2/"*.xml "$WORK/shared/"
		printf '%s\n' "<module $NS name=\"other\"><task name=\"Create other\" always-run=\"true\"><only-if><not><has-table table=\"other_t\"/></not></only-if><sql>CREATE TABLE other_t (id INTEGER)</sql></task></module>" >"$WORK/shared/other.xml"
		UPGRADE_TASKS_PATH=$WORK/shared
		export UPGRADE_TASKS_PATH
		mkdir -p "$WORK/etc/shop"
		printf '%s\n' "$pg_conn" >"$WORK/etc/shop/database"
		sed "s|/etc/shop/database|$WORK/etc/shop/database|" "$b" >"$WORK/postinst"
		PGEX 'DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION upgrade' >/dev/null
		run sh "$WORK/postinst" configure
		expect_rc 0 "example $i: the postinst configures"
		expect_lines 0 out "example $i: quietly"
		[ "$(PGEX "SELECT count(*) FROM public.upgrades WHERE module = 'shop'")" = 1 ] &&
			ok "example $i: the postinst upgraded the database" || not_ok "example $i: no state after postinst"
		[ "$(PGEX "SELECT count(*) FROM public.upgrades WHERE module = 'other'")$(PGEX "SELECT count(*) FROM information_schema.tables WHERE table_name = 'other_t'")" = 00 ] &&
			ok "example $i: the other package's module stayed out" || not_ok "example $i: the other package's module was applied"
		printf 'DRIVER=nosuch\n' >"$WORK/etc/shop/database"
		run sh "$WORK/postinst" configure
		expect_rc 0 "example $i: a failed upgrade does not fail the package"
		expect_err 'shop: database upgrade failed; see above' "example $i: and says so"
		;;
	*)
		not_ok "example $i is not known to this test: add how to run it" "$(cat "$b")"
		;;
	esac
	i=$((i + 1))
done

# The example catalogs that the page runs on SQLite, on the other engines too.
examples_on() { # label connection
	run "$UPGRADE" -T "$top_srcdir/tasks/examples" -c "$2" run
	expect_rc 0 "$1: the example catalogs on a new database"
	run "$UPGRADE" -T "$top_srcdir/tasks/examples" -c "$2" run
	expect_rc 0 "$1: and again"
	expect_out '^no pending upgrade tasks found$' "$1: the second run has nothing to do"
	run "$UPGRADE" -T "$top_srcdir/tasks/examples" -c "$2" status --check
	expect_rc 0 "$1: nothing is pending"
}
pg 'DROP DATABASE IF EXISTS upg_examples2' >/dev/null
pg 'CREATE DATABASE upg_examples2 OWNER upgrade' >/dev/null
examples_on PostgreSQL "$(printf '%s' "$UPGRADE_TEST_PG" | sed 's/Database=[^;]*/Database=upg_examples2/')"
pg 'DROP DATABASE upg_examples2' >/dev/null
my 'DROP DATABASE IF EXISTS upg_examples2; CREATE DATABASE upg_examples2' >/dev/null
examples_on MariaDB "$(printf '%s' "$UPGRADE_TEST_MARIADB" | sed 's/Database=[^;]*/Database=upg_examples2/')"
my 'DROP DATABASE upg_examples2' >/dev/null

pg 'DROP DATABASE upg_examples' >/dev/null
my 'DROP DATABASE shop' >/dev/null
finish
