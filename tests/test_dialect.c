/* SPDX-License-Identifier: MIT */
/*
 * test_dialect.c - dialect detection by bidding, capability bits, and
 * identifier quoting, both as text and against the real engines: a table
 * whose name holds quotes, spaces and non-ASCII letters must be created,
 * found and dropped under exactly that name.
 */
#include "config.h"

#include "../src/connection.h"
#include "testutil.h"

static void
test_detect(void)
{
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("SQLite", "3.39.3")->name, "sqlite");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("PostgreSQL", "15.0.18")->name, "postgresql");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("MariaDB", "10.11.000019")->name, "mysql");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("MySQL", "8.0.36")->name, "mysql");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("Microsoft SQL Server", "16.00.1000")->name,
	                       "mssql");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("Firebird", "3.0")->name, "generic");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect("", "")->name, "generic");
	CU_ASSERT_STRING_EQUAL(upg_dialect_detect(NULL, NULL)->name, "generic");
}

static void
test_find(void)
{
	CU_ASSERT_PTR_EQUAL(upg_dialect_find("postgresql"), &upg_dialect_postgresql);
	CU_ASSERT_PTR_NULL(upg_dialect_find("oracle"));
	CU_ASSERT_PTR_NULL(upg_dialect_find("PostgreSQL"));
	CU_ASSERT_PTR_NULL(upg_dialect_find(NULL));
}

static void
test_version_parse(void)
{
	CU_ASSERT_EQUAL(upg_version_parse("15.0.18"), 15000);
	CU_ASSERT_EQUAL(upg_version_parse("10.11.000019"), 10011);
	CU_ASSERT_EQUAL(upg_version_parse("3.39.3"), 3039);
	CU_ASSERT_EQUAL(upg_version_parse("PostgreSQL 9.6"), 9006);
	CU_ASSERT_EQUAL(upg_version_parse(""), 0);
	CU_ASSERT_EQUAL(upg_version_parse(NULL), 0);
}

static void
test_version_caps(void)
{
	unsigned int c;

	c = upg_dialect_sqlite.version_caps("3.39.3", upg_dialect_sqlite.caps);
	CU_ASSERT_TRUE(c & UPGRADE_CAP_DROP_COLUMN);
	c = upg_dialect_sqlite.version_caps("3.31.1", upg_dialect_sqlite.caps);
	CU_ASSERT_FALSE(c & UPGRADE_CAP_DROP_COLUMN);
	c = upg_dialect_mysql.version_caps("10.11.000019", upg_dialect_mysql.caps);
	CU_ASSERT_TRUE(c & UPGRADE_CAP_INDEX_IF_NOT_EXISTS);
	CU_ASSERT_FALSE(upg_dialect_mysql.caps & UPGRADE_CAP_TRANSACTIONAL_DDL);
	CU_ASSERT_TRUE(upg_dialect_postgresql.caps & UPGRADE_CAP_TRANSACTIONAL_DDL);
	CU_ASSERT_EQUAL(upg_dialect_generic.caps, 0);
}

static void
check_quote(const struct upg_dialect *d, const char *name, const char *want)
{
	const char *why;
	char *got = upg_quote_ident(name, d->quote_open, d->quote_close, d->max_ident_len,
	                            d->ident_unit, &why);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void
test_quote_text(void)
{
	check_quote(&upg_dialect_postgresql, "plain", "\"plain\"");
	check_quote(&upg_dialect_postgresql, "we\"ird", "\"we\"\"ird\"");
	check_quote(&upg_dialect_postgresql, "x\"; DROP TABLE t; --", "\"x\"\"; DROP TABLE t; --\"");
	check_quote(&upg_dialect_sqlite, "with space", "\"with space\"");
	check_quote(&upg_dialect_mysql, "back`tick", "`back``tick`");
	check_quote(&upg_dialect_mysql, "we\"ird", "`we\"ird`");
	check_quote(&upg_dialect_mssql, "br]acket", "[br]]acket]");
	check_quote(&upg_dialect_mssql, "[x", "[[x]");
	check_quote(&upg_dialect_postgresql, "\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\"");
}

static void
test_quote_rejects(void)
{
	const char *why;
	char long_name[70];

	CU_ASSERT_PTR_NULL(upg_quote_ident("", '"', '"', 0, UPG_LEN_BYTES, &why));
	CU_ASSERT_STRING_EQUAL(why, "empty identifier");
	CU_ASSERT_PTR_NULL(upg_quote_ident("a\nb", '"', '"', 0, UPG_LEN_BYTES, &why));
	CU_ASSERT_STRING_EQUAL(why, "identifier contains a control character");
	CU_ASSERT_PTR_NULL(upg_quote_ident("\xc3(", '"', '"', 0, UPG_LEN_BYTES, &why));
	CU_ASSERT_STRING_EQUAL(why, "identifier is not valid UTF-8");
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	CU_ASSERT_PTR_NULL(upg_quote_ident(long_name, '"', '"', 63, UPG_LEN_BYTES, &why));
	CU_ASSERT_STRING_EQUAL(why, "identifier is longer than the engine allows");
	long_name[63] = '\0';
	free(upg_quote_ident(long_name, '"', '"', 63, UPG_LEN_BYTES, &why));
	CU_ASSERT_PTR_NULL(why);
}

/*
 * Each engine's limit in its own unit: PostgreSQL 63 bytes, MariaDB 64
 * characters, SQL Server 128 UTF-16 units.  40 Cyrillic letters are 80
 * bytes; 64 characters beyond the BMP are 128 UTF-16 units.
 */
static void
test_ident_length_units(void)
{
	const struct upg_dialect *pg = upg_dialect_find("postgresql"), *my = upg_dialect_find("mysql"),
	                         *ms = upg_dialect_find("mssql");
	char cyr[2 * 65 + 1], emoji[4 * 65 + 1];
	const char *why;
	char *q;
	int i;

	for (i = 0; i < 65; i++) {
		memcpy(cyr + 2 * i, "\xd0\x96", 2);
		memcpy(emoji + 4 * i, "\xf0\x9f\x98\x80", 4);
	}
	cyr[2 * 40] = '\0';
	CU_ASSERT_EQUAL(upg_text_length(cyr, UPG_LEN_BYTES), 80);
	CU_ASSERT_EQUAL(upg_text_length(cyr, UPG_LEN_CHARS), 40);
	CU_ASSERT_PTR_NULL(upg_quote_ident(cyr, '"', '"', pg->max_ident_len, pg->ident_unit, &why));
	q = upg_quote_ident(cyr, '`', '`', my->max_ident_len, my->ident_unit, &why);
	CU_ASSERT_PTR_NOT_NULL(q);
	free(q);
	memcpy(cyr + 2 * 40, "\xd0\x96", 2);
	cyr[2 * 65] = '\0';
	CU_ASSERT_EQUAL(upg_text_length(cyr, UPG_LEN_CHARS), 65);
	CU_ASSERT_PTR_NULL(upg_quote_ident(cyr, '`', '`', my->max_ident_len, my->ident_unit, &why));
	emoji[4 * 64] = '\0';
	CU_ASSERT_EQUAL(upg_text_length(emoji, UPG_LEN_UTF16), 128);
	q = upg_quote_ident(emoji, '[', ']', ms->max_ident_len, ms->ident_unit, &why);
	CU_ASSERT_PTR_NOT_NULL(q);
	free(q);
	memcpy(emoji + 4 * 64, "\xf0\x9f\x98\x80", 4);
	emoji[4 * 65] = '\0';
	CU_ASSERT_EQUAL(upg_text_length(emoji, UPG_LEN_UTF16), 130);
	CU_ASSERT_PTR_NULL(upg_quote_ident(emoji, '[', ']', ms->max_ident_len, ms->ident_unit, &why));
}

static void
test_quote_api_without_connection(void)
{
	struct upgrade_conn *conn;
	char *q = NULL;

	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, conn, "a"), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NULL(q);
	CU_ASSERT_EQUAL(upgrade_conn_set_dialect(conn, "mssql"), UPGRADE_OK);
	/* Nowhere to store the result: refused, and said so instead of an older message. */
	CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, conn, ""), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_conn_quote_ident(NULL, conn, "a"), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_error(conn), "out is NULL");
	CU_ASSERT_EQUAL(upgrade_conn_error_code(conn), UPGRADE_EINVAL);
	/* The refused name is shown on one line. */
	CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, conn, "a\nb\xff"), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_error(conn),
	                       "bad identifier \"a\\x0Ab\\xFF\": identifier is not valid UTF-8");
	CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, conn, "a]b"), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(q, "[a]]b]");
	upgrade_free(q);
	CU_ASSERT_EQUAL(upgrade_conn_set_dialect(conn, "oracle"), UPGRADE_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(conn), "no such dialect 'oracle'"));
	CU_ASSERT_EQUAL(upgrade_conn_set_dialect(conn, "postgresql"), UPGRADE_OK);
	{
		char name[80];
		memset(name, 'n', 70);
		name[70] = '\0';
		CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, conn, name), UPGRADE_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(conn), "63"));
	}
	upgrade_conn_free(conn);
}

/*
 * Creates, fills, reads back and drops a table for every awkward name, on a
 * live connection; proves the quoting is what the engine understands.
 */
static void
roundtrip_names(struct upgrade_conn *conn, const char *expect_dialect)
{
	static const char *const names[] = {
		"upg_t we\"ird", "upg_t with space", "upg_t \xe6\x97\xa5\xe6\x9c\xac h\xc3\xa9",
		"upg_t back`tick", "upg_t br]ack[et", "upg_t x\"; DROP TABLE t; --", "Upg_T_MixedCase",
	};
	size_t i;

	CU_ASSERT_STRING_EQUAL(upgrade_conn_dialect(conn), expect_dialect);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		char *q = NULL, *col = NULL, sql[512], *value = NULL;

		CU_ASSERT_EQUAL_FATAL(upgrade_conn_quote_ident(&q, conn, names[i]), UPGRADE_OK);
		CU_ASSERT_EQUAL_FATAL(upgrade_conn_quote_ident(&col, conn, names[i] + 6), UPGRADE_OK);
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", q);
		upg_db_exec(conn, sql);
		snprintf(sql, sizeof sql, "CREATE TABLE %s (%s VARCHAR(20))", q, col);
		if (upg_db_exec(conn, sql) != UPGRADE_OK)
			fprintf(stderr, "\n%s: %s\n", sql, upgrade_conn_error(conn));
		snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES ('v%zu')", q, col, i);
		CU_ASSERT_EQUAL(upg_db_exec(conn, sql), UPGRADE_OK);
		snprintf(sql, sizeof sql, "SELECT %s FROM %s", col, q);
		CU_ASSERT_EQUAL(upg_db_query_string(conn, sql, &value), UPGRADE_OK);
		snprintf(sql, sizeof sql, "v%zu", i);
		CU_ASSERT_PTR_NOT_NULL(value);
		if (value != NULL)
			CU_ASSERT_STRING_EQUAL(value, sql);
		free(value);
		snprintf(sql, sizeof sql, "DROP TABLE %s", q);
		CU_ASSERT_EQUAL(upg_db_exec(conn, sql), UPGRADE_OK);
		upgrade_free(q);
		upgrade_free(col);
	}
}

/*
 * Every engine says "no such table" its own way (a SQLSTATE of its own,
 * ODBC's 42S02, or only the message); its dialect must recognise its own.
 */
static void
classify_errors(struct upgrade_conn *conn)
{
	CU_ASSERT_EQUAL(upg_db_exec(conn, "SELECT * FROM upg_no_such_table"), UPGRADE_EDB);
	CU_ASSERT_EQUAL(upg_conn_error_class(conn), UPG_ERRC_NO_TABLE);
	if (upg_conn_error_class(conn) != UPG_ERRC_NO_TABLE)
		fprintf(stderr, "\nnot classified as a missing table: [%s] %s\n",
		        upgrade_conn_sqlstate(conn), upgrade_conn_error(conn));
	CU_ASSERT_EQUAL(upg_db_exec(conn, "SELEC 1"), UPGRADE_EDB);
	CU_ASSERT_EQUAL(upg_conn_error_class(conn), UPG_ERRC_OTHER);
}

/* What each dialect makes of the errors the core reacts to. */
static void
test_classify_error(void)
{
	CU_ASSERT_PTR_NULL(upg_dialect_generic.classify_error);
	CU_ASSERT_EQUAL(upg_dialect_postgresql.classify_error("42P01", 7, "relation does not exist"),
	                UPG_ERRC_NO_TABLE);
	CU_ASSERT_EQUAL(upg_dialect_postgresql.classify_error("55P04", 7, "unsafe use of new value"),
	                UPG_ERRC_ENUM_UNCOMMITTED);
	CU_ASSERT_EQUAL(upg_dialect_postgresql.classify_error("42804", 7, "datatype mismatch"),
	                UPG_ERRC_TYPE_MISMATCH);
	CU_ASSERT_EQUAL(upg_dialect_postgresql.classify_error("42601", 7, "syntax error"),
	                UPG_ERRC_OTHER);
	CU_ASSERT_EQUAL(upg_dialect_sqlite.classify_error("HY000", 1, "no such table: t"),
	                UPG_ERRC_NO_TABLE);
	CU_ASSERT_EQUAL(upg_dialect_sqlite.classify_error("HY000", 1, "near \"x\": syntax error"),
	                UPG_ERRC_OTHER);
	CU_ASSERT_EQUAL(upg_dialect_mysql.classify_error("42S02", 1146, "Table 'd.t' doesn't exist"),
	                UPG_ERRC_NO_TABLE);
	CU_ASSERT_EQUAL(upg_dialect_mysql.classify_error("55P04", 0, ""), UPG_ERRC_OTHER);
	/* The lock table's race: the loser's error, whichever engine reports it. */
	CU_ASSERT_EQUAL(upg_dialect_mysql.classify_error("40001", 1213, "Deadlock found"),
	                UPG_ERRC_CONFLICT);
	CU_ASSERT_EQUAL(upg_dialect_postgresql.classify_error("40P01", 7, "deadlock detected"),
	                UPG_ERRC_CONFLICT);
	CU_ASSERT_EQUAL(upg_dialect_postgresql.classify_error("40001", 7, "could not serialize"),
	                UPG_ERRC_CONFLICT);
	CU_ASSERT_EQUAL(upg_dialect_mssql.classify_error("42S02", 208, "Invalid object name"),
	                UPG_ERRC_NO_TABLE);
}

static void
test_live_sqlite(void)
{
	struct upgrade_conn *conn;
	char path[300];

	snprintf(path, sizeof path, "%s/quote.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	roundtrip_names(conn, "sqlite");
	classify_errors(conn);
	upgrade_conn_free(conn);
}

static void
live_server(const char *connstr, const char *dialect)
{
	struct upgrade_conn *conn = test_connect_or_fail(connstr);

	if (conn == NULL)
		return;
	roundtrip_names(conn, dialect);
	classify_errors(conn);
	upgrade_conn_free(conn);
}

static void
test_live_postgresql(void)
{
	const char *connstr = TEST_SERVER("UPGRADE_TEST_PG");
	struct upgrade_conn *conn;
	struct upgrade_context *ctx = NULL;
	int found = -1;

	live_server(connstr, "postgresql");
	/* No current schema: the message says where PostgreSQL takes it from. */
	conn = test_connect_or_fail(connstr);
	if (conn == NULL)
		return;
	CU_ASSERT_EQUAL(upg_db_exec(conn, "SET search_path TO ''"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_context_new(&ctx, conn, NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_context_has_table(&found, ctx, "t"), UPGRADE_ENOTFOUND);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_error(conn),
	                       "the connection has no current schema (is search_path empty?)");
	upgrade_context_free(ctx);
	upgrade_conn_free(conn);
}

static void
test_live_mariadb(void)
{
	live_server(TEST_SERVER("UPGRADE_TEST_MARIADB"), "mysql");
}

static void
test_forced_dialect(void)
{
	struct upgrade_conn *conn;
	char path[300];

	snprintf(path, sizeof path, "%s/forced.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_conn_set_dialect(conn, "generic"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_dialect(conn), "generic");
	CU_ASSERT_EQUAL(upgrade_conn_capabilities(conn), 0);
	/* The generic dialect quotes with what the driver says: '"' for SQLite. */
	roundtrip_names(conn, "generic");
	upgrade_conn_free(conn);
}

/*
 * Which MariaDB statements the journal may commit together with their
 * entry: plain DML only, and only when the text cannot hide anything that
 * commits on its own.  A wrong "yes" lets the journal lie after a kill.
 */
static void
test_statement_transactional(void)
{
	static const char *const yes[] = {
		"INSERT INTO t VALUES (1)",
		"  insert into t select 'slow', 2, SLEEP(2)",
		"UPDATE t SET a = 'x;y' WHERE b = \"q\"",
		"DELETE FROM t",
		"REPLACE INTO t VALUES (1)",
		"SELECT 1",
		"WITH x AS (SELECT 1) SELECT * FROM x",
		"-- a comment\n/* another */ # and one more\nINSERT INTO t VALUES (1);",
		"INSERT INTO t VALUES ('it''s')",
		"INSERT INTO `odd;name` VALUES (1) ;  -- done",
		NULL
	};
	static const char *const no[] = {
		"CREATE TABLE t (id INTEGER)",
		"ALTER TABLE t ADD c INTEGER",
		"CALL p()",
		"LOCK TABLES t WRITE",
		"SET autocommit = 1",
		"TRUNCATE t",
		"INSERTX INTO t VALUES (1)",
		"INSERT INTO t VALUES (1); DROP TABLE u",
		"INSERT INTO t VALUES (1);;",
		"/*!50000 CREATE TABLE u (id INTEGER) */ SELECT 1",
		"SELECT 1 /*M! ; DROP TABLE u */",
		"SELECT * INTO OUTFILE '/tmp/x' FROM t",
		"SELECT a FROM t INTO dumpfile '/tmp/x'",
		"INSERT INTO t VALUES ('a\\'); DROP TABLE u; -- ')",
		"INSERT INTO t VALUES ('unterminated",
		"SELECT 1 /* unterminated",
		"(SELECT 1)",
		"",
		"   ",
		NULL
	};
	int (*fn)(const char *) = upg_dialect_mysql.statement_transactional;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fn);
	for (i = 0; yes[i] != NULL; i++) {
		CU_ASSERT_TRUE(fn(yes[i]));
		if (!fn(yes[i]))
			fprintf(stderr, "not transactional: %s\n", yes[i]);
	}
	for (i = 0; no[i] != NULL; i++) {
		CU_ASSERT_FALSE(fn(no[i]));
		if (fn(no[i]))
			fprintf(stderr, "transactional: %s\n", no[i]);
	}
	/* Where DDL is transactional, or nothing is known, the hook is not there. */
	CU_ASSERT_PTR_NULL(upg_dialect_postgresql.statement_transactional);
	CU_ASSERT_PTR_NULL(upg_dialect_generic.statement_transactional);
}

static void
add_suites(void)
{
	TEST_SUITE("dialect");
	TEST_ADD(test_detect);
	TEST_ADD(test_find);
	TEST_ADD(test_version_parse);
	TEST_ADD(test_version_caps);
	TEST_ADD(test_statement_transactional);
	TEST_ADD(test_classify_error);
	TEST_ADD(test_quote_text);
	TEST_ADD(test_quote_rejects);
	TEST_ADD(test_ident_length_units);
	TEST_ADD(test_quote_api_without_connection);
	TEST_ADD(test_live_sqlite);
	TEST_ADD(test_live_postgresql);
	TEST_ADD(test_live_mariadb);
	TEST_ADD(test_forced_dialect);
}

int
main(void)
{
	return test_run(add_suites);
}
