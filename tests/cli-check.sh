#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-check.sh - bad attributes of conditions and operations are found when
# the catalog loads (catalog-check.c), not against a live database: one bad
# catalog per element, each refused by `validate` and by `run` with its
# FILE:LINE, every problem of a file reported; what a dialect lacks is
# found by `validate --dialect` and, without it, for every dialect the
# catalog names.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
unset UPGRADE_CONNECT UPGRADE_TASKS_PATH

# bad NAME LINE2: a module whose task holds LINE2 on line 3 of the file.
bad() {
	mkdir -p "$T_TMP/$1"
	printf '<module %s name="chk">\n<task name="T">\n%s\n</task></module>\n' "$NS" "$2" >"$T_TMP/$1/chk.xml"
}
# refused NAME PATTERN: validate and run both exit 4 naming chk.xml:3, and run creates no database.
refused() {
	run "$UPGRADE" validate -T "$T_TMP/$1"
	if [ "$rc" -eq 4 ] && printf '%s\n' "$err" | grep -Eq "/$1/chk\.xml:3: error: chk:T: $2"; then
		ok "$1: refused by validate at chk.xml:3"
	else
		not_ok "$1: validate exit $rc, want 4 and chk.xml:3: $2" "stderr: $err"
	fi
	run "$UPGRADE" -T "$T_TMP/$1" -d "$T_TMP/$1.db" run
	if [ "$rc" -eq 4 ] && [ ! -e "$T_TMP/$1.db" ]; then
		ok "$1: run refuses it before opening a database"
	else
		not_ok "$1: run exit $rc, want 4 and no database file" "stderr: $err"
	fi
}

g() { printf '<only-if>%s</only-if><sql>SELECT 1</sql>' "$1"; }
bad has-table "$(g '<has-table table=""/>')"
refused has-table '<has-table table>: an empty name'
bad has-view "$(g '<has-view view=""/>')"
refused has-view '<has-view view>: an empty name'
bad has-column "$(g '<has-column table="t" column=""/>')"
refused has-column '<has-column column>: an empty name'
bad has-index "$(g '<has-index name=""/>')"
refused has-index '<has-index name>: an empty name'
bad has-constraint "$(g '<has-constraint table="" name="c"/>')"
refused has-constraint '<has-constraint table>: an empty name'
bad has-enum "$(g '<has-enum name=""/>')"
refused has-enum '<has-enum name>: an empty name'
bad is-empty-table "$(g '<is-empty-table table=""/>')"
refused is-empty-table '<is-empty-table table>: an empty name'
bad schemas-include "$(g '<schemas-include name=""/>')"
refused schemas-include '<schemas-include name>: an empty name'
bad schema-count "$(g '<schema-count min="0" max="2000000000"/>')"
refused schema-count "<schema-count max>: '2000000000' is not a number in range"
bad assert '<assert message=""><has-table table="t"/></assert>'
refused assert '<assert message>: empty'
bad step '<step><only-if><has-table table=""/></only-if><sql>SELECT 1</sql></step>'
refused step '<has-table table>: an empty name'
bad create-table '<create-table name=""><column name="id" type="integer"/></create-table>'
refused create-table '<create-table name>: an empty name'
bad column '<create-table name="t"><column name="" type="integer"/></create-table>'
refused column '<column name>: an empty name'
bad drop-table '<drop-table name=""/>'
refused drop-table '<drop-table name>: an empty name'
bad rename-table '<rename-table from="a" to=""/>'
refused rename-table '<rename-table to>: an empty name'
bad add-column '<add-column table="t" name="" type="text"/>'
refused add-column '<add-column name>: an empty name'
bad drop-column '<drop-column table="" name="c"/>'
refused drop-column '<drop-column table>: an empty name'
bad rename-column '<rename-column table="t" from="" to="b"/>'
refused rename-column '<rename-column from>: an empty name'
bad alter-column '<alter-column table="t" name="c" using=""/>'
refused alter-column '<alter-column using>: empty'
bad create-index '<create-index name="i" table="t" columns="a,,b"/>'
refused create-index "<create-index columns>: 'a,,b' has an empty name in the list"
bad drop-index '<drop-index name=""/>'
refused drop-index '<drop-index name>: an empty name'
bad add-unique '<add-unique table="t" name="u" columns=" , a"/>'
refused add-unique "<add-unique columns>: ' , a' has an empty name in the list"
bad add-foreign-key '<add-foreign-key table="t" name="f" columns="a" ref-table="r" ref-columns=""/>'
refused add-foreign-key "<add-foreign-key ref-columns>: '' has an empty name in the list"
bad add-check '<add-check table="t" name="c" expression=""/>'
refused add-check '<add-check expression>: empty'
bad drop-constraint '<drop-constraint table="t" name=""/>'
refused drop-constraint '<drop-constraint name>: an empty name'
bad create-enum '<create-enum name="" dialect="postgresql"><value>a</value></create-enum>'
refused create-enum '<create-enum name>: an empty name'
bad add-enum-value '<add-enum-value name="e" value="" dialect="postgresql"/>'
refused add-enum-value '<add-enum-value value>: empty'

# Placeholders are checked as substituted: the schema sees only ${...}.
mkdir -p "$T_TMP/param"
cat >"$T_TMP/param/chk.xml" <<XML
<module $NS name="chk"><param name="cols" default="a,,b"/><param name="tbl" default=""/>
<task name="T">
<create-index name="i" table="\${tbl}" columns="\${cols}"/>
</task></module>
XML
run "$UPGRADE" validate -T "$T_TMP/param"
expect_rc 4 "placeholders: refused"
expect_err "/param/chk\.xml:3: error: chk:T: <create-index table>: an empty name" "placeholders: the substituted table is empty"
expect_err "/param/chk\.xml:3: error: chk:T: <create-index columns>: 'a,,b' has an empty name" "placeholders: the substituted list has an empty name"
run "$UPGRADE" -D cols=a,b -D tbl=t validate -T "$T_TMP/param"
expect_rc 0 "placeholders: -D values make the catalog valid"

# Every problem of a file, not only the first.
mkdir -p "$T_TMP/many"
cat >"$T_TMP/many/chk.xml" <<XML
<module $NS name="chk"><task name="T">
<drop-table name=""/>
<create-index name="" table="t" columns="a,"/>
</task></module>
XML
run "$UPGRADE" validate -T "$T_TMP/many"
expect_rc 4 "many: refused"
expect_lines 3 err "many: three problems, three lines"
expect_err "chk\.xml:2: error: chk:T: <drop-table name>: an empty name" "many: the first"
expect_err "chk\.xml:3: error: chk:T: <create-index name>: an empty name" "many: the second"
expect_err "chk\.xml:3: error: chk:T: <create-index columns>: 'a,' has an empty name in the list" "many: the third"

# What a dialect lacks: enumerations, long names.
long=abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij
mkdir -p "$T_TMP/dialect"
cat >"$T_TMP/dialect/chk.xml" <<XML
<module $NS name="chk"><task name="T">
<create-enum name="e" dialect="postgresql sqlite"><value>a</value></create-enum>
<choose>
<when dialect="mysql"><create-table name="$long"><column name="id" type="integer"/></create-table></when>
<otherwise><create-table name="short"><column name="id" type="integer"/></create-table></otherwise>
</choose>
</task></module>
XML
run "$UPGRADE" validate -T "$T_TMP/dialect"
expect_rc 4 "dialects named: refused"
expect_err "chk\.xml:2: error: chk:T: <create-enum>: sqlite has no enumerations; use <add-check> instead" "dialects named: SQLite has no enums"
expect_err "chk\.xml:4: error: chk:T: <create-table name>: the name '$long' is longer than mysql keeps \(64 characters\)" "dialects named: the MySQL name is too long"
expect_lines 2 err "dialects named: postgresql has enums; SQLite and PostgreSQL take the short name"
run "$UPGRADE" validate --dialect postgresql -T "$T_TMP/dialect"
expect_rc 0 "--dialect postgresql: valid"
run "$UPGRADE" validate --dialect mysql -T "$T_TMP/dialect"
expect_rc 4 "--dialect mysql: refused"
expect_lines 1 err "--dialect mysql: only the long name (the enum is not for mysql)"

# SQL a driver cannot take as written: sqliteodbc and a ? in a comment.
mkdir -p "$T_TMP/qmark"
cat >"$T_TMP/qmark/chk.xml" <<XML
<module $NS name="chk"><task name="T">
<only-if><query>SELECT 1 FROM t WHERE a = ?</query></only-if>
<sql dialect="sqlite">UPDATE t SET a = 'why?' -- really?
</sql>
</task></module>
XML
run "$UPGRADE" validate -T "$T_TMP/qmark"
expect_rc 4 "? in a comment: refused for SQLite, which the catalog names"
expect_err "chk\.xml:3: error: chk:T: <sql>: sqlite cannot send it as written: sqliteodbc takes a \? in a comment for a parameter marker" "? in a comment: why, and what to do"
expect_err "chk\.xml:2: error: chk:T: <query>: sqlite cannot send it as written: a \? outside quotes is a parameter marker" "? outside quotes: why, and what to do"
run "$UPGRADE" validate --dialect postgresql -T "$T_TMP/qmark"
expect_rc 0 "? for PostgreSQL: valid (it goes as written there)"
run "$UPGRADE" validate --dialect mysql -T "$T_TMP/qmark"
expect_rc 4 "? for MariaDB: refused"
expect_err "chk\.xml:2: error: chk:T: <query>: mysql cannot send it as written: Connector/ODBC takes a \? outside quotes" "? for MariaDB: why"
expect_lines 1 err "? for MariaDB: the <sql> for SQLite is not checked"

# A command that runs the catalog checks it for the engine it reached,
# before anything is written (it used to reach the task and fail there).
rm -f "$T_TMP/q.db"
run "$UPGRADE" -T "$T_TMP/qmark" -d "$T_TMP/q.db" run
expect_rc 4 "SQLite: run refuses what SQLite cannot take"
expect_err "chk\.xml:3: error: chk:T: <sql>: sqlite cannot send it as written" "SQLite: run says why, as validate"
[ ! -e "$T_TMP/q.db" ] && ok "SQLite: the refused run left no database file" ||
	not_ok "SQLite: the refused run left a file" "$(ls -l "$T_TMP/q.db")"
# A link to a file not there yet is the user's: it stays.
mkdir -p "$T_TMP/data"
rm -f "$T_TMP/link.db"
ln -s "$T_TMP/data/target.db" "$T_TMP/link.db"
run "$UPGRADE" -T "$T_TMP/qmark" -d "$T_TMP/link.db" run
expect_rc 4 "SQLite: run refuses it through a link"
[ -L "$T_TMP/link.db" ] && ok "SQLite: the user's link stays" || not_ok "SQLite: the refused run removed the link"
# A file that was there already stays, written or not.
: >"$T_TMP/q.db"
run "$UPGRADE" -T "$T_TMP/qmark" -d "$T_TMP/q.db" run
expect_rc 4 "SQLite: run refuses it on an empty file of the user's"
[ -f "$T_TMP/q.db" ] && ok "SQLite: the user's empty file stays" ||
	not_ok "SQLite: the refused run removed the user's file"
[ "$(sqlite3 "$T_TMP/q.db" "SELECT count(*) FROM sqlite_master")" = 0 ] &&
	ok "SQLite: the refused run wrote nothing" ||
	not_ok "SQLite: the refused run wrote" "$(sqlite3 "$T_TMP/q.db" .schema)"
run "$UPGRADE" -T "$T_TMP/qmark" -d "$T_TMP/q.db" status
expect_rc 0 "SQLite: status of that catalog still answers (it runs nothing)"

# Names longer than the state tables hold: 255 characters a module and 500
# a task on MariaDB and MySQL (their state write failed after the task).
mkdir -p "$T_TMP/names"
lm=$(printf 'm%.0s' $(seq 256))
lt=$(printf 'é%.0s' $(seq 501))
printf '<module %s name="%s"><task name="%s"><sql>CREATE TABLE n1 (a INTEGER)</sql></task><task name="ok"><sql>SELECT 1</sql></task></module>\n' \
	"$NS" "$lm" "$lt" >"$T_TMP/names/n.xml"
run "$UPGRADE" validate --dialect mysql -T "$T_TMP/names"
expect_rc 4 "MySQL: names longer than the state tables hold"
expect_err "n\.xml:1: error: $lm: the module name is 256 characters long; MariaDB / MySQL's state table holds 255" \
	"MySQL: the module's name, in characters"
expect_err "n\.xml:1: error: $lm:$lt: the task name is 501 characters long; MariaDB / MySQL's state table holds 500" \
	"MySQL: the task's name, in characters (1,002 bytes of UTF-8)"
run "$UPGRADE" validate --dialect postgresql -T "$T_TMP/names"
expect_rc 0 "PostgreSQL: no limit on those names"
# SQL Server's NVARCHAR(200) holds 200 UTF-16 units: a character beyond the
# Basic Multilingual Plane takes two, so 101 of them do not fit.
mkdir -p "$T_TMP/names16"
t16=$(printf '\360\237\230\200%.0s' $(seq 101))
t16ok=$(printf '\360\237\230\200%.0s' $(seq 100))
printf '<module %s name="m"><task name="%s"><sql>SELECT 1</sql></task><task name="%s"><sql>SELECT 2</sql></task></module>\n' \
	"$NS" "$t16" "$t16ok" >"$T_TMP/names16/n.xml"
run "$UPGRADE" validate --dialect mssql -T "$T_TMP/names16"
expect_rc 4 "SQL Server: a name over 200 UTF-16 units"
expect_err "n\.xml:1: error: m:$t16: the task name is 202 UTF-16 units long; Microsoft SQL Server's state table holds 200" \
	"SQL Server: counted in UTF-16 units (101 characters)"
n=$(grep -c "error:" "$T_TMP/err")
[ "$n" = 1 ] && ok "SQL Server: 100 such characters fit" || not_ok "SQL Server: $n errors" "$err"
run "$UPGRADE" validate --dialect mysql -T "$T_TMP/names16"
expect_rc 0 "MySQL: 101 characters beyond the BMP are 101 of its 500"
if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_chk_names; CREATE DATABASE upg_chk_names' >/dev/null
	run "$UPGRADE" -T "$T_TMP/names" -c "$UPGRADE_TEST_MARIADB" run --schema upg_chk_names
	expect_rc 4 "MariaDB: run refuses names its state tables cannot hold"
	got=$($UPGRADE_TEST_MARIADB_ADMIN -N -e "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_chk_names'")
	[ "$got" = 0 ] && ok "MariaDB: the refused run wrote nothing" ||
		not_ok "MariaDB: the refused run left $got tables"
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE upg_chk_names' >/dev/null
fi

finish
