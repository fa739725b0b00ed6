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

struct upgrade_context {
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
};

/*
 * Evaluates a task's or step's <only-if> (all children must hold); a NULL
 * guard holds.  Sets *holds to 1 or 0 and returns UPGRADE_OK, or returns
 * an error with the message on the connection.
 */
int upg_guard_eval(struct upgrade_context *ctx, const struct upg_node *guard, int *holds);

/* Carries out one action: <sql>, a declarative operation or <native>. */
int upg_action_exec(struct upgrade_context *ctx, const struct upg_node *action);

#endif /* UPG_CONTEXT_H */
