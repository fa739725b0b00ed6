/* SPDX-License-Identifier: MIT */
/*
 * run.c - the runner's public handle: its settings, its error and counts,
 * and upgrade_runner_run().
 *
 * Order of a run: resolve the target schemas (run-target.c); run the raw
 * tasks once, on the given connection, each step its own transaction
 * (run-raw.c); then for each schema (run-schema.c), serially or on
 * threads (run-parallel.c): switch to it, take its lock, read its state
 * once, record the modules seen for the first time (baseline), and run
 * every pending task (run-task.c).  The commands that read or repair the
 * state are in run-repair.c; run.h shows who calls whom.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "run.h"

#define DEFAULT_LOCK_TIMEOUT_MS 300000L

int
upgrade_runner_new(struct upgrade_runner **out, const struct upgrade_catalog *catalog)
{
	struct upgrade_runner *r;

	if (out == NULL)
		return UPGRADE_EINVAL;
	*out = NULL;
	if (!UPG_IS(catalog, CATALOG))
		return UPGRADE_EINVAL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return UPGRADE_ENOMEM;
	r->magic = UPG_MAGIC_RUNNER;
	r->cat = catalog;
	r->jobs = 1;
	r->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
	*out = r;
	return UPGRADE_OK;
}

void
upgrade_runner_free(struct upgrade_runner *r)
{
	if (!UPG_IS(r, RUNNER))
		return;
	upg_run_free_names(r->schemas, r->nschemas);
	upg_run_free_names(r->patterns, r->npatterns);
	upg_error_clear(&r->err);
	r->magic = UPG_MAGIC_FREED;
	free(r);
}

int
upgrade_runner_set_dry_run(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->dry_run_asked = on != 0;
	r->dry_run = r->dry_run_asked || r->sql_only;
	return UPGRADE_OK;
}

int
upgrade_runner_set_sql_only(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->sql_only = on != 0;
	/* The dry run it implies ends with it, unless one was asked for. */
	r->dry_run = r->dry_run_asked || r->sql_only;
	return UPGRADE_OK;
}

int
upgrade_runner_set_keep_going(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->keep_going = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_resume(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->resume = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_resume_from(struct upgrade_runner *r, unsigned long statement)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->resume_from = statement;
	return UPGRADE_OK;
}

int
upgrade_runner_set_lock_timeout(struct upgrade_runner *r, long ms)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	if (ms < 0)
		return upg_error_set(&r->err, UPGRADE_EINVAL,
		                     "the lock timeout must be 0 or more milliseconds, not %ld", ms);
	r->lock_timeout_ms = ms;
	return UPGRADE_OK;
}

int
upgrade_runner_set_create_schemas(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->create_schemas = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_jobs(struct upgrade_runner *r, int jobs)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	if (jobs < 1 || jobs > MAX_JOBS)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "jobs must be between 1 and %d", MAX_JOBS);
	r->jobs = jobs;
	return UPGRADE_OK;
}

int
upgrade_runner_set_event_callback(struct upgrade_runner *r, upgrade_event_fn fn, void *ud)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->fn = fn;
	r->ud = ud;
	return UPGRADE_OK;
}

/* Appends a copy of value to a list of names or patterns. */
static int
push_copy(struct upgrade_runner *r, char ***list, size_t *n, size_t *cap, const char *value)
{
	char *copy;

	if (value == NULL || value[0] == '\0')
		return upg_error_set(&r->err, UPGRADE_EINVAL, "empty schema name or pattern");
	if (upg_grow(list, cap, *n + 1, sizeof **list, 4) != UPGRADE_OK ||
	    (copy = upg_strdup(value)) == NULL)
		return upg_error_oom(&r->err);
	(*list)[(*n)++] = copy;
	return UPGRADE_OK;
}

int
upgrade_runner_add_schema(struct upgrade_runner *r, const char *schema)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	return push_copy(r, &r->schemas, &r->nschemas, &r->capschemas, schema);
}

int
upgrade_runner_add_schema_pattern(struct upgrade_runner *r, const char *pattern)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	return push_copy(r, &r->patterns, &r->npatterns, &r->cappatterns, pattern);
}

const char *
upgrade_runner_error(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? upg_error_message(&r->err) : "no runner";
}

int
upgrade_runner_error_code(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->err.code : UPGRADE_EINVAL;
}

const char *
upgrade_runner_sqlstate(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->err.sqlstate : "";
}

long
upgrade_runner_native_error(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->err.native : 0;
}

size_t
upgrade_runner_schemas_ok(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->schemas_ok : 0;
}

size_t
upgrade_runner_schemas_failed(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->schemas_failed : 0;
}

/* The schemas one after the other on conn; as upg_run_parallel() otherwise. */
static int
run_serial(struct upgrade_runner *r, struct upgrade_conn *conn,
           const struct upg_schema_list *schemas, long *executed)
{
	int first_error = UPGRADE_OK;
	size_t i;

	for (i = 0; i < schemas->n; i++) {
		struct upg_run run = {.r = r,
		                      .conn = conn,
		                      .schema = schemas->names[i],
		                      .index = (long)i + 1,
		                      .total = (long)schemas->n};
		int ret = upg_run_schema(&run);

		*executed += run.executed;
		if (ret == UPGRADE_OK) {
			r->schemas_ok++;
			continue;
		}
		r->schemas_failed++;
		if (first_error == UPGRADE_OK) {
			first_error = ret;
			upg_error_copy(&r->err, &conn->err);
		}
		if (!r->keep_going)
			break;
	}
	return first_error;
}

/*
 * A run: the target schemas, the raw phase, then the schemas, serially or
 * on threads, between RUN_START and RUN_DONE.  Returns the number of tasks
 * executed (capped at INT_MAX) or a negative code, the message on r.
 */
int
upgrade_runner_run(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	struct upg_schema_list schemas = {NULL, 0, 0, 0};
	struct upgrade_event ev;
	struct upg_run top;
	long executed = 0, start = upg_now_ms();
	int ret;

	if ((ret = upg_run_check_ready(r, conn)) != UPGRADE_OK ||
	    (ret = upg_run_check_writable(r, conn)) != UPGRADE_OK)
		return ret;
	r->schemas_ok = r->schemas_failed = 0;
	memset(&top, 0, sizeof top);
	top.r = r;
	top.conn = conn;
	/* A new schema has no partly applied task: --resume-from creates none. */
	ret = upg_run_resolve_schemas(r, conn, &schemas,
	                              r->create_schemas && !r->dry_run && r->resume_from == 0);
	if (ret != UPGRADE_OK)
		goto done;
	/* A statement number is one task's in one schema: applied to others, it skips theirs. */
	if (r->resume_from > 0 && schemas.n > 1) {
		ret = upg_error_set(&r->err, UPGRADE_EINVAL,
		                    "--resume-from %lu settles the partly applied task of one schema, "
		                    "and the run has %zu schemas: name that schema alone with --schema",
		                    r->resume_from, schemas.n);
		goto done;
	}
	upg_run_event_init(&ev, UPGRADE_EVENT_RUN_START, NULL);
	ev.count = (long)schemas.n;
	upg_run_emit(&top, &ev);
	ret = upg_run_raw(r, conn, &schemas);
	if (ret < 0)
		goto report;
	executed += ret;
	/* Other connections cannot see a held transaction: such a dry run stays on this one. */
	if (r->jobs > 1 && schemas.n > 1 && !r->held)
		ret = upg_run_parallel(r, conn, &schemas, &executed);
	else
		ret = run_serial(r, conn, &schemas, &executed);
	if (r->held) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &conn->err);
		upg_db_rollback(conn);
		upg_error_restore(&conn->err, &keep);
		r->held = 0;
	}
report:
	upg_run_event_init(&ev, UPGRADE_EVENT_RUN_DONE, NULL);
	ev.count = executed;
	ev.code = ret;
	ev.duration_ms = upg_now_ms() - start;
	if (ret != UPGRADE_OK)
		ev.message = upg_error_message(&r->err);
	upg_run_emit(&top, &ev);
done:
	upg_run_free_names(schemas.names, schemas.n);
	if (ret < 0)
		return ret;
	return executed > 0x7fffffffL ? 0x7fffffff : (int)executed;
}
