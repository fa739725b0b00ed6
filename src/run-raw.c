/* SPDX-License-Identifier: MIT */
/*
 * run-raw.c - the raw phase of a run.
 *
 * Raw tasks run once per database, before any schema, on the given
 * connection, on all target schemas at once, each step in its own
 * transaction; they are never recorded: they run every time, their
 * guards saying whether there is work.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "run.h"

/*
 * Says in which schema a for-each-schema step failed: " (schema X)" at the
 * end of the message's first line, the details staying below it.
 */
static void
name_schema(struct upg_error *err, const char *schema)
{
	struct upg_error keep = UPG_ERROR_INIT;
	const char *msg, *nl;
	size_t first;

	if (err->message == NULL)
		return;
	upg_error_stash(&keep, err);
	msg = keep.message;
	nl = strchr(msg, '\n');
	first = nl != NULL ? (size_t)(nl - msg) : strlen(msg);
	upg_error_set(err, keep.code, "%.*s (schema %s)%s", (int)first, msg, schema,
	              nl != NULL ? nl : "");
	memcpy(err->sqlstate, keep.sqlstate, sizeof err->sqlstate);
	err->native = keep.native;
	upg_error_clear(&keep);
}

/*
 * Runs one step of a raw task in a transaction of its own (rolled back in
 * a dry run): its guard, then its actions.  schema, for a for-each-schema
 * step, is the target schema the step runs in this time: operations and
 * conditions address it and ${schema} names it, quoted.  Sets *changed
 * when an action may have changed something.
 */
static int
run_raw_step(struct upg_run *run, struct upgrade_context *ctx, const struct upg_unit *unit,
             const char *schema, int *changed)
{
	const char *own_schema = ctx->schema;
	char *quoted = NULL;
	int ret, holds;
	size_t i;

	if (schema != NULL) {
		if ((ret = upgrade_conn_quote_ident(&quoted, run->conn, schema)) != UPGRADE_OK)
			return ret;
		ctx->schema = schema;
		ctx->schema_sql = quoted;
	}
	if ((ret = upg_run_tx_begin(run)) != UPGRADE_OK)
		goto done;
	ret = upg_guard_eval(ctx, unit->guard, &holds);
	for (i = 0; ret == UPGRADE_OK && holds && i < unit->nactions; i++) {
		ret = upg_action_exec(ctx, unit->actions[i]);
		if (ret >= 0) {
			*changed |= ret == UPGRADE_OK;
			ret = UPGRADE_OK;
		}
	}
	/* Each step is its own transaction: committed (or rolled back in a dry run) alone. */
	if (ret == UPGRADE_OK)
		ret = upg_run_tx_commit(run);
done:
	if (ret != UPGRADE_OK && schema != NULL)
		name_schema(&run->conn->err, schema);
	ctx->schema = own_schema;
	ctx->schema_sql = NULL;
	free(quoted);
	return ret;
}

/*
 * Runs one raw task on the run's connection: a task in C in one
 * transaction, a task in XML each step (unit) in its own, behind the
 * task's guard and then the step's.  schemas are the run's target schemas,
 * which the task may address.  Emits TASK_DONE, TASK_NOTHING when no step
 * ran an action, or TASK_FAILED (with the failing step) and returns its
 * code; the failing step is rolled back, the steps before it stay.
 */
static int
run_raw_task(struct upg_run *run, const struct upgrade_task *task, const char *const *schemas,
             size_t nschemas)
{
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT,
	                              .conn = run->conn,
	                              .schema = run->schema,
	                              .schemas = schemas,
	                              .nschemas = nschemas,
	                              .task = task,
	                              .dry_run = run->r->dry_run,
	                              .raw = 1,
	                              .savepoint = run->outer};
	struct upg_resolved *res = NULL;
	long start = upg_now_ms();
	unsigned long step = 0;
	int ret, holds = 1, changed = 0;
	size_t u, s;

	if (run->r->dry_run && !upg_run_transactional(run)) {
		/* As for other tasks: what cannot be undone is not tried. */
		run->executed++;
		upg_run_task_event(run, UPGRADE_EVENT_TASK_PLANNED, task, UPGRADE_OK, 0, 0);
		return UPGRADE_OK;
	}
	if (task->fn != NULL) {
		if ((ret = upg_run_tx_begin(run)) != UPGRADE_OK)
			goto fail;
		ret = task->fn(&ctx, task->userdata);
		if (ret < 0) {
			if (run->conn->err.code == UPGRADE_OK)
				upg_error_set(&run->conn->err, ret, "raw task %s returned %d (%s)", task->id,
				              ret, upgrade_strerror(ret));
			goto fail;
		}
		changed = ret == UPGRADE_OK || ctx.changed;
		if ((ret = upg_run_tx_commit(run)) != UPGRADE_OK)
			goto fail;
	} else {
		ret = upg_task_resolve(&res, task, run->conn->dialect->name, &run->conn->err);
		if (ret != UPGRADE_OK)
			goto fail;
		ret = upg_guard_eval(&ctx, res->guard, &holds);
		if (ret != UPGRADE_OK)
			goto fail;
		for (u = 0; holds && u < res->nunits; u++) {
			size_t nruns = res->units[u].each_schema ? nschemas : 1;

			step = (unsigned long)u + 1;
			for (s = 0; s < nruns; s++) {
				ret = run_raw_step(run, &ctx, &res->units[u],
				                   res->units[u].each_schema ? schemas[s] : NULL,
				                   &changed);
				if (ret != UPGRADE_OK)
					goto fail;
			}
		}
	}
	upg_resolved_free(res);
	if (changed) {
		run->executed++;
		upg_run_task_event(run, UPGRADE_EVENT_TASK_DONE, task, UPGRADE_OK,
		                   upg_now_ms() - start, 1);
	} else {
		upg_run_task_event(run, UPGRADE_EVENT_TASK_NOTHING, task, UPGRADE_NOTHING_DONE,
		                   upg_now_ms() - start, 1);
	}
	return UPGRADE_OK;
fail:
	upg_run_tx_abandon(run);
	upg_run_fail_event(run, task, ret, step, res != NULL ? (unsigned long)res->nunits : 0,
	                   upg_now_ms() - start);
	upg_resolved_free(res);
	return ret;
}

/*
 * `upgrade sql`: raw tasks run before the schemas with the list of them,
 * often in C, and each step commits on its own; their statements depend on
 * what the run finds, so they are named, not shown.
 */
static int
show_raw_tasks(struct upg_run *run)
{
	const struct upgrade_catalog *cat = run->r->cat;
	struct upg_buf buf = UPG_BUF_INIT;
	struct upgrade_event ev;
	size_t i;

	for (i = 0; i < cat->nplan; i++)
		if (cat->plan[i]->flags & UPGRADE_TASK_RAW)
			upg_buf_printf(&buf, "-- upgrade: raw task %s runs here, once for the database; "
			                     "its statements are not shown\n",
			               cat->plan[i]->id);
	if (buf.failed) {
		upg_buf_free(&buf);
		return upg_error_oom(&run->conn->err);
	}
	upg_run_event_init(&ev, UPGRADE_EVENT_SQL, run->schema);
	ev.message = upg_buf_str(&buf);
	upg_run_emit(run, &ev);
	upg_buf_free(&buf);
	return UPGRADE_OK;
}

/*
 * The raw phase: every raw task of the plan, once, on conn and its current
 * schema, under a lock of their own, between RAW_START and RAW_DONE.
 * Returns the number of tasks executed, or a negative code with the error
 * copied to the runner.  A dry run that holds its phase transaction leaves
 * it open for the schemas and sets r->held (upgrade_runner_run rolls it
 * back).
 */
int
upg_run_raw(struct upgrade_runner *r, struct upgrade_conn *conn,
            const struct upg_schema_list *schemas)
{
	struct upg_run run = {.r = r, .conn = conn};
	const struct upgrade_catalog *cat = r->cat;
	struct upg_buf joined = UPG_BUF_INIT;
	struct upg_lock *lock = NULL;
	struct upgrade_event ev;
	char *own = NULL;
	size_t i;
	int ret = UPGRADE_OK, any = 0;

	for (i = 0; i < cat->nplan; i++)
		any |= (cat->plan[i]->flags & UPGRADE_TASK_RAW) != 0;
	if (!any)
		return UPGRADE_OK;
	for (i = 0; i < schemas->n; i++)
		upg_buf_printf(&joined, "%s%s", i ? ", " : "", schemas->names[i]);
	if ((ret = upg_run_current_schema(conn, &own)) != UPGRADE_OK) {
		upg_buf_free(&joined);
		/* --schema names the targets, not where the raw tasks run. */
		if (ret == UPGRADE_ENOTFOUND)
			return upg_error_set(&r->err, ret,
			                     "the raw tasks run in the connection's own schema (database), "
			                     "and this connection has none: name one in the connection "
			                     "string (Database=...)");
		return upg_error_copy(&r->err, &conn->err);
	}
	run.schema = own;
	upg_run_event_init(&ev, UPGRADE_EVENT_RAW_START, upg_buf_str(&joined));
	upg_run_emit(&run, &ev);
	if (r->sql_only) {
		ret = show_raw_tasks(&run);
		goto done;
	}
	/* Raw tasks run once per database: a lock of their own keeps two runs from overlapping. */
	if (conn->dialect->lock_try != NULL)
		ret = upg_run_lock_schema(&run, UPG_RAW_LOCK, &lock);
	if (ret == UPGRADE_OK)
		ret = upg_run_phase_begin(&run);
	for (i = 0; ret == UPGRADE_OK && i < cat->nplan; i++)
		if (cat->plan[i]->flags & UPGRADE_TASK_RAW)
			ret = run_raw_task(&run, cat->plan[i], (const char *const *)schemas->names,
			                   schemas->n);
	if (ret == UPGRADE_OK && run.outer) {
		r->held = 1;
		run.outer = 0;
	}
	upg_run_phase_rollback(&run);
	upg_lock_release(lock);
done:
	upg_run_event_init(&ev, UPGRADE_EVENT_RAW_DONE, upg_buf_str(&joined));
	ev.count = run.executed;
	ev.code = ret;
	if (ret != UPGRADE_OK) {
		ev.message = upg_error_message(&conn->err);
		ev.sqlstate = conn->err.sqlstate;
	}
	upg_run_emit(&run, &ev);
	upg_buf_free(&joined);
	free(own);
	if (ret != UPGRADE_OK)
		upg_error_copy(&r->err, &conn->err);
	return ret != UPGRADE_OK ? ret : (int)run.executed;
}
