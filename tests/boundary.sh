#!/bin/sh
# SPDX-License-Identifier: MIT
# boundary.sh - engines stay behind the dialect table: no file in src/
# names an engine (sqlite, postgres, psql, mysql, mariadb, mssql, galera),
# contains an SQLSTATE literal or takes a dialect table's address outside
# the registry; comments may speak of engines, code may not.  The
# command line's --dialect help names the registry's dialects.  And calls
# go one way: db.c never calls back into connection.c, nor a driver into
# the registry (src/dialect.c) that lists it.
#
# What an engine does differently belongs in drivers/*.c, behind a hook,
# a capability or trait bit, or a field of the dialect table
# (src/dialect.h).  The known exceptions are listed below, each with why.
. "$top_srcdir/tests/lib.sh"

# FILE (a shell pattern) <tab> what the line may say (an extended regular
# expression).  Keep it short: an entry here is an engine the core knows.
exceptions() {
	cat <<'EOF'
# The registry (the one list of dialects) declares and lists the drivers' tables.
src/dialect.h	^extern const struct upg_dialect upg_dialect_[a-z]+;$
src/dialect.c	^	&upg_dialect_[a-z]+,$
src/dialect.c	= &upg_dialect_generic;$
# A public function: its name is part of the ABI.
src/*	upgrade_conn_connect_sqlite\(
# check-install compares two SQLite files by design, reading SQLite's catalog.
src/cli/cmd-check-install.c	sqlite_master|LIKE 'sqlite%'
# The command line's help tells users where an option applies; its list
# of dialects is compared with the registry below.
src/cli/main.c	"(SQLite database file|sqlite, postgresql, mysql, mssql or generic|auto, off or table \(MariaDB: table on Galera\))"
src/cli/cmd-run.c	"after the run, wait until N replicas have replayed it \(PostgreSQL\)"
EOF
}

# The files: every C source and header below src/, and the drivers for
# the direction of calls.
files=$(cd "$top_srcdir" && find src drivers -name '*.[ch]' | LC_ALL=C sort)

# Prints FILE:LINE:CODE for every line of the files, comments blanked
# out and string literals kept (a message naming an engine is a leak).
strip_comments() {
	# shellcheck disable=SC2086 # a list of paths without spaces
	(cd "$top_srcdir" && awk '
	FNR == 1 { inblock = 0 }
	{
		out = ""; n = length($0); i = 1; instr = 0
		while (i <= n) {
			c = substr($0, i, 1); c2 = substr($0, i, 2)
			if (inblock) {
				if (c2 == "*/") { inblock = 0; i += 2 } else i++
				continue
			}
			if (instr) {
				out = out c
				if (c == "\\") { out = out substr($0, i + 1, 1); i += 2; continue }
				if (c == q) instr = 0
				i++
				continue
			}
			if (c2 == "/*") { inblock = 1; out = out " "; i += 2; continue }
			if (c2 == "//") break
			if (c == "\"" || c == "\047") { instr = 1; q = c }
			out = out c
			i++
		}
		print FILENAME ":" FNR ":" out
	}' $files)
}

# Reads FILE:LINE:CODE lines, prints those no exception covers.
not_excepted() {
	exceptions | grep -v '^#' >"$T_TMP/exceptions"
	while IFS= read -r hit; do
		file=${hit%%:*}
		code=${hit#*:}
		code=${code#*:}
		covered=
		while IFS='	' read -r pattern regex; do
			# shellcheck disable=SC2254 # pattern is a shell pattern on purpose
			case $file in
			$pattern) printf '%s\n' "$code" | grep -Eq -- "$regex" && covered=1 ;;
			esac
			[ -n "$covered" ] && break
		done <"$T_TMP/exceptions"
		[ -z "$covered" ] && printf '%s\n' "$hit"
	done
	return 0
}

n=$(printf '%s\n' "$files" | grep -c '^src/')
if [ "$n" -lt 20 ]; then
	not_ok "the sources are found ($n files below $top_srcdir/src)"
	finish
fi
strip_comments >"$T_TMP/code"

check() {
	what=$1
	shift
	grep '^src/' "$T_TMP/code" | grep "$@" | not_excepted >"$T_TMP/hits"
	if [ -s "$T_TMP/hits" ]; then
		set -f
		old_ifs=$IFS
		IFS='
'
		# shellcheck disable=SC2046 # one detail line per hit
		not_ok "no file in src/ $what; these lines do (move the difference into drivers/):" \
			$(cat "$T_TMP/hits")
		IFS=$old_ifs
		set +f
	else
		ok "no file in src/ $what ($n files)"
	fi
}

check "names an engine" -iE 'sqlite|postgres|psql|mysql|mariadb|mssql|galera'
# An SQLSTATE: two characters of class (ODBC's HY, IM, ... or with a digit), three of subclass.
check "compares an SQLSTATE literal" -E '"([0-9][0-9A-Z]|[A-Z][0-9]|HY|HZ|HV|IM)[0-9A-Z]{3}"'
check "takes a dialect table's address outside the registry" -E '&upg_dialect_[a-z]+'

# Calls go one way (src/README): WHO (the files whose names match the
# regular expression CALLER) calls no function defined in CALLEE.
calls_down() {
	who=$1
	caller=$2
	callee=$3
	defined=$(sed -n 's/^\([a-z_][a-z0-9_]*\)(.*/\1/p' "$top_srcdir/$callee" | sort -u)
	if [ -z "$defined" ]; then
		not_ok "the functions of $callee are found"
		return
	fi
	calls=
	for f in $defined; do
		grep -E "^$caller:[0-9]+:(.*[^a-z0-9_])?$f\(" "$T_TMP/code" >/dev/null &&
			calls="$calls $f"
	done
	if [ -n "$calls" ]; then
		not_ok "no function of $callee is called by $who; these are:$calls"
	else
		ok "no function of $callee is called by $who"
	fi
}
# The registry as the library tells it, and as --dialect's help lists it.
run "$UPGRADE" --dialect '?' --database "$T_TMP/x.db" info
known=$(printf '%s\n' "$err" | sed -n "s/.*no such dialect '?' (known: \([^)]*\)).*/\1/p")
helped=$("$UPGRADE" --help 2>&1 | sed -n 's/^ *--dialect NAME *//p' | sed 's/ or /, /')
if [ -n "$known" ] && [ "$known" = "$helped" ]; then
	ok "--dialect's help names the registry's dialects ($known)"
else
	not_ok "--dialect's help names the registry's dialects" "registry: $known" "help: $helped"
fi

calls_down src/db.c 'src/db\.c' src/connection.c
calls_down "the drivers" 'drivers/[a-z]*\.c' src/dialect.c

finish
