/* SPDX-License-Identifier: MIT */
/*
 * plan.c - the order of modules and tasks.
 *
 * Both orders are Kahn's topological sort driven by a binary min-heap, so
 * the result depends only on the catalogs (names and declaration order),
 * never on file names or hash order, and costs O(n log n):
 *
 *  - modules: a module comes after the modules it depends on; among the
 *    modules free to come next, the smallest name (strcmp) first;
 *  - tasks: a task comes after the task it requires; among the tasks free to
 *    come next, the one whose module comes first in module order, then the
 *    first declared.  A task with a requires is therefore released as soon
 *    as its requirement has run, and a task without one is never pushed
 *    behind unrelated modules (the layered sort of the Python model did
 *    both).
 *
 * Whatever cannot be ordered is part of, or hangs below, a cycle; each
 * cycle is reported once, starting at its smallest member, so the message
 * is the same however the catalogs were loaded.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"

/* ---- a min-heap of (key, value) pairs ----------------------------------------- */

struct heap_item {
	uint64_t key;
	uint32_t value;
};

struct heap {
	struct heap_item *items;
	size_t n;
};
/* Sift-up insertion; smaller keys come out first. */

static void
heap_push(struct heap *h, uint64_t key, uint32_t value)
{
	size_t i = h->n++;

	/* The caller sized the array for every element; no growth here. */
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (h->items[parent].key <= key)
			break;
		h->items[i] = h->items[parent];
		i = parent;
	}
	h->items[i].key = key;
	h->items[i].value = value;
}
/* Removes and returns the value with the smallest key (h->n > 0). */

static uint32_t
heap_pop(struct heap *h)
{
	uint32_t top = h->items[0].value;
	struct heap_item last = h->items[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->items[c + 1].key < h->items[c].key)
			c++;
		if (last.key <= h->items[c].key)
			break;
		h->items[i] = h->items[c];
		i = c;
	}
	if (h->n > 0)
		h->items[i] = last;
	return top;
}

/* ---- modules -------------------------------------------------------------------- */

static int
module_name_cmp(const void *a, const void *b)
{
	const struct upgrade_module *x = *(const struct upgrade_module *const *)a;
	const struct upgrade_module *y = *(const struct upgrade_module *const *)b;

	return strcmp(x->name, y->name);
}

static int
module_rank_cmp(const void *a, const void *b)
{
	const struct upgrade_module *x = *(const struct upgrade_module *const *)a;
	const struct upgrade_module *y = *(const struct upgrade_module *const *)b;

	return x->rank < y->rank ? -1 : x->rank > y->rank;
}

/* Reports the module cycle in path[0..n) (each depends on the next, the last on the first). */
static int
report_module_cycle(struct upgrade_catalog *cat, const uint32_t *path, size_t n)
{
	struct upgrade_module **mods = cat->modules;
	struct upg_buf msg = UPG_BUF_INIT;
	size_t start = 0, i;
	const struct upgrade_module *first;
	int rc;

	for (i = 1; i < n; i++)
		if (strcmp(mods[path[i]]->name, mods[path[start]]->name) < 0)
			start = i;
	first = mods[path[start]];
	if (n == 1)
		upg_buf_printf(&msg, "module depends on itself");
	else {
		upg_buf_puts(&msg, "module dependency cycle: ");
		for (i = 0; i <= n; i++)
			upg_buf_printf(&msg, "%s%s", i > 0 ? " -> " : "", mods[path[(start + i) % n]]->name);
	}
	if (msg.failed)
		return UPGRADE_ENOMEM;
	rc = first->quiet ? UPGRADE_OK
	                  : upg_diag_add(cat, first->file, first->file_index, first->line, first->name, "%s",
	                                 upg_buf_str(&msg));
	upg_buf_free(&msg);
	return rc;
}

/*
 * Orders the modules: sets each module's rank and sorts cat->modules into
 * module order.  Unknown dependencies and cycles are recorded; modules
 * caught in a cycle are ranked after the others, by name, so that their
 * tasks can still be checked.
 */
static int
order_modules(struct upgrade_catalog *cat)
{
	size_t n = cat->nmodules, i, j, k = 0, nedges = 0;
	struct upgrade_module **mods = cat->modules;
	uint32_t *name_rank = NULL, *by_name = NULL, *indeg = NULL, *start = NULL, *edges = NULL;
	uint32_t *dep = NULL, *state = NULL, *path = NULL;
	struct heap heap = {NULL, 0};
	size_t *dep_start = NULL;
	int rc = UPGRADE_ENOMEM;

	if (n == 0)
		return UPGRADE_OK;
	name_rank = calloc(n, sizeof *name_rank);
	by_name = calloc(n, sizeof *by_name);
	indeg = calloc(n, sizeof *indeg);
	start = calloc(n + 1, sizeof *start);
	dep_start = calloc(n + 1, sizeof *dep_start);
	state = calloc(n, sizeof *state);
	path = calloc(n, sizeof *path);
	heap.items = calloc(n, sizeof *heap.items);
	if (name_rank == NULL || by_name == NULL || indeg == NULL || start == NULL || dep_start == NULL ||
	    state == NULL || path == NULL || heap.items == NULL)
		goto done;

	/* Names are unique, so their sorted position is a total order that
	 * fits a heap key.  index is each module's position in mods. */
	{
		struct upgrade_module **sorted = calloc(n, sizeof *sorted);

		if (sorted == NULL)
			goto done;
		for (i = 0; i < n; i++) {
			mods[i]->index = (uint32_t)i;
			sorted[i] = mods[i];
		}
		qsort(sorted, n, sizeof *sorted, module_name_cmp);
		for (i = 0; i < n; i++) {
			name_rank[sorted[i]->index] = (uint32_t)i;
			by_name[i] = sorted[i]->index;
		}
		free(sorted);
	}

	/* Resolve dependencies: dep[dep_start[i] .. dep_start[i+1]) are the
	 * known dependencies of module i in declaration order, UINT32_MAX
	 * standing in for unknown ones. */
	for (i = 0; i < n; i++)
		dep_start[i + 1] = dep_start[i] + mods[i]->ndepends;
	dep = calloc(dep_start[n] + 1, sizeof *dep);
	if (dep == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		const struct upgrade_module *m = mods[i];

		for (j = 0; j < m->ndepends; j++) {
			const struct upgrade_module *d = upg_map_get(&cat->module_map, m->depends[j]);

			dep[dep_start[i] + j] = UINT32_MAX;
			if (d == NULL) {
				if (!m->quiet && upg_diag_add(cat, m->file, m->file_index, m->depends_line[j], m->name,
				                              "depends on unknown module '%s'", m->depends[j]) != UPGRADE_OK)
					goto done;
				continue;
			}
			dep[dep_start[i] + j] = d->index;
			indeg[i]++;
			nedges++;
		}
	}

	/* Reverse edges: the modules depending on each module. */
	edges = calloc(nedges + 1, sizeof *edges);
	if (edges == NULL)
		goto done;
	for (i = 0; i < n; i++)
		for (j = dep_start[i]; j < dep_start[i + 1]; j++)
			if (dep[j] != UINT32_MAX)
				start[dep[j] + 1]++;
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	{
		uint32_t *fill = path; /* reused as a cursor array */

		for (i = 0; i < n; i++)
			fill[i] = start[i];
		for (i = 0; i < n; i++)
			for (j = dep_start[i]; j < dep_start[i + 1]; j++)
				if (dep[j] != UINT32_MAX)
					edges[fill[dep[j]]++] = (uint32_t)i;
	}

	for (i = 0; i < n; i++)
		if (indeg[i] == 0)
			heap_push(&heap, name_rank[i], (uint32_t)i);
	while (heap.n > 0) {
		uint32_t m = heap_pop(&heap);

		mods[m]->rank = (uint32_t)k++;
		state[m] = 2;
		for (j = start[m]; j < start[m + 1]; j++)
			if (--indeg[edges[j]] == 0)
				heap_push(&heap, name_rank[edges[j]], edges[j]);
	}

	if (k < n) {
		/* Every module left has a dependency that is left too; following
		 * those from each module in name order finds every cycle once. */
		size_t x;

		for (x = 0; x < n; x++) {
			uint32_t m = by_name[x], cur;
			size_t len = 0;

			if (state[m] != 0)
				continue;
			cur = m;
			while (state[cur] == 0) {
				uint32_t next = UINT32_MAX;

				state[cur] = 1;
				path[len++] = cur;
				for (j = dep_start[cur]; j < dep_start[cur + 1]; j++) {
					if (dep[j] != UINT32_MAX && state[dep[j]] != 2) {
						next = dep[j];
						break;
					}
				}
				if (next == UINT32_MAX)
					break; /* cannot happen: kept for safety */
				cur = next;
			}
			if (state[cur] == 1) {
				size_t from = 0;

				while (path[from] != cur)
					from++;
				if (report_module_cycle(cat, path + from, len - from) != UPGRADE_OK)
					goto done;
			}
			for (j = 0; j < len; j++)
				state[path[j]] = 3;
		}
		/* Rank the rest after the ordered ones, by name. */
		for (x = 0; x < n; x++)
			if (state[by_name[x]] != 2)
				mods[by_name[x]]->rank = (uint32_t)k++;
	}
	qsort(mods, n, sizeof *mods, module_rank_cmp);
	rc = UPGRADE_OK;
done:
	free(name_rank);
	free(by_name);
	free(indeg);
	free(start);
	free(dep_start);
	free(dep);
	free(edges);
	free(state);
	free(path);
	free(heap.items);
	return rc;
}

/* ---- tasks ------------------------------------------------------------------------ */
/*
 * The priority of a task among those free to run: its module's place in
 * module order, then its declaration index.  Ranks are unique per module,
 * so the module name (the documented tie-break) is already in it.
 */

static uint64_t
task_key(const struct upgrade_task *t)
{
	return ((uint64_t)t->module->rank << 32) | t->decl;
}

/* Reports the requires cycle in path[0..n) (each requires the next, the last the first). */
static int
report_task_cycle(struct upgrade_catalog *cat, struct upgrade_task *const *tasks, const uint32_t *path,
                  size_t n)
{
	struct upg_buf msg = UPG_BUF_INIT;
	const struct upgrade_task *first;
	size_t start = 0, i;
	int rc;

	for (i = 1; i < n; i++)
		if (task_key(tasks[path[i]]) < task_key(tasks[path[start]]))
			start = i;
	first = tasks[path[start]];
	if (n == 1)
		upg_buf_printf(&msg, "task requires itself");
	else {
		upg_buf_puts(&msg, "requires cycle: ");
		for (i = 0; i <= n; i++)
			upg_buf_printf(&msg, "%s'%s'", i > 0 ? " -> " : "", tasks[path[(start + i) % n]]->id);
	}
	if (msg.failed)
		return UPGRADE_ENOMEM;
	rc = first->module->quiet ? UPGRADE_OK
	                          : upg_diag_add(cat, first->module->file, first->module->file_index,
	                                         first->line, first->id, "%s", upg_buf_str(&msg));
	upg_buf_free(&msg);
	return rc;
}

static int
heap_item_cmp(const void *a, const void *b)
{
	const struct heap_item *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/* Resolves requires, recording the ones that are unknown or name raw tasks. */
static int
resolve_requires(struct upgrade_catalog *cat)
{
	size_t i;

	for (i = 0; i < cat->ntasks; i++) {
		struct upgrade_task *t = cat->tasks[i], *r;
		const struct upgrade_module *m = t->module;

		t->index = (uint32_t)i;
		t->req = NULL;
		if (t->requires == NULL)
			continue;
		r = upg_map_get(&cat->task_map, t->requires);
		if (r == NULL) {
			if (!m->quiet && upg_diag_add(cat, m->file, m->file_index, t->line, t->id,
			                              "requires unknown task '%s'", t->requires) != UPGRADE_OK)
				return UPGRADE_ENOMEM;
			continue;
		}
		if (r->flags & UPGRADE_TASK_RAW) {
			if (!m->quiet &&
			    upg_diag_add(cat, m->file, m->file_index, t->line, t->id,
			                 "requires raw task '%s': raw tasks cannot be required", r->id) != UPGRADE_OK)
				return UPGRADE_ENOMEM;
			continue;
		}
		t->req = r;
	}
	return UPGRADE_OK;
}

/* Orders the tasks into cat->plan; records requires cycles. */
static int
order_tasks(struct upgrade_catalog *cat)
{
	size_t n = cat->ntasks, i, k = 0;
	struct upgrade_task **tasks = cat->tasks;
	uint32_t *start = NULL, *edges = NULL, *state = NULL, *path = NULL;
	struct heap heap = {NULL, 0};
	int rc = UPGRADE_ENOMEM;

	free(cat->plan);
	cat->plan = NULL;
	cat->nplan = 0;
	if (n == 0)
		return UPGRADE_OK;
	cat->plan = calloc(n, sizeof *cat->plan);
	start = calloc(n + 1, sizeof *start);
	edges = calloc(n + 1, sizeof *edges);
	state = calloc(n, sizeof *state);
	path = calloc(n, sizeof *path);
	heap.items = calloc(n, sizeof *heap.items);
	if (cat->plan == NULL || start == NULL || edges == NULL || state == NULL || path == NULL ||
	    heap.items == NULL)
		goto done;

	/* Each task requires at most one other: the reverse edges (who waits
	 * for whom) in compressed form; a task's dependents are kept in
	 * registration order, but the heap decides the order anyway. */
	for (i = 0; i < n; i++)
		if (tasks[i]->req != NULL)
			start[tasks[i]->req->index + 1]++;
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	for (i = 0; i < n; i++)
		path[i] = start[i];
	for (i = 0; i < n; i++)
		if (tasks[i]->req != NULL)
			edges[path[tasks[i]->req->index]++] = (uint32_t)i;

	for (i = 0; i < n; i++)
		if (tasks[i]->req == NULL)
			heap_push(&heap, task_key(tasks[i]), (uint32_t)i);
	while (heap.n > 0) {
		uint32_t t = heap_pop(&heap), j;

		cat->plan[k++] = tasks[t];
		state[t] = 2;
		for (j = start[t]; j < start[t + 1]; j++)
			heap_push(&heap, task_key(tasks[edges[j]]), edges[j]);
	}
	cat->nplan = k;

	if (k < n) {
		struct heap_item *rest;
		size_t nrest = 0, x;

		/* Walk requires from each task left, in plan-key order, so the
		 * cycles come out in a stable order. */
		rest = calloc(n - k, sizeof *rest);
		if (rest == NULL)
			goto done;
		for (i = 0; i < n; i++) {
			if (state[i] == 0) {
				rest[nrest].key = task_key(tasks[i]);
				rest[nrest++].value = (uint32_t)i;
			}
		}
		qsort(rest, nrest, sizeof *rest, heap_item_cmp);
		for (x = 0; x < nrest; x++) {
			uint32_t cur = rest[x].value;
			size_t len = 0, j;

			if (state[cur] != 0)
				continue;
			while (state[cur] == 0) {
				state[cur] = 1;
				path[len++] = cur;
				/* A task left over has a requirement left over too. */
				cur = tasks[cur]->req->index;
			}
			if (state[cur] == 1) {
				size_t from = 0;

				while (path[from] != cur)
					from++;
				if (report_task_cycle(cat, tasks, path + from, len - from) != UPGRADE_OK) {
					free(rest);
					goto done;
				}
			}
			for (j = 0; j < len; j++)
				state[path[j]] = 3;
		}
		free(rest);
	}
	rc = UPGRADE_OK;
done:
	free(start);
	free(edges);
	free(state);
	free(path);
	free(heap.items);
	return rc;
}
/* Modules first: task priorities need the module ranks. */

int
upg_plan_compute(struct upgrade_catalog *cat)
{
	int rc;

	rc = order_modules(cat);
	if (rc != UPGRADE_OK)
		return rc;
	rc = resolve_requires(cat);
	if (rc != UPGRADE_OK)
		return rc;
	return order_tasks(cat);
}

/* ---- module selection ------------------------------------------------------------- */

int
upgrade_catalog_select_modules(struct upgrade_catalog *cat, const char *pattern)
{
	const char *copy;

	if (!UPG_IS(cat, CATALOG))
		return UPGRADE_EINVAL;
	if (pattern == NULL || pattern[0] == '\0')
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "an empty module pattern");
	if (cat->prepared)
		return upg_error_set(&cat->error, UPGRADE_EINVAL, "the catalog is already prepared");
	if (upg_grow(&cat->select, &cat->capselect, cat->nselect + 1, sizeof *cat->select, 4) !=
	    UPGRADE_OK)
		return upg_error_oom(&cat->error);
	if ((copy = upg_arena_strdup(&cat->arena, pattern)) == NULL)
		return upg_error_oom(&cat->error);
	cat->select[cat->nselect++] = copy;
	return UPGRADE_OK;
}

int
upg_catalog_selects(const struct upgrade_catalog *cat, const char *module)
{
	const struct upgrade_module *m;

	if (cat->nselect == 0)
		return 1;
	m = upg_map_get(&cat->module_map, module);
	return m != NULL && !m->unselected;
}

/* Selects mod; 1 when it was not selected before. */
static int
select_module(struct upgrade_module *mod)
{
	if (mod == NULL || !mod->unselected)
		return 0;
	mod->unselected = 0;
	return 1;
}

int
upg_plan_select(struct upgrade_catalog *cat)
{
	size_t i, j, n;
	int grew;

	if (cat->nselect == 0)
		return UPGRADE_OK;
	for (i = 0; i < cat->nmodules; i++)
		cat->modules[i]->unselected = 1;
	for (j = 0; j < cat->nselect; j++) {
		size_t matched = 0;

		for (i = 0; i < cat->nmodules; i++)
			if (fnmatch(cat->select[j], cat->modules[i]->name, 0) == 0) {
				cat->modules[i]->unselected = 0;
				matched++;
			}
		/* A typo must not quietly select less than was asked for. */
		if (matched == 0) {
			free(cat->plan);
			cat->plan = NULL;
			cat->nplan = 0;
			return upg_error_set(&cat->error, UPGRADE_ENOTFOUND, "no module matches '%s'",
			                     cat->select[j]);
		}
	}
	/* What a selected module needs comes along, until nothing more does. */
	do {
		grew = 0;
		for (i = 0; i < cat->nmodules; i++) {
			const struct upgrade_module *mod = cat->modules[i];

			if (mod->unselected)
				continue;
			for (j = 0; j < mod->ndepends; j++)
				grew |= select_module(upg_map_get(&cat->module_map, mod->depends[j]));
		}
		for (i = 0; i < cat->ntasks; i++) {
			const struct upgrade_task *t = cat->tasks[i];

			if (!t->module->unselected && t->req != NULL)
				grew |= select_module(t->req->module);
		}
	} while (grew);
	/* Both orders stay as planned; the modules left out just drop from them. */
	for (i = n = 0; i < cat->nmodules; i++)
		if (!cat->modules[i]->unselected)
			cat->modules[n++] = cat->modules[i];
	cat->nmodules = n;
	for (i = n = 0; i < cat->nplan; i++)
		if (!cat->plan[i]->module->unselected)
			cat->plan[n++] = cat->plan[i];
	cat->nplan = n;
	return UPGRADE_OK;
}
