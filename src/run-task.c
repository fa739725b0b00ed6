/* SPDX-License-Identifier: MIT */
/*
 * run-task.c - running one task and recording it.
 *
 * On engines with transactional DDL a task runs in one transaction
 * together with its state update.  Engines without it (MariaDB) cannot
 * undo a half-done task, so there the state must never lie, not even when
 * the process dies while the server runs a statement: the task's progress
 * is journaled action by action, a DML action in one transaction with its
 * entry, any other with its start written before it and its end after.
 * A failure leaves "partly applied" with the actions that committed, a
 * death inside a non-transactional action leaves that action unknown, and
 * the next run refuses to run the task blind (--resume continues after
 * the last committed action; only --resume-from settles an unknown one).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "run.h"

/*
 * Runs a task's body (guard, then actions or the C function) on the open
 * transaction, step after step, each behind its own guard.  *nothing is
 * set when a guard did not hold, a C task said so, or no action that ran
 * could have changed anything (every step skipped, only assertions, native
 * functions that said so); *failed_at names the failing action (1-based,
 * counted over all steps).
 */
int
upg_run_body(struct upg_run *run, struct upgrade_context *ctx, const struct upgrade_task *task,
             const struct upg_resolved *res, int *nothing, unsigned long *failed_at)
{
	int holds, ret, changed = 0;
	unsigned long k = 0;
	size_t u, i;

	*nothing = 0;
	*failed_at = 0;
	if (task->fn != NULL) {
		ret = task->fn(ctx, task->userdata);
		if (ret == UPGRADE_NOTHING_DONE) {
			*nothing = 1;
			return UPGRADE_OK;
		}
		if (ret < 0 && run->conn->err.code == UPGRADE_OK)
			upg_error_set(&run->conn->err, ret, "task %s returned %d (%s)", task->id, ret,
			              upgrade_strerror(ret));
		return ret < 0 ? ret : UPGRADE_OK;
	}
	ret = upg_guard_eval(ctx, res->guard, &holds);
	if (ret != UPGRADE_OK)
		return ret;
	if (!holds) {
		*nothing = 1;
		return UPGRADE_OK;
	}
	for (u = 0; u < res->nunits; u++) {
		const struct upg_unit *unit = &res->units[u];

		if ((ret = upg_guard_eval(ctx, unit->guard, &holds)) != UPGRADE_OK) {
			*failed_at = k + 1;
			return ret;
		}
		for (i = 0; i < unit->nactions; i++, k++) {
			if (!holds)
				continue;
			ret = upg_action_exec(ctx, unit->actions[i]);
			if (ret < 0) {
				*failed_at = k + 1;
				return ret;
			}
			changed |= ret == UPGRADE_OK;
		}
	}
	/* A task without actions did what it says: it is not "nothing to do". */
	*nothing = !changed && k > 0;
	return UPGRADE_OK;
}

/* How many actions a resolved task has, over all its steps (a task in C: none). */
unsigned long
upg_run_action_count(const struct upg_resolved *res)
{
	unsigned long n = 0;
	size_t u;

	for (u = 0; res != NULL && u < res->nunits; u++)
		n += (unsigned long)res->units[u].nactions;
	return n;
}

/* The unit of action i (0-based, counted over all units), its index in it in *k. */
static const struct upg_unit *
unit_of(const struct upg_resolved *res, unsigned long i, size_t *k)
{
	size_t u;

	for (u = 0; u < res->nunits; u++) {
		if (i < res->units[u].nactions) {
			*k = (size_t)i;
			return &res->units[u];
		}
		i -= res->units[u].nactions;
	}
	*k = 0;
	return NULL;
}

/*
 * Reports a task that ran to its end, started at start: an always-run task
 * that found nothing to do (quiet) is not counted; any other is, and says
 * whether it did anything (nothing: its guard did not hold).
 */
static void
report_task_done(struct upg_run *run, const struct upgrade_task *task, int quiet, int nothing,
                 long start)
{
	if (quiet) {
		upg_run_task_event(run, UPGRADE_EVENT_TASK_NOTHING, task, UPGRADE_NOTHING_DONE,
		                   upg_now_ms() - start, 1);
		return;
	}
	run->executed++;
	upg_run_task_event(run, UPGRADE_EVENT_TASK_DONE, task,
	                   nothing ? UPGRADE_NOTHING_DONE : UPGRADE_OK, upg_now_ms() - start, 1);
}

/*
 * A task on an engine with transactional DDL: one transaction, work and
 * state together.  res is NULL for a task in C.  Emits TASK_DONE,
 * TASK_NOTHING or TASK_FAILED; after a failure nothing of the task stays,
 * neither in the database nor in m, and the error is on the connection.
 */
static int
run_task_tx(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
            const struct upgrade_task *task, const struct upg_resolved *res)
{
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT,
	                              .conn = run->conn,
	                              .schema = run->schema,
	                              .task = task,
	                              .dry_run = run->r->dry_run};
	unsigned long failed_at = 0;
	long start = upg_now_ms();
	int nothing = 0, ret, always = (task->flags & UPGRADE_TASK_ALWAYS_RUN) != 0;
	int recorded = upg_state_is_executed(m, task->name);

	if ((ret = upg_run_tx_begin(run)) != UPGRADE_OK)
		goto fail;
	ret = upg_run_body(run, &ctx, task, res, &nothing, &failed_at);
	if (ret != UPGRADE_OK)
		goto fail;
	/* An always-run task that found nothing to do, already recorded: nothing to write either. */
	if (!run->r->dry_run && !(always && nothing && recorded)) {
		ret = upg_run_record(m, task, upg_now_ms() - start, "run");
		if (ret == UPGRADE_OK)
			ret = upg_state_save(st, m);
		if (ret != UPGRADE_OK)
			goto fail;
	}
	if ((ret = upg_run_tx_commit(run)) != UPGRADE_OK)
		goto fail;
	report_task_done(run, task, always && nothing, nothing, start);
	return UPGRADE_OK;
fail:
	upg_run_tx_abandon(run);
	/* The in-memory state may hold the rolled-back record; forget it. */
	if (!recorded && upg_state_is_executed(m, task->name))
		upg_state_forget(m, task->name);
	upg_state_discard_writes(m);
	upg_run_fail_event(run, task, ret, failed_at, upg_run_action_count(res),
	                   upg_now_ms() - start);
	return ret;
}

/*
 * Whether an action can commit together with the journal entry that
 * records it: only a <sql> statement the dialect vouches for.  Operations
 * are DDL, and a <native> action may run anything.
 */
static int
action_transactional(const struct upg_run *run, const struct upg_node *action)
{
	const struct upg_dialect *d = run->conn->dialect;

	return action->kind == UPG_NODE_SQL && d->statement_transactional != NULL &&
	       d->statement_transactional(action->text);
}

/* The checksum of the task's body as the catalog has it now; NULL when out of memory. */
static const char *
body_sum(const struct upgrade_task *task)
{
	const char *sum = NULL;

	return upg_task_checksum(task, &sum) == UPGRADE_OK ? sum : NULL;
}

/*
 * Saves the module's state as one transaction when none is open and the
 * save is more than the module's row: a record also writes the task's row
 * in upgrade_tasks, and the first must not commit without the second.  A
 * journal entry alone is one statement, atomic as it is.  On failure
 * nothing of it is stored, and the error stays on the connection.
 */
static int
journal_save(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
             const struct upgrade_task *task)
{
	/* An entry of a task not recorded yet holds only while no other run records it. */
	if (!upg_state_is_executed(m, task->name) && upg_state_guard(m, task->name) != UPGRADE_OK)
		return upg_error_oom(&run->conn->err);
	if (!run->conn->autocommit || m->nwrites == 0)
		return upg_state_save(st, m);
	return upg_run_save_alone(run, st, m);
}

/*
 * Writes the journal entry for "done of total statements committed": the
 * task's record once all are, else the progress, with the intent of
 * statement done + 1 when running is set.  In whatever transaction the
 * connection is in.
 */
static int
journal_write(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
              const struct upgrade_task *task, unsigned long done, unsigned long total, int running,
              long start)
{
	int ret;

	if (done == total)
		ret = upg_run_record(m, task, upg_now_ms() - start, "run");
	else if (running)
		ret = upg_state_set_running(m, task->name, done, total, NULL, body_sum(task));
	else
		ret = upg_state_set_partial(m, task->name, done, total, NULL, body_sum(task));
	if (ret != UPGRADE_OK)
		return upg_error_oom(&run->conn->err);
	return journal_save(run, st, m, task);
}

/*
 * After statement done + 1 failed: the journal says done committed, and
 * the failure.  A statement that ran in a transaction was rolled back with
 * it.  One that commits on its own (unknown set) may have committed in part
 * before it failed (MariaDB drops the tables of "DROP TABLE a, nosuch, b"
 * that exist, then fails), so it stays unknown, with the failure.  The
 * failure's message stays on the connection.  When even this write fails
 * (the connection died), an intent already written stays, and the
 * statement is reported unknown: it may have committed before the end.
 */
static void
journal_failed(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
               const struct upgrade_task *task, int recorded, unsigned long done,
               unsigned long total, int unknown)
{
	struct upg_error keep = UPG_ERROR_INIT;

	upg_error_stash(&keep, &run->conn->err);
	if (!run->conn->autocommit)
		upg_db_rollback(run->conn);
	/* The in-memory state may hold what was rolled back; forget it. */
	if (!recorded && upg_state_is_executed(m, task->name))
		upg_state_forget(m, task->name);
	upg_state_discard_writes(m);
	if ((unknown ? upg_state_set_running(m, task->name, done, total, upg_error_message(&keep),
	                                     body_sum(task))
	             : upg_state_set_partial(m, task->name, done, total, upg_error_message(&keep),
	                                     body_sum(task))) == UPGRADE_OK)
		journal_save(run, st, m, task);
	upg_error_restore(&run->conn->err, &keep);
}

/*
 * The failure a journal recorded, as detail lines under a one-line message:
 * "  earlier failure: ..." with its own detail lines indented further.
 */
static void
earlier_failure(struct upg_buf *out, const char *perr)
{
	const char *p;

	if (perr == NULL)
		return;
	upg_buf_puts(out, "\n  earlier failure: ");
	for (p = perr; *p != '\0'; p++) {
		if (*p == '\n')
			upg_buf_puts(out, "\n  ");
		else
			upg_buf_append(out, p, 1);
	}
}

/*
 * "--schema NAME " when the run has several schemas, for advice to run
 * again with --resume-from, which takes one schema; the name quoted for
 * a POSIX shell where it needs it.
 */
static void
schema_option(const struct upg_run *run, struct upg_buf *out)
{
	const char *p;

	if (run->total <= 1 || run->schema == NULL)
		return;
	upg_buf_puts(out, "--schema ");
	if (run->schema[strspn(run->schema, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                    "0123456789_.-")] == '\0' && run->schema[0] != '\0') {
		upg_buf_puts(out, run->schema);
	} else {
		upg_buf_putc(out, '\'');
		for (p = run->schema; *p != '\0'; p++)
			if (*p == '\'')
				upg_buf_puts(out, "'\\''");
			else
				upg_buf_putc(out, *p);
		upg_buf_putc(out, '\'');
	}
	upg_buf_putc(out, ' ');
}

/*
 * Where a partly applied task continues (0-based, in *done), or a refusal
 * (UPGRADE_ERROR, the reason on the connection): a statement whose outcome
 * is unknown needs the user's word (--resume-from or mark), any other
 * partial state --resume.  The user's word is written to the journal
 * first, so that a second interruption does not ask again.
 */
static int
journal_resume_point(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
                     const struct upgrade_task *task, unsigned long total, unsigned long *done)
{
	unsigned long pdone, ptotal, running = upg_state_get_running(m, task->name);
	unsigned long from = run->r->resume_from;
	const char *perr = NULL, *pat = NULL;
	char event[40];

	upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat);
	if (from > 0) {
		if (from > total + 1)
			return upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                     "task %s has %lu statements: --resume-from %lu is past its end "
			                     "(%lu records it as done)",
			                     task->id, total, from, total + 1);
		*done = from - 1;
		/* A dry run writes nothing, the user's word included. */
		if (run->r->dry_run)
			return UPGRADE_OK;
		snprintf(event, sizeof event, "resume-from %lu", from);
		if (upg_state_set_partial(m, task->name, *done, total, NULL, body_sum(task)) != UPGRADE_OK ||
		    upg_state_log(m, event, task->name) != UPGRADE_OK)
			return upg_error_oom(&run->conn->err);
		return journal_save(run, st, m, task);
	}
	/* The journal counts the statements of the body it applied: another body's are not those. */
	{
		const char *was = upg_state_get_partial_checksum(m, task->name), *now = body_sum(task);
		char unknown[64] = "";

		struct upg_buf opt = UPG_BUF_INIT;
		int ret;

		if (running > 0)
			snprintf(unknown, sizeof unknown, ", statement %lu unknown", running);
		if (ptotal != total || (was != NULL && now != NULL && strcmp(was, now) != 0)) {
			schema_option(run, &opt);
			ret = upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                    "task %s changed after it was partly applied (%lu of %lu "
			                    "statements committed%s; it has %lu now): --resume cannot "
			                    "tell where to go on. Check the schema, then run again with "
			                    "%s--resume-from and the number of the first statement of the "
			                    "task as it is now that did not run",
			                    task->id, pdone, ptotal, unknown, total, upg_buf_str(&opt));
			upg_buf_free(&opt);
			return ret;
		}
	}
	if (running > 0 || !run->r->resume) {
		struct upg_buf why = UPG_BUF_INIT;
		struct upg_buf opt = UPG_BUF_INIT, mark = UPG_BUF_INIT;
		char when[64];
		int ret;

		schema_option(run, &opt);
		/* An install records its module's tasks when it ends: no mark stands in for it. */
		if (!(task->flags & UPGRADE_TASK_INSTALL)) {
			upg_buf_printf(&mark, ", or finish the task by hand and record it with 'upgrade mark %s",
			               task->id);
			if (opt.len > 0) {
				upg_buf_putc(&mark, ' ');
				upg_buf_append(&mark, opt.data, opt.len - 1);
			}
			upg_buf_putc(&mark, '\'');
		}
		earlier_failure(&why, perr);
		upg_time_rfc3339(pat != NULL ? pat : "?", when, sizeof when);
		if (running > 0)
			ret = upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                    "task %s %s during statement %lu of %lu (started at %s): whether "
			                    "it committed is unknown. Check the schema, then run again with "
			                    "%s--resume-from %lu if it did not commit or --resume-from %lu if "
			                    "it did%s%s",
			                    task->id, perr != NULL ? "failed" : "was interrupted", running,
			                    ptotal, when, upg_buf_str(&opt), running, running + 1,
			                    upg_buf_str(&mark), upg_buf_str(&why));
		else
			ret = upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                    "task %s is partly applied: %lu of %lu statements committed (at "
			                    "%s%s). Check the schema, then run again with --resume to continue "
			                    "with statement %lu%s%s",
			                    task->id, pdone, ptotal, when,
			                    perr != NULL ? "" : "; it was interrupted", pdone + 1,
			                    upg_buf_str(&mark), upg_buf_str(&why));
		upg_buf_free(&why);
		upg_buf_free(&opt);
		upg_buf_free(&mark);
		return ret;
	}
	*done = pdone;
	return UPGRADE_OK;
}

/*
 * A C task on an engine without transactional DDL: one statement to the
 * journal, of whatever kind.  It runs in a transaction that commits its
 * record with its work, but DDL in it commits on its own, so its intent
 * is written first.  A failure cannot say what committed before the
 * rollback: the intent stays, with the error, and the task is unknown.
 */
static int
run_c_task_journal(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
                   const struct upgrade_task *task)
{
	unsigned long done = 0, pdone, ptotal;
	const char *perr = NULL, *pat = NULL;
	long start = upg_now_ms();
	int ret;

	if (upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		if ((ret = journal_resume_point(run, st, m, task, 1, &done)) != UPGRADE_OK) {
			unsigned long running = upg_state_get_running(m, task->name);

			upg_run_fail_event(run, task, ret, running > 0 ? running : pdone + 1, 1, 0);
			return ret;
		}
		if (done >= 1) {
			if ((ret = journal_write(run, st, m, task, 1, 1, 0, start)) != UPGRADE_OK) {
				upg_run_fail_event(run, task, ret, 0, 1, upg_now_ms() - start);
				return ret;
			}
			run->executed++;
			upg_run_task_event(run, UPGRADE_EVENT_TASK_DONE, task, UPGRADE_OK,
			                   upg_now_ms() - start, 1);
			return UPGRADE_OK;
		}
	}
	if ((ret = journal_write(run, st, m, task, 0, 1, 1, start)) != UPGRADE_OK) {
		upg_run_fail_event(run, task, ret, 1, 1, upg_now_ms() - start);
		return ret;
	}
	ret = run_task_tx(run, st, m, task, NULL);
	if (ret != UPGRADE_OK) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &run->conn->err);
		if (upg_state_set_running(m, task->name, 0, 1, upg_error_message(&keep), body_sum(task)) ==
		    UPGRADE_OK)
			journal_save(run, st, m, task);
		upg_error_restore(&run->conn->err, &keep);
		return ret;
	}
	/* An always-run task that found nothing to do wrote no record to replace the intent. */
	if (upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		upg_state_clear_partial(m, task->name);
		if ((ret = journal_save(run, st, m, task)) != UPGRADE_OK)
			return ret;
	}
	return UPGRADE_OK;
}

/*
 * A task on an engine without transactional DDL, where the journal (the
 * task's partial state) must never lie about which statements committed.
 * A statement the dialect knows to run inside a transaction commits
 * together with its journal entry.  Any other commits on its own: its
 * intent is committed first and its result after it, so a process killed
 * in between leaves "statement k unknown", which the next run refuses to
 * guess about.  A run that goes on after such a statement writes its
 * result and the next statement's intent at once.
 */
int
upg_run_task_journal(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
                     const struct upgrade_task *task, const struct upg_resolved *res)
{
	struct upgrade_context ctx = {
	    .magic = UPG_MAGIC_CONTEXT, .conn = run->conn, .schema = run->schema, .task = task};
	unsigned long total = upg_run_action_count(res), done = 0, i, pdone, ptotal;
	const char *perr = NULL, *pat = NULL;
	long start = upg_now_ms();
	int holds = 1, ret, always = (task->flags & UPGRADE_TASK_ALWAYS_RUN) != 0;
	int recorded = upg_state_is_executed(m, task->name), announced = 0;
	int step_holds = 1, changed, wrote, finished = 0, nothing, resumed = 0;

	/* A partly applied task is refused, or continued, the same in a dry run. */
	if (task->fn == NULL && upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		resumed = 1;
		ret = journal_resume_point(run, st, m, task, total, &done);
		if (ret != UPGRADE_OK) {
			unsigned long running = upg_state_get_running(m, task->name);

			upg_run_fail_event(run, task, ret, running > 0 ? running : pdone + 1,
			                   ptotal, 0);
			return ret;
		}
	}
	if (run->r->dry_run) {
		/* Nothing can be tried and undone here: report the plan, unverified. */
		run->executed++;
		upg_run_task_event(run, UPGRADE_EVENT_TASK_PLANNED, task, UPGRADE_OK, 0, 0);
		return UPGRADE_OK;
	}
	if (task->fn != NULL)
		return run_c_task_journal(run, st, m, task);
	if (!resumed) {
		ret = upg_guard_eval(&ctx, res->guard, &holds);
		if (ret != UPGRADE_OK) {
			upg_run_fail_event(run, task, ret, 0, total, upg_now_ms() - start);
			return ret;
		}
	}
	/* A resumed task changed something before: it is never "nothing to do". */
	changed = wrote = resumed;
	for (i = done; holds && i < total; i++) {
		size_t k;
		const struct upg_unit *unit = unit_of(res, i, &k);
		const struct upg_node *action = unit->actions[k];
		/* The next statement's intent goes with this one's result only
		 * if nothing (a guard, an assertion) is asked in between. */
		int next_own = k + 1 < unit->nactions &&
		               unit->actions[k + 1]->kind != UPG_NODE_ASSERT &&
		               !action_transactional(run, unit->actions[k + 1]);

		/* A step's guard is asked as it begins; a run resumed inside a
		 * step goes on with it, its guard having held before. */
		ret = UPGRADE_OK;
		if (k == 0)
			ret = upg_guard_eval(&ctx, unit->guard, &step_holds);
		else if (i == done)
			step_holds = 1;
		if (ret == UPGRADE_OK && step_holds && action->kind == UPG_NODE_ASSERT)
			ret = upg_action_exec(&ctx, action);
		if (ret < 0) {
			/* Only reads failed: the journal says what committed, if anything did. */
			if (wrote)
				journal_failed(run, st, m, task, recorded, i, total, 0);
			upg_run_fail_event(run, task, ret, i + 1, total, upg_now_ms() - start);
			return ret;
		}
		if (!step_holds || action->kind == UPG_NODE_ASSERT)
			continue;
		wrote = 1;
		if (action_transactional(run, action)) {
			if ((ret = upg_db_begin(run->conn)) == UPGRADE_OK &&
			    (ret = upg_action_exec(&ctx, action)) >= 0 &&
			    (ret = journal_write(run, st, m, task, i + 1, total, 0, start)) == UPGRADE_OK)
				ret = upg_db_commit(run->conn);
			if (ret != UPGRADE_OK) {
				journal_failed(run, st, m, task, recorded, i, total, 0);
				upg_run_fail_event(run, task, ret, i + 1, total,
				                   upg_now_ms() - start);
				return ret;
			}
			changed = 1;
			finished = i + 1 == total;
			announced = 0;
			continue;
		}
		if (!announced && (ret = journal_write(run, st, m, task, i, total, 1, start)) != UPGRADE_OK) {
			upg_run_fail_event(run, task, ret, i + 1, total, upg_now_ms() - start);
			return ret;
		}
		if ((ret = upg_action_exec(&ctx, action)) < 0) {
			journal_failed(run, st, m, task, recorded, i, total, 1);
			upg_run_fail_event(run, task, ret, i + 1, total, upg_now_ms() - start);
			return ret;
		}
		changed |= ret == UPGRADE_OK;
		/* Unwritten, the intent stays: the statement is unknown, never "not run". */
		if ((ret = journal_write(run, st, m, task, i + 1, total, next_own, start)) != UPGRADE_OK) {
			upg_run_fail_event(run, task, ret, i + 1, total, upg_now_ms() - start);
			return ret;
		}
		finished = i + 1 == total;
		announced = next_own;
	}
	nothing = !holds || (!changed && total > 0);
	/* The last statement's entry recorded the task; when it did not run, record it here. */
	if (!finished && !(always && nothing && recorded)) {
		ret = upg_run_record(m, task, upg_now_ms() - start, "run");
		if (ret == UPGRADE_OK)
			ret = journal_save(run, st, m, task);
		if (ret != UPGRADE_OK) {
			upg_run_fail_event(run, task, ret, 0, total, upg_now_ms() - start);
			return ret;
		}
	} else if (!finished && upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		/* Statements that changed nothing left their progress: it is not a partly applied task. */
		upg_state_clear_partial(m, task->name);
		if ((ret = journal_save(run, st, m, task)) != UPGRADE_OK) {
			upg_run_fail_event(run, task, ret, 0, total, upg_now_ms() - start);
			return ret;
		}
	}
	report_task_done(run, task, always && nothing, nothing, start);
	return UPGRADE_OK;
}

/*
 * Emits TASK_START for task and resolves its body for the dialect into
 * *res (NULL for a task in C; the caller frees it).  A task that cannot be
 * resolved gets its TASK_FAILED here.
 */
int
upg_run_announce_task(struct upg_run *run, const struct upgrade_task *task,
                      struct upg_resolved **res)
{
	int ret;

	*res = NULL;
	upg_run_task_event(run, UPGRADE_EVENT_TASK_START, task, UPGRADE_OK, 0,
	                   !run->r->dry_run || upg_run_transactional(run));
	if (task->fn != NULL)
		return UPGRADE_OK;
	ret = upg_task_resolve(res, task, run->conn->dialect->name, &run->conn->err);
	if (ret != UPGRADE_OK)
		upg_run_fail_event(run, task, ret, 0, 0, 0);
	return ret;
}

int
upg_run_record(struct upg_state_module *m, const struct upgrade_task *task, long ms, const char *how)
{
	const char *sum;

	if (upg_task_checksum(task, &sum) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	return upg_state_record(m, task->name, sum, ms, how);
}

/*
 * Runs task in the schema whose state st holds, unless it is recorded
 * (and not always-run): announces it, resolves it for the dialect, and
 * runs it in one transaction or journaled, as the engine allows.
 */
int
upg_run_task(struct upg_run *run, struct upg_state *st, const struct upgrade_task *task)
{
	struct upg_state_module *m = upg_state_find(st, task->module->name);
	struct upg_resolved *res = NULL;
	const char *sum;
	int ret;

	if (m == NULL)
		m = upg_state_add(st, task->module->name);
	if (m == NULL)
		return upg_error_oom(&run->conn->err);
	if (upg_state_is_executed(m, task->name) && !(task->flags & UPGRADE_TASK_ALWAYS_RUN))
		return UPGRADE_OK;
	/* Before anything runs: its record cannot fail for want of it once statements committed. */
	if (upg_task_checksum(task, &sum) != UPGRADE_OK)
		return upg_error_oom(&run->conn->err);
	if ((ret = upg_run_announce_task(run, task, &res)) != UPGRADE_OK)
		return ret;
	if (run->r->sql_only)
		ret = upg_run_task_sql(run, task, res);
	else if (upg_run_transactional(run))
		ret = run_task_tx(run, st, m, task, res);
	else
		ret = upg_run_task_journal(run, st, m, task, res);
	upg_resolved_free(res);
	return ret;
}
