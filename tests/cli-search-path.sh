#!/bin/sh
# SPDX-License-Identifier: MIT
# cli-search-path.sh - the session is the user's: on PostgreSQL the tenant
# schema goes first in the search path and the connection's own search path
# (here psqlODBC's ConnSettings) follows, so a type and a function of
# another schema are found unqualified in every tenant, a schema named
# twice is kept at its first place, and new tables still land in the
# tenant.  MariaDB has no search path (a schema is the current database) and
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
	[ "$paths" = "upg_sp_a, upg_sp_b, public, upgx_sp;upg_sp_b, public, upgx_sp;" ] &&
		ok "PG: the tenant first, then the connection's path, each schema once" ||
		not_ok "PG: the tasks' search paths were '$paths'"
	pa 'DROP SCHEMA upg_sp_a CASCADE; DROP SCHEMA upg_sp_b CASCADE; DROP SCHEMA upgx_sp CASCADE' >/dev/null

	# The connection's path is read at the first switch to a tenant, after
	# the raw tasks: a schema of that path that a raw task creates (an
	# extension's, say) is on the tenant's path in the same run.
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
	"$UPGRADE" -q -T "$T_TMP/late0" -c "$conn" run --schema upg_sp_late >/dev/null 2>&1
	run "$UPGRADE" -T "$T_TMP/late1" -c "$conn" run --schema upg_sp_late
	expect_rc 0 "PG: a task finds unqualified what a raw task made in a schema of the connection's path"
	got=$(pa "SELECT w FROM upg_sp_late.late_words")
	[ "$got" = a ] && ok "PG: the function the raw task made filled the tenant's table" ||
		not_ok "PG: upg_sp_late.late_words holds '$got' (want a)"
	pa 'DROP SCHEMA upg_sp_late CASCADE; DROP SCHEMA IF EXISTS upgx_late CASCADE' >/dev/null
fi

finish
