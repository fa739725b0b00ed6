#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-search-path.sh - the session is the user's: on PostgreSQL the tenant
# schema goes first in the search path and the connection's own search path
# (here psqlODBC's ConnSettings) follows, so a type and a function of
# another schema are found unqualified in every tenant, a schema named
# twice is kept at its first place, and new tables still land in the
# tenant.  The path is kept as the setting says it: "$user" stays for
# the server to resolve, a quoted name keeps its case, quotes and commas,
# an unquoted one is folded, whatever the whitespace.  MariaDB has no search path (a schema is the current database) and
# SQLite one schema: nothing to keep there.  tests/cli-cluster.sh checks the
# role's defaults through PgBouncer.
. "$top_srcdir/tests/lib.sh"

NS='xmlns="urn:upgrade:catalog:1"'
mkdir -p "$T_TMP/v0" "$T_TMP/v1"
printf '<module %s name="sp"><task name="Zero"><sql>SELECT 1</sql></task></module>\n' "$NS" \
	>"$T_TMP/v0/catalog.xml"
printf '<module %s name="sp"><task name="Zero"><sql>SELECT 1</sql></task><task name="Words"><sql>CREATE TABLE words (w citext)</sql><sql>INSERT INTO words VALUES (shout(%s))</sql><sql>INSERT INTO paths SELECT current_setting(%s)</sql></task></module>\n' \
	"$NS" "'a'" "'search_path'" >"$T_TMP/v1/catalog.xml"

if require_env UPGRADE_TEST_PG && require_env UPGRADE_TEST_PG_ADMIN; then
	pa() { $UPGRADE_TEST_PG_ADMIN -At -c "$1" 2>&1; }
	# Records DIR0's one task in SCHEMA, then runs DIR1 there: the second
	# run's exit status is the test.
	second_run() { # dir0 dir1 conn schema description
		"$UPGRADE" -q -T "$1" -c "$3" run --schema "$4" >/dev/null 2>&1
		run "$UPGRADE" -T "$2" -c "$3" run --schema "$4"
		expect_rc 0 "$5"
	}
	pa 'DROP SCHEMA IF EXISTS upg_sp_a CASCADE; DROP SCHEMA IF EXISTS upg_sp_b CASCADE;
	    DROP SCHEMA IF EXISTS upgx_sp CASCADE; CREATE SCHEMA upgx_sp;
	    GRANT USAGE ON SCHEMA upgx_sp TO upgrade; CREATE EXTENSION citext SCHEMA upgx_sp;
	    CREATE FUNCTION upgx_sp.shout(text) RETURNS text LANGUAGE sql AS $$SELECT upper($1)$$;
	    CREATE SCHEMA upg_sp_a AUTHORIZATION upgrade; CREATE SCHEMA upg_sp_b AUTHORIZATION upgrade;
	    CREATE TABLE upg_sp_a.paths (p TEXT); CREATE TABLE upg_sp_b.paths (p TEXT);
	    GRANT ALL ON upg_sp_a.paths, upg_sp_b.paths TO upgrade' >/dev/null
	conn="$UPGRADE_TEST_PG;ConnSettings={SET search_path TO \"\$user\", upg_sp_b, public, upgx_sp}"
	"$UPGRADE" -q -T "$T_TMP/v0" -c "$conn" run --schemas 'upg_sp_*' >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/v1" -c "$conn" run --schemas 'upg_sp_*'
	expect_rc 0 "PG: a task uses a type and a function of the connection's search path unqualified"
	got=$(pa "SELECT format_type(a.atttypid, NULL) || ' ' || w FROM upg_sp_a.words, pg_attribute a
	           WHERE a.attrelid = 'upg_sp_a.words'::regclass AND a.attname = 'w'
	           UNION ALL
	           SELECT format_type(a.atttypid, NULL) || ' ' || w FROM upg_sp_b.words, pg_attribute a
	           WHERE a.attrelid = 'upg_sp_b.words'::regclass AND a.attname = 'w'" | tr '\n' ';')
	[ "$got" = "upgx_sp.citext A;upgx_sp.citext A;" ] &&
		ok "PG: each tenant got its own table, of the extension's type, filled by its function" ||
		not_ok "PG: the tenants' words are '$got' (want upgx_sp.citext A, twice)"
	paths=$(pa "SELECT p FROM upg_sp_a.paths UNION ALL SELECT p FROM upg_sp_b.paths" | tr '\n' ';')
	[ "$paths" = 'upg_sp_a, "$user", upg_sp_b, public, upgx_sp;upg_sp_b, "$user", public, upgx_sp;' ] &&
		ok "PG: the tenant first, then the connection's path, each schema once" ||
		not_ok "PG: the tasks' search paths were '$paths'"
	pa 'DROP SCHEMA upg_sp_a CASCADE; DROP SCHEMA upg_sp_b CASCADE; DROP SCHEMA upgx_sp CASCADE' >/dev/null

	# A path set through set_config() (as in postgresql.conf or a libpq
	# option) is kept as the text was written, and SHOW gives it back so:
	# an unquoted name in capitals, a tab, no space after a comma, a quoted
	# name with spaces, a comma and a doubled quote, and a schema that does
	# not exist with a tab in its name (the server skips it; so must we,
	# not refuse it).
	mkdir -p "$T_TMP/odd0" "$T_TMP/odd1"
	printf '<module %s name="odd"><task name="Zero"><sql>SELECT 1</sql></task></module>\n' "$NS" \
		>"$T_TMP/odd0/catalog.xml"
	printf '<module %s name="odd"><task name="Zero"><sql>SELECT 1</sql></task><task name="Both"><sql>CREATE TABLE odd_words AS SELECT up_fn() || odd_fn() AS w, current_setting(%s) AS p</sql></task></module>\n' \
		"$NS" "'search_path'" >"$T_TMP/odd1/catalog.xml"
	pa 'DROP SCHEMA IF EXISTS upg_sp_odd CASCADE; DROP SCHEMA IF EXISTS upgx_sp_up CASCADE;
	    DROP SCHEMA IF EXISTS "upgx sp ""odd"", name" CASCADE;
	    CREATE SCHEMA upg_sp_odd AUTHORIZATION upgrade; CREATE SCHEMA upgx_sp_up;
	    CREATE SCHEMA "upgx sp ""odd"", name";
	    GRANT USAGE ON SCHEMA upgx_sp_up, "upgx sp ""odd"", name" TO upgrade' >/dev/null
	pa "CREATE FUNCTION upgx_sp_up.up_fn() RETURNS text LANGUAGE sql AS \$f\$SELECT 'up'\$f\$;
	    CREATE FUNCTION \"upgx sp \"\"odd\"\", name\".odd_fn() RETURNS text LANGUAGE sql
	    AS \$f\$SELECT '+odd'\$f\$" >/dev/null
	tab=$(printf '\t')
	conn="$UPGRADE_TEST_PG;ConnSettings={SELECT set_config('search_path', 'UPGX_SP_UP,$tab\"upgx sp \"\"odd\"\", name\" ,\"ghost${tab}schema\",public', false)}"
	second_run "$T_TMP/odd0" "$T_TMP/odd1" "$conn" upg_sp_odd \
		"PG: a path written as a string, with capitals, a tab and a quoted name holding a comma"
	got=$(pa "SELECT w || ' / ' || p FROM upg_sp_odd.odd_words")
	[ "$got" = "up+odd / upg_sp_odd, upgx_sp_up, \"upgx sp \"\"odd\"\", name\", \"ghost${tab}schema\", public" ] &&
		ok "PG: both functions found unqualified, each name of the path read as the server reads it" ||
		not_ok "PG: upg_sp_odd.odd_words holds '$got'"
	# An empty path (SHOW answers "") leaves the tenant alone on it.
	mkdir -p "$T_TMP/empty0" "$T_TMP/empty1"
	printf '<module %s name="empty"><task name="Zero"><sql>SELECT 1</sql></task></module>\n' "$NS" \
		>"$T_TMP/empty0/catalog.xml"
	printf '<module %s name="empty"><task name="Zero"><sql>SELECT 1</sql></task><task name="Path"><sql>CREATE TABLE empty_path AS SELECT current_setting(%s) AS p</sql></task></module>\n' \
		"$NS" "'search_path'" >"$T_TMP/empty1/catalog.xml"
	conn="$UPGRADE_TEST_PG;ConnSettings={SET search_path TO ''}"
	second_run "$T_TMP/empty0" "$T_TMP/empty1" "$conn" upg_sp_odd "PG: a connection with an empty search path"
	got=$(pa "SELECT p FROM upg_sp_odd.empty_path")
	[ "$got" = upg_sp_odd ] && ok "PG: with an empty path of its own, the tenant's schema alone" ||
		not_ok "PG: upg_sp_odd.empty_path holds '$got' (want upg_sp_odd)"
	# A path the client cannot split for sure (an unquoted name beyond
	# ASCII, which the server folds by its encoding; likewise a vertical tab
	# or a name over 63 bytes) is read as the schemas the server resolved:
	# those that exist, in order.
	mkdir -p "$T_TMP/fold1"
	printf '<module %s name="empty"><task name="Zero"><sql>SELECT 1</sql></task><task name="Folded"><sql>CREATE TABLE fold_path AS SELECT up_fn() AS w, current_setting(%s) AS p</sql></task></module>\n' \
		"$NS" "'search_path'" >"$T_TMP/fold1/catalog.xml"
	conn="$UPGRADE_TEST_PG;ConnSettings={SELECT set_config('search_path', 'UPGX_SP_UP, Été, public', false)}"
	run "$UPGRADE" -T "$T_TMP/fold1" -c "$conn" run --schema upg_sp_odd
	expect_rc 0 "PG: a path with an unquoted name beyond ASCII"
	got=$(pa "SELECT w || ' / ' || p FROM upg_sp_odd.fold_path")
	[ "$got" = 'up / upg_sp_odd, upgx_sp_up, public' ] &&
		ok "PG: that path read as the server resolved it" ||
		not_ok "PG: upg_sp_odd.fold_path holds '$got' (want up / upg_sp_odd, upgx_sp_up, public)"
	pa 'DROP SCHEMA upg_sp_odd CASCADE; DROP SCHEMA upgx_sp_up CASCADE;
	    DROP SCHEMA "upgx sp ""odd"", name" CASCADE' >/dev/null

	# A schema of the connection's path that a raw task creates (an
	# extension's, say) is on the tenant's path in the same run: the path
	# is kept as written, for the server to resolve.
	mkdir -p "$T_TMP/late0" "$T_TMP/late1"
	printf '<module %s name="late"><task name="Zero"><sql>SELECT 1</sql></task></module>\n' "$NS" \
		>"$T_TMP/late0/catalog.xml"
	cat >"$T_TMP/late1/catalog.xml" <<EOF_LATE
<module $NS name="late">
  <task name="Make the helper" raw="true"><step>
    <sql>CREATE SCHEMA IF NOT EXISTS upgx_late</sql>
    <sql>CREATE OR REPLACE FUNCTION upgx_late.whisper(text) RETURNS text LANGUAGE sql AS 'SELECT lower(\$1)'</sql>
  </step></task>
  <task name="Zero"><sql>SELECT 1</sql></task>
  <task name="Use it"><sql>CREATE TABLE late_words AS SELECT whisper('A') AS w</sql></task>
</module>
EOF_LATE
	pa 'DROP SCHEMA IF EXISTS upg_sp_late CASCADE; DROP SCHEMA IF EXISTS upgx_late CASCADE;
	    CREATE SCHEMA upg_sp_late AUTHORIZATION upgrade' >/dev/null
	conn="$UPGRADE_TEST_PG;ConnSettings={SET search_path TO \"\$user\", public, upgx_late}"
	second_run "$T_TMP/late0" "$T_TMP/late1" "$conn" upg_sp_late \
		"PG: a task finds unqualified what a raw task made in a schema of the connection's path"
	got=$(pa "SELECT w FROM upg_sp_late.late_words")
	[ "$got" = a ] && ok "PG: the function the raw task made filled the tenant's table" ||
		not_ok "PG: upg_sp_late.late_words holds '$got' (want a)"
	pa 'DROP SCHEMA upg_sp_late CASCADE; DROP SCHEMA IF EXISTS upgx_late CASCADE' >/dev/null
fi

finish
