/*
 * context.c - guards and actions of catalog tasks.
 *
 * A guard is a tree of conditions (has-table, query, not/any/all, ...)
 * evaluated against the schema being upgraded; an action is one statement
 * or operation.  Each <sql> action is sent on its own: drivers disagree on
 * multi-statement strings, so a statement is never split or joined here.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "context.h"

static int eval_cond(struct upgrade_context *ctx, const struct upg_node *cond, int *holds);

/* Every child condition must hold; stops at the first that does not. */
static int
eval_all(struct upgrade_context *ctx, const struct upg_node *first, int *holds)
{
	const struct upg_node *c;
	int ret;

	*holds = 1;
	for (c = first; c != NULL; c = c->next) {
		if ((ret = eval_cond(ctx, c, holds)) != UPGRADE_OK)
			return ret;
		if (!*holds)
			return UPGRADE_OK;
	}
	return UPGRADE_OK;
}

static int
eval_any(struct upgrade_context *ctx, const struct upg_node *first, int *holds)
{
	const struct upg_node *c;
	int ret;

	*holds = 0;
	for (c = first; c != NULL; c = c->next) {
		if ((ret = eval_cond(ctx, c, holds)) != UPGRADE_OK)
			return ret;
		if (*holds)
			return UPGRADE_OK;
	}
	return UPGRADE_OK;
}

static int
row_seen(void *ud, size_t ncols, char **values)
{
	*(int *)ud = 1;
	return 1;
}

static int
eval_cond(struct upgrade_context *ctx, const struct upg_node *cond, int *holds)
{
	int ret;

	if (strcmp(cond->name, "all") == 0)
		return eval_all(ctx, cond->child, holds);
	if (strcmp(cond->name, "any") == 0)
		return eval_any(ctx, cond->child, holds);
	if (strcmp(cond->name, "not") == 0) {
		ret = eval_all(ctx, cond->child, holds);
		*holds = !*holds;
		return ret;
	}
	if (strcmp(cond->name, "query") == 0) {
		*holds = 0;
		ret = upg_db_query(ctx->conn, cond->text, 0, NULL, row_seen, holds);
		return ret < 0 ? ret : UPGRADE_OK;
	}
	return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
	                     "line %lu: condition <%s> is not supported yet", cond->line, cond->name);
}

int
upg_guard_eval(struct upgrade_context *ctx, const struct upg_node *guard, int *holds)
{
	*holds = 1;
	if (guard == NULL)
		return UPGRADE_OK;
	return eval_all(ctx, guard->child, holds);
}

int
upg_action_exec(struct upgrade_context *ctx, const struct upg_node *action)
{
	switch (action->kind) {
	case UPG_NODE_SQL:
		return upg_db_exec(ctx->conn, action->text);
	default:
		return upg_error_set(&ctx->conn->err, UPGRADE_EUNSUPPORTED,
		                     "line %lu: <%s> is not supported yet", action->line, action->name);
	}
}
