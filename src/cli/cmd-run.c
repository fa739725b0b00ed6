/* SPDX-License-Identifier: MIT */
/*
 * cmd-run.c - `upgrade run`: raw tasks, then every schema's pending tasks.
 *
 * Text output keeps the lines people and scripts already know from the
 * model system ("Running upgrade for SCHEMA", "* TASK", "executed N upgrade
 * tasks" / "no pending upgrade tasks found"); errors go to stderr.  With
 * --format json every event is one JSON object per line on stdout.
 */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_DRY_RUN = 700,
	OPT_KEEP_GOING,
	OPT_RESUME,
	OPT_RESUME_FROM,
	OPT_CREATE_SCHEMAS,
	OPT_WAIT_REPLICAS,
	OPT_WAIT_TIMEOUT,
	OPT_TARGETS
};

struct run_opts {
	struct cli_runner_opts r;
	int dry_run, keep_going, resume, jobs, create_schemas;
	unsigned long resume_from;
	int wait_replicas; /* --wait-replicas N; -1: not asked */
	long wait_timeout_ms;
	/* --targets: the words to leave out of the targets' own runs. */
	char **argv;
	char *drop[8];
	size_t ndrop;
};

struct printer {
	struct cli *cli;
	const char *dialect;
	int task_failed;  /* a TASK_FAILED event was seen */
	int unverified;   /* a dry run planned tasks it could not execute */
	int task_noted;   /* the error object names a failed task; its schema's end repeats it */
	int progress;     /* stdout is a terminal: show what is running */
	int pending_line; /* a progress line waits to be overwritten */
	int muted;        /* stdout's reader went away: output goes to /dev/null */

	/*
	 * The live line of a terminal: what is going on (a schema, a task,
	 * a lock wait) and for how long, redrawn every second by a ticker
	 * thread while the runner is busy.  The lock serializes the ticker
	 * with print_event(), which the runner calls from its own thread.
	 */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	int ticking, stop;
	enum { LIVE_NONE, LIVE_SCHEMA, LIVE_TASK, LIVE_LOCK } live;
	char what[256];     /* the schema or task; for LIVE_LOCK who holds which lock */
	long since_ms;      /* when what began */
	long lock_timeout_ms;
	char schema[256];   /* the schema being upgraded, to go back to after a task */
	long schema_since_ms;
	long run_since_ms;
	long schemas_done, schemas_total, schema_index;
	long done_at_ms; /* when the last schema was done */
	char sqlstate[6]; /* of the last failure, for run_done */
};

/* "42 s" under a minute, else "M:SS" or "H:MM:SS". */
static void
format_duration(char *buf, size_t size, long ms)
{
	long s = ms / 1000;

	if (s < 60)
		snprintf(buf, size, "%ld s", s);
	else if (s < 3600)
		snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
	else
		snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
}

/*
 * When the reader of stdout has gone (`upgrade run | head -1`), the run goes
 * on to its end without output: stopping half-way would leave the schema at
 * a point nobody chose, and a task must never be cut off by the signal.
 * SIGPIPE is ignored for that (see cmd_run); the first failed write to
 * the pipe sends stdout, and whatever is still buffered, to /dev/null.
 */
static void
check_stdout(struct printer *p)
{
	if (p->muted || (fflush(stdout) == 0 && !ferror(stdout)) || !cli_mute_gone_stdout())
		return;
	p->muted = 1;
	p->progress = 0;
}

/* Clears a progress line ("  ... task") before the next real line. */
static void
clear_progress(struct printer *p)
{
	if (p->pending_line) {
		fputs("\r\033[K", stdout);
		p->pending_line = 0;
	}
}

/*
 * Draws the live line in place of the previous one: "  ... WHAT (12 s)",
 * with the run's elapsed time and an estimate of what is left when
 * several schemas run, or the lock being waited for and for how long.
 * Cut to the terminal's width, since a line that wraps cannot be redrawn.
 */
static void
draw_live(struct printer *p)
{
	char line[600], t1[32], t2[32], t3[32];
	struct winsize ws;
	long now = cli_now_ms();
	size_t width = 80, n;

	if (p->live == LIVE_NONE || p->muted)
		return;
	format_duration(t1, sizeof t1, now - p->since_ms);
	if (p->live == LIVE_LOCK) {
		format_duration(t2, sizeof t2, p->lock_timeout_ms);
		snprintf(line, sizeof line, "  ... waiting for the lock: %s of %s; %s", t1, t2,
		         p->what);
	} else if (p->schemas_total > 1) {
		format_duration(t2, sizeof t2, now - p->run_since_ms);
		n = (size_t)snprintf(line, sizeof line,
		                     "  ... %s (%s; schema %ld of %ld, %s elapsed", p->what, t1,
		                     p->schema_index, p->schemas_total, t2);
		/*
		 * Left: the mean time of the schemas done, times the schemas
		 * still to do, less what the current one has taken already.
		 */
		if (p->schemas_done > 0 && n < sizeof line) {
			long left = (p->done_at_ms - p->run_since_ms) / p->schemas_done *
			            (p->schemas_total - p->schemas_done);

			if (p->schema[0] != '\0')
				left -= now - p->schema_since_ms;
			format_duration(t3, sizeof t3, left > 0 ? left : 0);
			n += (size_t)snprintf(line + n, sizeof line - n, ", about %s left", t3);
		}
		if (n < sizeof line)
			snprintf(line + n, sizeof line - n, ")");
	} else {
		snprintf(line, sizeof line, "  ... %s (%s)", p->what, t1);
	}
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	n = strlen(line);
	if (n >= width) {
		/* Not in the middle of a UTF-8 sequence. */
		n = width - 1;
		while (n > 0 && ((unsigned char)line[n] & 0xC0) == 0x80)
			n--;
		line[n] = '\0';
	}
	printf("\r\033[K%s", line);
	p->pending_line = 1;
	fflush(stdout);
}

static void
set_live(struct printer *p, int what, const char *text)
{
	p->live = what;
	p->since_ms = cli_now_ms();
	snprintf(p->what, sizeof p->what, "%s", text);
}

static void *
tick(void *arg)
{
	struct printer *p = arg;
	struct timespec at;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		clock_gettime(CLOCK_REALTIME, &at);
		at.tv_sec++;
		pthread_cond_timedwait(&p->wake, &p->lock, &at);
		if (!p->stop)
			draw_live(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static const char *
color(const struct printer *p, const char *code)
{
	return p->cli->color ? code : "";
}

static const char *
event_name(enum upgrade_event_type t)
{
	switch (t) {
	case UPGRADE_EVENT_RUN_START: return "run_start";
	case UPGRADE_EVENT_RAW_START: return "raw_start";
	case UPGRADE_EVENT_RAW_DONE: return "raw_done";
	case UPGRADE_EVENT_SCHEMA_START: return "schema_start";
	case UPGRADE_EVENT_BASELINE: return "baseline";
	case UPGRADE_EVENT_TASK_DONE: return "task_done";
	case UPGRADE_EVENT_TASK_NOTHING: return "task_skipped";
	case UPGRADE_EVENT_TASK_FAILED: return "task_failed";
	case UPGRADE_EVENT_TASK_PLANNED: return "task_planned";
	case UPGRADE_EVENT_SCHEMA_DONE: return "schema_done";
	case UPGRADE_EVENT_RUN_DONE: return "run_done";
	case UPGRADE_EVENT_LOCK_WAIT: return "lock_wait";
	case UPGRADE_EVENT_TASK_START: return "task_start";
	case UPGRADE_EVENT_SQL: return "sql";
	}
	return "unknown";
}

/*
 * The raw phase names every schema at once, joined by ", ": an array for
 * readers.  Schema names with ", " in them cannot be told apart here; the
 * schema events of the run name them one by one.
 */
static json_object *
schema_list(const char *joined)
{
	json_object *a = json_object_new_array();
	const char *p = joined, *sep;

	while (a != NULL && *p != '\0') {
		sep = strstr(p, ", ");
		json_object_array_add(a, json_object_new_string_len(p, sep != NULL ? (int)(sep - p)
		                                                                  : (int)strlen(p)));
		if (sep == NULL)
			break;
		p = sep + 2;
	}
	return a;
}

/*
 * One run event as one JSON object on stdout (tasks/upgrade-output.schema.json):
 * the members each event type carries, and for failures the error and
 * SQLSTATE, which are also kept for the closing error object.
 */
static void
print_json(struct printer *p, const struct upgrade_event *ev)
{
	json_object *o = cli_json_object(event_name(ev->type));
	const char *sqlstate = ev->sqlstate;

	if (o == NULL)
		return;
	/* Kept from the first JSON output: scripts read "event"; "type" is the contract's. */
	json_object_object_add(o, "event", json_object_new_string(event_name(ev->type)));
	if (ev->schema != NULL && (ev->type == UPGRADE_EVENT_RAW_START ||
	                           ev->type == UPGRADE_EVENT_RAW_DONE))
		json_object_object_add(o, "schemas", schema_list(ev->schema));
	else if (ev->schema != NULL)
		json_object_object_add(o, "schema", json_object_new_string(ev->schema));
	if (ev->task != NULL) {
		json_object_object_add(o, "task", json_object_new_string(upgrade_task_id(ev->task)));
		json_object_object_add(o, "raw", json_object_new_boolean(
		                                     (upgrade_task_flags(ev->task) & UPGRADE_TASK_RAW) != 0));
		if (upgrade_task_flags(ev->task) & UPGRADE_TASK_INSTALL)
			json_object_object_add(o, "install", json_object_new_boolean(1));
	}
	if (ev->module != NULL)
		json_object_object_add(o, "module", json_object_new_string(ev->module));
	switch (ev->type) {
	case UPGRADE_EVENT_RUN_START:
		json_object_object_add(o, "schemas_count", json_object_new_int64(ev->count));
		break;
	case UPGRADE_EVENT_SCHEMA_START:
		json_object_object_add(o, "index", json_object_new_int64(ev->index));
		json_object_object_add(o, "of", json_object_new_int64(ev->count));
		break;
	case UPGRADE_EVENT_BASELINE:
		json_object_object_add(o, "tasks", json_object_new_int64(ev->count));
		break;
	case UPGRADE_EVENT_RAW_DONE:
	case UPGRADE_EVENT_SCHEMA_DONE:
	case UPGRADE_EVENT_RUN_DONE:
		json_object_object_add(o, "executed", json_object_new_int64(ev->count));
		json_object_object_add(o, "ok", json_object_new_boolean(ev->code == UPGRADE_OK));
		break;
	case UPGRADE_EVENT_TASK_DONE:
		json_object_object_add(o, "nothing_done",
		                       json_object_new_boolean(ev->code == UPGRADE_NOTHING_DONE));
		break;
	case UPGRADE_EVENT_TASK_FAILED:
		json_object_object_add(o, "statement", json_object_new_int64((int64_t)ev->statement));
		json_object_object_add(o, "statements", json_object_new_int64((int64_t)ev->statements));
		break;
	case UPGRADE_EVENT_LOCK_WAIT:
		json_object_object_add(o, "holder", json_object_new_string(ev->message));
		json_object_object_add(o, "timeout_ms", json_object_new_int64(ev->count));
		break;
	default:
		break;
	}
	if (ev->type >= UPGRADE_EVENT_TASK_DONE && ev->type != UPGRADE_EVENT_LOCK_WAIT &&
	    ev->type != UPGRADE_EVENT_TASK_START)
		json_object_object_add(o, "duration_ms", json_object_new_int64(ev->duration_ms));
	if (ev->message != NULL && ev->type != UPGRADE_EVENT_LOCK_WAIT) {
		/*
		 * The run's end repeats the failure of its schema without its
		 * SQLSTATE: the same failure gets the same state.
		 */
		if ((sqlstate == NULL || sqlstate[0] == '\0') && ev->type == UPGRADE_EVENT_RUN_DONE)
			sqlstate = p->sqlstate;
		else if (sqlstate != NULL && sqlstate[0] != '\0')
			snprintf(p->sqlstate, sizeof p->sqlstate, "%s", sqlstate);
		json_object_object_add(o, "error", json_object_new_string(ev->message));
		json_object_object_add(o, "sqlstate", cli_json_sqlstate(sqlstate));
		if (ev->type == UPGRADE_EVENT_TASK_FAILED && ev->task != NULL) {
			char *text = cli_task_failure_text(ev);

			cli_note_error(text != NULL ? text : ev->message, sqlstate);
			free(text);
			p->task_noted = 1;
		} else if (!(p->task_noted && (ev->type == UPGRADE_EVENT_SCHEMA_DONE ||
		                                ev->type == UPGRADE_EVENT_RUN_DONE))) {
			cli_note_error(ev->message, sqlstate);
		}
	}
	if (ev->dry_run) {
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
		json_object_object_add(o, "verified", json_object_new_boolean(ev->verified));
	}
	cli_json_add_time(o, "time");
	cli_json_print(o);
}

/*
 * Shows one run event as text, with the printer's lock held (schemas run
 * on several threads): one line per task on stdout, failures and hints on
 * stderr, and on a terminal a progress line that the next output replaces.
 */
static void
print_event_locked(const struct upgrade_event *ev, void *ud)
{
	struct printer *p = ud;
	const struct cli *cli = p->cli;

	if (ev->type == UPGRADE_EVENT_TASK_FAILED)
		p->task_failed = 1;
	if (ev->type == UPGRADE_EVENT_TASK_PLANNED)
		p->unverified = 1;
	if (cli->format == CLI_FORMAT_JSON) {
		print_json(p, ev);
		check_stdout(p);
		return;
	}
	if (ev->type == UPGRADE_EVENT_TASK_START) {
		/* On a terminal only: scripts read the stable lines, people like to see progress. */
		if (p->progress && !cli->quiet) {
			set_live(p, LIVE_TASK, upgrade_task_id(ev->task));
			draw_live(p);
		}
		return;
	}
	clear_progress(p);
	switch (ev->type) {
	case UPGRADE_EVENT_RUN_START:
		p->run_since_ms = cli_now_ms();
		p->schemas_total = ev->count;
		/* The runner knows whether this connection can execute and roll back DDL. */
		if (ev->dry_run && !cli->quiet && ev->verified)
			fprintf(stderr, "%s: dry run: every task is rolled back, nothing is written\n",
			        cli->progname);
		else if (ev->dry_run && !cli->quiet)
			fprintf(stderr, "%s: dry run on %s: nothing is executed; pending tasks are "
			                "listed as a plan, not verified\n",
			        cli->progname, p->dialect);
		break;
	case UPGRADE_EVENT_RAW_START:
		if (!cli->quiet)
			printf("%sRunning raw upgrade for %s%s\n", color(p, "\033[4m"), ev->schema,
			       color(p, "\033[0m"));
		break;
	case UPGRADE_EVENT_SCHEMA_START:
		if (cli->quiet)
			break;
		printf("%sRunning upgrade for %s%s", color(p, "\033[4m"), ev->schema, color(p, "\033[0m"));
		if (p->progress && ev->count > 1)
			printf(" (%ld of %ld)", ev->index, ev->count);
		putchar('\n');
		snprintf(p->schema, sizeof p->schema, "%s", ev->schema);
		p->schema_index = ev->index;
		set_live(p, LIVE_SCHEMA, ev->schema);
		p->schema_since_ms = p->since_ms;
		break;
	case UPGRADE_EVENT_LOCK_WAIT:
		/* On stderr even with --quiet: a wait of minutes must never look like a hang. */
		fflush(stdout);
		fprintf(stderr, "%s: %s: waiting up to %.0f s for the lock held by %s\n", cli->progname,
		        ev->schema, (double)ev->count / 1000.0, ev->message);
		if (p->progress && !cli->quiet) {
			char what[sizeof p->what];

			snprintf(what, sizeof what, "%s is held by %s", ev->schema, ev->message);
			set_live(p, LIVE_LOCK, what);
			p->lock_timeout_ms = ev->count;
		}
		break;
	case UPGRADE_EVENT_BASELINE:
		if (cli->verbose && !cli->quiet)
			printf("baseline: module %s seen for the first time, %ld task%s recorded%s\n",
			       ev->module, ev->count, ev->count == 1 ? "" : "s",
			       ev->dry_run ? " (dry run: not written)" : "");
		break;
	case UPGRADE_EVENT_TASK_DONE:
		if (!cli->quiet) {
			printf("%s* %s%s", color(p, "\033[32m"), upgrade_task_id(ev->task),
			       color(p, "\033[0m"));
			if (ev->code == UPGRADE_NOTHING_DONE)
				printf(" (nothing to do)");
			if (cli->verbose)
				printf(" (%ld ms)", ev->duration_ms);
			putchar('\n');
		}
		break;
	case UPGRADE_EVENT_TASK_NOTHING:
		if (cli->verbose > 1 && !cli->quiet)
			printf("  %s: nothing to do\n", upgrade_task_id(ev->task));
		break;
	case UPGRADE_EVENT_TASK_PLANNED:
		if (!cli->quiet)
			printf("%s* %s%s (not verified: this engine cannot roll back DDL)\n",
			       color(p, "\033[33m"), upgrade_task_id(ev->task), color(p, "\033[0m"));
		break;
	case UPGRADE_EVENT_TASK_FAILED:
		/* Not "*", which says done: without colour (a pipe) the line alone must tell. */
		if (!cli->quiet)
			printf("%s! %s FAILED%s\n", color(p, "\033[31m"), upgrade_task_id(ev->task),
			       color(p, "\033[0m"));
		fflush(stdout);
		{
			char *text = cli_task_failure_text(ev);

			fprintf(stderr, "%s: error: %s\n", cli->progname,
			        text != NULL ? text : ev->message);
			free(text);
		}
		break;
	case UPGRADE_EVENT_RAW_DONE:
	case UPGRADE_EVENT_SCHEMA_DONE:
		if (ev->type == UPGRADE_EVENT_SCHEMA_DONE) {
			p->schemas_done++;
			p->done_at_ms = cli_now_ms();
		}
		p->live = LIVE_NONE;
		p->schema[0] = '\0';
		if (ev->code != UPGRADE_OK) {
			/* Failures outside a task (lock, state table) have not been reported yet. */
			if (!p->task_failed && ev->message != NULL)
				cli_error(cli, "%s: %s", ev->schema, ev->message);
			break;
		}
		if (cli->quiet)
			break;
		/* A dry run says so on stdout too, and claims no more than it did. */
		if (ev->count > 0 && ev->dry_run && !ev->verified)
			printf("planned %ld upgrade tasks (dry run: not executed)\n", ev->count);
		else if (ev->count > 0)
			printf("executed %ld upgrade tasks%s\n", ev->count,
			       ev->dry_run ? " (dry run: rolled back)" : "");
		else
			printf("no pending upgrade tasks found%s\n", ev->dry_run ? " (dry run)" : "");
		break;
	default:
		break;
	}
	/* After a task, or once the lock is granted, the schema goes on (none in the raw phase). */
	if (p->live == LIVE_TASK || (p->live == LIVE_LOCK && ev->type != UPGRADE_EVENT_LOCK_WAIT)) {
		p->live = p->schema[0] != '\0' ? LIVE_SCHEMA : LIVE_NONE;
		p->since_ms = p->schema_since_ms;
		snprintf(p->what, sizeof p->what, "%s", p->schema);
	}
	if (ev->type == UPGRADE_EVENT_RUN_DONE)
		p->live = LIVE_NONE;
	/* What starts now is drawn at once; a return to the schema waits for the ticker, so that
	 * a line the next event would clear at once does not flicker. */
	if (p->progress && !cli->quiet &&
	    (ev->type == UPGRADE_EVENT_SCHEMA_START || ev->type == UPGRADE_EVENT_LOCK_WAIT))
		draw_live(p);
	fflush(stdout);
	check_stdout(p);
}

static void
print_event(const struct upgrade_event *ev, void *ud)
{
	struct printer *p = ud;

	pthread_mutex_lock(&p->lock);
	print_event_locked(ev, ud);
	pthread_mutex_unlock(&p->lock);
}

/* The ticker runs only where the live line is shown: text on a terminal, not quiet. */
static void
start_ticker(struct printer *p)
{
	if (p->progress && !p->cli->quiet && p->cli->format == CLI_FORMAT_TEXT)
		p->ticking = pthread_create(&p->ticker, NULL, tick, p) == 0;
}

static void
stop_ticker(struct printer *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	if (p->ticking)
		pthread_join(p->ticker, NULL);
	p->ticking = 0;
	clear_progress(p);
	fflush(stdout);
}

/*
 * Applies one option of `run` to the run_opts in state, checking its
 * argument; the options shared with status and the repairs go to
 * cli_runner_option().  Returns CLI_EXIT_OK or a usage error's status.
 */
static int
run_option(struct cli *cli, int c, const char *arg, void *state)
{
	struct run_opts *o = state;
	char *end;
	long v;
	int ret = cli_runner_option(cli, c, arg, &o->r);

	if (ret != -2)
		return ret;
	switch (c) {
	case OPT_DRY_RUN:
		o->dry_run = 1;
		cli->creates = 0;
		return CLI_EXIT_OK;
	case OPT_KEEP_GOING:
		o->keep_going = 1;
		return CLI_EXIT_OK;
	case OPT_CREATE_SCHEMAS:
		o->create_schemas = 1;
		return CLI_EXIT_OK;
	case OPT_TARGETS:
		/*
		 * getopt has just consumed "--targets=FILE" or "--targets FILE":
		 * the words before optind, which the targets' runs must not get.
		 */
		if (o->ndrop + 2 > sizeof o->drop / sizeof o->drop[0])
			return cli_usage_error(cli, "--targets is given too often");
		if (optind >= 2 && o->argv[optind - 1] == arg)
			o->drop[o->ndrop++] = o->argv[optind - 2];
		if (optind >= 1)
			o->drop[o->ndrop++] = o->argv[optind - 1];
		cli->targets = arg;
		return CLI_EXIT_OK;
	case OPT_RESUME:
		o->resume = 1;
		return CLI_EXIT_OK;
	case OPT_RESUME_FROM:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 1)
			return cli_usage_error(cli, "--resume-from wants a statement number from 1, not '%s'",
			                       arg);
		o->resume_from = (unsigned long)v;
		return CLI_EXIT_OK;
	case OPT_WAIT_REPLICAS:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > 1000)
			return cli_usage_error(cli, "--wait-replicas wants a number from 0 to 1000, not '%s'",
			                       arg);
		o->wait_replicas = (int)v;
		return CLI_EXIT_OK;
	case OPT_WAIT_TIMEOUT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > 86400)
			return cli_usage_error(cli, "--wait-timeout wants seconds from 0 to 86400, not '%s'",
			                       arg);
		o->wait_timeout_ms = v * 1000;
		return CLI_EXIT_OK;
	case 'j':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 1 || v > 64)
			return cli_usage_error(cli, "-j wants a number from 1 to 64, not '%s'", arg);
		o->jobs = (int)v;
		return CLI_EXIT_OK;
	default:
		return CLI_EXIT_SOFTWARE;
	}
}

const struct cli_opt cli_run_options[] = {
	{"dry-run", no_argument, OPT_DRY_RUN, NULL, "check the run and roll it back; write nothing",
	 NULL},
	{"keep-going", no_argument, OPT_KEEP_GOING, NULL,
	 "after a failed schema, go on with the others", NULL},
	{"resume", no_argument, OPT_RESUME, NULL,
	 "continue a partly applied task with its first statement not committed", NULL},
	{"resume-from", required_argument, OPT_RESUME_FROM, "N",
	 "continue partly applied tasks with their statement N", NULL},
	{"jobs", required_argument, 'j', "N", "upgrade up to N schemas at once", NULL},
	{"create-schemas", no_argument, OPT_CREATE_SCHEMAS, NULL,
	 "create a named schema that does not exist", NULL},
	{"wait-replicas", required_argument, OPT_WAIT_REPLICAS, "N",
	 "after the run, wait until N replicas have replayed it (PostgreSQL)", NULL},
	{"wait-timeout", required_argument, OPT_WAIT_TIMEOUT, "S",
	 "wait at most S seconds for the replicas (default 60)", NULL},
	{"targets", required_argument, OPT_TARGETS, "FILE",
	 "upgrade every database this file names (a fleet)", NULL},
	CLI_RUNNER_LONGOPTS,
	{NULL, 0, 0, NULL, NULL, NULL}
};

/*
 * After a run that committed, waits for the replicas and says how it went:
 * a line on stdout (a `replicas` object in JSON), and on a timeout the
 * reason on stderr with exit status 9.  A replica that lags does not undo
 * the run: what is committed stays so.
 */
static int
wait_replicas(struct cli *cli, struct upgrade_conn *conn, int count, long timeout_ms)
{
	long waited = 0;
	int rc = upgrade_conn_wait_replicas(conn, count, timeout_ms, &waited);

	if (cli->format == CLI_FORMAT_JSON) {
		json_object *o = cli_json_object("replicas");

		if (o != NULL) {
			json_object_object_add(o, "event", json_object_new_string("replicas"));
			json_object_object_add(o, "wanted", json_object_new_int64(count));
			json_object_object_add(o, "ok", json_object_new_boolean(rc == UPGRADE_OK));
			json_object_object_add(o, "waited_ms", json_object_new_int64(waited));
			if (rc != UPGRADE_OK) {
				json_object_object_add(o, "error",
				                       json_object_new_string(upgrade_conn_error(conn)));
				json_object_object_add(o, "sqlstate",
				                       cli_json_sqlstate(upgrade_conn_sqlstate(conn)));
			}
			cli_json_add_time(o, "time");
		}
		cli_json_print(o);
	} else if (rc == UPGRADE_OK && !cli->quiet) {
		printf("%d replica%s replayed the run (waited %.2f s)\n", count, count == 1 ? "" : "s",
		       (double)waited / 1000.0);
	}
	fflush(stdout);
	if (rc == UPGRADE_OK)
		return CLI_EXIT_OK;
	cli_error(cli, "%s", upgrade_conn_error(conn));
	cli_note_error(NULL, upgrade_conn_sqlstate(conn));
	return rc == UPGRADE_ETIMEOUT ? CLI_EXIT_REPLICAS : cli_runner_exit(rc);
}

int
cmd_run(struct cli *cli, int argc, char **argv)
{
	struct run_opts o;
	struct printer p;
	struct cli_session s;
	struct upgrade_runner *r;
	int ret, rc;

	memset(&o, 0, sizeof o);
	o.jobs = 1;
	o.wait_replicas = -1;
	o.wait_timeout_ms = 60000;
	o.argv = argv;
	/* A closed stdout must not kill the run in the middle of a task (see check_stdout). */
	signal(SIGPIPE, SIG_IGN);
	cli->creates = 1;
	ret = cli_session_open(cli, argc, argv, run_option, &o, &o.r, 0, &s);
	if (ret != CLI_EXIT_OK)
		goto done;
	if (cli->targets != NULL) {
		/* Each target would continue its own partly applied task from the same number. */
		if (o.resume_from > 0) {
			ret = cli_usage_error(cli, "--resume-from settles the partly applied task of one "
			                           "schema: not with --targets; run that target's "
			                           "database alone with --schema");
			goto done;
		}
		ret = cli_fleet_run(cli, argc, argv, o.drop, o.ndrop, o.jobs, o.keep_going);
		goto done;
	}
	r = s.runner;
	cli_say_when_stopped(cli);
	/* Asked of a server whose replicas cannot be seen, the wait fails before the run, not after. */
	if (o.wait_replicas >= 0 && !o.dry_run &&
	    upgrade_conn_wait_replicas(s.conn, 0, 0, NULL) == UPGRADE_EUNSUPPORTED) {
		cli_error(cli, "--wait-replicas: %s", upgrade_conn_error(s.conn));
		ret = CLI_EXIT_USAGE;
		goto done;
	}
	memset(&p, 0, sizeof p);
	p.cli = cli;
	p.dialect = upgrade_conn_dialect(s.conn);
	p.progress = isatty(STDOUT_FILENO);
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.wake, NULL);
	upgrade_runner_set_dry_run(r, o.dry_run);
	upgrade_runner_set_keep_going(r, o.keep_going);
	upgrade_runner_set_resume(r, o.resume);
	upgrade_runner_set_resume_from(r, o.resume_from);
	upgrade_runner_set_jobs(r, o.jobs);
	upgrade_runner_set_create_schemas(r, o.create_schemas);
	upgrade_runner_set_event_callback(r, print_event, &p);
	start_ticker(&p);
	rc = upgrade_runner_run(r, s.conn);
	stop_ticker(&p);
	pthread_cond_destroy(&p.wake);
	pthread_mutex_destroy(&p.lock);
	if (rc >= 0) {
		ret = CLI_EXIT_OK;
	} else if (o.keep_going && upgrade_runner_schemas_failed(r) > 0 &&
	           upgrade_runner_schemas_ok(r) > 0) {
		/* Without --keep-going the run stopped at the failure: its own status says why. */
		ret = CLI_EXIT_PARTIAL;
	} else if (rc == UPGRADE_ELOCKED) {
		ret = CLI_EXIT_LOCK_TIMEOUT;
	} else if (p.task_failed) {
		ret = CLI_EXIT_TASK_FAILED;
	} else {
		/* Nothing was reported through an event (e.g. no schema matched): say it here. */
		if (upgrade_runner_schemas_failed(r) == 0) {
			cli_error(cli, "%s", upgrade_runner_error(r));
			cli_note_error(NULL, upgrade_runner_sqlstate(r));
		}
		ret = cli_runner_exit(rc);
	}
	if ((ret == CLI_EXIT_OK || ret == CLI_EXIT_PARTIAL) && o.wait_replicas > 0 && !o.dry_run) {
		int wret = wait_replicas(cli, s.conn, o.wait_replicas, o.wait_timeout_ms);

		if (wret != CLI_EXIT_OK)
			ret = wret;
	}
	if (p.unverified && cli->format == CLI_FORMAT_TEXT && !cli->quiet)
		fprintf(stderr, "%s: dry run on %s: tasks were listed, not executed; the database "
		                "did not verify them\n",
		        cli->progname, upgrade_conn_dialect(s.conn));
done:
	cli_session_close(&s, &o.r);
	return ret;
}
