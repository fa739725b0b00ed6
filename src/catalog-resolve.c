/* SPDX-License-Identifier: MIT */
/*
 * catalog-resolve.c - a task resolved for one dialect: the <choose>
 * alternatives picked, its steps and actions collected; and the check
 * that every task can run on a dialect.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"

/* ---- resolution for one dialect ------------------------------------------------------ */

struct action_list {
	const struct upg_node **items;
	size_t n, cap;
};

static int
action_push(struct action_list *l, const struct upg_node *n)
{
	if (upg_grow(&l->items, &l->cap, l->n + 1, sizeof *l->items, 64) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	l->items[l->n++] = n;
	return UPGRADE_OK;
}

static int
applies(const struct upg_node *n, unsigned bit)
{
	return n->dialects == 0 || (n->dialects & bit) != 0;
}

/*
 * Appends the actions of the body items from n up to end (exclusive) that
 * apply to the dialect bit, taking one alternative of each <choose>.
 */
static int
collect_actions(struct action_list *l, const struct upg_node *n, const struct upg_node *end,
                unsigned bit, const char *dialect, const struct upgrade_task *t,
                struct upg_error *err)
{
	for (; n != end; n = n->next) {
		const struct upg_node *alt = NULL, *c;

		switch (n->kind) {
		case UPG_NODE_SQL:
		case UPG_NODE_NATIVE:
		case UPG_NODE_OP:
		case UPG_NODE_ASSERT:
			if (applies(n, bit) && action_push(l, n) != UPGRADE_OK)
				return upg_error_oom(err);
			break;
		case UPG_NODE_CHOOSE:
			for (c = n->child; c != NULL && alt == NULL; c = c->next)
				if ((c->kind == UPG_NODE_WHEN && (c->dialects & bit) != 0) ||
				    c->kind == UPG_NODE_OTHERWISE)
					alt = c;
			if (alt == NULL)
				return upg_error_set(err, UPGRADE_EUNSUPPORTED,
				                     "cannot run on dialect '%s': the <choose> at %s:%lu has no <when> "
				                     "for it and no <otherwise>",
				                     dialect, t->module->file, n->line);
			for (c = alt->child; c != NULL; c = c->next)
				if (applies(c, bit) && action_push(l, c) != UPGRADE_OK)
					return upg_error_oom(err);
			break;
		default:
			break;
		}
	}
	return UPGRADE_OK;
}

void
upg_resolved_free(struct upg_resolved *res)
{
	size_t i;

	if (res == NULL)
		return;
	for (i = 0; i < res->nunits; i++)
		free(res->units[i].actions);
	free(res->units);
	free(res);
}
/*
 * Two passes: count the units, then fill them; arrays are allocated with
 * malloc (not the arena) because the runner resolves tasks repeatedly and
 * frees each result.
 */

int
upg_task_resolve(struct upg_resolved **out, const struct upgrade_task *task, const char *dialect,
                 struct upg_error *err)
{
	struct upg_resolved *res;
	const struct upg_node *n;
	size_t nunits = 0;
	unsigned bit;
	int rc = UPGRADE_OK;

	*out = NULL;
	bit = dialect != NULL ? upg_dialect_bit(dialect, strlen(dialect)) : 0;
	if (bit == 0)
		return upg_error_set(err, UPGRADE_ENOTFOUND, "no such dialect '%s'", dialect != NULL ? dialect : "");
	res = calloc(1, sizeof *res);
	if (res == NULL)
		return upg_error_oom(err);
	res->guard = task->guard;
	if (task->fn != NULL) {
		*out = res;
		return UPGRADE_OK;
	}
	/* A step is a unit, and so is each run of items between steps. */
	for (n = task->body; n != NULL; n = n->next) {
		if (n->kind == UPG_NODE_STEP)
			nunits++;
		else if (n->next == NULL || n->next->kind == UPG_NODE_STEP)
			nunits++;
	}
	if (nunits == 0)
		nunits = 1;
	res->units = calloc(nunits, sizeof *res->units);
	if (res->units == NULL) {
		free(res);
		return upg_error_oom(err);
	}
	if (task->body == NULL) {
		res->nunits = 1;
		res->units[0].line = task->line;
	}
	for (n = task->body; n != NULL && rc == UPGRADE_OK; n = n->next) {
		struct upg_unit *u;
		struct action_list l = {NULL, 0, 0};
		const struct upg_node *first, *end;

		if (n->kind == UPG_NODE_STEP) {
			u = &res->units[res->nunits++];
			u->line = n->line;
			u->each_schema = upg_step_each_schema(n);
			first = n->child;
			if (first != NULL && first->kind == UPG_NODE_GUARD) {
				u->guard = first;
				first = first->next;
			}
			end = NULL;
		} else {
			u = &res->units[res->nunits++];
			u->line = n == task->body ? task->line : n->line;
			first = n;
			for (end = n; end != NULL && end->kind != UPG_NODE_STEP; end = end->next)
				;
			while (n->next != end)
				n = n->next;
		}
		rc = collect_actions(&l, first, end, bit, dialect, task, err);
		u->actions = l.items;
		u->nactions = l.n;
	}
	if (rc != UPGRADE_OK) {
		upg_resolved_free(res);
		return rc;
	}
	*out = res;
	return UPGRADE_OK;
}
/*
 * Resolves every task of the plan as the runner would, so that a missing
 * alternative is found in CI rather than in production.
 */

/* Names the state tables of the dialect cannot hold: their state write would fail after the task. */
static int
check_state_names(struct upgrade_catalog *cat, const struct upg_dialect *d)
{
	enum upg_len_unit unit = d != NULL && d->names_in_utf16 ? UPG_LEN_UTF16 : UPG_LEN_CHARS;
	size_t i, n;

	for (i = 0; d != NULL && d->max_module_chars > 0 && i < cat->nmodules; i++) {
		const struct upgrade_module *m = cat->modules[i];

		if ((n = upg_text_length(m->name, unit)) > d->max_module_chars &&
		    upg_diag_add(cat, m->file, m->file_index, m->line, m->name,
		                 "the module name is %zu %s long; %s's state table holds %zu",
		                 n, upg_len_unit_name(unit), d->title,
		                 d->max_module_chars) != UPGRADE_OK)
			return UPGRADE_ENOMEM;
	}
	for (i = 0; d != NULL && d->max_task_chars > 0 && i < cat->nplan; i++) {
		const struct upgrade_task *t = cat->plan[i];

		if (!(t->flags & UPGRADE_TASK_RAW) && (n = upg_text_length(t->name, unit)) > d->max_task_chars &&
		    upg_diag_add(cat, t->module->file, t->module->file_index, t->line, t->id,
		                 "the task name is %zu %s long; %s's state table holds %zu",
		                 n, upg_len_unit_name(unit), d->title,
		                 d->max_task_chars) != UPGRADE_OK)
			return UPGRADE_ENOMEM;
	}
	return UPGRADE_OK;
}

static int
check_one_dialect(struct upgrade_catalog *cat, const char *dialect)
{
	size_t i;
	struct upg_error err = {0, NULL, "", 0};

	if (check_state_names(cat, upg_dialect_find(dialect)) != UPGRADE_OK)
		return upg_error_oom(&cat->error);

	/* The plan, then the install blocks, which are in no plan. */
	for (i = 0; i < cat->nplan + cat->nmodules; i++) {
		const struct upgrade_task *t =
		    i < cat->nplan ? cat->plan[i] : cat->modules[i - cat->nplan]->install;
		struct upg_resolved *res = NULL;
		int rc;

		if (t == NULL)
			continue;
		rc = upg_task_resolve(&res, t, dialect, &err);
		upg_resolved_free(res);
		if (rc == UPGRADE_ENOMEM) {
			upg_error_clear(&err);
			return upg_error_oom(&cat->error);
		}
		if (rc != UPGRADE_OK &&
		    upg_diag_add(cat, t->module->file, t->module->file_index, t->line, t->id, "%s",
		                 upg_error_message(&err)) != UPGRADE_OK) {
			upg_error_clear(&err);
			return upg_error_oom(&cat->error);
		}
		upg_error_clear(&err);
	}
	/* What the dialect lacks, in the alternatives it takes (catalog-check.c). */
	if (upg_catalog_check_dialect(cat, dialect, upg_dialect_bit(dialect, strlen(dialect))) !=
	    UPGRADE_OK)
		return upg_error_oom(&cat->error);
	return UPGRADE_OK;
}

int
upgrade_catalog_check_dialect(struct upgrade_catalog *cat, const char *dialect)
{
	size_t before, i;
	unsigned named;
	int rc = UPGRADE_OK;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (dialect != NULL && upg_dialect_bit(dialect, strlen(dialect)) == 0)
		return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "no such dialect '%s'", dialect);
	if (!cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "prepare the catalog first");
	upg_error_clear(&cat->error);
	before = cat->nproblems;
	if (dialect != NULL) {
		rc = check_one_dialect(cat, dialect);
	} else {
		/* NULL: every dialect the catalog names. */
		named = upg_catalog_dialects_named(cat);
		for (i = 0; upg_dialects[i] != NULL && rc == UPGRADE_OK; i++)
			if (named & upg_dialect_bit(upg_dialects[i]->name, strlen(upg_dialects[i]->name)))
				rc = check_one_dialect(cat, upg_dialects[i]->name);
	}
	if (rc != UPGRADE_OK)
		return rc;
	upg_diag_sort(cat);
	return upg_diag_result(cat, before);
}
