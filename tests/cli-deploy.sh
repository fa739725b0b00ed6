#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-deploy.sh - what deployments and package scripts rely on, on SQLite,
# PostgreSQL and MariaDB:
#  - reading never creates anything: status, list, validate, graph, info
#    and dry runs leave no file, schema, table or lock file behind, and a
#    missing --database file is an error naming it;
#  - an empty catalog set (also after -m) is an error naming the paths;
#  - -m / UPGRADE_MODULES select modules and what they need, never another
#    package's modules sharing the directory;
#  - status --check exits 1 whenever the next run would change anything
#    (an empty database, a module never seen, a pending task, an always-run
#    task whose guard holds) and 0 only when that run finds nothing to do;
#  - a schema that does not exist is an error naming it, unless run is
#    given --create-schemas: then it is created (quoted) and upgraded.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
EX=$top_srcdir/tasks/examples
mkdir "$T_TMP/w" && cd "$T_TMP/w" || exit 1

# An always-run task creating TABLE when it is missing, for module MODULE.
create_task() { # name table [attributes]
	printf '<task name="%s" always-run="true"%s><only-if><not><has-table table="%s"/></not></only-if><sql>CREATE TABLE %s (id INTEGER)</sql></task>' \
		"$1" "${3:+ $3}" "$2" "$2"
}

# ---- 1. nothing created by reading (SQLite) -----------------------------------
for cmd in 'status' 'status --check' 'run --dry-run' 'info'; do
	# shellcheck disable=SC2086 # the command and its options
	run "$UPGRADE" -T "$EX" -d missing.db $cmd
	expect_rc 5 "SQLite: $cmd on a missing file"
	expect_err '^upgrade: error: missing\.db: no such database file' "SQLite: $cmd names the missing file"
	expect_lines 1 err "SQLite: $cmd: one line of error"
	[ ! -e missing.db ] && ok "SQLite: $cmd created no file" || not_ok "SQLite: $cmd created missing.db"
done
rm -f ./*.upgrade-lock
run "$UPGRADE" -T "$EX" list
expect_rc 0 "list needs no database"
run "$UPGRADE" -T "$EX" graph
expect_rc 0 "graph needs no database"
run "$UPGRADE" -T "$EX" validate
expect_rc 0 "validate needs no database"
[ -z "$(ls)" ] && ok "reading commands left the directory empty" || not_ok "files were created" "$(ls)"

# The writing commands do create the file.
run "$UPGRADE" -T "$EX" -d new.db run
expect_rc 0 "SQLite: run creates the database file"
[ -f new.db ] && ok "SQLite: new.db exists after run" || not_ok "SQLite: run created no file"
run "$UPGRADE" -T "$EX" -d base.db baseline
expect_rc 0 "SQLite: baseline creates the database file"
run "$UPGRADE" -T "$EX" -d mark.db mark 'demo.accounts:Index email'
expect_rc 5 "SQLite: mark does not create the database file (no module is seen in a new one)"
expect_err "mark\.db: no such database file \(only run and baseline create one\)" "SQLite: it says which do"
[ ! -e mark.db ] && ok "SQLite: mark left no file" || not_ok "SQLite: mark created mark.db"
# A dry run on an existing file writes nothing: no state table, no lock file.
sqlite3 empty.db 'CREATE TABLE keep (i INTEGER)'
before=$(sqlite3 empty.db .schema)
run "$UPGRADE" -T "$EX" -d empty.db run --dry-run
expect_rc 0 "SQLite: a dry run on a database without state"
[ "$before" = "$(sqlite3 empty.db .schema)" ] && ok "SQLite: the dry run left the schema as it was" ||
	not_ok "SQLite: the dry run changed the schema" "$(sqlite3 empty.db .schema)"
run "$UPGRADE" -T "$EX" -d empty.db status
expect_rc 0 "SQLite: status on a database without state"
[ "$before" = "$(sqlite3 empty.db .schema)" ] && ok "SQLite: status created no table" ||
	not_ok "SQLite: status changed the schema" "$(sqlite3 empty.db .schema)"
[ -z "$(ls ./*.upgrade-lock 2>/dev/null)" ] && ok "SQLite: no lock file left" || not_ok "SQLite: lock files left" "$(ls)"

# ---- 2. no catalogs is an error -----------------------------------------------------
mkdir -p none
for cmd in 'list' 'graph' 'validate' 'status' 'run' 'run --dry-run' 'baseline'; do
	# shellcheck disable=SC2086
	run "$UPGRADE" -T none -d new.db $cmd
	expect_rc 4 "no catalogs: $cmd"
	expect_err '^upgrade: error: no task catalogs found in none$' "no catalogs: $cmd names the path searched"
done
mkdir -p "$T_TMP/none2"
run env UPGRADE_TASKS_PATH="none:$T_TMP/none2" "$UPGRADE" list
expect_rc 4 "no catalogs in UPGRADE_TASKS_PATH"
expect_err "no task catalogs found in none, $T_TMP/none2\$" "every path of UPGRADE_TASKS_PATH is named"
run env UPGRADE_TASKS_PATH="::" "$UPGRADE" list
expect_rc 4 "UPGRADE_TASKS_PATH of empty entries only"
expect_err "no task catalogs found in UPGRADE_TASKS_PATH, whose entries are all empty\$" \
	"an UPGRADE_TASKS_PATH of empty entries is named as such (it said \"(null)\")"
run "$UPGRADE" -T none validate --allow-empty
expect_rc 0 "validate --allow-empty accepts no catalogs"
expect_out '^0 modules, 0 tasks: valid$' "validate --allow-empty says what it checked"

# ---- 3. module selection: two packages in one directory ---------------------------
mkdir -p shared
printf '<module %s name="lib.common">%s</module>\n' "$NS" "$(create_task 'Create common' common_t)" >shared/lib-common.xml
printf '<module %s name="lib.util">%s</module>\n' "$NS" "$(create_task 'Create util' util_t)" >shared/lib-util.xml
printf '<module %s name="lib.unused">%s</module>\n' "$NS" "$(create_task 'Create unused' unused_t)" >shared/lib-unused.xml
printf '<module %s name="pkga.app"><depends module="lib.common"/>%s%s</module>\n' "$NS" \
	"$(create_task 'Create a' a_t)" "$(create_task 'Create a2' a2_t 'requires="lib.util:Create util"')" >shared/pkga-app.xml
printf '<module %s name="pkga.extra"><depends module="pkga.app"/>%s</module>\n' "$NS" "$(create_task 'Create extra' extra_t)" >shared/pkga-extra.xml
printf '<module %s name="pkgb.app"><depends module="lib.common"/>%s</module>\n' "$NS" "$(create_task 'Create b' b_t)" >shared/pkgb-app.xml

run "$UPGRADE" -T shared -m 'pkga.*' list
expect_rc 0 "list -m 'pkga.*'"
for t in 'lib.common:Create common' 'lib.util:Create util' 'pkga.app:Create a' 'pkga.extra:Create extra'; do
	expect_out "^$t " "list -m: $t (selected or needed)"
done
expect_no 'pkgb' "list -m: not the other package's module"
expect_no 'lib.unused' "list -m: not a module nobody selected needs"
run env UPGRADE_MODULES='pkgb.app' "$UPGRADE" -T shared list
expect_out '^pkgb.app:Create b' "UPGRADE_MODULES selects pkgb.app"
expect_out '^lib.common:Create common' "UPGRADE_MODULES: and what it depends on"
expect_no 'pkga' "UPGRADE_MODULES: not pkga"
run env UPGRADE_MODULES='pkgb.app' "$UPGRADE" -T shared -m 'pkga.extra' list
expect_out '^pkga.extra:Create extra' "-m wins over UPGRADE_MODULES"
expect_no 'pkgb' "-m wins over UPGRADE_MODULES: no pkgb"
run "$UPGRADE" -T shared -m 'pkgc*' list
expect_rc 4 "-m matching nothing"
expect_err "^upgrade: error: no module matches 'pkgc\\*' in shared\$" "-m matching nothing names the pattern and the path"
run "$UPGRADE" -T shared -m 'pkga.app' graph --modules
expect_no 'pkgb' "graph -m: not pkgb"
expect_out '"module lib.util"' "graph -m: a module a task requires is in"

# The package scenario on one engine: pkga's postinst, then pkgb's.
# $SCH: the schema options of the engine's scenario.
# shellcheck disable=SC2086 # $SCH is a list of options
packages() { # label tables-command connection-args...
	label=$1
	tables=$2
	shift 2
	run "$UPGRADE" -T shared "$@" -m 'pkga.*' run $SCH
	expect_rc 0 "$label: pkga's postinst run"
	expect_no 'pkgb' "$label: pkga's run does not touch pkgb"
	got=$($tables)
	[ "$got" = "a2_t a_t common_t extra_t util_t" ] && ok "$label: pkga's modules and their needs ran" ||
		not_ok "$label: tables after pkga's run" "$got"
	run "$UPGRADE" -T shared "$@" -m 'pkga.*' status --check $SCH
	expect_rc 0 "$label: status -m 'pkga.*' --check: pkga is current"
	expect_out '^0 pending, 5 executed, 0 changed, 0 partly applied, 0 unknown, 0 in new modules$' \
		"$label: status -m counts only the selected modules"
	run "$UPGRADE" -T shared "$@" -m 'pkgb.app' --format json status --all $SCH
	expect_no '"module":"pkga' "$label: status -m pkgb.app does not report pkga's modules"
	run "$UPGRADE" -T shared "$@" -m 'pkgb*' run $SCH
	expect_rc 0 "$label: pkgb's postinst run"
	got=$($tables)
	[ "$got" = "a2_t a_t b_t common_t extra_t util_t" ] && ok "$label: pkgb's module ran" ||
		not_ok "$label: tables after pkgb's run" "$got"
	run "$UPGRADE" -T shared "$@" -m 'lib.unused' baseline $SCH
	expect_rc 0 "$label: baseline -m lib.unused"
	run "$UPGRADE" -T shared "$@" -m 'pkg*' --format json status --all $SCH
	expect_no 'lib.unused' "$label: a module outside the selection is not reported"
}


# ---- 4. the status gate ----------------------------------------------------------------
mkdir -p g1 g2 g3 g4
printf '<module %s name="gate.a">%s</module>\n' "$NS" "$(create_task 'Create gate' gate_t)" >g1/a.xml
printf '<module %s name="gate.a">%s<task name="Add row"><sql>INSERT INTO gate_t (id) VALUES (1)</sql></task></module>\n' "$NS" "$(create_task 'Create gate' gate_t)" >g2/a.xml
cp g2/a.xml g3/a.xml
printf '<module %s name="gate.b"><depends module="gate.a"/><task name="Count"><sql>SELECT 1</sql></task></module>\n' "$NS" >g3/b.xml
cp g3/*.xml g4/
printf '<module %s name="gate.c"><task name="Tidy" always-run="true"><sql>DELETE FROM gate_t WHERE id &lt; 0</sql></task></module>\n' "$NS" >g4/c.xml

gate() { # label drop-table-command connection-args...
	label=$1
	drop=$2
	shift 2
	check() { # catalog want description
		run "$UPGRADE" -T "$1" "$@" status --check $SCH
		expect_rc "$2" "$label: status --check: $3"
	}
	run "$UPGRADE" -T g1 "$@" status --check $SCH
	expect_rc 1 "$label: status --check on an empty database"
	expect_out '^0 pending, 0 executed, 0 changed, 0 partly applied, 0 unknown, 1 in new modules$' "$label: the new module is counted"
	run "$UPGRADE" -T g1 "$@" run $SCH
	expect_rc 0 "$label: the first run"
	run "$UPGRADE" -T g1 "$@" status --check $SCH
	expect_rc 0 "$label: status --check after the first run"
	run "$UPGRADE" -T g1 "$@" run $SCH
	expect_out '^no pending upgrade tasks found$' "$label: and run agrees: nothing to do"
	eval "$drop" >/dev/null
	run "$UPGRADE" -T g1 "$@" status --check $SCH
	expect_rc 1 "$label: status --check: an always-run task whose guard holds"
	expect_out '^  pending   gate.a:Create gate  \(always-run and its guard holds: the next run executes it\)$' \
		"$label: status says why the always-run task is due"
	run "$UPGRADE" -T g1 "$@" run $SCH
	expect_out '^\* gate.a:Create gate$' "$label: and run does execute it"
	run "$UPGRADE" -T g1 "$@" status --check $SCH
	expect_rc 0 "$label: status --check once the table is back"
	run "$UPGRADE" -T g2 "$@" status --check $SCH
	expect_rc 1 "$label: status --check: a pending task"
	"$UPGRADE" -q -T g2 "$@" run $SCH >/dev/null 2>&1
	run "$UPGRADE" -T g2 "$@" status --check $SCH
	expect_rc 0 "$label: status --check after the pending task ran"
	run "$UPGRADE" -T g3 "$@" status --check $SCH
	expect_rc 1 "$label: status --check: a new module in an existing database"
	"$UPGRADE" -q -T g3 "$@" run $SCH >/dev/null 2>&1
	run "$UPGRADE" -T g3 "$@" status --check $SCH
	expect_rc 0 "$label: status --check after the new module was recorded"
	run "$UPGRADE" -T g3 "$@" run $SCH
	expect_out '^no pending upgrade tasks found$' "$label: all clean: run has nothing to do"
	"$UPGRADE" -q -T g4 "$@" run $SCH >/dev/null 2>&1
	run "$UPGRADE" -T g4 "$@" status --check $SCH
	expect_rc 0 "$label: status --check: an always-run task without a guard does not fail the gate"
}


# ---- 5. schemas that do not exist --------------------------------------------------------
# The name needs quoting on both engines.
NEWS='upg_New-1'
newschema() { # label exists-command connection-args...
	label=$1
	exists=$2
	shift 2
	for cmd in 'run' 'run --dry-run' 'run --dry-run --create-schemas' 'status' 'status --check' 'baseline'; do
		# shellcheck disable=SC2086
		run "$UPGRADE" -T g1 "$@" $cmd --schema "$NEWS"
		expect_rc 5 "$label: $cmd on a schema that does not exist"
		expect_err "^upgrade: error: no schema '$NEWS' in this database" "$label: $cmd names the schema"
		expect_lines 1 err "$label: $cmd: one line"
		[ "$(eval "$exists")" = 0 ] && ok "$label: $cmd created no schema" || not_ok "$label: $cmd created the schema"
	done
	run "$UPGRADE" -T g1 "$@" run --schema "$NEWS"
	expect_err 'run --create-schemas creates it' "$label: the error tells how to create it"
	# A bad name among them: refused before any schema is created.
	run "$UPGRADE" -T g1 "$@" run --create-schemas --schema "$NEWS" --schema "$(printf 'bad\tname')"
	expect_rc 64 "$label: run --create-schemas with a bad name among the schemas"
	[ "$(eval "$exists")" = 0 ] && ok "$label: the good name was not created first" ||
		not_ok "$label: the good name was created before the bad one was refused"
	# Three runs at once, each naming the schema twice: it is created once,
	# upgraded once, and no run fails on the others' creation.
	for k in 1 2 3; do
		"$UPGRADE" -T g1 "$@" run --create-schemas --schema "$NEWS" --schema "$NEWS" \
			>"$T_TMP/create$k.out" 2>&1 &
		eval "pid$k=\$!"
	done
	for k in 1 2 3; do
		eval "wait \$pid$k" && ok "$label: run --create-schemas $k of 3 at once" ||
			not_ok "$label: run --create-schemas $k of 3 at once failed" "$(cat "$T_TMP/create$k.out")"
	done
	n=$(cat "$T_TMP/create1.out" "$T_TMP/create2.out" "$T_TMP/create3.out" | grep -c '^\* gate.a:Create gate$')
	[ "$n" = 1 ] && ok "$label: one of them upgrades the new schema" ||
		not_ok "$label: $n runs upgraded the new schema" "$(cat "$T_TMP"/create?.out)"
	[ "$(eval "$exists")" = 1 ] && ok "$label: the schema was created" || not_ok "$label: no schema was created"
	run "$UPGRADE" -T g1 "$@" status --check --schema "$NEWS"
	expect_rc 0 "$label: the created schema is current"
	run "$UPGRADE" -T g1 "$@" run --create-schemas --schema "$NEWS"
	expect_out '^no pending upgrade tasks found$' "$label: --create-schemas on an existing schema changes nothing"
}

sqlite_tables() { sqlite3 pkg.db "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'upgrade%' ORDER BY name)"; }
SCH=
packages SQLite sqlite_tables -d pkg.db
: >gate.db
gate SQLite "sqlite3 gate.db 'DROP TABLE gate_t'" -d gate.db
run "$UPGRADE" -T g1 -d gate.db run --create-schemas --schema other
expect_rc 5 "SQLite: --create-schemas cannot make another schema"
expect_err "^upgrade: error: no schema 'other': a sqlite database has one schema, 'main'\$" "SQLite: and says why"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pg() { $UPGRADE_TEST_PG_ADMIN -tA -c "$1" 2>&1; }
	pg 'DROP SCHEMA IF EXISTS upg_deploy CASCADE; CREATE SCHEMA upg_deploy AUTHORIZATION upgrade' >/dev/null
	pg_tables() { pg "SELECT string_agg(table_name, ' ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'upg_deploy' AND table_name NOT LIKE 'upgrade%'"; }
	pg_all() { pg "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'upg_deploy'"; }
	run "$UPGRADE" -T "$EX" -c "$UPGRADE_TEST_PG" status --schema upg_deploy
	expect_rc 0 "PG: status on an empty schema"
	run "$UPGRADE" -T "$EX" -c "$UPGRADE_TEST_PG" run --dry-run --schema upg_deploy
	expect_rc 0 "PG: a dry run on an empty schema"
	[ "$(pg_all)" = 0 ] && ok "PG: status and the dry run created no table" || not_ok "PG: tables were created" "$(pg_all)"
	SCH="--schema upg_deploy"
	packages PG pg_tables -c "$UPGRADE_TEST_PG"
	pg 'DROP SCHEMA upg_deploy CASCADE; CREATE SCHEMA upg_deploy AUTHORIZATION upgrade' >/dev/null
	gate PG "pg 'DROP TABLE upg_deploy.gate_t'" -c "$UPGRADE_TEST_PG"
	run "$UPGRADE" -T g1 -c "$UPGRADE_TEST_PG" status --schema upg_nosuch
	expect_rc 5 "PG: status of a schema that does not exist"
	expect_err "^upgrade: error: no schema 'upg_nosuch'" "PG: the missing schema is named"
	pg 'DROP SCHEMA upg_deploy CASCADE' >/dev/null
	pg "DROP SCHEMA IF EXISTS \"$NEWS\" CASCADE" >/dev/null
	newschema PG "pg \"SELECT count(*) FROM pg_namespace WHERE nspname = '$NEWS'\"" -c "$UPGRADE_TEST_PG"
	pg "DROP SCHEMA \"$NEWS\" CASCADE" >/dev/null
	run "$UPGRADE" -T g1 -c "$UPGRADE_TEST_PG" run --create-schemas --schema pg_catalog
	expect_rc 64 "PG: the engine's own schema is no target"
	expect_err "schema 'pg_catalog' is the engine's own: it is never upgraded" "PG: and the error says so"
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }
	my 'DROP DATABASE IF EXISTS upg_deploy; CREATE DATABASE upg_deploy' >/dev/null
	my_tables() { my "SELECT GROUP_CONCAT(table_name ORDER BY table_name SEPARATOR ' ') FROM information_schema.tables WHERE table_schema = 'upg_deploy' AND table_name NOT LIKE 'upgrade%'"; }
	my_all() { my "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'upg_deploy'"; }
	run "$UPGRADE" -T "$EX" -c "$UPGRADE_TEST_MARIADB" status --schema upg_deploy
	expect_rc 0 "MariaDB: status on an empty database"
	run "$UPGRADE" -T "$EX" -c "$UPGRADE_TEST_MARIADB" run --dry-run --schema upg_deploy
	expect_rc 0 "MariaDB: a dry run on an empty database"
	[ "$(my_all)" = 0 ] && ok "MariaDB: status and the dry run created no table" ||
		not_ok "MariaDB: tables were created" "$(my_all)"
	SCH="--schema upg_deploy"
	packages MariaDB my_tables -c "$UPGRADE_TEST_MARIADB"
	my 'DROP DATABASE upg_deploy; CREATE DATABASE upg_deploy' >/dev/null
	gate MariaDB "my 'DROP TABLE upg_deploy.gate_t'" -c "$UPGRADE_TEST_MARIADB"
	my 'DROP DATABASE upg_deploy' >/dev/null
	my "DROP DATABASE IF EXISTS \`$NEWS\`" >/dev/null
	newschema MariaDB "my \"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '$NEWS'\"" -c "$UPGRADE_TEST_MARIADB"
	my "DROP DATABASE \`$NEWS\`" >/dev/null
	# Without Database= the connection has no database of its own, where
	# raw tasks run: --schema does not stand in for it, and the error says
	# what does.
	my 'CREATE DATABASE IF NOT EXISTS upg_nodb' >/dev/null
	nodb=$(printf '%s\n' "$UPGRADE_TEST_MARIADB" | sed 's/Database=[^;]*;//')
	run "$UPGRADE" -T "$EX" -c "$nodb" run --schema upg_nodb
	expect_rc 5 "MariaDB: raw tasks on a connection without a database"
	expect_err 'the raw tasks run in the connection.s own schema \(database\), and this connection has none: name one in the connection string \(Database=\.\.\.\)' \
		"MariaDB: the error says where to name one"
	my 'DROP DATABASE upg_nodb' >/dev/null
	run "$UPGRADE" -T g1 -c "$UPGRADE_TEST_MARIADB" run --create-schemas --schema mysql
	expect_rc 64 "MariaDB: the engine's own schema is no target"
	expect_err "schema 'mysql' is the engine's own: it is never upgraded" "MariaDB: and the error says so"
fi

finish
