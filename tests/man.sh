#!/bin/sh
# SPDX-License-Identifier: MIT
# man.sh - the manual: every page is mandoc -Tlint -Wstyle and groff -ww
# clean, every exported function has a page that documents it, and the
# example programs of libupgrade(3), upgrade_conn_new(3) and
# upgrade_runner_new(3) compile against the headers and run against SQLite.
. "$top_srcdir/tests/lib.sh"

MANDOC=${MANDOC:-mandoc}
if ! command -v "$MANDOC" >/dev/null 2>&1; then
	not_ok "mandoc is needed to check the man pages (Debian package mandoc)"
	finish
fi

# Style messages too.  Two are not the page's fault: the other pages of
# this tree are not installed yet, so mandoc cannot find them (the Xr check
# below looks for them here), and the system's mandoc.db may be stale.
for page in "$top_srcdir"/man/*.[1-9]; do
	run "$MANDOC" -Tlint -W style "$page"
	msgs=$(printf '%s\n%s\n' "$out" "$err" |
		grep -v -e 'STYLE: referenced manual not found' -e 'outdated mandoc.db' -e '^$' || :)
	if [ "$rc" -le 1 ] && [ -z "$msgs" ]; then ok "lint ${page##*/}"; else
		not_ok "lint ${page##*/} (exit $rc)" "$msgs"; fi
done

# groff formats the pages for man(1) on most systems, and warns about what
# mandoc lets pass: lines it cannot break or adjust, macros misused.
GROFF=${GROFF:-groff}
if command -v "$GROFF" >/dev/null 2>&1; then
	for page in "$top_srcdir"/man/*.[1-9]; do
		run "$GROFF" -ww -mandoc -z "$page"
		if [ "$rc" -eq 0 ] && [ -z "$out$err" ]; then ok "groff -ww ${page##*/}"; else
			not_ok "groff -ww ${page##*/}" "$out" "$err"; fi
	done
else
	not_ok "groff is needed to check the man pages (Debian package groff-base)"
fi

# Every cross-reference leads somewhere: a page of this tree, a function one
# of its pages names (installed as a link), or a page of another package.
names=$(sed -n 's/^\.Nm \([a-z_0-9]*\).*/\1/p' "$top_srcdir"/man/*.3 | sort -u)
grep -ho '^\.Xr [^ ]* [0-9]' "$top_srcdir"/man/*.[1-9] | sort -u | while read -r _ name sec; do
	if [ -f "$top_srcdir/man/$name.$sec" ]; then
		ok "Xr $name $sec: a page of this tree"
	elif [ "$sec" = 3 ] && printf '%s\n' "$names" | grep -qx "$name"; then
		ok "Xr $name $sec: named in a page of this tree"
	else
		case "$name($sec)" in
		"fnmatch(3)" | "strcmp(3)" | "xmllint(1)" | "odbcinst(1)" | "isql(1)" | "dot(1)" | \
			"pkg-config(1)" | "sqlite3(1)" | "psql(1)" | "mariadb(1)" | "fcntl(2)" | "dlopen(3)")
			ok "Xr $name $sec: another package's page" ;;
		*) not_ok "Xr $name $sec leads nowhere: no such page here, no function of that name" ;;
		esac
	fi
done >"$T_TMP/xr"
cat "$T_TMP/xr"
t_pass=$((t_pass + $(grep -c '^ok' "$T_TMP/xr")))
t_fail=$((t_fail + $(grep -c '^FAIL' "$T_TMP/xr")))

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

# extract PAGE NAME: the example program of man/PAGE, as a reader sees it
# (from the first #include after EXAMPLES to "Build it with"), into
# $T_TMP/NAME.c.
extract() {
	"$MANDOC" -Tascii "$top_srcdir/man/$1" | sed 's/.\x08//g' |
		awk '/^EXAMPLES/ { ex = 1 } ex && /^     #include/ { on = 1 } /^     Build it with/ { exit } on { sub(/^     /, ""); print } ' \
		>"$T_TMP/$2.c"
}
extracted() { # NAME PAGE PATTERN...: every pattern is in $T_TMP/NAME.c
	f=$T_TMP/$1.c
	what="example extracted from $2"
	shift 2
	for p in "$@"; do
		if ! grep -q -- "$p" "$f"; then not_ok "$what: no /$p/" "$(cat "$f")"; return; fi
	done
	ok "$what"
}
# build NAME: compiles $T_TMP/NAME.c into $T_TMP/NAME against the headers
# and the built library.
build() {
	run ${CC:-cc} ${SAN_CFLAGS:-} -std=c99 -Wall -Werror -I"$top_srcdir/include" -I"$top_builddir/include" \
		"$T_TMP/$1.c" -o "$T_TMP/$1" -L"$top_builddir/.libs" -lupgrade
}
# example NAME ARG...: runs the built example NAME with the built library.
example() {
	name=$1
	shift
	run env LD_LIBRARY_PATH="$top_builddir/.libs" "$T_TMP/$name" "$@"
}

# The libupgrade(3) example.
extract libupgrade.3 example
extracted example "libupgrade(3)" 'int$' 'upgrade_runner_run'
build example
expect_rc 0 "the libupgrade(3) example compiles"
if [ "$rc" -eq 0 ]; then
	example example "$T_TMP/example.db"
	expect_rc 0 "the libupgrade(3) example runs"
	expect_out '^SQLite 3\.[0-9.]+, dialect sqlite$' "the example describes SQLite"
	expect_out '^done: example:Create notes$' "the example's always-run task creates its table"
	expect_out '^executed 1 tasks$' "the C task did nothing and is not counted"
	example example "$T_TMP/example.db"
	expect_rc 0 "the libupgrade(3) example runs again"
	expect_out '^executed 0 tasks$' "the second run has nothing to do"
	[ "$(sqlite3 "$T_TMP/example.db" "SELECT count(*) FROM sqlite_master WHERE name = 'notes'")" = 1 ] &&
		ok "the example's table exists" || not_ok "the example's table exists"
	# The text before the program says what the runs print, as checked above.
	said=$("$MANDOC" -Tascii "$top_srcdir/man/libupgrade.3" | sed 's/.\x08//g' |
		awk '/^EXAMPLES/ { on = 1; next } on && /^     #include/ { exit } on' | tr -s ' \n' '  ')
	for printed in 'done: example:Create notes' 'executed 1 tasks' 'executed 0 tasks'; do
		case $said in
		*"$printed"*) ok "libupgrade(3) says the example prints '$printed'" ;;
		*) not_ok "libupgrade(3) does not say the example prints '$printed'" "$said" ;;
		esac
	done
fi

# The upgrade_conn_new(3) example: a new SQLite file, then the connection
# string it reports, then connections that fail.
extract upgrade_conn_new.3 conninfo
extracted conninfo "upgrade_conn_new(3)" '^main(' 'upgrade_conn_connect_sqlite' 'upgrade_conn_free'
build conninfo
expect_rc 0 "the upgrade_conn_new(3) example compiles"
if [ "$rc" -eq 0 ]; then
	example conninfo "$T_TMP/conn.db"
	expect_rc 0 "the upgrade_conn_new(3) example connects to a new SQLite file"
	expect_out '^engine: SQLite 3\.[0-9.]+$' "it names the engine"
	expect_out '^dialect: sqlite$' "it names the dialect"
	expect_out '^capability: transactional-ddl$' "it lists the capabilities"
	expect_out '^quoted: "order items"$' "it quotes an identifier"
	[ -f "$T_TMP/conn.db" ] && ok "the SQLite file was created" || not_ok "the SQLite file was created"
	connstr=$(printf '%s\n' "$out" | sed -n 's/^connection: //p')
	case $connstr in
	*"Database=$T_TMP/conn.db"*) ok "it shows the connection string" ;;
	*) not_ok "it shows the connection string" "$out" ;;
	esac
	example conninfo "$connstr"
	expect_rc 0 "the example connects again with that connection string"
	expect_out '^dialect: sqlite$' "to the same engine"
	example conninfo 'DSN=upgrade-no-such-dsn;UID=app;PWD=secret123'
	expect_rc 1 "the example fails for an unknown data source"
	expect_err '^cannot connect \(database error\): .*DSN=upgrade-no-such-dsn;UID=app;PWD=\*\*\*' \
		"it reports the failure with the password hidden"
	expect_err '\[IM002\]' "with the driver manager's diagnostic"
	expect_err '^odbcinst -q -s lists the data sources$' "and its hint for SQLSTATE IM002"
	expect_no 'secret123' "the password appears nowhere"
	example conninfo "$T_TMP/a;b.db"
	expect_rc 1 "the example refuses an SQLite file name with ';'"
	expect_err '^cannot connect \(invalid argument\): ' "as an invalid argument"
	example conninfo
	expect_rc 2 "the example wants one argument"
fi

# The upgrade_runner_new(3) example, on a catalog that grows: a first
# release, a second that adds a task, a third whose new task fails.
extract upgrade_runner_new.3 migrate
extracted migrate "upgrade_runner_new(3)" '^main(' 'upgrade_runner_run' 'upgrade_runner_status' 'upgrade_runner_free'
build migrate
expect_rc 0 "the upgrade_runner_new(3) example compiles"
if [ "$rc" -eq 0 ]; then
	mkdir "$T_TMP/v1" "$T_TMP/v2" "$T_TMP/v3"
	cat >"$T_TMP/v1/shop.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="shop">
  <task name="Create items" always-run="true">
    <only-if><not><has-table table="items"/></not></only-if>
    <sql>CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)</sql>
  </task>
</module>
EOF
	sed '/^<\/module>/i\  <task name="Add price"><sql>ALTER TABLE items ADD COLUMN price INTEGER</sql></task>' \
		"$T_TMP/v1/shop.xml" >"$T_TMP/v2/shop.xml"
	sed '/^<\/module>/i\  <task name="Fill stock"><sql>INSERT INTO stock VALUES (1)</sql></task>' \
		"$T_TMP/v2/shop.xml" >"$T_TMP/v3/shop.xml"
	db=$T_TMP/shop.db
	has_price() { sqlite3 "$db" "SELECT count(*) FROM pragma_table_info('items') WHERE name = 'price'"; }

	example migrate -s "$db" "$T_TMP/v1"
	expect_rc 0 "the upgrade_runner_new(3) example reports the state of a new database"
	expect_out '^main: shop:Create items: new module$' "through the status callback"
	example migrate "$db" "$T_TMP/v1"
	expect_rc 0 "the example runs the first release"
	expect_out '^main: recorded 1 tasks of shop as done$' "the new module is recorded"
	expect_out '^main: done shop:Create items$' "its always-run task creates the table"
	expect_out '^executed 1 tasks$' "and is counted"
	example migrate "$db" "$T_TMP/v1"
	expect_rc 0 "the example runs the first release again"
	[ "$out" = "executed 0 tasks" ] && ok "with nothing to do" || not_ok "with nothing to do" "$out"

	example migrate -s "$db" "$T_TMP/v2"
	expect_rc 0 "the example reports the state for the second release"
	[ "$out" = "main: shop:Add price: pending" ] && ok "only the new task is pending" ||
		not_ok "only the new task is pending" "$out"
	example migrate -n "$db" "$T_TMP/v2"
	expect_rc 0 "the example makes a dry run"
	expect_out '^main: done shop:Add price \(rolled back\)$' "the new task is executed and rolled back"
	expect_out '^would execute 1 tasks$' "and counted"
	[ "$(has_price)" = 0 ] && ok "the dry run left the table alone" || not_ok "the dry run left the table alone"
	example migrate "$db" "$T_TMP/v2"
	expect_rc 0 "the example runs the second release"
	expect_out '^main: done shop:Add price$' "the new task runs"
	expect_out '^executed 1 tasks$' "alone"
	[ "$(has_price)" = 1 ] && ok "the column was added" || not_ok "the column was added"
	example migrate "$db" "$T_TMP/v2"
	expect_rc 0 "the example runs the second release again"
	expect_out '^executed 0 tasks$' "with nothing more to do"

	example migrate "$db" "$T_TMP/v3"
	expect_rc 1 "the example fails when a task fails"
	expect_err '^main: shop:Fill stock failed at action 1 of 1$' "the event callback reports the task"
	expect_err 'no such table: stock' "the runner's message says why"
	example migrate -s "$db" "$T_TMP/v3"
	expect_rc 0 "the example reports the state after the failure"
	[ "$out" = "main: shop:Fill stock: pending" ] && ok "the failed task stays pending" ||
		not_ok "the failed task stays pending" "$out"

	printf '<module' >"$T_TMP/bad.xml"
	example migrate "$db" "$T_TMP/bad.xml"
	expect_rc 1 "the example refuses a broken catalog"
	expect_err "bad\.xml:[0-9]+: error: " "and says where it is broken"
fi

finish
