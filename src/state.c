/* SPDX-License-Identifier: MIT */
/*
 * state.c - reading and writing the module rows of `upgrades` (see
 * state.h; the task rows are state-tasks.c's, the history
 * state-history.c's, the log and the partial marks inside a row
 * state-marks.c's).
 *
 * The state is read once per schema run, under the schema lock, so the
 * read-modify-write of a module's row cannot lose another writer's update.
 * Everything is written with bound parameters; JSON is parsed and printed
 * by json-c.  Task rows are written in batches: a baseline of a thousand
 * tasks is a handful of statements, not a thousand.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

/* Index of name in the sorted executed list, or where it would go (*found 0). */
static size_t
find_executed(const struct upg_state_module *m, const char *name, int *found)
{
	size_t lo = 0, hi = m->nexecuted;

	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->executed[mid], name);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
upg_state_is_executed(const struct upg_state_module *m, const char *name)
{
	int found = 0;

	if (m != NULL && m->nexecuted > 0)
		find_executed(m, name, &found);
	return found;
}

/*
 * Makes room for need names (and their JSON texts, kept in step:
 * capexecuted moves only when both arrays have grown).
 */
static int
grow_executed(struct upg_state_module *m, size_t need)
{
	size_t capnames = m->capexecuted, captexts = m->capexecuted;

	if (upg_grow(&m->executed, &capnames, need, sizeof *m->executed, 32) != UPGRADE_OK ||
	    upg_grow(&m->executed_json, &captexts, need, sizeof *m->executed_json, 32) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	m->capexecuted = captexts;
	return UPGRADE_OK;
}

static int
insert_executed(struct upg_state_module *m, const char *name, int *added)
{
	int found;
	size_t at = find_executed(m, name, &found);
	char *copy;

	*added = !found;
	if (found)
		return UPGRADE_OK;
	if (grow_executed(m, m->nexecuted + 1) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	if ((copy = upg_strdup(name)) == NULL)
		return UPGRADE_ENOMEM;
	memmove(m->executed + at + 1, m->executed + at, (m->nexecuted - at) * sizeof *m->executed);
	memmove(m->executed_json + at + 1, m->executed_json + at,
	        (m->nexecuted - at) * sizeof *m->executed_json);
	m->executed[at] = copy;
	m->executed_json[at] = NULL;
	m->nexecuted++;
	return UPGRADE_OK;
}

struct upg_state_module *
upg_state_find(struct upg_state *st, const char *module)
{
	size_t i;

	/* Exact match: a module whose name is a prefix of another's is a different module. */
	for (i = 0; i < st->nmods; i++)
		if (strcmp(st->mods[i].module, module) == 0)
			return &st->mods[i];
	return NULL;
}

struct upg_state_module *
upg_state_add(struct upg_state *st, const char *module)
{
	struct upg_state_module *m;

	if (upg_grow(&st->mods, &st->capmods, st->nmods + 1, sizeof *st->mods, 16) != UPGRADE_OK)
		return NULL;
	m = &st->mods[st->nmods];
	memset(m, 0, sizeof *m);
	m->module = upg_strdup(module);
	m->state = json_object_new_object();
	if (m->module == NULL || m->state == NULL) {
		free(m->module);
		json_object_put(m->state);
		return NULL;
	}
	st->nmods++;
	return m;
}

int
upg_state_record(struct upg_state_module *m, const char *name, const char *checksum,
                 long duration_ms, const char *how)
{
	int fresh;

	if (insert_executed(m, name, &fresh) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	if (fresh && upg_state_guard(m, name) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	if (fresh && m->appended == NULL && !m->append_blocked) {
		if ((m->appended = upg_strdup(name)) == NULL)
			return UPGRADE_ENOMEM;
	} else if (fresh) {
		m->append_blocked = 1;
	}
	upg_state_clear_partial(m, name);
	return upg_state_queue_write(m, name, checksum, duration_ms, how, fresh);
}

int
upg_state_guard(struct upg_state_module *m, const char *name)
{
	char *copy = upg_strdup(name);

	if (copy == NULL)
		return UPGRADE_ENOMEM;
	free(m->guard_name);
	m->guard_name = copy;
	return UPGRADE_OK;
}

int
upg_state_forget(struct upg_state_module *m, const char *name)
{
	int found;
	size_t at = find_executed(m, name, &found);

	if (found) {
		m->append_blocked = 1;
		free(m->executed[at]);
		free(m->executed_json[at]);
		memmove(m->executed + at, m->executed + at + 1,
		        (m->nexecuted - at - 1) * sizeof *m->executed);
		memmove(m->executed_json + at, m->executed_json + at + 1,
		        (m->nexecuted - at - 1) * sizeof *m->executed_json);
		m->nexecuted--;
	}
	upg_state_clear_partial(m, name);
	return upg_state_queue_write(m, name, NULL, -1, NULL, 0);
}

/* Takes executed_tasks out of a parsed state into the module's sorted list. */
static int
take_executed(struct upg_state_module *m, json_object *state)
{
	json_object *arr;
	size_t i, n;

	if (!json_object_object_get_ex(state, "executed_tasks", &arr))
		return UPGRADE_OK;
	if (!json_object_is_type(arr, json_type_array)) {
		/* Another writer's null or string: no tasks, and the key must go, or it would be
		 * written after ours and win over it. */
		json_object_object_del(state, "executed_tasks");
		return UPGRADE_OK;
	}
	m->list_stored = 1;
	n = json_object_array_length(arr);
	m->stored_len = n;
	if (grow_executed(m, n > 0 ? n : 1) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	/* The JSON texts are made at the first save, if any. */
	memset(m->executed_json, 0, m->capexecuted * sizeof *m->executed_json);
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		/* Foreign writers might store something else; only strings are task names. */
		if (!json_object_is_type(v, json_type_string))
			continue;
		if ((m->executed[m->nexecuted] = upg_strdup(json_object_get_string(v))) == NULL)
			return UPGRADE_ENOMEM;
		m->nexecuted++;
	}
	/* What is not a name goes at the first save, which therefore writes the list whole. */
	if (m->nexecuted < n)
		m->append_blocked = 1;
	/* Unique as we write it, in the order the names were appended: sorted here. */
	for (i = 1; i < m->nexecuted && strcmp(m->executed[i - 1], m->executed[i]) < 0; i++)
		;
	if (i >= m->nexecuted)
		goto done;
	qsort(m->executed, m->nexecuted, sizeof *m->executed, upg_cmp_strings);
	/* Duplicates (a foreign writer's) would break the binary search's uniqueness. */
	for (i = 1, n = m->nexecuted > 0 ? 1 : 0; i < m->nexecuted; i++) {
		if (strcmp(m->executed[i], m->executed[n - 1]) == 0)
			free(m->executed[i]);
		else
			m->executed[n++] = m->executed[i];
	}
	/* Stored with duplicates: the first save writes the list whole, so that they go. */
	if (n < m->nexecuted)
		m->append_blocked = 1;
	m->nexecuted = n;
done:
	json_object_object_del(state, "executed_tasks");
	return UPGRADE_OK;
}

static int
load_row(void *ud, size_t ncols, char **values)
{
	struct upg_state *st = ud;
	struct upg_state_module *m;
	json_object *parsed = NULL;

	if (ncols < 2 || values[0] == NULL)
		return 0;
	m = upg_state_add(st, values[0]);
	if (m == NULL)
		return upg_error_oom(&st->conn->err);
	m->exists = 1;
	/* NULL or empty state means "nothing executed", as for the tools that share the table. */
	if (values[1] != NULL && values[1][0] != '\0') {
		parsed = json_tokener_parse(values[1]);
		if (parsed == NULL || !json_object_is_type(parsed, json_type_object)) {
			json_object_put(parsed);
			return upg_error_set(&st->conn->err, UPGRADE_EPARSE,
			                     "the state of module %s in %s is not a JSON object",
			                     values[0], st->table);
		}
		json_object_put(m->state);
		m->state = parsed;
	}
	if (take_executed(m, m->state) != UPGRADE_OK)
		return upg_error_oom(&st->conn->err);
	free(m->saved_rest);
	m->saved_rest = upg_strdup(json_object_to_json_string_ext(m->state, JSON_C_TO_STRING_PLAIN));
	return m->saved_rest != NULL ? 0 : upg_error_oom(&st->conn->err);
}

static char *
qualified(struct upgrade_conn *conn, const char *schema, const char *table)
{
	struct upg_buf buf = UPG_BUF_INIT;
	char *qs = NULL, *qt = NULL;

	if (upgrade_conn_quote_ident(&qt, conn, table) != UPGRADE_OK)
		return NULL;
	if (conn->caps & (UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_DATABASE_SCHEMAS)) {
		if (upgrade_conn_quote_ident(&qs, conn, schema) != UPGRADE_OK) {
			free(qt);
			return NULL;
		}
		upg_buf_printf(&buf, "%s.", qs);
	}
	upg_buf_puts(&buf, qt);
	free(qs);
	free(qt);
	return upg_buf_detach(&buf);
}

/*
 * Creates the tables upgrades and upgrade_tasks where they are missing,
 * and runs the dialect's state_table_setup on upgrades when this call made
 * it.  Returns UPGRADE_OK or the failing statement's error on st->conn.
 */
static int
create_tables(struct upg_state *st)
{
	const struct upg_dialect *d = st->conn->dialect;
	struct upg_buf sql = UPG_BUF_INIT;
	int ret, fresh = 0;

	/*
	 * The dialect's setup is for a table made here: one that another tool
	 * made (only upgrade_tasks is missing then) may belong to another role.
	 */
	if (d->state_table_setup != NULL) {
		upg_buf_printf(&sql, "SELECT 1 FROM %s WHERE 1 = 0", st->table);
		if (sql.failed) {
			upg_buf_free(&sql);
			return upg_error_oom(&st->conn->err);
		}
		fresh = upg_db_exec(st->conn, upg_buf_str(&sql)) != UPGRADE_OK &&
		        upg_state_table_missing(st->conn);
		upg_error_clear(&st->conn->err);
		upg_buf_free(&sql);
	}

	upg_buf_printf(&sql,
	               "CREATE TABLE IF NOT EXISTS %s (module %s NOT NULL PRIMARY KEY, "
	               "state %s NOT NULL, created %s, modified %s)",
	               st->table, d->key_type, d->json_type, d->timestamp_type, d->timestamp_type);
	ret = sql.failed ? upg_error_oom(&st->conn->err) : upg_db_exec(st->conn, upg_buf_str(&sql));
	upg_buf_free(&sql);
	if (ret != UPGRADE_OK)
		return ret;
	if (fresh) {
		/* The template's one "%s" is the table's qualified name. */
		const char *hole = strstr(d->state_table_setup, "%s");

		if (hole == NULL)
			return upg_error_set(&st->conn->err, UPGRADE_ERROR,
			                     "bad state table template in dialect %s", d->name);
		upg_buf_append(&sql, d->state_table_setup, (size_t)(hole - d->state_table_setup));
		upg_buf_puts(&sql, st->table);
		upg_buf_puts(&sql, hole + 2);
		ret = sql.failed ? upg_error_oom(&st->conn->err)
		                 : upg_db_exec(st->conn, upg_buf_str(&sql));
		upg_buf_free(&sql);
		if (ret != UPGRADE_OK)
			return ret;
	}
	upg_buf_printf(&sql,
	               "CREATE TABLE IF NOT EXISTS %s (module %s NOT NULL, task %s NOT NULL, "
	               "executed_at %s, duration_ms BIGINT, checksum VARCHAR(80), how VARCHAR(16), "
	               "PRIMARY KEY (module, task))%s",
	               st->tasks_table, d->key_type, d->task_key_type, d->timestamp_type,
	               d->task_table_options != NULL ? d->task_table_options : "");
	ret = sql.failed ? upg_error_oom(&st->conn->err) : upg_db_exec(st->conn, upg_buf_str(&sql));
	upg_buf_free(&sql);
	return ret;
}

int
upg_state_table_missing(const struct upgrade_conn *conn)
{
	enum upg_errclass c = upg_conn_error_class(conn);

	return c == UPG_ERRC_NO_TABLE || c == UPG_ERRC_UNKNOWN;
}

static int
by_module(const void *a, const void *b)
{
	return strcmp(((const struct upg_state_module *)a)->module,
	              ((const struct upg_state_module *)b)->module);
}

/*
 * The state query may fail because the tables are not there yet.  Inside
 * a transaction (a dry run whose raw phase is still open) such a failure
 * would abort the whole transaction on PostgreSQL, so there it runs in a
 * savepoint of its own.
 */
static int
state_query(struct upg_state *st, const char *sql)
{
	struct upgrade_conn *conn = st->conn;
	struct upg_error keep = UPG_ERROR_INIT;
	int ret;

	if (conn->autocommit || !(conn->caps & UPGRADE_CAP_SAVEPOINTS))
		return upg_db_query(conn, sql, 0, NULL, load_row, st);
	if ((ret = upg_db_exec(conn, "SAVEPOINT upgrade_state")) != UPGRADE_OK)
		return ret;
	ret = upg_db_query(conn, sql, 0, NULL, load_row, st);
	upg_error_stash(&keep, &conn->err);
	if (ret < 0)
		upg_db_exec(conn, "ROLLBACK TO SAVEPOINT upgrade_state");
	upg_db_exec(conn, "RELEASE SAVEPOINT upgrade_state");
	upg_error_restore(&conn->err, &keep);
	return ret;
}

/* create: 1 makes missing tables, 0 reads what there is, -1 only probes. */
static int
state_open(struct upg_state **out, struct upgrade_conn *conn, const char *schema, int create)
{
	struct upg_state *st;
	struct upg_buf sql = UPG_BUF_INIT;
	int ret;

	*out = NULL;
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return upg_error_oom(&conn->err);
	st->conn = conn;
	st->schema = upg_strdup(schema);
	st->table = qualified(conn, schema, "upgrades");
	st->tasks_table = qualified(conn, schema, "upgrade_tasks");
	if (st->schema == NULL || st->table == NULL || st->tasks_table == NULL) {
		ret = conn->err.code != UPGRADE_OK ? conn->err.code : upg_error_oom(&conn->err);
		goto fail;
	}
	/*
	 * The query names upgrade_tasks too (in a subquery that is always
	 * empty), so it fails unless both tables exist; only then are they
	 * created and the state read again.  A run with nothing to do thus
	 * costs one statement here, not three.
	 */
	upg_buf_printf(&sql, "SELECT module, state FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s WHERE 1 = 0)",
	               st->table, st->tasks_table);
	if (sql.failed) {
		upg_buf_free(&sql);
		ret = upg_error_oom(&conn->err);
		goto fail;
	}
	ret = state_query(st, upg_buf_str(&sql));
	if (ret < 0 && st->nmods == 0 && ret != UPGRADE_ENOMEM && upg_state_table_missing(conn)) {
		upg_error_clear(&conn->err);
		if (create < 0) {
			upg_buf_free(&sql);
			upg_state_free(st);
			return UPGRADE_OK;
		}
		if (create) {
			ret = create_tables(st);
			if (ret == UPGRADE_OK)
				ret = upg_db_query(conn, upg_buf_str(&sql), 0, NULL, load_row, st);
		} else {
			/* Read only: upgrades may be there without upgrade_tasks (another tool's). */
			upg_buf_free(&sql);
			upg_buf_printf(&sql, "SELECT module, state FROM %s", st->table);
			ret = sql.failed ? upg_error_oom(&conn->err) : state_query(st, upg_buf_str(&sql));
		}
	}
	upg_buf_free(&sql);
	/*
	 * Sorted here, by bytes, the same on every engine: an ORDER BY cost
	 * PostgreSQL 0.4 ms of planning on a fresh server session.
	 */
	if (ret >= 0 && st->nmods > 1)
		qsort(st->mods, st->nmods, sizeof *st->mods, by_module);
	if (ret < 0) {
		/* Without create, a table that is not there is a schema never upgraded. */
		if (create || st->nmods > 0 || ret == UPGRADE_EPARSE || ret == UPGRADE_ENOMEM ||
		    !upg_state_table_missing(conn))
			goto fail;
		upg_error_clear(&conn->err);
	} else {
		st->table_exists = 1;
	}
	*out = st;
	return UPGRADE_OK;
fail:
	upg_state_free(st);
	return ret;
}

int
upg_state_open(struct upg_state **out, struct upgrade_conn *conn, const char *schema, int create)
{
	return state_open(out, conn, schema, create != 0);
}

int
upg_state_probe(struct upg_state **out, struct upgrade_conn *conn, const char *schema)
{
	return state_open(out, conn, schema, -1);
}

void
upg_state_free(struct upg_state *st)
{
	size_t i, j;

	if (st == NULL)
		return;
	for (i = 0; i < st->nmods; i++) {
		struct upg_state_module *m = &st->mods[i];
		for (j = 0; j < m->nexecuted; j++)
			free(m->executed[j]);
		for (j = 0; j < m->nexecuted; j++)
			free(m->executed_json[j]);
		free(m->executed);
		free(m->executed_json);
		upg_state_discard_writes(m);
		free(m->writes);
		free(m->module);
		free(m->appended);
		free(m->saved_rest);
		free(m->guard_name);
		json_object_put(m->state);
	}
	for (i = 0; i < st->nrows; i++) {
		free(st->rows[i].module);
		free(st->rows[i].name);
		free(st->rows[i].at);
		free(st->rows[i].checksum);
		free(st->rows[i].how);
	}
	free(st->rows);
	free(st->mods);
	free(st->schema);
	free(st->table);
	free(st->tasks_table);
	free(st);
}

/*
 * The JSON text of a task name, as json-c writes a string; made once per
 * name, so that a save does not serialize every name again.
 */
static const char *
name_json(struct upg_state_module *m, size_t i)
{
	if (m->executed_json[i] == NULL) {
		json_object *str = json_object_new_string(m->executed[i]);
		/* "/" as it is: MariaDB's JSON_CONTAINS (the state guard) compares escaped bytes. */
		const char *text = str != NULL ? json_object_to_json_string_ext(
		                                     str, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
		                               : NULL;

		m->executed_json[i] = text != NULL ? upg_strdup(text) : NULL;
		json_object_put(str);
	}
	return m->executed_json[i];
}

/*
 * The module's state as stored: json-c's text of our object (which never
 * holds executed_tasks), with "executed_tasks" and the sorted names, each
 * in json-c's own text, put first.  Serializing the whole object again
 * for every task would cost more than the task's statements.
 */
static char *
state_json(struct upg_state_module *m)
{
	struct upg_buf buf = UPG_BUF_INIT;
	const char *rest = json_object_to_json_string_ext(m->state, JSON_C_TO_STRING_PLAIN);
	size_t i;

	if (rest == NULL || rest[0] != '{')
		return NULL;
	upg_buf_puts(&buf, "{\"executed_tasks\":[");
	for (i = 0; i < m->nexecuted; i++) {
		const char *text = name_json(m, i);
		if (text == NULL) {
			upg_buf_free(&buf);
			return NULL;
		}
		if (i > 0)
			upg_buf_putc(&buf, ',');
		upg_buf_puts(&buf, text);
	}
	upg_buf_putc(&buf, ']');
	/* rest is "{}" or "{...}": its members follow ours. */
	if (rest[1] != '}')
		upg_buf_putc(&buf, ',');
	upg_buf_puts(&buf, rest + 1);
	return upg_buf_detach(&buf);
}

/*
 * Whether the queued task rows can ride in the statement that writes the
 * module's row ("WITH task_rows AS (INSERT ...) UPDATE ..."): one round
 * trip per task instead of two.  Only an existing row and a few
 * insertions, the common case of a run.
 */
static int
writes_ride_along(const struct upg_state *st, const struct upg_state_module *m)
{
	size_t i;

	if (!st->conn->dialect->data_modifying_with || !m->exists || m->nwrites == 0 ||
	    m->nwrites > TASK_ROWS_PER_INSERT)
		return 0;
	for (i = 0; i < m->nwrites; i++)
		if (m->writes[i].how == NULL)
			return 0;
	return 1;
}

/*
 * Whether the save may leave the stored list as it is and only append on
 * the server: the row holds an executed_tasks array, the list changed by
 * at most one new name, and nothing else in the state changed (rest, its
 * text now, is what was loaded or saved last).
 */
static int
list_appendable(const struct upg_state *st, const struct upg_state_module *m, const char *rest)
{
	return m->exists && m->list_stored && !m->append_blocked && m->saved_rest != NULL &&
	       strcmp(rest, m->saved_rest) == 0 &&
	       (m->appended == NULL || st->conn->dialect->state_append != NULL);
}

/*
 * Ends the WHERE of an UPDATE of the module's row with what must still
 * hold for it to be this run's to write: the task it records or journals
 * is not in the stored list yet, and, when the whole list is written, the
 * stored one is as long as this run last saw it (an append leaves the
 * others' names alone; a whole write would drop them).  Returns whether
 * it added any.
 */
static int
add_guards(const struct upg_state *st, const struct upg_state_module *m, int append,
           struct upg_buf *sql, const char **p, size_t *k, char *seen_len, size_t size)
{
	const struct upg_dialect *d = st->conn->dialect;
	int added = 0;

	if (!m->exists || !m->list_stored)
		return 0;
	if (m->guard_name != NULL && d->state_list_guard != NULL) {
		upg_buf_puts(sql, d->state_list_guard);
		p[(*k)++] = m->guard_name;
		added = 1;
	}
	if (!append && d->state_length_guard != NULL) {
		upg_buf_puts(sql, d->state_length_guard);
		snprintf(seen_len, size, "%zu", m->stored_len);
		p[(*k)++] = seen_len;
		added = 1;
	}
	return added;
}

/*
 * Writes the module's row, and its queued task rows: as one append of the
 * new name where list_appendable() allows, so that the cost of recording
 * a task does not grow with the tasks recorded before it, else the whole
 * state.  Either way the row is the model's format after the commit.
 */
int
upg_state_save(struct upg_state *st, struct upg_state_module *m)
{
	struct upg_buf sql = UPG_BUF_INIT;
	int along = writes_ride_along(st, m);
	size_t k = 0, nrows = along ? m->nwrites : 0;
	const char *rest_text = json_object_to_json_string_ext(m->state, JSON_C_TO_STRING_PLAIN);
	char *rest = rest_text != NULL ? upg_strdup(rest_text) : NULL;
	int append = rest != NULL && list_appendable(st, m, rest);
	char *json = rest == NULL || append ? NULL : state_json(m);
	const char **p = calloc(nrows * 6 + 5, sizeof *p);
	char(*ms)[24] = calloc(nrows + 1, sizeof *ms);
	char now[40], seen_len[24];
	long rows = 0;
	int ret, existed = m->exists, guarded;

	if (rest == NULL || (!append && json == NULL) || p == NULL || ms == NULL) {
		ret = upg_error_oom(&st->conn->err);
		goto done;
	}
	upg_utc_now(now, sizeof now);
	if (along) {
		upg_buf_puts(&sql, "WITH task_rows AS (");
		k = upg_state_task_insert_sql(st, m, 0, nrows, &sql, p, ms);
		upg_buf_puts(&sql, ") ");
	}
	if (append && m->appended != NULL) {
		const char *tmpl = st->conn->dialect->state_append, *at = strstr(tmpl, "%s");

		/* A template from the dialect table: its one %s is the table. */
		upg_buf_printf(&sql, "%.*s%s%s", (int)(at - tmpl), tmpl, st->table, at + 2);
		p[k++] = m->appended;
		p[k++] = now;
		p[k++] = m->module;
	} else if (append) {
		/* An always-run task that ran again: the list is as stored. */
		upg_buf_printf(&sql, "UPDATE %s SET modified = ? WHERE module = ?", st->table);
		p[k++] = now;
		p[k++] = m->module;
	} else if (m->exists) {
		upg_buf_printf(&sql, "UPDATE %s SET state = ?, modified = ? WHERE module = ?", st->table);
		p[k++] = json;
		p[k++] = now;
		p[k++] = m->module;
	} else {
		upg_buf_printf(&sql, "INSERT INTO %s (module, state, created, modified) VALUES (?, ?, ?, NULL)",
		               st->table);
		p[k++] = m->module;
		p[k++] = json;
		p[k++] = now;
	}
	guarded = add_guards(st, m, append, &sql, p, &k, seen_len, sizeof seen_len);
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_exec_kept(st->conn, upg_buf_str(&sql), k, p, &rows);
	if (ret == UPGRADE_OK && guarded && rows == 0 && m->guard_name != NULL)
		ret = upg_error_set(&st->conn->err, UPGRADE_ERROR,
		                    "another run recorded task %s:%s in %s while this one ran it, or "
		                    "changed the module's list, though this one held the schema's lock "
		                    "(do all the runs that reach this database lock alike: the same "
		                    "--pool-mode and --cluster-lock?); this run stops without recording it",
		                    m->module, m->guard_name, st->table);
	else if (ret == UPGRADE_OK && guarded && rows == 0)
		ret = upg_error_set(&st->conn->err, UPGRADE_ERROR,
		                    "another run changed the tasks recorded for module %s in %s while "
		                    "this one held the schema's lock (do all the runs that reach this "
		                    "database lock alike: the same --pool-mode and --cluster-lock?); this "
		                    "run stops without writing its state",
		                    m->module, st->table);
	if (ret == UPGRADE_OK) {
		free(m->guard_name);
		m->guard_name = NULL;
		m->stored_len = append && m->appended != NULL ? m->stored_len + 1
		                : append                       ? m->stored_len
		                                               : m->nexecuted;
		m->exists = 1;
		if (along)
			upg_state_discard_writes(m);
		else
			ret = upg_state_flush_writes(st, m);
	}
	if (ret == UPGRADE_OK) {
		m->list_stored = 1;
		m->append_blocked = 0;
		free(m->appended);
		m->appended = NULL;
		free(m->saved_rest);
		m->saved_rest = rest;
		rest = NULL;
	} else {
		/* The caller rolls back: a row this save inserted is not there. */
		m->exists = existed;
	}
done:
	upg_buf_free(&sql);
	free(rest);
	free(json);
	free(p);
	free(ms);
	return ret;
}

