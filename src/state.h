/*
 * state.h - the table `upgrades` in every upgraded schema: one row per
 * module, its `state` a JSON object whose "executed_tasks" (sorted task
 * names) is authoritative and readable by any tool that shares the table.
 * Our own bookkeeping lives under the key "upgrade", which other readers
 * ignore: per task when it ran, how long it took and the checksum of its
 * body; partial progress of a task on engines without transactional DDL;
 * and a log of baselines and manual marks.
 */
#ifndef UPG_STATE_H
#define UPG_STATE_H

#include <json-c/json.h>

#include "connection.h"

struct upg_state_module {
	char *module;
	json_object *state; /* the whole object, owned */
	int exists;         /* there is a row */
	char **executed;    /* sorted names from executed_tasks, borrowed from state */
	size_t nexecuted;
};

struct upg_state {
	struct upgrade_conn *conn;
	char *schema;
	char *table; /* quoted, qualified where the engine has schemas */
	int table_exists;
	struct upg_state_module *mods;
	size_t nmods, capmods;
};

/*
 * Reads the state of schema.  With create, makes the table when missing
 * (a DDL statement of its own, in autocommit); without, a missing table is
 * an empty state.  conn must be in autocommit mode.
 */
int upg_state_open(struct upg_state **out, struct upgrade_conn *conn, const char *schema,
                   int create);
void upg_state_free(struct upg_state *st);

struct upg_state_module *upg_state_find(struct upg_state *st, const char *module);
/* Adds a module without a row (in memory); NULL when out of memory. */
struct upg_state_module *upg_state_add(struct upg_state *st, const char *module);

int upg_state_is_executed(const struct upg_state_module *m, const char *name);

/*
 * In-memory changes; upg_state_save() writes the row (INSERT or UPDATE)
 * in whatever transaction the connection is in.  checksum may be NULL,
 * duration_ms < 0 means unknown.
 */
int upg_state_record(struct upg_state_module *m, const char *name, const char *checksum,
                     long duration_ms);
int upg_state_forget(struct upg_state_module *m, const char *name);
/* Appends {"at", "event", "task", "by"} to the module's log. */
int upg_state_log(struct upg_state_module *m, const char *event, const char *task);

/* Partial progress of a task: actions done of total, and the failure. */
int upg_state_set_partial(struct upg_state_module *m, const char *name, unsigned long done,
                          unsigned long total, const char *error);
int upg_state_clear_partial(struct upg_state_module *m, const char *name);
/* 1 with *done, *total, *error (borrowed) when the task is partly applied. */
int upg_state_get_partial(const struct upg_state_module *m, const char *name, unsigned long *done,
                          unsigned long *total, const char **error, const char **at);
/* The recorded checksum and time of a task, or NULL. */
const char *upg_state_checksum(const struct upg_state_module *m, const char *name);
const char *upg_state_ran_at(const struct upg_state_module *m, const char *name);

int upg_state_save(struct upg_state *st, struct upg_state_module *m);

/* "YYYY-MM-DD HH:MM:SS.ffffff" in UTC. */
void upg_utc_now(char *buf, size_t size);

#endif /* UPG_STATE_H */
