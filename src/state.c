/*
 * state.c - reading and writing the `upgrades` table (see state.h).
 *
 * The table is read once per schema run, under the schema lock, so the
 * read-modify-write of a row's JSON cannot lose another writer's update.
 * Rows are written with bound parameters; JSON is parsed and printed by
 * json-c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "state.h"

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

/* executed_tasks, creating it (and the object) when missing. */
static json_object *
executed_array(struct upg_state_module *m)
{
	json_object *arr;

	if (!json_object_is_type(m->state, json_type_object)) {
		json_object_put(m->state);
		m->state = json_object_new_object();
		if (m->state == NULL)
			return NULL;
	}
	if (json_object_object_get_ex(m->state, "executed_tasks", &arr) &&
	    json_object_is_type(arr, json_type_array))
		return arr;
	arr = json_object_new_array();
	if (arr == NULL || json_object_object_add(m->state, "executed_tasks", arr) != 0)
		return NULL;
	return arr;
}

/* Rebuilds the sorted lookup list from executed_tasks. */
static int
index_module(struct upg_state_module *m)
{
	json_object *arr = executed_array(m);
	size_t i, n;

	free(m->executed);
	m->executed = NULL;
	m->nexecuted = 0;
	if (arr == NULL)
		return UPGRADE_ENOMEM;
	n = json_object_array_length(arr);
	if (n == 0)
		return UPGRADE_OK;
	m->executed = calloc(n, sizeof *m->executed);
	if (m->executed == NULL)
		return UPGRADE_ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		/* Foreign writers might store something else; only strings are task names. */
		if (json_object_is_type(v, json_type_string))
			m->executed[m->nexecuted++] = (char *)json_object_get_string(v);
	}
	qsort(m->executed, m->nexecuted, sizeof *m->executed, cmp_str);
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

	if (st->nmods == st->capmods) {
		size_t cap = st->capmods ? st->capmods * 2 : 16;
		struct upg_state_module *grown = realloc(st->mods, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		st->mods = grown;
		st->capmods = cap;
	}
	m = &st->mods[st->nmods];
	memset(m, 0, sizeof *m);
	m->module = upg_strdup(module);
	m->state = json_object_new_object();
	if (m->module == NULL || m->state == NULL || index_module(m) != UPGRADE_OK) {
		free(m->module);
		json_object_put(m->state);
		free(m->executed);
		return NULL;
	}
	st->nmods++;
	return m;
}

int
upg_state_is_executed(const struct upg_state_module *m, const char *name)
{
	return m != NULL && m->nexecuted > 0 &&
	       bsearch(&name, m->executed, m->nexecuted, sizeof *m->executed, cmp_str) != NULL;
}

static int
cmp_json_str(const void *a, const void *b)
{
	const json_object *const *ja = a, *const *jb = b;
	const char *sa = json_object_get_string((json_object *)*ja);
	const char *sb = json_object_get_string((json_object *)*jb);

	return strcmp(sa != NULL ? sa : "", sb != NULL ? sb : "");
}

/* Our bookkeeping object state.upgrade.<key>, created on demand. */
static json_object *
ours(struct upg_state_module *m, const char *key, json_type type)
{
	json_object *up, *obj;

	if (executed_array(m) == NULL)
		return NULL;
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

	if (m == NULL || !json_object_is_type(m->state, json_type_object) ||
	    !json_object_object_get_ex(m->state, "upgrade", &up) ||
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
                 long duration_ms)
{
	json_object *arr, *tasks, *info;
	char now[40];

	if (!upg_state_is_executed(m, name)) {
		arr = executed_array(m);
		if (arr == NULL || json_object_array_add(arr, json_object_new_string(name)) != 0)
			return UPGRADE_ENOMEM;
		/* Sorted, so the stored order is stable and diffs of the table stay readable. */
		json_object_array_sort(arr, cmp_json_str);
	}
	tasks = ours(m, "tasks", json_type_object);
	info = json_object_new_object();
	if (tasks == NULL || info == NULL) {
		json_object_put(info);
		return UPGRADE_ENOMEM;
	}
	upg_utc_now(now, sizeof now);
	json_object_object_add(info, "at", json_object_new_string(now));
	if (duration_ms >= 0)
		json_object_object_add(info, "ms", json_object_new_int64(duration_ms));
	if (checksum != NULL)
		json_object_object_add(info, "checksum", json_object_new_string(checksum));
	json_object_object_add(tasks, name, info);
	upg_state_clear_partial(m, name);
	return index_module(m);
}

int
upg_state_forget(struct upg_state_module *m, const char *name)
{
	json_object *arr = executed_array(m), *fresh, *tasks;
	size_t i, n;

	if (arr == NULL)
		return UPGRADE_ENOMEM;
	fresh = json_object_new_array();
	if (fresh == NULL)
		return UPGRADE_ENOMEM;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), name) == 0)
			continue;
		json_object_array_add(fresh, json_object_get(v));
	}
	json_object_object_add(m->state, "executed_tasks", fresh);
	tasks = ours(m, "tasks", json_type_object);
	if (tasks != NULL)
		json_object_object_del(tasks, name);
	upg_state_clear_partial(m, name);
	return index_module(m);
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
upg_state_clear_partial(struct upg_state_module *m, const char *name)
{
	json_object *up, *partial;

	if (json_object_object_get_ex(m->state, "upgrade", &up) &&
	    json_object_object_get_ex(up, "partial", &partial))
		json_object_object_del(partial, name);
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

const char *
upg_state_checksum(const struct upg_state_module *m, const char *name)
{
	return get_string_field(ours_get(m, "tasks", name), "checksum");
}

const char *
upg_state_ran_at(const struct upg_state_module *m, const char *name)
{
	return get_string_field(ours_get(m, "tasks", name), "at");
}

static int
load_row(void *ud, size_t ncols, char **values)
{
	struct upg_state *st = ud;
	struct upg_state_module *m;
	json_object *parsed;

	if (ncols < 2 || values[0] == NULL)
		return 0;
	m = upg_state_add(st, values[0]);
	if (m == NULL)
		return upg_error_oom(&st->conn->err);
	m->exists = 1;
	/* NULL or empty state means "nothing executed", as for the tools that share the table. */
	parsed = values[1] != NULL && values[1][0] != '\0' ? json_tokener_parse(values[1]) : NULL;
	if (values[1] != NULL && values[1][0] != '\0' && parsed == NULL)
		return upg_error_set(&st->conn->err, UPGRADE_EPARSE,
		                     "the state of module %s in %s is not valid JSON", values[0],
		                     st->table);
	if (parsed != NULL) {
		json_object_put(m->state);
		m->state = parsed;
	}
	return index_module(m) == UPGRADE_OK ? 0 : upg_error_oom(&st->conn->err);
}

static char *
quoted(struct upgrade_conn *conn, const char *name)
{
	char *q = NULL;

	if (upgrade_conn_quote_ident(&q, conn, name) != UPGRADE_OK)
		return NULL;
	return q;
}

int
upg_state_open(struct upg_state **out, struct upgrade_conn *conn, const char *schema, int create)
{
	const struct upg_dialect *d = conn->dialect;
	struct upg_state *st;
	struct upg_buf sql = UPG_BUF_INIT;
	char *qs = NULL, *qt = NULL;
	int ret;

	*out = NULL;
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return upg_error_oom(&conn->err);
	st->conn = conn;
	st->schema = upg_strdup(schema);
	qt = quoted(conn, "upgrades");
	if (st->schema == NULL || qt == NULL) {
		ret = qt == NULL ? conn->err.code : upg_error_oom(&conn->err);
		goto fail;
	}
	if (conn->caps & (UPGRADE_CAP_SCHEMAS | UPGRADE_CAP_DATABASE_SCHEMAS)) {
		qs = quoted(conn, schema);
		if (qs == NULL) {
			ret = conn->err.code;
			goto fail;
		}
		upg_buf_printf(&sql, "%s.%s", qs, qt);
		st->table = upg_buf_detach(&sql);
	} else {
		st->table = qt;
		qt = NULL;
	}
	if (st->table == NULL) {
		ret = upg_error_oom(&conn->err);
		goto fail;
	}
	if (create) {
		upg_buf_printf(&sql,
		               "CREATE TABLE IF NOT EXISTS %s (module %s NOT NULL PRIMARY KEY, "
		               "state %s NOT NULL, created %s, modified %s)",
		               st->table, d->key_type, d->json_type, d->timestamp_type, d->timestamp_type);
		if (sql.failed) {
			ret = upg_error_oom(&conn->err);
			goto fail;
		}
		ret = upg_db_exec(conn, upg_buf_str(&sql));
		upg_buf_free(&sql);
		if (ret != UPGRADE_OK)
			goto fail;
	}
	upg_buf_printf(&sql, "SELECT module, state FROM %s ORDER BY module", st->table);
	ret = upg_db_query(conn, upg_buf_str(&sql), 0, NULL, load_row, st);
	upg_buf_free(&sql);
	if (ret < 0) {
		/* Without create, a table that is not there is a schema never upgraded. */
		if (create || st->nmods > 0)
			goto fail;
		upg_error_clear(&conn->err);
		ret = UPGRADE_OK;
	} else {
		st->table_exists = 1;
	}
	free(qs);
	free(qt);
	*out = st;
	return UPGRADE_OK;
fail:
	upg_buf_free(&sql);
	free(qs);
	free(qt);
	upg_state_free(st);
	return ret;
}

void
upg_state_free(struct upg_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nmods; i++) {
		free(st->mods[i].module);
		free(st->mods[i].executed);
		json_object_put(st->mods[i].state);
	}
	free(st->mods);
	free(st->schema);
	free(st->table);
	free(st);
}

int
upg_state_save(struct upg_state *st, struct upg_state_module *m)
{
	struct upg_buf sql = UPG_BUF_INIT;
	const char *json = json_object_to_json_string_ext(m->state, JSON_C_TO_STRING_PLAIN);
	char now[40];
	int ret;

	if (json == NULL)
		return upg_error_oom(&st->conn->err);
	upg_utc_now(now, sizeof now);
	if (m->exists) {
		const char *params[3] = {json, now, m->module};
		upg_buf_printf(&sql, "UPDATE %s SET state = ?, modified = ? WHERE module = ?", st->table);
		ret = sql.failed ? upg_error_oom(&st->conn->err)
		                 : upg_db_exec_params(st->conn, upg_buf_str(&sql), 3, params, NULL);
	} else {
		const char *params[3] = {m->module, json, now};
		upg_buf_printf(&sql, "INSERT INTO %s (module, state, created, modified) VALUES (?, ?, ?, NULL)",
		               st->table);
		ret = sql.failed ? upg_error_oom(&st->conn->err)
		                 : upg_db_exec_params(st->conn, upg_buf_str(&sql), 3, params, NULL);
		if (ret == UPGRADE_OK)
			m->exists = 1;
	}
	upg_buf_free(&sql);
	return ret;
}
