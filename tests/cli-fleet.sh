#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-fleet.sh - `upgrade run --targets FILE`: a fleet of databases upgraded
# in one run: SQLite files, the test PostgreSQL and MariaDB side by side,
# -j across targets, text grouped per target, JSON Lines with "target",
# the exit status summing up the targets, --keep-going across targets, a
# connection string kept off the targets' command lines, a target's run
# killed by a signal, a reader of the output that goes away, the fleet
# stopped by a signal, a bad targets file named by line, and two names for
# one database racing under -j (the database's lock lets each task run once).
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mkdir -p "$T_TMP/v1" "$T_TMP/v2" "$T_TMP/bad"
printf '<module %s name="shop"><task name="Create"><sql>CREATE TABLE t1 (id INTEGER)</sql></task></module>\n' "$NS" \
	>"$T_TMP/v1/shop.xml"
printf '<module %s name="shop"><task name="Create"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name="More"><sql>CREATE TABLE t2 (id INTEGER)</sql></task></module>\n' "$NS" \
	>"$T_TMP/v2/shop.xml"
printf '<module %s name="shop"><task name="Create"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name="Bad"><sql>INSERT INTO no_such_table VALUES (1)</sql></task></module>\n' "$NS" \
	>"$T_TMP/bad/shop.xml"
cd "$T_TMP" || exit 1

# valid_json LABEL: every line of $out is valid against the output schema.
valid_json() {
	if ! python3 -c 'import jsonschema' 2>/dev/null; then
		not_ok "$1: python3 with jsonschema is needed (Debian: python3-jsonschema)"
		return
	fi
	printf '%s\n' "$out" >lines
	if why=$(python3 -c '
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for line in open(sys.argv[2]):
    for e in v.iter_errors(json.loads(line)):
        print(e.message, line)
        sys.exit(1)' "$top_srcdir/tasks/upgrade-output.schema.json" lines); then
		ok "$1: valid against the output schema"
	else
		not_ok "$1: not valid against the output schema" "$why"
	fi
}

# children PID: the processes PID started, one a line.
children() {
	cat /proc/[0-9]*/stat 2>/dev/null | sed 's/ (.*) / comm /' | awk -v p="$1" '$4 == p { print $1 }'
}

# target_pid PID: waits up to 10 s for the first target's run that the
# fleet PID started, and prints its process id: once its command line is
# its own (its last word is -jN), not yet the fleet's copied by fork().
target_pid() {
	_n=0
	while [ "$_n" -lt 100 ]; do
		for _p in $(children "$1"); do
			tr '\0' '\n' <"/proc/$_p/cmdline" 2>/dev/null | grep -q '^-j[0-9]*$' && { echo "$_p"; return 0; }
		done
		sleep 0.1
		_n=$((_n + 1))
	done
	return 1
}

# block NAME: the lines of $out from "Target NAME" to "target NAME: ...".
block() { printf '%s\n' "$out" | sed -n "/^Target $1\$/,/^target $1: /p"; }

# ---- SQLite files ------------------------------------------------------------------------
cat >sqlite.targets <<EOF
# three tenants, one file each
a --database '$T_TMP/a.db'
b  --database="$T_TMP/b.db"   # a comment after the options
c -d $T_TMP/c.db
EOF
run "$UPGRADE" -T v1 run --targets sqlite.targets
expect_rc 0 "SQLite: a fleet of three files"
for n in a b c; do
	[ -f "$n.db" ] && ok "SQLite: target $n's file was created" || not_ok "SQLite: no $n.db"
	b=$(block $n)
	want="Target $n
Running upgrade for main
no pending upgrade tasks found
target $n: done"
	[ "$b" = "$want" ] && ok "SQLite: target $n's output is one block" || not_ok "SQLite: target $n's block" "$b" "all: $out"
done
expect_out '^3 targets: 3 done, 0 failed, 0 not run$' "SQLite: the summary line"

run "$UPGRADE" -T v2 --format json run --targets sqlite.targets -j 3
expect_rc 0 "SQLite: JSON, three targets at once"
n=$(printf '%s\n' "$out" | grep -c '"type":"task_done"')
[ "$n" = 3 ] && ok "SQLite: the new task ran once in each file" || not_ok "SQLite: $n task_done" "$out"
n=$(printf '%s\n' "$out" | grep -vc '"target":"[abc]"')
[ "$n" = 0 ] && ok "SQLite: every JSON object names its target" || not_ok "SQLite: $n objects without a target" "$out"
for n in a b c; do
	expect_out '^\{"type":"target_done","target":"'$n'","status":0,"code":"ok","duration_ms":[0-9]+\}$' "SQLite: target_done for $n"
	[ "$(sqlite3 $n.db "SELECT count(*) FROM sqlite_master WHERE name = 't2'")" = 1 ] &&
		ok "SQLite: $n has the new table" || not_ok "SQLite: $n lacks t2"
done
valid_json "SQLite: a fleet's JSON"

# ---- exit statuses and --keep-going --------------------------------------------------------
cat >mixed.targets <<EOF
ok1 --database $T_TMP/a.db
gone --database $T_TMP/a.db --schema nosuch
ok2 --database $T_TMP/b.db
EOF
run "$UPGRADE" -T v2 run --targets mixed.targets
expect_rc 6 "one target fails after another was upgraded: partial"
expect_err '^upgrade: error: gone: ' "the failing target's error names it, in the documented form"
expect_out '^target gone: FAILED \(exit status 5: connect\)$' "the failure is in the target's block"
expect_out '^target ok2: not run: an earlier target failed' "without --keep-going the targets after it do not run"
expect_err '^upgrade: error: 1 of 3 targets failed$' "the run says how many failed"
run "$UPGRADE" -T v2 run --targets mixed.targets --keep-going
expect_rc 6 "--keep-going: the others run, the status is partial"
expect_out '^target ok2: done$' "--keep-going runs the targets after the failure"
run "$UPGRADE" -T v2 --format json run --targets mixed.targets --keep-going
expect_out '^\{"target":"gone","type":"error","code":"connect","status":5,' "JSON: the target's error object names it"
expect_out '^\{"type":"target_done","target":"gone","status":5,"code":"connect",' "JSON: target_done has its status"
last=$(printf '%s\n' "$out" | tail -n 1)
case $last in
'{"type":"error","code":"partial","status":6,"message":"1 of 3 targets failed",'*) ok "JSON: the fleet ends with its own error object" ;;
*) not_ok "JSON: the last line" "$last" ;;
esac
run "$UPGRADE" -T v2 --format json run --targets mixed.targets
expect_out '^\{"type":"target_skipped","target":"ok2"\}$' "JSON: a target not run"
valid_json "JSON: a failed fleet"
printf 'x --database %s/a.db --schema nosuch\ny --database %s/b.db --schema nosuch\n' "$T_TMP" "$T_TMP" >allbad.targets
run "$UPGRADE" -T v2 run --targets allbad.targets --keep-going
expect_rc 5 "every target failed the same way: that status"

# ---- a target's connection string stays out of the process list -----------------------------
# SQLite has no sleep: the Slow task counts to five million first (about 2 s).
mkdir -p slow
printf '<module %s name="shop"><task name="Create"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name="Slow"><sql>CREATE TABLE slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x &lt; 5000000) SELECT count(*) AS n FROM c</sql></task></module>\n' "$NS" \
	>slow/shop.xml
"$UPGRADE" -q -T v1 -d p.db run >/dev/null 2>&1
printf 'p --connect "DRIVER=SQLite3;Database=%s/p.db;Pwd=s3cret-in-targets"\n' "$T_TMP" >secret.targets
"$UPGRADE" -T slow run --targets secret.targets >secret.out 2>&1 &
fleet=$!
if child=$(target_pid $fleet); then
	args=$(tr '\0' ' ' <"/proc/$child/cmdline")
	case $args in
	*s3cret* | *Database=*) not_ok "the connection string is on the target's command line" "$args" ;;
	*) ok "the connection string is not on the target's command line" ;;
	esac
	tr '\0' '\n' <"/proc/$child/environ" | grep -qx "UPGRADE_CONNECT=DRIVER=SQLite3;Database=$T_TMP/p.db;Pwd=s3cret-in-targets" &&
		ok "the target's run gets it in UPGRADE_CONNECT" || not_ok "no UPGRADE_CONNECT in the target's environment"
else
	not_ok "the fleet started no target's run within 10 s"
fi
rc=0
wait $fleet || rc=$?
out=$(cat secret.out)
err=
expect_rc 0 "a --connect target connects through its environment"
[ "$(sqlite3 p.db "SELECT count(*) FROM sqlite_master WHERE name = 'slow'")" = 1 ] &&
	ok "the --connect target was upgraded" || not_ok "the --connect target lacks its new table" "$out"
# Every spelling of --connect; a UPGRADE_CONNECT of the fleet's own does not
# reach a target that names its database otherwise.
cat >spellings.targets <<EOF
c1 --connect=DRIVER=SQLite3;Database=$T_TMP/c1.db
c2 -c "DRIVER=SQLite3;Database=$T_TMP/c2.db"
c3 -cDRIVER=SQLite3;Database=$T_TMP/c3.db
c4 --database $T_TMP/c4.db
EOF
run env UPGRADE_CONNECT="DRIVER=SQLite3;Database=$T_TMP/elsewhere.db" "$UPGRADE" -T v1 run --targets spellings.targets
expect_rc 0 "--connect=STRING, -c STRING and -cSTRING in a targets file"
for n in c1 c2 c3 c4; do
	[ "$(sqlite3 $n.db "SELECT count(*) FROM sqlite_master WHERE name = 'upgrades'")" = 1 ] &&
		ok "$n was upgraded" || not_ok "$n has no state table" "$out" "$err"
done
[ ! -f elsewhere.db ] && ok "the fleet's own UPGRADE_CONNECT reached no target" || not_ok "elsewhere.db was made"

# ---- a target's run killed by a signal ------------------------------------------------------
# fleet_bg ARGS...: upgrade ARGS started in the background, its output in
# fleet.out and fleet.err; $fleet is its process id.
fleet_bg() {
	"$UPGRADE" "$@" >fleet.out 2>fleet.err &
	fleet=$!
}
# fleet_wait: waits for the fleet; its status in $rc, its output in $out and $err.
# (Some shells say on stderr that a job died of a signal: not the fleet's.)
fleet_wait() {
	rc=0
	wait $fleet 2>/dev/null || rc=$?
	out=$(cat fleet.out)
	err=$(cat fleet.err)
}
"$UPGRADE" -q -T v1 -d k.db run >/dev/null 2>&1
printf 'k --database %s/k.db\n' "$T_TMP" >killed.targets
for format in text json; do
	fleet_bg -T slow --format $format run --targets killed.targets
	if child=$(target_pid $fleet); then kill -KILL "$child"; else not_ok "$format: no target's run to kill"; fi
	fleet_wait
	expect_rc 137 "$format: the one target's run killed by SIGKILL: 128 + 9, as a shell says it"
	expect_err '^upgrade: error: k: killed by signal 9 \(SIGKILL\)$' "$format: the error says which signal"
	expect_no 'software' "$format: a killed run is not an internal error"
done
expect_out '^\{"type":"target_done","target":"k","status":137,"code":"signal","duration_ms":[0-9]+,"signal":9\}$' \
	"JSON: target_done has the signal"
expect_out '^\{"type":"error","code":"signal","status":137,"message":"1 of 1 targets failed",' \
	"JSON: the fleet's error object"
valid_json "JSON: a killed target"
fleet_bg -T slow run --targets killed.targets
if child=$(target_pid $fleet); then kill -KILL "$child"; else not_ok "text: no target's run to kill"; fi
fleet_wait
expect_out '^target k: FAILED \(killed by signal 9: SIGKILL\)$' "text: the target's block says it was killed"
printf 'k --database %s/k.db\nb --database %s/b.db\n' "$T_TMP" "$T_TMP" >killed.targets
fleet_bg -T slow run --targets killed.targets --keep-going
if child=$(target_pid $fleet); then kill -KILL "$child"; else not_ok "no target's run to kill"; fi
fleet_wait
expect_rc 6 "one target killed, another upgraded: partial"

# ---- a reader that goes away (upgrade run --targets F | head -1) ---------------------------
# The first target's output reaches head, which then exits; the slow
# second target ends later and finds no reader, and the fleet goes on as
# a single run does.  (A new database records the tasks as done at once.)
for format in text json; do
	rm -f q1.db q2.db
	"$UPGRADE" -q -T v1 -d q2.db run >/dev/null 2>&1
	printf 'quick --database %s/q1.db\nslow --database %s/q2.db\n' "$T_TMP" "$T_TMP" >pipe.targets
	{
		"$UPGRADE" -T slow --format $format run --targets pipe.targets
		echo $? >pipe.rc
	} 2>pipe.err | head -n 1 >pipe.out
	rc=$(cat pipe.rc)
	out=$(cat pipe.out)
	err=$(cat pipe.err)
	expect_rc 0 "$format: the fleet's own status after its reader went away"
	expect_lines 1 out "$format: the reader got the first line"
	expect_no 'cannot write the output' "$format: no error for the reader gone"
	[ "$(sqlite3 q2.db "SELECT count(*) FROM sqlite_master WHERE name = 'slow'")" = 1 ] &&
		ok "$format: the target after the reader went away was upgraded" || not_ok "$format: q2.db lacks its table"
done

# ---- the fleet stopped by a signal -----------------------------------------------------------
# SIGTERM or SIGHUP to the fleet reaches the run under way, which the fleet
# waits for and reports; the target after it is not run, and the fleet
# ends by the same signal.
printf 's1 --database %s/k.db\ns2 --database %s/b.db\n' "$T_TMP" "$T_TMP" >stop.targets
for how in "text TERM 15" "json HUP 1"; do
	# shellcheck disable=SC2086 # three words
	set -- $how
	fleet_bg -T slow --format "$1" run --targets stop.targets
	if child=$(target_pid $fleet); then kill -"$2" $fleet; else not_ok "$1: no target's run under way"; fi
	fleet_wait
	expect_rc $((128 + $3)) "$1: SIG$2 to the fleet: it ends by that signal"
	[ -n "$child" ] && [ ! -d "/proc/$child" ] && ok "$1: the run under way was stopped and waited for" ||
		not_ok "$1: the target's run $child is still there" "$(tr '\0' ' ' <"/proc/$child/cmdline" 2>/dev/null)"
	expect_err "^upgrade: error: s1: killed by signal $3 \\(SIG$2\\)\$" "$1: the run under way is reported"
	expect_err "^upgrade: error: stopped by signal $3 \\(SIG$2\\)\$" "$1: the fleet says why it stopped"
done
expect_out '^\{"type":"target_done","target":"s1","status":129,"code":"signal",' "JSON: the stopped run's target_done"
expect_out '^\{"type":"target_skipped","target":"s2"\}$' "JSON: the target not run"
last=$(printf '%s\n' "$out" | tail -n 1)
case $last in
'{"type":"error","code":"signal","status":129,"message":"stopped by signal 1 (SIGHUP)",'*) ok "JSON: the fleet ends with its error object" ;;
*) not_ok "JSON: the last line" "$last" ;;
esac
valid_json "JSON: a stopped fleet"
fleet_bg -T slow run --targets stop.targets
if child=$(target_pid $fleet); then kill -TERM $fleet; else not_ok "text: no target's run under way"; fi
fleet_wait
expect_out '^target s1: FAILED \(killed by signal 15: SIGTERM\)$' "text: the stopped run's block"
expect_out '^target s2: not run: the run was stopped by SIGTERM$' "text: the target not run says why"
expect_out '^2 targets: 0 done, 1 failed, 1 not run$' "text: the summary line"

# ---- a bad targets file -------------------------------------------------------------------
bad_file() { # content pattern description
	printf '%s\n' "$1" >bad.targets
	run "$UPGRADE" -T v1 run --targets bad.targets
	expect_rc 64 "$3"
	expect_err "$2" "$3: the message"
	expect_lines 1 err "$3: one line"
	[ ! -f never.db ] && ok "$3: nothing was run" || not_ok "$3: a target ran"
}
bad_file "a --database $T_TMP/never.db
b --database $T_TMP/never.db --dry-run" '^bad\.targets:2: error: target b: '"'"'--dry-run'"'"' is not an option a target may have' \
	"an option a target may not have"
bad_file "a --database $T_TMP/never.db
a --database $T_TMP/b.db" '^bad\.targets:2: error: target a: named already on line 1$' "a name given twice"
bad_file "a --schema x" '^bad\.targets:1: error: target a: give exactly one of --connect, --dsn and --database$' \
	"a target without a database"
bad_file "a --database '$T_TMP/never.db" '^bad\.targets:1: error: a quote is not closed$' "an open quote"
bad_file "a/b --database $T_TMP/never.db" '^bad\.targets:1: error: target name '"'"'a/b'"'"'' "a name with a slash"
# With --format json the error object carries the file and line, as a
# catalog's does, and the message is stderr's after "file:line: error: ".
printf 'a --database %s/never.db\nb --schema x\n' "$T_TMP" >bad.targets
run "$UPGRADE" -T v1 --format json run --targets bad.targets
expect_rc 64 "JSON: a bad targets file"
expect_out '^\{"type":"error","code":"usage","status":64,"message":"target b: give exactly one of --connect, --dsn and --database","sqlstate":null,"file":"bad\.targets","line":2\}$' \
	"JSON: its error object names the file and line"
expect_lines 1 out "JSON: one error object"
printf "a --database '%s/never.db\n" "$T_TMP" >bad.targets
run "$UPGRADE" -T v1 --format json run --targets bad.targets
expect_out '"message":"a quote is not closed","sqlstate":null,"file":"bad\.targets","line":1\}$' \
	"JSON: an open quote, named by line"
run "$UPGRADE" -T v1 -d a.db run --targets sqlite.targets
expect_rc 64 "--targets with --database"
run "$UPGRADE" -T v1 run --targets nosuch.targets
expect_rc 64 "a targets file that does not exist"
expect_err '^upgrade: error: nosuch\.targets: cannot read the targets: ' "and it is named"

# ---- PostgreSQL, MariaDB and SQLite in one fleet --------------------------------------------
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN &&
	require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA IF EXISTS upg_fleet_1 CASCADE; DROP SCHEMA IF EXISTS upg_fleet_2 CASCADE' \
		-c 'CREATE SCHEMA upg_fleet_1 AUTHORIZATION upgrade; CREATE SCHEMA upg_fleet_2 AUTHORIZATION upgrade' \
		>/dev/null
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_fleet_1; DROP DATABASE IF EXISTS upg_fleet_2;
		CREATE DATABASE upg_fleet_1; CREATE DATABASE upg_fleet_2;' >/dev/null
	rm -f s.db
	# Two names for one database: pg and pg-again race for the same schemas.
	cat >servers.targets <<EOF
pg --connect "$UPGRADE_TEST_PG" --schemas 'upg_fleet_*'
maria --connect "$UPGRADE_TEST_MARIADB" --schemas 'upg_fleet_*' --lock-timeout 60
lite --database $T_TMP/s.db
pg-again --connect "$UPGRADE_TEST_PG" --schemas 'upg_fleet_*' --lock-timeout 60
EOF
	run "$UPGRADE" -T v1 run --targets servers.targets -j 8
	expect_rc 0 "servers: the first run of the fleet"
	run "$UPGRADE" -T v2 --format json run --targets servers.targets -j 8
	expect_rc 0 "servers: -j 8, four targets at once"
	for t in pg maria lite pg-again; do
		expect_out '^\{"type":"target_done","target":"'$t'","status":0,' "servers: $t done"
	done
	n=$(printf '%s\n' "$out" | grep -c '^{"target":"pg[a-z-]*","type":"task_done".*"task":"shop:More"')
	[ "$n" = 2 ] && ok "servers: two names for one database: the task ran once per schema" ||
		not_ok "servers: shop:More ran $n times in PostgreSQL's 2 schemas" "$out"
	n=$($UPGRADE_TEST_PG_ADMIN -tA -c "SELECT count(*) FROM information_schema.tables WHERE table_name = 't2' AND table_schema LIKE 'upg_fleet_%'")
	[ "$n" = 2 ] && ok "servers: PostgreSQL has the new table in both schemas" || not_ok "servers: PG t2 in $n schemas"
	n=$($UPGRADE_TEST_MARIADB_ADMIN -N -B -e "SELECT count(*) FROM information_schema.tables WHERE table_name = 't2' AND table_schema LIKE 'upg_fleet_%'")
	[ "$n" = 2 ] && ok "servers: MariaDB has the new table in both schemas" || not_ok "servers: MariaDB t2 in $n schemas"

	run "$UPGRADE" -T bad run --targets servers.targets -j 2 --keep-going
	expect_rc 2 "servers: a task failing on every target: the task-failed status"
	expect_err '^upgrade: error: maria: task shop:Bad failed in upg_fleet_[12]' "servers: the failure names the target"
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA upg_fleet_1 CASCADE; DROP SCHEMA upg_fleet_2 CASCADE' >/dev/null
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE upg_fleet_1; DROP DATABASE upg_fleet_2' >/dev/null
fi

finish
