#!/bin/sh
# SPDX-License-Identifier: MIT
# completion.sh - the bash completion of completion/bash/upgrade, driven as
# bash drives it: the file is sourced, COMP_WORDS and COMP_CWORD are set as
# readline splits the line (at ':' and '=' too), and _upgrade fills
# COMPREPLY.  Commands, options and their arguments, options before the
# command, and task ids (with spaces) from the catalogs on the line.
. "$top_srcdir/tests/lib.sh"

if ! command -v bash >/dev/null 2>&1; then
	not_ok "bash is needed to test the bash completion"
	finish
fi

# comp WORD...: completes the last WORD of "upgrade WORD..."; $out gets the
# candidates, one a line, sorted.  As in an interactive shell, the help is
# read on the first completion only: the first bash leaves what it read in
# $T_TMP/loaded for the later ones (otherwise 18 runs of the command each).
comp() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	run bash -c '
		. "$1/completion/bash/upgrade" || exit 99
		loaded=$2
		shift 2
		if [ -f "$loaded" ]; then . "$loaded" || exit 97; fi
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		_upgrade || exit 98
		[ -f "$loaded" ] || declare -p _upgrade_prog _upgrade_cmds _upgrade_opts >"$loaded" 2>/dev/null
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
	' completion "$top_srcdir" "$T_TMP/loaded" "$UPGRADE" "$@"
	out=$(printf '%s\n' "$out" | sort)
}
# expect_words DESCRIPTION WORD...: the candidates are exactly these words.
expect_words() {
	what=$1
	shift
	want=$(printf '%s\n' "$@" | sort)
	[ $# -eq 0 ] && want=
	if [ "$rc" -eq 0 ] && [ "$out" = "$want" ]; then ok "$what"; else
		not_ok "$what (exit $rc)" "got:" "$out" "want:" "$want" "stderr: $err"; fi
}

commands=$("$UPGRADE" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
# shellcheck disable=SC2086 # one word per command
set -- $commands
if [ $# -ge 10 ]; then ok "$# commands in the help"; else not_ok "only $# commands in the help: $commands"; fi
comp ''
# shellcheck disable=SC2086
expect_words "every command of the help at the first word" $commands
comp st
expect_words "'st' completes to status" status
comp help ''
# shellcheck disable=SC2086
expect_words "help completes commands" $commands

# Options: for every command, what its help lists plus the global options.
global=$("$UPGRADE" --help | sed -n 's/^  \(-[A-Za-z], \|    \)\(--[a-z-]*\).*/\2/p')
for cmd in $commands; do
	own=$("$UPGRADE" help "$cmd" | sed -n 's/^  \(-[A-Za-z], \|    \)\(--[a-z-]*\).*/\2/p')
	comp "$cmd" --
	# shellcheck disable=SC2086 # one word per option
	expect_words "$cmd --: its options and the global ones" $own $global
done
comp run --dr
expect_words "'run --dr' completes to --dry-run" --dry-run
comp status --dr
expect_words "status has no --dry-run" 

# Arguments of options: choices from the help, files, nothing for a number.
comp --format ''
expect_words "--format: text or json" text json
comp --color = ''
expect_words "--color=: its three values" auto always never
comp info --dialect m
expect_words "--dialect m: the dialects starting with m" mysql mssql
mkdir -p "$T_TMP/dir"
: >"$T_TMP/dir/app.db"
comp -d "$T_TMP/dir/a"
expect_words "--database: file names" "$T_TMP/dir/app.db"
comp run --lock-timeout ''
expect_words "--lock-timeout: nothing to offer for a number"

# Options before the command, with their arguments, are skipped.
comp --lock-timeout 5 -T "$T_TMP/dir" ru
expect_words "options and arguments before the command" run
comp -T run li
expect_words "-T's argument is not the command" list

# Task ids: from 'upgrade list' with the catalogs of the command line.
mkdir -p "$T_TMP/cat"
cat >"$T_TMP/cat/shop.xml" <<'EOF'
<module xmlns="urn:upgrade:catalog:1" name="shop">
  <task name="Create"><sql>CREATE TABLE t (id INTEGER)</sql></task>
  <task name="Split names"><sql>CREATE TABLE u (id INTEGER)</sql></task>
</module>
EOF
comp -T "$T_TMP/cat" mark ''
expect_words "mark: the task ids, spaces escaped" 'shop:Create' 'shop:Split\ names'
comp unmark --tasks = "$T_TMP/cat" sh
expect_words "unmark with --tasks=DIR: the task ids" 'shop:Create' 'shop:Split\ names'
comp mark -T"$T_TMP/cat" shop : S
expect_words "after 'shop:' only the rest of the id (readline keeps the prefix)" 'Split\ names'
comp -T "$T_TMP/cat" mark shop:Create ''
expect_words "mark takes one task id"
UPGRADE_TASKS_PATH=$T_TMP/cat
export UPGRADE_TASKS_PATH
comp mark 'shop:C'
expect_words "mark: ids from the catalogs of UPGRADE_TASKS_PATH" 'Create'

finish
