#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-journal.sh - on MariaDB the journal of a task's statements never lies,
# even when the process is killed while the server runs a statement:
#  - a DML statement commits together with its journal entry, so a killed
#    run leaves it undone and --resume runs every statement exactly once;
#  - a DDL statement records its start first, so a killed run leaves it
#    "unknown" in status, --resume refuses, --resume-from settles it;
#  - a statement that commits on its own and fails is unknown, not undone;
#  - --resume refuses a task whose body changed since it was partly applied;
#  - the runner's own state write failing after a task's last statement
#    leaves neither the module's row nor the history saying it ran;
#  - an install whose tasks' record failed, or that was killed mid-statement,
#    is reported as it is;
#  - runs of many short tasks killed at random times never leave the state
#    behind the database.  UPGRADE_KILL_TRIALS sets how many (default 5).
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mk() { mkdir -p "$T_TMP/$1"; printf '%s\n' "$2" >"$T_TMP/$1/catalog.xml"; }
# An always-run task that never does anything: the module exists before the
# tasks under test arrive, so they are pending, not baselined.
TABLE='<task name="Table" always-run="true"><only-if><query>SELECT 1 FROM (SELECT 1 AS x) t WHERE 1 = 0</query></only-if><sql>SELECT 1</sql></task>'
mk base "<module $NS name=\"j\">$TABLE</module>"
DB=upg_journal

require_env UPGRADE_TEST_MARIADB && require_env UPGRADE_TEST_MARIADB_ADMIN || finish
my() { $UPGRADE_TEST_MARIADB_ADMIN -N -e "$1" 2>&1; }

# fresh: an empty database that has seen module j.
fresh() {
	my "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB; $1" >/dev/null
	"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_MARIADB" run --schema "$DB" >/dev/null 2>&1
}

# settle: after a kill, wait until the server has finished the dead client's
# statement (it runs on, and commits unless it is in a transaction).
settle() {
	n=0
	while [ "$n" -lt 100 ]; do
		c=$(my "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '$DB'")
		[ "$c" = 0 ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	not_ok "the killed client's session did not end within 10 s"
}

# killed CATALOG SECONDS: a run killed with SIGKILL after SECONDS.
killed() {
	"$UPGRADE" -q -T "$T_TMP/$1" -c "$UPGRADE_TEST_MARIADB" run --schema "$DB" >/dev/null 2>&1 &
	victim=$!
	sleep "$2"
	kill -9 "$victim" 2>/dev/null
	wait "$victim" 2>/dev/null
	settle
}

# st CATALOG ARGS... and go CATALOG ARGS...: status and run of the schema.
st() {
	c=$1
	shift
	run "$UPGRADE" -T "$T_TMP/$c" -c "$UPGRADE_TEST_MARIADB" status --schema "$DB" "$@"
}
go() {
	c=$1
	shift
	run "$UPGRADE" -T "$T_TMP/$c" -c "$UPGRADE_TEST_MARIADB" run --schema "$DB" "$@"
}

# (a) Three INSERTs, killed during the slow second one: it is rolled back
# with its journal entry, and --resume inserts every row exactly once.
mk rows "<module $NS name=\"j\">$TABLE<task name=\"Rows\"><sql>INSERT INTO r VALUES ('fast', 1, 0)</sql><sql>INSERT INTO r SELECT 'slow', 2, SLEEP(2)</sql><sql>INSERT INTO r VALUES ('last', 3, 0)</sql></task></module>"
fresh "CREATE TABLE $DB.r (name VARCHAR(10), n INTEGER, z INTEGER)"
killed rows 1
st rows
expect_out '^  partial   j:Rows  \(1 of 3 statements committed at ' "DML killed mid-statement: status says 1 of 3 committed"
rows=$(my "SELECT GROUP_CONCAT(name ORDER BY n) FROM $DB.r")
[ "$rows" = fast ] && ok "DML killed mid-statement: the table agrees with the journal" ||
	not_ok "DML killed mid-statement: the journal says 1 of 3, the table holds: $rows"
go rows
expect_rc 2 "DML: the next run refuses to run the task blind"
expect_err 'is partly applied: 1 of 3 statements committed \(at [0-9-]+T[0-9:.]+Z; it was interrupted\)' "DML: the refusal says it was interrupted"
go rows --resume
expect_rc 0 "DML: --resume"
rows=$(my "SELECT GROUP_CONCAT(name ORDER BY n) FROM $DB.r")
[ "$rows" = fast,slow,last ] && ok "DML: after --resume every row is there exactly once" ||
	not_ok "DML: after --resume the table holds: $rows"
st rows --check
expect_rc 0 "DML: nothing pending after the resume"

# (b) DDL killed while it runs commits on its own: its outcome is unknown,
# and only the user can say; --resume refuses, --resume-from settles it.
mk ddl "<module $NS name=\"j\">$TABLE<task name=\"Ddl\"><sql>CREATE TABLE d1 (id INTEGER)</sql><sql>CREATE TABLE d2 AS SELECT SLEEP(2) AS x</sql><sql>CREATE TABLE d3 (id INTEGER)</sql></task></module>"
fresh ""
killed ddl 1
st ddl
expect_out '^  partial   j:Ddl  \(1 of 3 statements committed; statement 2 unknown: started at [0-9-]+T[0-9:.]+Z, its end never recorded\)$' "DDL killed mid-statement: status says statement 2 is unknown"
expect_no '  pending   j:Ddl' "DDL killed mid-statement: never reported as not run"
st ddl --check
expect_rc 1 "DDL: a task with an unknown statement is pending for --check"
go ddl --resume
expect_rc 2 "DDL: --resume refuses to guess"
expect_err 'task j:Ddl was interrupted during statement 2 of 3 \(started at [0-9-]+T[0-9:.]+Z\): whether it committed is unknown' "DDL: the refusal says the outcome is unknown"
expect_err '\-\-resume-from 2 if it did not commit or \-\-resume-from 3 if it did' "DDL: the refusal says how to settle it"
go ddl
expect_rc 2 "DDL: a plain run refuses too"
go ddl --resume-from 5
expect_rc 2 "DDL: --resume-from past the end"
expect_err 'task j:Ddl has 3 statements: \-\-resume-from 5 is past its end \(4 records it as done\)' "DDL: --resume-from past the end is explained"
go ddl --resume-from 0
expect_rc 64 "DDL: --resume-from 0 is a usage error"
t=$(my "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME LIKE 'd%'")
[ "$t" = d1,d2 ] && ok "DDL: the killed statement committed on the server" || not_ok "DDL: tables after the kill: $t"
# d2 is there: statement 2 committed, continue with 3.
go ddl --resume-from 3
expect_rc 0 "DDL: --resume-from 3"
expect_out '^\* j:Ddl$' "DDL: the settled task is reported done"
t=$(my "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME LIKE 'd%'")
[ "$t" = d1,d2,d3 ] && ok "DDL: every statement ran once" || not_ok "DDL: tables after --resume-from: $t"
st ddl --check
expect_rc 0 "DDL: nothing pending after --resume-from"
log=$(my "SELECT state FROM $DB.upgrades WHERE module = 'j'")
case $log in
*'"event":"resume-from 3","task":"Ddl"'*) ok "DDL: the user's word is logged in the state" ;;
*) not_ok "DDL: no resume-from in the log" "$log" ;;
esac

# The same, settled with mark instead.
fresh ""
killed ddl 1
st ddl
expect_out 'statement 2 unknown' "DDL killed again: unknown"
my "CREATE TABLE $DB.d3 (id INTEGER)" >/dev/null
run "$UPGRADE" -T "$T_TMP/ddl" -c "$UPGRADE_TEST_MARIADB" mark j:Ddl --schema "$DB"
expect_rc 0 "DDL: mark after finishing by hand"
st ddl --check
expect_rc 0 "DDL: nothing pending after mark"

# (d) The runner's own state write fails after a task's last statement,
# which was DDL and committed on its own: the module's row and the task's
# history row are one transaction, so neither says the task ran, and its
# statement is unknown (it did commit) rather than recorded without history.
# refuse_insert NAME CONDITION MESSAGE: a trigger failing the inserts into
# upgrade_tasks for which CONDITION holds (its body has a ';': stdin).
refuse_insert() {
	printf 'DELIMITER //\nCREATE TRIGGER %s.%s BEFORE INSERT ON %s.upgrade_tasks FOR EACH ROW IF %s THEN SIGNAL SQLSTATE '"'45000'"' SET MESSAGE_TEXT = '"'%s'"'; END IF//\n' \
		"$DB" "$1" "$DB" "$2" "$3" | $UPGRADE_TEST_MARIADB_ADMIN ||
		not_ok "cannot create the trigger $1"
}
mk last "<module $NS name=\"j\">$TABLE<task name=\"Last\"><sql>CREATE TABLE l1 (id INTEGER)</sql></task></module>"
fresh ""
refuse_insert no_last "NEW.task = 'Last'" 'no history for Last'
go last
expect_rc 2 "state write fails after DDL: the task failed"
expect_err 'no history for Last' "state write fails after DDL: the failure is the history row's"
state=$(my "SELECT state FROM $DB.upgrades WHERE module = 'j'")
case $state in
*'"executed_tasks":['*'"Last"'*']'*) not_ok "state write fails after DDL: executed_tasks lists the task" "$state" ;;
*) ok "state write fails after DDL: executed_tasks does not list the task" ;;
esac
st last
expect_out '^  partial   j:Last  \(0 of 1 statements committed; statement 1 unknown: ' \
	"state write fails after DDL: status says its statement is unknown"
my "DROP TRIGGER $DB.no_last" >/dev/null
go last --resume-from 2
expect_rc 0 "state write fails after DDL: --resume-from 2 records it"
n=$(my "SELECT COUNT(*) FROM $DB.upgrade_tasks WHERE module = 'j' AND task = 'Last'")
[ "$n" = 1 ] && ok "state write fails after DDL: the history row is there in the end" ||
	not_ok "state write fails after DDL: $n history rows"
st last --check
expect_rc 0 "state write fails after DDL: nothing pending"

# A statement that commits on its own and fails may have committed in part:
# MariaDB drops the tables of "DROP TABLE d1, nosuch, d2" that exist, then
# fails.  It is unknown, with its error, never "not committed".
mk drop "<module $NS name=\"j\">$TABLE<task name=\"Drop\"><sql>CREATE TABLE n1 (id INTEGER)</sql><sql>DROP TABLE d1, nosuch, d2</sql><sql>CREATE TABLE n3 (id INTEGER)</sql></task></module>"
fresh "CREATE TABLE $DB.d1 (id INTEGER); CREATE TABLE $DB.d2 (id INTEGER)"
go drop
expect_rc 2 "failed DDL: the task failed"
t=$(my "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME IN ('d1', 'd2')")
[ "$t" = NULL ] && ok "failed DDL: MariaDB dropped what it could before failing" ||
	not_ok "failed DDL: the server kept $t (the premise of this test)"
st drop
expect_out '^  partial   j:Drop  \(1 of 3 statements committed; statement 2 unknown: started at [^,]*, failed: .*nosuch' \
	"failed DDL: status says statement 2 is unknown, with its error"
go drop --resume
expect_rc 2 "failed DDL: --resume refuses to guess"
expect_err 'task j:Drop failed during statement 2 of 3 .*whether it committed is unknown' \
	"failed DDL: the refusal says so"
go drop --resume-from 3
expect_rc 0 "failed DDL: --resume-from 3 settles it"
st drop --check
expect_rc 0 "failed DDL: nothing pending after it"

# Such a statement that fails after a while: its start is when it started,
# not when it failed.
mk slowfail "<module $NS name=\"j\">$TABLE<task name=\"Slow\"><sql>CREATE TABLE k2 (id INTEGER PRIMARY KEY) AS SELECT 1 AS id FROM (SELECT SLEEP(2) AS z) s UNION ALL SELECT 1</sql></task></module>"
fresh ""
before=$(date +%s)
go slowfail
expect_rc 2 "slow failed DDL: the task failed"
st slowfail
started=$(printf '%s\n' "$out" | sed -n 's/.*statement 1 unknown: started at \([0-9T:.-]*\)Z.*/\1/p')
started_s=$(date -u -d "$started" +%s 2>/dev/null || echo 0)
[ "$started_s" -ge "$before" ] && [ "$started_s" -le $((before + 1)) ] &&
	ok "slow failed DDL: started at its start ($started, the run began at $(date -u -d "@$before" +%T))" ||
	not_ok "slow failed DDL: started at '$started', the run began at $(date -u -d "@$before" +%T)" "$out"

# --resume continues the body the journal counted: a task changed since
# it was partly applied is refused, its new statements never skipped.
mk chg1 "<module $NS name=\"j\">$TABLE<task name=\"Chg\"><sql>CREATE TABLE p1 (id INTEGER)</sql><sql>CREATE TABLE p2 (id INTEGER)</sql><sql>INSERT INTO nosuch VALUES (1)</sql><sql>CREATE TABLE p3 (id INTEGER)</sql></task></module>"
mk chg2 "<module $NS name=\"j\">$TABLE<task name=\"Chg\"><sql>CREATE TABLE p1 (id INTEGER)</sql><sql>CREATE TABLE q (id INTEGER)</sql></task></module>"
mk chg3 "<module $NS name=\"j\">$TABLE<task name=\"Chg\"><sql>CREATE TABLE p1 (id INTEGER)</sql><sql>CREATE TABLE p2 (id INTEGER)</sql><sql>INSERT INTO nosuch VALUES (1)</sql><sql>CREATE TABLE p4 (id INTEGER)</sql></task></module>"
fresh ""
go chg1
expect_rc 2 "changed task: first run fails at statement 3"
go chg2 --resume
expect_rc 2 "changed task: --resume refuses a body of another length"
expect_err 'task j:Chg changed after it was partly applied \(2 of 4 statements committed; it has 2 now\)' \
	"changed task: the refusal says why"
go chg2
expect_rc 2 "changed task: a plain run says the body changed, not to use --resume"
expect_err 'task j:Chg changed after it was partly applied' "changed task: the plain run's refusal"
expect_no 'run again with --resume to continue' "changed task: no advice that then fails"
go chg3 --resume --dry-run
expect_rc 2 "changed task: a dry run refuses it too"
go chg3 --resume
expect_rc 2 "changed task: --resume refuses a body of the same length that changed"
go chg2 --resume-from 2
expect_rc 0 "changed task: --resume-from settles it"
t=$(my "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME = 'q'")
[ "$t" = 1 ] && ok "changed task: its new statement ran" || not_ok "changed task: table q is missing"

# --resume-from names a statement of one schema's task: two schemas left
# partial at statements 3 and 1 are not both continued from one number.
mk multi "<module $NS name=\"j\">$TABLE<task name=\"Four\"><sql>CREATE TABLE t_a (id INTEGER)</sql><sql>CREATE TABLE t_b (id INTEGER)</sql><sql>CREATE TABLE t_c (id INTEGER)</sql><sql>CREATE TABLE t_d (id INTEGER)</sql></task></module>"
for s in upg_jm1 upg_jm2; do
	my "DROP DATABASE IF EXISTS $s; CREATE DATABASE $s" >/dev/null
	"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_MARIADB" run --schema "$s" >/dev/null 2>&1
done
my "CREATE TABLE upg_jm1.t_c (x INTEGER); CREATE TABLE upg_jm2.t_a (x INTEGER)" >/dev/null
run "$UPGRADE" -T "$T_TMP/multi" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_jm?' --keep-going
expect_rc 2 "two schemas: the task fails in both"
run "$UPGRADE" -T "$T_TMP/multi" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_jm?' --keep-going
expect_rc 2 "two schemas: the next run refuses both"
expect_err "run again with --schema upg_jm1 --resume-from 3 if it did not commit" \
	"two schemas: the advice names the schema"
expect_err "'upgrade mark j:Four --schema upg_jm2'" "two schemas: so does the advice to mark"
run "$UPGRADE" -T "$T_TMP/multi" -c "$UPGRADE_TEST_MARIADB" run --schemas 'upg_jm?' --resume-from 4
expect_rc 64 "two schemas: --resume-from over both is refused"
expect_err '\-\-resume-from 4 settles the partly applied task of one schema, and the run has 2 schemas' \
	"two schemas: the refusal says why"
t=$(my "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'upg_jm2' AND TABLE_NAME IN ('t_b', 't_c', 't_d')")
[ "$t" = 0 ] && ok "two schemas: nothing ran in the schema the number is not for" ||
	not_ok "two schemas: $t tables of the task appeared in upg_jm2"
run "$UPGRADE" -T "$T_TMP/multi" -c "$UPGRADE_TEST_MARIADB" status --schemas 'upg_jm?' --check
expect_rc 1 "two schemas: both still partial"
printf 'one --schema upg_jm1\ntwo --schema upg_jm2\n' >"$T_TMP/jm.targets"
run "$UPGRADE" -T "$T_TMP/multi" -c "$UPGRADE_TEST_MARIADB" run --targets "$T_TMP/jm.targets" --resume-from 3
expect_rc 64 "two schemas: --resume-from with --targets is refused"
my "DROP DATABASE upg_jm1; DROP DATABASE upg_jm2" >/dev/null

# An install whose block ran, and whose tasks' record failed: status says
# the next run records them (it does not run the block again).
mk inst "<module $NS name=\"j\">$TABLE</module>"
printf '%s\n' "<module $NS name=\"ji\"><install><sql>CREATE TABLE i1 (id INTEGER)</sql><sql>INSERT INTO i1 VALUES (1)</sql></install><task name=\"A\"><sql>CREATE TABLE a1 (id INTEGER)</sql></task></module>" \
	>"$T_TMP/inst/ji.xml"
fresh ""
refuse_insert no_install "NEW.how = 'install'" 'no install records'
go inst
expect_rc 2 "install record fails: a failed task, as on PostgreSQL"
expect_out '^! ji \(install\) FAILED' "install record fails: the install is the failed task"
st inst
expect_out '^  new       ji:A  \(its install block ran; the next run records its tasks\)$' \
	"install record fails: status says only the record is left"
run "$UPGRADE" -T "$T_TMP/inst" -c "$UPGRADE_TEST_MARIADB" --format json status --schema "$DB"
expect_out '"task":"A","state":"new","will":"record"' "install record fails: JSON says it will record"
my "DROP TRIGGER $DB.no_install" >/dev/null
go inst
expect_rc 0 "install record fails: the next run"
n=$(my "SELECT COUNT(*) FROM $DB.i1")
[ "$n" = 1 ] && ok "install record fails: the block did not run again" || not_ok "install record fails: i1 has $n rows"
st inst --check
expect_rc 0 "install record fails: nothing pending after it"

# An install that failed: status says how on the install's own line (the
# driver's message has line breaks).
mk badinst "<module $NS name=\"j\">$TABLE</module>"
printf '%s\n' "<module $NS name=\"ji\"><install><sql>CREATE TABLE i1 (id INTEGER)</sql><sql>INSERT INTO nosuch VALUES (1)</sql></install><task name=\"A\"><sql>SELECT 1</sql></task></module>" \
	>"$T_TMP/badinst/ji.xml"
fresh ""
go badinst
expect_rc 2 "failed install: the run fails"
st badinst
expect_out '^  partial   ji:\(install\)  \(install: 1 of 2 statements committed at [^)]*; failed: statement failed: INSERT INTO nosuch .*42S02' \
	"failed install: status gives the failure on one line"

# An install killed during a statement that commits on its own: status
# says which statement is unknown, as for a task.
mk slowinst "<module $NS name=\"j\">$TABLE</module>"
printf '%s\n' "<module $NS name=\"ji\"><install><sql>CREATE TABLE i1 (id INTEGER)</sql><sql>CREATE TABLE i2 AS SELECT SLEEP(2) AS x</sql><sql>INSERT INTO i1 VALUES (1)</sql></install><task name=\"A\"><sql>SELECT 1</sql></task></module>" \
	>"$T_TMP/slowinst/ji.xml"
fresh ""
killed slowinst 1
st slowinst
expect_out '^  partial   ji:\(install\)  \(install: 1 of 3 statements committed; statement 2 unknown: started at ' \
	"install killed mid-statement: status says statement 2 is unknown"

# (c) Random kills of a run of many short tasks, each an INSERT, a CREATE
# TABLE and an INSERT: after every kill, each task's state must match the
# database exactly (an unknown statement may be either); after resuming,
# every statement ran exactly once.
ntasks=30
tasks=
k=1
while [ "$k" -le "$ntasks" ]; do
	tasks="$tasks<task name=\"T$k\"><sql>INSERT INTO log SELECT $k, 1, SLEEP(0.01)</sql><sql>CREATE TABLE t_$k AS SELECT SLEEP(0.01) AS x</sql><sql>INSERT INTO log SELECT $k, 3, SLEEP(0.01)</sql></task>"
	k=$((k + 1))
done
mk many "<module $NS name=\"j\">$TABLE$tasks</module>"

# facts K: what the database holds of task K, one digit per statement.
facts() {
	printf '%s\n' "$log_rows" | awk -v k="$1" '$1 == k && $2 == 1 { n = $3 } END { printf "%d", n }'
	printf '%s\n' "$tables" | awk -v t="t_$1" '$1 == t { n++ } END { printf "%d", n }'
	printf '%s\n' "$log_rows" | awk -v k="$1" '$1 == k && $2 == 3 { n = $3 } END { printf "%d", n }'
}
# expected STATE DONE RUNNING: a case pattern for facts.
expected() {
	case $1 in
	executed) echo 111 ;;
	pending) echo 000 ;;
	partial)
		p='' i=1
		while [ "$i" -le 3 ]; do
			if [ "$i" -le "$2" ]; then p="${p}1"; elif [ "$i" = "$3" ]; then p="${p}[01]"; else p="${p}0"; fi
			i=$((i + 1))
		done
		echo "$p" ;;
	*) echo "?" ;;
	esac
}
read_db() {
	log_rows=$(my "SELECT k, stmt, COUNT(*) FROM $DB.log GROUP BY k, stmt")
	tables=$(my "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$DB' AND TABLE_NAME LIKE 't\\_%'")
}

trials=${UPGRADE_KILL_TRIALS:-5}
trial=1
behind=0
while [ "$trial" -le "$trials" ]; do
	fresh "CREATE TABLE $DB.log (k INTEGER, stmt INTEGER, z INTEGER)"
	delay=$(awk -v s="$trial$$" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() * 1.2 }')
	killed many "$delay"
	st many --all
	read_db
	bad=
	partial=
	k=1
	while [ "$k" -le "$ntasks" ]; do
		line=$(printf '%s\n' "$out" | awk -v t="j:T$k" '$2 == t')
		state=$(printf '%s\n' "$line" | awk '{ print $1 }')
		done_n=$(printf '%s\n' "$line" | sed -n 's/.*(\([0-9]*\) of 3 statements committed.*/\1/p')
		running=$(printf '%s\n' "$line" | sed -n 's/.*statement \([0-9]*\) unknown.*/\1/p')
		pat=$(expected "$state" "${done_n:-0}" "${running:-0}")
		[ "$state" = partial ] && partial=" (T$k: $done_n of 3${running:+, $running unknown})"
		f=$(facts "$k")
		# shellcheck disable=SC2254 # the pattern is meant as one
		case $f in
		$pat) ;;
		*) bad="$bad T$k: state '$line', database $f;" ;;
		esac
		k=$((k + 1))
	done
	if [ -z "$bad" ]; then
		ok "random kill $trial of $trials (after ${delay}s): the state matches the database$partial"
	else
		behind=$((behind + 1))
		not_ok "random kill $trial of $trials (after ${delay}s): the state lies" "$bad"
	fi
	# Resume to the end, settling an unknown statement from what the database holds.
	n=0
	while [ "$n" -lt 5 ]; do
		go many --resume
		[ "$rc" = 0 ] && break
		stmt=$(printf '%s\n' "$err" | sed -n 's/.*task j:T\([0-9]*\) was interrupted during statement \([0-9]*\) of 3.*/\1 \2/p')
		[ -z "$stmt" ] && break
		read_db
		f=$(facts "${stmt% *}")
		s=${stmt#* }
		did=$(printf '%s' "$f" | cut -c"$s")
		go many --resume-from $((s + did))
		[ "$rc" = 0 ] && break
		n=$((n + 1))
	done
	if [ "$rc" = 0 ]; then ok "random kill $trial: resumed to the end"; else
		not_ok "random kill $trial: cannot resume" "$out" "$err"; fi
	read_db
	twice=$(printf '%s\n' "$log_rows" | awk '$3 != 1' | head -3)
	nrows=$(printf '%s\n' "$log_rows" | grep -c .)
	ntables=$(printf '%s\n' "$tables" | grep -c .)
	[ -z "$twice" ] && [ "$nrows" = $((ntasks * 2)) ] && [ "$ntables" = "$ntasks" ] &&
		ok "random kill $trial: every statement ran exactly once" ||
		not_ok "random kill $trial: not exactly once" "rows $nrows, tables $ntables, repeated: $twice"
	trial=$((trial + 1))
done

my "DROP DATABASE $DB" >/dev/null
finish
