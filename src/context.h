/* SPDX-License-Identifier: MIT */
/*
 * context.h - what a task sees while it runs, and the two entry points the
 * runner uses to carry out catalog tasks: guards and actions.
 *
 * The runner owns the transaction; guards and actions only issue
 * statements on ctx->conn and never commit, roll back or switch autocommit.
 * Failures leave their message on ctx->conn's error.
 */
#ifndef UPG_CONTEXT_H
#define UPG_CONTEXT_H

#include <stddef.h>

#include "catalog.h"
#include "connection.h"
#include "upgrade/context.h"

struct upgrade_context {
	unsigned int magic; /* UPG_MAGIC_CONTEXT, first: see UPG_IS() */
	struct upgrade_conn *conn;
	/* The schema being upgraded; for raw tasks the connection's own. */
	const char *schema;
	/* Raw tasks: every target schema of the run, in order. */
	const char *const *schemas;
	size_t nschemas;
	const struct upgrade_task *task;
	int dry_run;
	int raw;
	/* Raw C tasks: set when a step changed something (upgrade_context_changed). */
	int changed;
	/* Set by upgrade_context_new() only: the context and own_schema are freed with it. */
	int owned;
	char *own_schema;
	/* A dry run's phase transaction is open: a raw step ends with a savepoint, not a commit. */
	int savepoint;
	/* A for-each-schema step: schema quoted for the engine, what ${schema} becomes; else NULL. */
	const char *schema_sql;
};

/*
 * Evaluates a task's or step's <only-if> (all children must hold); a NULL
 * guard holds.  Sets *holds to 1 or 0 and returns UPGRADE_OK, or returns
 * an error with the message on the connection.
 */
int upg_guard_eval(struct upgrade_context *ctx, const struct upg_node *guard, int *holds);

/*
 * Carries out one action: <sql>, a declarative operation, <native> or
 * <assert>.  Returns UPGRADE_OK when it may have changed something,
 * UPGRADE_NOTHING_DONE when it surely did not (an assertion that held, a
 * native function that said so), or a negative code, the message on the
 * connection (a failed assertion: UPGRADE_ERROR with its message).
 */
int upg_action_exec(struct upgrade_context *ctx, const struct upg_node *action);

/* ---- behind the public API (include/upgrade/context.h) -------------------- */

struct upg_coldef;

/*
 * Calls a <native> action's function: the library is looked up (once per
 * process) in the directory of the catalog that declares the task, the
 * directories of $UPGRADE_LIBRARY_PATH and UPGRADE_NATIVEDIR, never
 * through the dynamic linker's own search.  src/native.c.
 */
int upg_native_call(struct upgrade_context *ctx, const struct upg_node *action);

/* Streams the rows of table in primary key batches (src/fill.c). */
int upg_records(struct upgrade_context *ctx, const char *table, const char *const *cols,
                size_t ncols, upgrade_row_fn fn, void *ud);
/* add_column_with_defaults (src/fill.c). */
int upg_add_column_filled(struct upgrade_context *ctx, const char *table,
                          const struct upg_coldef *col, const struct upgrade_fill *fill);

#endif /* UPG_CONTEXT_H */
