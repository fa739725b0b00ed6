#!/bin/sh
# cli-validate.sh - `upgrade validate`: no database, every problem of every
# catalog as FILE:LINE: error: [OBJECT: ]MESSAGE on stderr, exit 4 on any;
# where catalogs come from (-T, operands, $UPGRADE_TASKS_PATH); -D values;
# --dialect; the size limit; a missing schema.
. "$top_srcdir/tests/lib.sh"

ex="$top_srcdir/tasks/examples"
bad="$top_srcdir/tests/catalogs/bad"
good="$top_srcdir/tests/catalogs/good"
# No database is needed: make sure none could be reached.
unset UPGRADE_CONNECT UPGRADE_TASKS_PATH

run "$UPGRADE" validate -T "$ex"
expect_rc 0 "the example catalogs are valid"
expect_out '^3 modules, 16 tasks: valid$' "validate summarises what it checked"
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
expect_out '^2 modules, 13 tasks: valid$' "\$UPGRADE_TASKS_PATH read"
UPGRADE_TASKS_PATH="$bad" run "$UPGRADE" validate -T "$ex"
expect_rc 0 "-T wins over \$UPGRADE_TASKS_PATH"
run "$UPGRADE" validate -T "$T_TMP/nothing-here"
expect_rc 4 "a missing path"
expect_err "nothing-here: error: cannot open" "a missing path is named"
run "$UPGRADE" validate -T "$ex/reports.xml"
expect_rc 4 "a module whose dependencies are missing"
expect_err "reports.xml:12: error: demo.reports: depends on unknown module 'demo.accounts'" "missing dependency named"

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

finish
