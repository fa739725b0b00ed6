#!/bin/sh
# catalog-bench.sh - the catalog benchmark: generates catalog sets of 1,000
# to 100,000 tasks and times loading, validating and ordering them
# (bench/catalog-bench), then, when clang is there, fuzzes the loader for
# longer than make check does.  Run it with "make bench".
#
# Environment: BENCH (the built bench/catalog-bench), top_srcdir,
# UPGRADE_SCHEMA; FUZZ_RUNS (default 1000000, 0 to skip fuzzing).
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

runs=${FUZZ_RUNS:-1000000}
if [ "$runs" -gt 0 ] && command -v clang >/dev/null 2>&1; then
	echo "fuzzing the loader for $runs inputs"
	FUZZ_RUNS=$runs FUZZ_TIME=3600 sh "$top_srcdir/tests/fuzz-catalog.sh"
fi
