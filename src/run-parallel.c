/* SPDX-License-Identifier: MIT */
/*
 * run-parallel.c - the thread scheduler of a run with jobs > 1.
 *
 * The schemas run on threads, each with its own connection; events are
 * queued per schema (run-event.c) and delivered by the calling thread in
 * schema order, so output stays grouped and stable whatever the timing.
 * A dry run that holds the raw phase's transaction never comes here:
 * other connections could not see it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

/*
 * Delivers the lock waits the workers posted, from the calling thread, as
 * the event callback's contract says.  Called and returns with p->mutex
 * held; the callback runs without it, so that workers are not held up.
 */
static void
deliver_waits(struct upg_parallel *p)
{
	size_t i;

	for (i = 0; i < p->njobs; i++) {
		struct upg_schema_job *job = &p->jobs[i];

		if (job->wait_state != 1)
			continue;
		job->wait_state = 2;
		pthread_mutex_unlock(&p->mutex);
		if (p->r->fn != NULL)
			p->r->fn(&job->wait.ev, p->r->ud);
		pthread_mutex_lock(&p->mutex);
	}
}

/*
 * A worker thread: opens a connection of its own like p->proto, then runs
 * the next schema not yet taken until none is left or a failure without
 * keep_going stops the run.  A connection that cannot be opened fails
 * every schema the worker takes; it takes none while another worker has,
 * or may still get, a connection (a server short of connections for all).
 * Results go to the job, under p->mutex.
 */
static void *
parallel_worker(void *arg)
{
	struct upg_parallel *p = arg;
	struct upgrade_conn *conn = NULL;
	int connect_ret, idle;

	connect_ret = upg_conn_clone(p->proto, &conn);
	pthread_mutex_lock(&p->mutex);
	p->connecting--;
	if (connect_ret == UPGRADE_OK)
		p->connected++;
	idle = connect_ret != UPGRADE_OK && (p->connected > 0 || p->connecting > 0);
	pthread_mutex_unlock(&p->mutex);
	while (!idle) {
		struct upg_schema_job *job;
		struct upg_run run;
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
			upg_run_event_init(&ev, UPGRADE_EVENT_SCHEMA_DONE, job->schema);
			ev.code = connect_ret;
			ev.message = conn != NULL ? upg_error_message(&conn->err) : "out of memory";
			upg_run_emit(&run, &ev);
			ret = connect_ret;
		} else {
			ret = upg_run_schema(&run);
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

/*
 * Runs the schemas on min(r->jobs, schemas) threads and delivers their
 * events from the calling thread, in schema order.  Adds the tasks
 * executed to *executed and counts schemas ok and failed in r.  Returns
 * UPGRADE_OK or the first failing schema's code, its message and SQLSTATE
 * copied to the runner.  Schemas not started when a failure stops the run
 * are neither ok nor failed.
 */
int
upg_run_parallel(struct upgrade_runner *r, struct upgrade_conn *conn,
                 const struct upg_schema_list *schemas, long *executed)
{
	struct upg_parallel p;
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
	/* Held while they start: no worker counts on one that did not. */
	pthread_mutex_lock(&p.mutex);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&threads[started], NULL, parallel_worker, &p) == 0)
			started++;
	p.connecting = started;
	pthread_mutex_unlock(&p.mutex);
	if (started == 0) {
		first_error = upg_error_set(&r->err, UPGRADE_ERROR, "cannot start worker threads");
		p.stop = 1;
	}
	/*
	 * Deliver each schema's events in schema order, as soon as that schema
	 * is done; lock waits, of any schema, as soon as they begin.
	 */
	for (i = 0; started > 0 && i < p.njobs; i++) {
		struct upg_schema_job *job = &p.jobs[i];

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
