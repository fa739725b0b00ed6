#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-info.sh - `upgrade info` on SQLite, PostgreSQL and MariaDB, by file,
# connection string, DSN and $UPGRADE_CONNECT; and the connection errors:
# clear, with SQLSTATE, exit status 5, and never the password.
. "$top_srcdir/tests/lib.sh"

# expect_line LINE DESCRIPTION: stdout has exactly this line.
expect_line() {
	if printf '%s\n' "$out" | grep -qxF -- "$1"; then ok "$2"; else
		not_ok "$2: stdout lacks the line '$1'" "stdout: $out" "stderr: $err"; fi
}

db="$T_TMP/info test.db"
run "$UPGRADE" --database "$db" info
expect_rc 5 "info on a missing SQLite file"
expect_err "^upgrade: error: $db: no such database file" "the missing file is named"
[ ! -e "$db" ] && ok "info created no file" || not_ok "info created the SQLite file"
: >"$db"
run "$UPGRADE" --database "$db" info
expect_rc 0 "info on an empty SQLite file"
expect_out '^engine: +SQLite 3\.' "engine line"
expect_out '^dialect: +sqlite$' "dialect line"
expect_out '^driver: +.*sqlite3odbc' "driver line"
expect_out '^capabilities: .*transactional-ddl' "capabilities line"

# The version of the SQLite library in use, not the one sqliteodbc was built with.
if command -v sqlite3 >/dev/null 2>&1; then
	lib=$(sqlite3 :memory: 'SELECT sqlite_version()')
elif command -v python3 >/dev/null 2>&1; then
	lib=$(python3 -c 'import sqlite3; print(sqlite3.sqlite_version)')
else
	lib=
fi
if [ -n "$lib" ]; then
	expect_line "engine:       SQLite $lib" "engine version is the library's ($lib)"
else
	not_ok "sqlite3 or python3 is needed to ask SQLite for its version"
fi

# The example of upgrade(1) is what info prints (versions aside, which vary).
mkdir -p "$T_TMP/ex" && cd "$T_TMP/ex" || exit 1
: >app.db
run "$UPGRADE" --database app.db info
cd - >/dev/null || exit 1
example=$(sed -n '/^\$ upgrade --database app.db info$/,/^\.Ed$/p' "$top_srcdir/man/upgrade.1" |
	sed '1d;$d')
for key in dialect connection capabilities; do
	want=$(printf '%s\n' "$example" | grep "^$key:")
	expect_line "$want" "upgrade(1) example: $key line"
done
for key in engine driver; do
	shape=$(printf '%s\n' "$example" | grep "^$key:" | sed 's/[0-9][0-9.]*/N/g')
	got=$(printf '%s\n' "$out" | grep "^$key:" | sed 's/[0-9][0-9.]*/N/g')
	if [ -n "$shape" ] && [ "$shape" = "$got" ]; then ok "upgrade(1) example: $key line"; else
		not_ok "upgrade(1) example: $key line" "man: $shape" "got: $got"; fi
done

run "$UPGRADE" --database "$db" --format json info
expect_rc 0 "info --format json"
expect_out '^\{"type":"info","engine":"SQLite","engine_version":"[0-9.]+","dialect":"sqlite",' "json object"
expect_out '"capabilities":\["transactional-ddl",' "json capabilities"

run "$UPGRADE" --database "$db" --dialect generic info
expect_rc 0 "forced generic dialect"
expect_out '^dialect: +generic$' "--dialect is obeyed"
expect_out '^capabilities: none$' "generic claims no capabilities"

# run may create the file, so it gets as far as the driver.
run "$UPGRADE" -T "$top_srcdir/tasks/examples" --database /nonexistent-dir/x.db run
expect_rc 5 "SQLite file in a missing directory"
expect_err '^upgrade: error: cannot connect to DRIVER=' "connect error names the target"
expect_err '\[[0-9A-Z]{5}\]' "connect error carries an SQLSTATE"

# A server that accepts connections and never says a word: --login-timeout
# must bound the wait on every engine.  perl is in every Debian system.
silent_pid=
start_silent() {
	perl -MIO::Socket::INET -e '
		alarm 300;
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
		                              Listen => 16, ReuseAddr => 1) or die "listen: $!\n";
		$| = 1;
		print $s->sockport, "\n";
		my @held;
		while (my $c = $s->accept) { push @held, $c; }
	' >"$T_TMP/silent.port" &
	silent_pid=$!
	trap 'kill "$silent_pid" 2>/dev/null; rm -rf "$T_TMP"' EXIT
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		silent_port=$(cat "$T_TMP/silent.port")
		[ -n "$silent_port" ] && return 0
		sleep 0.1
	done
	return 1
}

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_MARIADB &&
	require_env UPGRADE_TEST_PASSWORD && require_env UPGRADE_TEST_DOWN_PORT &&
	require_env UPGRADE_TEST_PG_ADMIN && require_env UPGRADE_TEST_MARIADB_ADMIN; then
	for engine in PG MARIADB; do
		eval "conn=\$UPGRADE_TEST_$engine"
		case $engine in PG) want=postgresql name=PostgreSQL ;; *) want=mysql name=MariaDB ;; esac

		run "$UPGRADE" --connect "$conn" info
		expect_rc 0 "$engine: info by connection string"
		expect_out "^engine: +$name " "$engine: engine"
		# The version as the server itself reports it.
		case $engine in
		PG) server=$($UPGRADE_TEST_PG_ADMIN -tA -c 'SHOW server_version') ;;
		*) server=$($UPGRADE_TEST_MARIADB_ADMIN -N -B -e 'SELECT VERSION()') ;;
		esac
		expect_line "engine:       $name $server" "$engine: engine version is the server's ($server)"
		run "$UPGRADE" --connect "$conn" --format json info
		if printf '%s\n' "$out" | grep -qF "\"engine_version\":\"$server\""; then
			ok "$engine: json engine_version is the server's"
		else
			not_ok "$engine: json engine_version is the server's" "stdout: $out"
		fi
		run "$UPGRADE" --connect "$conn" info
		expect_out "^dialect: +$want\$" "$engine: dialect"
		expect_out 'Pwd=\*\*\*' "$engine: password redacted in the connection line"
		expect_no "$UPGRADE_TEST_PASSWORD" "$engine: password never printed"

		run env UPGRADE_CONNECT="$conn" "$UPGRADE" info
		expect_rc 0 "$engine: info by UPGRADE_CONNECT"
		expect_out "^dialect: +$want\$" "$engine: UPGRADE_CONNECT is used"

		bad=$(printf '%s' "$conn" | sed "s/{$UPGRADE_TEST_PASSWORD}/{wrong;pw=1}/")
		run "$UPGRADE" --connect "$bad" info
		expect_rc 5 "$engine: wrong password"
		expect_err '\[(28000|28P01|08001|HY000)\]' "$engine: wrong password has an SQLSTATE"
		expect_no "wrong;pw" "$engine: wrong password never printed"
		expect_no "$UPGRADE_TEST_PASSWORD" "$engine: right password never printed"

		down=$(printf '%s' "$conn" | sed "s/Port=[0-9]*/Port=$UPGRADE_TEST_DOWN_PORT/")
		run "$UPGRADE" --login-timeout 5 --connect "$down" info
		expect_rc 5 "$engine: server down"
		expect_err "Port=$UPGRADE_TEST_DOWN_PORT" "$engine: server down names the port"
		expect_err '\[[0-9A-Z]{5}\]' "$engine: server down has an SQLSTATE"
		expect_no "$UPGRADE_TEST_PASSWORD" "$engine: server down never prints the password"

		if [ -n "$silent_pid" ] || start_silent; then
			silent=$(printf '%s' "$conn" | sed "s/Port=[0-9]*/Port=$silent_port/")
			started=$(date +%s)
			run timeout 30 "$UPGRADE" --login-timeout 2 --connect "$silent" info
			took=$(($(date +%s) - started))
			expect_rc 5 "$engine: silent server, --login-timeout 2 returns"
			expect_err '^upgrade: error: cannot connect to ' "$engine: silent server: connect error"
			if [ "$took" -le 15 ]; then ok "$engine: silent server: gave up after ${took} s"; else
				not_ok "$engine: silent server: gave up after ${took} s, want at most 15"; fi
		else
			not_ok "$engine: cannot start a silent listener"
		fi
	done

	run "$UPGRADE" --dsn upgrade_pg info
	expect_rc 0 "info by DSN"
	expect_out '^dialect: +postgresql$' "DSN dialect"
fi

run "$UPGRADE" --dsn upgrade_no_such_dsn info
expect_rc 5 "unknown DSN"
expect_err '\[IM002\]' "unknown DSN: IM002"
expect_err 'DSN=upgrade_no_such_dsn' "unknown DSN named"

finish
