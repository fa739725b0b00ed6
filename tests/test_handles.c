/* SPDX-License-Identifier: MIT */
/*
 * test_handles.c - every public entry point refuses a handle that is not
 * the kind it expects: NULL, or another of the library's handles cast to
 * it, as a program with a mixed-up pointer would pass.  The answer is
 * UPGRADE_EINVAL (or what an accessor returns for no handle), never a
 * crash or a write into the wrong object; the real handles keep working
 * afterwards.  The structs a caller fills are refused when their version is
 * unknown.  Needs no database: the connection is never connected.
 */
#include "config.h"

#include "testutil.h"

/* A handle of one kind passed as another. */
#define AS(type, h) ((type *)(void *)(h))

static int
task_fn(struct upgrade_context *ctx, void *ud)
{
	(void)ctx;
	(void)ud;
	return UPGRADE_OK;
}

static void
event_fn(const struct upgrade_event *ev, void *ud)
{
	(void)ev;
	(void)ud;
}

static void
status_fn(const char *schema, const char *module, const char *name, const struct upgrade_task *task,
          enum upgrade_task_state state, const char *detail, void *ud)
{
	(void)schema;
	(void)module;
	(void)name;
	(void)task;
	(void)state;
	(void)detail;
	(void)ud;
}

static int
row_fn(const struct upgrade_row *row, void *ud)
{
	(void)row;
	(void)ud;
	return 0;
}

/* The real handles; each test passes them where another kind belongs. */
struct handles {
	struct upgrade_conn *conn;
	struct upgrade_catalog *cat;
	struct upgrade_runner *runner;
	struct upgrade_context *ctx;
	const struct upgrade_task *task;
	const struct upgrade_module *module;
};

static int
open_handles(struct handles *h)
{
	memset(h, 0, sizeof *h);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&h->conn), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_set_dialect(h->conn, "sqlite"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_new(&h->cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_add_module(h->cat, "m", NULL), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_add_task(h->cat, "m", "t", task_fn, NULL, 0, NULL),
	                      UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_catalog_prepare(h->cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_runner_new(&h->runner, h->cat), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_context_new(&h->ctx, h->conn, "s"), UPGRADE_OK);
	h->task = upgrade_catalog_find_task(h->cat, "m:t");
	h->module = upgrade_catalog_find_module(h->cat, "m");
	CU_ASSERT_PTR_NOT_NULL_FATAL(h->task);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h->module);
	return 0;
}

/* The handles still answer as themselves: nothing above wrote into them or freed them. */
static void
close_handles(struct handles *h)
{
	char *q = NULL;

	CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, h->conn, "a\"b"), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(q != NULL ? q : "", "\"a\"\"b\"");
	upgrade_free(q);
	CU_ASSERT_STRING_EQUAL(upgrade_conn_dialect(h->conn), "sqlite");
	CU_ASSERT_EQUAL(upgrade_catalog_task_count(h->cat), 1);
	CU_ASSERT_STRING_EQUAL(upgrade_task_id(h->task), "m:t");
	CU_ASSERT_STRING_EQUAL(upgrade_module_name(h->module), "m");
	CU_ASSERT_EQUAL(upgrade_runner_set_dry_run(h->runner, 1), UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(upgrade_context_schema(h->ctx), "s");
	upgrade_context_free(h->ctx);
	upgrade_runner_free(h->runner);
	upgrade_catalog_free(h->cat);
	upgrade_conn_free(h->conn);
}

static void
test_not_a_conn(void)
{
	struct handles h;
	struct upgrade_context *ctx;
	char *q;
	int k;

	open_handles(&h);
	for (k = 0; k < 3; k++) {
		/* NULL, a catalog and a context where a connection belongs. */
		struct upgrade_conn *bad = k == 0   ? NULL
		                           : k == 1 ? AS(struct upgrade_conn, h.cat)
		                                    : AS(struct upgrade_conn, h.ctx);

		upgrade_conn_free(bad);
		CU_ASSERT_EQUAL(upgrade_conn_set_dialect(bad, "sqlite"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_set_login_timeout(bad, 5), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_set_cluster_lock(bad, UPGRADE_CLUSTER_LOCK_TABLE, 10),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_set_pool_mode(bad, UPGRADE_POOL_TRANSACTION),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_connect(bad, "DSN=x"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_connect_dsn(bad, "x"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_connect_sqlite(bad, "/nonexistent/x.db"),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_conn_attach_odbc(bad, (void *)&h), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_conn_error(bad), "no connection handle");
		CU_ASSERT_STRING_EQUAL(upgrade_conn_sqlstate(bad), "");
		CU_ASSERT_EQUAL(upgrade_conn_native_error(bad), 0);
		CU_ASSERT_EQUAL(upgrade_conn_error_code(bad), UPGRADE_EINVAL);
		CU_ASSERT_PTR_NULL(upgrade_conn_dbms_name(bad));
		CU_ASSERT_PTR_NULL(upgrade_conn_dbms_version(bad));
		CU_ASSERT_PTR_NULL(upgrade_conn_driver_name(bad));
		CU_ASSERT_PTR_NULL(upgrade_conn_driver_version(bad));
		CU_ASSERT_PTR_NULL(upgrade_conn_string(bad));
		CU_ASSERT_PTR_NULL(upgrade_conn_dialect(bad));
		CU_ASSERT_EQUAL(upgrade_conn_capabilities(bad), 0);
		q = (char *)"untouched";
		CU_ASSERT_EQUAL(upgrade_conn_quote_ident(&q, bad, "a"), UPGRADE_EINVAL);

		/* Functions of other handles that take a connection. */
		ctx = (struct upgrade_context *)&h;
		CU_ASSERT_EQUAL(upgrade_context_new(&ctx, bad, NULL), UPGRADE_EINVAL);
		CU_ASSERT_PTR_NULL(ctx);
		CU_ASSERT_EQUAL(upgrade_runner_run(h.runner, bad), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_error_code(h.runner), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_runner_error(h.runner), "no connection handle");
		CU_ASSERT_EQUAL(upgrade_runner_status(h.runner, bad, status_fn, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_baseline(h.runner, bad), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_mark(h.runner, bad, "m:t"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_unmark(h.runner, bad, "m:t"), UPGRADE_EINVAL);
	}
	/* A real connection handle refuses a mode that does not exist, and takes both that do. */
	CU_ASSERT_EQUAL(upgrade_conn_set_pool_mode(h.conn, (enum upgrade_pool_mode)7), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(h.conn), "unknown pool mode 7"));
	CU_ASSERT_EQUAL(upgrade_conn_set_pool_mode(h.conn, UPGRADE_POOL_TRANSACTION), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_conn_set_pool_mode(h.conn, UPGRADE_POOL_SESSION), UPGRADE_OK);
	close_handles(&h);
}

static void
test_not_a_catalog(void)
{
	static const char xml[] = "<catalog/>";
	const char *file, *object, *message;
	unsigned long line;
	struct upgrade_runner *r;
	struct handles h;
	int k;

	open_handles(&h);
	for (k = 0; k < 3; k++) {
		/* NULL, a runner and a connection where a catalog belongs. */
		struct upgrade_catalog *bad = k == 0   ? NULL
		                              : k == 1 ? AS(struct upgrade_catalog, h.runner)
		                                       : AS(struct upgrade_catalog, h.conn);

		upgrade_catalog_free(bad);
		CU_ASSERT_EQUAL(upgrade_catalog_set_limit(bad, UPGRADE_CATALOG_LIMIT_DEPTH, 3),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_load_file(bad, "/nonexistent.xml"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_load_dir(bad, "/nonexistent"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_load_path(bad, "/nonexistent"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_load_memory(bad, "x", xml, sizeof xml - 1),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_set_param(bad, "p", "v"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_add_module(bad, "n", NULL), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_add_task(bad, "m", "u", task_fn, NULL, 0, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_prepare(bad), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_check_dialect(bad, "sqlite"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_diag_count(bad), 0);
		CU_ASSERT_EQUAL(upgrade_catalog_diag(&file, &line, &object, &message, bad, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_catalog_warning_count(bad), 0);
		CU_ASSERT_EQUAL(upgrade_catalog_warning(&file, &line, &object, &message, bad, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_catalog_error(bad), "no catalog");
		CU_ASSERT_EQUAL(upgrade_catalog_error_code(bad), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_catalog_sqlstate(bad), "");
		CU_ASSERT_EQUAL(upgrade_catalog_native_error(bad), 0);
		CU_ASSERT_EQUAL(upgrade_catalog_task_count(bad), 0);
		CU_ASSERT_PTR_NULL(upgrade_catalog_task_at(bad, 0));
		CU_ASSERT_PTR_NULL(upgrade_catalog_find_task(bad, "m:t"));
		CU_ASSERT_EQUAL(upgrade_catalog_module_count(bad), 0);
		CU_ASSERT_PTR_NULL(upgrade_catalog_module_at(bad, 0));
		CU_ASSERT_PTR_NULL(upgrade_catalog_find_module(bad, "m"));

		r = (struct upgrade_runner *)&h;
		CU_ASSERT_EQUAL(upgrade_runner_new(&r, bad), UPGRADE_EINVAL);
		CU_ASSERT_PTR_NULL(r);
	}
	close_handles(&h);
}

static void
test_not_a_task_or_module(void)
{
	struct handles h;
	int k;

	open_handles(&h);
	for (k = 0; k < 3; k++) {
		/* NULL, a module and a catalog where a task belongs; the other way round for
		 * modules. */
		const struct upgrade_task *bad = k == 0   ? NULL
		                                 : k == 1 ? AS(const struct upgrade_task, h.module)
		                                          : AS(const struct upgrade_task, h.cat);
		const struct upgrade_module *badm = k == 0 ? NULL
		                                    : k == 1
		                                        ? AS(const struct upgrade_module, h.task)
		                                        : AS(const struct upgrade_module, h.runner);

		CU_ASSERT_PTR_NULL(upgrade_task_id(bad));
		CU_ASSERT_PTR_NULL(upgrade_task_module(bad));
		CU_ASSERT_PTR_NULL(upgrade_task_name(bad));
		CU_ASSERT_PTR_NULL(upgrade_task_description(bad));
		CU_ASSERT_EQUAL(upgrade_task_flags(bad), 0);
		CU_ASSERT_PTR_NULL(upgrade_task_requires(bad));
		CU_ASSERT_PTR_NULL(upgrade_task_file(bad));
		CU_ASSERT_EQUAL(upgrade_task_line(bad), 0);
		CU_ASSERT_PTR_NULL(upgrade_task_checksum(bad));
		CU_ASSERT_PTR_NULL(upgrade_module_name(badm));
		CU_ASSERT_PTR_NULL(upgrade_module_description(badm));
		CU_ASSERT_PTR_NULL(upgrade_module_file(badm));
		CU_ASSERT_EQUAL(upgrade_module_line(badm), 0);
		CU_ASSERT_EQUAL(upgrade_module_depends_count(badm), 0);
		CU_ASSERT_PTR_NULL(upgrade_module_depends_at(badm, 0));
		CU_ASSERT_EQUAL(upgrade_module_task_count(badm), 0);
	}
	close_handles(&h);
}

static void
test_not_a_runner(void)
{
	struct handles h;
	int k;

	open_handles(&h);
	for (k = 0; k < 3; k++) {
		/* NULL, a catalog and a context where a runner belongs. */
		struct upgrade_runner *bad = k == 0   ? NULL
		                             : k == 1 ? AS(struct upgrade_runner, h.cat)
		                                      : AS(struct upgrade_runner, h.ctx);

		upgrade_runner_free(bad);
		CU_ASSERT_EQUAL(upgrade_runner_set_dry_run(bad, 1), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_set_keep_going(bad, 1), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_set_lock_timeout(bad, 10), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_set_resume(bad, 1), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_set_resume_from(bad, 2), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_set_jobs(bad, 2), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_set_event_callback(bad, event_fn, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_add_schema(bad, "s"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_add_schema_pattern(bad, "s*"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_run(bad, h.conn), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_runner_error(bad), "no runner");
		CU_ASSERT_EQUAL(upgrade_runner_error_code(bad), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_runner_sqlstate(bad), "");
		CU_ASSERT_EQUAL(upgrade_runner_native_error(bad), 0);
		CU_ASSERT_EQUAL(upgrade_runner_schemas_ok(bad), 0);
		CU_ASSERT_EQUAL(upgrade_runner_schemas_failed(bad), 0);
		CU_ASSERT_EQUAL(upgrade_runner_status(bad, h.conn, status_fn, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_baseline(bad, h.conn), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_mark(bad, h.conn, "m:t"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_runner_unmark(bad, h.conn, "m:t"), UPGRADE_EINVAL);
	}
	close_handles(&h);
}

static void
test_not_a_context(void)
{
	static const char *const cols[] = {"a", NULL};
	struct upgrade_column col = UPGRADE_COLUMN_INIT;
	struct upgrade_column_change ch = UPGRADE_COLUMN_CHANGE_INIT;
	struct upgrade_fill f = UPGRADE_FILL_INIT;
	struct handles h;
	char **values;
	long rows;
	int k, r;

	col.name = "a";
	col.type = "integer";
	ch.type = "text";
	f.value = "1";
	open_handles(&h);
	for (k = 0; k < 3; k++) {
		/* NULL, a connection and a runner where a context belongs. */
		struct upgrade_context *bad = k == 0   ? NULL
		                              : k == 1 ? AS(struct upgrade_context, h.conn)
		                                       : AS(struct upgrade_context, h.runner);

		upgrade_context_free(bad);
		CU_ASSERT_PTR_NULL(upgrade_context_conn(bad));
		CU_ASSERT_PTR_NULL(upgrade_context_schema(bad));
		CU_ASSERT_EQUAL(upgrade_context_schema_count(bad), 0);
		CU_ASSERT_PTR_NULL(upgrade_context_schema_at(bad, 0));
		CU_ASSERT_EQUAL(upgrade_context_is_dry_run(bad), 0);
		CU_ASSERT_STRING_EQUAL(upgrade_context_error(bad), "no context");
		CU_ASSERT_EQUAL(upgrade_context_error_code(bad), UPGRADE_EINVAL);
		CU_ASSERT_STRING_EQUAL(upgrade_context_sqlstate(bad), "");
		CU_ASSERT_EQUAL(upgrade_context_native_error(bad), 0);
		upgrade_context_changed(bad);
		CU_ASSERT_EQUAL(upgrade_context_end_step(bad), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_table(&r, bad, "t"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_view(&r, bad, "t"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_column(&r, bad, "t", "a"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_index(&r, bad, "t", "i"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(
		    upgrade_context_has_constraint(&r, bad, "t", "c", UPGRADE_CONSTRAINT_ANY),
		    UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_has_enum(&r, bad, "e"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_is_empty_table(&r, bad, "t"), UPGRADE_EINVAL);
		values = NULL;
		CU_ASSERT_EQUAL(upgrade_context_enum_values(&values, NULL, bad, "e"),
		                UPGRADE_EINVAL);
		CU_ASSERT_PTR_NULL(values);
		CU_ASSERT_EQUAL(upgrade_context_exec(&rows, bad, "SELECT 1", 0, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_query(bad, "SELECT 1", 0, NULL, row_fn, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_records_per_table(bad, "t", cols, row_fn, NULL),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(bad, "t", &col, &f),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_suspend_triggers(bad, "t"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_resume_triggers(bad, "t"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_table(bad, "t", &col, 1, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_table(bad, "t", 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_rename_table(bad, "t", "u"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_column(bad, "t", &col, 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_column(bad, "t", "a", 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_rename_column(bad, "t", "a", "b"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_alter_column(bad, "t", "a", &ch), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_index(bad, "t", "i", cols, 0),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_drop_index(bad, "t", "i", 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_unique(bad, "t", "u", cols), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_foreign_key(bad, "t", "f", cols, "t", cols,
		                                                UPGRADE_FK_CASCADE,
		                                                UPGRADE_FK_DEFAULT),
		                UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_check(bad, "t", "c", "a > 0"), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(
		    upgrade_context_drop_constraint(bad, "t", "c", UPGRADE_CONSTRAINT_CHECK, 0),
		    UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_create_enum(bad, "e", cols), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_add_enum_value(bad, "e", "x", 0), UPGRADE_EINVAL);
		CU_ASSERT_EQUAL(upgrade_context_update_enum_values(bad, "e", cols), UPGRADE_EINVAL);
	}
	close_handles(&h);
}

/*
 * A context over a connection that is not connected (never, here, though
 * its dialect is chosen): every operation is refused with "not connected".
 * Four of them read the dialect's hooks before asking, and crashed.
 */
static void
test_context_unconnected(void)
{
	static const char *const cols[] = {"a", NULL};
	struct upgrade_column col = UPGRADE_COLUMN_INIT;
	struct upgrade_column_change ch = UPGRADE_COLUMN_CHANGE_INIT;
	struct upgrade_fill f = UPGRADE_FILL_INIT;
	struct upgrade_context *ctx = NULL;
	struct handles h;
	long rows;
	int r, i, rc[26];

	col.name = "a";
	col.type = "integer";
	ch.type = "text";
	f.value = "1";
	open_handles(&h);
	CU_ASSERT_EQUAL_FATAL(upgrade_context_new(&ctx, h.conn, NULL), UPGRADE_OK);
	rc[0] = upgrade_context_add_column(ctx, "t", &col, 0);
	rc[1] = upgrade_context_drop_column(ctx, "t", "a", 0);
	rc[2] = upgrade_context_alter_column(ctx, "t", "a", &ch);
	rc[3] = upgrade_context_drop_constraint(ctx, "t", "c", UPGRADE_CONSTRAINT_ANY, 0);
	rc[4] = upgrade_context_add_column(ctx, "t", &col, UPGRADE_IF_NOT_EXISTS);
	rc[5] = upgrade_context_drop_column(ctx, "t", "a", UPGRADE_IF_EXISTS);
	rc[6] = upgrade_context_drop_constraint(ctx, "t", "c", UPGRADE_CONSTRAINT_CHECK, 0);
	rc[7] = upgrade_context_has_table(&r, ctx, "t");
	rc[8] = upgrade_context_has_column(&r, ctx, "t", "a");
	rc[9] = upgrade_context_is_empty_table(&r, ctx, "t");
	rc[10] = upgrade_context_exec(&rows, ctx, "SELECT 1", 0, NULL);
	rc[11] = upgrade_context_query(ctx, "SELECT 1", 0, NULL, row_fn, NULL);
	rc[12] = upgrade_context_records_per_table(ctx, "t", cols, row_fn, NULL);
	rc[13] = upgrade_context_add_column_with_defaults(ctx, "t", &col, &f);
	rc[14] = upgrade_context_create_table(ctx, "t", &col, 1, 0);
	rc[15] = upgrade_context_drop_table(ctx, "t", 0);
	rc[16] = upgrade_context_rename_table(ctx, "t", "u");
	rc[17] = upgrade_context_rename_column(ctx, "t", "a", "b");
	rc[18] = upgrade_context_create_index(ctx, "t", "i", cols, 0);
	rc[19] = upgrade_context_drop_index(ctx, "t", "i", 0);
	rc[20] = upgrade_context_add_unique(ctx, "t", "u", cols);
	rc[21] = upgrade_context_add_check(ctx, "t", "c", "a > 0");
	rc[22] = upgrade_context_create_enum(ctx, "e", cols);
	rc[23] = upgrade_context_suspend_triggers(ctx, "t");
	rc[24] = upgrade_context_has_enum(&r, ctx, "e");
	rc[25] = upgrade_context_add_enum_value(ctx, "e", "x", 0);
	for (i = 0; i < 26; i++) {
		if (rc[i] != UPGRADE_EINVAL)
			fprintf(stderr, "operation %d: %d\n", i, rc[i]);
		CU_ASSERT_EQUAL(rc[i], UPGRADE_EINVAL);
	}
	CU_ASSERT_STRING_EQUAL(upgrade_context_error(ctx), "not connected");
	upgrade_context_free(ctx);
	close_handles(&h);
}

/* A struct with a version the library does not know is refused, naming the struct. */
static void
test_struct_versions(void)
{
	struct upgrade_column cols[2];
	struct upgrade_column col = UPGRADE_COLUMN_INIT;
	struct upgrade_column_change ch = UPGRADE_COLUMN_CHANGE_INIT;
	struct upgrade_fill f = UPGRADE_FILL_INIT;
	struct handles h;

	CU_ASSERT_EQUAL(col.version, UPGRADE_COLUMN_VERSION);
	CU_ASSERT_PTR_NULL(col.name);
	CU_ASSERT_EQUAL(ch.version, UPGRADE_COLUMN_CHANGE_VERSION);
	CU_ASSERT_EQUAL(f.version, UPGRADE_FILL_VERSION);

	/* The init functions zero everything but the version, and know only their versions. */
	memset(cols, 0xff, sizeof cols);
	CU_ASSERT_EQUAL(upgrade_column_init(&cols[0], UPGRADE_COLUMN_VERSION), UPGRADE_OK);
	CU_ASSERT_EQUAL(cols[0].version, UPGRADE_COLUMN_VERSION);
	CU_ASSERT_PTR_NULL(cols[0].name);
	CU_ASSERT_EQUAL(cols[0].unique, 0);
	CU_ASSERT_EQUAL(upgrade_column_init(&cols[1], 0), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_column_init(&cols[1], UPGRADE_COLUMN_VERSION + 1), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_column_init(NULL, UPGRADE_COLUMN_VERSION), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_column_change_init(&ch, 0), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_column_change_init(NULL, UPGRADE_COLUMN_CHANGE_VERSION),
	                UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_column_change_init(&ch, UPGRADE_COLUMN_CHANGE_VERSION), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_fill_init(&f, 7), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_fill_init(NULL, UPGRADE_FILL_VERSION), UPGRADE_EINVAL);
	CU_ASSERT_EQUAL(upgrade_fill_init(&f, UPGRADE_FILL_VERSION), UPGRADE_OK);

	/*
	 * Passed in with an unknown version: refused before anything else is
	 * looked at (the context's connection is not even connected).
	 */
	open_handles(&h);
	memset(&col, 0, sizeof col);
	col.name = "a";
	col.type = "integer";
	CU_ASSERT_EQUAL(upgrade_context_add_column(h.ctx, "t", &col, 0), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(upgrade_context_error(h.ctx), "struct upgrade_column has version 0"));
	CU_ASSERT_EQUAL(upgrade_context_error_code(h.ctx), UPGRADE_EINVAL);
	col.version = UPGRADE_COLUMN_VERSION + 1;
	CU_ASSERT_EQUAL(upgrade_context_create_table(h.ctx, "t", &col, 1, 0), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(h.ctx), "knows versions 1 to 1"));
	/* An array whose elements disagree. */
	upgrade_column_init(&cols[0], UPGRADE_COLUMN_VERSION);
	cols[0].name = "a";
	cols[0].type = "integer";
	memset(&cols[1], 0, sizeof cols[1]);
	cols[1].name = "b";
	cols[1].type = "integer";
	CU_ASSERT_EQUAL(upgrade_context_create_table(h.ctx, "t", cols, 2, 0), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(h.ctx), "element 1"));
	col.version = UPGRADE_COLUMN_VERSION;
	f.version = 0;
	f.value = "1";
	CU_ASSERT_EQUAL(upgrade_context_add_column_with_defaults(h.ctx, "t", &col, &f),
	                UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_context_error(h.ctx), "struct upgrade_fill"));
	ch.version = 0;
	ch.type = "text";
	CU_ASSERT_EQUAL(upgrade_context_alter_column(h.ctx, "t", "a", &ch), UPGRADE_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(upgrade_context_error(h.ctx), "struct upgrade_column_change"));
	close_handles(&h);
}

static void
add_suites(void)
{
	TEST_SUITE("handles");
	TEST_ADD(test_not_a_conn);
	TEST_ADD(test_not_a_catalog);
	TEST_ADD(test_not_a_task_or_module);
	TEST_ADD(test_not_a_runner);
	TEST_ADD(test_not_a_context);
	TEST_ADD(test_context_unconnected);
	TEST_ADD(test_struct_versions);
}

int
main(void)
{
	return test_run(add_suites);
}
