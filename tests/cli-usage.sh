#!/bin/sh
# cli-usage.sh - the command line itself: help, version, and one-line errors
# with the documented exit status for bad usage.
. "$top_srcdir/tests/lib.sh"

run "$UPGRADE" --help
expect_rc 0 "--help"
expect_out '^usage: upgrade' "--help prints usage"
expect_out '^  info ' "--help lists the info command"

run "$UPGRADE" --version
expect_rc 0 "--version"
expect_out '^upgrade [0-9]+\.[0-9]+\.[0-9]+ \(libupgrade [0-9.]+\)$' "--version format"

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
expect_err "unknown command 'frobnicate'" "unknown command named"
expect_lines 1 err "unknown command: one line"

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

finish
