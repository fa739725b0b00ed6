#!/bin/sh
# SPDX-License-Identifier: MIT
# catalog-bench.sh - the catalog benchmark: generates catalog sets of 1,000
# to 100,000 tasks and times loading, validating and ordering them
# (bench/catalog-bench), times upgrade(1) on hostile files, then, when
# clang is there, fuzzes the loader for longer than make check does.  Run
# it with "make bench".
#
# Environment: BENCH (the built bench/catalog-bench), top_srcdir,
# UPGRADE_SCHEMA; UPGRADE (the built command; without it the hostile
# files are skipped); FUZZ_RUNS (default 1000000, 0 to skip fuzzing).
set -eu
: "${BENCH:?}" "${top_srcdir:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upgrade-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "catalog load + validate + order (100 modules, requires on 20% of tasks)"
for n in 1000 3000 10000 30000 100000; do
	mkdir "$tmp/$n"
	"$BENCH" gen "$tmp/$n" "$n" 100 $((n / 5))
	size=$(du -sk "$tmp/$n" | cut -f1)
	printf '%7d tasks, %6d KiB of XML: ' "$n" "$size"
	"$BENCH" run "$tmp/$n" 7
	rm -rf "$tmp/$n"
done

# Hostile files under the size limit: the time upgrade(1) takes to refuse
# each (or to accept it, for the last two, which are within every limit).
if [ -n "${UPGRADE:-}" ]; then
	echo "upgrade validate on hostile files (wall-clock, one run each)"
	m='printf "<module xmlns=\"urn:upgrade:catalog:1\" name=\"m\">\n"'
	while IFS='|' read -r name prog; do
		awk "BEGIN { $m; $prog; print \"</module>\" }" >"$tmp/h.xml"
		size=$(du -k "$tmp/h.xml" | cut -f1)
		start=$(date +%s%N)
		rc=0
		"$UPGRADE" validate -T "$tmp/h.xml" >/dev/null 2>&1 || rc=$?
		end=$(date +%s%N)
		printf '%-36s %6d KiB  exit %d  %6d ms\n' "$name" "$size" "$rc" $(((end - start) / 1000000))
	done <<'EOF_CASES'
20,000 attributes on one element|printf "<task name=\"t\""; for (i = 0; i < 20000; i++) printf " a%d=\"\"", i; printf "/>"
1,000,000 attributes on one element|printf "<task name=\"t\""; for (i = 0; i < 1000000; i++) printf " a%d=\"\"", i; printf "/>"
1,000,000 empty elements|for (i = 0; i < 1000000; i++) printf "<a/>"
1,000,000 nested elements|for (i = 0; i < 1000000; i++) printf "<a>"; for (i = 0; i < 1000000; i++) printf "</a>"
1,000,000-byte element name|printf "<"; for (i = 0; i < 1000000; i++) printf "a"; printf "/>"
100,000 unknown dependencies|for (i = 0; i < 100000; i++) printf "<depends module=\"d%d\"/>\n", i
100,000 parameters without a value|for (i = 0; i < 100000; i++) printf "<param name=\"p%d\"/>\n", i
100,000 <when> of one dialect|printf "<task name=\"t\"><choose>"; for (i = 0; i < 100000; i++) printf "<when dialect=\"sqlite\"><sql>x</sql></when>\n"; printf "</choose></task>"
30,000 tasks, each a schema violation|for (i = 0; i < 30000; i++) printf "<task name=\"t%d\" bad=\"x\"/>\n", i
15,000 tasks of 63 attributes|for (i = 0; i < 15000; i++) { printf "<task name=\"t%d\"", i; for (j = 0; j < 63; j++) printf " a%d=\"\"", j; printf "/>\n" }
1,100,000 comments|printf "<task name=\"t\"><sql>x"; for (i = 0; i < 1100000; i++) printf "<!---->"; printf "</sql></task>"
990,000 comments (valid)|printf "<task name=\"t\"><sql>x"; for (i = 0; i < 990000; i++) printf "<!---->y"; printf "</sql></task>"
100,000 tasks (valid)|for (i = 0; i < 100000; i++) printf "<task name=\"t%d\"><sql>SELECT 1</sql></task>\n", i
EOF_CASES
	rm -f "$tmp/h.xml"
fi

runs=${FUZZ_RUNS:-1000000}
if [ "$runs" -gt 0 ] && command -v clang >/dev/null 2>&1; then
	echo "fuzzing the loader for $runs inputs"
	FUZZ_RUNS=$runs FUZZ_TIME=3600 sh "$top_srcdir/tests/fuzz-catalog.sh"
fi
