#!/bin/sh
# SPDX-License-Identifier: MIT
# layering.sh - the library's files call each other one way only, as
# src/README draws it, and say what their long functions promise:
#  - no loop of calls between files: from the built objects of libupgrade
#    (nm: what each object defines and what it uses), the graph of which
#    file calls which has no cycle; a loop is printed file by file with
#    the function that closes each step;
#  - no loop of #include "..." between the headers of src/ and include/;
#  - no file of src/ is over 800 lines (a driver, one engine's whole table,
#    may be);
#  - every function of src/ and drivers/ longer than 40 lines has a
#    comment before it, or before its declaration in a header, saying its
#    contract (the command line's files in src/cli are not the library).
# No allow-list: a loop or a silent long function fails the test.
. "$top_srcdir/tests/lib.sh"

# report FILE OK-DESCRIPTION FAIL-DESCRIPTION: passes when FILE is empty,
# else fails with one detail line per line of FILE.
report() {
	if [ ! -s "$1" ]; then
		ok "$2"
		return
	fi
	set -f
	old_ifs=$IFS
	IFS='
'
	# shellcheck disable=SC2046 # one detail line per line of the file
	not_ok "$3" $(cat "$1")
	IFS=$old_ifs
	set +f
}

# ---- calls -------------------------------------------------------------------

# The library's objects: the PIC ones libtool puts below .libs when it
# builds shared, else the plain ones.
objs=$(find "$top_builddir/src" "$top_builddir/drivers" -path '*/.libs/*' \
	-name 'libupgrade_internal_la-*.o' 2>/dev/null | LC_ALL=C sort)
[ -n "$objs" ] || objs=$(find "$top_builddir/src" "$top_builddir/drivers" \
	-name 'libupgrade_internal_la-*.o' 2>/dev/null | LC_ALL=C sort)
n=$(printf '%s\n' "$objs" | grep -c . || true)
if [ "$n" -lt 30 ]; then
	not_ok "the library's objects are found ($n below $top_builddir)"
	finish
fi
ok "the library's objects are found ($n)"

# FILE D SYMBOL and FILE U SYMBOL, FILE being e.g. src/state or drivers/mysql.
for o in $objs; do
	case $o in */drivers/*) dir=drivers ;; *) dir=src ;; esac
	f=${o##*/libupgrade_internal_la-}
	nm "$o" | awk -v file="$dir/${f%.o}" '
		NF == 3 && $2 ~ /^[TDBRVW]$/ { print file, "D", $3 }
		NF == 2 && $1 == "U" { print file, "U", $2 }'
done >"$T_TMP/syms"

# Prints one line per cycle of the graph "A B SYMBOL" (A calls SYMBOL of B):
# "A -> B (SYMBOL) -> C (SYMBOL) -> A (SYMBOL)".  A depth-first search;
# each back edge closes one cycle, printed once.
cycles() {
	awk '
	{ if (!(($1, $2) in why)) { why[$1, $2] = $3; out[$1] = out[$1] " " $2 }; node[$1]; node[$2] }
	function visit(v,   i, n, w, list, k, path) {
		state[v] = 1; stack[++depth] = v
		n = split(out[v], list, " ")
		for (i = 1; i <= n; i++) {
			w = list[i]
			if (state[w] == 1) {
				for (k = depth; stack[k] != w; k--) continue
				path = w
				for (; k < depth; k++) path = path " -> " stack[k + 1] " (" why[stack[k], stack[k + 1]] ")"
				print path " -> " w " (" why[v, w] ")"
			} else if (state[w] == 0) {
				visit(w)
			}
		}
		depth--; state[v] = 2
	}
	END { for (v in node) if (state[v] == 0) visit(v) }'
}

awk '$2 == "D" { def[$3] = $1 } $2 == "U" { use[++n] = $1 " " $3 }
	END { for (i = 1; i <= n; i++) { split(use[i], p, " ");
		if ((p[2] in def) && def[p[2]] != p[1]) print p[1], def[p[2]], p[2] } }' \
	"$T_TMP/syms" | LC_ALL=C sort -u >"$T_TMP/calls"
edges=$(grep -c . "$T_TMP/calls" || true)
if [ "$edges" -lt 50 ]; then
	not_ok "the calls between files are found ($edges)"
else
	cycles <"$T_TMP/calls" >"$T_TMP/loops"
	report "$T_TMP/loops" \
		"no loop of calls between the library's files ($edges functions called across files)" \
		"no loop of calls between the library's files; these are:"
fi

# ---- includes ------------------------------------------------------------------

headers=$(cd "$top_srcdir" && find src include -name '*.h' | LC_ALL=C sort)
# Quoted includes name a header by its path below src/, src/cli/ or include/.
for h in $headers; do
	sed -n 's/^#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$top_srcdir/$h" | while read -r inc; do
		for d in src src/cli include; do
			[ -f "$top_srcdir/$d/$inc" ] && { printf '%s %s include\n' "$h" "$d/$inc"; break; }
		done
	done
done >"$T_TMP/includes"
if [ ! -s "$T_TMP/includes" ]; then
	not_ok "the includes between headers are found"
else
	cycles <"$T_TMP/includes" >"$T_TMP/inc-loops"
	report "$T_TMP/inc-loops" \
		"no loop of includes between headers ($(grep -c . "$T_TMP/includes") includes)" \
		"no loop of includes between headers; these are:"
fi

# ---- sizes -----------------------------------------------------------------------

# A file over 800 lines holds more than one job; a driver is one engine's
# whole table and may be longer.
(cd "$top_srcdir" && find src -name '*.[ch]' -exec wc -l {} + | awk '$2 != "total" && $1 > 800 {
	print $2 ": " $1 " lines" }') >"$T_TMP/big"
report "$T_TMP/big" "no source file outside drivers/ is over 800 lines" \
	"no source file outside drivers/ is over 800 lines; these are:"

# ---- contracts -------------------------------------------------------------------

# FILE:LINE NAME LENGTH for each function over 40 lines with no comment
# ending on one of the two lines before its name (the type's line and the
# one before).
sources=$(cd "$top_srcdir" && find src drivers -path src/cli -prune -o -name '*.c' -print | LC_ALL=C sort)
# shellcheck disable=SC2086 # a list of paths without spaces
(cd "$top_srcdir" && awk '
	FNR == 1 { prev1 = ""; prev2 = ""; infn = 0; pending = 0 }
	{
		if (!infn && $0 ~ /^[a-z_][a-z0-9_]*\(/) {
			name = $0; sub(/\(.*/, "", name); start = FNR; pending = 1
			commented = prev1 ~ /\*\/[ \t]*$/ || prev2 ~ /\*\/[ \t]*$/
		}
		if (pending && $0 == "{") { infn = 1; body = FNR; pending = 0 }
		if (infn && $0 == "}") {
			infn = 0
			if (FNR - body > 40 && !commented)
				print FILENAME ":" start, name, FNR - body
		}
		prev2 = prev1; prev1 = $0
	}' $sources) >"$T_TMP/long"

# A function declared in a header with a comment just before is documented there.
headers_all=$(cd "$top_srcdir" && find src include -name '*.h' | LC_ALL=C sort)
: >"$T_TMP/silent"
while read -r where name len; do
	# shellcheck disable=SC2086 # a list of paths without spaces
	if (cd "$top_srcdir" && awk -v fn="$name" '
		FNR == 1 { prev1 = ""; prev2 = ""; prev3 = "" }
		$0 ~ "(^|[ *])" fn "\\(" && (prev1 ~ /\*\/[ \t]*$/ || prev2 ~ /\*\/[ \t]*$/ ||
		    prev3 ~ /\*\/[ \t]*$/) { found = 1 }
		{ prev3 = prev2; prev2 = prev1; prev1 = $0 }
		END { exit !found }' $headers_all); then
		continue
	fi
	printf '%s: %s (%s lines)\n' "$where" "$name" "$len" >>"$T_TMP/silent"
done <"$T_TMP/long"
report "$T_TMP/silent" \
	"every function over 40 lines says its contract ($(grep -c . "$T_TMP/long" || true) of them)" \
	"every function over 40 lines says its contract; these do not:"

finish
