#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-usage.sh - the command line itself: help, version, and one-line errors
# with the documented exit status for bad usage.
. "$top_srcdir/tests/lib.sh"

run "$UPGRADE" --help
expect_rc 0 "--help"
expect_out '^usage: upgrade' "--help prints usage"
expect_out '^  info ' "--help lists the info command"
expect_out '^  help ' "--help lists the help command"

run "$UPGRADE" --version
expect_rc 0 "--version"
expect_out '^upgrade [0-9]+\.[0-9]+\.[0-9]+ \(libupgrade [0-9.]+\)$' "--version format"
if printf '%s\n' "$out" | grep -Fqx "$(sed -n 3p "$top_srcdir/LICENSE")"; then
	ok "--version: the copyright line of LICENSE"; else not_ok "--version lacks LICENSE's copyright" "$out"; fi
expect_out '^License: MIT \(Expat\)' "--version: the licence"

run "$UPGRADE" help info
expect_rc 0 "help info"
expect_out 'usage: upgrade \[OPTIONS\] info' "help info prints the command's usage"

run "$UPGRADE" info --help
expect_rc 0 "info --help"
expect_out 'usage: upgrade \[OPTIONS\] info' "info --help prints the command's usage"

run "$UPGRADE"
expect_rc 64 "no command"
expect_err "^upgrade: no command given \(see 'upgrade --help'\)$" "no command: one-line error"

run "$UPGRADE" frobnicate
expect_rc 64 "unknown command"
expect_err "unknown command 'frobnicate' \(see" "unknown command named, nothing suggested"
expect_lines 1 err "unknown command: one line"

run "$UPGRADE" stauts
expect_rc 64 "mistyped command"
expect_err "^upgrade: unknown command 'stauts'; did you mean 'status'\? \(see 'upgrade --help'\)$" \
	"mistyped command: did you mean"

run "$UPGRADE" help lsit
expect_rc 64 "help for a mistyped command"
expect_err "unknown command 'lsit'; did you mean 'list'\?" "help: did you mean"

run "$UPGRADE" run --dryrun
expect_rc 64 "mistyped long option"
expect_err "^upgrade: unknown option '--dryrun'; did you mean '--dry-run'\? \(see 'upgrade --help'\)$" \
	"mistyped long option: did you mean"

run "$UPGRADE" --verbsoe info
expect_rc 64 "mistyped global option"
expect_err "unknown option '--verbsoe'; did you mean '--verbose'\?" "mistyped global option: did you mean"

run "$UPGRADE" --frob x info
expect_rc 64 "unknown option before a word"
expect_err "unknown option '--frob' \(see" "the unknown option is named, not the word after it"

run "$UPGRADE" --frob info
expect_rc 64 "unknown global option"
expect_err "unknown option '--frob'" "unknown long option named"

run "$UPGRADE" info -Z
expect_rc 64 "unknown short option"
expect_err "unknown option '-Z'" "unknown short option named"
expect_lines 1 err "unknown option: one line"

run "$UPGRADE" info --database
expect_rc 64 "missing argument"
expect_err "option '--database' needs an argument" "missing argument named"

run "$UPGRADE" --format yaml info
expect_rc 64 "bad --format"
expect_err "--format wants text or json, not 'yaml'" "bad --format value named"

run "$UPGRADE" info --login-timeout soon
expect_rc 64 "bad --login-timeout"
expect_err "'soon'" "bad number named"

run "$UPGRADE" -D novalue info
expect_rc 64 "bad --define"
expect_err "NAME=VALUE" "bad --define explained"

run env -u UPGRADE_CONNECT "$UPGRADE" info
expect_rc 64 "no database given"
expect_err "no database: give --database FILE" "no database explained"

run "$UPGRADE" --database a.db --dsn x info
expect_rc 64 "two connection options"
expect_err "only one of --connect, --dsn and --database" "conflicting options explained"

run "$UPGRADE" info extra
expect_rc 64 "operand to info"
expect_err "info takes no arguments \('extra'\)" "stray operand named"

run "$UPGRADE" --dialect oracle --database "$T_TMP/x.db" info
expect_rc 64 "unknown dialect"
expect_err "no such dialect 'oracle' \(known: sqlite, postgresql, mysql, mssql, generic\)" "unknown dialect lists the known ones"

# Every option of the parser's tables is in the help and in upgrade(1).  The
# tables are read from the sources: an entry is {"NAME", x_argument, VALUE, ...}.
sed -n 's/^[[:space:]]*{"\([a-z-]*\)", \([a-z]*\)_argument, \([^,]*\),.*/\1 \2 \3/p' \
	"$top_srcdir"/src/cli/*.c "$top_srcdir"/src/cli/cli.h >"$T_TMP/options"
if [ "$(grep -c '' "$T_TMP/options")" -ge 20 ]; then ok "option tables read from the sources"; else
	not_ok "option tables read from the sources: $(grep -c '' "$T_TMP/options") options"; fi
"$UPGRADE" --help >"$T_TMP/help"
for cmd in $(sed -n 's/^  \([a-z-]*\)  .*/\1/p' "$T_TMP/help"); do
	run "$UPGRADE" help "$cmd"
	expect_rc 0 "help $cmd"
	help_out=$out
	printf '%s\n' "$out" >>"$T_TMP/help"
	run "$UPGRADE" "$cmd" --help
	if [ "$out" = "$help_out" ]; then ok "'$cmd --help' is 'help $cmd'"; else
		not_ok "'$cmd --help' differs from 'help $cmd'" "$out" "$help_out"; fi
done
while read -r name has val; do
	case $val in
	"'"?"'") short="-$(printf '%s' "$val" | tr -d "'"), " ;;
	*) short="    " ;;
	esac
	if [ "$has" = required ]; then
		pat="^  $short--$name [A-Z=]+ +[^ ]"
	else
		pat="^  $short--$name +[^ ]"
	fi
	if grep -Eq -- "$pat" "$T_TMP/help"; then ok "--$name in the help with its description"; else
		not_ok "--$name not in the help as /$pat/"; fi
	if grep -q -- "^\.It .*Fl .*\\-$name\>" "$top_srcdir/man/upgrade.1"; then
		ok "--$name in upgrade(1)"; else not_ok "--$name is not an .It of upgrade(1)"; fi
done <"$T_TMP/options"

# Options of the command, and global ones, stand before or after the command.
mkdir -p "$T_TMP/cat"
printf '%s\n' '<module xmlns="urn:upgrade:catalog:1" name="m"><task name="T"><sql>CREATE TABLE t (id INTEGER)</sql></task></module>' \
	>"$T_TMP/cat/c.xml"
run "$UPGRADE" --lock-timeout 5 --schema main -T "$T_TMP/cat" run -d "$T_TMP/anywhere.db"
expect_rc 0 "command options before the command"
expect_out '^Running upgrade for main$' "run with its options before it ran"
run "$UPGRADE" --check status -d "$T_TMP/anywhere.db" -T "$T_TMP/cat" --all
expect_rc 0 "status --check before the command"
expect_out 'executed +m:T' "status options on both sides of the command"
run "$UPGRADE" --check run -d "$T_TMP/anywhere.db" -T "$T_TMP/cat"
expect_rc 64 "an option of another command"
expect_err "unknown option '--check'" "an option of another command is refused by this one"
run "$UPGRADE" -T run list
expect_rc 4 "an option's argument is not the command"
expect_err "run" "-T run: the catalog path is 'run', the command is list"

# NO_COLOR (no-color.org): only a non-empty value turns colour off.  Colour is
# only chosen on a terminal, so the run gets one from script(1).
colors() { # NO_COLOR-setting...: prints how many escape sequences a run on a terminal wrote
	rm -f "$T_TMP/tty.db"
	env "$@" TERM=dumb script -qec "'$UPGRADE' -T '$T_TMP/cat' -d '$T_TMP/tty.db' run" /dev/null |
		grep -c "$(printf '\033')\[4m" || :
}
if [ "$(colors -u NO_COLOR)" -gt 0 ]; then ok "colour on a terminal"; else
	not_ok "no colour on a terminal without NO_COLOR"; fi
if [ "$(colors NO_COLOR=)" -gt 0 ]; then ok "an empty NO_COLOR keeps colour"; else
	not_ok "an empty NO_COLOR turned colour off"; fi
if [ "$(colors NO_COLOR=1)" -eq 0 ]; then ok "NO_COLOR=1 turns colour off"; else
	not_ok "NO_COLOR=1 left colour on"; fi

finish
