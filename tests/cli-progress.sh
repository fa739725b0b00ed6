#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-progress.sh - on a terminal, `upgrade run` keeps a live line that
# says what is going on and for how long: a slow task's elapsed time, a
# lock wait counting towards its timeout, and, when several schemas run,
# the run's elapsed time and an estimate of what is left.  None of it
# reaches a pipe or a file, nor a quiet run.  The terminal is script(1)'s.
. "$top_srcdir/tests/lib.sh"

if ! command -v script >/dev/null 2>&1; then
	not_ok "script(1) is needed to give upgrade a terminal (Debian package bsdutils)"
	finish
fi

NS='xmlns="urn:upgrade:catalog:1"'
mkdir -p "$T_TMP/base" "$T_TMP/slow"
printf '<module %s name="m"><task name="A"><sql>CREATE TABLE a (id INTEGER)</sql></task></module>\n' \
	"$NS" >"$T_TMP/base/c.xml"
# SQLite has no sleep: the task counts for some seconds.
printf '<module %s name="m"><task name="A"><sql>CREATE TABLE a (id INTEGER)</sql></task><task name="Slow"><sql>WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x &lt; 25000000) SELECT count(*) FROM c</sql></task></module>\n' \
	"$NS" >"$T_TMP/slow/c.xml"

# on_tty OUTFILE COMMAND...: runs the command on a terminal; the terminal's
# output, escapes and carriage returns included, goes to OUTFILE.
on_tty() {
	f=$1
	shift
	cmd=
	for a in "$@"; do cmd="$cmd '$a'"; done
	TERM=dumb script -qec "$cmd" /dev/null >"$f" 2>&1
}
CR=$(printf '\r')
# has FILE TEXT DESCRIPTION: the terminal output has the live line TEXT.
has() {
	if grep -qF -- "$2" "$1"; then ok "$3"; else
		not_ok "$3: no '$2' in" "$(tr '\r\033' '|^' <"$1")"; fi
}
# has_re FILE ERE DESCRIPTION: for counters that a loaded machine may tick past.
has_re() {
	if tr '\r' '\n' <"$1" | grep -qE -- "$2"; then ok "$3"; else
		not_ok "$3: no /$2/ in" "$(tr '\r\033' '|^' <"$1")"; fi
}

"$UPGRADE" -q -T "$T_TMP/base" -d "$T_TMP/a.db" run || not_ok "the module is known"

# One run does the slow task on a terminal and holds the lock meanwhile;
# a second one waits for the lock on another terminal, and gives up.
on_tty "$T_TMP/holder" "$UPGRADE" -T "$T_TMP/slow" -d "$T_TMP/a.db" run &
holder=$!
i=0
while ! grep -q 'm:Slow' "$T_TMP/holder" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
rc=0
on_tty "$T_TMP/waiter" "$UPGRADE" -T "$T_TMP/slow" -d "$T_TMP/a.db" run --lock-timeout 2 || rc=$?
expect_rc 3 "the waiting run times out"
has_re "$T_TMP/waiter" "  \.\.\. waiting for the lock: [0-9]+ s of 2 s; main is held by " \
	"a live line counts the lock wait towards its timeout"
has "$T_TMP/waiter" "upgrade: main: waiting up to 2 s for the lock held by" \
	"the lock wait's line on standard error is still there"
rc=0
wait "$holder" || rc=$?
expect_rc 0 "the slow run"
has_re "$T_TMP/holder" "  \.\.\. m:Slow \([1-9][0-9]* s\)" "a slow task shows how long it has been running"
has_re "$T_TMP/holder" "  \.\.\. m:Slow \(([2-9]|[1-9][0-9]) s\)" "and the live line keeps counting"
if grep -q "\(^\|$CR$(printf '\033')\[K\)executed 1 upgrade tasks$CR\$" "$T_TMP/holder"; then
	ok "the live line is cleared before the summary"; else
	not_ok "the summary line is not clean" "$(tr '\r\033' '|^' <"$T_TMP/holder")"; fi

# Not on a terminal, or quiet: no live line.
rm -f "$T_TMP/b.db"
"$UPGRADE" -q -T "$T_TMP/base" -d "$T_TMP/b.db" run
run "$UPGRADE" -T "$T_TMP/slow" -d "$T_TMP/b.db" run
expect_rc 0 "a run into a pipe"
if printf '%s\n' "$out" | grep -q "$CR"; then not_ok "a carriage return reached a pipe" "$out"; else
	ok "no live line in a pipe"; fi
rm -f "$T_TMP/b.db"
"$UPGRADE" -q -T "$T_TMP/base" -d "$T_TMP/b.db" run
on_tty "$T_TMP/quiet" "$UPGRADE" -q -T "$T_TMP/slow" -d "$T_TMP/b.db" run
if [ -s "$T_TMP/quiet" ]; then not_ok "a quiet run printed" "$(tr '\r\033' '|^' <"$T_TMP/quiet")"; else
	ok "no live line in a quiet run"; fi

# Several schemas: the run's elapsed time, and an estimate once a schema is done.
if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA IF EXISTS upg_prog_1 CASCADE; DROP SCHEMA IF EXISTS upg_prog_2 CASCADE' \
		-c 'CREATE SCHEMA upg_prog_1 AUTHORIZATION upgrade; CREATE SCHEMA upg_prog_2 AUTHORIZATION upgrade' \
		>/dev/null
	mkdir -p "$T_TMP/pg"
	"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_PG" run --schemas 'upg_prog_*' ||
		not_ok "PG: the module is known"
	printf '<module %s name="m"><task name="A"><sql>CREATE TABLE a (id INTEGER)</sql></task><task name="Sleep"><sql>SELECT pg_sleep(2.5)</sql></task></module>\n' \
		"$NS" >"$T_TMP/pg/c.xml"
	rc=0
	on_tty "$T_TMP/multi" "$UPGRADE" -T "$T_TMP/pg" -c "$UPGRADE_TEST_PG" run --schemas 'upg_prog_*' || rc=$?
	expect_rc 0 "PG: a run of two schemas on a terminal"
	if grep -Eq "  \\.\\.\\. m:Sleep \\([1-9] s; schema 1 of 2, [1-9] s elapsed\\)" "$T_TMP/multi"; then
		ok "PG: the live line has the schema and the run's elapsed time, no estimate yet"; else
		not_ok "PG: no elapsed time" "$(tr '\r\033' '|^' <"$T_TMP/multi")"; fi
	if grep -Eq "  \\.\\.\\. m:Sleep \\([1-9] s; schema 2 of 2, [0-9] s elapsed, about [0-9] s left\\)" "$T_TMP/multi"; then
		ok "PG: once schemas are done, an estimate of the time left"; else
		not_ok "PG: no estimate" "$(tr '\r\033' '|^' <"$T_TMP/multi")"; fi
	has "$T_TMP/multi" "Running upgrade for upg_prog_2" "PG: the stable lines are there"

	# With -j, a schema's events come in schema order once it is done, but
	# a lock wait is reported at once: here upg_prog_2 waits for a run that
	# holds it while upg_prog_1 is still busy with its task.
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA upg_prog_1 CASCADE; DROP SCHEMA upg_prog_2 CASCADE' \
		-c 'CREATE SCHEMA upg_prog_1 AUTHORIZATION upgrade; CREATE SCHEMA upg_prog_2 AUTHORIZATION upgrade' \
		>/dev/null
	"$UPGRADE" -q -T "$T_TMP/base" -c "$UPGRADE_TEST_PG" run --schemas 'upg_prog_*' ||
		not_ok "PG: the module is known"
	"$UPGRADE" -q -T "$T_TMP/pg" -c "$UPGRADE_TEST_PG" run --schema upg_prog_2 &
	holder=$!
	i=0
	while [ "$($UPGRADE_TEST_PG_ADMIN -At -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" = 0 ] &&
		[ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	run "$UPGRADE" -T "$T_TMP/pg" -c "$UPGRADE_TEST_PG" --format json run --schemas 'upg_prog_*' -j 2 \
		--lock-timeout 10
	expect_rc 0 "PG -j 2: the run waits for the lock and goes on"
	events=$(printf '%s\n' "$out" | sed -n 's/^{"type":"[a-z_]*","event":"\([a-z_]*\)"\(,"schema":"\([^"]*\)"\)\{0,1\}.*/\1 \3/p' | head -n 3)
	want="run_start 
lock_wait upg_prog_2
schema_start upg_prog_1"
	if [ "$events" = "$want" ]; then ok "PG -j 2: the lock wait is reported at once, before earlier schemas' events"; else
		not_ok "PG -j 2: the lock wait waited for the other schema" "got:" "$events" "want:" "$want"; fi
	if [ "$(printf '%s\n' "$out" | grep -c '"event":"lock_wait"')" = 1 ]; then ok "PG -j 2: the lock wait once"; else
		not_ok "PG -j 2: lock_wait events: $(printf '%s\n' "$out" | grep -c '"event":"lock_wait"')" "$out"; fi
	wait "$holder" || not_ok "PG: the run holding the lock"
	$UPGRADE_TEST_PG_ADMIN -c 'SET client_min_messages = warning' \
		-c 'DROP SCHEMA upg_prog_1 CASCADE; DROP SCHEMA upg_prog_2 CASCADE' >/dev/null
fi

finish
