/* SPDX-License-Identifier: MIT */
/*
 * test_ops.c - the portable operations on SQLite, PostgreSQL and MariaDB,
 * through the C API and through XML catalog actions; the SQLite table
 * rebuild keeping data, indexes, constraints and triggers; enums;
 * add_column_with_defaults in its three forms; trigger suspension; and the
 * statements rendered for SQL Server, checked as text (no server here).
 */
#include "config.h"

#include <stdint.h>

#define CTX_TAG "ops"
#include "../drivers/sqlite.h"
#include "ctxutil.h"

#define T_ORDERS "Order Items \xc3\xbc"
#define INJECT_TABLE "victim\"; DROP TABLE victim; --"

static long
count_rows(struct eng *g, const char *table, const char *where)
{
	char sql[512];

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s%s%s", qi(g, table),
	         where != NULL ? " WHERE " : "", where != NULL ? where : "");
	return query_long(g, sql);
}

static int
exists(struct eng *g, enum upg_object kind, const char *table, const char *name, int ctype)
{
	int found = -1;

	if (upg_exists(g->ctx, kind, table, name, ctype, &found) != UPGRADE_OK)
		fprintf(stderr, "\n[%s] exists: %s\n", engine_names[g->e],
		        upgrade_conn_error(g->conn));
	return found;
}

/* ---- tables and columns ---------------------------------------------------------------- */

static void
tables(struct eng *g)
{
	struct upgrade_column cols[10];
	struct upgrade_column extra;
	char *v;
	size_t i;

	/* Callers that fill arrays element by element set each element's version. */
	for (i = 0; i < sizeof cols / sizeof cols[0]; i++)
		upgrade_column_init(&cols[i], UPGRADE_COLUMN_VERSION);
	cols[0].name = "id";
	cols[0].type = "integer";
	cols[0].primary_key = 1;
	cols[1].name = "N\xc3\xa4me";
	cols[1].type = "varchar(50)";
	cols[1].not_null = 1;
	cols[1].default_value = "it's";
	cols[2].name = "qty";
	cols[2].type = "integer";
	cols[2].default_value = "0";
	cols[3].name = "flag";
	cols[3].type = "boolean";
	cols[3].default_value = "true";
	cols[4].name = "created";
	cols[4].type = "timestamp";
	cols[4].default_sql = "CURRENT_TIMESTAMP";
	cols[5].name = "price";
	cols[5].type = "numeric(10,2)";
	cols[6].name = "doc";
	cols[6].type = "json";
	cols[7].name = "data";
	cols[7].type = "blob";
	cols[8].name = "Big";
	cols[8].type = "bigint";
	cols[8].unique = 1;
	cols[9].name = "day";
	cols[9].type = "date";
	CALL_OK(g, upgrade_context_create_table(g->ctx, T_ORDERS, cols, 10, 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, T_ORDERS, NULL, 0), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, T_ORDERS, "N\xc3\xa4me", 0), 1);
	/* Again: an error, unless if-not-exists. */
	CU_ASSERT_EQUAL(upgrade_context_create_table(g->ctx, T_ORDERS, cols, 10, 0), UPGRADE_EDB);
	CALL_OK(g, upgrade_context_create_table(g->ctx, T_ORDERS, cols, 10, UPGRADE_IF_NOT_EXISTS));
	/* Defaults work as declared. */
	SQL_OK(g, "INSERT INTO %s (%s) VALUES (1)", qi(g, T_ORDERS), qi(g, "id"));
	v = query_str(g, g->e == ENG_MARIA ? "SELECT `Näme` FROM `Order Items ü`"
	                                   : "SELECT \"Näme\" FROM \"Order Items ü\"");
	CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", "it's");
	free(v);
	CU_ASSERT_EQUAL(count_rows(g, T_ORDERS, "qty = 0"), 1);
	CU_ASSERT_EQUAL(count_rows(g, T_ORDERS, "created IS NOT NULL"), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, T_ORDERS, "doc", 0), 1);

	/* Add, rename and drop columns. */
	upgrade_column_init(&extra, UPGRADE_COLUMN_VERSION);
	extra.name = "Note s";
	extra.type = "text";
	CALL_OK(g, upgrade_context_add_column(g->ctx, T_ORDERS, &extra, 0));
	CU_ASSERT_EQUAL(upgrade_context_add_column(g->ctx, T_ORDERS, &extra, 0), UPGRADE_EDB);
	CALL_OK(g, upgrade_context_add_column(g->ctx, T_ORDERS, &extra, UPGRADE_IF_NOT_EXISTS));
	CALL_OK(g, upgrade_context_rename_column(g->ctx, T_ORDERS, "Note s", "R\xc3\xa9marque"));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, T_ORDERS, "Note s", 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, T_ORDERS, "R\xc3\xa9marque", 0), 1);
	CALL_OK(g, upgrade_context_drop_column(g->ctx, T_ORDERS, "R\xc3\xa9marque", 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, T_ORDERS, "R\xc3\xa9marque", 0), 0);
	CU_ASSERT_NOT_EQUAL(upgrade_context_drop_column(g->ctx, T_ORDERS, "R\xc3\xa9marque", 0),
	                    UPGRADE_OK);
	CALL_OK(
	    g, upgrade_context_drop_column(g->ctx, T_ORDERS, "R\xc3\xa9marque", UPGRADE_IF_EXISTS));
	CU_ASSERT_EQUAL(count_rows(g, T_ORDERS, NULL), 1);

	/* A NOT NULL column without default: fine on an empty table (SQLite rebuilds for it). */
	{
		struct upgrade_column id = {
		    UPGRADE_COLUMN_VERSION, "id", "integer", NULL, 0, NULL, NULL, 1, 0};
		struct upgrade_column nn = {
		    UPGRADE_COLUMN_VERSION, "must", "integer", NULL, 1, NULL, NULL, 0, 0};

		CALL_OK(g, upgrade_context_create_table(g->ctx, "empty one", &id, 1, 0));
		CALL_OK(g, upgrade_context_add_column(g->ctx, "empty one", &nn, 0));
		CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id) VALUES (1)", qi(g, "empty one")),
		                    UPGRADE_OK);
	}

	/* Rename and drop tables. */
	CALL_OK(g, upgrade_context_rename_table(g->ctx, T_ORDERS, "Renamed \xc3\xa9"));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, T_ORDERS, NULL, 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "Renamed \xc3\xa9", NULL, 0), 1);
	CU_ASSERT_EQUAL(count_rows(g, "Renamed \xc3\xa9", NULL), 1);
	CALL_OK(g, upgrade_context_drop_table(g->ctx, "Renamed \xc3\xa9", 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "Renamed \xc3\xa9", NULL, 0), 0);
	CU_ASSERT_EQUAL(upgrade_context_drop_table(g->ctx, "Renamed \xc3\xa9", 0), UPGRADE_EDB);
	CALL_OK(g, upgrade_context_drop_table(g->ctx, "Renamed \xc3\xa9", UPGRADE_IF_EXISTS));

	/* A composite key. */
	{
		struct upgrade_column ck[3] = {
		    {UPGRADE_COLUMN_VERSION, "a", "integer", NULL, 0, NULL, NULL, 1, 0},
		    {UPGRADE_COLUMN_VERSION, "b", "varchar(10)", NULL, 0, NULL, NULL, 1, 0},
		    {UPGRADE_COLUMN_VERSION, "c", NULL, g->e == ENG_PG ? "SMALLINT" : "SMALLINT", 0,
		     NULL, NULL, 0, 0}};

		CALL_OK(g, upgrade_context_create_table(g->ctx, "composite", ck, 3, 0));
		SQL_OK(g, "INSERT INTO composite (a, b) VALUES (1, 'x')");
		CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO composite (a, b) VALUES (1, 'x')"),
		                    UPGRADE_OK);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "composite",
		                       g->e == ENG_MARIA ? "PRIMARY" : "composite_pkey",
		                       UPG_CT_PRIMARY),
		                g->e != ENG_SQLITE);
	}

	/* Bad input fails cleanly. */
	{
		struct upgrade_column bad = {
		    UPGRADE_COLUMN_VERSION, "x", "varchar", NULL, 0, NULL, NULL, 0, 0};
		struct upgrade_column bad2 = {
		    UPGRADE_COLUMN_VERSION, "x", "float", NULL, 0, NULL, NULL, 0, 0};
		struct upgrade_column bad3 = {
		    UPGRADE_COLUMN_VERSION, "x", NULL, NULL, 0, NULL, NULL, 0, 0};

		CU_ASSERT_EQUAL(upgrade_context_create_table(g->ctx, "bad", &bad, 1, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_table(g->ctx, "bad", &bad2, 1, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(g->ctx), "portable types"));
		CU_ASSERT_EQUAL(upgrade_context_create_table(g->ctx, "bad", &bad3, 1, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_table(g->ctx, "bad", NULL, 0, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_table(g->ctx, "", &extra, 1, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_table(NULL, "x", &extra, 1, 0),
		                UPGRADE_EINVAL);
	}

	/* A name built to break out of quoting is just a name. */
	SQL_OK(g, "CREATE TABLE victim (x INT)");
	CALL_OK(g, upgrade_context_create_table(g->ctx, INJECT_TABLE, &extra, 1, 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, INJECT_TABLE, NULL, 0), 1);
	{
		struct upgrade_column evil = {UPGRADE_COLUMN_VERSION,
		                              "y`); DROP TABLE victim; --",
		                              "text",
		                              NULL,
		                              0,
		                              "1'); DROP TABLE victim; -- \\' x",
		                              NULL,
		                              0,
		                              0};
		char sql[256];

		CALL_OK(g, upgrade_context_add_column(g->ctx, INJECT_TABLE, &evil, 0));
		snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES ('a')", qi(g, INJECT_TABLE),
		         qi(g, "Note s"));
		CALL_OK(g, upgrade_context_exec(NULL, g->ctx, sql, 0, NULL));
		snprintf(sql, sizeof sql, "SELECT %s FROM %s", qi(g, evil.name),
		         qi(g, INJECT_TABLE));
		v = query_str(g, sql);
		CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", evil.default_value);
		free(v);
	}
	CALL_OK(g, upgrade_context_drop_table(g->ctx, INJECT_TABLE, 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "victim", NULL, 0), 1);
}

static void
test_tables(void)
{
	ON_ALL_ENGINES(tables);
}

/* ---- indexes and constraints ------------------------------------------------------------------
 */

static void
indexes(struct eng *g)
{
	static const char *const ab[] = {"A col", "b", NULL};
	static const char *const b[] = {"b", NULL};
	static const char *const idcol[] = {"id", NULL};
	static const char *const parent[] = {"parent id", NULL};
	struct upgrade_column cols[4] = {
	    {UPGRADE_COLUMN_VERSION, "id", "integer", NULL, 0, NULL, NULL, 1, 0},
	    {UPGRADE_COLUMN_VERSION, "A col", "varchar(20)", NULL, 0, NULL, NULL, 0, 0},
	    {UPGRADE_COLUMN_VERSION, "b", "integer", NULL, 0, NULL, NULL, 0, 0},
	    {UPGRADE_COLUMN_VERSION, "parent id", "integer", NULL, 0, NULL, NULL, 0, 0}};
	int r = -1;

	CALL_OK(g, upgrade_context_create_table(g->ctx, "Idx T", cols, 4, 0));
	CALL_OK(g, upgrade_context_create_index(g->ctx, "Idx T", "ix ab", ab, 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, "Idx T", "ix ab", 0), 1);
	CU_ASSERT_EQUAL(upgrade_context_create_index(g->ctx, "Idx T", "ix ab", ab, 0), UPGRADE_EDB);
	CALL_OK(g,
	        upgrade_context_create_index(g->ctx, "Idx T", "ix ab", ab, UPGRADE_IF_NOT_EXISTS));
	CALL_OK(g, upgrade_context_create_index(g->ctx, "Idx T", "ux b", b, UPGRADE_UNIQUE));
	SQL_OK(g, "INSERT INTO %s (id, b) VALUES (1, 5)", qi(g, "Idx T"));
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id, b) VALUES (2, 5)", qi(g, "Idx T")),
	                    UPGRADE_OK);
	CALL_OK(g, upgrade_context_drop_index(g->ctx, "Idx T", "ux b", 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, NULL, "ux b", 0), 0);
	CALL_OK(g, upgrade_context_drop_index(g->ctx, "Idx T", "ux b", UPGRADE_IF_EXISTS));
	/* Without the table: per-schema index names (PostgreSQL, SQLite) only. */
	r = upgrade_context_drop_index(g->ctx, NULL, "ix ab", 0);
	CU_ASSERT_EQUAL(r, g->e == ENG_MARIA ? UPGRADE_EINVAL : UPGRADE_OK);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, NULL, "ix ab", 0), g->e == ENG_MARIA);
	CALL_OK(g,
	        upgrade_context_create_index(g->ctx, "Idx T", "ix ab", ab, UPGRADE_IF_NOT_EXISTS));
	CU_ASSERT_EQUAL(upgrade_context_create_index(g->ctx, "Idx T", "ix none", NULL, 0),
	                UPGRADE_EINVAL);

	/* Constraints: unique, check, foreign key; found, enforced, dropped. */
	SQL_OK(g, "DELETE FROM %s", qi(g, "Idx T"));
	CALL_OK(g, upgrade_context_add_unique(g->ctx, "Idx T", "uq b", b));
	CALL_OK(g, upgrade_context_add_check(g->ctx, "Idx T", "ck b", "b >= 0"));
	CALL_OK(g, upgrade_context_add_foreign_key(g->ctx, "Idx T", "fk parent", parent, "Idx T",
	                                           idcol, UPGRADE_FK_CASCADE, UPGRADE_FK_DEFAULT));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Idx T", "uq b", UPG_CT_UNIQUE), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Idx T", "ck b", UPG_CT_CHECK), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Idx T", "fk parent", UPG_CT_FOREIGN), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, "Idx T", "ix ab", 0), 1);
	SQL_OK(g, "INSERT INTO %s (id, b) VALUES (1, 1)", qi(g, "Idx T"));
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id, b) VALUES (2, 1)", qi(g, "Idx T")),
	                    UPGRADE_OK);
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id, b) VALUES (3, -1)", qi(g, "Idx T")),
	                    UPGRADE_OK);
	if (g->e == ENG_SQLITE)
		SQL_OK(g, "PRAGMA foreign_keys = ON");
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id, b, %s) VALUES (4, 4, 99)", qi(g, "Idx T"),
	                         qi(g, "parent id")),
	                    UPGRADE_OK);
	if (g->e == ENG_SQLITE) {
		/* With keys enforced a rebuild is refused inside a transaction, allowed outside. */
		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_context_drop_constraint(g->ctx, "Idx T", "ck b", 0, 0),
		                UPGRADE_EUNSUPPORTED);
		CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
	}
	/* By type, by any type (MariaDB looks the type up), if-exists. */
	CALL_OK(g, upgrade_context_drop_constraint(g->ctx, "Idx T", "ck b",
	                                           UPGRADE_CONSTRAINT_CHECK, 0));
	CALL_OK(
	    g, upgrade_context_drop_constraint(g->ctx, "Idx T", "uq b", UPGRADE_CONSTRAINT_ANY, 0));
	CALL_OK(g, upgrade_context_drop_constraint(g->ctx, "Idx T", "fk parent", 0, 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Idx T", "uq b", 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Idx T", "ck b", 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Idx T", "fk parent", 0), 0);
	CU_ASSERT_NOT_EQUAL(upgrade_context_drop_constraint(g->ctx, "Idx T", "fk parent", 0, 0),
	                    UPGRADE_OK);
	CALL_OK(
	    g, upgrade_context_drop_constraint(g->ctx, "Idx T", "fk parent", 0, UPGRADE_IF_EXISTS));
	SQL_OK(g, "INSERT INTO %s (id, b) VALUES (2, 1)", qi(g, "Idx T"));
	CU_ASSERT_EQUAL(count_rows(g, "Idx T", NULL), 2);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, "Idx T", "ix ab", 0), 1);
}

static void
test_indexes(void)
{
	ON_ALL_ENGINES(indexes);
}

/* ---- alter-column, and the SQLite rebuild ---------------------------------------------------- */

static void
alter(struct eng *g)
{
	struct upgrade_column cols[4] = {
	    {UPGRADE_COLUMN_VERSION, "id", "integer", NULL, 0, NULL, NULL, 1, 0},
	    {UPGRADE_COLUMN_VERSION, "Code", "varchar(10)", NULL, 0, NULL, NULL, 0, 0},
	    {UPGRADE_COLUMN_VERSION, "n", "integer", NULL, 0, NULL, NULL, 0, 0},
	    {UPGRADE_COLUMN_VERSION, "gone", "integer", NULL, 0, NULL, NULL, 0, 0}};
	static const char *const code[] = {"Code", NULL};
	static const char *const gone[] = {"gone", NULL};
	struct upgrade_column_change ch;
	char *v;
	int i;

	CALL_OK(g, upgrade_context_create_table(g->ctx, "Alt er", cols, 4, 0));
	CALL_OK(g, upgrade_context_create_index(g->ctx, "Alt er", "ix code", code, 0));
	CALL_OK(g, upgrade_context_create_index(g->ctx, "Alt er", "ix gone", gone, 0));
	CALL_OK(g, upgrade_context_add_unique(g->ctx, "Alt er", "uq n",
	                                      (const char *const[]){"n", NULL}));
	CALL_OK(g, upgrade_context_add_check(g->ctx, "Alt er", "ck n", "n < 1000"));
	for (i = 1; i <= 20; i++)
		SQL_OK(g, "INSERT INTO %s (id, %s, n, gone) VALUES (%d, 'c%d', %d, %d)",
		       qi(g, "Alt er"), qi(g, "Code"), i, i, i, i);
	SQL_OK(g, "CREATE VIEW %s AS SELECT id, n FROM %s", qi(g, "alt view"), qi(g, "Alt er"));
	if (g->e == ENG_SQLITE) {
		SQL_OK(g, "CREATE TABLE audit (n INT)");
		SQL_OK(g,
		       "CREATE TRIGGER %s AFTER INSERT ON %s BEGIN INSERT INTO audit VALUES "
		       "(new.n); END",
		       qi(g, "trg alt"), qi(g, "Alt er"));
	}

	/* Wider type, data kept. */
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.type = "varchar(200)";
	CALL_OK(g, upgrade_context_alter_column(g->ctx, "Alt er", "Code", &ch));
	SQL_OK(g, "UPDATE %s SET %s = '%0150d' WHERE id = 1", qi(g, "Alt er"), qi(g, "Code"), 7);
	/* NOT NULL, then a default, then the default dropped. */
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.nullability = UPGRADE_NULL_FORBID;
	CALL_OK(g, upgrade_context_alter_column(g->ctx, "Alt er", "n", &ch));
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id) VALUES (100)", qi(g, "Alt er")),
	                    UPGRADE_OK);
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.default_value = "42";
	CALL_OK(g, upgrade_context_alter_column(g->ctx, "Alt er", "n", &ch));
	SQL_OK(g, "INSERT INTO %s (id) VALUES (101)", qi(g, "Alt er"));
	CU_ASSERT_EQUAL(count_rows(g, "Alt er", "n = 42"), 1);
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.drop_default = 1;
	CALL_OK(g, upgrade_context_alter_column(g->ctx, "Alt er", "n", &ch));
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id) VALUES (102)", qi(g, "Alt er")),
	                    UPGRADE_OK);
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.nullability = UPGRADE_NULL_ALLOW;
	ch.default_sql = "500 + 1";
	CU_ASSERT_EQUAL(upgrade_context_alter_column(
	                    g->ctx, "Alt er", "n",
	                    &(struct upgrade_column_change){UPGRADE_COLUMN_CHANGE_VERSION, NULL,
	                                                    NULL, NULL, 0, "1", "2", 0}),
	                UPGRADE_EINVAL);
	CALL_OK(g, upgrade_context_alter_column(g->ctx, "Alt er", "n", &ch));
	SQL_OK(g, "INSERT INTO %s (id) VALUES (103)", qi(g, "Alt er"));
	CU_ASSERT_EQUAL(count_rows(g, "Alt er", "n = 501"), 1);
	/* A type change with a conversion: PostgreSQL and SQLite's rebuild only. */
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.type = "bigint";
	ch.using_sql = g->e == ENG_PG ? "length(\"Code\")" : "length(\"Code\")";
	if (g->e == ENG_MARIA) {
		CU_ASSERT_EQUAL(upgrade_context_alter_column(g->ctx, "Alt er", "gone", &ch),
		                UPGRADE_EUNSUPPORTED);
	} else {
		CALL_OK(g, upgrade_context_alter_column(g->ctx, "Alt er", "gone", &ch));
		CU_ASSERT_EQUAL(count_rows(g, "Alt er", "gone = 150"), 1);
		CU_ASSERT_EQUAL(count_rows(g, "Alt er", "gone = 3"), 11);
	}
	CU_ASSERT_EQUAL(upgrade_context_alter_column(g->ctx, "Alt er", "nothere", &ch),
	                UPGRADE_ENOTFOUND);
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	CU_ASSERT_EQUAL(upgrade_context_alter_column(g->ctx, "Alt er", "n", &ch), UPGRADE_EINVAL);

	/* Everything else survived: rows, indexes, constraints, the view, the trigger. */
	CU_ASSERT_EQUAL(count_rows(g, "Alt er", NULL), 22);
	CU_ASSERT_EQUAL(count_rows(g, "alt view", NULL), 22);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, "Alt er", "ix code", 0), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Alt er", "uq n", UPG_CT_UNIQUE), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Alt er", "ck n", UPG_CT_CHECK), 1);
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id, n) VALUES (200, 5000)", qi(g, "Alt er")),
	                    UPGRADE_OK);
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id, n) VALUES (201, 5)", qi(g, "Alt er")),
	                    UPGRADE_OK);
	v = query_str(g, g->e == ENG_MARIA
	                     ? "SELECT LENGTH(`Code`) FROM `Alt er` WHERE id = 1"
	                     : "SELECT LENGTH(\"Code\") FROM \"Alt er\" WHERE id = 1");
	CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", "150");
	free(v);
	if (g->e == ENG_SQLITE) {
		SQL_OK(g, "INSERT INTO %s (id, n) VALUES (300, 300)", qi(g, "Alt er"));
		CU_ASSERT_EQUAL(count_rows(g, "audit", "n = 300"), 1);
		CU_ASSERT_EQUAL(
		    query_long(
		        g, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'upgrade_rebuild_tmp'"),
		    0);
	}

	/* Dropping a column takes its index along, and only that one. */
	CALL_OK(g, upgrade_context_drop_column(g->ctx, "Alt er", "gone", 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, "Alt er", "gone", 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, NULL, "ix gone", 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, "Alt er", "ix code", 0), 1);
	CU_ASSERT_EQUAL(count_rows(g, "Alt er", NULL), g->e == ENG_SQLITE ? 23 : 22);
}

static void
test_alter(void)
{
	ON_ALL_ENGINES(alter);
}

/*
 * A new type and a new default together, where the old default does not
 * cast to the new type (PostgreSQL: "default ... cannot be cast
 * automatically"); and a new type with the old default kept, which fails on
 * PostgreSQL with a hint and leaves the column alone.
 */
static void
alter_type_default(struct eng *g)
{
	static const char xml[] =
	    "<task name=\"make\">\n"
	    "  <sql>CREATE TABLE child (id INTEGER PRIMARY KEY, amount VARCHAR(20) DEFAULT '0', "
	    "code VARCHAR(10) DEFAULT 'x')</sql>\n"
	    "  <sql>INSERT INTO child (id, amount) VALUES (1, '1.5')</sql>\n"
	    "</task>\n"
	    "<task name=\"retype\">\n"
	    "  <alter-column dialect=\"postgresql\" table=\"child\" name=\"amount\" "
	    "type=\"numeric\" precision=\"10\" scale=\"2\" using=\"amount::numeric(10,2)\" "
	    "default=\"0\"/>\n"
	    "  <alter-column dialect=\"sqlite mysql\" table=\"child\" name=\"amount\" "
	    "type=\"numeric\" precision=\"10\" scale=\"2\" default=\"0\"/>\n"
	    "</task>\n"
	    "<task name=\"keep\">\n"
	    "  <alter-column table=\"child\" name=\"code\" type=\"integer\" "
	    "using=\"length(code)\" dialect=\"postgresql\"/>\n"
	    "</task>\n";

	CU_ASSERT_EQUAL(run_xml(g, xml, "make", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(run_xml(g, xml, "retype", NULL), UPGRADE_OK);
	SQL_OK(g, "INSERT INTO child (id) VALUES (2)");
	CU_ASSERT_EQUAL(count_rows(g, "child", "amount = 0 AND id = 2"), 1);
	CU_ASSERT_EQUAL(count_rows(g, "child", "amount = 1.5 AND id = 1"), 1);
	if (g->e == ENG_PG) {
		char *v = query_str(g, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
		                       "WHERE attrelid = 'child'::regclass AND attname = 'amount'");

		CU_ASSERT_STRING_EQUAL(v != NULL ? v : "", "numeric(10,2)");
		free(v);
		/* The old default 'x' cannot become an integer: a clear error, nothing changed. */
		CU_ASSERT_EQUAL(run_xml(g, xml, "keep", NULL), UPGRADE_EDB);
		CU_ASSERT_STRING_EQUAL(upgrade_conn_sqlstate(g->conn), "42804");
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(g->conn), "hint: "));
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(g->conn), "drop-default"));
		SQL_OK(g, "INSERT INTO child (id) VALUES (3)");
		CU_ASSERT_EQUAL(count_rows(g, "child", "code = 'x'"), 3);
	}
}

static void
test_alter_type_default(void)
{
	ON_ALL_ENGINES(alter_type_default);
}

/* Transactional DDL: everything an operation did goes with ROLLBACK (not on MariaDB). */
static void
rollback(struct eng *g)
{
	struct upgrade_column cols[2] = {
	    {UPGRADE_COLUMN_VERSION, "id", "integer", NULL, 0, NULL, NULL, 1, 0},
	    {UPGRADE_COLUMN_VERSION, "v", "varchar(10)", NULL, 0, NULL, NULL, 0, 0}};
	struct upgrade_column_change ch;

	if (g->e == ENG_MARIA)
		return;
	CALL_OK(g, upgrade_context_create_table(g->ctx, "kept", cols, 2, 0));
	SQL_OK(g, "INSERT INTO kept VALUES (1, 'a')");
	CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
	CALL_OK(g, upgrade_context_create_table(g->ctx, "temporary", cols, 2, 0));
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.nullability = UPGRADE_NULL_FORBID;
	ch.type = "text";
	CALL_OK(g, upgrade_context_alter_column(g->ctx, "kept", "v", &ch));
	CALL_OK(g, upgrade_context_drop_column(g->ctx, "kept", "v", 0));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, "kept", "v", 0), 0);
	CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "temporary", NULL, 0), 0);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, "kept", "v", 0), 1);
	CU_ASSERT_EQUAL(count_rows(g, "kept", "v = 'a'"), 1);
	/* A rebuild that fails midway leaves the table as it was (savepoint). */
	SQL_OK(g, "INSERT INTO kept (id) VALUES (2)");
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.nullability = UPGRADE_NULL_FORBID;
	CU_ASSERT_NOT_EQUAL(upgrade_context_alter_column(g->ctx, "kept", "v", &ch), UPGRADE_OK);
	CU_ASSERT_EQUAL(count_rows(g, "kept", NULL), 2);
	SQL_OK(g, "INSERT INTO kept (id) VALUES (3)");
}

static void
test_rollback(void)
{
	ON_ALL_ENGINES(rollback);
}

/* ---- enums ------------------------------------------------------------------------------------
 */

static void
enum_ops(struct eng *g)
{
	static const char *const moods[] = {"sad", "o'k", NULL};
	static const char *const more[] = {"sad", "h\xc3\xa4ppy", "o'k", "angry", NULL};
	char **values = NULL;
	size_t n = 0;

	if (g->e == ENG_SQLITE) {
		CU_ASSERT_EQUAL(upgrade_context_create_enum(g->ctx, "Mood", moods),
		                UPGRADE_EUNSUPPORTED);
		CU_ASSERT_EQUAL(upgrade_context_add_enum_value(g->ctx, "Mood", "x", 0),
		                UPGRADE_EUNSUPPORTED);
		return;
	}
	if (g->e == ENG_PG) {
		char *saved;

		CALL_OK(g, upgrade_context_create_enum(g->ctx, "Mood", moods));
		CALL_OK(g, upgrade_context_add_enum_value(g->ctx, "Mood", "h\xc3\xa4ppy", 0));
		CU_ASSERT_EQUAL(upgrade_context_add_enum_value(g->ctx, "Mood", "sad", 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(
		    upgrade_context_add_enum_value(g->ctx, "Mood", "sad", UPGRADE_IF_NOT_EXISTS),
		    UPGRADE_NOTHING_DONE);
		CU_ASSERT_EQUAL(upgrade_context_add_enum_value(g->ctx, "Nope", "x", 0),
		                UPGRADE_ENOTFOUND);
		/* Inside a transaction (PostgreSQL 12 and later): no COMMIT, rolled back with it.
		 */
		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
		CALL_OK(g, upgrade_context_add_enum_value(g->ctx, "Mood", "angry", 0));
		SQL_OK(g, "CREATE TABLE moody (m %s)", qi(g, "Mood"));
		/* Using the new label in the same transaction: the engine refuses, we explain. */
		CU_ASSERT_EQUAL(upgrade_context_exec(NULL, g->ctx,
		                                     "INSERT INTO moody VALUES ('angry')", 0, NULL),
		                UPGRADE_EDB);
		CU_ASSERT_STRING_EQUAL(upgrade_conn_sqlstate(g->conn), "55P04");
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(g->ctx), "later task"));
		CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
		CALL_OK(g, upgrade_context_enum_values(&values, &n, g->ctx, "Mood"));
		CU_ASSERT_EQUAL(n, 3);
		upgrade_free(values);
		/* Before PostgreSQL 12 it cannot be done in a transaction: said clearly. */
		saved = g->conn->dbms_ver;
		g->conn->dbms_ver = (char *)"11.22";
		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_context_add_enum_value(g->ctx, "Mood", "angry", 0),
		                UPGRADE_EUNSUPPORTED);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(g->ctx), "PostgreSQL 12"));
		CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
		g->conn->dbms_ver = saved;
		CU_ASSERT_EQUAL(upgrade_context_update_enum_values(g->ctx, "Mood", more),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_context_update_enum_values(g->ctx, "Mood", more),
		                UPGRADE_NOTHING_DONE);
		CALL_OK(g, upgrade_context_enum_values(&values, &n, g->ctx, "Mood"));
		CU_ASSERT_EQUAL(n, 4);
		if (n == 4) {
			CU_ASSERT_STRING_EQUAL(values[0], "sad");
			CU_ASSERT_STRING_EQUAL(values[3], "angry");
		}
		upgrade_free(values);
		return;
	}
	/* MariaDB: an ENUM column; converting keeps NOT NULL and the default. */
	SQL_OK(g,
	       "CREATE TABLE people (id INT PRIMARY KEY, mood VARCHAR(10) NOT NULL DEFAULT 'sad')");
	SQL_OK(g, "INSERT INTO people VALUES (1, 'o''k')");
	CALL_OK(g, upgrade_context_create_enum(g->ctx, "people.mood", moods));
	CALL_OK(g, upgrade_context_create_enum(g->ctx, "people.New M\xc3\xb6od", moods));
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_ENUM, NULL, "people.mood", 0), 1);
	CU_ASSERT_EQUAL(exists(g, UPG_OBJ_ENUM, NULL, "people.New M\xc3\xb6od", 0), 1);
	CALL_OK(g, upgrade_context_add_enum_value(g->ctx, "people.mood", "back\\slash", 0));
	CU_ASSERT_EQUAL(upgrade_context_update_enum_values(g->ctx, "people.mood", more),
	                UPGRADE_OK);
	CALL_OK(g, upgrade_context_enum_values(&values, &n, g->ctx, "people.mood"));
	CU_ASSERT_EQUAL(n, 5);
	if (n == 5) {
		CU_ASSERT_STRING_EQUAL(values[2], "back\\slash");
		CU_ASSERT_STRING_EQUAL(values[4], "angry");
	}
	upgrade_free(values);
	SQL_OK(g, "INSERT INTO people (id) VALUES (2)");
	CU_ASSERT_EQUAL(count_rows(g, "people", "mood = 'sad'"), 1);
	CU_ASSERT_EQUAL(count_rows(g, "people", "mood = 'o''k'"), 1);
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO people (id, mood) VALUES (3, NULL)"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_context_add_enum_value(g->ctx, "people.none", "x", 0),
	                UPGRADE_ENOTFOUND);
}

static void
test_enum_ops(void)
{
	ON_ALL_ENGINES(enum_ops);
}

/* ---- add_column_with_defaults
 * ---------------------------------------------------------------------- */

static int
double_qty(const char **value, const struct upgrade_row *row, void *ud)
{
	char *buf = ud;

	if (row->values[0] == NULL) {
		*value = NULL;
		return 0;
	}
	snprintf(buf, 32, "%ld", strtol(row->values[0], NULL, 10) * 2);
	*value = buf;
	return 0;
}

/* f set up to fill with double_qty() from the columns cols, into buf. */
static void
fill_doubling(struct upgrade_fill *f, char *buf, const char *const *cols)
{
	upgrade_fill_init(f, UPGRADE_FILL_VERSION);
	f->fn = double_qty;
	f->userdata = buf;
	f->columns = cols;
}

static int
fail_at_500(const char **value, const struct upgrade_row *row, void *ud)
{
	int *n = ud;

	*value = "x";
	return ++*n == 500 ? UPGRADE_EINVAL : 0;
}

/* SQL NULL for every row: a NOT NULL column then cannot be finished. */
static int
always_null(const char **value, const struct upgrade_row *row, void *ud)
{
	(void)row;
	(void)ud;
	*value = NULL;
	return 0;
}

static void
fill_table(struct eng *g, const char *table, int rows)
{
	char sql[256];
	int i;

	if (g->e == ENG_PG) {
		SQL_OK(g, "INSERT INTO %s (id, qty) SELECT i, i FROM generate_series(1, %d) i",
		       qi(g, table), rows);
		return;
	}
	snprintf(sql, sizeof sql, "INSERT INTO %s (id, qty) VALUES (?, ?)", qi(g, table));
	CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
	for (i = 1; i <= rows; i++) {
		char n[16];
		const char *p[2] = {n, n};

		snprintf(n, sizeof n, "%d", i);
		if (upg_db_exec_params(g->conn, sql, 2, p, NULL) != UPGRADE_OK) {
			CU_FAIL("insert");
			break;
		}
	}
	CU_ASSERT_EQUAL(upg_db_commit(g->conn), UPGRADE_OK);
}

static void
fill(struct eng *g)
{
	struct upgrade_column base[2] = {
	    {UPGRADE_COLUMN_VERSION, "id", "integer", NULL, 0, NULL, NULL, 1, 0},
	    {UPGRADE_COLUMN_VERSION, "qty", "integer", NULL, 0, NULL, NULL, 0, 0}};
	static const char *const qty[] = {"qty", NULL};
	struct upgrade_column col;
	struct upgrade_fill f;
	char buf[32];
	int n = 0;

	CALL_OK(g, upgrade_context_create_table(g->ctx, "Fill \xc3\xa9", base, 2, 0));
	fill_table(g, "Fill \xc3\xa9", 2500);

	/* A constant, NOT NULL; the column keeps no default afterwards. */
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "status";
	col.type = "varchar(20)";
	col.not_null = 1;
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.value = "n\xc3\xa9w 'one'";
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f));
	CU_ASSERT_EQUAL(count_rows(g, "Fill \xc3\xa9", "status = 'n\xc3\xa9w ''one'''"), 2500);
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO %s (id) VALUES (9999)", qi(g, "Fill \xc3\xa9")),
	                    UPGRADE_OK);
	/* A constant with a different own default: the default stays the column's. */
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "flag";
	col.type = "boolean";
	col.default_value = "false";
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.value = "1";
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f));
	SQL_OK(g, "INSERT INTO %s (id, status) VALUES (9999, 'x')", qi(g, "Fill \xc3\xa9"));
	CU_ASSERT_EQUAL(count_rows(g, "Fill \xc3\xa9", g->e == ENG_PG ? "flag" : "flag = 1"), 2500);
	SQL_OK(g, "DELETE FROM %s WHERE id = 9999", qi(g, "Fill \xc3\xa9"));

	/* An expression over the row. */
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "twice";
	col.type = "bigint";
	col.not_null = 1;
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.sql = "qty * 2";
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f));
	CU_ASSERT_EQUAL(count_rows(g, "Fill \xc3\xa9", "twice = qty * 2"), 2500);

	/* A function per row, in batches by key. */
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "By C";
	col.type = "integer";
	col.not_null = 1;
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.fn = double_qty;
	f.userdata = buf;
	f.columns = qty;
	f.batch_rows = 700;
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f));
	{
		char where[64];

		snprintf(where, sizeof where, "%s = qty * 2", qi(g, "By C"));
		CU_ASSERT_EQUAL(count_rows(g, "Fill \xc3\xa9", where), 2500);
	}
	/* A failing function stops the fill and says so. */
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "broken";
	col.type = "text";
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.fn = fail_at_500;
	f.userdata = &n;
	if (g->e != ENG_MARIA)
		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f),
	                UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(g->ctx), "fill function"));
	if (g->e != ENG_MARIA)
		CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
	/* Nothing of it is left: no column, and the earlier fills' values as they were. */
	{
		char where[64];
		int has = -1;

		CALL_OK(g, upgrade_context_has_column(&has, g->ctx, "Fill \xc3\xa9", "broken"));
		CU_ASSERT_EQUAL(has, 0);
		snprintf(where, sizeof where, "%s = qty * 2 AND twice = qty * 2", qi(g, "By C"));
		CU_ASSERT_EQUAL(count_rows(g, "Fill \xc3\xa9", where), 2500);
	}
	/* Filled, but NULL where NOT NULL is asked: the last step fails, and nothing is left either. */
	col.name = "never";
	col.not_null = 1;
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.fn = always_null;
	if (g->e != ENG_MARIA)
		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
	CU_ASSERT(upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f) < 0);
	if (g->e != ENG_MARIA)
		CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
	{
		int has = -1;

		CALL_OK(g, upgrade_context_has_column(&has, g->ctx, "Fill \xc3\xa9", "never"));
		CU_ASSERT_EQUAL(has, 0);
	}
	/* Exactly one way to fill. */
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f),
	                UPGRADE_EINVAL);
	f.value = "a";
	f.sql = "'a'";
	CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f),
	                UPGRADE_EINVAL);
	/* An empty list of columns for the function: refused before the column is added. */
	{
		static const char *const none[] = {NULL};
		int has = -1;

		fill_doubling(&f, buf, none);
		CU_ASSERT_EQUAL(
		    upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f),
		    UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_context_error(g->ctx),
		                       "an empty list of columns (NULL asks for all of them)");
		CALL_OK(g, upgrade_context_has_column(&has, g->ctx, "Fill \xc3\xa9", "never"));
		CU_ASSERT_EQUAL(has, 0);
	}
	/*
	 * Batches past 100000 rows are refused before the column is added: a
	 * batch is held in memory whole, and SIZE_MAX rows overflowed its size.
	 */
	{
		int has = -1;

		fill_doubling(&f, buf, qty);
		f.batch_rows = SIZE_MAX;
		CU_ASSERT_EQUAL(
		    upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f),
		    UPGRADE_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(g->ctx),
		                              "fill batch_rows must be between 1 and 100000"));
		f.batch_rows = 100001;
		CU_ASSERT_EQUAL(
		    upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f),
		    UPGRADE_EINVAL);
		CALL_OK(g, upgrade_context_has_column(&has, g->ctx, "Fill \xc3\xa9", "never"));
		CU_ASSERT_EQUAL(has, 0);
		/* The largest batch takes the whole table at once. */
		col.name = "big batch";
		col.type = "integer";
		col.not_null = 0;
		f.batch_rows = 100000;
		CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Fill \xc3\xa9", &col, &f));
		{
			char where[64];

			snprintf(where, sizeof where, "%s = qty * 2", qi(g, "big batch"));
			CU_ASSERT_EQUAL(count_rows(g, "Fill \xc3\xa9", where), 2500);
		}
	}

	/* An empty table: nothing to fill, NOT NULL still applies. */
	CALL_OK(g, upgrade_context_create_table(g->ctx, "empty", base, 2, 0));
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "c";
	col.type = "integer";
	col.not_null = 1;
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.sql = "qty + 1";
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "empty", &col, &f));
	CU_ASSERT_NOT_EQUAL(sqlq(g, "INSERT INTO empty (id) VALUES (1)"), UPGRADE_OK);

	/* Without a key: SQLite batches by rowid, the others refuse the function form. */
	SQL_OK(g, "CREATE TABLE nokey (qty INT)");
	SQL_OK(g, "INSERT INTO nokey VALUES (1)");
	SQL_OK(g, "INSERT INTO nokey VALUES (2)");
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "d";
	col.type = "integer";
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.fn = double_qty;
	f.userdata = buf;
	f.columns = qty;
	if (g->e == ENG_SQLITE) {
		CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "nokey", &col, &f));
		CU_ASSERT_EQUAL(count_rows(g, "nokey", "d = qty * 2"), 2);
	} else {
		CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(g->ctx, "nokey", &col, &f),
		                UPGRADE_EUNSUPPORTED);
	}
}

/* The fill function of fill_bulk: the row's own name, NULL for every seventh. */
static int
name_or_null(const char **value, const struct upgrade_row *row, void *ud)
{
	(void)ud;
	*value = strtol(row->values[1], NULL, 10) % 7 == 0 ? NULL : row->values[0];
	return 0;
}

/*
 * The per-row fill writes its values back many rows per statement (a
 * derived table joined by key, PostgreSQL's arrays): a composite key of
 * text and number, names and values with quotes, backslashes, braces,
 * commas, the word NULL and UTF-8, SQL NULLs, and 1,001 rows in batches of
 * 500 (two whole batches and one of a single row) and of 143 (seven whole).
 */
static void
fill_bulk(struct eng *g)
{
	static const char *const cols[] = {"name", "n", NULL};
	struct upgrade_column col;
	struct upgrade_fill f;
	char name[64], num[16];
	const char *p[2] = {name, num};
	int i, nulls = 0;

	SQL_OK(g, "CREATE TABLE bulk (name VARCHAR(100) NOT NULL, n INTEGER NOT NULL, "
	          "PRIMARY KEY (name, n))");
	CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
	for (i = 1; i <= 1001; i++) {
		/* Three rows share each name: the key's second column matters. */
		snprintf(name, sizeof name, "k\"q\\b'%d \xc3\xa9 {x},NULL", i / 3);
		snprintf(num, sizeof num, "%d", i);
		nulls += i % 7 == 0;
		if (upg_db_exec_params(g->conn, "INSERT INTO bulk (name, n) VALUES (?, ?)", 2, p,
		                       NULL) != UPGRADE_OK) {
			CU_FAIL("insert");
			break;
		}
	}
	CU_ASSERT_EQUAL(upg_db_commit(g->conn), UPGRADE_OK);
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "copy";
	col.type = "varchar(100)";
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.fn = name_or_null;
	f.columns = cols;
	f.batch_rows = 500;
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "bulk", &col, &f));
	CU_ASSERT_EQUAL(count_rows(g, "bulk", "copy IS NULL"), nulls);
	CU_ASSERT_EQUAL(count_rows(g, "bulk", "copy = name"), 1001 - nulls);
	/* The same through the CASE form, which engines without a joined UPDATE get. */
	{
		const struct upg_dialect *own = g->conn->dialect;
		struct upg_dialect plain = *own;

		plain.update_rows = UPG_UPDATE_ROWS_CASE;
		g->conn->dialect = &plain;
		col.name = "again";
		CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "bulk", &col, &f));
		g->conn->dialect = own;
		CU_ASSERT_EQUAL(count_rows(g, "bulk", "again IS NULL"), nulls);
		CU_ASSERT_EQUAL(count_rows(g, "bulk", "again = name"), 1001 - nulls);
	}
	/* Batches of 143: seven whole ones, the last of them ending the table. */
	col.name = "sevens";
	f.batch_rows = 143;
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "bulk", &col, &f));
	CU_ASSERT_EQUAL(count_rows(g, "bulk", "sevens IS NULL"), nulls);
	CU_ASSERT_EQUAL(count_rows(g, "bulk", "sevens = name"), 1001 - nulls);
}

static void
test_fill(void)
{
	ON_ALL_ENGINES(fill);
	ON_ALL_ENGINES(fill_bulk);
}

/* Triggers off while filling, on again afterwards (PostgreSQL, SQLite); MariaDB cannot. */
/* Updates row id of "Trig T"; the log must then hold logged rows. */
static void
update_logged(struct eng *g, int id, long logged)
{
	SQL_OK(g, "UPDATE %s SET qty = 0 WHERE id = %d", qi(g, "Trig T"), id);
	CU_ASSERT_EQUAL(count_rows(g, "log", NULL), logged);
}

static void
triggers(struct eng *g)
{
	struct upgrade_column base[2] = {
	    {UPGRADE_COLUMN_VERSION, "id", "integer", NULL, 0, NULL, NULL, 1, 0},
	    {UPGRADE_COLUMN_VERSION, "qty", "integer", NULL, 0, NULL, NULL, 0, 0}};
	struct upgrade_column col;
	struct upgrade_fill f;

	CALL_OK(g, upgrade_context_create_table(g->ctx, "Trig T", base, 2, 0));
	SQL_OK(g, "CREATE TABLE log (n INT)");
	if (g->e == ENG_SQLITE) {
		SQL_OK(g,
		       "CREATE TRIGGER %s AFTER UPDATE ON %s BEGIN INSERT INTO log VALUES "
		       "(new.id); END",
		       qi(g, "log it"), qi(g, "Trig T"));
	} else if (g->e == ENG_PG) {
		SQL_OK(g, "CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS "
		          "$$BEGIN INSERT INTO log VALUES (NEW.id); RETURN NEW; END$$");
		SQL_OK(
		    g,
		    "CREATE TRIGGER %s AFTER UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION log_it()",
		    qi(g, "log it"), qi(g, "Trig T"));
	} else {
		SQL_OK(g,
		       "CREATE TRIGGER %s AFTER UPDATE ON %s FOR EACH ROW INSERT INTO log VALUES "
		       "(NEW.id)",
		       qi(g, "log it"), qi(g, "Trig T"));
	}
	fill_table(g, "Trig T", 10);
	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "c";
	col.type = "integer";
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.sql = "qty + 1";
	f.flags = UPGRADE_FILL_SUSPEND_TRIGGERS;
	if (g->e == ENG_MARIA) {
		CU_ASSERT_EQUAL(upgrade_context_suspend_triggers(g->ctx, "Trig T"),
		                UPGRADE_EUNSUPPORTED);
		CU_ASSERT_EQUAL(
		    upgrade_context_add_column_with_defaults(g->ctx, "Trig T", &col, &f),
		    UPGRADE_EUNSUPPORTED);
		return;
	}
	CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Trig T", &col, &f));
	CU_ASSERT_EQUAL(count_rows(g, "log", NULL), 0);
	CU_ASSERT_EQUAL(count_rows(g, "Trig T", "c = qty + 1"), 10);
	/* Back on: the next update is logged. */
	update_logged(g, 1, 1);
	/* By hand. */
	CALL_OK(g, upgrade_context_suspend_triggers(g->ctx, "Trig T"));
	update_logged(g, 2, 1);
	CALL_OK(g, upgrade_context_resume_triggers(g->ctx, "Trig T"));
	update_logged(g, 3, 2);
	/*
	 * Suspensions nest: a fill that suspends the triggers of a table the
	 * task suspended leaves them off; so does the inner of two resumes.
	 */
	CALL_OK(g, upgrade_context_suspend_triggers(g->ctx, "Trig T"));
	col.name = "d";
	CALL_OK(g, upgrade_context_add_column_with_defaults(g->ctx, "Trig T", &col, &f));
	update_logged(g, 4, 2);
	CALL_OK(g, upgrade_context_suspend_triggers(g->ctx, "Trig T"));
	CALL_OK(g, upgrade_context_resume_triggers(g->ctx, "Trig T"));
	update_logged(g, 5, 2);
	CALL_OK(g, upgrade_context_resume_triggers(g->ctx, "Trig T"));
	update_logged(g, 6, 3);
	CU_ASSERT_EQUAL(upg_db_commit(g->conn), UPGRADE_OK);
}

static void
test_triggers(void)
{
	ON_ALL_ENGINES(triggers);
}

/* ---- the same operations as XML actions
 * -------------------------------------------------------------- */

static void
xml_ops(struct eng *g)
{
	int held = -1;

	/* The table of the <sql> comes quoted through a placeholder. */
	{
		char xml[8192], name[64];

		{
			/* The quoted name as an attribute value: its double quotes as &quot;. */
			const char *q = qi(g, "Kunden ü");
			size_t k = 0;

			for (; *q != '\0' && k + 7 < sizeof name; q++) {
				if (*q == '"') {
					memcpy(name + k, "&quot;", 6);
					k += 6;
				} else {
					name[k++] = *q;
				}
			}
			name[k] = '\0';
		}
		snprintf(
		    xml, sizeof xml,
		    "<param name=\"t\" default=\"%s\"/>\n"
		    "<task name=\"create\">\n"
		    "  <only-if><not><has-table table=\"Kunden ü\"/></not></only-if>\n"
		    "  <create-table name=\"Kunden ü\">\n"
		    "    <column name=\"id\" type=\"integer\" primary-key=\"true\"/>\n"
		    "    <column name=\"Name\" type=\"varchar\" length=\"100\" nullable=\"false\" "
		    "default=\"n/a\"/>\n"
		    "    <column name=\"balance\" type=\"numeric\" precision=\"12\" scale=\"2\" "
		    "default=\"0\"/>\n"
		    "    <column name=\"email\" type=\"varchar\" length=\"100\" unique=\"true\"/>\n"
		    "    <column name=\"parent\" type=\"integer\"/>\n"
		    "  </create-table>\n"
		    "  <add-column table=\"Kunden ü\" name=\"active\" type=\"boolean\" "
		    "default=\"true\"/>\n"
		    "  <add-column table=\"Kunden ü\" name=\"active\" type=\"boolean\" "
		    "if-not-exists=\"true\"/>\n"
		    "  <create-index name=\"ix name bal\" table=\"Kunden ü\" columns=\" Name , "
		    "balance \"/>\n"
		    "  <create-index name=\"ix name bal\" table=\"Kunden ü\" columns=\"Name\" "
		    "if-not-exists=\"true\"/>\n"
		    "  <add-unique table=\"Kunden ü\" name=\"uq name\" columns=\"Name\"/>\n"
		    "  <add-check table=\"Kunden ü\" name=\"ck balance\" expression=\"balance "
		    "&gt;= 0\"/>\n"
		    "  <add-foreign-key table=\"Kunden ü\" name=\"fk parent\" columns=\"parent\"\n"
		    "                   ref-table=\"Kunden ü\" ref-columns=\"id\" "
		    "on-delete=\"set-null\"/>\n"
		    "  <alter-column table=\"Kunden ü\" name=\"Name\" type=\"varchar\" "
		    "length=\"200\"/>\n"
		    "  <alter-column table=\"Kunden ü\" name=\"balance\" default=\"5\"/>\n"
		    "  <rename-column table=\"Kunden ü\" from=\"email\" to=\"e-mail\"/>\n"
		    "  <sql><![CDATA[INSERT INTO ${t} (id) VALUES (1)]]></sql>\n"
		    "</task>\n"
		    "<task name=\"undo\">\n"
		    "  <drop-constraint table=\"Kunden ü\" name=\"fk parent\" "
		    "type=\"foreign-key\"/>\n"
		    "  <drop-constraint table=\"Kunden ü\" name=\"uq name\"/>\n"
		    "  <drop-constraint table=\"Kunden ü\" name=\"uq name\" if-exists=\"true\"/>\n"
		    "  <drop-index name=\"ix name bal\" table=\"Kunden ü\"/>\n"
		    "  <drop-index name=\"ix name bal\" table=\"Kunden ü\" if-exists=\"true\"/>\n"
		    "  <drop-column table=\"Kunden ü\" name=\"active\"/>\n"
		    "  <drop-column table=\"Kunden ü\" name=\"active\" if-exists=\"true\"/>\n"
		    "  <alter-column table=\"Kunden ü\" name=\"balance\" drop-default=\"true\" "
		    "nullable=\"false\"/>\n"
		    "  <rename-table from=\"Kunden ü\" to=\"Clients\"/>\n"
		    "</task>\n"
		    "<task name=\"drop\">\n"
		    "  <drop-table name=\"Clients\"/>\n"
		    "  <drop-table name=\"Clients\" if-exists=\"true\"/>\n"
		    "</task>\n"
		    "<task name=\"enums\">\n"
		    "  <create-enum "
		    "name=\"${e}\"><value>a</value><value>b'c</value></create-enum>\n"
		    "  <add-enum-value name=\"${e}\" value=\"d\"/>\n"
		    "  <add-enum-value name=\"${e}\" value=\"d\" if-not-exists=\"true\"/>\n"
		    "</task>\n"
		    "<task name=\"inject\">\n"
		    "  <create-table name=\"victim&quot;; DROP TABLE victim; --\">\n"
		    "    <column name=\"x`); DROP TABLE victim; --\" type=\"text\" default=\"'); "
		    "DROP TABLE victim; --\"/>\n"
		    "  </create-table>\n"
		    "  <create-index name=\"i&quot;; DROP TABLE victim; --\" table=\"victim&quot;; "
		    "DROP TABLE victim; --\"\n"
		    "                columns=\"x`); DROP TABLE victim; --\"/>\n"
		    "  <drop-table name=\"victim&quot;; DROP TABLE victim; --\"/>\n"
		    "  <drop-table name=\"victim' OR '1'='1\" if-exists=\"true\"/>\n"
		    "</task>\n",
		    name);
		/* The enum parameter: a type (PostgreSQL) or a column (MariaDB). */
		{
			char *p = strstr(xml, "<task name=\"create\">");
			char head[256];
			size_t hl = (size_t)(p - xml);

			snprintf(head, sizeof head, "<param name=\"e\" default=\"%s\"/>\n",
			         g->e == ENG_MARIA ? "Clients.level" : "Level");
			if (hl + strlen(head) + strlen(p) + 1 < sizeof xml) {
				memmove(p + strlen(head), p, strlen(p) + 1);
				memcpy(p, head, strlen(head));
			}
		}
		CU_ASSERT_EQUAL(run_xml(g, xml, "create", &held), UPGRADE_OK);
		CU_ASSERT_EQUAL(held, 1);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, "Kunden ü", "e-mail", 0), 1);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, "Kunden ü", "active", 0), 1);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_INDEX, "Kunden ü", "ix name bal", 0), 1);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Kunden ü", "uq name", UPG_CT_UNIQUE),
		                1);
		CU_ASSERT_EQUAL(
		    exists(g, UPG_OBJ_CONSTRAINT, "Kunden ü", "ck balance", UPG_CT_CHECK), 1);
		CU_ASSERT_EQUAL(
		    exists(g, UPG_OBJ_CONSTRAINT, "Kunden ü", "fk parent", UPG_CT_FOREIGN), 1);
		CU_ASSERT_EQUAL(count_rows(g, "Kunden ü", "balance = 5"), 1);
		/* The guard no longer holds. */
		CU_ASSERT_EQUAL(run_xml(g, xml, "create", &held), UPGRADE_OK);
		CU_ASSERT_EQUAL(held, 0);
		CU_ASSERT_EQUAL(run_xml(g, xml, "undo", &held), UPGRADE_OK);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "Clients", NULL, 0), 1);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_CONSTRAINT, "Clients", "uq name", 0), 0);
		CU_ASSERT_EQUAL(
		    exists(g, UPG_OBJ_CONSTRAINT, "Clients", "ck balance", UPG_CT_CHECK), 1);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_COLUMN, "Clients", "active", 0), 0);
		CU_ASSERT_EQUAL(count_rows(g, "Clients", NULL), 1);
		if (g->e == ENG_SQLITE) {
			CU_ASSERT_EQUAL(run_xml(g, xml, "enums", &held), UPGRADE_EUNSUPPORTED);
		} else {
			char **v = NULL;
			size_t n = 0;

			CU_ASSERT_EQUAL(run_xml(g, xml, "enums", &held), UPGRADE_OK);
			CALL_OK(g,
			        upgrade_context_enum_values(
			            &v, &n, g->ctx, g->e == ENG_MARIA ? "Clients.level" : "Level"));
			CU_ASSERT_EQUAL(n, 3);
			if (n == 3)
				CU_ASSERT_STRING_EQUAL(v[1], "b'c");
			upgrade_free(v);
		}
		/* Names from a catalog that try to leave their quotes are just names. */
		SQL_OK(g, "CREATE TABLE victim (x INT)");
		CU_ASSERT_EQUAL(run_xml(g, xml, "inject", &held), UPGRADE_OK);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "victim", NULL, 0), 1);
		CU_ASSERT_EQUAL(
		    exists(g, UPG_OBJ_TABLE, "victim\"; DROP TABLE victim; --", NULL, 0), 0);
		/* A bad attribute stops the catalog when it is prepared, before any statement. */
		CU_ASSERT_EQUAL(run_xml(g,
		                        "<task name=\"bad\">\n"
		                        "  <create-index name=\"x\" table=\"Clients\" columns=\"a,,b\"/>\n"
		                        "</task>",
		                        "bad", &held),
		                UPGRADE_EPARSE);
		CU_ASSERT_EQUAL(held, 0);
		CU_ASSERT_EQUAL(run_xml(g, xml, "drop", &held), UPGRADE_OK);
		CU_ASSERT_EQUAL(exists(g, UPG_OBJ_TABLE, "Clients", NULL, 0), 0);
	}
}

static void
test_xml_ops(void)
{
	ON_ALL_ENGINES(xml_ops);
}

/* ---- SQL Server: the statements as text
 * ----------------------------------------------------------------- */

static struct upgrade_conn *mssql_conn;

static void
expect_sql(struct upg_render *r, const char *const *want)
{
	size_t i;

	if (r->ret != UPGRADE_OK)
		fprintf(stderr, "\nrender failed: %s\n", upgrade_conn_error(mssql_conn));
	CU_ASSERT_EQUAL(r->ret, UPGRADE_OK);
	for (i = 0; want[i] != NULL; i++) {
		if (i >= r->nstmts) {
			fprintf(stderr, "\nmissing statement: %s\n", want[i]);
			CU_FAIL("missing statement");
			continue;
		}
		if (strcmp(r->stmts[i], want[i]) != 0)
			fprintf(stderr, "\nwant: %s\ngot:  %s\n", want[i], r->stmts[i]);
		CU_ASSERT_STRING_EQUAL(r->stmts[i], want[i]);
	}
	CU_ASSERT_EQUAL(r->nstmts, i);
	upg_render_free(r);
}

#define EXPECT(r, ...)                                                                             \
	do {                                                                                       \
		static const char *const want_[] = {__VA_ARGS__, NULL};                            \
		expect_sql((r), want_);                                                            \
	} while (0)

static void
test_mssql(void)
{
	struct upg_coldef cols[4];
	struct upg_alter a;
	struct upg_colinfo cur;
	struct upg_render r;
	static const char *const ab[] = {"a", "b]c"};
	static const char *const id[] = {"id"};
	char *frag;

	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&mssql_conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_set_dialect(mssql_conn, "mssql"), UPGRADE_OK);
	memset(cols, 0, sizeof cols);
	cols[0].name = "id";
	cols[0].type.kind = UPG_TYPE_INTEGER;
	cols[0].pk = 1;
	cols[1].name = "N\xc3\xa4me";
	cols[1].type.kind = UPG_TYPE_VARCHAR;
	cols[1].type.length = 200;
	cols[1].notnull = 1;
	cols[1].def_value = "it's";
	cols[2].name = "ok";
	cols[2].type.kind = UPG_TYPE_BOOLEAN;
	cols[2].def_value = "true";
	cols[3].name = "at";
	cols[3].type.kind = UPG_TYPE_TIMESTAMP;
	cols[3].def_sql = "SYSUTCDATETIME()";

	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_create_table(&r, "Order Items", cols, 4);
	EXPECT(&r, "CREATE TABLE [dbo].[Order Items] ([id] INT NOT NULL PRIMARY KEY, "
	           "[N\xc3\xa4me] NVARCHAR(200) DEFAULT N'it''s' NOT NULL, [ok] BIT DEFAULT 1, "
	           "[at] DATETIME2 DEFAULT (SYSUTCDATETIME()))");

	upg_render_init(&r, mssql_conn, "dbo");
	cols[1].notnull = 0;
	upg_render_add_column(&r, "t]x", &cols[1]);
	EXPECT(&r, "ALTER TABLE [dbo].[t]]x] ADD [N\xc3\xa4me] NVARCHAR(200) DEFAULT N'it''s'");

	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_drop_column(&r, "t", "c");
	upg_render_drop_table(&r, "t");
	EXPECT(&r, "ALTER TABLE [dbo].[t] DROP COLUMN [c]", "DROP TABLE [dbo].[t]");

	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_rename_table(&r, "Old's", "New]");
	upg_render_rename_column(&r, "t", "a", "b");
	EXPECT(&r, "EXEC sp_rename N'[dbo].[Old''s]', N'New]'",
	       "EXEC sp_rename N'[dbo].[t].[a]', N'b', 'COLUMN'");

	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_create_index(&r, "ix ab", "t", ab, 2, 1);
	upg_render_drop_index(&r, "ix ab", "t");
	EXPECT(&r, "CREATE UNIQUE INDEX [ix ab] ON [dbo].[t] ([a], [b]]c])",
	       "DROP INDEX [ix ab] ON [dbo].[t]");
	upg_render_init(&r, mssql_conn, "dbo");
	CU_ASSERT_EQUAL(upg_render_drop_index(&r, "ix", NULL), UPGRADE_EINVAL);
	upg_render_free(&r);

	/* Constraints. */
	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_constraint_fk(&r, "fk p", id, 1, "parent", id, 1, UPG_FK_CASCADE,
	                         UPG_FK_NO_ACTION);
	frag = upg_r_take(&r);
	upg_render_add_constraint(&r, "child", frag);
	free(frag);
	upg_render_constraint_unique(&r, "uq", ab, 2);
	frag = upg_r_take(&r);
	upg_render_add_constraint(&r, "child", frag);
	free(frag);
	upg_render_constraint_check(&r, "ck", "[a] > 0");
	frag = upg_r_take(&r);
	upg_render_add_constraint(&r, "child", frag);
	free(frag);
	upg_render_drop_constraint(&r, "child", "ck", UPG_CT_CHECK);
	EXPECT(&r,
	       "ALTER TABLE [dbo].[child] ADD CONSTRAINT [fk p] FOREIGN KEY ([id]) REFERENCES "
	       "[dbo].[parent] ([id]) "
	       "ON DELETE CASCADE ON UPDATE NO ACTION",
	       "ALTER TABLE [dbo].[child] ADD CONSTRAINT [uq] UNIQUE ([a], [b]]c])",
	       "ALTER TABLE [dbo].[child] ADD CONSTRAINT [ck] CHECK ([a] > 0)",
	       "ALTER TABLE [dbo].[child] DROP CONSTRAINT [ck]");

	/* ALTER COLUMN restates type and nullability; defaults are constraints found by name. */
	memset(&a, 0, sizeof a);
	memset(&cur, 0, sizeof cur);
	cur.name = "qty";
	cur.type = "int";
	cur.notnull = 0;
	a.table = "t";
	a.column = "qty";
	a.current = &cur;
	a.null_change = UPG_NULL_FORBID;
	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_alter_column(&r, &a);
	EXPECT(&r, "ALTER TABLE [dbo].[t] ALTER COLUMN [qty] int NOT NULL");
	a.null_change = UPG_NULL_KEEP;
	a.type.kind = UPG_TYPE_BIGINT;
	a.def_change = UPG_DEF_VALUE;
	a.def = "5";
	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_alter_column(&r, &a);
	/* SQL Server cannot change the type under a default (5074): the default goes first. */
	EXPECT(
	    &r,
	    "DECLARE @df sysname = (SELECT d.name FROM sys.default_constraints d JOIN sys.columns "
	    "c "
	    "ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id "
	    "WHERE d.parent_object_id = OBJECT_ID(N'[dbo].[t]') AND c.name = N'qty'); "
	    "IF @df IS NOT NULL EXEC (N'ALTER TABLE [dbo].[t] DROP CONSTRAINT ' + QUOTENAME(@df))",
	    "ALTER TABLE [dbo].[t] ALTER COLUMN [qty] BIGINT NULL",
	    "ALTER TABLE [dbo].[t] ADD DEFAULT 5 FOR [qty]");
	/* A new type and the old default kept: dropped, then added again from its text. */
	a.def_change = UPG_DEF_KEEP;
	a.def = NULL;
	cur.def = "((0))";
	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_alter_column(&r, &a);
	EXPECT(
	    &r,
	    "DECLARE @df sysname = (SELECT d.name FROM sys.default_constraints d JOIN sys.columns "
	    "c "
	    "ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id "
	    "WHERE d.parent_object_id = OBJECT_ID(N'[dbo].[t]') AND c.name = N'qty'); "
	    "IF @df IS NOT NULL EXEC (N'ALTER TABLE [dbo].[t] DROP CONSTRAINT ' + QUOTENAME(@df))",
	    "ALTER TABLE [dbo].[t] ALTER COLUMN [qty] BIGINT NULL",
	    "ALTER TABLE [dbo].[t] ADD DEFAULT ((0)) FOR [qty]");
	/* Nullability alone leaves the default alone. */
	a.type.kind = UPG_TYPE_NONE;
	a.null_change = UPG_NULL_FORBID;
	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_alter_column(&r, &a);
	EXPECT(&r, "ALTER TABLE [dbo].[t] ALTER COLUMN [qty] int NOT NULL");
	cur.def = NULL;
	memset(&a, 0, sizeof a);
	a.table = "it's";
	a.column = "c";
	a.def_change = UPG_DEF_DROP;
	upg_render_init(&r, mssql_conn, "dbo");
	upg_render_alter_column(&r, &a);
	EXPECT(&r, "DECLARE @df sysname = (SELECT d.name FROM sys.default_constraints d JOIN "
	           "sys.columns c "
	           "ON c.object_id = d.parent_object_id AND c.column_id = d.parent_column_id "
	           "WHERE d.parent_object_id = OBJECT_ID(N'[dbo].[it''s]') AND c.name = N'c'); "
	           "IF @df IS NOT NULL EXEC (N'ALTER TABLE [dbo].[it''s] DROP CONSTRAINT ' + "
	           "QUOTENAME(@df))");
	a.def_change = UPG_DEF_KEEP;
	a.using_sql = "CAST(c AS INT)";
	a.type.kind = UPG_TYPE_INTEGER;
	upg_render_init(&r, mssql_conn, "dbo");
	CU_ASSERT_EQUAL(upg_render_alter_column(&r, &a), UPGRADE_EUNSUPPORTED);
	upg_render_free(&r);

	/* Names SQL Server would truncate, and control characters, are refused. */
	upg_render_init(&r, mssql_conn, "dbo");
	CU_ASSERT_EQUAL(upg_render_drop_table(&r, "bad\nname"), UPGRADE_EINVAL);
	upg_render_free(&r);
	{
		char longname[200];

		memset(longname, 'x', 150);
		longname[150] = '\0';
		upg_render_init(&r, mssql_conn, "dbo");
		CU_ASSERT_EQUAL(upg_render_drop_table(&r, longname), UPGRADE_EINVAL);
		upg_render_free(&r);
	}
	/* The other engines' spelling of the same, for comparison. */
	{
		struct upgrade_conn *pg = NULL;

		CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&pg), UPGRADE_OK);
		upgrade_conn_set_dialect(pg, "postgresql");
		upg_render_init(&r, pg, "s");
		upg_render_create_table(&r, "Order Items", cols, 4);
		upg_render_rename_table(&r, "a", "b");
		EXPECT(&r,
		       "CREATE TABLE \"s\".\"Order Items\" (\"id\" INTEGER NOT NULL PRIMARY KEY, "
		       "\"N\xc3\xa4me\" VARCHAR(200) DEFAULT 'it''s', \"ok\" BOOLEAN DEFAULT TRUE, "
		       "\"at\" TIMESTAMP WITHOUT TIME ZONE DEFAULT (SYSUTCDATETIME()))",
		       "ALTER TABLE \"s\".\"a\" RENAME TO \"b\"");
		upgrade_conn_set_dialect(pg, "mysql");
		upg_render_init(&r, pg, "s");
		upg_render_rename_table(&r, "a`", "b");
		upg_render_drop_constraint(&r, "a", "f", UPG_CT_FOREIGN);
		EXPECT(&r, "RENAME TABLE `s`.`a``` TO `s`.`b`",
		       "ALTER TABLE `s`.`a` DROP FOREIGN KEY `f`");
		upgrade_conn_free(pg);
	}
	upgrade_conn_free(mssql_conn);
}

/* ---- column types
 * ------------------------------------------------------------------------------------------ */

static void
test_types(void)
{
	struct upg_error err = {0, NULL, "", 0};
	struct upg_coltype t;

	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "varchar(200)", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(t.kind, UPG_TYPE_VARCHAR);
	CU_ASSERT_EQUAL(t.length, 200);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "NUMERIC( 12 , 2 )", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(t.precision, 12);
	CU_ASSERT_EQUAL(t.scale, 2);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "numeric(5,0)", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "numeric", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(t.precision, 0);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "json", &err), UPGRADE_OK);
	CU_ASSERT_EQUAL(t.kind, UPG_TYPE_JSON);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "varchar", &err), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "varchar(0)", &err), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "varchar(10", &err), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "integer(5)", &err), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "text; DROP TABLE x", &err), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "varchar(99999999999)", &err), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_coltype_parse(&t, "", &err), UPGRADE_EINVAL);
	upg_error_clear(&err);
}

/* SQLite's CREATE TABLE reader: named constraints, in quotes and comments. */
static void
test_sqlite_text(void)
{
	static const char sql[] =
	    "CREATE TABLE \"t\" (\"id\" INTEGER PRIMARY KEY /* ( , */, -- a comment, with (\n"
	    " `b` TEXT CONSTRAINT \"nn b\" NOT NULL DEFAULT 'x,y', [c] INT CONSTRAINT ck_c CHECK "
	    "(c > (0)),\n"
	    " d INT REFERENCES p (id) ON DELETE SET NULL NOT DEFERRABLE,\n"
	    " CONSTRAINT \"U q\" UNIQUE (b, c), constraint fk foreign key (d) references p (id)) "
	    "WITHOUT ROWID";
	int found = -1;

	CU_ASSERT_EQUAL(upg_sqlite_has_constraint(sql, "u q", UPG_CT_UNIQUE, &found), UPGRADE_OK);
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(upg_sqlite_has_constraint(sql, "U q", UPG_CT_CHECK, &found), UPGRADE_OK);
	CU_ASSERT_EQUAL(found, 0);
	CU_ASSERT_EQUAL(upg_sqlite_has_constraint(sql, "ck_c", UPG_CT_CHECK, &found), UPGRADE_OK);
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(upg_sqlite_has_constraint(sql, "FK", UPG_CT_FOREIGN, &found), UPGRADE_OK);
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(upg_sqlite_has_constraint(sql, "nn b", UPG_CT_ANY, &found), UPGRADE_OK);
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(upg_sqlite_has_constraint(sql, "x,y", UPG_CT_ANY, &found), UPGRADE_OK);
	CU_ASSERT_EQUAL(found, 0);
	CU_ASSERT_EQUAL(
	    upg_sqlite_has_constraint("CREATE TABLE t (a 'unterminated)", "a", 0, &found),
	    UPGRADE_EPARSE);
	CU_ASSERT_EQUAL(upg_sqlite_has_constraint("CREATE TABLE t AS SELECT 1", "a", 0, &found),
	                UPGRADE_EPARSE);
}

/* The SQLite rebuild on a table written with comments, odd quoting and options. */
static void
test_sqlite_rebuild(void)
{
	struct eng g;
	struct upgrade_column_change ch;

	if (engine_open(&g, ENG_SQLITE) != 0)
		return;
	SQL_OK(&g, "CREATE TABLE \"odd\" (\"id\" INTEGER PRIMARY KEY /* ( , */, -- note, with (\n"
	           " `b` TEXT CONSTRAINT \"nn b\" NOT NULL DEFAULT 'x,y' COLLATE NOCASE, [c] INT "
	           "CONSTRAINT ck_c CHECK (c > (0)),\n"
	           " d INT REFERENCES odd (id) ON DELETE SET NULL NOT DEFERRABLE,\n"
	           " CONSTRAINT \"U q\" UNIQUE (b, c)) WITHOUT ROWID");
	SQL_OK(&g, "INSERT INTO odd (id, c) VALUES (1, 5)");
	SQL_OK(&g, "INSERT INTO odd (id, b, c, d) VALUES (2, 'Q', 6, 1)");
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.nullability = UPGRADE_NULL_ALLOW;
	ch.default_value = "new";
	ch.type = "varchar(30)";
	CALL_OK(&g, upgrade_context_alter_column(g.ctx, "ODD", "B", &ch));
	SQL_OK(&g, "INSERT INTO odd (id, c) VALUES (3, 7)");
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM odd WHERE b = 'new'"), 1);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM odd WHERE b = 'x,y'"), 1);
	/* COLLATE NOCASE, the check, the unique pair and WITHOUT ROWID are still there. */
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM odd WHERE b = 'q'"), 1);
	CU_ASSERT_NOT_EQUAL(sqlq(&g, "INSERT INTO odd (id, c) VALUES (4, 0)"), UPGRADE_OK);
	CU_ASSERT_NOT_EQUAL(sqlq(&g, "INSERT INTO odd (id, b, c) VALUES (5, 'q', 6)"), UPGRADE_OK);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'odd' "
	                               "AND sql LIKE '%WITHOUT ROWID%' AND sql LIKE '%nn b%' = 0"),
	                1);
	CALL_OK(&g, upgrade_context_drop_constraint(g.ctx, "odd", "ck_c", 0, 0));
	SQL_OK(&g, "INSERT INTO odd (id, c) VALUES (4, 0)");
	CU_ASSERT_EQUAL(upgrade_context_drop_constraint(g.ctx, "odd", "ck_c", 0, 0),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_context_drop_column(g.ctx, "odd", "nothere", 0), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM odd"), 4);
	engine_close(&g);
}

/*
 * Every operation that rebuilds a SQLite table keeps AUTOINCREMENT's
 * high-water mark (sqlite_sequence), so a deleted id is never handed out
 * again; and keeps the table's indexes, its triggers and the views on it.
 */
static void
test_sqlite_rebuild_autoincrement(void)
{
	static const char xml[] =
	    "<task name=\"alter\">\n"
	    "  <alter-column table=\"child\" name=\"amount\" type=\"numeric\" precision=\"10\" "
	    "scale=\"2\"/>\n"
	    "</task>\n";
	static const char *const code[] = {"code", NULL};
	static const char *const parent_id[] = {"id", NULL};
	struct upgrade_column_change ch;
	struct eng g;
	long next = 4;

	if (engine_open(&g, ENG_SQLITE) != 0)
		return;
	SQL_OK(&g, "CREATE TABLE parent (id INTEGER PRIMARY KEY)");
	SQL_OK(&g, "INSERT INTO parent VALUES (1)");
	SQL_OK(&g, "CREATE TABLE child (id INTEGER PRIMARY KEY AUTOINCREMENT, amount VARCHAR(20), "
	           "code TEXT, gone INT, parent INT)");
	SQL_OK(&g, "CREATE INDEX ix_code ON child (code)");
	SQL_OK(&g, "CREATE TABLE audit (id INT)");
	SQL_OK(&g, "CREATE TRIGGER trg_child AFTER INSERT ON child BEGIN "
	           "INSERT INTO audit VALUES (new.id); END");
	SQL_OK(&g, "CREATE VIEW child_view AS SELECT id, amount FROM child");
	SQL_OK(&g, "INSERT INTO child (amount, code) VALUES ('1.50', 'a'), ('2', 'b'), ('3', 'c')");
	SQL_OK(&g, "DELETE FROM child WHERE id = 3");

	/* The reported case: alter-column from a catalog. */
	CU_ASSERT_EQUAL(run_xml(&g, xml, "alter", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT seq FROM sqlite_sequence WHERE name = 'child'"), 3);
	/* Then every other operation that rebuilds the table, each followed by an insert. */
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.nullability = UPGRADE_NULL_FORBID;
	ch.default_value = "0";
	CALL_OK(&g, upgrade_context_alter_column(g.ctx, "child", "amount", &ch));
	CALL_OK(&g, upgrade_context_drop_column(g.ctx, "child", "gone", 0));
	CALL_OK(&g, upgrade_context_add_unique(g.ctx, "child", "uq_code", code));
	CALL_OK(&g, upgrade_context_add_check(g.ctx, "child", "ck_amount", "amount >= 0"));
	CALL_OK(&g, upgrade_context_add_foreign_key(g.ctx, "child", "fk_parent",
	                                            (const char *const[]){"parent", NULL}, "parent",
	                                            parent_id, 0, 0));
	CALL_OK(&g, upgrade_context_drop_constraint(g.ctx, "child", "ck_amount", 0, 0));
	/* After each rebuild above the next id must still be new: check the last one. */
	SQL_OK(&g, "INSERT INTO child (amount, code) VALUES (4, 'd')");
	CU_ASSERT_EQUAL(query_long(&g, "SELECT MAX(id) FROM child"), next);
	/* An emptied table keeps its mark too: the copy inserts no row that would set it. */
	SQL_OK(&g, "DELETE FROM child");
	upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION);
	ch.type = "text";
	CALL_OK(&g, upgrade_context_alter_column(g.ctx, "child", "code", &ch));
	SQL_OK(&g, "INSERT INTO child (amount, code) VALUES (5, 'e')");
	CU_ASSERT_EQUAL(query_long(&g, "SELECT MAX(id) FROM child"), next + 1);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM sqlite_sequence"), 1);

	/* The index, the trigger and the view survived every rebuild. */
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_INDEX, "child", "ix_code", 0), 1);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM audit"), 5);
	CU_ASSERT_EQUAL(query_long(&g, "SELECT COUNT(*) FROM child_view"), 1);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_CONSTRAINT, "child", "uq_code", UPG_CT_UNIQUE), 1);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_CONSTRAINT, "child", "fk_parent", UPG_CT_FOREIGN), 1);
	engine_close(&g);
}

/* The generic dialect on SQLite: ODBC catalog functions only. */
static void
test_generic(void)
{
	struct eng g;
	char path[400];
	int r = -1;

	memset(&g, 0, sizeof g);
	g.e = ENG_SQLITE;
	snprintf(path, sizeof path, "%s/generic.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&g.conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_conn_set_dialect(g.conn, "generic"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(g.conn, path), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_dialect(g.conn), "generic");
	CU_ASSERT_EQUAL_FATAL(upgrade_context_new(&g.ctx, g.conn, NULL), UPGRADE_OK);
	SQL_OK(&g, "CREATE TABLE \"Mixed_T\" (\"Col 1\" INT PRIMARY KEY, other INT)");
	SQL_OK(&g, "CREATE TABLE \"MixedXT\" (x INT)");
	SQL_OK(&g, "CREATE INDEX ix_o ON \"Mixed_T\" (other)");
	SQL_OK(&g, "CREATE VIEW v AS SELECT 1 AS one");
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_TABLE, "Mixed_T", NULL, 0), 1);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_TABLE, "v", NULL, 0), 0);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_VIEW, "v", NULL, 0), 1);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_COLUMN, "Mixed_T", "Col 1", 0), 1);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_COLUMN, "MixedXT", "Col 1", 0), 0);
	CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_INDEX, "Mixed_T", "ix_o", 0), 1);
	CU_ASSERT_EQUAL(upg_exists(g.ctx, UPG_OBJ_CONSTRAINT, "Mixed_T", "x", 0, &r),
	                UPGRADE_EUNSUPPORTED);
	CU_ASSERT_EQUAL(upg_exists(g.ctx, UPG_OBJ_INDEX, NULL, "ix_o", 0, &r),
	                UPGRADE_EUNSUPPORTED);
	{
		struct upgrade_column c = {
		    UPGRADE_COLUMN_VERSION, "added", "integer", NULL, 0, "3", NULL, 0, 0};

		CALL_OK(&g, upgrade_context_add_column(g.ctx, "Mixed_T", &c, 0));
		CU_ASSERT_EQUAL(exists(&g, UPG_OBJ_COLUMN, "Mixed_T", "added", 0), 1);
	}
	engine_close(&g);
}

/* No function crashes on NULL: a NULL context or name is UPGRADE_EINVAL. */
static void
test_null_args(void)
{
	static const char *const cols[] = {"a", NULL};
	struct upgrade_column col = {
	    UPGRADE_COLUMN_VERSION, "a", "integer", NULL, 0, NULL, NULL, 0, 0};
	struct upgrade_column_change ch = {
	    UPGRADE_COLUMN_CHANGE_VERSION, "text", NULL, NULL, 0, NULL, NULL, 0};
	struct upgrade_fill f = {UPGRADE_FILL_VERSION, "x", NULL, NULL, NULL, NULL, 0, 0};
	struct upgrade_context *c;
	struct eng g;
	char **v = NULL;
	int r, pass;

	if (engine_open(&g, ENG_SQLITE) != 0)
		return;
	for (pass = 0; pass < 2; pass++) {
		const char *t = NULL;

		/* Pass 0: no context; pass 1: a context and NULL names. */
		c = pass == 0 ? NULL : g.ctx;
		CU_ASSERT_EQUAL(upgrade_context_has_table(&r, c, t), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_view(&r, c, t), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_column(&r, c, t, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_index(&r, c, t, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_constraint(&r, c, t, NULL, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_enum(&r, c, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_is_empty_table(&r, c, t), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_enum_values(&v, NULL, c, NULL), UPGRADE_EINVAL);
		CU_ASSERT_PTR_NULL(v);
		CU_ASSERT_EQUAL(upgrade_context_exec(NULL, c, NULL, 0, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_query(c, NULL, 0, NULL, NULL, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_exec(NULL, c, "SELECT 1", 1, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_records_per_table(c, t, NULL, NULL, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(c, t, &col, &f), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(c, "x", NULL, &f), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(c, "x", &col, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_suspend_triggers(c, t), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_resume_triggers(c, t), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_table(c, t, &col, 1, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_table(c, t, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_rename_table(c, t, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column(c, t, &col, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column(c, "x", NULL, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_column(c, t, NULL, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_rename_column(c, t, NULL, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_alter_column(c, t, NULL, &ch), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_alter_column(c, "x", "a", NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_index(c, t, NULL, cols, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_index(c, t, NULL, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_unique(c, t, NULL, cols), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_foreign_key(c, t, NULL, cols, NULL, cols, 0, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_check(c, t, NULL, NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_constraint(c, t, NULL, 0, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_enum(c, NULL, NULL), pass == 0 ? UPGRADE_EINVAL : UPGRADE_EUNSUPPORTED);
		CU_ASSERT_EQUAL(upgrade_context_add_enum_value(c, NULL, NULL, 0), pass == 0 ? UPGRADE_EINVAL : UPGRADE_EUNSUPPORTED);
		CU_ASSERT_EQUAL(upgrade_context_update_enum_values(c, NULL, NULL), UPGRADE_EINVAL);
	}
	CU_ASSERT_PTR_NULL(upgrade_context_conn(NULL));
	CU_ASSERT_PTR_NULL(upgrade_context_schema(NULL));
	CU_ASSERT_EQUAL(upgrade_context_schema_count(NULL), 0);
	CU_ASSERT_PTR_NULL(upgrade_context_schema_at(g.ctx, 0));
	CU_ASSERT_EQUAL(upgrade_context_is_dry_run(NULL), 0);
	CU_ASSERT_STRING_NOT_EQUAL(upgrade_context_error(NULL), "");
	upgrade_context_changed(NULL);
	upgrade_context_free(NULL);
	CU_ASSERT_EQUAL(upgrade_context_new(NULL, g.conn, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_context_new(&c, NULL, NULL), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NULL(c);
	engine_close(&g);
}

static void
add_suites(void)
{
	TEST_SUITE("ops");
	TEST_ADD(test_types);
	TEST_ADD(test_mssql);
	TEST_ADD(test_sqlite_text);
	TEST_ADD(test_tables);
	TEST_ADD(test_indexes);
	TEST_ADD(test_alter);
	TEST_ADD(test_alter_type_default);
	TEST_ADD(test_rollback);
	TEST_ADD(test_enum_ops);
	TEST_ADD(test_fill);
	TEST_ADD(test_triggers);
	TEST_ADD(test_xml_ops);
	TEST_ADD(test_sqlite_rebuild);
	TEST_ADD(test_sqlite_rebuild_autoincrement);
	TEST_ADD(test_generic);
	TEST_ADD(test_null_args);
}

int
main(void)
{
	return test_run(add_suites);
}
