#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz-catalog.sh - builds the libFuzzer target tests/fuzz/fuzz_catalog.c
# with clang (-fsanitize=fuzzer,address,undefined) and runs it for a
# bounded number of inputs, seeded with every test catalog.
#
#   FUZZ_RUNS   inputs to try (default 20000; bench/ runs it for longer;
#               0: only compile the target's sources, for a second build of
#               the same sources: the target is built from the sources,
#               not from the build)
#   FUZZ_TIME   seconds at most (default 300)
#
# Without clang (Debian packages clang and libclang-rt-14-dev) the test
# says so and exits 77: skipped, since the rest of the suite does not need
# it.
. "$top_srcdir/tests/lib.sh"

runs=${FUZZ_RUNS:-20000}
max_time=${FUZZ_TIME:-300}
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "fuzz-catalog.sh: clang not found: install the Debian packages clang and libclang-rt-14-dev"
	exit 77
fi

src=$top_srcdir/src
cflags=$(pkg-config --cflags libxml-2.0 nettle json-c odbc)
libs="$(pkg-config --libs libxml-2.0 nettle json-c odbc) -lodbcinst -lpthread -ldl"
bin="$T_TMP/fuzz_catalog"
# The whole library, not only the catalog files: the catalog takes the
# dialect names from the dialect registry, which names every driver.
# FUZZ_RUNS=0: only that the target's sources compile (seconds, where the
# instrumented build takes most of a minute); nothing is linked or run.
if [ "$runs" = 0 ]; then
	set -- -fsyntax-only
else
	# shellcheck disable=SC2086 # the linker's options, one a word
	set -- -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined $libs -o "$bin"
fi
# shellcheck disable=SC2046 # file names without spaces
run "$CLANG" -g -O1 -I"$top_builddir" -I"$top_srcdir/include" -I"$top_builddir/include" -I"$src" $cflags \
	-DUPGRADE_PKGDATADIR='"/nonexistent"' -DUPGRADE_TASKDIR='"/nonexistent"' \
	-DUPGRADE_NATIVEDIR='"/nonexistent"' -DUPGRADE_BUILDING_LIBRARY \
	"$top_srcdir/tests/fuzz/fuzz_catalog.c" $(ls "$src"/*.c "$top_srcdir"/drivers/*.c) "$@"
expect_rc 0 "the fuzz target builds with clang"
if [ "$rc" -ne 0 ] || [ "$runs" = 0 ]; then
	finish
fi

# The seed corpus: every catalog of the tests, copied because libFuzzer
# writes new inputs into its first corpus directory.
mkdir -p "$T_TMP/corpus"
i=0
for f in $(find "$top_srcdir/tests/catalogs" "$top_srcdir/tasks/examples" -name '*.xml' | sort); do
	i=$((i + 1))
	cp "$f" "$T_TMP/corpus/seed$i.xml"
done
run "$bin" -runs="$runs" -max_total_time="$max_time" -max_len=8192 -timeout=20 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$T_TMP/" "$T_TMP/corpus"
expect_rc 0 "$runs fuzzed inputs without a crash, leak or failed invariant"
if [ "$rc" -ne 0 ]; then
	printf '%s\n' "$err" | tail -n 40
	for a in "$T_TMP"/crash-* "$T_TMP"/leak-* "$T_TMP"/timeout-*; do
		[ -f "$a" ] && { echo "--- $a:"; od -c "$a" | head -n 20; }
	done
fi
printf '%s\n' "$err" | grep -E '^stat::number_of_executed_units|^Done' || true

finish
