/* SPDX-License-Identifier: MIT */
/*
 * test_runner.c - the runner through the library API: tasks written in C
 * next to XML ones, the events a host receives, rollback of a failing C
 * task, raw C tasks split into steps, dry runs, a connection the host
 * opened itself, a state table written by the model system, and checksums
 * that tell when a task's body changed after it ran.
 */
#include "config.h"

#include <sql.h>
#include <sqlext.h>

#include "../src/connection.h"
#include "../src/context.h"
#include "upgrade/context.h"
#include "testutil.h"

struct events {
	char log[4096];
	int failed;
	char message[512];
};

static void
on_event(const struct upgrade_event *ev, void *ud)
{
	struct events *e = ud;
	char line[256];

	switch (ev->type) {
	case UPGRADE_EVENT_TASK_DONE:
		snprintf(line, sizeof line, "done %s;", upgrade_task_id(ev->task));
		break;
	case UPGRADE_EVENT_TASK_NOTHING:
		snprintf(line, sizeof line, "nothing %s;", upgrade_task_id(ev->task));
		break;
	case UPGRADE_EVENT_TASK_FAILED:
		snprintf(line, sizeof line, "failed %s;", upgrade_task_id(ev->task));
		e->failed++;
		snprintf(e->message, sizeof e->message, "%s", ev->message);
		break;
	case UPGRADE_EVENT_BASELINE:
		snprintf(line, sizeof line, "baseline %s %ld;", ev->module, ev->count);
		break;
	case UPGRADE_EVENT_SCHEMA_START:
		snprintf(line, sizeof line, "schema %s;", ev->schema);
		break;
	default:
		return;
	}
	strncat(e->log, line, sizeof e->log - strlen(e->log) - 1);
}

static int
task_create(struct upgrade_context *ctx, void *ud)
{
	/* Through the public API, as a program's install block would. */
	return upgrade_context_exec(NULL, ctx, "CREATE TABLE lib_t (n INTEGER)", 0, NULL);
}

static int
task_insert(struct upgrade_context *ctx, void *ud)
{
	return upgrade_context_exec(NULL, ctx, "INSERT INTO lib_t VALUES (1)", 0, NULL);
}

static int
task_nothing(struct upgrade_context *ctx, void *ud)
{
	(*(int *)ud)++;
	return UPGRADE_NOTHING_DONE;
}

static int
task_fail(struct upgrade_context *ctx, void *ud)
{
	int ret = upg_db_exec(ctx->conn, "INSERT INTO lib_t VALUES (2)");

	if (ret != UPGRADE_OK)
		return ret;
	return upg_error_set(&ctx->conn->err, UPGRADE_ERROR, "the C task gave up on purpose");
}

static int
raw_steps(struct upgrade_context *ctx, void *ud)
{
	int ret;

	CU_ASSERT_EQUAL(ctx->nschemas, 1);
	if ((ret = upg_db_exec(ctx->conn, "CREATE TABLE IF NOT EXISTS raw_one (n INTEGER)")) != 0)
		return ret;
	ctx->changed = 1;
	if ((ret = upgrade_context_end_step(ctx)) != UPGRADE_OK)
		return ret;
	if ((ret = upg_db_exec(ctx->conn, "CREATE TABLE raw_two (n INTEGER)")) != 0)
		return ret;
	/* The second step fails: the first stays committed, the second is rolled back. */
	return upg_db_exec(ctx->conn, "INSERT INTO no_such_table VALUES (1)");
}

/* What upgrade_context_end_step() answered in a task that is not raw. */
struct end_step_seen {
	int code, error_code;
	char message[128];
};

static int
task_end_step(struct upgrade_context *ctx, void *ud)
{
	struct end_step_seen *seen = ud;

	/* A failed statement first: its error must not stand for the refusal. */
	upgrade_context_exec(NULL, ctx, "INSERT INTO no_such_table VALUES (1)", 0, NULL);
	seen->code = upgrade_context_end_step(ctx);
	seen->error_code = upgrade_context_error_code(ctx);
	snprintf(seen->message, sizeof seen->message, "%s", upgrade_context_error(ctx));
	return UPGRADE_NOTHING_DONE;
}

/* A catalog with module "lib" and, by level, more tasks. */
static struct upgrade_catalog *
lib_catalog(int level, int *nothing_calls)
{
	struct upgrade_catalog *cat = NULL;

	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "lib", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Create", task_create, NULL, 0, NULL),
	                UPGRADE_OK);
	if (level >= 2) {
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Insert", task_insert, NULL, 0,
		                                         "lib:Create"),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Nothing", task_nothing,
		                                         nothing_calls, UPGRADE_TASK_ALWAYS_RUN, NULL),
		                UPGRADE_OK);
	}
	if (level >= 3)
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Fail", task_fail, NULL, 0, NULL),
		                UPGRADE_OK);
	if (level >= 4)
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Raw", raw_steps, NULL,
		                                         UPGRADE_TASK_RAW, NULL),
		                UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	return cat;
}

static int
run_catalog(struct upgrade_conn *conn, struct upgrade_catalog *cat, int dry, struct events *e)
{
	struct upgrade_runner *r = NULL;
	int n;

	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	upgrade_runner_set_dry_run(r, dry);
	upgrade_runner_set_event_callback(r, on_event, e);
	n = upgrade_runner_run(r, conn);
	if (n < 0 && e->failed == 0)
		fprintf(stderr, "\nrun failed: %s\n", upgrade_runner_error(r));
	upgrade_runner_free(r);
	return n;
}

static char *
scalar(struct upgrade_conn *conn, const char *sql)
{
	char *v = NULL;

	CU_ASSERT_EQUAL(upg_db_query_string(conn, sql, &v), UPGRADE_OK);
	return v;
}

static void
assert_scalar(struct upgrade_conn *conn, const char *sql, const char *want)
{
	char *v = scalar(conn, sql);

	CU_ASSERT_PTR_NOT_NULL(v);
	if (v != NULL && strcmp(v, want) != 0)
		fprintf(stderr, "\n%s = %s, want %s\n", sql, v, want);
	if (v != NULL)
		CU_ASSERT_STRING_EQUAL(v, want);
	free(v);
}

/*
 * The C API of install blocks and module selection: an install block in C
 * runs on first sight instead of the baseline, with the module's tasks
 * recorded; a module left out by the selection is neither installed nor
 * recorded.
 */
static void
test_c_install_and_selection(void)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat = NULL;
	struct events e;
	char path[300];
	int nothing = 0, k;

	snprintf(path, sizeof path, "%s/cinstall.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "lib", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "other", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Create", task_create, NULL, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Nothing", task_nothing, &nothing,
	                                         UPGRADE_TASK_ALWAYS_RUN, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "other", "Insert", task_insert, NULL, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_install(cat, "lib", task_create, NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_set_install(cat, "lib", task_create, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_catalog_set_install(cat, "nope", task_create, NULL), UPGRADE_ENOTFOUND);
	CU_ASSERT_EQUAL(upgrade_catalog_select_modules(cat, "l*"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_module_count(cat), 1);
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), 2);
	CU_ASSERT_PTR_NULL(upgrade_catalog_find_task(cat, "other:Insert"));
	CU_ASSERT_EQUAL(upgrade_task_flags(upgrade_module_install(upgrade_catalog_find_module(cat, "lib"))),
	                UPGRADE_TASK_INSTALL | UPGRADE_TASK_CODE);

	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 1);
	CU_ASSERT_STRING_EQUAL(e.log, "schema main;done lib (install);baseline lib 2;nothing lib:Nothing;");
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'lib_t'", "1");
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') FROM upgrades WHERE module = 'lib'",
	              "[\"Create\",\"Nothing\"]");
	assert_scalar(conn, "SELECT count(*) FROM upgrades WHERE module = 'other'", "0");
	upgrade_catalog_free(cat);

	/* A pattern that matches nothing fails the prepare, naming it. */
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "lib", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_select_modules(cat, "x*"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_ENOTFOUND);
	CU_ASSERT_STRING_EQUAL(upgrade_catalog_error(cat), "no module matches 'x*'");
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(cat), 0);
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);

	/*
	 * Nothing runs from a catalog whose prepare failed (here a task that
	 * requires one no catalog has; then a selection that matches nothing):
	 * its modules were still listed, and a run installed them and recorded
	 * them with no tasks, on a database the fixed catalog then failed on.
	 */
	snprintf(path, sizeof path, "%s/cinstall-failed.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	for (k = 0; k < 2; k++) {
		struct upgrade_runner *r = NULL;

		CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "lib", NULL), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_set_install(cat, "lib", task_create, NULL), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Insert", task_insert, NULL, 0,
		                                         k == 0 ? "nosuch:task" : NULL),
		                UPGRADE_OK);
		if (k == 1)
			CU_ASSERT_EQUAL(upgrade_catalog_select_modules(cat, "typo"), UPGRADE_OK);
		CU_ASSERT_NOT_EQUAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
		CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_runner_error(r),
		                       "the catalog has errors (upgrade_catalog_prepare failed)");
		CU_ASSERT_EQUAL(upgrade_runner_baseline(r, conn), UPGRADE_EINVAL);
		upgrade_runner_free(r);
		upgrade_catalog_free(cat);
	}
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master", "0");
	upgrade_conn_free(conn);
}

static void
test_c_tasks(void)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat;
	struct events e;
	char path[300];
	int nothing = 0, n;

	snprintf(path, sizeof path, "%s/ctasks.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE TABLE lib_t (n INTEGER)"), UPGRADE_OK);

	/* First sight: baseline, nothing runs. */
	memset(&e, 0, sizeof e);
	cat = lib_catalog(1, &nothing);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.log, "schema main;baseline lib 1;");
	upgrade_catalog_free(cat);

	/* New tasks run; the always-run one that did nothing is not counted. */
	memset(&e, 0, sizeof e);
	cat = lib_catalog(2, &nothing);
	n = run_catalog(conn, cat, 0, &e);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(e.log, "schema main;done lib:Insert;nothing lib:Nothing;");
	CU_ASSERT_EQUAL(nothing, 1);
	assert_scalar(conn, "SELECT count(*) FROM lib_t", "1");
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') FROM upgrades",
	              "[\"Create\",\"Insert\",\"Nothing\"]");

	/* A dry run executes and rolls back. */
	upgrade_catalog_free(cat);
	memset(&e, 0, sizeof e);
	cat = lib_catalog(2, &nothing);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "UPDATE upgrades SET state = json_remove(state, '$.executed_tasks[1]')"),
	                UPGRADE_OK);
	n = run_catalog(conn, cat, 1, &e);
	CU_ASSERT_EQUAL(n, 1);
	assert_scalar(conn, "SELECT count(*) FROM lib_t", "1");
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') FROM upgrades",
	              "[\"Create\",\"Nothing\"]");
	upgrade_catalog_free(cat);

	/*
	 * The dry run that showing the SQL implies ends with it: still dry
	 * when one was asked for, a real run when not.
	 */
	cat = lib_catalog(2, &nothing);
	{
		struct upgrade_runner *r = NULL;
		int dry;

		for (dry = 1; dry >= 0; dry--) {
			CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
			CU_ASSERT_EQUAL(upgrade_runner_set_dry_run(r, dry), UPGRADE_OK);
			CU_ASSERT_EQUAL(upgrade_runner_set_sql_only(r, 1), UPGRADE_OK);
			CU_ASSERT_EQUAL(upgrade_runner_set_sql_only(r, 0), UPGRADE_OK);
			CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 1);
			upgrade_runner_free(r);
			assert_scalar(conn, "SELECT count(*) FROM lib_t", dry ? "1" : "2");
		}
	}
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') FROM upgrades",
	              "[\"Create\",\"Nothing\",\"Insert\"]");
	CU_ASSERT_EQUAL(upg_db_exec(conn, "DELETE FROM lib_t WHERE rowid > 1"), UPGRADE_OK);
	upgrade_catalog_free(cat);

	/* A failing C task: its insert is rolled back with it, the message kept. */
	memset(&e, 0, sizeof e);
	cat = lib_catalog(3, &nothing);
	n = run_catalog(conn, cat, 0, &e);
	CU_ASSERT_TRUE(n < 0);
	CU_ASSERT_EQUAL(e.failed, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.log, "failed lib:Fail;"));
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "the C task gave up on purpose"));
	assert_scalar(conn, "SELECT count(*) FROM lib_t WHERE n = 2", "0");
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
}

static void
test_raw_c_steps(void)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat;
	struct events e;
	char path[300];
	int nothing = 0;

	snprintf(path, sizeof path, "%s/raw.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE TABLE lib_t (n INTEGER)"), UPGRADE_OK);
	memset(&e, 0, sizeof e);
	cat = lib_catalog(4, &nothing);
	CU_ASSERT_TRUE(run_catalog(conn, cat, 0, &e) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.log, "failed lib:Raw;"));
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'raw_one'", "1");
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'raw_two'", "0");
	/* Raw tasks fail before any schema: no state table was made. */
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'upgrades'", "0");
	CU_ASSERT_EQUAL(upgrade_context_end_step(NULL), UPGRADE_EINVAL);
	upgrade_catalog_free(cat);

	/* Outside a raw task ending a step is refused, and the refusal says why. */
	{
		struct end_step_seen seen = {0, 0, ""};
		struct upgrade_context *ctx = NULL;

		CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "steps", NULL), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "steps", "End", task_end_step, &seen,
		                                         UPGRADE_TASK_ALWAYS_RUN, NULL),
		                UPGRADE_OK);
		CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
		memset(&e, 0, sizeof e);
		CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
		CU_ASSERT_EQUAL(seen.code, UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(seen.error_code, UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(seen.message,
		                       "upgrade_context_end_step() is only for raw tasks");
		upgrade_catalog_free(cat);

		CU_ASSERT_EQUAL_FATAL(upgrade_context_new(&ctx, conn, NULL), UPGRADE_OK);
		memset(&seen, 0, sizeof seen);
		task_end_step(ctx, &seen);
		CU_ASSERT_EQUAL(seen.code, UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(seen.error_code, UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(seen.message,
		                       "upgrade_context_end_step() is only for raw tasks");
		upgrade_context_free(ctx);
	}
	upgrade_conn_free(conn);
}

static void
test_attached_connection(void)
{
	SQLHENV env;
	SQLHDBC dbc;
	SQLHSTMT st;
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat;
	struct upgrade_runner *r = NULL;
	struct events e;
	char connstr[400];
	int nothing = 0;

	snprintf(connstr, sizeof connstr, "DRIVER=%s;Database=%s/attached.db", UPGRADE_SQLITE_ODBC_DRIVER,
	         test_tmpdir());
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)));
	SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)));
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)connstr, SQL_NTS, NULL,
	                                                    0, NULL, SQL_DRIVER_NOPROMPT)));
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_conn_attach_odbc(conn, NULL), UPGRADE_EINVAL);
	{
		/* A handle the host has not connected yet is refused at once. */
		SQLHDBC idle;

		CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &idle)));
		CU_ASSERT_EQUAL(upgrade_conn_attach_odbc(conn, idle), UPGRADE_EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(conn), "not connected"));
		SQLFreeHandle(SQL_HANDLE_DBC, idle);
	}
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_attach_odbc(conn, dbc), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_dialect(conn), "sqlite");
	memset(&e, 0, sizeof e);
	cat = lib_catalog(1, &nothing);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
	CU_ASSERT_STRING_EQUAL(e.log, "schema main;baseline lib 1;");
	/* Parallel jobs cannot reopen a connection the host opened. */
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_set_jobs(r, 0), UPGRADE_EINVAL);
	/*
	 * The host opens a transaction after attaching: a run refuses, and
	 * neither commits the host's row nor turns its autocommit back on.
	 */
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)"CREATE TABLE host_t (n INTEGER)", SQL_NTS)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT,
	                                               (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)"INSERT INTO host_t VALUES (42)", SQL_NTS)));
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_runner_error(r), "inside a transaction"));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_ROLLBACK)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT,
	                                               (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0)));
	assert_scalar(conn, "SELECT count(*) FROM host_t", "0");
	/* And back in autocommit, the same handle runs again. */
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 0);
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
	/* The host's connection is still open and usable. */
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLExecDirect(st, (SQLCHAR *)"SELECT count(*) FROM upgrades",
	                                           SQL_NTS)));
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	SQLDisconnect(dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	SQLFreeHandle(SQL_HANDLE_ENV, env);
}

static const char xml_v1[] =
	"<module xmlns=\"urn:upgrade:catalog:1\" name=\"sum\">"
	"<task name=\"A\"><sql>CREATE TABLE sum_a (n INTEGER)</sql></task></module>";
static const char xml_v2[] =
	"<module xmlns=\"urn:upgrade:catalog:1\" name=\"sum\">"
	"<task name=\"A\"><sql>CREATE TABLE sum_a (n BIGINT)</sql></task>"
	"<task name=\"B\"><sql>CREATE TABLE sum_b (n INTEGER)</sql></task></module>";

struct seen {
	char log[1024];
};

static void
on_status(const char *schema, const char *module, const char *name, const struct upgrade_task *task,
          enum upgrade_task_state state, const char *detail, void *ud)
{
	struct seen *s = ud;
	char line[200];

	snprintf(line, sizeof line, "%s:%s=%d;", module, name, (int)state);
	strncat(s->log, line, sizeof s->log - strlen(s->log) - 1);
}

static struct upgrade_catalog *
xml_catalog(const char *xml)
{
	struct upgrade_catalog *cat = NULL;

	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "sum.xml", xml, strlen(xml)), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	return cat;
}

static void
test_checksum_changed(void)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat;
	struct upgrade_runner *r = NULL;
	struct events e;
	struct seen s;
	char path[300];

	snprintf(path, sizeof path, "%s/sum.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	memset(&e, 0, sizeof e);
	cat = xml_catalog(xml_v1);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
	upgrade_catalog_free(cat);

	cat = xml_catalog(xml_v2);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(upgrade_runner_status(r, conn, on_status, &s), UPGRADE_OK);
	/* A changed after it was recorded: a warning state, never a silent re-run; B pending. */
	CU_ASSERT_STRING_EQUAL(s.log, "sum:A=3;sum:B=1;");
	upgrade_runner_free(r);
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 1);
	CU_ASSERT_STRING_EQUAL(e.log, "schema main;done sum:B;");
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
}

/*
 * Makes schema afresh (PostgreSQL) with the model system's upgrades table
 * and one row: module, whose state is the JSON text state.
 */
static void
model_schema(struct upgrade_conn *conn, const char *schema, const char *module, const char *state)
{
	const char *p[2] = {module, state};
	char sql[300];

	snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
	upg_db_exec(conn, sql);
	snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
	CU_ASSERT_EQUAL_FATAL(upg_db_exec(conn, sql), UPGRADE_OK);
	snprintf(sql, sizeof sql,
	         "CREATE TABLE %s.upgrades (module TEXT NOT NULL PRIMARY KEY, state JSONB NOT NULL, "
	         "created TIMESTAMP WITHOUT TIME ZONE, modified TIMESTAMP WITHOUT TIME ZONE)",
	         schema);
	CU_ASSERT_EQUAL(upg_db_exec(conn, sql), UPGRADE_OK);
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s.upgrades VALUES (?, CAST(? AS JSONB), now() at time zone 'utc', NULL)",
	         schema);
	CU_ASSERT_EQUAL(upg_db_exec_params(conn, sql, 2, p, NULL), UPGRADE_OK);
}

/* The model system's own table, with a key of its own: read as is, extended, keys kept. */
static void
test_model_table_postgresql(void)
{
	const char *connstr = TEST_SERVER("UPGRADE_TEST_PG");
	struct upgrade_conn *conn;
	struct upgrade_catalog *cat;
	struct upgrade_runner *r = NULL;
	struct events e;
	struct seen s;
	int nothing = 0;

	if ((conn = test_connect_or_fail(connstr)) == NULL)
		return;
	model_schema(conn, "upg_model", "lib",
	             "{\"executed_tasks\": [\"Nothing\", \"Create\", \"Create\"], \"theirs\": 1}");
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE TABLE upg_model.lib_t (n INTEGER)"), UPGRADE_OK);
	cat = lib_catalog(2, &nothing);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, "upg_model"), UPGRADE_OK);
	/*
	 * Status reads that table as it is (another writer's list, unsorted and
	 * with a duplicate), without upgrade_tasks beside it, and creates nothing.
	 */
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(upgrade_runner_status(r, conn, on_status, &s), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(s.log, "lib:Create=2;lib:Insert=1;lib:Nothing=2;");
	assert_scalar(conn, "SELECT count(*) FROM pg_tables WHERE schemaname = 'upg_model'", "2");
	memset(&e, 0, sizeof e);
	upgrade_runner_set_event_callback(r, on_event, &e);
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 1);
	CU_ASSERT_STRING_EQUAL(e.log, "schema upg_model;done lib:Insert;nothing lib:Nothing;");
	assert_scalar(conn, "SELECT state->>'theirs' FROM upg_model.upgrades", "1");
	assert_scalar(conn, "SELECT state->'executed_tasks' FROM upg_model.upgrades",
	              "[\"Create\", \"Insert\", \"Nothing\"]");
	assert_scalar(conn, "SELECT count(*) FROM upg_model.upgrades WHERE modified IS NOT NULL", "1");
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);
	upg_db_exec(conn, "DROP SCHEMA upg_model CASCADE");
	upgrade_conn_free(conn);
}

/* Makes schema upg_kept with lib_t and module lib's row listing Create only. */
static void
kept_schema(struct upgrade_conn *conn)
{
	model_schema(conn, "upg_kept", "lib", "{\"executed_tasks\": [\"Create\"]}");
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE TABLE upg_kept.lib_t (n INTEGER)"), UPGRADE_OK);
}

/*
 * The state write is prepared once on the server and bound for every task
 * after; it stays right after a failed task and after its table is
 * dropped and made again under the same name on the same connection.
 */
static void
test_kept_state_write_postgresql(void)
{
	const char *connstr = TEST_SERVER("UPGRADE_TEST_PG");
	struct upgrade_conn *conn;
	struct upgrade_catalog *cat;
	struct upgrade_runner *r = NULL;
	struct events e;
	int nothing = 0, round;

	if ((conn = test_connect_or_fail(connstr)) == NULL)
		return;
	for (round = 0; round < 2; round++) {
		/* The second round: same names, new tables, same connection and kept statements. */
		kept_schema(conn);
		cat = lib_catalog(3, &nothing);
		CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
		CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, "upg_kept"), UPGRADE_OK);
		memset(&e, 0, sizeof e);
		upgrade_runner_set_event_callback(r, on_event, &e);
		CU_ASSERT(upgrade_runner_run(r, conn) < 0);
		CU_ASSERT_STRING_EQUAL(e.log, "schema upg_kept;done lib:Insert;nothing lib:Nothing;failed lib:Fail;");
		assert_scalar(conn, "SELECT state->'executed_tasks' FROM upg_kept.upgrades",
		              "[\"Create\", \"Insert\", \"Nothing\"]");
		assert_scalar(conn, "SELECT count(*) FROM upg_kept.lib_t", "1");
		assert_scalar(conn, "SELECT count(*) FROM pg_prepared_statements WHERE "
		                    "statement LIKE '%UPDATE \"upg_kept\".\"upgrades\" SET state%'",
		              "1");
		upgrade_runner_free(r);
		upgrade_catalog_free(cat);
	}
	upg_db_exec(conn, "DROP SCHEMA upg_kept CASCADE");
	upgrade_conn_free(conn);
}

/*
 * A host's PostgreSQL connection: the statements the runner kept prepared
 * on it are gone from the server session once the runner lets go of it.
 */
static void
test_attached_postgresql_leaves_nothing(void)
{
	const char *pg = TEST_SERVER("UPGRADE_TEST_PG");
	SQLHENV env;
	SQLHDBC dbc;
	SQLHSTMT st;
	struct upgrade_conn *conn = NULL, *admin;
	struct upgrade_catalog *cat;
	struct upgrade_runner *r = NULL;
	struct events e;
	char connstr[600], count[32] = "";
	SQLLEN ind = 0;
	int nothing = 0;

	if ((admin = test_connect_or_fail(pg)) == NULL)
		return;
	kept_schema(admin);
	upgrade_conn_free(admin);
	snprintf(connstr, sizeof connstr, "%s;Protocol=7.4-0", pg);
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)));
	SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc)));
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)connstr, SQL_NTS, NULL,
	                                                    0, NULL, SQL_DRIVER_NOPROMPT)));
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_attach_odbc(conn, dbc), UPGRADE_OK);
	cat = lib_catalog(2, &nothing);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, "upg_kept"), UPGRADE_OK);
	memset(&e, 0, sizeof e);
	upgrade_runner_set_event_callback(r, on_event, &e);
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 1);
	CU_ASSERT_STRING_EQUAL(e.log, "schema upg_kept;done lib:Insert;nothing lib:Nothing;");
	assert_scalar(conn, "SELECT count(*) FROM pg_prepared_statements", "1");
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
	CU_ASSERT_TRUE_FATAL(SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLExecDirect(
	    st, (SQLCHAR *)"SELECT count(*) FROM pg_prepared_statements", SQL_NTS)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLFetch(st)));
	CU_ASSERT_TRUE(SQL_SUCCEEDED(SQLGetData(st, 1, SQL_C_CHAR, count, sizeof count, &ind)));
	CU_ASSERT_STRING_EQUAL(count, "0");
	SQLFreeHandle(SQL_HANDLE_STMT, st);
	SQLDisconnect(dbc);
	SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	SQLFreeHandle(SQL_HANDLE_ENV, env);
	if ((admin = test_connect_or_fail(pg)) != NULL) {
		upg_db_exec(admin, "DROP SCHEMA upg_kept CASCADE");
		upgrade_conn_free(admin);
	}
}

/* The fill of test_fill_runs: the row's qty times ten, as text. */
static int
ten_times(const char **value, const struct upgrade_row *row, void *ud)
{
	char *buf = ud;

	snprintf(buf, 32, "%ld", strtol(row->values[0], NULL, 10) * 10);
	*value = buf;
	return 0;
}

/* A C task adding a NOT NULL column filled per row, in batches of 300. */
static int
task_fill_tens(struct upgrade_context *ctx, void *ud)
{
	static const char *const cols[] = {"qty", NULL};
	struct upgrade_column col;
	struct upgrade_fill f;

	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "tens";
	col.type = "bigint";
	col.not_null = 1;
	upgrade_fill_init(&f, UPGRADE_FILL_VERSION);
	f.fn = ten_times;
	f.userdata = ud;
	f.columns = cols;
	f.batch_rows = 300;
	return upgrade_context_add_column_with_defaults(ctx, "items", &col, &f);
}

/*
 * A per-row fill inside a run over two schemas with rows of their own: a
 * dry run leaves both as they were, a real run fills each from its own
 * rows and records the task in each.
 */
static void
test_fill_runs_postgresql(void)
{
	const char *connstr = TEST_SERVER("UPGRADE_TEST_PG");
	static const char *const schemas[] = {"upg_fill_a", "upg_fill_b"};
	struct upgrade_conn *conn;
	struct upgrade_catalog *cat = NULL;
	struct events e;
	char buf[32], sql[300];
	int i, dry;

	if ((conn = test_connect_or_fail(connstr)) == NULL)
		return;
	for (i = 0; i < 2; i++) {
		model_schema(conn, schemas[i], "fill", "{\"executed_tasks\": [\"Make\"]}");
		/* 1,000 rows in a, 700 in b, with other quantities. */
		snprintf(sql, sizeof sql, "CREATE TABLE %s.items AS SELECT g AS id, g + %d AS qty "
		                          "FROM generate_series(1, %d) g",
		         schemas[i], i * 5000, i == 0 ? 1000 : 700);
		CU_ASSERT_EQUAL(upg_db_exec(conn, sql), UPGRADE_OK);
		snprintf(sql, sizeof sql, "ALTER TABLE %s.items ADD PRIMARY KEY (id)", schemas[i]);
		CU_ASSERT_EQUAL(upg_db_exec(conn, sql), UPGRADE_OK);
	}
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "fill", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "fill", "Make", task_create, NULL, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "fill", "Tens", task_fill_tens, buf, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	for (dry = 1; dry >= 0; dry--) {
		struct upgrade_runner *r = NULL;

		CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
		for (i = 0; i < 2; i++)
			CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, schemas[i]), UPGRADE_OK);
		upgrade_runner_set_dry_run(r, dry);
		memset(&e, 0, sizeof e);
		upgrade_runner_set_event_callback(r, on_event, &e);
		CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 2);
		CU_ASSERT_STRING_EQUAL(e.log, "schema upg_fill_a;done fill:Tens;schema upg_fill_b;done fill:Tens;");
		upgrade_runner_free(r);
		assert_scalar(conn, "SELECT count(*) FROM information_schema.columns WHERE "
		                    "table_schema LIKE 'upg\\_fill\\__' AND column_name = 'tens'",
		              dry ? "0" : "2");
		assert_scalar(conn, "SELECT string_agg(state->>'executed_tasks', ' ' ORDER BY module) "
		                    "FROM (SELECT * FROM upg_fill_a.upgrades UNION ALL "
		                    "SELECT * FROM upg_fill_b.upgrades) s",
		              dry ? "[\"Make\"] [\"Make\"]" : "[\"Make\", \"Tens\"] [\"Make\", \"Tens\"]");
	}
	assert_scalar(conn, "SELECT count(*) FROM upg_fill_a.items WHERE tens = qty * 10 AND qty <= 1000",
	              "1000");
	assert_scalar(conn, "SELECT count(*) FROM upg_fill_b.items WHERE tens = qty * 10 AND qty > 5000",
	              "700");
	upgrade_catalog_free(cat);
	upg_db_exec(conn, "DROP SCHEMA upg_fill_a CASCADE");
	upg_db_exec(conn, "DROP SCHEMA upg_fill_b CASCADE");
	upgrade_conn_free(conn);
}

/* Another writer's executed_tasks that is not a list: no tasks, and ours replaces it. */
static void
test_foreign_not_a_list(void)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat;
	struct events e;
	char path[300];

	snprintf(path, sizeof path, "%s/notalist.db", test_tmpdir());
	remove(path);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE TABLE upgrades (module TEXT NOT NULL PRIMARY KEY, "
	                                  "state TEXT NOT NULL, created TEXT, modified TEXT)"),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "INSERT INTO upgrades VALUES ('lib', "
	                                  "'{\"executed_tasks\": null, \"x\": 1}', NULL, NULL)"),
	                UPGRADE_OK);
	cat = lib_catalog(1, NULL);
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 1);
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') || ',' || "
	                    "json_extract(state, '$.x') FROM upgrades", "[\"Create\"],1");
	/* One executed_tasks in the text, not ours and theirs after it. */
	assert_scalar(conn, "SELECT (SELECT count(*) FROM json_each(state) WHERE key = 'executed_tasks') "
	                    "FROM upgrades", "1");
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
}

/* A module whose name is a prefix of another's is a different module (the model matched prefixes). */
static void
test_prefix_modules(void)
{
	static const char a[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"onegov.foundation\">"
	                        "<task name=\"A\"><sql>SELECT 1</sql></task></module>";
	static const char b[] = "<module xmlns=\"urn:upgrade:catalog:1\" name=\"onegov.foundation6\">"
	                        "<task name=\"B\"><sql>SELECT 1</sql></task></module>";
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat = NULL;
	struct events e;
	char path[300];

	snprintf(path, sizeof path, "%s/prefix.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "a.xml", a, strlen(a)), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_load_memory(cat, "b.xml", b, strlen(b)), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') FROM upgrades "
	                    "WHERE module = 'onegov.foundation'", "[\"A\"]");
	assert_scalar(conn, "SELECT json_extract(state, '$.executed_tasks') FROM upgrades "
	                    "WHERE module = 'onegov.foundation6'", "[\"B\"]");
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
}

/* DDL commits on MariaDB whatever the transaction; then the C task fails. */
static int
task_ddl_then_fail(struct upgrade_context *ctx, void *ud)
{
	int ret = upg_db_exec(ctx->conn, "CREATE TABLE c_made (id INTEGER)");

	(void)ud;
	return ret != UPGRADE_OK ? ret : upg_db_exec(ctx->conn, "INSERT INTO no_such_table VALUES (1)");
}

struct ddl_seen {
	enum upgrade_task_state state;
	char detail[600];
};

static void
on_status_ddl(const char *schema, const char *module, const char *name,
              const struct upgrade_task *task, enum upgrade_task_state state, const char *detail,
              void *ud)
{
	struct ddl_seen *seen = ud;

	if (strcmp(name, "Ddl") != 0)
		return;
	seen->state = state;
	snprintf(seen->detail, sizeof seen->detail, "%s", detail != NULL ? detail : "");
}

/*
 * A C task on MariaDB that committed DDL and then failed: the rollback
 * cannot take the DDL back, so the state must not say "pending" (not run);
 * it says the task's outcome is unknown until the host settles it.
 */
static void
test_c_task_journal(void)
{
	struct upgrade_conn *conn = test_connect_or_fail(TEST_SERVER("UPGRADE_TEST_MARIADB"));
	struct upgrade_catalog *cat = NULL;
	struct upgrade_runner *r = NULL;
	struct ddl_seen seen;
	struct events e;

	if (conn == NULL)
		return;
	CU_ASSERT_EQUAL_FATAL(upg_db_exec(conn, "DROP DATABASE IF EXISTS upg_ctask"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upg_db_exec(conn, "CREATE DATABASE upg_ctask"), UPGRADE_OK);
	/* The module is seen first without the task, so that the task is pending, not baselined. */
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "lib", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Create", task_create, NULL, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, "upg_ctask"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 0);
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);

	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "lib", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Create", task_create, NULL, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "lib", "Ddl", task_ddl_then_fail, NULL, 0, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, "upg_ctask"), UPGRADE_OK);
	memset(&e, 0, sizeof e);
	upgrade_runner_set_event_callback(r, on_event, &e);
	CU_ASSERT(upgrade_runner_run(r, conn) < 0);
	CU_ASSERT_EQUAL(e.failed, 1);
	assert_scalar(conn, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
	                    "'upg_ctask' AND TABLE_NAME = 'c_made'", "1");

	memset(&seen, 0, sizeof seen);
	CU_ASSERT_EQUAL(upgrade_runner_status(r, conn, on_status_ddl, &seen), UPGRADE_OK);
	CU_ASSERT_EQUAL(seen.state, UPGRADE_STATE_PARTIAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(seen.detail, "0 of 1 statements committed; statement 1 unknown"));
	CU_ASSERT_PTR_NOT_NULL(strstr(seen.detail, "failed: "));

	/* --resume alone does not guess; the host's word does. */
	upgrade_runner_set_resume(r, 1);
	memset(&e, 0, sizeof e);
	CU_ASSERT(upgrade_runner_run(r, conn) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.message, "whether it committed is unknown"));
	upgrade_runner_set_resume_from(r, 2);
	memset(&e, 0, sizeof e);
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), 1);
	CU_ASSERT_STRING_EQUAL(e.log, "schema upg_ctask;done lib:Ddl;");
	memset(&seen, 0, sizeof seen);
	CU_ASSERT_EQUAL(upgrade_runner_status(r, conn, on_status_ddl, &seen), UPGRADE_OK);
	CU_ASSERT_EQUAL(seen.state, UPGRADE_STATE_EXECUTED);
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "DROP DATABASE upg_ctask"), UPGRADE_OK);
	upgrade_conn_free(conn);
}

static void
on_history(const struct upgrade_history_entry *h, void *ud)
{
	struct seen *s = ud;
	char line[300];

	snprintf(line, sizeof line, "%s %s %s %s:%s by=%s ms=%s st=%lu n=%lu;", h->schema, h->at,
	         h->event, h->module, h->task != NULL ? h->task : "-", h->by != NULL ? h->by : "-",
	         h->duration_ms >= 0 ? "yes" : "no", h->statement, h->tasks);
	strncat(s->log, line, sizeof s->log - strlen(s->log) - 1);
}

/*
 * The history: a run's baseline and a task run from the task rows, a
 * resume-from entry of the log (with a time the engine gave back short of
 * digits) and a row of another tool without any log, newest first.
 */
static void
test_history(void)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_catalog *cat;
	struct upgrade_runner *r = NULL;
	struct events e;
	struct seen s;
	char path[300], *p;

	snprintf(path, sizeof path, "%s/history.db", test_tmpdir());
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	memset(&e, 0, sizeof e);
	cat = xml_catalog(xml_v1);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 0);
	upgrade_catalog_free(cat);
	cat = xml_catalog(xml_v2);
	CU_ASSERT_EQUAL(run_catalog(conn, cat, 0, &e), 1);
	/* Times of the past, so that the order is known. */
	CU_ASSERT_EQUAL(upg_db_exec(conn, "UPDATE upgrade_tasks SET executed_at = "
	                                  "CASE task WHEN 'A' THEN '2026-01-01 10:00:00.000001' "
	                                  "ELSE '2026-01-03 10:00:00' END"),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "INSERT INTO upgrades (module, state) VALUES ('hand', "
	                                  "'{\"executed_tasks\": [], \"upgrade\": {\"log\": [{"
	                                  "\"at\": \"2026-01-02 03:04:05.5\", "
	                                  "\"event\": \"resume-from 3\", \"task\": \"T\", "
	                                  "\"by\": \"h pid 1\"}]}}'), "
	                                  "('foreign', '{\"executed_tasks\": [\"x\"]}')"),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_history(r, conn, NULL, NULL), UPGRADE_EINVAL);
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(upgrade_runner_history(r, conn, on_history, &s), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(s.log, "main 2026-01-03T10:00:00.000000Z run sum:B by=- ms=yes st=0 "
	                              "n=0;"
	                              "main 2026-01-02T03:04:05.500000Z resume-from hand:T "
	                              "by=h pid 1 ms=no st=3 n=0;"
	                              "main 2026-01-01T10:00:00.000001Z baseline sum:- by=- ms=no "
	                              "st=0 n=1;");
	/* Nothing is written: the state is as it was. */
	p = scalar(conn, "SELECT count(*) FROM upgrades");
	CU_ASSERT_STRING_EQUAL(p, "3");
	free(p);
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
}

static int
task_conflict_rollback(struct upgrade_context *ctx, void *ud)
{
	(void)ud;
	if (upgrade_context_exec(NULL, ctx, "CREATE TABLE u (x UNIQUE ON CONFLICT ROLLBACK)", 0, NULL) !=
	    UPGRADE_OK)
		return UPGRADE_ERROR;
	/* SQLite ends the transaction itself; its ODBC driver still counts it open. */
	return upgrade_context_exec(NULL, ctx, "INSERT INTO u VALUES (1), (1)", 0, NULL);
}

static int
task_insert_then_fail(struct upgrade_context *ctx, void *ud)
{
	(void)ud;
	if (upgrade_context_exec(NULL, ctx, "CREATE TABLE v (x INTEGER)", 0, NULL) != UPGRADE_OK)
		return UPGRADE_ERROR;
	return upgrade_context_exec(NULL, ctx, "INSERT INTO nosuch VALUES (1)", 0, NULL);
}

/* Runs a catalog of fn alone, times times; each run must fail with message. */
static void
run_failing(struct upgrade_conn *conn, upgrade_task_fn fn, int times, const char *message)
{
	struct upgrade_catalog *cat = NULL;
	struct upgrade_runner *r = NULL;

	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_module(cat, "m", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_catalog_add_task(cat, "m", "T", fn, NULL, UPGRADE_TASK_ALWAYS_RUN, NULL),
	                UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	while (times-- > 0) {
		CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), UPGRADE_EDB);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_runner_error(r), message));
	}
	upgrade_runner_free(r);
	upgrade_catalog_free(cat);
}

/*
 * A task whose statement made SQLite end the transaction: the connection
 * runs again, and its next task is a transaction again (its CREATE TABLE
 * is rolled back with the task).
 */
static void
test_engine_ended_transaction(void)
{
	struct upgrade_conn *conn = NULL;
	char path[300];

	snprintf(path, sizeof path, "%s/ended.db", test_tmpdir());
	remove(path);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, path), UPGRADE_OK);
	/* Twice: the same first failure the second time, not "inside a transaction". */
	run_failing(conn, task_conflict_rollback, 2, "UNIQUE constraint failed");
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'u'", "0");
	run_failing(conn, task_insert_then_fail, 1, "nosuch");
	/* The failed task's table went with it: it ran in a transaction. */
	assert_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE name = 'v'", "0");
	upgrade_conn_free(conn);
}

static void
test_bad_arguments(void)
{
	struct upgrade_catalog *cat = NULL;
	struct upgrade_runner *r = NULL;
	struct upgrade_conn *conn = NULL;

	CU_ASSERT_EQUAL(upgrade_runner_new(NULL, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_new(&r, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&r, cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_run(r, conn), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upgrade_runner_error(r), "the catalog is not prepared");
	CU_ASSERT_EQUAL(upgrade_runner_set_jobs(r, 65), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_set_lock_timeout(r, -1), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upgrade_runner_error(r),
	                       "the lock timeout must be 0 or more milliseconds, not -1");
	CU_ASSERT_EQUAL(upgrade_runner_error_code(r), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_status(r, conn, NULL, NULL), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upgrade_runner_error(r), "no status callback (fn is NULL)");
	CU_ASSERT_EQUAL(upgrade_runner_history(r, conn, NULL, NULL), UPGRADE_EINVAL);
	CU_ASSERT_STRING_EQUAL(upgrade_runner_error(r), "no history callback (fn is NULL)");
	CU_ASSERT_EQUAL(upgrade_runner_error_code(r), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_status(NULL, conn, NULL, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_history(NULL, conn, NULL, NULL), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_set_resume_from(NULL, 2), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_set_resume_from(r, 2), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_set_resume_from(r, 0), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_runner_add_schema(r, ""), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_runner_mark(r, conn, "no-colon"), UPGRADE_EINVAL);
	upgrade_runner_free(r);
	upgrade_runner_free(NULL);
	upgrade_catalog_free(cat);
	upgrade_conn_free(conn);
}

static void
add_suites(void)
{
	TEST_SUITE("runner");
	TEST_ADD(test_c_tasks);
	TEST_ADD(test_c_install_and_selection);
	TEST_ADD(test_raw_c_steps);
	TEST_ADD(test_attached_connection);
	TEST_ADD(test_attached_postgresql_leaves_nothing);
	TEST_ADD(test_checksum_changed);
	TEST_ADD(test_foreign_not_a_list);
	TEST_ADD(test_model_table_postgresql);
	TEST_ADD(test_kept_state_write_postgresql);
	TEST_ADD(test_fill_runs_postgresql);
	TEST_ADD(test_prefix_modules);
	TEST_ADD(test_c_task_journal);
	TEST_ADD(test_engine_ended_transaction);
	TEST_ADD(test_bad_arguments);
	TEST_ADD(test_history);
}

int
main(void)
{
	return test_run(add_suites);
}
