#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-validate.sh - `upgrade validate`: no database, every problem of every
# catalog as FILE:LINE: error: [OBJECT: ]MESSAGE on stderr, exit 4 on any;
# where catalogs come from (-T, operands, $UPGRADE_TASKS_PATH); -D values;
# --dialect; the size limit; a missing schema; FIFOs, devices, links and
# unreadable files where catalogs are expected.
. "$top_srcdir/tests/lib.sh"

ex="$top_srcdir/tasks/examples"
bad="$top_srcdir/tests/catalogs/bad"
good="$top_srcdir/tests/catalogs/good"
# No database is needed: make sure none could be reached.
unset UPGRADE_CONNECT UPGRADE_TASKS_PATH

run "$UPGRADE" validate -T "$ex"
expect_rc 0 "the example catalogs are valid"
expect_out '^3 modules, 14 tasks: valid$' "validate summarises what it checked"
expect_lines 0 err "nothing on stderr when valid"

run "$UPGRADE" --dsn no-such-dsn validate "$ex/accounts.xml" "$ex/billing.xml" "$ex/reports.xml"
expect_rc 0 "files as operands; a bad DSN does not matter"

run "$UPGRADE" -q validate -T "$ex"
expect_rc 0 "validate -q"
expect_lines 0 out "-q prints nothing when valid"

# Every bad case alone: the documented exit status and the message.
tab=$(printf '\t')
while IFS="$tab" read -r case file line object text; do
	case $case in '#'* | '') continue ;; esac
	if [ "$object" = "-" ]; then want="/$file:$line: error: $text"
	else want="/$file:$line: error: $object: $text"; fi
	run "$UPGRADE" validate -T "$bad/$case"
	if [ "$rc" -eq 4 ] && printf '%s\n' "$err" | grep -Fq -- "$want"; then
		ok "bad $case: $text"
	else
		not_ok "bad $case: exit $rc, want 4 and '$want'" "stderr: $err"
	fi
	if printf '%s\n' "$err" | grep -Eqv '^(/|upgrade: )'; then
		not_ok "bad $case: a stderr line is not a diagnostic" "$err"
	fi
done <"$bad/cases.txt"

# All at once: every problem is reported, not only the first.
run "$UPGRADE" validate -T "$bad"
expect_rc 4 "all bad catalogs at once"
n=$(printf '%s\n' "$err" | grep -c ': error: ')
if [ "$n" -ge 30 ]; then ok "all problems reported together ($n)"; else
	not_ok "only $n problems reported together" "$err"; fi

# Where catalogs come from.
UPGRADE_TASKS_PATH="$ex/accounts.xml::$ex/billing.xml:" run "$UPGRADE" validate
expect_rc 0 "\$UPGRADE_TASKS_PATH, colon-separated, empty entries ignored"
expect_out '^2 modules, 11 tasks: valid$' "\$UPGRADE_TASKS_PATH read"
UPGRADE_TASKS_PATH="$bad" run "$UPGRADE" validate -T "$ex"
expect_rc 0 "-T wins over \$UPGRADE_TASKS_PATH"
run "$UPGRADE" validate -T "$T_TMP/nothing-here"
expect_rc 4 "a missing path"
expect_err "nothing-here: error: cannot open" "a missing path is named"
run "$UPGRADE" validate -T "$ex/reports.xml"
expect_rc 4 "a module whose dependencies are missing"
expect_err "reports.xml:13: error: demo.reports: depends on unknown module 'demo.accounts'" "missing dependency named"

# Placeholders from -D.
run "$UPGRADE" validate -T "$bad/placeholder-no-value.xml" -D needed=x
expect_rc 0 "-D gives a parameter its value"
run "$UPGRADE" validate -T "$bad/placeholder-no-value.xml" -D bad.novalue:needed=x
expect_rc 0 "-D MODULE:NAME=VALUE"
run "$UPGRADE" validate -T "$bad/placeholder-no-value.xml" -D other:needed=x
expect_rc 4 "-D for another module does not count"
run "$UPGRADE" validate -T "$ex" -D "bad name=x"
expect_rc 64 "an invalid -D name is a usage error"
expect_err "invalid parameter name 'bad name'" "the invalid name is shown"

# --dialect: every <choose> must have an alternative for it.
run "$UPGRADE" --dialect mysql validate -T "$good" -D suffix=1
expect_rc 0 "--dialect mysql"
expect_out 'valid for mysql$' "the dialect is named"
run "$UPGRADE" --dialect sqlite validate -T "$good" -D suffix=1
expect_rc 4 "--dialect sqlite"
expect_err "features.xml:74: error: test.features:Everything: raw: cannot run on dialect 'sqlite': the <choose> at .*features.xml:79 has no <when> for it and no <otherwise>" "the task and the <choose> are named"
run "$UPGRADE" --dialect oracle validate -T "$ex"
expect_rc 64 "an unknown --dialect"
for d in sqlite postgresql mysql mssql generic; do
	run "$UPGRADE" --dialect $d validate -T "$ex"
	expect_rc 0 "the examples run on $d"
done

# The size limit, checked before the file is read.
{
	echo '<module xmlns="urn:upgrade:catalog:1" name="big"><description>'
	head -c 17000000 /dev/zero | tr '\0' 'x'
	echo '</description></module>'
} >"$T_TMP/big.xml"
run "$UPGRADE" validate -T "$T_TMP/big.xml"
expect_rc 4 "a file over 16 MiB"
expect_err "big.xml: error: file is larger than the limit of 16777216 bytes" "the limit is named"
rm -f "$T_TMP/big.xml"

# Without its schema nothing validates.
UPGRADE_SCHEMA="$T_TMP/none.rng" run "$UPGRADE" validate -T "$ex"
expect_rc 4 "a missing schema"
expect_err "none.rng: error: cannot read the catalog schema" "the schema is named"

# Only regular files are read: a FIFO, a device or a directory where a
# catalog is expected never makes upgrade wait or read forever.  Each run
# is bounded by timeout(1), so that the old hang fails the test instead of
# stopping the suite.  In a directory such an entry is skipped with a
# warning; named on its own it is an error.
sp="$T_TMP/special"
mkdir -p "$sp/sub.xml"
cp "$ex/accounts.xml" "$sp/accounts.xml"
mkfifo "$sp/pipe.xml"
ln -s /dev/zero "$sp/zero.xml"
for cmd in validate run; do
	db=
	[ $cmd = run ] && db="-d $T_TMP/special.db"
	# shellcheck disable=SC2086 # $db is two words or none
	run timeout 60 "$UPGRADE" $db $cmd -T "$sp"
	expect_rc 0 "$cmd: a directory holding a FIFO, a link to /dev/zero and a directory *.xml"
	expect_err "^$sp/pipe\.xml: warning: skipped: a FIFO, not a regular file\$" "$cmd: the FIFO is skipped, with a warning"
	expect_err "^$sp/zero\.xml: warning: skipped: a character device, not a regular file\$" \
		"$cmd: the device is skipped, with a warning"
	expect_err "^$sp/sub\.xml: warning: skipped: a directory, not a regular file\$" \
		"$cmd: the directory is skipped, with a warning"
	expect_lines 3 err "$cmd: one line each"
done
expect_out '^\* demo\.accounts:' "run: the catalog beside them ran"

# refused_file PATH PATTERN DESCRIPTION: -T PATH is an error, for validate
# and run: exit 4 and one line "PATH: error: ..." matching PATTERN.
refused_file() {
	for cmd in validate run; do
		db=
		[ $cmd = run ] && db="-d $T_TMP/special.db"
		# shellcheck disable=SC2086 # $db is two words or none
		run timeout 60 "$UPGRADE" $db $cmd -T "$1"
		expect_rc 4 "$cmd: $3"
		expect_err "^$1: error: $2\$" "$cmd: $3: the path and the reason are named"
		expect_lines 1 err "$cmd: $3: in one line"
	done
}
refused_file "$sp/pipe.xml" "cannot load: a FIFO, not a regular file" "a FIFO named on its own"
refused_file /dev/zero "cannot load: a character device, not a regular file" "/dev/zero"
refused_file /dev/null "cannot load: a character device, not a regular file" "/dev/null"
# One file reached by several names loads once (it said "module is already
# declared" at its own line): named twice, a hard link, a symbolic link, and
# the directory holding them.
mkdir -p "$T_TMP/twice"
cp "$top_srcdir/tasks/examples/accounts.xml" "$T_TMP/twice/a.xml"
ln "$T_TMP/twice/a.xml" "$T_TMP/twice/hard.xml"
ln -s a.xml "$T_TMP/twice/soft.xml"
run "$UPGRADE" validate -T "$T_TMP/twice/a.xml" -T "$T_TMP/twice/a.xml" -T "$T_TMP/twice/hard.xml" \
	-T "$T_TMP/twice/soft.xml" -T "$T_TMP/twice"
expect_rc 0 "one file by five names: valid"
expect_out "^1 module, 6 tasks: valid\$" "one file by five names: one module"
# A socket cannot even be opened (ENXIO): it is named for what it is all the same.
if python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sp/sock.xml" 2>/dev/null; then
	refused_file "$sp/sock.xml" "cannot load: a socket, not a regular file" "a socket named on its own"
else
	not_ok "could not make a socket for the test"
fi
ln -s loop.xml "$sp/loop.xml"
refused_file "$sp/loop.xml" "cannot open: Too many levels of symbolic links" "a symbolic link loop"
ln -s no-such-file.xml "$sp/dangling.xml"
refused_file "$sp/dangling.xml" "cannot open: No such file or directory \(a dangling symbolic link\)" \
	"a dangling symbolic link"
# Both are errors inside a directory too: a catalog meant to be there is not.
run timeout 60 "$UPGRADE" validate -T "$sp"
expect_rc 4 "a directory with a link loop and a dangling link"
expect_err "^$sp/loop\.xml: error: cannot open: Too many levels of symbolic links\$" "the loop is named"
expect_err "^$sp/dangling\.xml: error: cannot open: No such file or directory" "the dangling link is named"
rm "$sp/loop.xml" "$sp/dangling.xml"

# An unreadable file; root reads anything, so as root the capabilities
# that let it are dropped for the run.  It is named through its directory:
# libtool's execute mode, which tests/lib.sh falls back on under
# UPGRADE_VALGRIND, reads files named as arguments.
mkdir "$T_TMP/secret"
cp "$ex/accounts.xml" "$T_TMP/secret/secret.xml"
chmod 000 "$T_TMP/secret/secret.xml"
unprivileged=
[ "$(id -u)" -eq 0 ] && unprivileged="setpriv --bounding-set=-dac_override,-dac_read_search"
if [ -n "$unprivileged" ] && ! command -v setpriv >/dev/null 2>&1; then
	echo "# root without setpriv(1): the unreadable file is left out"
else
	# shellcheck disable=SC2086 # a command and its option, or nothing
	run timeout 60 $unprivileged "$UPGRADE" validate -T "$T_TMP/secret"
	expect_rc 4 "an unreadable file"
	expect_err "^$T_TMP/secret/secret\.xml: error: cannot open: Permission denied\$" "it is named"
	expect_lines 1 err "an unreadable file: in one line"
fi

# The schema is read the same way.
UPGRADE_SCHEMA="$sp/pipe.xml" run timeout 60 "$UPGRADE" validate -T "$ex"
expect_rc 4 "a FIFO as the schema"
expect_err "pipe\.xml: error: cannot read the catalog schema: a FIFO, not a regular file" "it is named"

# What libxml2, RelaxNG or the loader would take quadratic time or
# unbounded memory for, in files under the size limit, is refused before
# libxml2 sees it; FILE:LINE names where.  Generated with awk; each run is
# bounded by timeout(1) so that a slow loader fails instead of stalling.
# gen NAME AWK-PROGRAM: writes $T_TMP/lim/NAME.xml from the program's output.
mkdir "$T_TMP/lim"
gen() { awk "BEGIN { $2 }" >"$T_TMP/lim/$1.xml"; }
M='printf "<module xmlns=\"urn:upgrade:catalog:1\" name=\"m\">\n"'
# limit NAME PATTERN DESCRIPTION: validate refuses NAME.xml with PATTERN.
limit() {
	run timeout 60 "$UPGRADE" validate -T "$T_TMP/lim/$1.xml"
	expect_rc 4 "$3"
	expect_err "^$T_TMP/lim/$1\.xml:$2" "$3: file, line and limit named"
	rm -f "$T_TMP/lim/$1.xml"
}
gen attrs "$M"'; printf "<task name=\"t\""; for (i = 0; i < 1000000; i++) printf " a%d=\"\"", i; print "/></module>"'
limit attrs "2: error: an element has more than 64 attributes$" "1,000,000 attributes on one element (11 MB)"
gen elems "$M"'; for (i = 0; i < 1000000; i++) printf "<a/>"; print "</module>"'
limit elems "1: error: an element has more than 200000 child elements$" "1,000,000 empty elements"
gen deep "$M"'; for (i = 0; i < 1000000; i++) printf "<a>"; for (i = 0; i < 1000000; i++) printf "</a>"; print "</module>"'
limit deep "2: error: elements are nested deeper than the limit of 32$" "1,000,000 nested elements"
gen name "$M"'; printf "<"; for (i = 0; i < 1000000; i++) printf "a"; print "/></module>"'
limit name "2: error: an element name is longer than the limit of 1024 bytes$" "a 1,000,000-byte element name"
gen attrname "$M"'; printf "<task name=\"t\" "; for (i = 0; i < 1000000; i++) printf "a"; print "=\"\"/></module>"'
limit attrname "2: error: an attribute name is longer than the limit of 1024 bytes$" "a 1,000,000-byte attribute name"
gen value "$M"'; printf "<task\n name=\""; for (i = 0; i < 2000000; i++) printf "a"; print "\"/></module>"'
limit value "2: error: an attribute value is longer than the limit of 1048576 bytes$" "a 2,000,000-byte attribute value"
gen comments "$M"'; printf "<task name=\"t\"><sql>x"; for (i = 0; i < 1100000; i++) printf "<!---->"; print "</sql></task></module>"'
limit comments "2: error: more than 1000000 nodes \(elements, attributes, comments" "1,100,000 comments"
# UTF-16 hides nothing: the same attributes, two bytes each.
gen attrs16 "$M"'; printf "<task name=\"t\""; for (i = 0; i < 100000; i++) printf " a%d=\"\"", i; print "/></module>"'
iconv -f UTF-8 -t UTF-16 "$T_TMP/lim/attrs16.xml" >"$T_TMP/lim/utf16.xml"
rm "$T_TMP/lim/attrs16.xml"
limit utf16 "2: error: an element has more than 64 attributes$" "100,000 attributes in UTF-16"
# An encoding in which markup need not be ASCII is refused.
gen utf7 'print "<?xml version=\"1.0\" encoding=\"UTF-7\"?>"; print "<module xmlns=\"urn:upgrade:catalog:1\" name=\"m\"/>"'
limit utf7 "1: error: encoding 'UTF-7' is not supported in catalogs: use UTF-8$" "a UTF-7 catalog"
# A catalog in UTF-16 that is within the limits still loads.
iconv -f UTF-8 -t UTF-16 "$ex/accounts.xml" >"$T_TMP/lim/accounts16.xml"
run timeout 60 "$UPGRADE" validate -T "$T_TMP/lim/accounts16.xml"
expect_rc 0 "a UTF-16 catalog within the limits"
# Many faults, each cheap, are not all reported: 200,000 unknown
# dependencies, and 100,000 tasks with a schema violation each (libxml2
# used to look through every earlier sibling for each).
gen depends "$M"'; for (i = 0; i < 200000; i++) printf "<depends module=\"d%d\"/>\n", i; print "</module>"'
run timeout 60 "$UPGRADE" validate -T "$T_TMP/lim/depends.xml"
expect_rc 4 "200,000 unknown dependencies"
expect_err "^$T_TMP/lim/depends\.xml: error: more than 1000 problems in this file; the others are not shown$" \
	"the count of problems is bounded"
expect_lines 1001 err "1000 problems shown"
gen faults "$M"'; for (i = 0; i < 100000; i++) printf "<task name=\"t%d\" bad=\"x\"/>\n", i; print "</module>"'
run timeout 60 "$UPGRADE" validate -T "$T_TMP/lim/faults.xml"
expect_rc 4 "100,000 tasks with a schema violation each"
expect_err "faults\.xml: error: more schema violations not shown$" "schema violations are bounded"
# Within every limit: 100,000 tasks in one file.
gen tasks "$M"'; for (i = 0; i < 100000; i++) printf "<task name=\"t%d\"><sql>SELECT 1</sql></task>\n", i; print "</module>"'
run timeout 60 "$UPGRADE" validate -T "$T_TMP/lim/tasks.xml"
expect_rc 0 "100,000 tasks in one file are within the limits"
expect_out '^1 module, 100000 tasks: valid$' "and all of them are loaded"

# What libxml2 says about broken bytes is one line per problem, in the
# documented form: its details ("Bytes: 0xFF 0xFE ...") stay on that line,
# and its decoder's complaints are not printed by libxml2 itself.
# one_line_errors NAME DESCRIPTION: NAME.xml is refused, every stderr line
# is FILE:LINE: error: ...
one_line_errors() {
	run timeout 60 "$UPGRADE" validate -T "$T_TMP/enc/$1.xml"
	expect_rc 4 "$2"
	if [ -n "$err" ] && printf '%s\n' "$err" | grep -Evq "^$T_TMP/enc/$1\.xml:[0-9]+: error: malformed XML: [^ ]"; then
		not_ok "$2: a stderr line is not FILE:LINE: error: MESSAGE" "$err"
	else
		ok "$2: one line per problem"
	fi
}
mkdir "$T_TMP/enc"
printf '<module xmlns="urn:upgrade:catalog:1" name="x\377\376"><task name="t"/></module>\n' \
	>"$T_TMP/enc/latin.xml"
one_line_errors latin "invalid UTF-8 bytes"
expect_err "latin\.xml:1: error: malformed XML: Input is not proper UTF-8, indicate encoding ! \(Bytes: 0xFF 0xFE 0x22 0x3E\)$" \
	"the bytes are named on the same line"
# UTF-16 with a byte order mark, and a lone surrogate in a value.
{
	printf '\377\376'
	printf '<module xmlns="urn:upgrade:catalog:1" name="x' | iconv -f UTF-8 -t UTF-16LE
	printf '\000\330"\000/\000>\000'
} >"$T_TMP/enc/utf16.xml"
one_line_errors utf16 "UTF-16 with a byte order mark and a lone surrogate"
expect_err "utf16\.xml:1: error: malformed XML: input conversion failed due to input error, bytes 0x00 0xD8" \
	"the decoder's complaint is a diagnostic"
head -c 200 "$ex/accounts.xml" >"$T_TMP/enc/truncated.xml"
one_line_errors truncated "a truncated file"
iconv -f UTF-8 -t UTF-16 "$ex/accounts.xml" | head -c 301 >"$T_TMP/enc/truncated16.xml"
one_line_errors truncated16 "a truncated UTF-16 file, cut inside a character"

# A <sql> that ends or begins a transaction: the runner's holds the task,
# its record and a dry run's rollback.  Refused at load, so validate finds it.
mkdir -p "$T_TMP/txn"
{
	printf '<module xmlns="urn:upgrade:catalog:1" name="txn">\n'
	for s in 'COMMIT' '  -- why\n  commit work;' 'END;' 'ROLLBACK' 'abort' 'START TRANSACTION' 'BEGIN' \
		'BEGIN ISOLATION LEVEL SERIALIZABLE' '/* c */ Begin Transaction' \
		'CREATE TABLE y (a INTEGER); COMMIT' "SELECT ';'; commit;" 'BEGIN IMMEDIATE' \
		"PREPARE TRANSACTION 'p'"; do
		printf '<task name="bad%s"><sql>CREATE TABLE x (a INTEGER)</sql><sql>%b</sql></task>\n' \
			"$(printf '%s' "$s" | tr -cd 'A-Za-z')" "$s"
	done
	for s in 'ROLLBACK TO SAVEPOINT s' 'BEGIN NOT ATOMIC SELECT 1; END' 'BEGIN\n UPDATE t SET a = 1\nEND' \
		'COMMITTED_ROWS()' 'ENDING' 'DO $$BEGIN PERFORM 1; END$$' 'ROLLBACK WORK TO SAVEPOINT s' \
		'ROLLBACK TRANSACTION TO SAVEPOINT s' 'ROLLBACK TRAN s1' "SELECT 'a;COMMIT'" \
		'DO $f$BEGIN PERFORM 1; COMMIT; END$f$' 'SELECT 1; -- COMMIT' 'SELECT "x;commit"'; do
		printf '<task name="ok%s"><sql>%b</sql></task>\n' "$(printf '%s' "$s" | tr -cd 'A-Za-z')" "$s"
	done
	printf '</module>\n'
} >"$T_TMP/txn/t.xml"
run "$UPGRADE" validate -T "$T_TMP/txn"
expect_rc 4 "transaction control in a task: a catalog error"
n=$(printf '%s\n' "$err" | grep -c 'a task may not end or begin a transaction')
[ "$n" = 13 ] && ok "every COMMIT, END, ROLLBACK, ABORT, BEGIN and START TRANSACTION is named ($n)" ||
	not_ok "transaction control: $n of 13 named" "$err"
expect_err 't\.xml:3: error: txn:badwhyncommitwork: <sql>: COMMIT: a task may not end or begin a transaction' \
	"the message names file, line, task and the statement"
expect_no 'txn:ok' "ROLLBACK TO, BEGIN NOT ATOMIC, a BEGIN block, a DO block, quoted text are not transaction control"
# So a dry run, on a fresh database, never keeps what such a task did.
rm -f "$T_TMP/txn.db"
run "$UPGRADE" -T "$T_TMP/txn" -d "$T_TMP/txn.db" run --dry-run
expect_rc 4 "dry run of it: refused before anything runs"
: >"$T_TMP/txn.db"
run "$UPGRADE" -T "$T_TMP/txn" -d "$T_TMP/txn.db" run --dry-run
expect_rc 4 "dry run of it on an empty database: a catalog error"
[ "$(sqlite3 "$T_TMP/txn.db" "SELECT count(*) FROM sqlite_master")" = 0 ] &&
	ok "the refused dry run left the database as it was" ||
	not_ok "the refused dry run left" "$(sqlite3 "$T_TMP/txn.db" .schema)"

finish
