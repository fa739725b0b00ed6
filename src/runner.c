/* SPDX-License-Identifier: MIT */
/*
 * runner.c - running upgrades.
 *
 * Order of a run: resolve the target schemas; run the raw tasks once, on
 * the given connection, each step its own transaction; then for each
 * schema: switch to it, take its lock, read its state once, record the
 * modules seen for the first time (baseline), and run every pending task
 * in its own transaction together with its state update.
 *
 * Engines without transactional DDL (MariaDB) cannot undo a half-done
 * task, so there the state must never lie, not even when the process dies
 * while the server runs a statement: the task's progress is journaled
 * action by action, a DML action in one transaction with its entry, any
 * other with its start written before it and its end after.  A failure
 * leaves "partly applied" with the actions that committed, a death inside
 * a non-transactional action leaves that action unknown, and the next run
 * refuses to run the task blind (--resume continues after the last
 * committed action; only --resume-from settles an unknown one).
 *
 * With jobs > 1 the schemas run on threads, each with its own connection;
 * events are queued per schema and delivered in schema order, so output
 * stays grouped and stable whatever the timing.
 */
#include "config.h"

#include <fnmatch.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog.h"
#include "context.h"
#include "state.h"
#include "upgrade/runner.h"

#define DEFAULT_LOCK_TIMEOUT_MS 300000L
#define MAX_JOBS 64

struct queued_event {
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

struct parallel;

struct schema_job {
	const char *schema;
	struct queued_event *events;
	size_t nevents, capevents;
	int done;
	int code;
	long executed;
	/*
	 * A lock wait is not queued with the rest: a wait of minutes must be
	 * seen while it lasts, so the calling thread delivers it at once
	 * (see run_parallel).  wait_state: 0 none, 1 to deliver, 2 delivered.
	 */
	struct parallel *owner;
	struct queued_event wait;
	int wait_state;
};

struct upgrade_runner {
	unsigned int magic;                /* UPG_MAGIC_RUNNER, first: see UPG_IS() */
	const struct upgrade_catalog *cat; /* borrowed, only read */
	int dry_run, keep_going, resume, jobs;
	int create_schemas; /* run creates a named schema that does not exist */
	unsigned long resume_from; /* 0, or the statement a partly applied task continues with */
	long lock_timeout_ms;
	upgrade_event_fn fn;
	void *ud;
	char **schemas;
	size_t nschemas;
	char **patterns;
	size_t npatterns;
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
struct run {
	struct upgrade_runner *r;
	struct upgrade_conn *conn;
	const char *schema;
	struct schema_job *job; /* parallel runs queue events here */
	long executed;
	long index, total; /* position of the schema in the run, for progress */
	int outer;         /* a dry run's phase transaction is open: tasks are savepoints */
};

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? upg_strdup(s) : NULL;
}

static int is_transactional(const struct run *run);

static void post_wait(struct schema_job *job, const struct upgrade_event *ev);

/* A copy of s for a queued event; without memory, a text that says so rather than NULL. */
static const char *
queued_text(char **copy, const char *s, const char *fallback)
{
	*copy = dup_or_null(s);
	return s == NULL || *copy != NULL ? *copy : fallback;
}

/*
 * Reports an event: at once in a serial run, queued in the job (copied)
 * in a parallel one, to be delivered in schema order.  Keeps
 * RESERVED_EVENTS free slots for TASK_FAILED and SCHEMA_DONE, which
 * therefore always get one; other events are dropped only when no memory
 * is left for them.
 */
static void
emit(struct run *run, struct upgrade_event *ev)
{
	struct upgrade_runner *r = run->r;
	struct schema_job *job = run->job;
	struct queued_event *q;
	size_t reserve;

	ev->dry_run = r->dry_run;
	/* Tasks say for themselves; the rest of a dry run is verified where tasks are executed. */
	if (ev->task == NULL && r->dry_run)
		ev->verified = run->conn != NULL && is_transactional(run);
	if (job == NULL) {
		if (r->fn != NULL)
			r->fn(ev, r->ud);
		return;
	}
	if (ev->type == UPGRADE_EVENT_LOCK_WAIT) {
		post_wait(job, ev);
		return;
	}
	reserve = ev->type == UPGRADE_EVENT_TASK_FAILED || ev->type == UPGRADE_EVENT_SCHEMA_DONE
	              ? 0
	              : RESERVED_EVENTS;
	if (upg_grow(&job->events, &job->capevents, job->nevents + 1 + RESERVED_EVENTS,
	             sizeof *job->events, 16) != UPGRADE_OK &&
	    job->capevents - job->nevents < 1 + reserve)
		return;
	q = &job->events[job->nevents++];
	q->ev = *ev;
	q->ev.schema = queued_text(&q->schema, ev->schema, "?");
	q->ev.module = queued_text(&q->module, ev->module, "?");
	q->ev.message = queued_text(&q->message, ev->message, "out of memory");
	q->ev.sqlstate = queued_text(&q->sqlstate, ev->sqlstate, "");
}

static void
event_init(struct upgrade_event *ev, enum upgrade_event_type type, const char *schema)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->schema = schema;
	ev->sqlstate = "";
	ev->verified = 1;
}

int
upgrade_runner_new(struct upgrade_runner **out, const struct upgrade_catalog *catalog)
{
	struct upgrade_runner *r;

	if (out == NULL)
		return UPGRADE_EINVAL;
	*out = NULL;
	if (!UPG_IS(catalog, CATALOG))
		return UPGRADE_EINVAL;
	r = calloc(1, sizeof *r);
	if (r == NULL)
		return UPGRADE_ENOMEM;
	r->magic = UPG_MAGIC_RUNNER;
	r->cat = catalog;
	r->jobs = 1;
	r->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
	*out = r;
	return UPGRADE_OK;
}

static void
free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void
upgrade_runner_free(struct upgrade_runner *r)
{
	if (!UPG_IS(r, RUNNER))
		return;
	free_list(r->schemas, r->nschemas);
	free_list(r->patterns, r->npatterns);
	upg_error_clear(&r->err);
	r->magic = UPG_MAGIC_FREED;
	free(r);
}

int
upgrade_runner_set_dry_run(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->dry_run = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_keep_going(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->keep_going = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_resume(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->resume = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_resume_from(struct upgrade_runner *r, unsigned long statement)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->resume_from = statement;
	return UPGRADE_OK;
}

int
upgrade_runner_set_lock_timeout(struct upgrade_runner *r, long ms)
{
	if (!UPG_IS(r, RUNNER) || ms < 0)
		return UPGRADE_EINVAL;
	r->lock_timeout_ms = ms;
	return UPGRADE_OK;
}

int
upgrade_runner_set_create_schemas(struct upgrade_runner *r, int on)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->create_schemas = on != 0;
	return UPGRADE_OK;
}

int
upgrade_runner_set_jobs(struct upgrade_runner *r, int jobs)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	if (jobs < 1 || jobs > MAX_JOBS)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "jobs must be between 1 and %d", MAX_JOBS);
	r->jobs = jobs;
	return UPGRADE_OK;
}

int
upgrade_runner_set_event_callback(struct upgrade_runner *r, upgrade_event_fn fn, void *ud)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	r->fn = fn;
	r->ud = ud;
	return UPGRADE_OK;
}

static int
push_copy(struct upgrade_runner *r, char ***list, size_t *n, const char *value)
{
	char **grown;
	char *copy;

	if (value == NULL || value[0] == '\0')
		return upg_error_set(&r->err, UPGRADE_EINVAL, "empty schema name or pattern");
	copy = upg_strdup(value);
	grown = realloc(*list, (*n + 1) * sizeof **list);
	if (copy == NULL || grown == NULL) {
		free(copy);
		if (grown != NULL)
			*list = grown;
		return upg_error_oom(&r->err);
	}
	grown[(*n)++] = copy;
	*list = grown;
	return UPGRADE_OK;
}

int
upgrade_runner_add_schema(struct upgrade_runner *r, const char *schema)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	return push_copy(r, &r->schemas, &r->nschemas, schema);
}

int
upgrade_runner_add_schema_pattern(struct upgrade_runner *r, const char *pattern)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	return push_copy(r, &r->patterns, &r->npatterns, pattern);
}

const char *
upgrade_runner_error(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? upg_error_message(&r->err) : "no runner";
}

int
upgrade_runner_error_code(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->err.code : UPGRADE_EINVAL;
}

const char *
upgrade_runner_sqlstate(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->err.sqlstate : "";
}

long
upgrade_runner_native_error(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->err.native : 0;
}

size_t
upgrade_runner_schemas_ok(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->schemas_ok : 0;
}

size_t
upgrade_runner_schemas_failed(const struct upgrade_runner *r)
{
	return UPG_IS(r, RUNNER) ? r->schemas_failed : 0;
}

/* ---- target schemas -------------------------------------------------------- */

struct schema_list {
	char **names;
	size_t n, cap;
	int failed;
};

static int
list_has(const struct schema_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 1;
	return 0;
}

static void
list_add(struct schema_list *l, const char *name)
{
	if (l->failed || list_has(l, name))
		return;
	if (upg_grow(&l->names, &l->cap, l->n + 1, sizeof *l->names, 16) != UPGRADE_OK) {
		l->failed = 1;
		return;
	}
	if ((l->names[l->n] = upg_strdup(name)) == NULL)
		l->failed = 1;
	else
		l->n++;
}

static int
collect_all(void *ud, size_t ncols, char **values)
{
	if (values[0] != NULL)
		list_add(ud, values[0]);
	return 0;
}

/* The connection's current schema; *out allocated. */
static int
current_schema(struct upgrade_conn *conn, char **out)
{
	const struct upg_dialect *d = conn->dialect;
	int ret;

	*out = NULL;
	if (d->current_schema_sql == NULL) {
		*out = upg_strdup(d->default_schema != NULL ? d->default_schema : "default");
		return *out != NULL ? UPGRADE_OK : upg_error_oom(&conn->err);
	}
	ret = upg_db_query_string(conn, d->current_schema_sql, out);
	if (ret != UPGRADE_OK)
		return ret;
	if (*out == NULL || (*out)[0] == '\0') {
		free(*out);
		*out = NULL;
		return upg_error_set(&conn->err, UPGRADE_ENOTFOUND,
		                     "the connection has no current schema (database); name one");
	}
	return UPGRADE_OK;
}

static int schema_sql(struct upgrade_conn *conn, const char *tmpl, const char *schema);

/*
 * The target schemas: the named ones, then those matching a pattern, each
 * once, in that order; by default the connection's current schema.  A
 * named schema must exist: a typo would otherwise be "upgraded" (the state
 * table created in it, or its creation failing half-way) or, for status,
 * reported as a fresh schema.  Only a real run with create_schemas set
 * (create is then 1) creates a missing one, through the dialect.  Dialects
 * that cannot list schemas (SQLite) have exactly one, the current one.
 */
static int
resolve_schemas(struct upgrade_runner *r, struct upgrade_conn *conn, struct schema_list *out,
                int create)
{
	const struct upg_dialect *d = conn->dialect;
	struct schema_list all = {NULL, 0, 0, 0};
	char *cur = NULL;
	size_t i, j;
	int ret = UPGRADE_OK;

	if (r->nschemas == 0 && r->npatterns == 0) {
		if (current_schema(conn, &cur) != UPGRADE_OK)
			return upg_error_copy(&r->err, &conn->err);
		list_add(out, cur);
		free(cur);
		return out->failed ? upg_error_oom(&r->err) : UPGRADE_OK;
	}
	if (d->list_schemas_sql == NULL) {
		if ((ret = current_schema(conn, &cur)) != UPGRADE_OK)
			return upg_error_copy(&r->err, &conn->err);
		list_add(&all, cur);
		free(cur);
	} else if (upg_db_query(conn, d->list_schemas_sql, 0, NULL, collect_all, &all) < 0) {
		free_list(all.names, all.n);
		return upg_error_copy(&r->err, &conn->err);
	}
	for (i = 0; ret == UPGRADE_OK && i < r->nschemas; i++) {
		if (!list_has(&all, r->schemas[i]) && !all.failed) {
			if (create && d->create_schema_sql != NULL) {
				if (schema_sql(conn, d->create_schema_sql, r->schemas[i]) != UPGRADE_OK)
					ret = upg_error_set(&r->err, conn->err.code,
					                    "cannot create schema '%s': %s", r->schemas[i],
					                    upg_error_message(&conn->err));
			} else if (d->list_schemas_sql == NULL)
				ret = upg_error_set(&r->err, UPGRADE_ENOTFOUND,
				                    "no schema '%s': a %s database has one schema, '%s'",
				                    r->schemas[i], d->name, all.n > 0 ? all.names[0] : "?");
			else
				ret = upg_error_set(&r->err, UPGRADE_ENOTFOUND,
				                    "no schema '%s' in this database (or this user may not "
				                    "see it)%s",
				                    r->schemas[i],
				                    d->create_schema_sql == NULL ? ""
				                    : r->create_schemas         ? "; a dry run does not create it"
				                                                : "; run --create-schemas creates it");
		}
		list_add(out, r->schemas[i]);
	}
	for (j = 0; ret == UPGRADE_OK && j < r->npatterns; j++) {
		size_t matched = 0;
		for (i = 0; i < all.n; i++)
			if (fnmatch(r->patterns[j], all.names[i], 0) == 0) {
				list_add(out, all.names[i]);
				matched++;
			}
		if (matched == 0)
			ret = upg_error_set(&r->err, UPGRADE_ENOTFOUND, "no schema matches '%s'",
			                    r->patterns[j]);
	}
	if (ret == UPGRADE_OK && (out->failed || all.failed))
		ret = upg_error_oom(&r->err);
	free_list(all.names, all.n);
	return ret;
}

/* ---- tasks ------------------------------------------------------------------- */

static int
is_transactional(const struct run *run)
{
	return (run->conn->caps & UPGRADE_CAP_TRANSACTIONAL_DDL) != 0;
}

static void
fail_event(struct run *run, const struct upgrade_task *task, int code, unsigned long statement,
           unsigned long statements, long duration)
{
	struct upgrade_event ev;

	event_init(&ev, UPGRADE_EVENT_TASK_FAILED, run->schema);
	ev.task = task;
	ev.code = code;
	ev.message = upg_error_message(&run->conn->err);
	ev.sqlstate = run->conn->err.sqlstate;
	ev.statement = statement;
	ev.statements = statements;
	ev.duration_ms = duration;
	emit(run, &ev);
}

static void
task_event(struct run *run, enum upgrade_event_type type, const struct upgrade_task *task,
           int code, long duration, int verified)
{
	struct upgrade_event ev;

	event_init(&ev, type, run->schema);
	ev.task = task;
	ev.code = code;
	ev.duration_ms = duration;
	ev.verified = verified;
	emit(run, &ev);
}

/*
 * Dry runs on engines with transactional DDL and savepoints: a whole phase
 * (the raw tasks, or one schema) runs in one transaction that is rolled
 * back at its end, and each task or step is a savepoint inside it.  Later
 * tasks thus see what earlier ones did, as they will in the real run (a
 * dry run of independent per-task rollbacks fails on every task that
 * builds on another), and still nothing persists.
 */
#define TASK_SAVEPOINT "upgrade_task"
#define SCHEMA_SAVEPOINT "upgrade_schema"

static int
outer_begin(struct run *run)
{
	unsigned int need = UPGRADE_CAP_TRANSACTIONAL_DDL | UPGRADE_CAP_SAVEPOINTS;
	int ret;

	if (!run->r->dry_run || (run->conn->caps & need) != need)
		return UPGRADE_OK;
	if ((ret = upg_db_begin(run->conn)) == UPGRADE_OK)
		run->outer = 1;
	return ret;
}

static void
outer_end(struct run *run)
{
	struct upg_error keep = UPG_ERROR_INIT;

	if (!run->outer)
		return;
	upg_error_stash(&keep, &run->conn->err);
	upg_db_rollback(run->conn);
	upg_error_restore(&run->conn->err, &keep);
	run->outer = 0;
}

/* Begins a task's (or step's) transaction. */
static int
tx_begin(struct run *run)
{
	if (run->outer)
		return upg_db_exec(run->conn, "SAVEPOINT " TASK_SAVEPOINT);
	return upg_db_begin(run->conn);
}

/* Ends a task's transaction: commit, or in a dry run roll back (or keep the savepoint). */
static int
finish(struct run *run, int ok)
{
	if (run->outer)
		return upg_db_exec(run->conn, "RELEASE SAVEPOINT " TASK_SAVEPOINT);
	if (ok && !run->r->dry_run)
		return upg_db_commit(run->conn);
	return upg_db_rollback(run->conn);
}

/* Rolls back after a failure without losing the failure's message. */
static void
abandon(struct run *run)
{
	struct upg_error keep = UPG_ERROR_INIT;

	upg_error_stash(&keep, &run->conn->err);
	if (run->outer) {
		upg_db_exec(run->conn, "ROLLBACK TO SAVEPOINT " TASK_SAVEPOINT);
		upg_db_exec(run->conn, "RELEASE SAVEPOINT " TASK_SAVEPOINT);
	} else if (!run->conn->autocommit) {
		upg_db_rollback(run->conn);
	}
	upg_error_restore(&run->conn->err, &keep);
}

/* Writes a module's state in a transaction of its own (a baseline, an install record, a mark). */
static int
save_alone(struct run *run, struct upg_state *st, struct upg_state_module *m)
{
	int ret;

	if ((ret = upg_db_begin(run->conn)) != UPGRADE_OK)
		return ret;
	ret = upg_state_save(st, m);
	if (ret == UPGRADE_OK)
		ret = upg_db_commit(run->conn);
	if (ret != UPGRADE_OK)
		abandon(run);
	return ret;
}

/*
 * Runs a task's body (guard, then actions or the C function) on the open
 * transaction.  *nothing is set when a guard did not hold or a C task said
 * so; *failed_at names the failing action (1-based).
 */
static int
run_body(struct run *run, struct upgrade_context *ctx, const struct upgrade_task *task,
         const struct upg_resolved *res, int *nothing, unsigned long *failed_at)
{
	int holds, ret;
	size_t i;

	*nothing = 0;
	*failed_at = 0;
	if (task->fn != NULL) {
		ret = task->fn(ctx, task->userdata);
		if (ret == UPGRADE_NOTHING_DONE) {
			*nothing = 1;
			return UPGRADE_OK;
		}
		if (ret < 0 && run->conn->err.code == UPGRADE_OK)
			upg_error_set(&run->conn->err, ret, "task %s returned %d (%s)", task->id, ret,
			              upgrade_strerror(ret));
		return ret < 0 ? ret : UPGRADE_OK;
	}
	ret = upg_guard_eval(ctx, res->guard, &holds);
	if (ret != UPGRADE_OK)
		return ret;
	if (!holds) {
		*nothing = 1;
		return UPGRADE_OK;
	}
	for (i = 0; res->nunits > 0 && i < res->units[0].nactions; i++) {
		ret = upg_action_exec(ctx, res->units[0].actions[i]);
		if (ret != UPGRADE_OK) {
			*failed_at = (unsigned long)i + 1;
			return ret;
		}
	}
	return UPGRADE_OK;
}

static unsigned long
action_count(const struct upg_resolved *res)
{
	return res != NULL && res->nunits > 0 ? (unsigned long)res->units[0].nactions : 0;
}

/* A task on an engine with transactional DDL: one transaction, work and state together. */
static int
run_task_tx(struct run *run, struct upg_state *st, struct upg_state_module *m,
            const struct upgrade_task *task, const struct upg_resolved *res)
{
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT,
	                              .conn = run->conn,
	                              .schema = run->schema,
	                              .task = task,
	                              .dry_run = run->r->dry_run};
	unsigned long failed_at = 0;
	long start = now_ms();
	int nothing = 0, ret, always = (task->flags & UPGRADE_TASK_ALWAYS_RUN) != 0;
	int recorded = upg_state_is_executed(m, task->name);

	if ((ret = tx_begin(run)) != UPGRADE_OK)
		goto fail;
	ret = run_body(run, &ctx, task, res, &nothing, &failed_at);
	if (ret != UPGRADE_OK)
		goto fail;
	/* An always-run task that found nothing to do, already recorded: nothing to write either. */
	if (!run->r->dry_run && !(always && nothing && recorded)) {
		ret = upg_state_record(m, task->name, task->checksum, now_ms() - start, "run");
		if (ret == UPGRADE_OK)
			ret = upg_state_save(st, m);
		if (ret != UPGRADE_OK)
			goto fail;
	}
	if ((ret = finish(run, 1)) != UPGRADE_OK)
		goto fail;
	if (always && nothing) {
		task_event(run, UPGRADE_EVENT_TASK_NOTHING, task, UPGRADE_NOTHING_DONE, now_ms() - start, 1);
		return UPGRADE_OK;
	}
	run->executed++;
	task_event(run, UPGRADE_EVENT_TASK_DONE, task, nothing ? UPGRADE_NOTHING_DONE : UPGRADE_OK,
	           now_ms() - start, 1);
	return UPGRADE_OK;
fail:
	abandon(run);
	/* The in-memory state may hold the rolled-back record; forget it. */
	if (!recorded && upg_state_is_executed(m, task->name))
		upg_state_forget(m, task->name);
	upg_state_discard_writes(m);
	fail_event(run, task, ret, failed_at, action_count(res), now_ms() - start);
	return ret;
}

/*
 * Whether an action can commit together with the journal entry that
 * records it: only a <sql> statement the dialect vouches for.  Operations
 * are DDL, and a <native> action may run anything.
 */
static int
action_transactional(const struct run *run, const struct upg_node *action)
{
	const struct upg_dialect *d = run->conn->dialect;

	return action->kind == UPG_NODE_SQL && d->statement_transactional != NULL &&
	       d->statement_transactional(action->text);
}

/*
 * Writes the journal entry for "done of total statements committed": the
 * task's record once all are, else the progress, with the intent of
 * statement done + 1 when running is set.  In whatever transaction the
 * connection is in.
 */
static int
journal_write(struct run *run, struct upg_state *st, struct upg_state_module *m,
              const struct upgrade_task *task, unsigned long done, unsigned long total,
              int running, long start)
{
	int ret;

	if (done == total)
		ret = upg_state_record(m, task->name, task->checksum, now_ms() - start, "run");
	else if (running)
		ret = upg_state_set_running(m, task->name, done, total, NULL);
	else
		ret = upg_state_set_partial(m, task->name, done, total, NULL);
	if (ret != UPGRADE_OK)
		return upg_error_oom(&run->conn->err);
	return upg_state_save(st, m);
}

/*
 * After statement done + 1 failed without committing (or its transaction
 * was rolled back): the journal says done committed, and the failure.
 * The failure's message stays on the connection.  When even this write
 * fails (the connection died), an intent already written stays, and the
 * statement is reported unknown: it may have committed before the end.
 */
static void
journal_failed(struct run *run, struct upg_state *st, struct upg_state_module *m,
               const struct upgrade_task *task, int recorded, unsigned long done,
               unsigned long total)
{
	struct upg_error keep = UPG_ERROR_INIT;

	upg_error_stash(&keep, &run->conn->err);
	if (!run->conn->autocommit)
		upg_db_rollback(run->conn);
	/* The in-memory state may hold what was rolled back; forget it. */
	if (!recorded && upg_state_is_executed(m, task->name))
		upg_state_forget(m, task->name);
	upg_state_discard_writes(m);
	if (upg_state_set_partial(m, task->name, done, total, upg_error_message(&keep)) == UPGRADE_OK)
		upg_state_save(st, m);
	upg_error_restore(&run->conn->err, &keep);
}

/*
 * Where a partly applied task continues (0-based, in *done), or a refusal
 * (UPGRADE_ERROR, the reason on the connection): a statement whose outcome
 * is unknown needs the user's word (--resume-from or mark), any other
 * partial state --resume.  The user's word is written to the journal
 * first, so that a second interruption does not ask again.
 */
/*
 * The failure a journal recorded, as detail lines under a one-line message:
 * "  earlier failure: ..." with its own detail lines indented further.
 */
static void
earlier_failure(struct upg_buf *out, const char *perr)
{
	const char *p;

	if (perr == NULL)
		return;
	upg_buf_puts(out, "\n  earlier failure: ");
	for (p = perr; *p != '\0'; p++) {
		if (*p == '\n')
			upg_buf_puts(out, "\n  ");
		else
			upg_buf_append(out, p, 1);
	}
}

static int
journal_resume_point(struct run *run, struct upg_state *st, struct upg_state_module *m,
                     const struct upgrade_task *task, unsigned long total, unsigned long *done)
{
	unsigned long pdone, ptotal, running = upg_state_get_running(m, task->name);
	unsigned long from = run->r->resume_from;
	const char *perr = NULL, *pat = NULL;
	char event[40];

	upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat);
	if (from > 0) {
		if (from > total + 1)
			return upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                     "task %s has %lu statements: --resume-from %lu is past its end "
			                     "(%lu records it as done)",
			                     task->id, total, from, total + 1);
		*done = from - 1;
		snprintf(event, sizeof event, "resume-from %lu", from);
		if (upg_state_set_partial(m, task->name, *done, total, NULL) != UPGRADE_OK ||
		    upg_state_log(m, event, task->name) != UPGRADE_OK)
			return upg_error_oom(&run->conn->err);
		return upg_state_save(st, m);
	}
	if (running > 0 || !run->r->resume) {
		struct upg_buf why = UPG_BUF_INIT;
		int ret;

		earlier_failure(&why, perr);
		if (running > 0)
			ret = upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                    "task %s %s during statement %lu of %lu (started at %s): whether "
			                    "it committed is unknown. Check the schema, then run again with "
			                    "--resume-from %lu if it did not commit or --resume-from %lu if it "
			                    "did, or finish the task by hand and record it with 'upgrade mark "
			                    "%s'%s",
			                    task->id, perr != NULL ? "failed" : "was interrupted", running,
			                    ptotal, pat != NULL ? pat : "?", running, running + 1, task->id,
			                    upg_buf_str(&why));
		else
			ret = upg_error_set(&run->conn->err, UPGRADE_ERROR,
			                    "task %s is partly applied: %lu of %lu statements committed (at "
			                    "%s%s). Check the schema, then run again with --resume to continue "
			                    "with statement %lu, or finish it by hand and record it with "
			                    "'upgrade mark %s'%s",
			                    task->id, pdone, ptotal, pat != NULL ? pat : "?",
			                    perr != NULL ? "" : "; it was interrupted", pdone + 1, task->id,
			                    upg_buf_str(&why));
		upg_buf_free(&why);
		return ret;
	}
	*done = pdone;
	return UPGRADE_OK;
}

/*
 * A C task on an engine without transactional DDL: one statement to the
 * journal, of whatever kind.  It runs in a transaction that commits its
 * record with its work, but DDL in it commits on its own, so its intent
 * is written first.  A failure cannot say what committed before the
 * rollback: the intent stays, with the error, and the task is unknown.
 */
static int
run_c_task_journal(struct run *run, struct upg_state *st, struct upg_state_module *m,
                   const struct upgrade_task *task)
{
	unsigned long done = 0, pdone, ptotal;
	const char *perr = NULL, *pat = NULL;
	long start = now_ms();
	int ret;

	if (upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		if ((ret = journal_resume_point(run, st, m, task, 1, &done)) != UPGRADE_OK) {
			unsigned long running = upg_state_get_running(m, task->name);

			fail_event(run, task, ret, running > 0 ? running : pdone + 1, 1, 0);
			return ret;
		}
		if (done >= 1) {
			if ((ret = journal_write(run, st, m, task, 1, 1, 0, start)) != UPGRADE_OK) {
				fail_event(run, task, ret, 0, 1, now_ms() - start);
				return ret;
			}
			run->executed++;
			task_event(run, UPGRADE_EVENT_TASK_DONE, task, UPGRADE_OK, now_ms() - start, 1);
			return UPGRADE_OK;
		}
	}
	if ((ret = journal_write(run, st, m, task, 0, 1, 1, start)) != UPGRADE_OK) {
		fail_event(run, task, ret, 1, 1, now_ms() - start);
		return ret;
	}
	ret = run_task_tx(run, st, m, task, NULL);
	if (ret != UPGRADE_OK) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &run->conn->err);
		if (upg_state_set_running(m, task->name, 0, 1, upg_error_message(&keep)) == UPGRADE_OK)
			upg_state_save(st, m);
		upg_error_restore(&run->conn->err, &keep);
		return ret;
	}
	/* An always-run task that found nothing to do wrote no record to replace the intent. */
	if (upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		upg_state_clear_partial(m, task->name);
		if ((ret = upg_state_save(st, m)) != UPGRADE_OK)
			return ret;
	}
	return UPGRADE_OK;
}

/*
 * A task on an engine without transactional DDL, where the journal (the
 * task's partial state) must never lie about which statements committed.
 * A statement the dialect knows to run inside a transaction commits
 * together with its journal entry.  Any other commits on its own: its
 * intent is committed first and its result after it, so a process killed
 * in between leaves "statement k unknown", which the next run refuses to
 * guess about.  A run that goes on after such a statement writes its
 * result and the next statement's intent at once.
 */
static int
run_task_journal(struct run *run, struct upg_state *st, struct upg_state_module *m,
                 const struct upgrade_task *task, const struct upg_resolved *res)
{
	struct upgrade_context ctx = {
	    .magic = UPG_MAGIC_CONTEXT, .conn = run->conn, .schema = run->schema, .task = task};
	unsigned long total = action_count(res), done = 0, i, pdone, ptotal;
	const char *perr = NULL, *pat = NULL;
	long start = now_ms();
	int holds = 1, ret, always = (task->flags & UPGRADE_TASK_ALWAYS_RUN) != 0;
	int recorded = upg_state_is_executed(m, task->name), announced = 0;

	if (run->r->dry_run) {
		/* Nothing can be tried and undone here: report the plan, unverified. */
		run->executed++;
		task_event(run, UPGRADE_EVENT_TASK_PLANNED, task, UPGRADE_OK, 0, 0);
		return UPGRADE_OK;
	}
	if (task->fn != NULL)
		return run_c_task_journal(run, st, m, task);
	if (upg_state_get_partial(m, task->name, &pdone, &ptotal, &perr, &pat)) {
		ret = journal_resume_point(run, st, m, task, total, &done);
		if (ret != UPGRADE_OK) {
			unsigned long running = upg_state_get_running(m, task->name);

			fail_event(run, task, ret, running > 0 ? running : pdone + 1, ptotal, 0);
			return ret;
		}
	} else {
		ret = upg_guard_eval(&ctx, res->guard, &holds);
		if (ret != UPGRADE_OK) {
			fail_event(run, task, ret, 0, total, now_ms() - start);
			return ret;
		}
	}
	for (i = done; holds && i < total; i++) {
		const struct upg_node *action = res->units[0].actions[i];
		int next_own = i + 1 < total &&
		               !action_transactional(run, res->units[0].actions[i + 1]);

		if (action_transactional(run, action)) {
			if ((ret = upg_db_begin(run->conn)) == UPGRADE_OK &&
			    (ret = upg_action_exec(&ctx, action)) == UPGRADE_OK &&
			    (ret = journal_write(run, st, m, task, i + 1, total, 0, start)) == UPGRADE_OK)
				ret = upg_db_commit(run->conn);
			if (ret != UPGRADE_OK) {
				journal_failed(run, st, m, task, recorded, i, total);
				fail_event(run, task, ret, i + 1, total, now_ms() - start);
				return ret;
			}
			announced = 0;
			continue;
		}
		if (!announced && (ret = journal_write(run, st, m, task, i, total, 1, start)) != UPGRADE_OK) {
			fail_event(run, task, ret, i + 1, total, now_ms() - start);
			return ret;
		}
		if ((ret = upg_action_exec(&ctx, action)) != UPGRADE_OK) {
			journal_failed(run, st, m, task, recorded, i, total);
			fail_event(run, task, ret, i + 1, total, now_ms() - start);
			return ret;
		}
		/* Unwritten, the intent stays: the statement is unknown, never "not run". */
		if ((ret = journal_write(run, st, m, task, i + 1, total, next_own, start)) != UPGRADE_OK) {
			fail_event(run, task, ret, i + 1, total, now_ms() - start);
			return ret;
		}
		announced = next_own;
	}
	/* The last statement's entry recorded the task; without statements run, record it here. */
	if (!(holds && done < total) && !(always && !holds && recorded)) {
		ret = upg_state_record(m, task->name, task->checksum, now_ms() - start, "run");
		if (ret == UPGRADE_OK)
			ret = upg_state_save(st, m);
		if (ret != UPGRADE_OK) {
			fail_event(run, task, ret, 0, total, now_ms() - start);
			return ret;
		}
	}
	if (always && !holds) {
		task_event(run, UPGRADE_EVENT_TASK_NOTHING, task, UPGRADE_NOTHING_DONE, now_ms() - start, 1);
		return UPGRADE_OK;
	}
	run->executed++;
	task_event(run, UPGRADE_EVENT_TASK_DONE, task, holds ? UPGRADE_OK : UPGRADE_NOTHING_DONE,
	           now_ms() - start, 1);
	return UPGRADE_OK;
}

static int
run_task(struct run *run, struct upg_state *st, const struct upgrade_task *task)
{
	struct upg_state_module *m = upg_state_find(st, task->module->name);
	struct upg_resolved *res = NULL;
	int ret;

	if (m == NULL)
		m = upg_state_add(st, task->module->name);
	if (m == NULL)
		return upg_error_oom(&run->conn->err);
	if (upg_state_is_executed(m, task->name) && !(task->flags & UPGRADE_TASK_ALWAYS_RUN))
		return UPGRADE_OK;
	task_event(run, UPGRADE_EVENT_TASK_START, task, UPGRADE_OK, 0,
	           !run->r->dry_run || is_transactional(run));
	if (task->fn == NULL) {
		ret = upg_task_resolve(&res, task, run->conn->dialect->name, &run->conn->err);
		if (ret != UPGRADE_OK) {
			fail_event(run, task, ret, 0, 0, 0);
			return ret;
		}
	}
	if (is_transactional(run))
		ret = run_task_tx(run, st, m, task, res);
	else
		ret = run_task_journal(run, st, m, task, res);
	upg_resolved_free(res);
	return ret;
}

/* Records every task of mod but the raw ones as done; returns how many, or -1 when out of memory. */
static long
record_all(const struct upgrade_catalog *cat, struct upg_state_module *m,
           const struct upgrade_module *mod, const char *how)
{
	long count = 0;
	size_t j;

	for (j = 0; j < cat->nplan; j++) {
		const struct upgrade_task *t = cat->plan[j];
		/* Raw tasks are never recorded: they run every time. */
		if (t->module != mod || (t->flags & UPGRADE_TASK_RAW))
			continue;
		if (upg_state_record(m, t->name, t->checksum, -1, how) != UPGRADE_OK)
			return -1;
		count++;
	}
	return count;
}

static void
baseline_event(struct run *run, const struct upgrade_module *mod, long count)
{
	struct upgrade_event ev;

	event_init(&ev, UPGRADE_EVENT_BASELINE, run->schema);
	ev.module = mod->name;
	ev.task = mod->install;
	ev.count = count;
	emit(run, &ev);
}

/*
 * A complete install on an engine without transactional DDL: its journal
 * entry gives way to the module's tasks, in one transaction, so that a
 * death in between leaves the entry, which the next run completes here.
 */
static int
install_recorded(struct run *run, struct upg_state *st, struct upg_state_module *m,
                 const struct upgrade_module *mod)
{
	long count;
	int ret;

	upg_state_forget(m, UPG_INSTALL_NAME);
	if ((count = record_all(run->r->cat, m, mod, "install")) < 0)
		return upg_error_oom(&run->conn->err);
	if (!run->r->dry_run && (ret = save_alone(run, st, m)) != UPGRADE_OK)
		return ret;
	baseline_event(run, mod, count);
	return UPGRADE_OK;
}

/* The install block and the module's tasks in one transaction (or savepoint). */
static int
install_tx(struct run *run, struct upg_state *st, struct upg_state_module *m,
           const struct upgrade_module *mod, const struct upg_resolved *res)
{
	const struct upgrade_task *inst = mod->install;
	struct upgrade_context ctx = {.conn = run->conn, .schema = run->schema, .task = inst,
	                              .dry_run = run->r->dry_run};
	unsigned long failed_at = 0;
	long start = now_ms(), count;
	int nothing = 0, ret;

	if ((ret = tx_begin(run)) != UPGRADE_OK)
		goto fail;
	if ((ret = run_body(run, &ctx, inst, res, &nothing, &failed_at)) != UPGRADE_OK)
		goto fail;
	if ((count = record_all(run->r->cat, m, mod, "install")) < 0) {
		ret = upg_error_oom(&run->conn->err);
		goto fail;
	}
	/* A dry run has no state table to write to; the tasks are recorded in memory only. */
	if (!run->r->dry_run && (ret = upg_state_save(st, m)) != UPGRADE_OK)
		goto fail;
	if ((ret = finish(run, 1)) != UPGRADE_OK)
		goto fail;
	run->executed++;
	task_event(run, UPGRADE_EVENT_TASK_DONE, inst, UPGRADE_OK, now_ms() - start, 1);
	baseline_event(run, mod, count);
	return UPGRADE_OK;
fail:
	abandon(run);
	upg_state_discard_writes(m);
	fail_event(run, inst, ret, failed_at, action_count(res), now_ms() - start);
	return ret;
}

/*
 * Runs the install block of a module first seen (or whose install did not
 * finish) and records all its tasks: on transactional engines in one
 * transaction; elsewhere journaled as the task UPG_INSTALL_NAME, so that
 * a half-done install is reported partly applied and resumed like a task.
 */
static int
install(struct run *run, struct upg_state *st, struct upg_state_module *m,
        const struct upgrade_module *mod)
{
	const struct upgrade_task *inst = mod->install;
	struct upg_resolved *res = NULL;
	int ret;

	task_event(run, UPGRADE_EVENT_TASK_START, inst, UPGRADE_OK, 0,
	           !run->r->dry_run || is_transactional(run));
	if (inst->fn == NULL) {
		ret = upg_task_resolve(&res, inst, run->conn->dialect->name, &run->conn->err);
		if (ret != UPGRADE_OK) {
			fail_event(run, inst, ret, 0, 0, 0);
			return ret;
		}
	}
	if (is_transactional(run)) {
		ret = install_tx(run, st, m, mod, res);
	} else {
		ret = run_task_journal(run, st, m, inst, res);
		if (ret == UPGRADE_OK)
			ret = install_recorded(run, st, m, mod);
	}
	upg_resolved_free(res);
	return ret;
}

/* An install whose journal is open, or whose entry was not yet replaced by the tasks. */
static int
install_unfinished(const struct upg_state_module *m)
{
	unsigned long done, total;
	const char *err = NULL, *at = NULL;

	return m != NULL && m->exists &&
	       (upg_state_get_partial(m, UPG_INSTALL_NAME, &done, &total, &err, &at) ||
	        upg_state_is_executed(m, UPG_INSTALL_NAME));
}

/*
 * Installs module i if due[i] says so (a run clears it): a module first
 * seen, or whose install did not finish.  It runs where the module's first
 * task would, so that the pending tasks of the modules it depends on have
 * run before, as they would have before a task of its own.
 */
static int
install_due(struct run *run, struct upg_state *st, unsigned char *due, size_t i)
{
	const struct upgrade_module *mod = run->r->cat->modules[i];
	struct upg_state_module *m = upg_state_find(st, mod->name);
	unsigned long done, total;
	const char *err = NULL, *at = NULL;

	if (!due[i])
		return UPGRADE_OK;
	due[i] = 0;
	if (m == NULL && (m = upg_state_add(st, mod->name)) == NULL)
		return upg_error_oom(&run->conn->err);
	if (m->exists && !upg_state_get_partial(m, UPG_INSTALL_NAME, &done, &total, &err, &at))
		return install_recorded(run, st, m, mod);
	return install(run, st, m, mod);
}

/*
 * Every catalog module the schema has not seen yet has its tasks recorded
 * as done; with due (a run), a module with an install block is marked due
 * instead, as is one whose install did not finish (see install_due).  The
 * baseline command (due NULL) records every module.
 */
static int
baseline(struct run *run, struct upg_state *st, int log, unsigned char *due)
{
	const struct upgrade_catalog *cat = run->r->cat;
	size_t i;
	int ret;

	for (i = 0; i < cat->nmodules; i++) {
		const struct upgrade_module *mod = cat->modules[i];
		struct upg_state_module *m = upg_state_find(st, mod->name);
		long count;

		if (due != NULL && mod->install != NULL && (m == NULL || !m->exists || install_unfinished(m))) {
			due[i] = 1;
			continue;
		}
		if (m != NULL && m->exists)
			continue;
		if (m == NULL && (m = upg_state_add(st, mod->name)) == NULL)
			return upg_error_oom(&run->conn->err);
		if ((count = record_all(cat, m, mod, "baseline")) < 0)
			return upg_error_oom(&run->conn->err);
		if (log && upg_state_log(m, "baseline", NULL) != UPGRADE_OK)
			return upg_error_oom(&run->conn->err);
		/* The row and its tasks in one transaction: a baseline is all or nothing. */
		if (!run->r->dry_run && (ret = save_alone(run, st, m)) != UPGRADE_OK)
			return ret;
		baseline_event(run, mod, count);
	}
	return UPGRADE_OK;
}

/* Executes one of the dialect's schema templates with the quoted schema name. */
static int
schema_sql(struct upgrade_conn *conn, const char *tmpl, const char *schema)
{
	const struct upg_dialect *d = conn->dialect;
	struct upg_buf sql = UPG_BUF_INIT;
	char *q = NULL;
	int ret;

	if ((ret = upgrade_conn_quote_ident(&q, conn, schema)) != UPGRADE_OK)
		return ret;
	{
		/* The dialect's template has exactly one "%s", for the quoted name. */
		const char *hole = strstr(tmpl, "%s");
		if (hole == NULL) {
			free(q);
			return upg_error_set(&conn->err, UPGRADE_ERROR, "bad schema template '%s' in dialect %s",
			                     tmpl, d->name);
		}
		upg_buf_append(&sql, tmpl, (size_t)(hole - tmpl));
		upg_buf_puts(&sql, q);
		upg_buf_puts(&sql, hole + 2);
	}
	free(q);
	if (sql.failed)
		return upg_error_oom(&conn->err);
	ret = upg_db_exec(conn, upg_buf_str(&sql));
	upg_buf_free(&sql);
	return ret;
}

static int
use_schema(struct upgrade_conn *conn, const char *schema)
{
	const struct upg_dialect *d = conn->dialect;

	if (d->use_schema_sql == NULL)
		return UPGRADE_OK;
	return schema_sql(conn, d->use_schema_sql, schema);
}

static void
lock_wait_event(void *ud, const char *lock, const char *who, long timeout_ms)
{
	struct run *run = ud;
	struct upgrade_event ev;

	(void)lock;
	event_init(&ev, UPGRADE_EVENT_LOCK_WAIT, run->schema);
	ev.message = who != NULL ? who : "holder unknown";
	ev.count = timeout_ms;
	emit(run, &ev);
}

static int
lock_schema(struct run *run, const char *name, struct upg_lock **lock)
{
	return upg_lock_acquire_notify(run->conn, name, run->r->lock_timeout_ms, lock_wait_event, run,
	                               lock);
}

/*
 * Opens a schema for work: switch to it, lock it, read its state.  *lock
 * stays NULL for dialects that cannot lock.
 */
static int
open_schema(struct run *run, struct upg_lock **lock, struct upg_state **st, int create)
{
	int ret;

	*lock = NULL;
	*st = NULL;
	if ((ret = use_schema(run->conn, run->schema)) != UPGRADE_OK)
		return ret;
	if (run->conn->dialect->lock_try != NULL) {
		ret = lock_schema(run, run->schema, lock);
		if (ret != UPGRADE_OK)
			return ret;
	}
	ret = upg_state_open(st, run->conn, run->schema, create);
	if (ret != UPGRADE_OK) {
		upg_lock_release(*lock);
		*lock = NULL;
	}
	return ret;
}

static void
close_schema(struct upg_lock *lock, struct upg_state *st)
{
	upg_state_free(st);
	upg_lock_release(lock);
}

/*
 * One schema: baseline, then every pending task, each install block where
 * its module's first task would run.  Returns executed count or error.
 */
static int
run_schema(struct run *run)
{
	const struct upgrade_catalog *cat = run->r->cat;
	struct upg_lock *lock = NULL;
	struct upg_state *st = NULL;
	struct upgrade_event ev;
	const struct upgrade_module *last = NULL;
	unsigned char *due = calloc(cat->nmodules + 1, 1);
	long start = now_ms();
	size_t i, j;
	int ret = UPGRADE_OK, held = 0;

	event_init(&ev, UPGRADE_EVENT_SCHEMA_START, run->schema);
	ev.index = run->index;
	ev.count = run->total;
	emit(run, &ev);
	if (run->r->held) {
		/* Inside the dry run's open transaction: this schema is a savepoint in it. */
		ret = upg_db_exec(run->conn, "SAVEPOINT " SCHEMA_SAVEPOINT);
		held = ret == UPGRADE_OK;
	}
	if (ret == UPGRADE_OK)
		ret = open_schema(run, &lock, &st, !run->r->dry_run);
	if (ret == UPGRADE_OK && due == NULL)
		ret = upg_error_oom(&run->conn->err);
	if (ret == UPGRADE_OK)
		ret = baseline(run, st, 0, due);
	if (ret == UPGRADE_OK && held)
		run->outer = 1;
	else if (ret == UPGRADE_OK)
		ret = outer_begin(run);
	for (i = 0; ret == UPGRADE_OK && i < cat->nplan; i++) {
		const struct upgrade_task *t = cat->plan[i];

		if (t->flags & UPGRADE_TASK_RAW)
			continue;
		for (j = 0; t->module != last && j < cat->nmodules; j++)
			if (cat->modules[j] == t->module)
				ret = install_due(run, st, due, j);
		last = t->module;
		if (ret == UPGRADE_OK)
			ret = run_task(run, st, t);
	}
	/* Modules without a task of their own to run. */
	for (j = 0; ret == UPGRADE_OK && j < cat->nmodules; j++)
		ret = install_due(run, st, due, j);
	free(due);
	if (held) {
		struct upg_error keep = UPG_ERROR_INIT;

		/* A failure before the tasks (the state read) leaves the savepoint aborted. */
		upg_error_stash(&keep, &run->conn->err);
		if (ret != UPGRADE_OK)
			upg_db_exec(run->conn, "ROLLBACK TO SAVEPOINT " SCHEMA_SAVEPOINT);
		upg_db_exec(run->conn, "RELEASE SAVEPOINT " SCHEMA_SAVEPOINT);
		upg_error_restore(&run->conn->err, &keep);
		run->outer = 0;
	}
	outer_end(run);
	close_schema(lock, st);
	event_init(&ev, UPGRADE_EVENT_SCHEMA_DONE, run->schema);
	ev.count = run->executed;
	ev.code = ret;
	ev.duration_ms = now_ms() - start;
	if (ret != UPGRADE_OK) {
		ev.message = upg_error_message(&run->conn->err);
		ev.sqlstate = run->conn->err.sqlstate;
	}
	emit(run, &ev);
	return ret;
}

/* ---- raw tasks ------------------------------------------------------------------ */

static int
run_raw_task(struct run *run, const struct upgrade_task *task, const char *const *schemas,
             size_t nschemas)
{
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT,
	                              .conn = run->conn,
	                              .schema = run->schema,
	                              .schemas = schemas,
	                              .nschemas = nschemas,
	                              .task = task,
	                              .dry_run = run->r->dry_run,
	                              .raw = 1,
	                              .savepoint = run->outer};
	struct upg_resolved *res = NULL;
	long start = now_ms();
	unsigned long step = 0;
	int ret, holds = 1, changed = 0;
	size_t u, i;

	if (run->r->dry_run && !is_transactional(run)) {
		/* As for other tasks: what cannot be undone is not tried. */
		run->executed++;
		task_event(run, UPGRADE_EVENT_TASK_PLANNED, task, UPGRADE_OK, 0, 0);
		return UPGRADE_OK;
	}
	if (task->fn != NULL) {
		if ((ret = tx_begin(run)) != UPGRADE_OK)
			goto fail;
		ret = task->fn(&ctx, task->userdata);
		if (ret < 0) {
			if (run->conn->err.code == UPGRADE_OK)
				upg_error_set(&run->conn->err, ret, "raw task %s returned %d (%s)", task->id,
				              ret, upgrade_strerror(ret));
			goto fail;
		}
		changed = ret == UPGRADE_OK || ctx.changed;
		if ((ret = finish(run, 1)) != UPGRADE_OK)
			goto fail;
	} else {
		ret = upg_task_resolve(&res, task, run->conn->dialect->name, &run->conn->err);
		if (ret != UPGRADE_OK)
			goto fail;
		ret = upg_guard_eval(&ctx, res->guard, &holds);
		if (ret != UPGRADE_OK)
			goto fail;
		for (u = 0; holds && u < res->nunits; u++) {
			int step_holds;

			step = (unsigned long)u + 1;
			if ((ret = tx_begin(run)) != UPGRADE_OK)
				goto fail;
			ret = upg_guard_eval(&ctx, res->units[u].guard, &step_holds);
			for (i = 0; ret == UPGRADE_OK && step_holds && i < res->units[u].nactions; i++)
				ret = upg_action_exec(&ctx, res->units[u].actions[i]);
			if (ret != UPGRADE_OK)
				goto fail;
			/* Each step is its own transaction: committed (or rolled back in a dry run) alone. */
			if ((ret = finish(run, 1)) != UPGRADE_OK)
				goto fail;
			if (step_holds && res->units[u].nactions > 0)
				changed = 1;
		}
	}
	upg_resolved_free(res);
	if (changed) {
		run->executed++;
		task_event(run, UPGRADE_EVENT_TASK_DONE, task, UPGRADE_OK, now_ms() - start, 1);
	} else {
		task_event(run, UPGRADE_EVENT_TASK_NOTHING, task, UPGRADE_NOTHING_DONE, now_ms() - start,
		           1);
	}
	return UPGRADE_OK;
fail:
	abandon(run);
	fail_event(run, task, ret, step, res != NULL ? (unsigned long)res->nunits : 0,
	           now_ms() - start);
	upg_resolved_free(res);
	return ret;
}

/* Declared in upgrade/context.h; defined here because transactions are the runner's. */
int
upgrade_context_end_step(struct upgrade_context *ctx)
{
	int ret;

	if (!UPG_IS(ctx, CONTEXT) || !ctx->raw)
		return UPGRADE_EINVAL;
	if (ctx->savepoint) {
		/* A dry run's step: kept for the next steps, rolled back with the phase. */
		ret = upg_db_exec(ctx->conn, "RELEASE SAVEPOINT " TASK_SAVEPOINT);
		return ret != UPGRADE_OK ? ret : upg_db_exec(ctx->conn, "SAVEPOINT " TASK_SAVEPOINT);
	}
	ret = ctx->dry_run ? upg_db_rollback(ctx->conn) : upg_db_commit(ctx->conn);
	if (ret != UPGRADE_OK)
		return ret;
	return upg_db_begin(ctx->conn);
}

static int
run_raw(struct upgrade_runner *r, struct upgrade_conn *conn, const struct schema_list *schemas)
{
	struct run run = {.r = r, .conn = conn};
	const struct upgrade_catalog *cat = r->cat;
	struct upg_buf joined = UPG_BUF_INIT;
	struct upg_lock *lock = NULL;
	struct upgrade_event ev;
	char *own = NULL;
	size_t i;
	int ret = UPGRADE_OK, any = 0;

	for (i = 0; i < cat->nplan; i++)
		any |= (cat->plan[i]->flags & UPGRADE_TASK_RAW) != 0;
	if (!any)
		return UPGRADE_OK;
	for (i = 0; i < schemas->n; i++)
		upg_buf_printf(&joined, "%s%s", i ? ", " : "", schemas->names[i]);
	if ((ret = current_schema(conn, &own)) != UPGRADE_OK) {
		upg_buf_free(&joined);
		return upg_error_copy(&r->err, &conn->err);
	}
	run.schema = own;
	event_init(&ev, UPGRADE_EVENT_RAW_START, upg_buf_str(&joined));
	emit(&run, &ev);
	/* Raw tasks run once per database: a lock of their own keeps two runs from overlapping. */
	if (conn->dialect->lock_try != NULL)
		ret = lock_schema(&run, UPG_RAW_LOCK, &lock);
	if (ret == UPGRADE_OK)
		ret = outer_begin(&run);
	for (i = 0; ret == UPGRADE_OK && i < cat->nplan; i++)
		if (cat->plan[i]->flags & UPGRADE_TASK_RAW)
			ret = run_raw_task(&run, cat->plan[i], (const char *const *)schemas->names,
			                   schemas->n);
	if (ret == UPGRADE_OK && run.outer) {
		r->held = 1;
		run.outer = 0;
	}
	outer_end(&run);
	upg_lock_release(lock);
	event_init(&ev, UPGRADE_EVENT_RAW_DONE, upg_buf_str(&joined));
	ev.count = run.executed;
	ev.code = ret;
	if (ret != UPGRADE_OK) {
		ev.message = upg_error_message(&conn->err);
		ev.sqlstate = conn->err.sqlstate;
	}
	emit(&run, &ev);
	upg_buf_free(&joined);
	free(own);
	if (ret != UPGRADE_OK)
		upg_error_copy(&r->err, &conn->err);
	return ret != UPGRADE_OK ? ret : (int)run.executed;
}

/* ---- the run ----------------------------------------------------------------------- */

static int
run_serial(struct upgrade_runner *r, struct upgrade_conn *conn, const struct schema_list *schemas,
           long *executed)
{
	int first_error = UPGRADE_OK;
	size_t i;

	for (i = 0; i < schemas->n; i++) {
		struct run run = {.r = r, .conn = conn, .schema = schemas->names[i], .index = (long)i + 1,
		                  .total = (long)schemas->n};
		int ret = run_schema(&run);

		*executed += run.executed;
		if (ret == UPGRADE_OK) {
			r->schemas_ok++;
			continue;
		}
		r->schemas_failed++;
		if (first_error == UPGRADE_OK) {
			first_error = ret;
			upg_error_copy(&r->err, &conn->err);
		}
		if (!r->keep_going)
			break;
	}
	return first_error;
}

/* Parallel workers share this. */
struct parallel {
	struct upgrade_runner *r;
	struct upgrade_conn *proto;
	struct schema_job *jobs;
	size_t njobs, next;
	int stop;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
};

/* Hands a worker's lock wait to the calling thread (run_parallel delivers it). */
static void
post_wait(struct schema_job *job, const struct upgrade_event *ev)
{
	struct parallel *p = job->owner;

	pthread_mutex_lock(&p->mutex);
	if (job->wait_state == 0) {
		job->wait.ev = *ev;
		job->wait.schema = dup_or_null(ev->schema);
		job->wait.message = dup_or_null(ev->message);
		job->wait.ev.schema = job->wait.schema;
		job->wait.ev.message = job->wait.message;
		job->wait.ev.module = NULL;
		job->wait.ev.sqlstate = NULL;
		job->wait_state = 1;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->mutex);
}

/*
 * Delivers the lock waits the workers posted, from the calling thread, as
 * the event callback's contract says.  Called and returns with p->mutex
 * held; the callback runs without it, so that workers are not held up.
 */
static void
deliver_waits(struct parallel *p)
{
	size_t i;

	for (i = 0; i < p->njobs; i++) {
		struct schema_job *job = &p->jobs[i];

		if (job->wait_state != 1)
			continue;
		job->wait_state = 2;
		pthread_mutex_unlock(&p->mutex);
		if (p->r->fn != NULL)
			p->r->fn(&job->wait.ev, p->r->ud);
		pthread_mutex_lock(&p->mutex);
	}
}

static void *
parallel_worker(void *arg)
{
	struct parallel *p = arg;
	struct upgrade_conn *conn = NULL;
	int connect_ret;

	connect_ret = upg_conn_clone(p->proto, &conn);
	for (;;) {
		struct schema_job *job;
		struct run run;
		int ret;

		pthread_mutex_lock(&p->mutex);
		if (p->next >= p->njobs || p->stop) {
			pthread_mutex_unlock(&p->mutex);
			break;
		}
		job = &p->jobs[p->next++];
		pthread_mutex_unlock(&p->mutex);

		memset(&run, 0, sizeof run);
		run.r = p->r;
		run.conn = conn;
		run.schema = job->schema;
		run.job = job;
		run.index = (long)(job - p->jobs) + 1;
		run.total = (long)p->njobs;
		if (connect_ret != UPGRADE_OK) {
			struct upgrade_event ev;
			event_init(&ev, UPGRADE_EVENT_SCHEMA_DONE, job->schema);
			ev.code = connect_ret;
			ev.message = conn != NULL ? upg_error_message(&conn->err) : "out of memory";
			emit(&run, &ev);
			ret = connect_ret;
		} else {
			ret = run_schema(&run);
		}
		pthread_mutex_lock(&p->mutex);
		job->code = ret;
		job->executed = run.executed;
		job->done = 1;
		if (ret != UPGRADE_OK && !p->r->keep_going)
			p->stop = 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->mutex);
	}
	upgrade_conn_free(conn);
	return NULL;
}

static int
run_parallel(struct upgrade_runner *r, struct upgrade_conn *conn, const struct schema_list *schemas,
             long *executed)
{
	struct parallel p;
	pthread_t threads[MAX_JOBS];
	size_t nthreads = (size_t)r->jobs < schemas->n ? (size_t)r->jobs : schemas->n, started = 0, i, k;
	int first_error = UPGRADE_OK;

	memset(&p, 0, sizeof p);
	p.r = r;
	p.proto = conn;
	p.njobs = schemas->n;
	p.jobs = calloc(schemas->n, sizeof *p.jobs);
	if (p.jobs == NULL)
		return upg_error_oom(&r->err);
	for (i = 0; i < schemas->n; i++) {
		p.jobs[i].schema = schemas->names[i];
		p.jobs[i].owner = &p;
		if (upg_grow(&p.jobs[i].events, &p.jobs[i].capevents, RESERVED_EVENTS,
		             sizeof *p.jobs[i].events, RESERVED_EVENTS) != UPGRADE_OK) {
			while (i-- > 0)
				free(p.jobs[i].events);
			free(p.jobs);
			return upg_error_oom(&r->err);
		}
	}
	pthread_mutex_init(&p.mutex, NULL);
	pthread_cond_init(&p.cond, NULL);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, parallel_worker, &p) == 0)
			started++;
	if (started == 0) {
		first_error = upg_error_set(&r->err, UPGRADE_ERROR, "cannot start worker threads");
		p.stop = 1;
	}
	/*
	 * Deliver each schema's events in schema order, as soon as that schema
	 * is done; lock waits, of any schema, as soon as they begin.
	 */
	for (i = 0; started > 0 && i < p.njobs; i++) {
		struct schema_job *job = &p.jobs[i];

		pthread_mutex_lock(&p.mutex);
		for (;;) {
			deliver_waits(&p);
			if (job->done || (p.stop && p.next <= i))
				break;
			pthread_cond_wait(&p.cond, &p.mutex);
		}
		pthread_mutex_unlock(&p.mutex);
		if (!job->done)
			break; /* stopped before this schema started */
		for (k = 0; k < job->nevents; k++)
			if (r->fn != NULL)
				r->fn(&job->events[k].ev, r->ud);
		*executed += job->executed;
		if (job->code == UPGRADE_OK) {
			r->schemas_ok++;
		} else {
			r->schemas_failed++;
			if (first_error == UPGRADE_OK) {
				first_error = job->code;
				for (k = 0; k < job->nevents; k++)
					if (job->events[k].ev.type == UPGRADE_EVENT_SCHEMA_DONE &&
					    job->events[k].ev.message != NULL) {
						upg_error_set(&r->err, job->code, "%s", job->events[k].ev.message);
						snprintf(r->err.sqlstate, sizeof r->err.sqlstate,
						         "%s", job->events[k].ev.sqlstate);
					}
			}
		}
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (i = 0; i < p.njobs; i++) {
		for (k = 0; k < p.jobs[i].nevents; k++) {
			free(p.jobs[i].events[k].schema);
			free(p.jobs[i].events[k].module);
			free(p.jobs[i].events[k].message);
			free(p.jobs[i].events[k].sqlstate);
		}
		free(p.jobs[i].events);
		free(p.jobs[i].wait.schema);
		free(p.jobs[i].wait.message);
	}
	free(p.jobs);
	pthread_mutex_destroy(&p.mutex);
	pthread_cond_destroy(&p.cond);
	return first_error;
}

static int
check_ready(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	upg_error_clear(&r->err);
	if (!UPG_IS(conn, CONN))
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no connection handle");
	if (!r->cat->prepared)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "the catalog is not prepared");
	if (!conn->connected)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "not connected");
	if (!conn->autocommit)
		return upg_error_set(&r->err, UPGRADE_EINVAL,
		                     "the connection is inside a transaction; the runner needs autocommit");
	return UPGRADE_OK;
}

/*
 * A command that writes fails before its first schema when the server
 * takes no writes: on a standby every task would fail, and a run with
 * nothing pending would succeed without the primary having been checked.
 */
static int
check_writable(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	char *why = NULL;
	int ret;

	if (conn->dialect->read_only == NULL)
		return UPGRADE_OK;
	if ((ret = conn->dialect->read_only(conn, &why)) != UPGRADE_OK) {
		upg_error_copy(&r->err, &conn->err);
		return ret;
	}
	if (why == NULL)
		return UPGRADE_OK;
	ret = upg_error_set(&r->err, UPGRADE_EREADONLY,
	                    "%s; this command writes, so point it at the primary", why);
	free(why);
	return ret;
}

int
upgrade_runner_run(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	struct schema_list schemas = {NULL, 0, 0, 0};
	struct upgrade_event ev;
	struct run top;
	long executed = 0, start = now_ms();
	int ret;

	if ((ret = check_ready(r, conn)) != UPGRADE_OK || (ret = check_writable(r, conn)) != UPGRADE_OK)
		return ret;
	r->schemas_ok = r->schemas_failed = 0;
	memset(&top, 0, sizeof top);
	top.r = r;
	top.conn = conn;
	if ((ret = resolve_schemas(r, conn, &schemas, r->create_schemas && !r->dry_run)) != UPGRADE_OK)
		goto done;
	event_init(&ev, UPGRADE_EVENT_RUN_START, NULL);
	ev.count = (long)schemas.n;
	emit(&top, &ev);
	ret = run_raw(r, conn, &schemas);
	if (ret < 0)
		goto report;
	executed += ret;
	/* Other connections cannot see a held transaction: such a dry run stays on this one. */
	if (r->jobs > 1 && schemas.n > 1 && !r->held)
		ret = run_parallel(r, conn, &schemas, &executed);
	else
		ret = run_serial(r, conn, &schemas, &executed);
	if (r->held) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &conn->err);
		upg_db_rollback(conn);
		upg_error_restore(&conn->err, &keep);
		r->held = 0;
	}
report:
	event_init(&ev, UPGRADE_EVENT_RUN_DONE, NULL);
	ev.count = executed;
	ev.code = ret;
	ev.duration_ms = now_ms() - start;
	if (ret != UPGRADE_OK)
		ev.message = upg_error_message(&r->err);
	emit(&top, &ev);
done:
	free_list(schemas.names, schemas.n);
	if (ret < 0)
		return ret;
	return executed > 0x7fffffffL ? 0x7fffffff : (int)executed;
}

/* ---- status and repairs ------------------------------------------------------------- */

/* Runs fn on every target schema with its state open (and locked when writing). */
static int
each_schema(struct upgrade_runner *r, struct upgrade_conn *conn, int write,
            int (*fn)(struct run *run, struct upg_state *st, void *ud), void *ud)
{
	struct schema_list schemas = {NULL, 0, 0, 0};
	size_t i;
	int ret;

	if ((ret = check_ready(r, conn)) != UPGRADE_OK)
		return ret;
	if (write && (ret = check_writable(r, conn)) != UPGRADE_OK)
		return ret;
	if ((ret = resolve_schemas(r, conn, &schemas, 0)) != UPGRADE_OK)
		goto done;
	for (i = 0; ret == UPGRADE_OK && i < schemas.n; i++) {
		struct run run = {.r = r, .conn = conn, .schema = schemas.names[i],
		                  .index = (long)i + 1, .total = (long)schemas.n};
		struct upg_lock *lock = NULL;
		struct upg_state *st = NULL;

		if (write) {
			ret = open_schema(&run, &lock, &st, 1);
		} else {
			/* Reading needs no lock; a status must not wait behind a running upgrade. */
			ret = use_schema(conn, run.schema);
			if (ret == UPGRADE_OK)
				ret = upg_state_open(&st, conn, run.schema, 0);
		}
		if (ret == UPGRADE_OK)
			ret = fn(&run, st, ud);
		close_schema(lock, st);
		if (ret != UPGRADE_OK)
			upg_error_copy(&r->err, &conn->err);
	}
done:
	free_list(schemas.names, schemas.n);
	return ret;
}

struct status_ctx {
	upgrade_status_fn fn;
	void *ud;
};

/*
 * Whether a recorded always-run task would do something in the next run:
 * its guard, a read-only query, holds.  Without a guard (or in C) only
 * running it can tell, so it is not counted as due.  A guard that cannot
 * be evaluated counts as due: the run will meet the same problem.
 */
static int
always_run_due(struct run *run, const struct upgrade_task *t, char *detail, size_t size)
{
	struct upgrade_context ctx = {.conn = run->conn, .schema = run->schema, .task = t,
	                              .dry_run = 1};
	struct upg_resolved *res = NULL;
	int holds = 0, ret;

	if (t->fn != NULL || t->guard == NULL)
		return 0;
	ret = upg_task_resolve(&res, t, run->conn->dialect->name, &run->conn->err);
	if (ret == UPGRADE_OK)
		ret = upg_guard_eval(&ctx, res->guard, &holds);
	upg_resolved_free(res);
	if (ret != UPGRADE_OK) {
		snprintf(detail, size, "always-run; its guard cannot be evaluated: %.400s",
		         upg_error_message(&run->conn->err));
		upg_error_clear(&run->conn->err);
		return 1;
	}
	if (holds)
		snprintf(detail, size, "always-run and its guard holds: the next run executes it");
	return holds;
}

/* A status line is one line: a stored message's line breaks and indents become one space. */
static void
one_line(char *text)
{
	char *in = text, *out = text;

	while (*in != '\0') {
		if (*in == '\n') {
			*out++ = ' ';
			while (*++in == ' ')
				;
			continue;
		}
		*out++ = *in++;
	}
	*out = '\0';
}

static int
status_schema(struct run *run, struct upg_state *st, void *ud)
{
	struct status_ctx *sc = ud;
	const struct upgrade_catalog *cat = run->r->cat;
	struct upgrade_event ev;
	size_t i, j;
	int ret;

	if ((ret = upg_state_load_tasks(st)) != UPGRADE_OK)
		return ret;
	/* A schema with no task to report still gets its heading and count from the caller. */
	event_init(&ev, UPGRADE_EVENT_SCHEMA_START, run->schema);
	ev.index = run->index;
	ev.count = run->total;
	emit(run, &ev);

	for (i = 0; i < cat->nplan; i++) {
		const struct upgrade_task *t = cat->plan[i];
		struct upg_state_module *m = upg_state_find(st, t->module->name);
		enum upgrade_task_state state;
		unsigned long done, total;
		const char *err = NULL, *at = NULL, *sum;
		char detail[600];

		detail[0] = '\0';
		if (t->flags & UPGRADE_TASK_RAW)
			continue;
		if (m == NULL || !m->exists || (t->module->install != NULL && install_unfinished(m))) {
			state = UPGRADE_STATE_NEW_MODULE;
		} else if (upg_state_get_partial(m, t->name, &done, &total, &err, &at)) {
			unsigned long running = upg_state_get_running(m, t->name);

			state = UPGRADE_STATE_PARTIAL;
			/* A statement started and never recorded as ended may have committed: say so. */
			if (running > 0 && err != NULL)
				snprintf(detail, sizeof detail,
				         "%lu of %lu statements committed; statement %lu unknown: started at %s, "
				         "failed: %.400s",
				         done, total, running, at != NULL ? at : "?", err);
			else if (running > 0)
				snprintf(detail, sizeof detail,
				         "%lu of %lu statements committed; statement %lu unknown: started at %s, "
				         "its end never recorded",
				         done, total, running, at != NULL ? at : "?");
			else
				snprintf(detail, sizeof detail, "%lu of %lu statements committed at %s%s%.400s",
				         done, total, at != NULL ? at : "?", err != NULL ? "; failed: " : "",
				         err != NULL ? err : "");
		} else if (!upg_state_is_executed(m, t->name)) {
			state = UPGRADE_STATE_PENDING;
		} else {
			const struct upg_task_row *row = upg_state_task(st, t->module->name, t->name);

			sum = row != NULL ? row->checksum : NULL;
			state = sum != NULL && t->checksum != NULL && strcmp(sum, t->checksum) != 0
			            ? UPGRADE_STATE_CHANGED
			            : UPGRADE_STATE_EXECUTED;
			if (row != NULL && row->at != NULL)
				snprintf(detail, sizeof detail, "%s at %s",
				         row->how == NULL || strcmp(row->how, "run") == 0 ? "ran"
				         : strcmp(row->how, "baseline") == 0 ? "recorded by baseline"
				         : strcmp(row->how, "install") == 0  ? "recorded by install"
				                                             : "marked",
				         row->at);
			if ((t->flags & UPGRADE_TASK_ALWAYS_RUN) &&
			    always_run_due(run, t, detail, sizeof detail))
				state = UPGRADE_STATE_PENDING;
		}
		one_line(detail);
		sc->fn(run->schema, t->module->name, t->name, t, state, detail[0] ? detail : NULL,
		       sc->ud);
	}
	/* Recorded names that no catalog task has any more. */
	for (i = 0; i < st->nmods; i++) {
		struct upg_state_module *m = &st->mods[i];

		const struct upgrade_module *mod;
		unsigned long done, total;
		const char *err = NULL, *at = NULL;
		char detail[600];

		/* Another package's modules, left out by the selection, are none of this status's business. */
		if (!upg_catalog_selects(cat, m->module))
			continue;
		mod = upgrade_catalog_find_module(cat, m->module);
		if (mod != NULL && mod->install != NULL &&
		    upg_state_get_partial(m, UPG_INSTALL_NAME, &done, &total, &err, &at)) {
			snprintf(detail, sizeof detail, "install: %lu of %lu statements committed at %s%s%.400s",
			         done, total, at != NULL ? at : "?", err != NULL ? "; failed: " : "",
			         err != NULL ? err : "");
			sc->fn(run->schema, m->module, UPG_INSTALL_NAME, mod->install, UPGRADE_STATE_PARTIAL,
			       detail, sc->ud);
		}
		for (j = 0; j < m->nexecuted; j++) {
			struct upg_buf id = UPG_BUF_INIT;
			const struct upgrade_task *t;

			/* A finished install's entry is the tasks' to replace, not unknown. */
			if (strcmp(m->executed[j], UPG_INSTALL_NAME) == 0)
				continue;
			upg_buf_printf(&id, "%s:%s", m->module, m->executed[j]);
			t = id.failed ? NULL : upgrade_catalog_find_task(cat, upg_buf_str(&id));
			upg_buf_free(&id);
			if (t == NULL)
				sc->fn(run->schema, m->module, m->executed[j], NULL, UPGRADE_STATE_UNKNOWN,
				       NULL, sc->ud);
		}
	}
	return UPGRADE_OK;
}

int
upgrade_runner_status(struct upgrade_runner *r, struct upgrade_conn *conn, upgrade_status_fn fn,
                      void *ud)
{
	struct status_ctx sc = {fn, ud};

	if (fn == NULL)
		return UPGRADE_EINVAL;
	return each_schema(r, conn, 0, status_schema, &sc);
}

struct history_ctx {
	upgrade_history_fn fn;
	void *ud;
};

static int
history_schema(struct run *run, struct upg_state *st, void *ud)
{
	struct history_ctx *hc = ud;
	struct upg_history_item *items;
	struct upgrade_event ev;
	size_t n, i;
	int ret;

	if ((ret = upg_state_history(st, &items, &n)) != UPGRADE_OK)
		return ret;
	/* As for status: a schema with nothing to report still gets its heading. */
	event_init(&ev, UPGRADE_EVENT_SCHEMA_START, run->schema);
	ev.index = run->index;
	ev.count = run->total;
	emit(run, &ev);
	for (i = 0; i < n; i++) {
		struct upgrade_history_entry e = {
			.schema = run->schema,
			.at = items[i].at,
			.event = items[i].event,
			.module = items[i].module,
			.task = items[i].task,
			.by = items[i].by,
			.duration_ms = items[i].duration_ms,
			.statement = items[i].statement,
			.tasks = items[i].tasks,
		};
		hc->fn(&e, hc->ud);
	}
	upg_history_free(items, n);
	return UPGRADE_OK;
}

int
upgrade_runner_history(struct upgrade_runner *r, struct upgrade_conn *conn,
                       upgrade_history_fn fn, void *ud)
{
	struct history_ctx hc = {fn, ud};

	if (fn == NULL)
		return UPGRADE_EINVAL;
	return each_schema(r, conn, 0, history_schema, &hc);
}

static int
baseline_schema(struct run *run, struct upg_state *st, void *ud)
{
	return baseline(run, st, 1, NULL);
}

int
upgrade_runner_baseline(struct upgrade_runner *r, struct upgrade_conn *conn)
{
	if (UPG_IS(r, RUNNER) && r->dry_run)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "a baseline cannot be a dry run");
	return each_schema(r, conn, 1, baseline_schema, NULL);
}

struct mark_ctx {
	const struct upgrade_task *task;
	const char *module, *name;
	int mark;
};

static int
mark_schema(struct run *run, struct upg_state *st, void *ud)
{
	struct mark_ctx *mc = ud;
	struct upg_state_module *m = upg_state_find(st, mc->module);
	int ret;

	if (m == NULL && (m = upg_state_add(st, mc->module)) == NULL)
		return upg_error_oom(&run->conn->err);
	if (mc->mark)
		ret = upg_state_record(m, mc->name, mc->task != NULL ? mc->task->checksum : NULL, -1, "mark");
	else
		ret = upg_state_forget(m, mc->name);
	if (ret == UPGRADE_OK)
		ret = upg_state_log(m, mc->mark ? "mark" : "unmark", mc->name);
	if (ret != UPGRADE_OK)
		return upg_error_oom(&run->conn->err);
	return save_alone(run, st, m);
}

static int
mark(struct upgrade_runner *r, struct upgrade_conn *conn, const char *task_id, int on)
{
	struct mark_ctx mc;
	const char *colon;
	char *module;
	int ret;

	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	upg_error_clear(&r->err);
	if (!UPG_IS(conn, CONN))
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no connection handle");
	if (task_id == NULL)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no task id");
	colon = strchr(task_id, ':');
	if (colon == NULL || colon == task_id || colon[1] == '\0')
		return upg_error_set(&r->err, UPGRADE_EINVAL, "'%s' is not a task id (module:name)",
		                     task_id);
	mc.task = upgrade_catalog_find_task(r->cat, task_id);
	/* Marking needs a task the catalog knows; forgetting also works for names no catalog has. */
	if (on && mc.task == NULL)
		return upg_error_set(&r->err, UPGRADE_ENOTFOUND, "no task %s in the catalogs", task_id);
	if (mc.task != NULL && (mc.task->flags & UPGRADE_TASK_RAW))
		return upg_error_set(&r->err, UPGRADE_EINVAL, "%s is a raw task: raw tasks are never recorded",
		                     task_id);
	module = upg_strndup(task_id, (size_t)(colon - task_id));
	if (module == NULL)
		return upg_error_oom(&r->err);
	mc.module = module;
	mc.name = colon + 1;
	mc.mark = on;
	ret = each_schema(r, conn, 1, mark_schema, &mc);
	free(module);
	return ret;
}

int
upgrade_runner_mark(struct upgrade_runner *r, struct upgrade_conn *conn, const char *task_id)
{
	return mark(r, conn, task_id, 1);
}

int
upgrade_runner_unmark(struct upgrade_runner *r, struct upgrade_conn *conn, const char *task_id)
{
	return mark(r, conn, task_id, 0);
}
