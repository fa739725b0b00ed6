#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-install.sh - install blocks, on SQLite, PostgreSQL and MariaDB:
#  - the shipped examples hold them honest: a database installed at the
#    first release (tests/catalogs/examples-r1) and upgraded to
#    tasks/examples has the schema of one installed from tasks/examples
#    (tables, columns, types, nullability, indexes, views, constraints
#    from the engine's catalog);
#  - an install and the recording of its tasks are one: a failed install
#    leaves nothing on engines with transactional DDL, and is reported
#    partly applied and resumable on MariaDB;
#  - status says "will install" or "will be recorded"; list, graph, JSON
#    and dry runs show the block; the baseline command installs nothing;
#  - check-install makes the release comparison in temporary SQLite files.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
EX=$top_srcdir/tasks/examples
R1=$top_srcdir/tests/catalogs/examples-r1
mkdir "$T_TMP/w" && cd "$T_TMP/w" || exit 1

same() { # label a b
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1" "$(printf '%s\n' "$2" >a.txt; printf '%s\n' "$3" >b.txt; diff a.txt b.txt)"; fi
}

# ---- catalogs -----------------------------------------------------------------------------
mkdir -p good bad plain
cat >good/shop.xml <<EOF
<module $NS name="shop">
  <install>
    <sql>CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(100))</sql>
    <sql>CREATE INDEX ix_people_email ON people (email)</sql>
  </install>
  <task name="Create people"><sql>CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50))</sql></task>
  <task name="Add email"><add-column table="people" name="email" type="varchar" length="100"/></task>
  <task name="Index email"><sql>CREATE INDEX ix_people_email ON people (email)</sql></task>
</module>
EOF
# The second statement fails until the table "missing" exists.
cat >bad/shop.xml <<EOF
<module $NS name="shop">
  <install>
    <sql>CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(100))</sql>
    <sql>INSERT INTO missing (id) VALUES (1)</sql>
    <sql>CREATE INDEX ix_people_email ON people (email)</sql>
  </install>
  <task name="Create people"><sql>CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50))</sql></task>
</module>
EOF
printf '<module %s name="plain"><task name="One"><sql>SELECT 1</sql></task></module>\n' "$NS" >plain/plain.xml

# ---- without a database -----------------------------------------------------------------
run "$UPGRADE" -T good list
expect_out '^shop \(install\) \[install\]$' "list shows the install block"
run "$UPGRADE" -T good --format json list
expect_out '"install":true' "list JSON says the module has an install block"
run "$UPGRADE" -T good graph
expect_out '"shop \(install\)" \[label="install"' "graph draws the install block"
printf '<module %s name="x"><task name="(install)"><sql>SELECT 1</sql></task></module>\n' "$NS" >reserved.xml
run "$UPGRADE" -T reserved.xml validate
expect_rc 4 "a task named (install) is refused"
expect_err "reserved for the module's install block" "and the message says why"
printf '<module %s name="x"><install><only-if><has-table table="t"/></only-if><sql>SELECT 1</sql></install></module>\n' "$NS" >guard.xml
run "$UPGRADE" -T guard.xml validate
expect_rc 4 "an install block has no guard"
printf '<module %s name="x"><install><choose><when dialect="postgresql"><sql>SELECT 1</sql></when></choose></install><task name="t"><sql>SELECT 1</sql></task></module>\n' "$NS" >dialect.xml
run "$UPGRADE" -T dialect.xml --dialect postgresql validate
expect_rc 0 "validate --dialect: an install block with SQL for the dialect"
run "$UPGRADE" -T dialect.xml --dialect sqlite validate
expect_rc 4 "validate --dialect checks install blocks too"
expect_err '^.*dialect\.xml:1: error: x \(install\): ' "and names the install block"

# ---- the examples: release 1 upgraded equals release 2 installed ---------------------------
# upgraded label fresh-args... -- upgraded-args...: runs both and checks them.
examples() { # label dump-fn upgraded-conn-args -- fresh-conn-args (as two strings)
	label=$1
	dump=$2
	up=$3
	fresh=$4
	# shellcheck disable=SC2086 # connection and schema options
	run "$UPGRADE" -T "$R1" run $up
	expect_rc 0 "$label: install at release 1"
	expect_out '^\* demo.accounts \(install\)$' "$label: release 1 installs demo.accounts"
	# shellcheck disable=SC2086
	run "$UPGRADE" -T "$EX" status --check $up
	expect_rc 1 "$label: release 2 is pending on the release 1 database"
	# shellcheck disable=SC2086
	run "$UPGRADE" -T "$EX" run $up
	expect_rc 0 "$label: upgrade to release 2"
	expect_out '^\* demo.accounts:Add display name$' "$label: the upgrade runs the new tasks"
	expect_out '^\* demo.reports \(install\)$' "$label: and installs the new module"
	# shellcheck disable=SC2086
	run "$UPGRADE" -T "$EX" run $fresh
	expect_rc 0 "$label: install release 2 fresh"
	expect_out '^\* demo.billing \(install\)$' "$label: the fresh database is installed"
	expect_no 'Add display name' "$label: the fresh install runs no old task"
	for args in "$up" "$fresh"; do
		# shellcheck disable=SC2086
		run "$UPGRADE" -T "$EX" status --check $args
		expect_rc 0 "$label: nothing pending afterwards ($args)"
		# shellcheck disable=SC2086
		run "$UPGRADE" -T "$EX" run $args
		expect_out '^no pending upgrade tasks found$' "$label: a second run has nothing to do ($args)"
	done
	a=$($dump up)
	b=$($dump fresh)
	[ -n "$a" ] && ok "$label: the schema dump is not empty" || not_ok "$label: empty schema dump"
	same "$label: upgraded and fresh schemas are the same" "$a" "$b"
	$dump up | grep -q 'ix_users_email' && ok "$label: the index of \"Index email\" exists" ||
		not_ok "$label: no ix_users_email"
}

sqlite_dump() {
	sqlite3 "$1.db" "SELECT 'column', m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'upgrade%' AND m.name NOT LIKE 'sqlite%' ORDER BY 2, 3;
		SELECT 'index', m.tbl_name, il.name, il.\"unique\", ii.name FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii WHERE m.type = 'table' AND m.name NOT LIKE 'upgrade%' AND m.name NOT LIKE 'sqlite%' ORDER BY 2, 3, 5;
		SELECT 'fk', m.name, f.\"table\", f.\"from\", f.\"to\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY 2, 3, 4;
		SELECT type, name FROM sqlite_master WHERE type = 'view' ORDER BY 2"
}
: >up.db
: >fresh.db
examples SQLite sqlite_dump "-d up.db" "-d fresh.db"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -tA -c "$1" 2>&1; }
	pg 'DROP SCHEMA IF EXISTS upg_i_up CASCADE; DROP SCHEMA IF EXISTS upg_i_fresh CASCADE;
	    CREATE SCHEMA upg_i_up AUTHORIZATION upgrade; CREATE SCHEMA upg_i_fresh AUTHORIZATION upgrade' >/dev/null
	pg_dump_schema() {
		s=upg_i_$1
		pg "SELECT 'column', table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable FROM information_schema.columns WHERE table_schema = '$s' AND table_name NOT LIKE 'upgrade%' ORDER BY 2, 3;
			SELECT 'index', tablename, indexname, replace(indexdef, '$s.', '') FROM pg_indexes WHERE schemaname = '$s' AND tablename NOT LIKE 'upgrade%' ORDER BY 2, 3;
			SELECT 'constraint', conrelid::regclass::text, conname, contype, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = '$s' AND conrelid::regclass::text NOT LIKE '%upgrade%' ORDER BY 3;
			SELECT 'view', table_name FROM information_schema.views WHERE table_schema = '$s' ORDER BY 2" |
			sed "s/$s\\.//g"
	}
	examples PG pg_dump_schema "-c $UPGRADE_TEST_PG --schema upg_i_up" \
		"-c $UPGRADE_TEST_PG --schema upg_i_fresh"
	pg 'DROP SCHEMA upg_i_up CASCADE; DROP SCHEMA upg_i_fresh CASCADE' >/dev/null
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
	my 'DROP DATABASE IF EXISTS upg_i_up; DROP DATABASE IF EXISTS upg_i_fresh;
	    CREATE DATABASE upg_i_up; CREATE DATABASE upg_i_fresh' >/dev/null
	my_dump_schema() {
		s=upg_i_$1
		my "SELECT 'column', table_name, column_name, column_type, is_nullable FROM information_schema.columns WHERE table_schema = '$s' AND table_name NOT LIKE 'upgrade%' ORDER BY 2, 3;
			SELECT 'index', table_name, index_name, non_unique, column_name FROM information_schema.statistics WHERE table_schema = '$s' AND table_name NOT LIKE 'upgrade%' ORDER BY 2, 3, 5;
			SELECT 'constraint', table_name, constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_schema = '$s' AND table_name NOT LIKE 'upgrade%' ORDER BY 2, 3;
			SELECT 'view', table_name FROM information_schema.views WHERE table_schema = '$s' ORDER BY 2"
	}
	# The connection strings have no blanks, so they pass as words.
	examples MariaDB my_dump_schema "-c $UPGRADE_TEST_MARIADB --schema upg_i_up" \
		"-c $UPGRADE_TEST_MARIADB --schema upg_i_fresh"
	my 'DROP DATABASE upg_i_up; DROP DATABASE upg_i_fresh' >/dev/null
fi

# ---- check-install: the same comparison, as a command for package builds ---------------------
mkdir -p "$T_TMP/ck"
run env TMPDIR="$T_TMP/ck" "$UPGRADE" -T "$EX" check-install --from "$R1"
expect_rc 0 "check-install: the examples' install blocks match their tasks"
expect_out '^install blocks match the tasks' "check-install says so"
[ -z "$(ls -A "$T_TMP/ck")" ] && ok "check-install leaves no temporary file" || not_ok "check-install left files" "$(ls -A "$T_TMP/ck")"
mkdir -p broken
cp "$EX"/*.xml broken/
sed -i '/<create-index name="ix_users_email" table="users" columns="email" unique="true"\/>/d' broken/accounts.xml
run "$UPGRADE" -T broken check-install --from "$R1"
expect_rc 4 "check-install: an install block that lacks what a task makes"
expect_err '^upgrade: error: the install blocks do not create what the tasks lead to' "check-install: one line of error"
expect_err '^    - index\|users\|ix_users_email\|1\|email$' "check-install: the difference, indented"
run "$UPGRADE" -T "$EX" check-install
expect_rc 64 "check-install without --from"
# Neither release creates a table (nor anything else the comparison lists): they agree.
mkdir -p notable
printf '<module xmlns="urn:upgrade:catalog:1" name="nt"><task name="One"><sql>SELECT 1</sql></task></module>\n' \
	>notable/nt.xml
run "$UPGRADE" -T notable check-install --from notable/nt.xml
expect_rc 0 "check-install: two releases that create nothing agree"

# ---- mark and unmark in a schema that never saw the module -----------------------------------
# Neither stands in for the module's first sight: a row they made kept its
# install block from running, and its tasks then ran on an empty schema.
rm -f unseen.db
run "$UPGRADE" -T good -d unseen.db unmark 'shop:Create people'
expect_rc 5 "unmark of a database file that is not there: nothing to forget, no file made"
[ ! -e unseen.db ] && ok "unmark made no database file" || not_ok "unmark made unseen.db"
: >unseen.db
run "$UPGRADE" -T good -d unseen.db unmark 'shop:Create people'
expect_rc 0 "unmark in a schema that never saw the module: nothing to forget"
run "$UPGRADE" -T good -d unseen.db mark 'shop:Create people'
expect_rc 64 "mark in a schema that never saw the module is refused"
expect_err "module shop was never seen in main: run it first" "mark says why, and what to do instead"
[ "$(sqlite3 unseen.db "SELECT count(*) FROM sqlite_master")" = 0 ] &&
	ok "neither wrote anything, not even the state tables" || not_ok "something was written" "$(sqlite3 unseen.db .dump)"
run "$UPGRADE" -T good -d unseen.db status
expect_out '^  new       shop:Create people  \(will install: ' "the module is still new: a run installs it"
# What sql prints is what the run sends: the install, none of the tasks it records.
run "$UPGRADE" -T good -d unseen.db sql
expect_rc 0 "sql of a module first seen"
expect_out '^-- task shop \(install\)$' "sql prints the install"
expect_no 'ALTER TABLE' "sql prints no statement of a task the install records (Add email's)"
expect_no '-- task shop:' "sql prints no task the install records"
run "$UPGRADE" -T good -d unseen.db run
expect_rc 0 "and the run installs it"
expect_out '^\* shop \(install\)$' "the install block ran"

# ---- status, dry runs, the baseline command ------------------------------------------------
: >s.db
run "$UPGRADE" -T good -T plain -d s.db status
expect_out '^  new       shop:Create people  \(will install: ' "status: a module with an install block will install"
expect_out '^  new       plain:One  \(will be recorded as done' "status: one without will be recorded"
run "$UPGRADE" -T good -d s.db --format json status
expect_out '"module":"shop".*"state":"new".*"will":"install"' "status JSON: will install"
run "$UPGRADE" -T good -d s.db run --dry-run
expect_rc 0 "SQLite: a dry run with an install block"
expect_out '^\* shop \(install\)$' "SQLite: the dry run executes the install"
[ "$(sqlite3 s.db "SELECT count(*) FROM sqlite_master")" = 0 ] && ok "SQLite: and rolls it back" ||
	not_ok "SQLite: the dry run left objects" "$(sqlite3 s.db .schema)"
run "$UPGRADE" -T good -d b.db baseline
expect_rc 0 "the baseline command on a module with an install block"
[ "$(sqlite3 b.db "SELECT count(*) FROM sqlite_master WHERE name = 'people'")" = 0 ] &&
	ok "baseline adopts: it runs no install block" || not_ok "baseline ran the install block"

# ---- a failed install --------------------------------------------------------------------------
tx_failure() { # label objects-command connection-args...
	label=$1
	objects=$2
	shift 2
	# shellcheck disable=SC2086 # $SCH is a list of options
	run "$UPGRADE" -T bad "$@" run $SCH
	expect_rc 2 "$label: a failing install"
	expect_err 'task shop \(install\) failed in .* at statement 2 of 3' "$label: names the install and the statement"
	[ "$(eval "$objects")" = 0 ] && ok "$label: the failed install left nothing, no state either" ||
		not_ok "$label: the failed install left objects" "$(eval "$objects")"
	# shellcheck disable=SC2086
	run "$UPGRADE" -T bad "$@" status --check $SCH
	expect_rc 1 "$label: the module is still new"
	expect_out 'will install' "$label: and will install"
}
SCH=
: >f.db
tx_failure SQLite "sqlite3 f.db \"SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'people') + (SELECT count(*) FROM upgrades WHERE module = 'shop')\"" -d f.db
if [ -n "${UPGRADE_TEST_PG:-}" ]; then
	pg 'DROP SCHEMA IF EXISTS upg_i_bad CASCADE; CREATE SCHEMA upg_i_bad AUTHORIZATION upgrade' >/dev/null
	SCH="--schema upg_i_bad"
	tx_failure PG "pg \"SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_i_bad' AND table_name = 'people') + (SELECT count(*) FROM upg_i_bad.upgrades WHERE module = 'shop')\"" -c "$UPGRADE_TEST_PG"
	pg 'DROP SCHEMA upg_i_bad CASCADE' >/dev/null
fi

if [ -n "${UPGRADE_TEST_MARIADB:-}" ]; then
	my 'DROP DATABASE IF EXISTS upg_i_bad; CREATE DATABASE upg_i_bad' >/dev/null
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" run --schema upg_i_bad
	expect_rc 2 "MariaDB: a failing install"
	expect_err 'task shop \(install\) failed in upg_i_bad at statement 2 of 3' "MariaDB: names the install and the statement"
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" status --check --schema upg_i_bad
	expect_rc 1 "MariaDB: status --check after a half-done install"
	expect_out '^  partial   shop:\(install\)  \(install: 1 of 3 statements committed' "MariaDB: the install is reported partly applied"
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" run --schema upg_i_bad
	expect_rc 2 "MariaDB: run does not repeat a half-done install blind"
	expect_err 'shop \(install\) is partly applied: 1 of 3 statements committed' "MariaDB: and says how far it got"
	expect_no 'upgrade mark' "MariaDB: the advice names no mark, which an install has none of"
	# A dry run answers as the run would (it planned the install and said 0).
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" run --dry-run --schema upg_i_bad
	expect_rc 2 "MariaDB: a dry run refuses the half-done install too"
	expect_err 'shop \(install\) is partly applied: 1 of 3 statements committed' "MariaDB: the dry run says why"
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" run --dry-run --resume-from 2 --schema upg_i_bad
	expect_rc 0 "MariaDB: a dry run with --resume-from plans it"
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" status --check --schema upg_i_bad
	expect_out '^  partial   shop:\(install\)  \(install: 1 of 3 statements committed' "MariaDB: the install is still partly applied"
	run "$UPGRADE" -c "$UPGRADE_TEST_MARIADB" log --schema upg_i_bad
	expect_no 'resume-from' "MariaDB: the dry run wrote nothing, not even the --resume-from"
	my 'CREATE TABLE upg_i_bad.missing (id INTEGER)' >/dev/null
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" run --resume --schema upg_i_bad
	expect_rc 0 "MariaDB: run --resume finishes the install"
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" --format json status --all --schema upg_i_bad
	expect_out '"task":"Create people","state":"executed"' "MariaDB: its tasks are recorded"
	expect_no '(install)' "MariaDB: the install's journal entry is gone"
	n=$(my "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = 'upg_i_bad' AND index_name = 'ix_people_email'")
	[ "$n" = 1 ] && ok "MariaDB: the install's last statement ran" || not_ok "MariaDB: no index after resume" "$n"
	run "$UPGRADE" -T bad -c "$UPGRADE_TEST_MARIADB" status --check --schema upg_i_bad
	expect_rc 0 "MariaDB: nothing pending after the resumed install"
	my 'DROP DATABASE IF EXISTS upg_i_dry; CREATE DATABASE upg_i_dry' >/dev/null
	run "$UPGRADE" -T good -c "$UPGRADE_TEST_MARIADB" run --dry-run --schema upg_i_dry
	expect_out '^\* shop \(install\) \(not verified' "MariaDB: a dry run lists the install, unverified"
	n=$(my "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'upg_i_dry'")
	[ "$n" = 0 ] && ok "MariaDB: the dry run created nothing" || not_ok "MariaDB: the dry run created tables" "$n"
	my 'DROP DATABASE upg_i_bad; DROP DATABASE upg_i_dry' >/dev/null
fi

finish
