/* SPDX-License-Identifier: MIT */
/*
 * upgrade/runner.h - running upgrades: raw tasks once per database, then,
 * per schema, every pending task in its own transaction together with its
 * state update; baseline, dry runs, locking, and the state's repair.
 *
 * A runner holds settings and borrows a prepared catalog (see
 * upgrade_catalog_prepare(3)); it reports what happens through an event
 * callback and returns the number of tasks it executed.
 */
#ifndef UPGRADE_RUNNER_H
#define UPGRADE_RUNNER_H

#include "upgrade/catalog.h"
#include "upgrade/common.h"
#include "upgrade/connection.h"

#ifdef __cplusplus
extern "C" {
#endif

struct upgrade_runner;

/* What an event reports.  Append only. */
enum upgrade_event_type {
	UPGRADE_EVENT_RUN_START = 1,   /* before anything; count = schemas */
	UPGRADE_EVENT_RAW_START = 2,   /* before the raw tasks; schema = the schemas, joined */
	UPGRADE_EVENT_RAW_DONE = 3,    /* count = raw tasks that changed something */
	UPGRADE_EVENT_SCHEMA_START = 4,
	UPGRADE_EVENT_BASELINE = 5,    /* a module seen for the first time; module, count = tasks */
	UPGRADE_EVENT_TASK_DONE = 6,   /* task executed (in a dry run: and rolled back) */
	UPGRADE_EVENT_TASK_NOTHING = 7, /* an always-run task found nothing to do */
	UPGRADE_EVENT_TASK_FAILED = 8, /* message, sqlstate, statement */
	UPGRADE_EVENT_TASK_PLANNED = 9, /* dry run without transactional DDL: not executed */
	UPGRADE_EVENT_SCHEMA_DONE = 10, /* count = tasks executed; code = result */
	UPGRADE_EVENT_RUN_DONE = 11,    /* count = tasks executed in all; code = result */
	UPGRADE_EVENT_LOCK_WAIT = 12,   /* the schema lock is held by someone else; message = who */
	UPGRADE_EVENT_TASK_START = 13,  /* a pending or always-run task begins */
	/* upgrade_runner_set_sql_only: message = SQL text, statements and comments, each ending in a newline */
	UPGRADE_EVENT_SQL = 14
};

struct upgrade_event {
	enum upgrade_event_type type;
	const char *schema;            /* NULL for run events */
	const struct upgrade_task *task; /* task events */
	const char *module;            /* BASELINE */
	long count;
	int code;                      /* UPGRADE_OK or the failure */
	long duration_ms;              /* task, schema and run events */
	const char *message;           /* failures: the database's message */
	const char *sqlstate;          /* failures: "" when none */
	unsigned long statement;       /* failures: 1-based action that failed, 0 if none */
	unsigned long statements;      /* failures: actions in the task */
	int dry_run;
	int verified;                  /* 0 when a dry run could not execute the task */
	long index;                    /* SCHEMA_START: 1-based position; count = schemas */
};

typedef void (*upgrade_event_fn)(const struct upgrade_event *event, void *userdata);

/*
 * Creates a runner that borrows catalog (only read, so several runners and
 * threads may share one prepared catalog); the catalog must outlive it.
 */
UPGRADE_EXTERN int upgrade_runner_new(struct upgrade_runner **out,
                                      const struct upgrade_catalog *catalog);
UPGRADE_EXTERN void upgrade_runner_free(struct upgrade_runner *runner);

/* Execute and roll back (transactional DDL) or only plan (others); nothing persists. */
UPGRADE_EXTERN int upgrade_runner_set_dry_run(struct upgrade_runner *runner, int dry_run);
/*
 * Executes no task: shows, through UPGRADE_EVENT_SQL events, the statements
 * that a run would send for the pending tasks, install blocks included,
 * with the state writes and the guards' answers as comments.  Guards and
 * introspection run (they only read); nothing is written and no lock is
 * taken.  Implies a dry run.
 */
UPGRADE_EXTERN int upgrade_runner_set_sql_only(struct upgrade_runner *runner, int sql_only);
/* After a failed schema, go on with the others (the result is then partial). */
UPGRADE_EXTERN int upgrade_runner_set_keep_going(struct upgrade_runner *runner, int keep_going);
/* Milliseconds to wait for each schema's lock; default 300000. */
UPGRADE_EXTERN int upgrade_runner_set_lock_timeout(struct upgrade_runner *runner, long ms);
/* Continue a partly applied task (engines without transactional DDL) after its last committed statement. */
UPGRADE_EXTERN int upgrade_runner_set_resume(struct upgrade_runner *runner, int resume);
/*
 * Continue a partly applied task with statement (1-based; one past the
 * last records the task as done), whatever its journal says; 0 turns it off.
 */
UPGRADE_EXTERN int upgrade_runner_set_resume_from(struct upgrade_runner *runner,
                                                  unsigned long statement);
/*
 * A schema named with upgrade_runner_add_schema() that does not exist is
 * created by upgrade_runner_run() (not in a dry run) when the dialect can
 * (PostgreSQL CREATE SCHEMA, MariaDB CREATE DATABASE); default off, then
 * it is an error.
 */
UPGRADE_EXTERN int upgrade_runner_set_create_schemas(struct upgrade_runner *runner, int on);
/* Run up to jobs schemas at once, each on its own connection; default 1. */
UPGRADE_EXTERN int upgrade_runner_set_jobs(struct upgrade_runner *runner, int jobs);
UPGRADE_EXTERN int upgrade_runner_set_event_callback(struct upgrade_runner *runner,
                                                     upgrade_event_fn fn, void *userdata);

/*
 * Target schemas: names (upgrade_runner_add_schema) and fnmatch(3)
 * patterns over the engine's schemas (upgrade_runner_add_schema_pattern).
 * Without either, the connection's current schema.
 */
UPGRADE_EXTERN int upgrade_runner_add_schema(struct upgrade_runner *runner, const char *schema);
UPGRADE_EXTERN int upgrade_runner_add_schema_pattern(struct upgrade_runner *runner,
                                                     const char *pattern);

/*
 * Runs the upgrade on conn (which must be in autocommit mode, as after
 * connecting).  Returns the number of executed tasks (>= 0), or a negative
 * code: UPGRADE_EDB for a failed task or database error, UPGRADE_ELOCKED
 * for a lock timeout; with keep-going, the first failure's code.  The
 * message is available from upgrade_runner_error().
 */
UPGRADE_EXTERN int upgrade_runner_run(struct upgrade_runner *runner, struct upgrade_conn *conn);

/*
 * The last failure of a call on this runner (for a run, the first failed
 * schema's): message, return code, SQLSTATE and the engine's native code;
 * "", UPGRADE_OK, "" and 0 when there is none.  The strings remain valid
 * until the next call on the runner.
 */
UPGRADE_EXTERN const char *upgrade_runner_error(const struct upgrade_runner *runner);
UPGRADE_EXTERN int upgrade_runner_error_code(const struct upgrade_runner *runner);
UPGRADE_EXTERN const char *upgrade_runner_sqlstate(const struct upgrade_runner *runner);
UPGRADE_EXTERN long upgrade_runner_native_error(const struct upgrade_runner *runner);
/* After a run: schemas that succeeded and that failed. */
UPGRADE_EXTERN size_t upgrade_runner_schemas_ok(const struct upgrade_runner *runner);
UPGRADE_EXTERN size_t upgrade_runner_schemas_failed(const struct upgrade_runner *runner);

/*
 * The state of one task in one schema, as upgrade_runner_status() reports
 * it.  Append only.
 */
enum upgrade_task_state {
	UPGRADE_STATE_PENDING = 1,  /* in the catalog, not recorded */
	UPGRADE_STATE_EXECUTED = 2, /* recorded, body unchanged (or not checksummed) */
	UPGRADE_STATE_CHANGED = 3,  /* recorded, body changed since it ran */
	UPGRADE_STATE_UNKNOWN = 4,  /* recorded, no longer in any catalog */
	UPGRADE_STATE_PARTIAL = 5,  /* started, some statements committed, not finished */
	UPGRADE_STATE_NEW_MODULE = 6 /* its module was never seen here: baseline will record it */
};

/*
 * Called once per task and schema by upgrade_runner_status(): task is NULL
 * for UPGRADE_STATE_UNKNOWN (then module and name say what was recorded);
 * detail describes partial progress or when the task ran.
 */
typedef void (*upgrade_status_fn)(const char *schema, const char *module, const char *name,
                                  const struct upgrade_task *task, enum upgrade_task_state state,
                                  const char *detail, void *userdata);

/* Reports the state of every task in every target schema; writes nothing. */
UPGRADE_EXTERN int upgrade_runner_status(struct upgrade_runner *runner, struct upgrade_conn *conn,
                                         upgrade_status_fn fn, void *userdata);

/*
 * Repairs and adoption, in every target schema, each logged in the state:
 * baseline records every task of every catalog module not yet seen (as a
 * first run would); mark records one task as executed (clearing partial
 * progress); unmark forgets it, so it runs again.
 */
UPGRADE_EXTERN int upgrade_runner_baseline(struct upgrade_runner *runner, struct upgrade_conn *conn);
UPGRADE_EXTERN int upgrade_runner_mark(struct upgrade_runner *runner, struct upgrade_conn *conn,
                                       const char *task_id);
UPGRADE_EXTERN int upgrade_runner_unmark(struct upgrade_runner *runner, struct upgrade_conn *conn,
                                         const char *task_id);

/*
 * One entry of a schema's history, as upgrade_runner_history() reports it.
 * The strings are borrowed until the callback returns.  Append only.
 */
struct upgrade_history_entry {
	const char *schema;
	const char *at;     /* RFC 3339 in UTC: "2026-12-04T09:15:02.123456Z" */
	const char *event;  /* "run", "baseline", "mark", "unmark" or "resume-from" */
	const char *module;
	const char *task;   /* the task's name in module; NULL for a baseline */
	const char *by;     /* "HOST pid PID" that did it; NULL where not recorded (runs) */
	long duration_ms;   /* run: how long the task took; -1 when unknown */
	unsigned long statement; /* resume-from: the statement the task went on with */
	unsigned long tasks;     /* baseline: how many tasks it recorded */
};

typedef void (*upgrade_history_fn)(const struct upgrade_history_entry *entry, void *userdata);

/*
 * Reports the history of every target schema, schema by schema, newest
 * first: tasks run, baselines, marks, unmarks and resumes, from the state
 * tables.  Writes nothing and takes no lock.
 */
UPGRADE_EXTERN int upgrade_runner_history(struct upgrade_runner *runner, struct upgrade_conn *conn,
                                          upgrade_history_fn fn, void *userdata);

#ifdef __cplusplus
}
#endif

#endif /* UPGRADE_RUNNER_H */
