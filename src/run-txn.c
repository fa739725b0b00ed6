/* SPDX-License-Identifier: MIT */
/*
 * run-txn.c - the runner's transaction strategies.
 *
 * A task (or a raw task's step) runs in a transaction of its own, which
 * its state update shares on engines with transactional DDL; a dry run
 * rolls it back.  Where the engine also has savepoints, a dry run's whole
 * phase is one transaction and each task a savepoint in it (see
 * upg_run_phase_begin).  A failure's message survives the rollback that
 * follows it.
 */
#include "config.h"

#include "run.h"

/*
 * Dry runs on engines with transactional DDL and savepoints: a whole phase
 * (the raw tasks, or one schema) runs in one transaction that is rolled
 * back at its end, and each task or step is a savepoint inside it.  Later
 * tasks thus see what earlier ones did, as they will in the real run (a
 * dry run of independent per-task rollbacks fails on every task that
 * builds on another), and still nothing persists.
 */
int
upg_run_phase_begin(struct upg_run *run)
{
	unsigned int need = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SAVEPOINTS;
	int ret;

	if (!run->r->dry_run || (run->conn->caps & need) != need)
		return UPGRADE_OK;
	if ((ret = upg_db_begin(run->conn)) == UPGRADE_OK)
		run->outer = 1;
	return ret;
}

void
upg_run_phase_rollback(struct upg_run *run)
{
	struct upg_error keep = UPG_ERROR_INIT;

	if (!run->outer)
		return;
	upg_error_stash(&keep, &run->conn->err);
	upg_db_rollback(run->conn);
	upg_error_restore(&run->conn->err, &keep);
	run->outer = 0;
}

/* Begins a task's (or step's) transaction. */
int
upg_run_tx_begin(struct upg_run *run)
{
	if (run->outer)
		return upg_db_exec(run->conn, "SAVEPOINT " TASK_SAVEPOINT);
	return upg_db_begin(run->conn);
}

/* Ends a task's transaction: commit, or in a dry run roll back (or keep the savepoint). */
int
upg_run_tx_commit(struct upg_run *run)
{
	if (run->outer) {
		/* A task's suspensions of triggers end with it, as with its own transaction. */
		upg_db_forget_suspended(run->conn);
		return upg_db_exec(run->conn, "RELEASE SAVEPOINT " TASK_SAVEPOINT);
	}
	if (!run->r->dry_run)
		return upg_db_commit(run->conn);
	return upg_db_rollback(run->conn);
}

/* Rolls back after a failure without losing the failure's message. */
void
upg_run_tx_abandon(struct upg_run *run)
{
	struct upg_error keep = UPG_ERROR_INIT;

	upg_error_stash(&keep, &run->conn->err);
	if (run->outer) {
		upg_db_forget_suspended(run->conn);
		upg_db_exec(run->conn, "ROLLBACK TO SAVEPOINT " TASK_SAVEPOINT);
		upg_db_exec(run->conn, "RELEASE SAVEPOINT " TASK_SAVEPOINT);
	} else if (!run->conn->autocommit) {
		upg_db_rollback(run->conn);
	}
	upg_error_restore(&run->conn->err, &keep);
}

/*
 * Writes a module's state in a transaction of its own (a baseline, an
 * install record, a mark, a journal entry).  When it is rolled back, the
 * COMMIT included, the module is as before it in memory too: its row as
 * it was, and what is stored not known, so that the next save writes the
 * whole state rather than appending to a row that may not be there.
 */
int
upg_run_save_alone(struct upg_run *run, struct upg_state *st, struct upg_state_module *m)
{
	int ret, existed = m->exists;

	if ((ret = upg_db_begin(run->conn)) != UPGRADE_OK)
		return ret;
	ret = upg_state_save(st, m);
	if (ret == UPGRADE_OK)
		ret = upg_db_commit(run->conn);
	if (ret != UPGRADE_OK) {
		upg_run_tx_abandon(run);
		m->exists = existed;
		upg_state_discard_writes(m);
	}
	return ret;
}

/* Declared in upgrade/context.h; defined here because transactions are the runner's. */
int
upgrade_context_end_step(struct upgrade_context *ctx)
{
	int ret;

	if (!UPG_IS(ctx, CONTEXT) || !UPG_IS(ctx->conn, CONN))
		return UPGRADE_EINVAL;
	/* Only a raw task owns its transaction; any other task's belongs to the runner. */
	if (!ctx->raw)
		return upg_error_set(&ctx->conn->err, UPGRADE_EINVAL,
		                     "upgrade_context_end_step() is only for raw tasks");
	if (ctx->savepoint) {
		/* A dry run's step: kept for the next steps, rolled back with the phase. */
		ret = upg_db_exec(ctx->conn, "RELEASE SAVEPOINT " TASK_SAVEPOINT);
		return ret != UPGRADE_OK ? ret : upg_db_exec(ctx->conn, "SAVEPOINT " TASK_SAVEPOINT);
	}
	ret = ctx->dry_run ? upg_db_rollback(ctx->conn) : upg_db_commit(ctx->conn);
	if (ret != UPGRADE_OK)
		return ret;
	return upg_db_begin(ctx->conn);
}
