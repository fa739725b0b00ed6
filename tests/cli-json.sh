#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-json.sh - the JSON contract of upgrade(1): every command's output with
# --format json, and every kind of error, is JSON Lines valid against
# tasks/upgrade-output.schema.json, on SQLite, PostgreSQL and MariaDB; a
# failure ends with an error object that names the exit status; lists are
# arrays; times carry their zone; one failure has one SQLSTATE.
# Needs python3 with jsonschema (Debian: python3-jsonschema) and the servers
# of tests/testdb.sh.
. "$top_srcdir/tests/lib.sh"

SCHEMA=$top_srcdir/tasks/upgrade-output.schema.json
NS='xmlns="urn:upgrade:catalog:1"'
cat_dir() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
cat_dir v1 "<module $NS name=\"shop\"><task name=\"Create\"><sql>CREATE TABLE t1 (id INTEGER)</sql></task></module>"
cat_dir v2 "<module $NS name=\"shop\"><install><sql>CREATE TABLE t1 (id INTEGER)</sql><sql>CREATE TABLE t2 (id INTEGER)</sql></install><task name=\"Create\"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name=\"More\"><sql>CREATE TABLE t2 (id INTEGER)</sql></task><task name=\"Raw\" raw=\"true\"><step><sql>SELECT 1</sql></step></task></module>"
printf '%s\n' "<module $NS name=\"extra\"><depends module=\"shop\"/><task name=\"After\" requires=\"shop:More\"><sql>SELECT 1</sql></task></module>" >"$T_TMP/v2/extra.xml"
cat_dir fail "<module $NS name=\"shop\"><task name=\"Create\"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name=\"Bad\"><sql>INSERT INTO no_such_table VALUES (1)</sql></task></module>"
mkdir -p "$T_TMP/broken"
printf '<module %s name="b">\n<task name="x"><nosuch/></task></module>\n' "$NS" >"$T_TMP/broken/catalog.xml"

if python3 -c 'import jsonschema' 2>/dev/null; then
	ok "python3 with jsonschema"
else
	not_ok "python3 with jsonschema is needed (Debian: python3-jsonschema; tests/deps.sh installs it)"
	finish
fi

# check.py SCHEMA DIR...: for each DIR (from valid), writes DIR/result: the
# problems of DIR/lines, nothing when every line is an object valid against
# the schema and a failure status DIR/status ends the output with an error
# object naming it.
cat >"$T_TMP/check.py" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
def problems(d):
    status = int(open(d + "/status").read())
    lines = open(d + "/lines", encoding="utf-8").read().splitlines()
    bad = []
    objs = []
    for n, line in enumerate(lines, 1):
        try:
            o = json.loads(line)
        except ValueError as e:
            bad.append("line %d is not JSON: %s: %s" % (n, e, line))
            continue
        objs.append(o)
        for e in v.iter_errors(o):
            bad.append("line %d: %s: %s" % (n, e.message, line))
    if status in (0, 1, 7):
        if any(o.get("type") == "error" for o in objs):
            bad.append("exit %d, but an error object" % status)
    elif not objs or objs[-1].get("type") != "error" or objs[-1].get("status") != status:
        bad.append("exit %d: the output does not end with an error object of status %d" % (status, status))
    if not objs and status in (0, 7):
        bad.append("no output")
    return bad
for d in sys.argv[2:]:
    try:
        bad = problems(d)
    except Exception as e:  # this output's problem, not the others'
        bad = ["cannot check: %r" % e]
    with open(d + "/result", "w") as f:
        for b in bad:
            f.write(b + "\n")
EOF

# valid LABEL WANT-STATUS: $out (from run) is valid and the status is the one
# wanted.  The status is checked at once, the lines by validate_all at the
# end: one python3 with jsonschema for all of them, whose start costs more
# than most of the commands checked here.
n_valid=0
valid() {
	if [ "$rc" -ne "$2" ]; then
		not_ok "$1: exit $rc, want $2" "stdout: $out" "stderr: $err"
		return 0
	fi
	n_valid=$((n_valid + 1))
	mkdir "$T_TMP/valid.$n_valid"
	printf '%s\n' "$out" | sed '/^$/d' >"$T_TMP/valid.$n_valid/lines"
	printf '%s\n' "$1" >"$T_TMP/valid.$n_valid/label"
	printf '%s\n' "$rc" >"$T_TMP/valid.$n_valid/status"
	printf '%s\n' "$err" >"$T_TMP/valid.$n_valid/stderr"
}
validate_all() {
	set --
	i=1
	while [ "$i" -le "$n_valid" ]; do
		set -- "$@" "$T_TMP/valid.$i"
		i=$((i + 1))
	done
	[ $# -gt 0 ] || return 0
	if ! why=$(python3 "$T_TMP/check.py" "$SCHEMA" "$@" 2>&1); then
		not_ok "the JSON Lines checker failed" "$why"
		return 0
	fi
	for d in "$@"; do
		label=$(cat "$d/label")
		if [ ! -f "$d/result" ]; then
			not_ok "$label: not checked"
		elif [ -s "$d/result" ]; then
			not_ok "$label: not valid" "$(cat "$d/result")" "stderr: $(cat "$d/stderr")"
		else
			ok "$label: valid JSON Lines (exit $(cat "$d/status"))"
		fi
	done
}

# Commands without a database.
run "$UPGRADE" --format json -T "$T_TMP/v2" list
valid "list" 0
expect_out '^\{"type":"module","name":"shop",' "list: a module object a line"
expect_out '"depends":\["shop"\]' "list: depends is an array"
run "$UPGRADE" --format json -T "$T_TMP/v2" graph
valid "graph" 0
expect_out '"type":"graph_edge","kind":"requires","from":"shop:More","to":"extra:After"' "graph: the requires edge"
run "$UPGRADE" --format json -T "$T_TMP/v2" graph --modules
valid "graph --modules" 0
run "$UPGRADE" --format json -T "$T_TMP/v2" validate
valid "validate" 0
run "$UPGRADE" --format json validate "$T_TMP/broken"
valid "validate of a broken catalog" 4
expect_out '"type":"error","code":"catalog","status":4,"message":"[^"]+","sqlstate":null,"file":"[^"]*catalog.xml","line":2' \
	"validate: the catalog error names file and line"
# A file name is bytes: one that is not UTF-8 (0xff, an encoded UTF-16
# surrogate, an overlong '/', a code point past U+10FFFF) still gives valid
# JSON, the bad bytes as U+FFFD.
mkdir -p "$T_TMP/bytes"
bad_name=$(printf 'x\377y\355\240\200z\300\257\364\220\200\200.xml')
cp "$T_TMP/broken/catalog.xml" "$T_TMP/bytes/$bad_name"
run "$UPGRADE" --format json validate "$T_TMP/bytes"
valid "validate of a file whose name is not UTF-8" 4
r=$(printf '\357\277\275')
expect_out "\"file\":\"[^\"]*/x${r}y(${r})+z(${r})+\\.xml\"" \
	"validate: the bad bytes of the name are U+FFFD"
run "$UPGRADE" --format json -T "$T_TMP/v2" check-install --from "$T_TMP/v2"
valid "check-install" 0
run "$UPGRADE" --format json --version
valid "--version" 0
expect_out '^\{"type":"version","version":"[0-9.]+",' "--version: the version"
run "$UPGRADE" --format json help
valid "help" 0
expect_out '^\{"type":"help","command":null,"usage":"upgrade \[OPTIONS\] COMMAND \[ARGS\]","commands":\[\{"name":"info",' \
	"help: the command list"
run "$UPGRADE" run --help --format json
valid "run --help, with --format json after it" 0
expect_out '"command":"run",.*\{"name":"dry-run","short":null,"argument":null,"description":"[^"]+"\}' \
	"run --help: the run options, from the parser's table"
run "$UPGRADE" --format json help status
valid "help status" 0
expect_out '"command":"status",.*"name":"check"' "help status: the status options"
run "$UPGRADE" --format json nosuch
valid "an unknown command" 64
run "$UPGRADE" run --nosuch --format json
valid "an unknown option" 64
run "$UPGRADE" --format json -T "$T_TMP/v1" -d "$T_TMP/nosuch.db" status
valid "a missing database file" 5
run "$UPGRADE" --format json -T "$T_TMP/v1" -c 'DRIVER=/nonexistent/driver.so' info
valid "a driver that does not exist" 5
expect_out '"code":"connect","status":5,"message":"cannot connect' "connect error: the message"
# (mark creates no database file: an empty one is there.)
: >"$T_TMP/x.db"
run "$UPGRADE" --format json -T "$T_TMP/v1" -d "$T_TMP/x.db" mark shop:Nosuch
valid "mark of an unknown task" 64

# [SEL=SCHEMA-OPTIONS] scenario LABEL SCHEMA-A SCHEMA-B CONNECTION...: every
# command on a database (SEL: default the schemas upg_json_*).
scenario() {
	label=$1 a=$2 b=$3
	shift 3
	sel=${SEL:-"--schemas upg_json_*"}
	# shellcheck disable=SC2086 # $sel is two words
	{
		run "$UPGRADE" --format json -T "$T_TMP/v1" "$@" run $sel
		valid "$label: run (first sight: baseline)" 0
		run "$UPGRADE" --format json "$@" info
		valid "$label: info" 0
		expect_out '"capabilities":\[' "$label: capabilities is an array"
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" status $sel
		valid "$label: status" 0
		expect_out '"type":"status_summary","schema":"'"$a"'"' "$label: status: a summary per schema"
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" status --check $sel
		valid "$label: status --check with tasks pending" 1
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" run --dry-run $sel
		valid "$label: run --dry-run" 0
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" run $sel
		valid "$label: run" 0
		expect_out '"type":"raw_start","event":"raw_start","schemas":\["'"$a"'"(,"'"$b"'")?\]' \
			"$label: raw_start.schemas is an array"
		expect_out '"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"' "$label: run events carry an RFC 3339 time"
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" unmark shop:More $sel
		valid "$label: unmark" 0
		expect_out '^\{"type":"repair","action":"unmark","task":"shop:More","time":"' "$label: unmark says what"
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" mark shop:More $sel
		valid "$label: mark" 0
		run "$UPGRADE" --format json -T "$T_TMP/v2" "$@" baseline $sel
		valid "$label: baseline" 0
		run "$UPGRADE" --format json "$@" log $sel
		valid "$label: log" 0
		expect_out '"at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})"' "$label: log times carry a zone"
		run "$UPGRADE" --format json -T "$T_TMP/fail" "$@" run $sel
		valid "$label: a failed task" 2
		# The error object's message is what standard error gets (it lacked
		# "task ... failed in ... at statement ...").
		expect_out '^\{"type":"error","code":"task_failed","status":2,"message":"task shop:Bad failed in [^"]+ at statement 1 of 1: ' \
			"$label: the error object says which task failed, where, at which statement"
		states=$(printf '%s\n' "$out" | python3 -c '
import json, sys
seen = set()
for line in sys.stdin:
    o = json.loads(line)
    if o["type"] in ("task_failed", "schema_done", "run_done", "error") and o.get("sqlstate", 0) != 0 and (o["type"] in ("task_failed", "error") or not o.get("ok", True)):
        seen.add(o["sqlstate"])
print(" ".join(sorted(str(s) for s in seen)))')
		case $states in
		[0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z][0-9A-Z]) ok "$label: one failure, one SQLSTATE ($states)" ;;
		*) not_ok "$label: one failure has the SQLSTATEs '$states'" "$out" ;;
		esac
		run "$UPGRADE" --format json -T "$T_TMP/fail" "$@" run --keep-going $sel
		[ -n "$b" ] && valid "$label: --keep-going with every schema failing" 2
		run "$UPGRADE" --format json -T "$T_TMP/v1" "$@" run --schema upg_json_nosuch
		valid "$label: a schema that does not exist" 5
	}
}

SEL="--schema main" scenario SQLite main "" -d "$T_TMP/app.db"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA IF EXISTS upg_json_a CASCADE; DROP SCHEMA IF EXISTS upg_json_b CASCADE' \
		-c 'CREATE SCHEMA upg_json_a AUTHORIZATION upgrade; CREATE SCHEMA upg_json_b AUTHORIZATION upgrade' \
		>/dev/null
	scenario PostgreSQL upg_json_a upg_json_b -c "$UPGRADE_TEST_PG"
fi

if require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	$UPGRADE_TEST_MARIADB_ADMIN -e 'DROP DATABASE IF EXISTS upg_json_a; DROP DATABASE IF EXISTS upg_json_b;
		CREATE DATABASE upg_json_a; CREATE DATABASE upg_json_b;' >/dev/null
	scenario MariaDB upg_json_a upg_json_b -c "$UPGRADE_TEST_MARIADB"
fi

# A run stopped by SIGTERM during a statement ends its JSON with an error
# object (a reader that finds none takes the run for a success), and its
# text output with one error line.
cat_dir slow "<module $NS name=\"shop\"><task name=\"Create\"><sql>CREATE TABLE t1 (id INTEGER)</sql></task><task name=\"Slow\"><sql>WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x &lt; 500000000) SELECT count(*) FROM c</sql></task></module>"
for fmt in json text; do
	rm -f "$T_TMP/stop.db"
	"$UPGRADE" -q -T "$T_TMP/v1" -d "$T_TMP/stop.db" run >/dev/null 2>&1
	"$UPGRADE" --format "$fmt" -T "$T_TMP/slow" -d "$T_TMP/stop.db" run >"$T_TMP/stop.out" 2>"$T_TMP/stop.err" &
	pid=$!
	n=0
	# JSON says when the task starts; text only when the schema does.
	[ "$fmt" = json ] && started='shop:Slow' || started='^Running upgrade for'
	until grep -q "$started" "$T_TMP/stop.out" 2>/dev/null || [ "$n" -ge 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.3
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	out=$(cat "$T_TMP/stop.out")
	err=$(cat "$T_TMP/stop.err")
	if [ "$fmt" = json ]; then
		valid "SQLite: run stopped by SIGTERM" 143
		expect_out '"code":"signal","status":143,"message":"stopped by signal 15 \(SIGTERM\)' \
			"SQLite: the JSON of a stopped run ends with an error object saying so"
	else
		expect_rc 143 "SQLite: a stopped run exits as killed by SIGTERM"
		expect_err '^upgrade: error: stopped by signal 15 \(SIGTERM\): the server rolls back' \
			"SQLite: the text of a stopped run says so"
	fi
	got=$(sqlite3 "$T_TMP/stop.db" "SELECT state FROM upgrades WHERE module = 'shop'")
	case $got in
	*Slow*) not_ok "SQLite: the stopped task is recorded: $got" ;;
	*) ok "SQLite: the stopped task is not recorded ($fmt)" ;;
	esac
done

validate_all
finish
