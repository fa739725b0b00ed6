/* SPDX-License-Identifier: MIT */
/*
 * state.h - what is recorded in every upgraded schema.
 *
 * The table `upgrades` has one row per module; its `state` is a JSON
 * object whose "executed_tasks" (the sorted task names) is authoritative
 * and readable by any tool that shares the table.  The runner's own small
 * bookkeeping lives under the key "upgrade" of that object, which other
 * readers ignore: the progress of a partly applied task, and a log of
 * baselines and manual marks.  What grows with every task (when it ran,
 * how long it took, the checksum of its body) lives in a table of its own,
 * `upgrade_tasks`, one row per task, so that recording a task writes a row
 * of constant size instead of rewriting an ever longer JSON document.
 */
#ifndef UPG_STATE_H
#define UPG_STATE_H

#include <json-c/json.h>

#include "connection.h"

/* A change to upgrade_tasks, written by the next upg_state_save(). */
struct upg_task_write {
	char *name;
	char *checksum; /* NULL when unknown */
	long duration_ms; /* < 0 when unknown */
	const char *how;  /* "run", "baseline", "mark"; NULL: delete the row */
	char at[40];
};

struct upg_state_module {
	char *module;
	json_object *state; /* the whole object but executed_tasks (rebuilt on save), owned */
	int exists;         /* there is a row */
	char **executed;    /* sorted, owned */
	size_t nexecuted, capexecuted;
	/* executed[i] as a JSON string (json-c's text), made at the first save; owned */
	char **executed_json;
	struct upg_task_write *writes;
	size_t nwrites, capwrites;
	int queued_delete; /* a deletion is among the writes */
	/*
	 * What the next save may send instead of the whole state: the stored
	 * row has an executed_tasks array (list_stored); since the last load
	 * or save, appended names one task name; append_blocked when anything
	 * else changed in the list; saved_rest the text of state at that time.
	 */
	int list_stored, append_blocked;
	/*
	 * The task the next save records or journals while it is not in the
	 * stored list: the save holds only while it is still not there.
	 */
	char *guard_name;
	/* The length of the stored array as this run last read or wrote it (list_stored). */
	size_t stored_len;
	char *appended;
	char *saved_rest;
};

/* A row of upgrade_tasks, as upg_state_load_tasks() reads it. */
struct upg_task_row {
	char *module, *name, *at, *checksum, *how;
};

struct upg_state {
	struct upgrade_conn *conn;
	char *schema;
	char *table;       /* `upgrades`, quoted, qualified where the engine has schemas */
	char *tasks_table; /* `upgrade_tasks`, likewise */
	int table_exists;
	struct upg_state_module *mods;
	size_t nmods, capmods;
	struct upg_task_row *rows; /* after upg_state_load_tasks(), sorted by module, name */
	size_t nrows;
};

/*
 * Reads the state of schema.  With create, makes both tables when missing
 * (DDL of their own, in autocommit); without, a missing table is an empty
 * state.  conn must be in autocommit mode.
 */
int upg_state_open(struct upg_state **out, struct upgrade_conn *conn, const char *schema,
                   int create);
/*
 * Reads the state when both tables are there, in one statement, and sets
 * *out to NULL when either is missing (a statement that failed, nothing
 * created): the runner's look at a schema before it takes the lock.
 */
int upg_state_probe(struct upg_state **out, struct upgrade_conn *conn, const char *schema);
void upg_state_free(struct upg_state *st);

struct upg_state_module *upg_state_find(struct upg_state *st, const char *module);
/* Adds a module without a row (in memory); NULL when out of memory. */
struct upg_state_module *upg_state_add(struct upg_state *st, const char *module);

int upg_state_is_executed(const struct upg_state_module *m, const char *name);

/*
 * In-memory changes; upg_state_save() writes them (the module's row and
 * its task rows) in whatever transaction the connection is in.  how is
 * "run", "baseline" or "mark"; checksum may be NULL; duration_ms < 0
 * means unknown.
 */
int upg_state_record(struct upg_state_module *m, const char *name, const char *checksum,
                     long duration_ms, const char *how);
int upg_state_forget(struct upg_state_module *m, const char *name);
/* Makes the next save hold only while name is not in the stored list (guard_name). */
int upg_state_guard(struct upg_state_module *m, const char *name);
/*
 * Queues a change of task name's row for the next save (state-tasks.c):
 * how NULL deletes it; fresh says the task was not recorded before.
 */
int upg_state_queue_write(struct upg_state_module *m, const char *name, const char *checksum,
                          long ms, const char *how, int fresh);
/* Drops the changes not yet saved to task rows (after a rollback). */
void upg_state_discard_writes(struct upg_state_module *m);
/* Appends {"at", "event", "task", "by"} to the module's log. */
int upg_state_log(struct upg_state_module *m, const char *event, const char *task);

/*
 * Partial progress of a task: actions done of total, the failure, and the
 * checksum of the task's body being applied (NULL: not known).
 */
int upg_state_set_partial(struct upg_state_module *m, const char *name, unsigned long done,
                          unsigned long total, const char *error, const char *checksum);
int upg_state_clear_partial(struct upg_state_module *m, const char *name);
/*
 * The intent before a statement that commits on its own: done of total
 * committed, statement done + 1 started.  Until the next set_partial (or
 * record) replaces it, nobody knows whether that statement committed.
 * error, when not NULL, is how it failed (and still maybe committed).
 */
int upg_state_set_running(struct upg_state_module *m, const char *name, unsigned long done,
                          unsigned long total, const char *error, const char *checksum);
/* The started statement (1-based) whose end is not recorded, or 0. */
unsigned long upg_state_get_running(const struct upg_state_module *m, const char *name);
/* 1 with *done, *total, *error, *at (borrowed) when the task is partly applied. */
int upg_state_get_partial(const struct upg_state_module *m, const char *name, unsigned long *done,
                          unsigned long *total, const char **error, const char **at);
/* The checksum of the body a partly applied task was applied from, or NULL (borrowed). */
const char *upg_state_get_partial_checksum(const struct upg_state_module *m, const char *name);

int upg_state_save(struct upg_state *st, struct upg_state_module *m);

/* ---- shared by state.c, state-tasks.c and state-history.c ---- */

/* Rows per INSERT when task rows are written in a batch (6 parameters each). */
#define TASK_ROWS_PER_INSERT 100

/*
 * Whether the last statement failed because a table does not exist, and
 * not for a reason creating it would hide.  A dialect that cannot tell
 * says yes: creating the tables then fails with the engine's own error.
 */
int upg_state_table_missing(const struct upgrade_conn *conn);
/* The string member field of obj, or NULL when absent or not a string. */
const char *upg_state_string_field(json_object *obj, const char *field);
/*
 * Appends to sql the INSERT (an upsert where the dialect can) of the
 * queued writes [from, to) of m, none of them deletions, and fills p with
 * its parameters (6 a row; ms holds the durations' text); returns the count.
 */
size_t upg_state_task_insert_sql(struct upg_state *st, struct upg_state_module *m, size_t from,
                                 size_t to, struct upg_buf *sql, const char **p, char (*ms)[24]);
/* Writes m's queued task rows (deletions and upserts) and discards them. */
int upg_state_flush_writes(struct upg_state *st, struct upg_state_module *m);

/* Reads upgrade_tasks for upg_state_task(); a missing table is no rows. */
int upg_state_load_tasks(struct upg_state *st);
/* The task row of module:name after upg_state_load_tasks(), or NULL. */
const struct upg_task_row *upg_state_task(const struct upg_state *st, const char *module,
                                          const char *name);

/*
 * One entry of a schema's history (see upg_state_history()); the strings
 * are owned, task and by may be NULL.
 */
struct upg_history_item {
	char at[40]; /* RFC 3339 in UTC, or the text as stored when it is not a time */
	char *event, *module, *task, *by;
	long duration_ms;
	unsigned long statement, tasks;
	size_t seq; /* order of discovery, to keep ties stable */
};

/*
 * The history of the schema whose state st holds, newest first: the log
 * of baselines, marks, unmarks and resumes kept in each module's state,
 * and the runs recorded in upgrade_tasks (a baseline's task rows become
 * one entry per module).  On success *out (free with upg_history_free())
 * has *n items; a schema without upgrade_tasks has only its log.
 */
int upg_state_history(struct upg_state *st, struct upg_history_item **out, size_t *n);
void upg_history_free(struct upg_history_item *items, size_t n);


#endif /* UPG_STATE_H */
