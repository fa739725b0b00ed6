#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-graph.sh - `upgrade graph`: Graphviz DOT with modules as clusters,
# requires and module-dependency edges, and names quoted safely.
. "$top_srcdir/tests/lib.sh"

ex="$top_srcdir/tasks/examples"
unset UPGRADE_CONNECT UPGRADE_TASKS_PATH

run "$UPGRADE" graph -T "$ex"
expect_rc 0 "graph of the examples"
first=$(printf '%s\n' "$out" | head -n 1)
last=$(printf '%s\n' "$out" | tail -n 1)
[ "$first" = "digraph upgrade {" ] && [ "$last" = "}" ] && ok "a digraph" || not_ok "not a digraph" "$out"
n=$(printf '%s\n' "$out" | grep -c 'subgraph "cluster_')
[ "$n" -eq 3 ] && ok "one cluster per module" || not_ok "$n clusters" "$out"
expect_out '^		"demo\.accounts:Create administrator" \[label="Create administrator", peripheries=2, shape=hexagon\];$' "task node with its flags"
expect_out '^		"demo\.accounts \(install\)" \[label="install", shape=component\];$' "the install block's node"
expect_out '^	"demo\.accounts:Add display name" -> "demo\.accounts:Fill display name";$' "requires edge"
expect_out '^	"demo\.accounts:Fill display name" -> "demo\.billing:Add billing name";$' "cross-module requires edge"
expect_out '^	"module demo\.accounts" -> "module demo\.billing" \[style=dashed, ltail="cluster_0", lhead="cluster_1"\];$' "module dependency edge"
first=$(printf '%s\n' "$out" | sed -n '/^	subgraph "cluster_1"/,/^	}/p' | sed -n 6p)
[ "$first" = '		"demo.billing:Refresh statistics" [label="Refresh statistics", style=filled, fillcolor=lightgrey, peripheries=2, shape=hexagon];' ] &&
	ok "a raw task comes first in its module, as it runs first" || not_ok "first task of demo.billing" "$first"

run "$UPGRADE" graph --modules -T "$ex"
expect_rc 0 "graph --modules"
expect_no 'cluster_' "--modules: no clusters"
expect_no 'Create administrator' "--modules: no tasks"
expect_no 'install' "--modules: no install blocks"
expect_out '^	"module demo\.billing" -> "module demo\.reports";$' "--modules: dependency edges"

# Quotes and backslashes in names stay inside their strings.
cat >"$T_TMP/q.xml" <<'XML'
<module xmlns="urn:upgrade:catalog:1" name="q&quot;m">
  <task name="say &quot;hi&quot; \ bye"/>
  <task name="next" requires="q&quot;m:say &quot;hi&quot; \ bye"/>
</module>
XML
run "$UPGRADE" graph -T "$T_TMP/q.xml"
expect_rc 0 "graph with quotes in names"
expect_out '^	"q\\"m:say \\"hi\\" \\\\ bye" -> "q\\"m:next";$' "quotes and backslashes escaped"

if command -v dot >/dev/null 2>&1; then
	run "$UPGRADE" graph -T "$ex"
	printf '%s\n' "$out" >"$T_TMP/g.dot"
	run dot -Tsvg "$T_TMP/g.dot" -o "$T_TMP/g.svg"
	expect_rc 0 "Graphviz reads the graph"
fi

run "$UPGRADE" graph -T "$top_srcdir/tests/catalogs/bad/module-cycle"
expect_rc 4 "graph of a broken catalog"

finish
