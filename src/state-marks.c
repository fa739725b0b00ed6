/* SPDX-License-Identifier: MIT */
/*
 * state-marks.c - our own bookkeeping inside a module's state object,
 * under the key "upgrade" that the model system ignores: the log of
 * baselines, marks and unmarks, and the marks of a task left partly
 * applied (engines without transactional DDL) or running.  Nothing is
 * left behind empty, since tools outside share the object.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "state.h"

const char *
upg_state_string_field(json_object *obj, const char *field)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, field, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
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
                      unsigned long total, const char *error, const char *checksum)
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
	if (checksum != NULL)
		json_object_object_add(entry, "checksum", json_object_new_string(checksum));
	json_object_object_add(partial, name, entry);
	return UPGRADE_OK;
}

int
upg_state_set_running(struct upg_state_module *m, const char *name, unsigned long done,
                      unsigned long total, const char *error, const char *checksum)
{
	json_object *entry = ours_get(m, "partial", name), *running, *at = NULL;
	int ret;

	/* The same statement's intent again (with how it failed): it started when first written. */
	if (entry != NULL && upg_state_get_running(m, name) == done + 1 &&
	    json_object_object_get_ex(entry, "at", &at))
		json_object_get(at);
	else
		at = NULL;
	ret = upg_state_set_partial(m, name, done, total, error, checksum);
	entry = ret == UPGRADE_OK ? ours_get(m, "partial", name) : NULL;
	if (at != NULL && entry != NULL)
		json_object_object_add(entry, "at", at);
	else
		json_object_put(at);
	if (ret != UPGRADE_OK)
		return ret;
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
	*error = upg_state_string_field(entry, "error");
	*at = upg_state_string_field(entry, "at");
	return 1;
}

const char *
upg_state_get_partial_checksum(const struct upg_state_module *m, const char *name)
{
	json_object *entry = ours_get(m, "partial", name);

	return entry != NULL ? upg_state_string_field(entry, "checksum") : NULL;
}
