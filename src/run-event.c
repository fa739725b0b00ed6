/* SPDX-License-Identifier: MIT */
/*
 * run-event.c - the runner's events.
 *
 * A serial run hands each event to the callback at once.  A parallel run
 * queues a schema's events (copied) in its job, for the calling thread to
 * deliver in schema order, so that output stays grouped and stable
 * whatever the timing; a lock wait alone goes to the calling thread at
 * once, as a wait of minutes must be seen while it lasts.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "run.h"

static char *
dup_or_null(const char *s)
{
	return s != NULL ? upg_strdup(s) : NULL;
}

/* A copy of s for a queued event; without memory, a text that says so rather than NULL. */
static const char *
queued_text(char **copy, const char *s, const char *fallback)
{
	*copy = dup_or_null(s);
	return s == NULL || *copy != NULL ? *copy : fallback;
}

/* Hands a worker's lock wait to the calling thread (upg_run_parallel delivers it). */
static void
post_wait(struct upg_schema_job *job, const struct upgrade_event *ev)
{
	struct upg_parallel *p = job->owner;

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
 * Reports an event: at once in a serial run, queued in the job (copied)
 * in a parallel one, to be delivered in schema order.  Keeps
 * RESERVED_EVENTS free slots for TASK_FAILED and SCHEMA_DONE, which
 * therefore always get one; other events are dropped only when no memory
 * is left for them.
 */
void
upg_run_emit(struct upg_run *run, struct upgrade_event *ev)
{
	struct upgrade_runner *r = run->r;
	struct upg_schema_job *job = run->job;
	struct upg_queued_event *q;
	size_t reserve;

	ev->dry_run = r->dry_run;
	/* Tasks say for themselves; the rest of a dry run is verified where tasks are executed. */
	if (ev->task == NULL && r->dry_run)
		ev->verified = run->conn != NULL && upg_run_transactional(run);
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

void
upg_run_event_init(struct upgrade_event *ev, enum upgrade_event_type type, const char *schema)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->schema = schema;
	ev->sqlstate = "";
	ev->verified = 1;
}

void
upg_run_fail_event(struct upg_run *run, const struct upgrade_task *task, int code,
                   unsigned long statement, unsigned long statements, long duration)
{
	struct upgrade_event ev;

	upg_run_event_init(&ev, UPGRADE_EVENT_TASK_FAILED, run->schema);
	ev.task = task;
	ev.code = code;
	ev.message = upg_error_message(&run->conn->err);
	ev.sqlstate = run->conn->err.sqlstate;
	ev.statement = statement;
	ev.statements = statements;
	ev.duration_ms = duration;
	upg_run_emit(run, &ev);
}

void
upg_run_task_event(struct upg_run *run, enum upgrade_event_type type,
                   const struct upgrade_task *task, int code, long duration, int verified)
{
	struct upgrade_event ev;

	upg_run_event_init(&ev, type, run->schema);
	ev.task = task;
	ev.code = code;
	ev.duration_ms = duration;
	ev.verified = verified;
	upg_run_emit(run, &ev);
}
