/* SPDX-License-Identifier: MIT */
/*
 * state-history.c - a schema's history for `upgrade log`: the runs, from
 * upgrade_tasks, and the baselines, installs, marks and unmarks that each
 * module's state logs, newest first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* The history being gathered by upg_state_history(). */
struct history {
	struct upg_state *st;
	struct upg_history_item *items;
	size_t n, cap;
};

/* A new item with copies of the strings (task, by may be NULL); NULL when out of memory. */
static struct upg_history_item *
history_add(struct history *h, const char *at, const char *event, const char *module,
            const char *task, const char *by)
{
	struct upg_history_item *it;

	if (upg_grow(&h->items, &h->cap, h->n + 1, sizeof *h->items, 32) != UPGRADE_OK)
		return NULL;
	it = &h->items[h->n];
	memset(it, 0, sizeof *it);
	upg_time_rfc3339(at != NULL ? at : "", it->at, sizeof it->at);
	it->event = upg_strdup(event);
	it->module = upg_strdup(module);
	it->task = task != NULL ? upg_strdup(task) : NULL;
	it->by = by != NULL ? upg_strdup(by) : NULL;
	it->duration_ms = -1;
	it->seq = h->n;
	h->n++;
	if (it->event == NULL || it->module == NULL || (task != NULL && it->task == NULL) ||
	    (by != NULL && it->by == NULL))
		return NULL;
	return it;
}

/* The module's log: state.upgrade.log, [{"at", "event", "task", "by"}, ...]. */
static int
history_log(struct history *h, struct upg_state_module *m)
{
	json_object *up, *log;
	size_t i, n;

	if (m->state == NULL || !json_object_object_get_ex(m->state, "upgrade", &up) ||
	    !json_object_object_get_ex(up, "log", &log) ||
	    !json_object_is_type(log, json_type_array))
		return UPGRADE_OK;
	n = json_object_array_length(log);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(log, i);
		const char *event = upg_state_string_field(e, "event");
		struct upg_history_item *it;
		unsigned long from = 0;
		char *end;

		if (event == NULL)
			continue;
		/* "resume-from N": the statement is a field of its own. */
		if (strncmp(event, "resume-from ", 12) == 0) {
			from = strtoul(event + 12, &end, 10);
			if (*end == '\0')
				event = "resume-from";
		}
		it = history_add(h, upg_state_string_field(e, "at"), event, m->module,
		                 upg_state_string_field(e, "task"), upg_state_string_field(e, "by"));
		if (it == NULL)
			return UPGRADE_ENOMEM;
		it->statement = from;
	}
	return UPGRADE_OK;
}

/*
 * A row of upgrade_tasks: module, task, executed_at, duration_ms, how.  A
 * run is an entry; a mark is in the log already; the tasks a baseline
 * recorded are counted on the module's baseline entry, made here for a
 * baseline that a run did (those are not logged).
 */
static int
history_row(void *ud, size_t ncols, char **v)
{
	struct history *h = ud;
	struct upg_history_item *it;
	char at[40];
	size_t i;

	if (ncols < 5 || v[0] == NULL || v[1] == NULL)
		return 0;
	if (v[4] != NULL && strcmp(v[4], "mark") == 0)
		return 0;
	/* An install records the module's tasks as a baseline does, without running them. */
	if (v[4] != NULL && (strcmp(v[4], "baseline") == 0 || strcmp(v[4], "install") == 0)) {
		upg_time_rfc3339(v[2] != NULL ? v[2] : "", at, sizeof at);
		/* The module's latest baseline entry takes it, with the earliest task's time. */
		for (i = h->n; i-- > 0;) {
			it = &h->items[i];
			if (strcmp(it->event, "baseline") == 0 && strcmp(it->module, v[0]) == 0) {
				if (it->by == NULL && strcmp(at, it->at) < 0)
					memcpy(it->at, at, sizeof at);
				it->tasks++;
				return 0;
			}
		}
		it = history_add(h, v[2], "baseline", v[0], NULL, NULL);
		if (it == NULL)
			return upg_error_oom(&h->st->conn->err);
		it->tasks = 1;
		return 0;
	}
	it = history_add(h, v[2], "run", v[0], v[1], NULL);
	if (it == NULL)
		return upg_error_oom(&h->st->conn->err);
	if (v[3] != NULL) {
		char *end;
		long ms = strtol(v[3], &end, 10);

		if (end != v[3] && *end == '\0')
			it->duration_ms = ms;
	}
	return 0;
}

/* Newest first; entries of one moment in the reverse order they were found. */
static int
cmp_history(const void *a, const void *b)
{
	const struct upg_history_item *x = a, *y = b;
	int c = strcmp(y->at, x->at);

	if (c != 0)
		return c;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

int
upg_state_history(struct upg_state *st, struct upg_history_item **out, size_t *n)
{
	struct history h = {st, NULL, 0, 0};
	struct upg_buf sql = UPG_BUF_INIT;
	size_t i;
	int ret = UPGRADE_OK;

	*out = NULL;
	*n = 0;
	for (i = 0; ret == UPGRADE_OK && i < st->nmods; i++)
		ret = history_log(&h, &st->mods[i]);
	if (ret != UPGRADE_OK) {
		ret = upg_error_oom(&st->conn->err);
		goto fail;
	}
	/* Rows after the log: a baseline's rows find the entry the log made for it. */
	upg_buf_printf(&sql, "SELECT module, task, executed_at, duration_ms, how FROM %s",
	               st->tasks_table);
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_query(st->conn, upg_buf_str(&sql), 0, NULL, history_row, &h);
	upg_buf_free(&sql);
	if (ret < 0) {
		if (ret == UPGRADE_ENOMEM || !upg_state_table_missing(st->conn))
			goto fail;
		/* Another tool's schema has no upgrade_tasks: the log is all there is. */
		upg_error_clear(&st->conn->err);
	}
	if (h.n > 1)
		qsort(h.items, h.n, sizeof *h.items, cmp_history);
	*out = h.items;
	*n = h.n;
	return UPGRADE_OK;
fail:
	upg_history_free(h.items, h.n);
	return ret;
}

void
upg_history_free(struct upg_history_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].event);
		free(items[i].module);
		free(items[i].task);
		free(items[i].by);
	}
	free(items);
}
