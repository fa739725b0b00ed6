/* SPDX-License-Identifier: MIT */
/*
 * state-tasks.c - the table upgrade_tasks: one row per recorded task (when,
 * how long, its checksum, how it was recorded), written with the module's
 * row by upg_state_save() and read for status, checksums and the history.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

static void
free_write(struct upg_task_write *w)
{
	free(w->name);
	free(w->checksum);
}

/*
 * Queues a task-row change, replacing an earlier one for the same task.
 * fresh: the task was not recorded before; then, unless a deletion is queued,
 * no write for it can be queued either (a baseline queues a thousand
 * writes: searching them all for each would be quadratic).
 */
int
upg_state_queue_write(struct upg_state_module *m, const char *name, const char *checksum, long ms,
            const char *how, int fresh)
{
	struct upg_task_write *w = NULL;
	size_t i;

	if (how == NULL)
		m->queued_delete = 1;
	for (i = 0; !(fresh && !m->queued_delete) && i < m->nwrites; i++)
		if (strcmp(m->writes[i].name, name) == 0) {
			w = &m->writes[i];
			free_write(w);
			break;
		}
	if (w == NULL) {
		if (upg_grow(&m->writes, &m->capwrites, m->nwrites + 1, sizeof *m->writes, 8) !=
		    UPGRADE_OK)
			return UPGRADE_ENOMEM;
		w = &m->writes[m->nwrites++];
	}
	memset(w, 0, sizeof *w);
	w->name = upg_strdup(name);
	w->checksum = checksum != NULL ? upg_strdup(checksum) : NULL;
	w->duration_ms = ms;
	w->how = how;
	upg_utc_now(w->at, sizeof w->at);
	if (w->name == NULL || (checksum != NULL && w->checksum == NULL))
		return UPGRADE_ENOMEM;
	return UPGRADE_OK;
}

void
upg_state_discard_writes(struct upg_state_module *m)
{
	size_t i;

	for (i = 0; i < m->nwrites; i++)
		free_write(&m->writes[i]);
	m->nwrites = 0;
	m->queued_delete = 0;
	/* Called after rollbacks too: what is stored is not known, so the next save writes it all. */
	m->append_blocked = 1;
}

static int
delete_task_row(struct upg_state *st, const char *module, const char *name)
{
	struct upg_buf sql = UPG_BUF_INIT;
	const char *p[2] = {module, name};
	int ret;

	upg_buf_printf(&sql, "DELETE FROM %s WHERE module = ? AND task = ?", st->tasks_table);
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_exec_params(st->conn, upg_buf_str(&sql), 2, p, NULL);
	upg_buf_free(&sql);
	return ret;
}

/*
 * Appends to sql the INSERT (an upsert where the dialect can) of
 * writes[from, to), none of them deletions, and fills p with its
 * parameters (6 a row; ms holds the durations' text); returns the count.
 */
size_t
upg_state_task_insert_sql(struct upg_state *st, struct upg_state_module *m, size_t from,
                          size_t to, struct upg_buf *sql, const char **p, char (*ms)[24])
{
	const struct upg_dialect *d = st->conn->dialect;
	size_t i, k = 0;

	upg_buf_printf(sql, "INSERT INTO %s (module, task, executed_at, duration_ms, checksum, how) VALUES ",
	               st->tasks_table);
	for (i = from; i < to; i++) {
		const struct upg_task_write *w = &m->writes[i];

		snprintf(ms[i - from], sizeof ms[i - from], "%ld", w->duration_ms);
		upg_buf_puts(sql, i > from ? ", (?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?)");
		p[k++] = m->module;
		p[k++] = w->name;
		p[k++] = w->at;
		p[k++] = w->duration_ms >= 0 ? ms[i - from] : NULL;
		p[k++] = w->checksum;
		p[k++] = w->how;
	}
	if (d->task_upsert != NULL)
		upg_buf_printf(sql, " %s", d->task_upsert);
	return k;
}

/* Writes writes[from, to) (none of them deletions) as one INSERT (an upsert where possible). */
static int
insert_task_rows(struct upg_state *st, struct upg_state_module *m, size_t from, size_t to)
{
	struct upg_buf sql = UPG_BUF_INIT;
	const char **p;
	char (*ms)[24];
	size_t i, k;
	int ret = UPGRADE_OK;

	if (st->conn->dialect->task_upsert == NULL)
		for (i = from; ret == UPGRADE_OK && i < to; i++)
			ret = delete_task_row(st, m->module, m->writes[i].name);
	if (ret != UPGRADE_OK)
		return ret;
	p = calloc((to - from) * 6, sizeof *p);
	ms = calloc(to - from, sizeof *ms);
	if (p == NULL || ms == NULL) {
		free(p);
		free(ms);
		return upg_error_oom(&st->conn->err);
	}
	k = upg_state_task_insert_sql(st, m, from, to, &sql, p, ms);
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_exec_kept(st->conn, upg_buf_str(&sql), k, p, NULL);
	upg_buf_free(&sql);
	free(p);
	free(ms);
	return ret;
}

int
upg_state_flush_writes(struct upg_state *st, struct upg_state_module *m)
{
	size_t i = 0, j;
	int ret = UPGRADE_OK;

	while (ret == UPGRADE_OK && i < m->nwrites) {
		if (m->writes[i].how == NULL) {
			ret = delete_task_row(st, m->module, m->writes[i].name);
			i++;
			continue;
		}
		for (j = i; j < m->nwrites && j - i < TASK_ROWS_PER_INSERT && m->writes[j].how != NULL; j++)
			;
		ret = insert_task_rows(st, m, i, j);
		i = j;
	}
	if (ret == UPGRADE_OK)
		upg_state_discard_writes(m);
	return ret;
}

static int
cmp_row(const void *a, const void *b)
{
	const struct upg_task_row *x = a, *y = b;
	int c = strcmp(x->module, y->module);

	return c != 0 ? c : strcmp(x->name, y->name);
}

struct row_list {
	struct upg_state *st;
	size_t cap;
};

static int
load_task_row(void *ud, size_t ncols, char **v)
{
	struct row_list *l = ud;
	struct upg_state *st = l->st;
	struct upg_task_row *r;

	if (v[0] == NULL || v[1] == NULL)
		return 0;
	if (upg_grow(&st->rows, &l->cap, st->nrows + 1, sizeof *st->rows, 64) != UPGRADE_OK)
		return upg_error_oom(&st->conn->err);
	r = &st->rows[st->nrows++];
	/* Take the strings: the query's buffers are ours to keep. */
	r->module = v[0];
	r->name = v[1];
	r->at = v[2];
	r->checksum = v[3];
	r->how = v[4];
	v[0] = v[1] = v[2] = v[3] = v[4] = NULL;
	return 0;
}

int
upg_state_load_tasks(struct upg_state *st)
{
	struct upg_buf sql = UPG_BUF_INIT;
	struct row_list l = {st, 0};
	int ret;

	upg_buf_printf(&sql, "SELECT module, task, executed_at, checksum, how FROM %s", st->tasks_table);
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_query(st->conn, upg_buf_str(&sql), 0, NULL, load_task_row, &l);
	upg_buf_free(&sql);
	if (ret < 0) {
		if (ret == UPGRADE_ENOMEM)
			return ret;
		/* A schema upgraded by another tool has no upgrade_tasks: nothing is known. */
		upg_error_clear(&st->conn->err);
	}
	/* No table, or an empty one: rows is NULL, which qsort must not see. */
	if (st->nrows > 1)
		qsort(st->rows, st->nrows, sizeof *st->rows, cmp_row);
	return UPGRADE_OK;
}

const struct upg_task_row *
upg_state_task(const struct upg_state *st, const char *module, const char *name)
{
	struct upg_task_row key;

	if (st->nrows == 0)
		return NULL;
	key.module = (char *)module;
	key.name = (char *)name;
	return bsearch(&key, st->rows, st->nrows, sizeof *st->rows, cmp_row);
}
