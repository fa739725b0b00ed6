/* SPDX-License-Identifier: MIT */
/*
 * run.h - what the files of the runner share; nothing here is installed.
 *
 * The runner is split by concern, each file calling only those below it:
 *
 *   run.c           the public handle: settings, accessors, upgrade_runner_run
 *   run-status.c    status and history: what each schema's state says
 *   run-repair.c    baseline, mark and unmark: correcting the state by hand
 *   run-parallel.c  the thread scheduler of a run with jobs > 1
 *   run-raw.c       the raw phase, once per database before the schemas
 *   run-schema.c    one schema's run: baseline, install blocks, pending tasks
 *   run-task.c      one task: in a transaction, or journaled statement by statement
 *   run-target.c    which schemas, and switching to, locking and reading one
 *   run-txn.c       transaction strategies: task transactions, dry-run phases
 *   run-event.c     events: delivered at once, or queued per schema
 */
#ifndef UPG_RUN_H
#define UPG_RUN_H

#include <pthread.h>
#include <time.h>

#include "catalog.h"
#include "context.h"
#include "state.h"
#include "upgrade/runner.h"

/* The most threads a parallel run starts (upgrade_runner_set_jobs). */
#define MAX_JOBS 64

struct upg_queued_event {
	struct upgrade_event ev;
	char *schema, *module, *message, *sqlstate;
};

/*
 * Slots of a job's event queue that only the events ending a schema may
 * use: its one TASK_FAILED (a schema stops at its first failure) and its
 * SCHEMA_DONE, whose message becomes the runner's error.  They are
 * allocated before the job starts, so running out of memory later can
 * cost progress events but never these.
 */
#define RESERVED_EVENTS 2

struct upg_parallel;

struct upg_schema_job {
	const char *schema;
	struct upg_queued_event *events;
	size_t nevents, capevents;
	int done;
	int code;
	long executed;
	/*
	 * A lock wait is not queued with the rest: a wait of minutes must be
	 * seen while it lasts, so the calling thread delivers it at once
	 * (see upg_run_parallel).  wait_state: 0 none, 1 to deliver, 2 delivered.
	 */
	struct upg_parallel *owner;
	struct upg_queued_event wait;
	int wait_state;
};

struct upgrade_runner {
	unsigned int magic;                /* UPG_MAGIC_RUNNER, first: see UPG_IS() */
	const struct upgrade_catalog *cat; /* borrowed, only read */
	int dry_run, keep_going, resume, jobs;
	int sql_only; /* upgrade_runner_set_sql_only: show statements, execute none (a dry run too) */
	int dry_run_asked; /* by upgrade_runner_set_dry_run; dry_run is it or sql_only */
	int create_schemas; /* run creates a named schema that does not exist */
	unsigned long resume_from; /* 0, or the statement a partly applied task continues with */
	long lock_timeout_ms;
	upgrade_event_fn fn;
	void *ud;
	char **schemas;
	size_t nschemas, capschemas;
	char **patterns;
	size_t npatterns, cappatterns;
	struct upg_error err;
	size_t schemas_ok, schemas_failed;
	/*
	 * A dry run's raw phase left its transaction open on the run's
	 * connection: the schemas run inside it, so that their tasks see what
	 * the raw tasks did, and it is rolled back at the end of the run.
	 */
	int held;
};

/* What one schema run (or the raw phase) works with. */
/*
 * The statements `upgrade sql` has shown for a schema (src/run-sql.c):
 * their words, lower-cased, for the names that are one word (a table, an
 * enum type), and their whole text for the rare name that is not.
 */
struct upg_sql_seen {
	struct upg_buf text;
	struct upg_map words; /* keys in arena */
	struct upg_arena arena;
	int lost; /* a word could not be kept: every name counts as seen */
};

struct upg_run {
	struct upgrade_runner *r;
	struct upgrade_conn *conn;
	const char *schema;
	struct upg_schema_job *job; /* parallel runs queue events here */
	long executed;
	long index, total; /* position of the schema in the run, for progress */
	int outer;         /* a dry run's phase transaction is open: tasks are savepoints */
	/* `upgrade sql`: what the statements shown so far for this schema name. */
	struct upg_sql_seen sql_seen;
};

/* Parallel workers share this. */
struct upg_parallel {
	struct upgrade_runner *r;
	struct upgrade_conn *proto;
	struct upg_schema_job *jobs;
	size_t njobs, next;
	/* Workers still opening their connection, and those that opened it. */
	size_t connecting, connected;
	int stop;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
};

/* Dry-run savepoints: see upg_run_phase_begin(). */
#define TASK_SAVEPOINT "upgrade_task"
#define SCHEMA_SAVEPOINT "upgrade_schema"

/* Target schemas, as upg_run_resolve_schemas() lists them. */
struct upg_schema_list {
	char **names;
	size_t n, cap;
	int failed;
};

static inline int
upg_run_transactional(const struct upg_run *run)
{
	return (run->conn->caps & UPGRADE_CAP_TRANSACTIONAL_DDL) != 0;
}

/* run-event.c */
void upg_run_event_init(struct upgrade_event *ev, enum upgrade_event_type type, const char *schema);
void upg_run_emit(struct upg_run *run, struct upgrade_event *ev);
void upg_run_fail_event(struct upg_run *run, const struct upgrade_task *task, int code,
                        unsigned long statement, unsigned long statements, long duration);
void upg_run_task_event(struct upg_run *run, enum upgrade_event_type type,
                        const struct upgrade_task *task, int code, long duration, int verified);

/* run-txn.c */
int upg_run_phase_begin(struct upg_run *run);
void upg_run_phase_rollback(struct upg_run *run);
int upg_run_tx_begin(struct upg_run *run);
int upg_run_tx_commit(struct upg_run *run);
void upg_run_tx_abandon(struct upg_run *run);
int upg_run_save_alone(struct upg_run *run, struct upg_state *st, struct upg_state_module *m);

/* run-target.c */
void upg_run_free_names(char **list, size_t n);
int upg_run_check_ready(struct upgrade_runner *r, struct upgrade_conn *conn);
int upg_run_check_writable(struct upgrade_runner *r, struct upgrade_conn *conn);
int upg_run_current_schema(struct upgrade_conn *conn, char **out);
int upg_run_resolve_schemas(struct upgrade_runner *r, struct upgrade_conn *conn,
                            struct upg_schema_list *out, int create);
int upg_run_use_schema(struct upgrade_conn *conn, const char *schema);
int upg_run_lock_schema(struct upg_run *run, const char *name, struct upg_lock **lock);
int upg_run_open_schema(struct upg_run *run, struct upg_lock **lock, struct upg_state **st,
                        int create);
void upg_run_close_schema(struct upg_lock *lock, struct upg_state *st);
int upg_run_each_schema(struct upgrade_runner *r, struct upgrade_conn *conn, int write,
                        int (*fn)(struct upg_run *run, struct upg_state *st, void *ud), void *ud);

/* run-task.c */
int upg_run_body(struct upg_run *run, struct upgrade_context *ctx, const struct upgrade_task *task,
                 const struct upg_resolved *res, int *nothing, unsigned long *failed_at);
unsigned long upg_run_action_count(const struct upg_resolved *res);
int upg_run_announce_task(struct upg_run *run, const struct upgrade_task *task,
                          struct upg_resolved **res);
/* `upgrade sql`: shows what running task would send (see src/run-sql.c). */
int upg_run_task_sql(struct upg_run *run, const struct upgrade_task *task,
                     const struct upg_resolved *res);
/* `upgrade sql`: shows the switch to run->schema that a run makes first. */
int upg_run_sql_use_schema(struct upg_run *run);
/* Forgets what `upgrade sql` has shown for the schema. */
void upg_run_sql_forget(struct upg_run *run);
int upg_run_task_journal(struct upg_run *run, struct upg_state *st, struct upg_state_module *m,
                         const struct upgrade_task *task, const struct upg_resolved *res);
int upg_run_task(struct upg_run *run, struct upg_state *st, const struct upgrade_task *task);
/* Records task in m as executed, with its checksum; UPGRADE_ENOMEM without memory. */
int upg_run_record(struct upg_state_module *m, const struct upgrade_task *task, long ms,
                   const char *how);

/* run-schema.c */
int upg_run_install_unfinished(const struct upg_state_module *m);
int upg_run_baseline(struct upg_run *run, struct upg_state *st, int log, unsigned char *due);
int upg_run_schema(struct upg_run *run);

/* run-raw.c */
int upg_run_raw(struct upgrade_runner *r, struct upgrade_conn *conn,
                const struct upg_schema_list *schemas);

/* run-parallel.c */
int upg_run_parallel(struct upgrade_runner *r, struct upgrade_conn *conn,
                     const struct upg_schema_list *schemas, long *executed);

#endif /* UPG_RUN_H */
