/* SPDX-License-Identifier: MIT */
/*
 * test_context.c - the task context on SQLite, PostgreSQL and MariaDB: the
 * introspection helpers and the XML guards built on them, enum labels,
 * statements with bound parameters, records_per_table, and <native>
 * functions from the example task library.
 *
 * Objects are made with hand-written SQL here, so that the helpers are
 * checked against the engine and not against our own operations (those
 * are test_ops.c's).  Names need quoting: mixed case, spaces, non-ASCII,
 * quote characters; and names built to break out of quoting must find
 * nothing and harm nothing.
 */
#include "config.h"

#include <sys/stat.h>

#define CTX_TAG "ctx"
#include "ctxutil.h"

#define T_MIXED "Mixed Case T"
#define T_UML                                                                                      \
	"b\xc3\xbc"                                                                                \
	"cher"
#define T_QUOTE "we\"ird`name"
#define INJECT_TABLE "victim\"; DROP TABLE victim; --"

static int
has(struct eng *g, enum upg_object kind, const char *table, const char *name, int ctype)
{
	int found = -1, ret = upg_exists(g->ctx, kind, table, name, ctype, &found);

	if (ret != UPGRADE_OK) {
		fprintf(stderr, "\n[%s] exists(%d, %s, %s): %s\n", engine_names[g->e], kind,
		        table != NULL ? table : "-", name != NULL ? name : "-",
		        upgrade_conn_error(g->conn));
		return -1;
	}
	return found;
}

/* ---- introspection ---------------------------------------------------------------- */

static void
introspect(struct eng *g)
{
	const char *serial = g->e == ENG_PG      ? "SERIAL"
	                     : g->e == ENG_MARIA ? "INT AUTO_INCREMENT"
	                                         : "INTEGER";
	int r = -1;

	SQL_OK(g,
	       "CREATE TABLE %s (%s %s PRIMARY KEY, %s VARCHAR(50) NOT NULL, %s INT, "
	       "CONSTRAINT %s UNIQUE (%s), CONSTRAINT %s CHECK (%s > 0))",
	       qi(g, T_MIXED), qi(g, "Id"), serial, qi(g, "Näme"), qi(g, "qty"), qi(g, "uq_name"),
	       qi(g, "Näme"), qi(g, "ck_qty"), qi(g, "qty"));
	SQL_OK(g,
	       "CREATE TABLE %s (%s INT PRIMARY KEY, %s INT, CONSTRAINT %s FOREIGN KEY (%s) "
	       "REFERENCES %s (%s))",
	       qi(g, T_UML), qi(g, "id"), qi(g, "ref"), qi(g, "fk_ref"), qi(g, "ref"),
	       qi(g, T_MIXED), qi(g, "Id"));
	SQL_OK(g, "CREATE TABLE %s (%s INT)", qi(g, T_QUOTE), qi(g, "a\"b`c"));
	SQL_OK(g, "CREATE INDEX %s ON %s (%s)", qi(g, "ix qty"), qi(g, T_MIXED), qi(g, "qty"));
	SQL_OK(g, "CREATE VIEW %s AS SELECT %s FROM %s", qi(g, "v_items"), qi(g, "qty"),
	       qi(g, T_MIXED));
	SQL_OK(g, "CREATE TABLE victim (x INT)");

	/* Tables: ordinary tables only, exact names (as the engine compares them). */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, T_MIXED, NULL, 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, T_UML, NULL, 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, T_QUOTE, NULL, 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "v_items", NULL, 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_VIEW, "v_items", NULL, 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_VIEW, T_MIXED, NULL, 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "missing", NULL, 0), 0);
	/* SQLite resolves names without ASCII case; PostgreSQL and MariaDB (on Linux) with. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "mixed case t", NULL, 0), g->e == ENG_SQLITE);
	/* Pattern characters are not patterns. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "Mixed_Case%", NULL, 0), 0);

	/* Columns: false, not an error, for a missing table. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, T_MIXED, "Näme", 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, T_MIXED, "nope", 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, "missing", "Näme", 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, T_QUOTE, "a\"b`c", 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, "v_items", "qty", 0), 1);
	/* Column names are case-insensitive in SQLite and MariaDB, not in PostgreSQL. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, T_MIXED, "ID", 0), g->e != ENG_PG);

	/* Indexes, with and without their table. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_INDEX, T_MIXED, "ix qty", 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_INDEX, NULL, "ix qty", 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_INDEX, T_UML, "ix qty", 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_INDEX, NULL, "ix nope", 0), 0);

	/* Constraints, by type and by any type. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_MIXED, "uq_name", UPG_CT_UNIQUE), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_MIXED, "uq_name", UPG_CT_ANY), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_MIXED, "uq_name", UPG_CT_CHECK), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_MIXED, "ck_qty", UPG_CT_CHECK), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_UML, "fk_ref", UPG_CT_FOREIGN), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_UML, "fk_ref", UPG_CT_UNIQUE), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, T_MIXED, "fk_ref", UPG_CT_ANY), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_CONSTRAINT, "missing", "fk_ref", UPG_CT_ANY), 0);

	/* Emptiness. */
	CU_ASSERT_EQUAL(upg_is_empty(g->ctx, T_MIXED, &r), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	SQL_OK(g, "INSERT INTO %s (%s, %s) VALUES ('x', 1)", qi(g, T_MIXED), qi(g, "Näme"),
	       qi(g, "qty"));
	CU_ASSERT_EQUAL(upg_is_empty(g->ctx, T_MIXED, &r), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 0);
	CU_ASSERT_NOT_EQUAL(upg_is_empty(g->ctx, "missing", &r), UPGRADE_OK);

	/* Names built to escape quoting find nothing and break nothing. */
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "x' OR '1'='1", NULL, 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, INJECT_TABLE, NULL, 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, "victim", "x' OR 1=1 --", 0), 0);
	CU_ASSERT_NOT_EQUAL(upg_is_empty(g->ctx, INJECT_TABLE, &r), UPGRADE_OK);
	CU_ASSERT_NOT_EQUAL(upg_is_empty(g->ctx, "victim` ; DROP TABLE victim; -- ", &r),
	                    UPGRADE_OK);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "victim", NULL, 0), 1);
	/* Names the engine cannot keep are refused before any SQL. */
	CU_ASSERT_EQUAL(upg_is_empty(g->ctx, "bad\nname", &r), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_exists(g->ctx, UPG_OBJ_TABLE, "", NULL, 0, &r), UPGRADE_EINVAL);

	/* The public wrappers say the same. */
	CU_ASSERT_EQUAL(upgrade_context_has_table(&r, g->ctx, T_UML), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(upgrade_context_has_column(&r, g->ctx, "missing", "x"), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 0);
	CU_ASSERT_EQUAL(upgrade_context_has_index(&r, g->ctx, T_MIXED, "ix qty"), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(upgrade_context_has_constraint(&r, g->ctx, T_UML, "fk_ref",
	                                               UPGRADE_CONSTRAINT_FOREIGN_KEY),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(upgrade_context_has_view(&r, g->ctx, "v_items"), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(upgrade_context_is_empty_table(&r, g->ctx, T_UML), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	CU_ASSERT_EQUAL(upgrade_context_has_table(&r, NULL, "x"), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_context_has_constraint(&r, g->ctx, T_UML, "fk_ref", 99),
	                UPGRADE_EINVAL);
}

static void
test_introspect(void)
{
	ON_ALL_ENGINES(introspect);
}

/*
 * The question helpers take only names the engine could keep, as the
 * operations do: a control character, bytes that are not UTF-8, or a
 * name longer than the engine keeps fail with UPGRADE_EINVAL before
 * anything is sent, and the message shows the name on one line.
 */
static int
refused(struct eng *g, int ret, const char *shown)
{
	const char *msg = upgrade_context_error(g->ctx);

	if (ret != UPGRADE_EINVAL || strchr(msg, '\n') != NULL || strstr(msg, shown) == NULL)
		fprintf(stderr, "\n[%s] %d: %s (wanted %s)\n", engine_names[g->e], ret, msg, shown);
	return ret == UPGRADE_EINVAL && upgrade_context_error_code(g->ctx) == UPGRADE_EINVAL &&
	       strchr(msg, '\n') == NULL && strstr(msg, shown) != NULL;
}

static void
names_refused(struct eng *g)
{
	static const char *const bad[] = {"bad\nname", "bad\xc3(name", "bad\x7fname"};
	static const char *const shown[] = {"\"bad\\x0Aname\"", "\"bad\\xC3(name\"",
	                                    "\"bad\\x7Fname\""};
	char longname[80], dotted[90];
	size_t i;
	int r = -1, ret;

	SQL_OK(g, "CREATE TABLE %s (%s INT)", qi(g, "t"), qi(g, "c"));
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_table(&r, g->ctx, bad[i]), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_view(&r, g->ctx, bad[i]), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_column(&r, g->ctx, bad[i], "c"), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_column(&r, g->ctx, "t", bad[i]), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_index(&r, g->ctx, NULL, bad[i]), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_index(&r, g->ctx, bad[i], "i"), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_constraint(&r, g->ctx, "t", bad[i],
		                                                         UPGRADE_CONSTRAINT_ANY),
		                       shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_has_enum(&r, g->ctx, bad[i]), shown[i]));
		/* The operations and is_empty_table say the same, one line too. */
		CU_ASSERT_TRUE(refused(g, upgrade_context_is_empty_table(&r, g->ctx, bad[i]), shown[i]));
		CU_ASSERT_TRUE(refused(g, upgrade_context_drop_table(g->ctx, bad[i], 0), shown[i]));
	}
	/* Longer than PostgreSQL (63 bytes) and MariaDB (64 characters) keep; SQLite has no limit. */
	memset(longname, 'l', 70);
	longname[70] = '\0';
	snprintf(dotted, sizeof dotted, "t.%s", longname);
	ret = upgrade_context_has_table(&r, g->ctx, longname);
	if (g->e == ENG_SQLITE) {
		CU_ASSERT_EQUAL(ret, UPGRADE_OK);
		CU_ASSERT_EQUAL(r, 0);
		CU_ASSERT_EQUAL(upgrade_context_has_enum(&r, g->ctx, longname), UPGRADE_EUNSUPPORTED);
		return;
	}
	CU_ASSERT_TRUE(refused(g, ret, "is 70"));
	CU_ASSERT_TRUE(refused(g, upgrade_context_has_column(&r, g->ctx, "t", longname), "is 70"));
	CU_ASSERT_TRUE(refused(g, upgrade_context_has_index(&r, g->ctx, "t", longname), "is 70"));
	CU_ASSERT_TRUE(refused(g, upgrade_context_has_constraint(&r, g->ctx, "t", longname,
	                                                         UPGRADE_CONSTRAINT_ANY),
	                       "is 70"));
	/* MariaDB's enums are "table.column": each part within the limit, the whole may be longer. */
	CU_ASSERT_TRUE(refused(g, upgrade_context_has_enum(&r, g->ctx,
	                                                   g->e == ENG_MARIA ? dotted : longname),
	                       "is 70"));
	if (g->e == ENG_MARIA) {
		char fits[140];

		memset(fits, 'f', 60);
		fits[60] = '.';
		memset(fits + 61, 'g', 60);
		fits[121] = '\0';
		CU_ASSERT_EQUAL(upgrade_context_has_enum(&r, g->ctx, fits), UPGRADE_OK);
		CU_ASSERT_EQUAL(r, 0);
	}
}

static void
test_names_refused(void)
{
	ON_ALL_ENGINES(names_refused);
}

/* Only the context's schema counts: a table of the same name elsewhere does not. */
static void
schema_aware(struct eng *g)
{
	int r = -1;

	if (g->e == ENG_SQLITE)
		return;
	SQL_OK(g, "CREATE TABLE %s.%s (%s INT)", qi(g, g->other), qi(g, "elsewhere"), qi(g, "c"));
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_TABLE, "elsewhere", NULL, 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_COLUMN, "elsewhere", "c", 0), 0);
	/* A context on the other schema sees it. */
	{
		struct upgrade_context *o = NULL;

		CU_ASSERT_EQUAL(upgrade_context_new(&o, g->conn, g->other), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_context_has_table(&r, o, "elsewhere"), UPGRADE_OK);
		CU_ASSERT_EQUAL(r, 1);
		upgrade_context_free(o);
	}
	/* Without a schema: the connection's current one. */
	{
		struct upgrade_context *o = NULL;
		char *s = NULL;

		CU_ASSERT_EQUAL(upgrade_context_new(&o, g->conn, NULL), UPGRADE_OK);
		CU_ASSERT_PTR_NULL(upgrade_context_schema(o));
		CU_ASSERT_EQUAL(upg_ctx_schema(o, &s), UPGRADE_OK);
		CU_ASSERT_STRING_EQUAL(s != NULL ? s : "", g->schema);
		free(s);
		upgrade_context_free(o);
	}
}

static void
test_schema_aware(void)
{
	ON_ALL_ENGINES(schema_aware);
}

/* ---- enums ------------------------------------------------------------------------ */

struct strs {
	char buf[512];
};

static int
join_labels(void *ud, size_t ncols, char **values)
{
	struct strs *s = ud;
	size_t len = strlen(s->buf);

	snprintf(s->buf + len, sizeof s->buf - len, "%s%s", len > 0 ? "|" : "", values[0]);
	return 0;
}

static void
enums(struct eng *g)
{
	struct strs s = {""};
	char **values = NULL;
	size_t n = 0;
	int r = -1;

	if (g->e == ENG_SQLITE) {
		CU_ASSERT_EQUAL(upgrade_context_has_enum(&r, g->ctx, "mood"), UPGRADE_EUNSUPPORTED);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(g->ctx), "CHECK"));
		CU_ASSERT_EQUAL(upgrade_context_enum_values(&values, &n, g->ctx, "mood"),
		                UPGRADE_EUNSUPPORTED);
		CU_ASSERT_PTR_NULL(values);
		return;
	}
	if (g->e == ENG_PG) {
		SQL_OK(g, "CREATE TYPE %s AS ENUM ('sad', 'o''k', 'h\xc3\xa4ppy')", qi(g, "Mood"));
		/* The same name in another schema, with other labels: not ours. */
		SQL_OK(g, "CREATE TYPE %s.%s AS ENUM ('other')", qi(g, g->other), qi(g, "Mood"));
		SQL_OK(g, "CREATE TYPE %s.%s AS ENUM ('x')", qi(g, g->other), qi(g, "only_there"));
		SQL_OK(g, "CREATE TABLE %s (%s INT)", qi(g, "rowtype"), qi(g, "a"));
		CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "Mood", 0), 1);
		CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "mood", 0), 0);
		CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "only_there", 0), 0);
		/* A table's row type is a type of the same name, but no enum. */
		CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "rowtype", 0), 0);
		CU_ASSERT_EQUAL(upg_enum_values(g->ctx, "Mood", join_labels, &s), UPGRADE_OK);
		CU_ASSERT_STRING_EQUAL(s.buf, "sad|o'k|h\xc3\xa4ppy");
		CALL_OK(g, upgrade_context_enum_values(&values, &n, g->ctx, "Mood"));
		CU_ASSERT_EQUAL(n, 3);
		if (values != NULL && n == 3) {
			CU_ASSERT_STRING_EQUAL(values[1], "o'k");
			CU_ASSERT_PTR_NULL(values[3]);
		}
		upgrade_free(values);
		values = NULL;
		CALL_OK(g, upgrade_context_enum_values(&values, &n, g->ctx, "only_there"));
		CU_ASSERT_EQUAL(n, 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(values);
		CU_ASSERT_PTR_NULL(values[0]);
		upgrade_free(values);
		return;
	}
	/* MariaDB: inline ENUM columns, named "table.column". */
	SQL_OK(g,
	       "CREATE TABLE %s (%s ENUM('sad', 'o''k', 'back\\\\slash', 'h\xc3\xa4ppy') NOT NULL "
	       "DEFAULT 'sad', %s VARCHAR(10))",
	       qi(g, "people.v2"), qi(g, "Mood"), qi(g, "plain"));
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "people.v2.Mood", 0), 1);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "people.v2.plain", 0), 0);
	CU_ASSERT_EQUAL(has(g, UPG_OBJ_ENUM, NULL, "people.v2.none", 0), 0);
	CU_ASSERT_EQUAL(upg_exists(g->ctx, UPG_OBJ_ENUM, NULL, "nodot", 0, &r), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upg_enum_values(g->ctx, "people.v2.Mood", join_labels, &s), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(s.buf, "sad|o'k|back\\slash|h\xc3\xa4ppy");
	CALL_OK(g, upgrade_context_enum_values(&values, &n, g->ctx, "people.v2.plain"));
	CU_ASSERT_EQUAL(n, 0);
	upgrade_free(values);
}

static void
test_enums(void)
{
	ON_ALL_ENGINES(enums);
}

/* ---- guards from XML ------------------------------------------------------------------ */

static void
guards(struct eng *g)
{
	int held = -1;

	SQL_OK(g, "CREATE TABLE %s (%s INT, %s INT)", qi(g, "Gu ärd"), qi(g, "a"), qi(g, "b"));
	SQL_OK(g, "CREATE INDEX %s ON %s (%s)", qi(g, "ix_a"), qi(g, "Gu ärd"), qi(g, "a"));
	SQL_OK(g, "CREATE VIEW %s AS SELECT %s FROM %s", qi(g, "gv"), qi(g, "a"), qi(g, "Gu ärd"));

#define GUARD(cond, expect)                                                                        \
	do {                                                                                       \
		CU_ASSERT_EQUAL(                                                                   \
		    run_xml(g, "<task name=\"t\"><only-if>" cond "</only-if></task>", "t", &held), \
		    UPGRADE_OK);                                                                   \
		if (held != (expect))                                                              \
			fprintf(stderr, "\n[%s] guard %s: %d\n", engine_names[g->e], cond, held);  \
		CU_ASSERT_EQUAL(held, (expect));                                                   \
	} while (0)

	GUARD("<has-table table=\"Gu ärd\"/>", 1);
	GUARD("<has-table table=\"gv\"/>", 0);
	GUARD("<has-view view=\"gv\"/>", 1);
	GUARD("<has-column table=\"Gu ärd\" column=\"b\"/>", 1);
	GUARD("<has-column table=\"nothere\" column=\"b\"/>", 0);
	GUARD("<has-index name=\"ix_a\" table=\"Gu ärd\"/>", 1);
	GUARD("<has-index name=\"ix_a\"/>", 1);
	GUARD("<is-empty-table table=\"Gu ärd\"/>", 1);
	GUARD("<not><has-table table=\"Gu ärd\"/></not>", 0);
	GUARD("<any><has-table table=\"x\"/><has-table table=\"Gu ärd\"/></any>", 1);
	GUARD("<all><has-table table=\"x\"/><has-table table=\"Gu ärd\"/></all>", 0);
	GUARD("<has-table table=\"Gu ärd\"/><has-column table=\"Gu ärd\" column=\"zz\"/>", 0);
	GUARD("<query>SELECT 1 FROM gv WHERE 1 = 0</query>", 0);
	GUARD("<query>SELECT 1</query>", 1);
	GUARD("<has-table table=\"x&quot;; DROP TABLE gv; --\"/>", 0);
	GUARD("<has-view view=\"gv\"/>", 1);
	if (g->e != ENG_SQLITE) {
		SQL_OK(g, "ALTER TABLE %s ADD CONSTRAINT %s UNIQUE (%s)", qi(g, "Gu ärd"),
		       qi(g, "uq b"), qi(g, "b"));
		GUARD("<has-constraint table=\"Gu ärd\" name=\"uq b\" type=\"unique\"/>", 1);
		GUARD("<has-constraint table=\"Gu ärd\" name=\"uq b\" type=\"check\"/>", 0);
		GUARD("<has-constraint table=\"Gu ärd\" name=\"uq b\"/>", 1);
	}
	if (g->e == ENG_PG) {
		SQL_OK(g, "CREATE TYPE %s AS ENUM ('a')", qi(g, "e1"));
		GUARD("<has-enum name=\"e1\"/>", 1);
		GUARD("<has-enum name=\"Gu ärd\"/>", 0);
	}
	if (g->e == ENG_SQLITE)
		CU_ASSERT_EQUAL(
		    run_xml(g, "<task name=\"t\"><only-if><has-enum name=\"e\"/></only-if></task>",
		            "t", &held),
		    UPGRADE_EUNSUPPORTED);
#undef GUARD
}

static void
test_guards(void)
{
	ON_ALL_ENGINES(guards);
}

/* ---- statements and records --------------------------------------------------------------- */

struct seen {
	long rows;
	long sum;
	long last;
	int ordered;
	int stop_at;
	char first_names[64];
};

static int
count_row(const struct upgrade_row *row, void *ud)
{
	struct seen *s = ud;
	long v = row->values[0] != NULL ? strtol(row->values[0], NULL, 10) : 0;

	if (s->rows == 0 && row->names != NULL) {
		size_t i;

		for (i = 0; i < row->ncols; i++) {
			size_t len = strlen(s->first_names);
			snprintf(s->first_names + len, sizeof s->first_names - len, "%s%s",
			         i ? "," : "", row->names[i]);
		}
	}
	if (s->rows > 0 && v <= s->last)
		s->ordered = 0;
	s->last = v;
	s->rows++;
	s->sum += v;
	if (s->stop_at > 0 && s->rows == s->stop_at)
		return 1;
	if (s->stop_at < 0 && s->rows == -s->stop_at)
		return UPGRADE_ENOTFOUND;
	return 0;
}

static void
statements(struct eng *g)
{
	const char *p3[3] = {"7", "it's \"quoted\"; DROP TABLE x", NULL};
	struct seen s;
	long changed = -1;
	int i;

	SQL_OK(g, "CREATE TABLE %s (%s INT PRIMARY KEY, %s VARCHAR(100), %s INT)", qi(g, "st"),
	       qi(g, "id"), qi(g, "txt"), qi(g, "n"));
	CALL_OK(g, upgrade_context_exec(&changed, g->ctx,
	                                "INSERT INTO st (id, txt, n) VALUES (?, ?, ?)", 3, p3));
	CU_ASSERT_EQUAL(changed, 1);
	for (i = 1; i <= 5; i++) {
		char id[16];
		const char *p[2] = {id, "x"};

		snprintf(id, sizeof id, "%d", 100 + i);
		CALL_OK(g, upgrade_context_exec(NULL, g->ctx,
		                                "INSERT INTO st (id, txt) VALUES (?, ?)", 2, p));
	}
	memset(&s, 0, sizeof s);
	s.ordered = 1;
	{
		const char *p[1] = {"it's \"quoted\"; DROP TABLE x"};

		CALL_OK(g, upgrade_context_query(g->ctx, "SELECT id FROM st WHERE txt = ?", 1, p,
		                                 count_row, &s));
	}
	CU_ASSERT_EQUAL(s.rows, 1);
	CU_ASSERT_EQUAL(s.sum, 7);
	/* NULL was bound as SQL NULL. */
	CU_ASSERT_EQUAL(query_long(g, "SELECT COUNT(*) FROM st WHERE n IS NULL"), 6);
	/* 0 rows changed is success everywhere (SQLite and psqlODBC say SQL_NO_DATA). */
	{
		const char *p[1] = {"999"};

		CALL_OK(
		    g, upgrade_context_exec(&changed, g->ctx, "DELETE FROM st WHERE id = ?", 1, p));
		CU_ASSERT_EQUAL(changed, 0);
	}
	/* A callback that stops, and one that fails. */
	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	CU_ASSERT_EQUAL(
	    upgrade_context_query(g->ctx, "SELECT id FROM st ORDER BY id", 0, NULL, count_row, &s),
	    UPGRADE_OK);
	CU_ASSERT_EQUAL(s.rows, 2);
	memset(&s, 0, sizeof s);
	s.stop_at = -3;
	CU_ASSERT_EQUAL(
	    upgrade_context_query(g->ctx, "SELECT id FROM st ORDER BY id", 0, NULL, count_row, &s),
	    UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(
	    upgrade_context_exec(NULL, g->ctx, "INSERT INTO nowhere VALUES (1)", 0, NULL),
	    UPGRADE_EDB);
	CU_ASSERT_STRING_NOT_EQUAL(upgrade_context_error(g->ctx), "");
	CU_ASSERT_EQUAL(upgrade_context_exec(NULL, g->ctx, NULL, 0, NULL), UPGRADE_EINVAL);
}

static void
test_statements(void)
{
	ON_ALL_ENGINES(statements);
}

/* What a row callback sees of the cursor a keyless PostgreSQL table is read through. */
struct cursor_peek {
	struct eng *g;
	long rows, sum, open_cursors, fail_at;
};

static int
peek_cursor(const struct upgrade_row *row, void *ud)
{
	struct cursor_peek *p = ud;

	p->rows++;
	p->sum += strtol(row->values[0], NULL, 10);
	if (p->fail_at > 0 && p->rows == p->fail_at)
		return UPGRADE_ENOTFOUND;
	/* Rows changed after the cursor was declared are still read as they were. */
	if (p->rows == 1)
		SQL_OK(p->g, "UPDATE nokey SET v = v + 100000");
	if (p->rows == 1500)
		p->open_cursors = query_long(p->g, "SELECT count(*) FROM pg_cursors "
		                                   "WHERE name LIKE 'upgrade\\_scan\\_%'");
	return 0;
}

/* Enough rows for several batches (1000 each), with a composite key and without any key. */
static void
records(struct eng *g)
{
	static const char *const cols[] = {"Val ü", NULL};
	static const char *const bad[] = {"nope", NULL};
	struct seen s;
	long i;

	SQL_OK(g,
	       "CREATE TABLE %s (%s INT NOT NULL, %s VARCHAR(10) NOT NULL, %s INT, PRIMARY KEY "
	       "(%s, %s))",
	       qi(g, "Rec ords"), qi(g, "k1"), qi(g, "k2"), qi(g, "Val ü"), qi(g, "k1"),
	       qi(g, "k2"));
	SQL_OK(g, "CREATE TABLE %s (%s INT)", qi(g, "nokey"), qi(g, "v"));
	if (g->e == ENG_PG) {
		SQL_OK(g,
		       "INSERT INTO %s SELECT i / 3, 'k' || (i %% 3), i FROM generate_series(0, "
		       "2499) i",
		       qi(g, "Rec ords"));
		SQL_OK(g, "INSERT INTO nokey SELECT i FROM generate_series(0, 2499) i");
	} else {
		char sql[256];

		snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (?, ?, ?)", qi(g, "Rec ords"));
		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
		for (i = 0; i < 2500; i++) {
			char a[16], b[16], c[16];
			const char *p[3] = {a, b, c};

			snprintf(a, sizeof a, "%ld", i / 3);
			snprintf(b, sizeof b, "k%ld", i % 3);
			snprintf(c, sizeof c, "%ld", i);
			if (upg_db_exec_params(g->conn, sql, 3, p, NULL) != UPGRADE_OK ||
			    upg_db_exec_params(g->conn, "INSERT INTO nokey VALUES (?)", 1, p + 2,
			                       NULL) != UPGRADE_OK) {
				CU_FAIL("insert");
				break;
			}
		}
		CU_ASSERT_EQUAL(upg_db_commit(g->conn), UPGRADE_OK);
	}
	memset(&s, 0, sizeof s);
	s.ordered = 1;
	CALL_OK(g, upgrade_context_records_per_table(g->ctx, "Rec ords", cols, count_row, &s));
	CU_ASSERT_EQUAL(s.rows, 2500);
	CU_ASSERT_EQUAL(s.sum, 2499L * 2500 / 2);
	CU_ASSERT_TRUE(s.ordered);
	CU_ASSERT_STRING_EQUAL(s.first_names, "Val ü");
	/* All columns. */
	memset(&s, 0, sizeof s);
	s.ordered = 1;
	CALL_OK(g, upgrade_context_records_per_table(g->ctx, "Rec ords", NULL, count_row, &s));
	CU_ASSERT_EQUAL(s.rows, 2500);
	CU_ASSERT_STRING_EQUAL(s.first_names, "k1,k2,Val ü");
	/* No key (SQLite: by rowid). */
	memset(&s, 0, sizeof s);
	s.ordered = 1;
	CALL_OK(g, upgrade_context_records_per_table(g->ctx, "nokey", NULL, count_row, &s));
	CU_ASSERT_EQUAL(s.rows, 2500);
	CU_ASSERT_EQUAL(s.sum, 2499L * 2500 / 2);
	if (g->e == ENG_PG) {
		/* In a task's transaction, through a cursor: a batch at a time, closed at the end. */
		struct cursor_peek p = {g, 0, 0, 0, 0};

		CU_ASSERT_EQUAL(upg_db_begin(g->conn), UPGRADE_OK);
		CALL_OK(g, upgrade_context_records_per_table(g->ctx, "nokey", NULL, peek_cursor, &p));
		CU_ASSERT_EQUAL(p.rows, 2500);
		CU_ASSERT_EQUAL(p.sum, 2499L * 2500 / 2);
		CU_ASSERT_EQUAL(p.open_cursors, 1);
		CU_ASSERT_EQUAL(query_long(g, "SELECT count(*) FROM pg_cursors"), 0);
		/* The callback fails: its code comes back, and the transaction keeps no cursor. */
		memset(&p, 0, sizeof p);
		p.g = g;
		p.fail_at = 1200;
		CU_ASSERT_EQUAL(upgrade_context_records_per_table(g->ctx, "nokey", NULL, peek_cursor, &p),
		                UPGRADE_ENOTFOUND);
		CU_ASSERT_EQUAL(query_long(g, "SELECT count(*) FROM pg_cursors"), 0);
		CU_ASSERT_EQUAL(upg_db_rollback(g->conn), UPGRADE_OK);
	}
	/* Stop early; fail; unknown column; unknown table. */
	memset(&s, 0, sizeof s);
	s.stop_at = 1500;
	CU_ASSERT_EQUAL(upgrade_context_records_per_table(g->ctx, "Rec ords", cols, count_row, &s),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(s.rows, 1500);
	memset(&s, 0, sizeof s);
	s.stop_at = -1200;
	CU_ASSERT_EQUAL(upgrade_context_records_per_table(g->ctx, "Rec ords", cols, count_row, &s),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_context_records_per_table(g->ctx, "Rec ords", bad, count_row, &s),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_context_records_per_table(g->ctx, "nothere", NULL, count_row, &s),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_context_records_per_table(g->ctx, "Rec ords", NULL, NULL, &s),
	                UPGRADE_EINVAL);
	/* An empty list of columns is no SQL to send: refused, where NULL means all columns. */
	{
		static const char *const none[] = {NULL};

		memset(&s, 0, sizeof s);
		CU_ASSERT_EQUAL(
		    upgrade_context_records_per_table(g->ctx, "Rec ords", none, count_row, &s),
		    UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_context_error(g->ctx),
		                       "an empty list of columns (NULL asks for all of them)");
		CU_ASSERT_EQUAL(s.rows, 0);
	}
}

static void
test_records(void)
{
	ON_ALL_ENGINES(records);
}

/* ---- native functions -------------------------------------------------------------------- */

static char native_dir[512];

static const char *
native_libdir(void)
{
	const char *top = getenv("top_builddir");

	snprintf(native_dir, sizeof native_dir, "%s/tests/native/.libs", top != NULL ? top : ".");
	return native_dir;
}

static int
copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[8192];
	size_t n;
	FILE *in = fopen(from, "rb"), *out;

	if (in == NULL)
		return -1;
	out = fopen(to, "wb");
	if (out == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	return chmod(to, mode);
}

static void
native(struct eng *g)
{
	char lib[600], dir[600], copy[700];
	int held = -1, r = -1;

	/* The build tree may be below /tmp, which anyone may write: load from a trusted copy. */
	snprintf(copy, sizeof copy, "%s/example-tasks.so", native_libdir());
	snprintf(lib, sizeof lib, "%s/example-tasks.so", test_trusted_dir());
	/* Once: rewriting a library that is loaded would change its mapped code. */
	if (access(lib, R_OK) != 0)
		CU_ASSERT_EQUAL_FATAL(copy_file(copy, lib, 0644), 0);
	setenv("UPGRADE_LIBRARY_PATH", test_trusted_dir(), 1);
	CU_ASSERT_EQUAL_FATAL(access(lib, R_OK), 0);

	/* Creates the table named by arg, with a row, through the public API. */
	CU_ASSERT_EQUAL(run_xml(g,
	                        "<task name=\"n\"><native library=\"example-tasks.so\" "
	                        "symbol=\"example_create_notes\" arg=\"N\xc3\xb6tes\"/></task>",
	                        "n", &held),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_context_has_table(&r, g->ctx, "Nötes"), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	{
		char sql[128];

		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", qi(g, "N\xc3\xb6tes"));
		CU_ASSERT_EQUAL(query_long(g, sql), 2);
	}
	/* A per-row fill from C: slug from title. */
	CU_ASSERT_EQUAL(run_xml(g,
	                        "<task name=\"s\"><native library=\"example-tasks.so\" "
	                        "symbol=\"example_add_slug\" arg=\"N\xc3\xb6tes\"/></task>",
	                        "s", &held),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_context_has_column(&r, g->ctx, "Nötes", "slug"), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);

	/* Failures name the library and symbol. */
	CU_ASSERT_EQUAL(run_xml(g,
	                        "<task name=\"f\"><native library=\"example-tasks.so\" "
	                        "symbol=\"example_fail\"/></task>",
	                        "f", &held),
	                UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(g->conn), "example_fail"));
	CU_ASSERT_EQUAL(run_xml(g,
	                        "<task name=\"m\"><native library=\"example-tasks.so\" "
	                        "symbol=\"no_such_function\"/></task>",
	                        "m", &held),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(g->conn), "no_such_function"));
	CU_ASSERT_EQUAL(run_xml(g,
	                        "<task name=\"l\"><native library=\"no-such-lib.so\" "
	                        "symbol=\"x\"/></task>",
	                        "l", &held),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(g->conn), "UPGRADE_LIBRARY_PATH"));

	/* Without the path: found only beside the catalog; refused when anyone
	 * may write it.  Not below test_tmpdir(): /tmp, which anyone may
	 * write, would make every library there refused. */
	unsetenv("UPGRADE_LIBRARY_PATH");
	snprintf(dir, sizeof dir, "%s/native-%s", test_trusted_dir(), engine_names[g->e]);
	mkdir(dir, 0755);
	snprintf(copy, sizeof copy, "%s/beside.so", dir);
	CU_ASSERT_EQUAL(copy_file(lib, copy, 0644), 0);
	CU_ASSERT_EQUAL(run_xml_in(g, dir,
	                           "<task name=\"b\"><native library=\"beside.so\" "
	                           "symbol=\"example_create_notes\" arg=\"beside\"/></task>",
	                           "b", &held),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_context_has_table(&r, g->ctx, "beside"), UPGRADE_OK);
	CU_ASSERT_EQUAL(r, 1);
	snprintf(copy, sizeof copy, "%s/open.so", dir);
	CU_ASSERT_EQUAL(copy_file(lib, copy, 0666), 0);
	CU_ASSERT_EQUAL(run_xml_in(g, dir,
	                           "<task name=\"o\"><native library=\"open.so\" "
	                           "symbol=\"example_create_notes\" arg=\"open\"/></task>",
	                           "o", &held),
	                UPGRADE_ENOTFOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(g->conn), "writable by anyone"));
	/* The library search never leaves the allowed directories. */
	CU_ASSERT_EQUAL(run_xml(g,
	                        "<task name=\"x\"><native library=\"example-tasks.so\" "
	                        "symbol=\"example_noop\"/></task>",
	                        "x", &held),
	                UPGRADE_ENOTFOUND);
	snprintf(copy, sizeof copy, "%s/beside.so", dir);
	unlink(copy);
	snprintf(copy, sizeof copy, "%s/open.so", dir);
	unlink(copy);
	snprintf(copy, sizeof copy, "%s/ctx-task.xml", dir);
	unlink(copy);
	rmdir(dir);
}

static void
test_native(void)
{
	ON_ALL_ENGINES(native);
}

static void
add_suites(void)
{
	TEST_SUITE("context");
	TEST_ADD(test_introspect);
	TEST_ADD(test_names_refused);
	TEST_ADD(test_schema_aware);
	TEST_ADD(test_enums);
	TEST_ADD(test_guards);
	TEST_ADD(test_statements);
	TEST_ADD(test_records);
	TEST_ADD(test_native);
}

int
main(void)
{
	return test_run(add_suites);
}
