#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-list.sh - `upgrade list`: the plan, one task a line with its flags,
# or JSON; the model's order cases; moving or renaming files changes
# nothing.
. "$top_srcdir/tests/lib.sh"

ex="$top_srcdir/tasks/examples"
cats="$top_srcdir/tests/catalogs"
unset UPGRADE_CONNECT UPGRADE_TASKS_PATH

run "$UPGRADE" list -T "$ex"
expect_rc 0 "list the examples"
expect_lines 17 out "one task a line, and one line per install block"
first=$(printf '%s\n' "$out" | head -n 5)
[ "$first" = "demo.billing:Refresh statistics [raw, guarded]
demo.accounts (install) [install]
demo.billing (install) [install]
demo.reports (install) [install]
demo.accounts:Create administrator [always-run, guarded]" ] &&
	ok "the raw task first, as it runs before any schema's, then the install blocks, then the first task" ||
	not_ok "first lines: $first"
expect_out '^demo\.billing:Refresh statistics \[raw, guarded\]$' "a raw task"
expect_out '^demo\.accounts:Fill display name \[requires demo\.accounts:Add display name\]$' "a requires"
expect_out '^demo\.accounts:Index email$' "a task without flags"
expect_out '^demo\.reports:Obsolete: old report cache$' "a task name with a colon"
listing=$out

# Identity is the module name, not the file: renamed and moved files, the
# same plan.
mkdir -p "$T_TMP/x/y"
cp "$ex/accounts.xml" "$T_TMP/x/y/zz-1.xml"
cp "$ex/billing.xml" "$T_TMP/x/0.xml"
cp "$ex/reports.xml" "$T_TMP/x/y/a.xml"
run "$UPGRADE" list -T "$T_TMP/x/y" -T "$T_TMP/x/0.xml"
expect_rc 0 "list moved files"
[ "$out" = "$listing" ] && ok "moving and renaming files changes nothing" ||
	not_ok "moved files give another plan" "$out"

run "$UPGRADE" -v list -T "$ex"
expect_out '^demo\.accounts:Index email  /.*accounts\.xml:64 [0-9a-f]{64}$' "-v adds file, line and checksum"

run "$UPGRADE" list -T "$cats/model/8-order-key"
expect_rc 0 "model case 7.1.8"
want='click:test
missing_module:test
sqlalchemy:bbb
sqlalchemy:aaa
onegov.core:test
onegov.user:foo
onegov.agency:bar'
[ "$out" = "$want" ] && ok "model case 7.1.8 order" || not_ok "model case 7.1.8 order" "$out"

run "$UPGRADE" list -T "$cats/model/3-requirements"
want='one:Init Database
two:New Field [requires one:Init Database]
two:Destroy Database [requires two:New Field]'
[ "$out" = "$want" ] && ok "model case 7.1.3 order" || not_ok "model case 7.1.3 order" "$out"

run "$UPGRADE" list -T "$cats/order/not-layered"
want='core:A
core:B [requires core:A]
org:C'
[ "$out" = "$want" ] && ok "requires do not push tasks behind other modules" || not_ok "not layered" "$out"

run "$UPGRADE" --format json list -T "$ex"
expect_rc 0 "list --format json"
n=$(printf '%s\n' "$out" | grep -c '^{"type":"task",')
[ "$n" -eq 14 ] && ok "json: 14 tasks, one a line" || not_ok "json: $n tasks" "$out"
expect_out '"id":"demo.billing:Refresh statistics",' "json: task id"
expect_out '"raw":true,' "json: flags spelt out"
expect_out '"requires":"demo.accounts:Fill display name",' "json: requires"
expect_out '"checksum":"[0-9a-f]{64}"' "json: checksum"
expect_out '^\{"type":"module",.*"depends":\[' "json: module dependencies"
first=$(printf '%s\n' "$out" | grep -m 2 '^{"type":"task",' | sed 's/^{"type":"task",\("id":"[^"]*"\).*/\1/')
[ "$first" = '"id":"demo.billing:Refresh statistics"
"id":"demo.accounts:Create administrator"' ] && ok "json: the raw task first" || not_ok "json: first tasks" "$first"
if command -v python3 >/dev/null 2>&1; then
	if printf '%s\n' "$out" | python3 -c 'import json,sys; d=[json.loads(l) for l in sys.stdin]; m=[o for o in d if o["type"] == "module"]; t=[o for o in d if o["type"] == "task"]; assert len(t) == 14 and m[1]["depends"] == ["demo.accounts"] and m[0]["install"]'; then
		ok "json: parses, with the expected content"
	else
		not_ok "json does not parse" "$out"
	fi
fi

run "$UPGRADE" list -T "$cats/bad/requires-cycle.xml"
expect_rc 4 "list with a broken catalog"
expect_err "requires-cycle.xml:3: error: bad.reqcycle:A: requires cycle" "the problem is printed"
expect_lines 0 out "and no plan"

run "$UPGRADE" list extra
expect_rc 64 "list takes no operands"

finish
