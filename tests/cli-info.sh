#!/bin/sh
# cli-info.sh - `upgrade info` on SQLite, PostgreSQL and MariaDB, by file,
# connection string, DSN and $UPGRADE_CONNECT; and the connection errors:
# clear, with SQLSTATE, exit status 5, and never the password.
. "$top_srcdir/tests/lib.sh"

db="$T_TMP/info test.db"
run "$UPGRADE" --database "$db" info
expect_rc 0 "info on a new SQLite file"
expect_out '^engine: +SQLite 3\.' "engine line"
expect_out '^dialect: +sqlite$' "dialect line"
expect_out '^driver: +.*sqlite3odbc' "driver line"
expect_out '^capabilities: .*transactional-ddl' "capabilities line"
[ -f "$db" ] && ok "the SQLite file was created" || not_ok "the SQLite file was created"

run "$UPGRADE" --database "$db" --format json info
expect_rc 0 "info --format json"
expect_out '^\{"engine":"SQLite","engine_version":"[0-9.]+","dialect":"sqlite",' "json object"
expect_out '"capabilities":\["transactional-ddl",' "json capabilities"

run "$UPGRADE" --database "$db" --dialect generic info
expect_rc 0 "forced generic dialect"
expect_out '^dialect: +generic$' "--dialect is obeyed"
expect_out '^capabilities: none$' "generic claims no capabilities"

run "$UPGRADE" --database /nonexistent-dir/x.db info
expect_rc 5 "SQLite file in a missing directory"
expect_err '^upgrade: error: cannot connect to DRIVER=' "connect error names the target"
expect_err '\[[0-9A-Z]{5}\]' "connect error carries an SQLSTATE"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_MARIADB &&
	require_env UPGRADE_TEST_PASSWORD && require_env UPGRADE_TEST_DOWN_PORT; then
	for engine in PG MARIADB; do
		eval "conn=\$UPGRADE_TEST_$engine"
		case $engine in PG) want=postgresql name=PostgreSQL ;; *) want=mysql name=MariaDB ;; esac

		run "$UPGRADE" --connect "$conn" info
		expect_rc 0 "$engine: info by connection string"
		expect_out "^engine: +$name " "$engine: engine"
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
