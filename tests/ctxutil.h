/* SPDX-License-Identifier: MIT */
/*
 * ctxutil.h - what test_context.c and test_ops.c share: a fresh schema on
 * each engine with a context on it, quoting for hand-written SQL, and
 * running a task of an XML catalog the way the runner does (guard, then
 * actions), so the catalog's element and attribute names are tested as
 * the loader delivers them.
 *
 * The schemas have names that need quoting on purpose: PostgreSQL works
 * in "Ctx Schema ü" (mixed case, a space, non-ASCII); MariaDB in the
 * database upg_ctx_test; SQLite in a new file per engine_open().
 */
#ifndef UPG_CTXUTIL_H
#define UPG_CTXUTIL_H

#include "../src/catalog.h"
#include "../src/context.h"
#include "../src/ops.h"
#include "testutil.h"

enum engine { ENG_SQLITE, ENG_PG, ENG_MARIA, ENG_COUNT };

static const char *const engine_names[ENG_COUNT] = {"sqlite", "postgresql", "mariadb"};

struct eng {
	enum engine e;
	struct upgrade_conn *conn;
	struct upgrade_context *ctx;
	const char *schema; /* NULL on SQLite */
	const char *other;  /* a second schema (NULL on SQLite) */
};

/* Schemas of the test program's own: make check runs test programs in parallel. */
#ifndef CTX_TAG
#error "define CTX_TAG, a short name of the test program, before including ctxutil.h"
#endif
#define PG_SCHEMA "Ctx Schema \xc3\xbc " CTX_TAG
#define PG_OTHER "ctx_other_" CTX_TAG
#define MARIA_SCHEMA "upg_ctx_test_" CTX_TAG
#define MARIA_OTHER "upg_ctx_other_" CTX_TAG

/* A quoted identifier, from one of eight rotating buffers (enough for one statement). */
static inline const char *
qi(struct eng *g, const char *name)
{
	static char bufs[8][512];
	static int next;
	char *q = NULL;
	char *out = bufs[next++ % 8];

	if (upgrade_conn_quote_ident(&q, g->conn, name) != UPGRADE_OK) {
		fprintf(stderr, "\ncannot quote %s: %s\n", name, upgrade_conn_error(g->conn));
		snprintf(out, 512, "\"?\"");
		return out;
	}
	snprintf(out, 512, "%s", q);
	upgrade_free(q);
	return out;
}

static inline int sqlv(struct eng *g, int quiet, const char *fmt, va_list ap) UPG_PRINTF(3, 0);

static inline int
sqlv(struct eng *g, int quiet, const char *fmt, va_list ap)
{
	char sql[4096];
	int ret;

	vsnprintf(sql, sizeof sql, fmt, ap);
	ret = upg_db_exec(g->conn, sql);
	if (ret != UPGRADE_OK && !quiet)
		fprintf(stderr, "\n[%s] %s\n  -> %s\n", engine_names[g->e], sql,
		        upgrade_conn_error(g->conn));
	return ret;
}

/* Executes formatted SQL, saying why when it fails. */
static inline int sqlf(struct eng *g, const char *fmt, ...) UPG_PRINTF(2, 3);

static inline int
sqlf(struct eng *g, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = sqlv(g, 0, fmt, ap);
	va_end(ap);
	return ret;
}

/* The same for statements expected to fail. */
static inline int sqlq(struct eng *g, const char *fmt, ...) UPG_PRINTF(2, 3);

static inline int
sqlq(struct eng *g, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = sqlv(g, 1, fmt, ap);
	va_end(ap);
	return ret;
}

#define SQL_OK(g, ...) CU_ASSERT_EQUAL(sqlf((g), __VA_ARGS__), UPGRADE_OK)

/* The first value of a query as a long (-1 when NULL or no row). */
static inline long
query_long(struct eng *g, const char *sql)
{
	char *v = NULL;
	long n = -1;

	if (upg_db_query_string(g->conn, sql, &v) != UPGRADE_OK)
		fprintf(stderr, "\n[%s] %s\n  -> %s\n", engine_names[g->e], sql,
		        upgrade_conn_error(g->conn));
	if (v != NULL)
		n = strtol(v, NULL, 10);
	free(v);
	return n;
}

static inline char *
query_str(struct eng *g, const char *sql)
{
	char *v = NULL;

	if (upg_db_query_string(g->conn, sql, &v) != UPGRADE_OK)
		fprintf(stderr, "\n[%s] %s\n  -> %s\n", engine_names[g->e], sql,
		        upgrade_conn_error(g->conn));
	return v;
}

/* Reports and checks a helper's result. */
#define CALL_OK(g, expr)                                                                           \
	do {                                                                                       \
		int ret_ = (expr);                                                                 \
		if (ret_ != UPGRADE_OK)                                                            \
			fprintf(stderr, "\n[%s] %s:%d: %s -> %d: %s\n", engine_names[(g)->e],      \
			        __FILE__, __LINE__, #expr, ret_, upgrade_conn_error((g)->conn));   \
		CU_ASSERT_EQUAL(ret_, UPGRADE_OK);                                                 \
	} while (0)

static int engine_sqlite_seq;

/*
 * Opens engine e with a fresh, empty test schema as the context's schema
 * (and the connection's default).  Returns 0, or -1 after failing the test.
 */
static inline int
engine_open(struct eng *g, enum engine e)
{
	memset(g, 0, sizeof *g);
	g->e = e;
	if (e == ENG_SQLITE) {
		char path[400];

		snprintf(path, sizeof path, "%s/ctx-%d.db", test_tmpdir(), ++engine_sqlite_seq);
		if (upgrade_conn_new(&g->conn) != UPGRADE_OK)
			return -1;
		if (upgrade_conn_connect_sqlite(g->conn, path) != UPGRADE_OK) {
			fprintf(stderr, "\n%s\n", upgrade_conn_error(g->conn));
			CU_FAIL("cannot open SQLite");
			upgrade_conn_free(g->conn);
			g->conn = NULL;
			return -1;
		}
	} else {
		g->conn = test_connect_or_fail(
		    TEST_SERVER(e == ENG_PG ? "UPGRADE_TEST_PG" : "UPGRADE_TEST_MARIADB"));
		if (g->conn == NULL)
			return -1;
	}
	if (e == ENG_PG) {
		g->schema = PG_SCHEMA;
		g->other = PG_OTHER;
		if (sqlf(g, "DROP SCHEMA IF EXISTS %s CASCADE", qi(g, g->schema)) ||
		    sqlf(g, "DROP SCHEMA IF EXISTS %s CASCADE", qi(g, g->other)) ||
		    sqlf(g, "CREATE SCHEMA %s", qi(g, g->schema)) ||
		    sqlf(g, "CREATE SCHEMA %s", qi(g, g->other)) ||
		    sqlf(g, "SET search_path TO %s", qi(g, g->schema)))
			goto fail;
	} else if (e == ENG_MARIA) {
		g->schema = MARIA_SCHEMA;
		g->other = MARIA_OTHER;
		if (sqlf(g, "DROP DATABASE IF EXISTS %s", qi(g, g->schema)) ||
		    sqlf(g, "DROP DATABASE IF EXISTS %s", qi(g, g->other)) ||
		    sqlf(g, "CREATE DATABASE %s CHARACTER SET utf8mb4", qi(g, g->schema)) ||
		    sqlf(g, "CREATE DATABASE %s CHARACTER SET utf8mb4", qi(g, g->other)) ||
		    sqlf(g, "USE %s", qi(g, g->schema)))
			goto fail;
	}
	if (upgrade_context_new(&g->ctx, g->conn, g->schema) != UPGRADE_OK)
		goto fail;
	return 0;
fail:
	CU_FAIL("cannot set up the test schema");
	upgrade_conn_free(g->conn);
	g->conn = NULL;
	return -1;
}

static inline void
engine_close(struct eng *g)
{
	if (g->conn != NULL && !g->conn->autocommit)
		upg_db_rollback(g->conn);
	upgrade_context_free(g->ctx);
	upgrade_conn_free(g->conn);
	memset(g, 0, sizeof *g);
}

/* Runs body(g) on every engine. */
#define ON_ALL_ENGINES(body)                                                                       \
	do {                                                                                       \
		int e_;                                                                            \
		for (e_ = 0; e_ < ENG_COUNT; e_++) {                                               \
			struct eng g_;                                                             \
			if (engine_open(&g_, (enum engine)e_) != 0)                                \
				continue;                                                          \
			body(&g_);                                                                 \
			engine_close(&g_);                                                         \
		}                                                                                  \
	} while (0)

/*
 * Loads a catalog of one module whose tasks are in tasks_xml, from a file
 * in dir (or the test directory when dir is NULL), and runs the named task
 * the way the runner does: guard, then each action.  *held (may be NULL)
 * tells whether the guard held.  Returns the first failure.
 */
static inline int
run_xml_in(struct eng *g, const char *dir, const char *tasks_xml, const char *task_name, int *held)
{
	struct upgrade_catalog *cat = NULL;
	struct upg_resolved *res = NULL;
	const struct upgrade_task *task;
	char path[512], id[256];
	FILE *f;
	size_t i;
	int ret, holds = 0;

	snprintf(path, sizeof path, "%s/ctx-task.xml", dir != NULL ? dir : test_tmpdir());
	f = fopen(path, "w");
	if (f == NULL)
		return UPGRADE_ERROR;
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<module xmlns=\"urn:upgrade:catalog:1\" name=\"ctx.test\">\n%s\n</module>\n",
	        tasks_xml);
	fclose(f);
	if (held != NULL)
		*held = 0;
	if (upgrade_catalog_new(&cat) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	ret = upgrade_catalog_load_file(cat, path);
	if (ret == UPGRADE_OK)
		ret = upgrade_catalog_prepare(cat);
	if (ret != UPGRADE_OK) {
		for (i = 0; i < upgrade_catalog_diag_count(cat); i++) {
			const char *msg;
			unsigned long line;

			upgrade_catalog_diag(NULL, &line, NULL, &msg, cat, i);
			fprintf(stderr, "\ncatalog:%lu: %s\n", line, msg);
		}
		upgrade_catalog_free(cat);
		return ret;
	}
	snprintf(id, sizeof id, "ctx.test:%s", task_name);
	task = upgrade_catalog_find_task(cat, id);
	if (task == NULL) {
		upgrade_catalog_free(cat);
		return UPGRADE_ENOTFOUND;
	}
	ret = upg_task_resolve(&res, task, g->conn->dialect->name, &g->conn->err);
	if (ret == UPGRADE_OK) {
		struct upgrade_context ctx = {
		    .magic = UPG_MAGIC_CONTEXT, .conn = g->conn, .schema = g->schema, .task = task};

		ret = upg_guard_eval(&ctx, res->guard, &holds);
		for (i = 0;
		     ret == UPGRADE_OK && holds && res->nunits > 0 && i < res->units[0].nactions;
		     i++)
			ret = upg_action_exec(&ctx, res->units[0].actions[i]);
	}
	if (held != NULL)
		*held = holds;
	if (ret != UPGRADE_OK)
		fprintf(stderr, "\n[%s] task %s: %d: %s\n", engine_names[g->e], task_name, ret,
		        upgrade_conn_error(g->conn));
	upg_resolved_free(res);
	upgrade_catalog_free(cat);
	return ret;
}

#define run_xml(g, xml, name, held) run_xml_in((g), NULL, (xml), (name), (held))

#endif /* UPG_CTXUTIL_H */
