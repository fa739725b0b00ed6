#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-lock.sh - the SQLite lock belongs to the database file, not to the
# name it is opened by: two runs through a hard link, a symlink or two
# spellings of one path race over many quick tasks, and every task is
# applied exactly once; a run with --lock-timeout through another name
# times out with exit 3 and names the holder.  Needs no server.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
TASKS=150
# An always-run task whose guard never holds keeps the module the same.
TABLE='<task name="Table" always-run="true"><only-if><query>SELECT 1 FROM (SELECT 1 AS x) t WHERE 1 = 0</query></only-if><sql>SELECT 1</sql></task>'
mkdir -p "$T_TMP/base" "$T_TMP/many" "$T_TMP/slow"
printf '<module %s name="many">%s</module>\n' "$NS" "$TABLE" >"$T_TMP/base/catalog.xml"
{
	printf '<module %s name="many">%s' "$NS" "$TABLE"
	i=1
	while [ "$i" -le "$TASKS" ]; do
		printf '<task name="T%d"><sql>INSERT INTO counter VALUES (%d)</sql></task>' "$i" "$i"
		i=$((i + 1))
	done
	printf '</module>\n'
} >"$T_TMP/many/catalog.xml"
# A task that takes a few seconds: SQLite has no sleep, so it counts.
printf '<module %s name="many">%s<task name="Slow"><sql>WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x &lt; 25000000) SELECT count(*) FROM c</sql></task></module>\n' \
	"$NS" "$TABLE" >"$T_TMP/slow/catalog.xml"

# fresh: a database at $T_TMP/d/a.db that knows the module, with an empty counter.
fresh() {
	rm -rf "$T_TMP/d"
	mkdir -p "$T_TMP/d/sub"
	"$UPGRADE" -q -T "$T_TMP/base" -d "$T_TMP/d/a.db" run >/dev/null 2>&1
	sqlite3 "$T_TMP/d/a.db" 'CREATE TABLE counter (n INTEGER)'
}

# race LABEL NAME1 NAME2: two runs at once, one through each name (from $T_TMP/d).
race() {
	label=$1
	(cd "$T_TMP/d" && exec "$UPGRADE" -T "$T_TMP/many" -d "$2" run --lock-timeout 60) \
		>"$T_TMP/race.1" 2>&1 &
	p1=$!
	(cd "$T_TMP/d" && exec "$UPGRADE" -T "$T_TMP/many" -d "$3" run --lock-timeout 60) \
		>"$T_TMP/race.2" 2>&1 &
	p2=$!
	fails=0
	wait "$p1" || fails=$((fails + 1))
	wait "$p2" || fails=$((fails + 1))
	[ "$fails" -eq 0 ] && ok "$label: both runs succeed" ||
		not_ok "$label: $fails runs failed" "$(cat "$T_TMP/race.1" "$T_TMP/race.2")"
	counts=$(sqlite3 "$T_TMP/d/a.db" 'SELECT count(*) || " " || count(DISTINCT n) FROM counter')
	[ "$counts" = "$TASKS $TASKS" ] && ok "$label: every task applied exactly once" ||
		not_ok "$label: rows, distinct rows: $counts, want $TASKS $TASKS"
	# The loser waited for the winner, then found nothing left to do.
	done1=$(grep -c "^executed $TASKS upgrade tasks$" "$T_TMP/race.1" "$T_TMP/race.2" | grep -c ':1$')
	idle=$(grep -c '^no pending upgrade tasks found$' "$T_TMP/race.1" "$T_TMP/race.2" | grep -c ':1$')
	[ "$done1" = 1 ] && [ "$idle" = 1 ] && ok "$label: one run did all tasks, the other waited and found none" ||
		not_ok "$label: the runs shared the work" "$(cat "$T_TMP/race.1")" "---" "$(cat "$T_TMP/race.2")"
}

trial=1
while [ "$trial" -le 3 ]; do
	fresh
	ln "$T_TMP/d/a.db" "$T_TMP/d/sub/b.db"
	race "hard link, trial $trial" a.db sub/b.db
	fresh
	ln -s ../a.db "$T_TMP/d/sub/c.db"
	race "symlink, trial $trial" "$T_TMP/d/a.db" sub/c.db
	fresh
	race "two spellings, trial $trial" ./a.db "$T_TMP/d/sub/../a.db"
	trial=$((trial + 1))
done

# A lock timeout through another name: exit 3, the holder named.
fresh
mkdir -p "$T_TMP/done"
printf '<module %s name="done"><task name="One"><sql>CREATE TABLE done_one (n INTEGER)</sql></task></module>\n' \
	"$NS" >"$T_TMP/done/catalog.xml"
"$UPGRADE" -q -T "$T_TMP/done" -d "$T_TMP/d/a.db" run >/dev/null 2>&1
ln "$T_TMP/d/a.db" "$T_TMP/d/sub/b.db"
ln -s ../a.db "$T_TMP/d/sub/c.db"
"$UPGRADE" -q -T "$T_TMP/slow" -d "$T_TMP/d/a.db" run --lock-timeout 60 >"$T_TMP/slow.out" 2>&1 &
slow=$!
# The holder starts within a fraction of a second; its task takes about 5 s.
sleep 1
# A run whose catalog is all recorded has nothing to do whatever the lock:
# it neither takes the lock nor waits for it.
run "$UPGRADE" -T "$T_TMP/done" -d "$T_TMP/d/sub/b.db" run --lock-timeout 1
expect_rc 0 "a run with nothing to do does not wait for the lock another run holds"
expect_out '^no pending upgrade tasks found$' "and says it has nothing to do"
holder='schema main is locked by another upgrade \(upgrade .* pid '"$slow"' since [0-9T:-]+Z\)'
run "$UPGRADE" -T "$T_TMP/slow" -d "$T_TMP/d/sub/b.db" run --lock-timeout 1
expect_rc 3 "a run through a hard link times out while the other name holds the lock"
if [ -e "$T_TMP/d/a.db.upgrade-lock" ]; then
	# No user extended attributes here: the holder is written beside the name it used.
	expect_err 'schema main is locked by another upgrade' "the timeout through a hard link says so"
else
	expect_err "$holder" "the timeout through a hard link names the holder's host, pid and start"
	expect_err 'waiting up to 1 s for the lock held by upgrade .* pid '"$slow"' since ' \
		"the wait through a hard link is announced with the holder"
fi
n=$(printf '%s\n' "$err" | grep -c 'error:')
[ "$n" = 1 ] && ok "the timeout is one error line" || not_ok "the timeout: $n error lines" "$err"
run "$UPGRADE" -T "$T_TMP/slow" -d "$T_TMP/d/sub/c.db" run --lock-timeout 1
expect_rc 3 "a run through a symlink times out too"
expect_err "$holder" "the timeout through a symlink names the holder's host, pid and start"
wait "$slow"
rc=$?
[ "$rc" -eq 0 ] && ok "the holder finishes" || not_ok "the holder failed: $rc" "$(cat "$T_TMP/slow.out")"
run "$UPGRADE" -T "$T_TMP/slow" -d "$T_TMP/d/sub/b.db" run --lock-timeout 1
expect_rc 0 "after the holder is done, the other name gets the lock"
expect_out '^no pending upgrade tasks found$' "and finds the task done"

finish
