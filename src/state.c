/* SPDX-License-Identifier: MIT */
/*
 * state.c - reading and writing `upgrades` and `upgrade_tasks` (see
 * state.h).
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
#include <sys/time.h>
#include <time.h>

#include "state.h"

/* Rows per INSERT when task rows are written in a batch (6 parameters each). */
#define TASK_ROWS_PER_INSERT 100

void
upg_utc_now(char *buf, size_t size)
{
	struct timeval tv;
	struct tm tm;
	char base[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, size, "%s.%06ld", base, (long)tv.tv_usec);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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
static int
queue_write(struct upg_state_module *m, const char *name, const char *checksum, long ms,
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
}

/* Our bookkeeping object state.upgrade.<key>, created on demand. */
static json_object *
ours(struct upg_state_module *m, const char *key, json_type type)
{
	json_object *up, *obj;

	if (!json_object_object_get_ex(m->state, "upgrade", &up) ||
	    !json_object_is_type(up, json_type_object)) {
		up = json_object_new_object();
		if (up == NULL || json_object_object_add(m->state, "upgrade", up) != 0)
			return NULL;
	}
	if (json_object_object_get_ex(up, key, &obj) && json_object_is_type(obj, type))
		return obj;
	obj = type == json_type_array ? json_object_new_array() : json_object_new_object();
	if (obj == NULL || json_object_object_add(up, key, obj) != 0)
		return NULL;
	return obj;
}

static json_object *
ours_get(const struct upg_state_module *m, const char *key, const char *name)
{
	json_object *up, *obj, *entry;

	if (m == NULL || !json_object_object_get_ex(m->state, "upgrade", &up) ||
	    !json_object_object_get_ex(up, key, &obj) ||
	    !json_object_object_get_ex(obj, name, &entry) ||
	    !json_object_is_type(entry, json_type_object))
		return NULL;
	return entry;
}

static const char *
get_string_field(json_object *obj, const char *field)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, field, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
upg_state_record(struct upg_state_module *m, const char *name, const char *checksum,
                 long duration_ms, const char *how)
{
	int fresh;

	if (insert_executed(m, name, &fresh) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	upg_state_clear_partial(m, name);
	return queue_write(m, name, checksum, duration_ms, how, fresh);
}

int
upg_state_forget(struct upg_state_module *m, const char *name)
{
	int found;
	size_t at = find_executed(m, name, &found);

	if (found) {
		free(m->executed[at]);
		free(m->executed_json[at]);
		memmove(m->executed + at, m->executed + at + 1,
		        (m->nexecuted - at - 1) * sizeof *m->executed);
		memmove(m->executed_json + at, m->executed_json + at + 1,
		        (m->nexecuted - at - 1) * sizeof *m->executed_json);
		m->nexecuted--;
	}
	upg_state_clear_partial(m, name);
	return queue_write(m, name, NULL, -1, NULL, 0);
}

int
upg_state_log(struct upg_state_module *m, const char *event, const char *task)
{
	json_object *log = ours(m, "log", json_type_array), *entry;
	char now[40];

	if (log == NULL || (entry = json_object_new_object()) == NULL)
		return UPGRADE_ENOMEM;
	upg_utc_now(now, sizeof now);
	json_object_object_add(entry, "at", json_object_new_string(now));
	json_object_object_add(entry, "event", json_object_new_string(event));
	if (task != NULL)
		json_object_object_add(entry, "task", json_object_new_string(task));
	json_object_object_add(entry, "by", json_object_new_string(upg_lock_owner()));
	return json_object_array_add(log, entry) == 0 ? UPGRADE_OK : UPGRADE_ENOMEM;
}

int
upg_state_set_partial(struct upg_state_module *m, const char *name, unsigned long done,
                      unsigned long total, const char *error)
{
	json_object *partial = ours(m, "partial", json_type_object), *entry;
	char now[40];

	if (partial == NULL || (entry = json_object_new_object()) == NULL)
		return UPGRADE_ENOMEM;
	upg_utc_now(now, sizeof now);
	json_object_object_add(entry, "done", json_object_new_int64((int64_t)done));
	json_object_object_add(entry, "total", json_object_new_int64((int64_t)total));
	json_object_object_add(entry, "at", json_object_new_string(now));
	if (error != NULL)
		json_object_object_add(entry, "error", json_object_new_string(error));
	json_object_object_add(partial, name, entry);
	return UPGRADE_OK;
}

int
upg_state_set_running(struct upg_state_module *m, const char *name, unsigned long done,
                      unsigned long total, const char *error)
{
	json_object *entry, *running;
	int ret = upg_state_set_partial(m, name, done, total, error);

	if (ret != UPGRADE_OK)
		return ret;
	entry = ours_get(m, "partial", name);
	running = json_object_new_int64((int64_t)done + 1);
	if (entry == NULL || running == NULL ||
	    json_object_object_add(entry, "running", running) != 0) {
		json_object_put(running);
		return UPGRADE_ENOMEM;
	}
	return UPGRADE_OK;
}

unsigned long
upg_state_get_running(const struct upg_state_module *m, const char *name)
{
	json_object *entry = ours_get(m, "partial", name), *v;

	if (entry == NULL || !json_object_object_get_ex(entry, "running", &v))
		return 0;
	return (unsigned long)json_object_get_int64(v);
}

int
upg_state_clear_partial(struct upg_state_module *m, const char *name)
{
	json_object *up, *partial;

	if (json_object_object_get_ex(m->state, "upgrade", &up) &&
	    json_object_object_get_ex(up, "partial", &partial)) {
		json_object_object_del(partial, name);
		/* No empty leftovers in a state that tools outside share. */
		if (json_object_object_length(partial) == 0)
			json_object_object_del(up, "partial");
		if (json_object_object_length(up) == 0)
			json_object_object_del(m->state, "upgrade");
	}
	return UPGRADE_OK;
}

int
upg_state_get_partial(const struct upg_state_module *m, const char *name, unsigned long *done,
                      unsigned long *total, const char **error, const char **at)
{
	json_object *entry = ours_get(m, "partial", name), *v;

	if (entry == NULL)
		return 0;
	*done = json_object_object_get_ex(entry, "done", &v) ? (unsigned long)json_object_get_int64(v) : 0;
	*total = json_object_object_get_ex(entry, "total", &v) ? (unsigned long)json_object_get_int64(v) : 0;
	*error = get_string_field(entry, "error");
	*at = get_string_field(entry, "at");
	return 1;
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
	n = json_object_array_length(arr);
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
	/* Written sorted and unique by us; another writer's list is sorted here. */
	for (i = 1; i < m->nexecuted && strcmp(m->executed[i - 1], m->executed[i]) < 0; i++)
		;
	if (i >= m->nexecuted)
		goto done;
	qsort(m->executed, m->nexecuted, sizeof *m->executed, cmp_str);
	/* Duplicates (a foreign writer's) would break the binary search's uniqueness. */
	for (i = 1, n = m->nexecuted > 0 ? 1 : 0; i < m->nexecuted; i++) {
		if (strcmp(m->executed[i], m->executed[n - 1]) == 0)
			free(m->executed[i]);
		else
			m->executed[n++] = m->executed[i];
	}
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
	return take_executed(m, m->state) == UPGRADE_OK ? 0 : upg_error_oom(&st->conn->err);
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

static int
create_tables(struct upg_state *st)
{
	const struct upg_dialect *d = st->conn->dialect;
	struct upg_buf sql = UPG_BUF_INIT;
	int ret;

	upg_buf_printf(&sql,
	               "CREATE TABLE IF NOT EXISTS %s (module %s NOT NULL PRIMARY KEY, "
	               "state %s NOT NULL, created %s, modified %s)",
	               st->table, d->key_type, d->json_type, d->timestamp_type, d->timestamp_type);
	ret = sql.failed ? upg_error_oom(&st->conn->err) : upg_db_exec(st->conn, upg_buf_str(&sql));
	upg_buf_free(&sql);
	if (ret != UPGRADE_OK)
		return ret;
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

/*
 * Whether the last statement failed because a table does not exist, and
 * not for a reason creating it would hide.  A dialect that cannot tell
 * says yes: creating the tables then fails with the engine's own error.
 */
static int
table_missing(const struct upgrade_conn *conn)
{
	enum upg_errclass c = upg_conn_error_class(conn);

	return c == UPG_ERRC_NO_TABLE || c == UPG_ERRC_UNKNOWN;
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

int
upg_state_open(struct upg_state **out, struct upgrade_conn *conn, const char *schema, int create)
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
	upg_buf_printf(&sql,
	               "SELECT module, state FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s WHERE 1 = 0) "
	               "ORDER BY module",
	               st->table, st->tasks_table);
	if (sql.failed) {
		upg_buf_free(&sql);
		ret = upg_error_oom(&conn->err);
		goto fail;
	}
	ret = state_query(st, upg_buf_str(&sql));
	if (ret < 0 && st->nmods == 0 && ret != UPGRADE_ENOMEM && table_missing(conn)) {
		upg_error_clear(&conn->err);
		if (create) {
			ret = create_tables(st);
			if (ret == UPGRADE_OK)
				ret = upg_db_query(conn, upg_buf_str(&sql), 0, NULL, load_row, st);
		} else {
			/* Read only: upgrades may be there without upgrade_tasks (another tool's). */
			upg_buf_free(&sql);
			upg_buf_printf(&sql, "SELECT module, state FROM %s ORDER BY module", st->table);
			ret = sql.failed ? upg_error_oom(&conn->err) : state_query(st, upg_buf_str(&sql));
		}
	}
	upg_buf_free(&sql);
	if (ret < 0) {
		/* Without create, a table that is not there is a schema never upgraded. */
		if (create || st->nmods > 0 || ret == UPGRADE_EPARSE || ret == UPGRADE_ENOMEM ||
		    !table_missing(conn))
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
		const char *text = str != NULL ? json_object_to_json_string_ext(str, JSON_C_TO_STRING_PLAIN) : NULL;

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
static size_t
task_insert_sql(struct upg_state *st, struct upg_state_module *m, size_t from, size_t to,
                struct upg_buf *sql, const char **p, char (*ms)[24])
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
	k = task_insert_sql(st, m, from, to, &sql, p, ms);
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_exec_params(st->conn, upg_buf_str(&sql), k, p, NULL);
	upg_buf_free(&sql);
	free(p);
	free(ms);
	return ret;
}

static int
flush_writes(struct upg_state *st, struct upg_state_module *m)
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

int
upg_state_save(struct upg_state *st, struct upg_state_module *m)
{
	struct upg_buf sql = UPG_BUF_INIT;
	int along = writes_ride_along(st, m);
	size_t k = 0, nrows = along ? m->nwrites : 0;
	char *json = state_json(m);
	const char **p = calloc(nrows * 6 + 3, sizeof *p);
	char(*ms)[24] = calloc(nrows + 1, sizeof *ms);
	char now[40];
	int ret;

	if (json == NULL || p == NULL || ms == NULL) {
		ret = upg_error_oom(&st->conn->err);
		goto done;
	}
	upg_utc_now(now, sizeof now);
	if (along) {
		upg_buf_puts(&sql, "WITH task_rows AS (");
		k = task_insert_sql(st, m, 0, nrows, &sql, p, ms);
		upg_buf_puts(&sql, ") ");
	}
	if (m->exists) {
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
	ret = sql.failed ? upg_error_oom(&st->conn->err)
	                 : upg_db_exec_params(st->conn, upg_buf_str(&sql), k, p, NULL);
	if (ret == UPGRADE_OK) {
		m->exists = 1;
		if (along)
			upg_state_discard_writes(m);
		else
			ret = flush_writes(st, m);
	}
done:
	upg_buf_free(&sql);
	free(json);
	free(p);
	free(ms);
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

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 32;
		struct upg_history_item *grown = realloc(h->items, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		h->items = grown;
		h->cap = cap;
	}
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
		const char *event = get_string_field(e, "event");
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
		it = history_add(h, get_string_field(e, "at"), event, m->module,
		                 get_string_field(e, "task"), get_string_field(e, "by"));
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
	if (v[4] != NULL && strcmp(v[4], "baseline") == 0) {
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
		if (ret == UPGRADE_ENOMEM || !table_missing(st->conn))
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
