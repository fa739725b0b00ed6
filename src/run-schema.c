/* SPDX-License-Identifier: MIT */
/*
 * run-schema.c - one schema's run.
 *
 * Switch to the schema, take its lock, read its state once, record the
 * modules seen for the first time (baseline), and run every pending task,
 * each module's install block where its first task would run.  A schema
 * whose state shows nothing to do is left at that, without the lock.  The
 * baseline command shares the recording of modules first seen.
 */
#include "config.h"

#include <stdlib.h>

#include "run.h"

/* Records every task of mod but the raw ones as done; returns how many, or -1 when out of memory. */
static long
record_all(const struct upgrade_catalog *cat, struct upg_state_module *m,
           const struct upgrade_module *mod, const char *how)
{
	long count = 0;
	size_t j;

	for (j = 0; j < cat->nplan; j++) {
		const struct upgrade_task *t = cat->plan[j];
		/* Raw tasks are never recorded: they run every time. */
		if (t->module != mod || (t->flags & UPGRADE_TASK_RAW))
			continue;
		if (upg_run_record(m, t, -1, how) != UPGRADE_OK)
			return -1;
		count++;
	}
	return count;
}

static void
baseline_event(struct upg_run *run, const struct upgrade_module *mod, long count)
{
	struct upgrade_event ev;

	upg_run_event_init(&ev, UPGRADE_EVENT_BASELINE, run->schema);
	ev.module = mod->name;
	ev.task = mod->install;
	ev.count = count;
	upg_run_emit(run, &ev);
}

/*
 * A complete install on an engine without transactional DDL: its journal
 * entry gives way to the module's tasks, in one transaction, so that a
 * death in between leaves the entry, which the next run completes here.
 */
static int
install_recorded(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
                 const struct upgrade_module *mod)
{
	long count, start = upg_now_ms();
	int ret;

	upg_state_forget(m, UPG_INSTALL_NAME);
	if ((count = record_all(run->r->cat, m, mod, "install")) < 0)
		return upg_error_oom(&run->conn->err);
	if (!run->r->dry_run && (ret = upg_run_save_alone(run, st, m)) != UPGRADE_OK) {
		/* The install's entry stays: the next run records the tasks, and status says so. */
		upg_run_fail_event(run, mod->install, ret, 0, 0, upg_now_ms() - start);
		return ret;
	}
	baseline_event(run, mod, count);
	return UPGRADE_OK;
}

/* The install block and the module's tasks in one transaction (or savepoint). */
static int
install_tx(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
           const struct upgrade_module *mod, const struct upg_resolved *res)
{
	const struct upgrade_task *inst = mod->install;
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT, .conn = run->conn,
	                              .schema = run->schema, .task = inst,
	                              .dry_run = run->r->dry_run};
	unsigned long failed_at = 0;
	long start = upg_now_ms(), count;
	int nothing = 0, ret;

	if ((ret = upg_run_tx_begin(run)) != UPGRADE_OK)
		goto fail;
	if ((ret = upg_run_body(run, &ctx, inst, res, &nothing, &failed_at)) != UPGRADE_OK)
		goto fail;
	if ((count = record_all(run->r->cat, m, mod, "install")) < 0) {
		ret = upg_error_oom(&run->conn->err);
		goto fail;
	}
	/* A dry run has no state table to write to; the tasks are recorded in memory only. */
	if (!run->r->dry_run && (ret = upg_state_save(st, m)) != UPGRADE_OK)
		goto fail;
	if ((ret = upg_run_tx_commit(run)) != UPGRADE_OK)
		goto fail;
	run->executed++;
	upg_run_task_event(run, UPGRADE_EVENT_TASK_DONE, inst, UPGRADE_OK, upg_now_ms() - start, 1);
	baseline_event(run, mod, count);
	return UPGRADE_OK;
fail:
	upg_run_tx_abandon(run);
	upg_state_discard_writes(m);
	upg_run_fail_event(run, inst, ret, failed_at, upg_run_action_count(res),
	                   upg_now_ms() - start);
	return ret;
}

/*
 * Runs the install block of a module first seen (or whose install did not
 * finish) and records all its tasks: on transactional engines in one
 * transaction; elsewhere journaled as the task UPG_INSTALL_NAME, so that
 * a half-done install is reported partly applied and resumed like a task.
 */
static int
install_module(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
               const struct upgrade_module *mod)
{
	const struct upgrade_task *inst = mod->install;
	struct upg_resolved *res = NULL;
	int ret;

	if ((ret = upg_run_announce_task(run, inst, &res)) != UPGRADE_OK)
		return ret;
	if (run->r->sql_only) {
		ret = upg_run_task_sql(run, inst, res);
		/* The install records the module's tasks, which a run then does not send: nor does sql. */
		if (ret == UPGRADE_OK && record_all(run->r->cat, m, mod, "install") < 0)
			ret = upg_error_oom(&run->conn->err);
		upg_state_discard_writes(m);
	} else if (upg_run_transactional(run)) {
		ret = install_tx(run, st, m, mod, res);
	} else {
		ret = upg_run_task_journal(run, st, m, inst, res);
		if (ret == UPGRADE_OK)
			ret = install_recorded(run, st, m, mod);
	}
	upg_resolved_free(res);
	return ret;
}

/* An install whose journal is open, or whose entry was not yet replaced by the tasks. */
int
upg_run_install_unfinished(const struct upg_state_module *m)
{
	unsigned long done, total;
	const char *err = NULL, *at = NULL;

	return m != NULL && m->exists &&
	       (upg_state_get_partial(m, UPG_INSTALL_NAME, &done, &total, &err, &at) ||
	        upg_state_is_executed(m, UPG_INSTALL_NAME));
}

/*
 * Installs module i if due[i] says so (a run clears it): a module first
 * seen, or whose install did not finish.  It runs where the module's first
 * task would, so that the pending tasks of the modules it depends on have
 * run before, as they would have before a task of its own.
 */
static int
install_due(struct upg_run *run, struct upg_state *st, unsigned char *due, size_t i)
{
	const struct upgrade_module *mod = run->r->cat->modules[i];
	struct upg_state_module *m = upg_state_find(st, mod->name);
	unsigned long done, total;
	const char *err = NULL, *at = NULL;

	if (!due[i])
		return UPGRADE_OK;
	due[i] = 0;
	if (m == NULL && (m = upg_state_add(st, mod->name)) == NULL)
		return upg_error_oom(&run->conn->err);
	if (m->exists && !upg_state_get_partial(m, UPG_INSTALL_NAME, &done, &total, &err, &at))
		return install_recorded(run, st, m, mod);
	return install_module(run, st, m, mod);
}

/*
 * Every catalog module the schema has not seen yet has its tasks recorded
 * as done; with due (a run), a module with an install block is marked due
 * instead, as is one whose install did not finish (see install_due).  The
 * baseline command (due NULL) records every module.
 */
int
upg_run_baseline(struct upg_run *run, struct upg_state *st, int log, unsigned char *due)
{
	const struct upgrade_catalog *cat = run->r->cat;
	size_t i;
	int ret;

	for (i = 0; i < cat->nmodules; i++) {
		const struct upgrade_module *mod = cat->modules[i];
		struct upg_state_module *m = upg_state_find(st, mod->name);
		long count;

		if (due != NULL && mod->install != NULL &&
		    (m == NULL || !m->exists || upg_run_install_unfinished(m))) {
			due[i] = 1;
			continue;
		}
		if (m != NULL && m->exists)
			continue;
		if (m == NULL && (m = upg_state_add(st, mod->name)) == NULL)
			return upg_error_oom(&run->conn->err);
		if ((count = record_all(cat, m, mod, "baseline")) < 0)
			return upg_error_oom(&run->conn->err);
		if (log && upg_state_log(m, "baseline", NULL) != UPGRADE_OK)
			return upg_error_oom(&run->conn->err);
		/* The row and its tasks in one transaction: a baseline is all or nothing. */
		if (!run->r->dry_run && (ret = upg_run_save_alone(run, st, m)) != UPGRADE_OK)
			return ret;
		baseline_event(run, mod, count);
	}
	return UPGRADE_OK;
}

/*
 * Whether the schema has nothing for this run, as its state says when read
 * without the lock: every module seen and none to install, every task of
 * the plan recorded, none always-run and none half done.  A state only
 * gains tasks, so nothing can make that false but another catalog, and a
 * run of this one has nothing to do whenever it would get the lock: it
 * neither takes the lock nor waits behind another run for it (a run with
 * nothing to do on PostgreSQL: three statements fewer, 1 ms of the
 * server's time on a fresh session).  Only real runs ask: a dry run keeps
 * its one transaction.  Anything else, an error included (the locked read
 * meets it again and reports it), leaves the schema to the locked path.
 */
static int
settled_unlocked(struct upg_run *run)
{
	const struct upgrade_catalog *cat = run->r->cat;
	struct upg_state *st = NULL;
	struct upg_state_module *m;
	unsigned long done, total;
	const char *err, *at;
	size_t i;
	int settled = 1;

	if (run->r->dry_run || run->r->held || run->r->sql_only || run->conn->dialect->lock_try == NULL)
		return 0;
	if (upg_run_use_schema(run->conn, run->schema) != UPGRADE_OK ||
	    upg_state_probe(&st, run->conn, run->schema) != UPGRADE_OK || st == NULL) {
		upg_error_clear(&run->conn->err);
		return 0;
	}
	/* As upg_run_baseline() and install_due() would find them: nothing to record or install. */
	for (i = 0; settled && i < cat->nmodules; i++) {
		m = upg_state_find(st, cat->modules[i]->name);
		settled = m != NULL && m->exists &&
		          !(cat->modules[i]->install != NULL && upg_run_install_unfinished(m));
	}
	/* As upg_run_task() would find them: each returns before anything runs. */
	for (i = 0; settled && i < cat->nplan; i++) {
		const struct upgrade_task *t = cat->plan[i];

		if (t->flags & UPGRADE_TASK_RAW)
			continue;
		m = upg_state_find(st, t->module->name);
		settled = m != NULL && !(t->flags & UPGRADE_TASK_ALWAYS_RUN) &&
		          upg_state_is_executed(m, t->name) &&
		          !upg_state_get_partial(m, t->name, &done, &total, &err, &at);
	}
	upg_state_free(st);
	return settled;
}

/*
 * The work of one schema, its state open and locked: baseline, then every
 * pending task, each install block where its module's first task would
 * run.  held: inside the dry run's transaction.  Returns UPGRADE_OK or the
 * first failure's code; the caller closes *lock and *st, after the
 * schema's savepoint when held.
 */
static int
run_open_schema(struct upg_run *run, int held, struct upg_lock **lock, struct upg_state **st)
{
	const struct upgrade_catalog *cat = run->r->cat;
	const struct upgrade_module *last = NULL;
	unsigned char *due = calloc(cat->nmodules + 1, 1);
	size_t i, j;
	int ret;

	ret = upg_run_open_schema(run, lock, st, !run->r->dry_run);
	if (ret == UPGRADE_OK && run->r->sql_only)
		ret = upg_run_sql_use_schema(run);
	if (ret == UPGRADE_OK && due == NULL)
		ret = upg_error_oom(&run->conn->err);
	if (ret == UPGRADE_OK)
		ret = upg_run_baseline(run, *st, 0, due);
	if (ret == UPGRADE_OK && held)
		run->outer = 1;
	else if (ret == UPGRADE_OK)
		ret = upg_run_phase_begin(run);
	for (i = 0; ret == UPGRADE_OK && i < cat->nplan; i++) {
		const struct upgrade_task *t = cat->plan[i];

		if (t->flags & UPGRADE_TASK_RAW)
			continue;
		for (j = 0; t->module != last && j < cat->nmodules; j++)
			if (cat->modules[j] == t->module)
				ret = install_due(run, *st, due, j);
		last = t->module;
		if (ret == UPGRADE_OK)
			ret = upg_run_task(run, *st, t);
	}
	/* Modules without a task of their own to run. */
	for (j = 0; ret == UPGRADE_OK && j < cat->nmodules; j++)
		ret = install_due(run, *st, due, j);
	free(due);
	return ret;
}

/*
 * One schema (run->schema): nothing when its state shows nothing to do,
 * else its work under its lock.  Emits SCHEMA_START and SCHEMA_DONE
 * around it; run->executed counts the tasks executed.  Returns UPGRADE_OK
 * or the first failure's code, its message on the connection: a schema
 * stops at its first failure.
 */
int
upg_run_schema(struct upg_run *run)
{
	struct upg_lock *lock = NULL;
	struct upg_state *st = NULL;
	struct upgrade_event ev;
	long start = upg_now_ms();
	int ret = UPGRADE_OK, held = 0;

	upg_run_event_init(&ev, UPGRADE_EVENT_SCHEMA_START, run->schema);
	ev.index = run->index;
	ev.count = run->total;
	upg_run_emit(run, &ev);
	if (run->r->held) {
		/* Inside the dry run's open transaction: this schema is a savepoint in it. */
		ret = upg_db_exec(run->conn, "SAVEPOINT " SCHEMA_SAVEPOINT);
		held = ret == UPGRADE_OK;
	}
	if (ret == UPGRADE_OK && !settled_unlocked(run))
		ret = run_open_schema(run, held, &lock, &st);
	if (held) {
		struct upg_error keep = UPG_ERROR_INIT;

		/* A failure before the tasks (the state read) leaves the savepoint aborted. */
		upg_error_stash(&keep, &run->conn->err);
		if (ret != UPGRADE_OK)
			upg_db_exec(run->conn, "ROLLBACK TO SAVEPOINT " SCHEMA_SAVEPOINT);
		upg_db_exec(run->conn, "RELEASE SAVEPOINT " SCHEMA_SAVEPOINT);
		upg_error_restore(&run->conn->err, &keep);
		run->outer = 0;
	}
	upg_run_phase_rollback(run);
	upg_run_close_schema(lock, st);
	upg_run_sql_forget(run);
	upg_run_event_init(&ev, UPGRADE_EVENT_SCHEMA_DONE, run->schema);
	ev.count = run->executed;
	ev.code = ret;
	ev.duration_ms = upg_now_ms() - start;
	if (ret != UPGRADE_OK) {
		ev.message = upg_error_message(&run->conn->err);
		ev.sqlstate = run->conn->err.sqlstate;
	}
	upg_run_emit(run, &ev);
	return ret;
}
