/* SPDX-License-Identifier: MIT */
/*
 * run-repair.c - the commands that correct a schema's state by hand:
 * baseline (record every module not seen yet as done), mark and unmark
 * (record or forget one task).
 *
 * Each writes under the schema's lock, in a transaction of its own per
 * module, and leaves a line in the module's log.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "run.h"

static int
baseline_schema(struct upg_run *run, struct upg_state *st, void *ud)
{
	return upg_run_baseline(run, st, 1, NULL);
}

int
upgrade_runner_baseline(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	if (UPG_IS(r, RUNNER) && r->dry_run)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "a baseline cannot be a dry run");
	return upg_run_each_schema(r, conn, 1, baseline_schema, NULL);
}

struct mark_ctx {
	const struct upgrade_task *task;
	const char *module, *name;
	int mark;
};

/*
 * A module this schema never saw gets its first sight from a run (its
 * install block, or the baseline): a row made by a mark would stand in for
 * it, and the module's other tasks would then run on an empty schema.
 */
static int
refuse_unseen(struct upg_run *run, const struct mark_ctx *mc)
{
	return upg_error_set(&run->conn->err, UPGRADE_EINVAL,
	                     "module %s was never seen in %s: run it first (it installs the module or "
	                     "records its tasks as done), or record it with 'upgrade baseline'",
	                     mc->module, run->schema);
}

/* Read first, so that a mark refused in one schema is made in none. */
static int
mark_seen(struct upg_run *run, struct upg_state *st, void *ud)
{
	const struct mark_ctx *mc = ud;
	const struct upg_state_module *m = upg_state_find(st, mc->module);

	return m == NULL || !m->exists ? refuse_unseen(run, mc) : UPGRADE_OK;
}

static int
mark_schema(struct upg_run *run, struct upg_state *st, void *ud)
{
	struct mark_ctx *mc = ud;
	struct upg_state_module *m = upg_state_find(st, mc->module);
	int ret;

	/* Nothing recorded, nothing to forget; a mark was refused by mark_seen() first. */
	if (m == NULL || !m->exists)
		return mc->mark ? refuse_unseen(run, mc) : UPGRADE_OK;
	if (mc->mark)
		ret = mc->task != NULL ? upg_run_record(m, mc->task, -1, "mark")
		                       : upg_state_record(m, mc->name, NULL, -1, "mark");
	else
		ret = upg_state_forget(m, mc->name);
	if (ret == UPGRADE_OK)
		ret = upg_state_log(m, mc->mark ? "mark" : "unmark", mc->name);
	if (ret != UPGRADE_OK)
		return upg_error_oom(&run->conn->err);
	return upg_run_save_alone(run, st, m);
}

/*
 * Records (on) or forgets task_id ("module:name") in every target schema,
 * with a line in each module's log.  Marking needs a task of the catalog;
 * forgetting also takes a name that no catalog has any more.  Raw tasks
 * are never recorded, so neither is accepted for them.
 */
static int
mark_or_unmark(struct upgrade_runner *r, struct upgrade_conn *conn, const char *task_id, int on)
{
	struct mark_ctx mc;
	const char *colon;
	char *module;
	int ret;

	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	upg_error_clear(&r->err);
	if (!UPG_IS(conn, CONN))
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no connection handle");
	if (task_id == NULL)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no task id");
	colon = strchr(task_id, ':');
	if (colon == NULL || colon == task_id || colon[1] == '\0')
		return upg_error_set(&r->err, UPGRADE_EINVAL, "'%s' is not a task id (module:name)",
		                     task_id);
	mc.task = upgrade_catalog_find_task(r->cat, task_id);
	/* Marking needs a task the catalog knows; forgetting also works for names no catalog has. */
	if (on && mc.task == NULL)
		return upg_error_set(&r->err, UPGRADE_ENOTFOUND, "no task %s in the catalogs", task_id);
	if (mc.task != NULL && (mc.task->flags & UPGRADE_TASK_RAW))
		return upg_error_set(&r->err, UPGRADE_EINVAL,
		                     "%s is a raw task: raw tasks are never recorded", task_id);
	module = upg_strndup(task_id, (size_t)(colon - task_id));
	if (module == NULL)
		return upg_error_oom(&r->err);
	mc.module = module;
	mc.name = colon + 1;
	mc.mark = on;
	/* Neither creates the state tables: where they are missing nothing is recorded. */
	ret = on ? upg_run_each_schema(r, conn, 0, mark_seen, &mc) : UPGRADE_OK;
	if (ret == UPGRADE_OK)
		ret = upg_run_each_schema(r, conn, 2, mark_schema, &mc);
	free(module);
	return ret;
}

int
upgrade_runner_mark(struct upgrade_runner *r, struct upgrade_conn *conn, const char *task_id)
{
	return mark_or_unmark(r, conn, task_id, 1);
}

int
upgrade_runner_unmark(struct upgrade_runner *r, struct upgrade_conn *conn, const char *task_id)
{
	return mark_or_unmark(r, conn, task_id, 0);
}
