/* SPDX-License-Identifier: MIT */
/*
 * run-status.c - what the state of each target schema says: status and
 * history.
 *
 * Both only read: no lock is taken, so that they do not wait behind a
 * running upgrade, and nothing is written.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "run.h"

struct status_ctx {
	upgrade_status_fn fn;
	void *ud;
};

/*
 * Whether a recorded always-run task would do something in the next run:
 * its guard, a read-only query, holds, and so does the guard of one of its
 * steps if it has guarded steps (each asked now, before the steps ahead of
 * it ran).  Without a guard (or in C) only running it can tell, so it is
 * not counted as due.  A guard that cannot be evaluated counts as due: the
 * run will meet the same problem.
 */
static int
always_run_due(struct upg_run *run, const struct upgrade_task *t, char *detail, size_t size)
{
	struct upgrade_context ctx = {.magic = UPG_MAGIC_CONTEXT, .conn = run->conn,
	                              .schema = run->schema, .task = t,
	                              .dry_run = 1};
	struct upg_resolved *res = NULL;
	int holds = 0, ret, guarded, steps = 0, step = 0;
	size_t u;

	if (t->fn != NULL)
		return 0;
	ret = upg_task_resolve(&res, t, run->conn->dialect->name, &run->conn->err);
	if (ret == UPGRADE_OK)
		ret = upg_guard_eval(&ctx, res->guard, &holds);
	guarded = t->guard != NULL;
	for (u = 0; ret == UPGRADE_OK && u < res->nunits; u++)
		steps |= res->units[u].guard != NULL;
	/* Steps without a guard are as a task without one: not counted. */
	for (u = 0; ret == UPGRADE_OK && holds && steps && !step && u < res->nunits; u++)
		if (res->units[u].guard != NULL && res->units[u].nactions > 0)
			ret = upg_guard_eval(&ctx, res->units[u].guard, &step);
	if (steps) {
		guarded = 1;
		holds = holds && step;
	}
	upg_resolved_free(res);
	if (ret != UPGRADE_OK) {
		snprintf(detail, size, "always-run; its guard cannot be evaluated: %.400s",
		         upg_error_message(&run->conn->err));
		upg_error_clear(&run->conn->err);
		return 1;
	}
	if (!guarded)
		return 0;
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

/*
 * The detail of a partly applied task or install: what committed, and the
 * statement whose outcome is unknown or the failure.  prefix leads it.
 */
static void
partial_detail(const struct upg_state_module *m, const char *name, const char *prefix,
               char *detail, size_t size)
{
	unsigned long done = 0, total = 0, running = upg_state_get_running(m, name);
	const char *err = NULL, *at = NULL;
	char when[64];

	upg_state_get_partial(m, name, &done, &total, &err, &at);
	upg_time_rfc3339(at != NULL ? at : "?", when, sizeof when);
	/* A statement started and never recorded as ended may have committed: say so. */
	if (running > 0)
		snprintf(detail, size,
		         "%s%lu of %lu statements committed; statement %lu unknown: started at %s, %s%.400s",
		         prefix, done, total, running, when, err != NULL ? "failed: " : "its end never recorded",
		         err != NULL ? err : "");
	else
		snprintf(detail, size, "%s%lu of %lu statements committed at %s%s%.400s", prefix, done,
		         total, when, err != NULL ? "; failed: " : "", err != NULL ? err : "");
}

/*
 * Reports every catalog task of one schema to the status callback, with
 * its state and a one-line detail (when it ran, how much of it committed,
 * why an always-run task is due), then the names the schema recorded that
 * no catalog task has any more.  Reads only, except for evaluating the
 * guards of always-run tasks.
 */
static int
status_schema(struct upg_run *run, struct upg_state *st, void *ud)
{
	struct status_ctx *sc = ud;
	const struct upgrade_catalog *cat = run->r->cat;
	struct upgrade_event ev;
	size_t i, j;
	int ret;

	if ((ret = upg_state_load_tasks(st)) != UPGRADE_OK)
		return ret;
	/* A schema with no task to report still gets its heading and count from the caller. */
	upg_run_event_init(&ev, UPGRADE_EVENT_SCHEMA_START, run->schema);
	ev.index = run->index;
	ev.count = run->total;
	upg_run_emit(run, &ev);

	for (i = 0; i < cat->nplan; i++) {
		const struct upgrade_task *t = cat->plan[i];
		struct upg_state_module *m = upg_state_find(st, t->module->name);
		enum upgrade_task_state state;
		unsigned long done, total;
		const char *err = NULL, *at = NULL, *sum, *now = NULL;
		char detail[600], when[64];

		detail[0] = '\0';
		if (t->flags & UPGRADE_TASK_RAW)
			continue;
		if (m == NULL || !m->exists ||
		    (t->module->install != NULL && upg_run_install_unfinished(m))) {
			state = UPGRADE_STATE_NEW_MODULE;
			/* The install block ran, and recording its module's tasks did not follow. */
			if (m != NULL && m->exists && t->module->install != NULL &&
			    !upg_state_get_partial(m, UPG_INSTALL_NAME, &done, &total, &err, &at))
				snprintf(detail, sizeof detail,
				         "its install block ran; the next run records its tasks");
		} else if (upg_state_get_partial(m, t->name, &done, &total, &err, &at)) {
			state = UPGRADE_STATE_PARTIAL;
			partial_detail(m, t->name, "", detail, sizeof detail);
		} else if (!upg_state_is_executed(m, t->name)) {
			state = UPGRADE_STATE_PENDING;
		} else {
			const struct upg_task_row *row = upg_state_task(st, t->module->name, t->name);

			sum = row != NULL ? row->checksum : NULL;
			if (sum != NULL && upg_task_checksum(t, &now) != UPGRADE_OK)
				return upg_error_oom(&run->conn->err);
			state = sum != NULL && now != NULL && strcmp(sum, now) != 0
			            ? UPGRADE_STATE_CHANGED
			            : UPGRADE_STATE_EXECUTED;
			if (row != NULL && row->at != NULL) {
				upg_time_rfc3339(row->at, when, sizeof when);
				snprintf(detail, sizeof detail, "%s at %s",
				         row->how == NULL || strcmp(row->how, "run") == 0 ? "ran"
				         : strcmp(row->how, "baseline") == 0 ? "recorded by baseline"
				         : strcmp(row->how, "install") == 0  ? "recorded by install"
				                                             : "marked",
				         when);
			}
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
			partial_detail(m, UPG_INSTALL_NAME, "install: ", detail, sizeof detail);
			one_line(detail);
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

	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	if (fn == NULL)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no status callback (fn is NULL)");
	return upg_run_each_schema(r, conn, 0, status_schema, &sc);
}

struct history_ctx {
	upgrade_history_fn fn;
	void *ud;
};

static int
history_schema(struct upg_run *run, struct upg_state *st, void *ud)
{
	struct history_ctx *hc = ud;
	struct upg_history_item *items;
	struct upgrade_event ev;
	size_t n, i;
	int ret;

	if ((ret = upg_state_history(st, &items, &n)) != UPGRADE_OK)
		return ret;
	/* As for status: a schema with nothing to report still gets its heading. */
	upg_run_event_init(&ev, UPGRADE_EVENT_SCHEMA_START, run->schema);
	ev.index = run->index;
	ev.count = run->total;
	upg_run_emit(run, &ev);
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

	if (!UPG_IS(r, RUNNER))
		return UPGRADE_EINVAL;
	if (fn == NULL)
		return upg_error_set(&r->err, UPGRADE_EINVAL, "no history callback (fn is NULL)");
	return upg_run_each_schema(r, conn, 0, history_schema, &hc);
}
