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
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_DRY_RUN = 700,
	OPT_KEEP_GOING,
	OPT_RESUME,
	OPT_RESUME_FROM
};

struct run_opts {
	struct cli_runner_opts r;
	int dry_run, keep_going, resume, jobs;
	unsigned long resume_from;
};

struct printer {
	struct cli *cli;
	const char *dialect;
	int task_failed;  /* a TASK_FAILED event was seen */
	int unverified;   /* a dry run planned tasks it could not execute */
	int progress;     /* stdout is a terminal: show what is running */
	int pending_line; /* a progress line waits to be overwritten */
	int muted;        /* stdout's reader went away: output goes to /dev/null */
};

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
	struct stat st;
	int fd;

	/* A failed write to a pipe is its reader gone; errno may be stale by now. */
	if (p->muted || (fflush(stdout) == 0 && !ferror(stdout)) || fstat(STDOUT_FILENO, &st) != 0 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (dup2(fd, STDOUT_FILENO) >= 0)
			clearerr(stdout);
		close(fd);
	}
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
	}
	return "unknown";
}

static void
print_json(const struct upgrade_event *ev)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		return;
	json_object_object_add(o, "event", json_object_new_string(event_name(ev->type)));
	if (ev->schema != NULL)
		json_object_object_add(o, ev->type == UPGRADE_EVENT_RAW_START ||
		                                  ev->type == UPGRADE_EVENT_RAW_DONE
		                              ? "schemas"
		                              : "schema",
		                       json_object_new_string(ev->schema));
	if (ev->task != NULL) {
		json_object_object_add(o, "task", json_object_new_string(upgrade_task_id(ev->task)));
		json_object_object_add(o, "raw", json_object_new_boolean(
		                                     (upgrade_task_flags(ev->task) & UPGRADE_TASK_RAW) != 0));
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
		json_object_object_add(o, "error", json_object_new_string(ev->message));
		json_object_object_add(o, "sqlstate", json_object_new_string(ev->sqlstate));
	}
	if (ev->dry_run) {
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
		json_object_object_add(o, "verified", json_object_new_boolean(ev->verified));
	}
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	fflush(stdout);
}

static void
print_event(const struct upgrade_event *ev, void *ud)
{
	struct printer *p = ud;
	const struct cli *cli = p->cli;

	if (ev->type == UPGRADE_EVENT_TASK_FAILED)
		p->task_failed = 1;
	if (ev->type == UPGRADE_EVENT_TASK_PLANNED)
		p->unverified = 1;
	if (cli->format == CLI_FORMAT_JSON) {
		print_json(ev);
		check_stdout(p);
		return;
	}
	if (ev->type == UPGRADE_EVENT_TASK_START) {
		/* On a terminal only: scripts read the stable lines, people like to see progress. */
		if (p->progress && !cli->quiet) {
			clear_progress(p);
			printf("  ... %s", upgrade_task_id(ev->task));
			p->pending_line = 1;
			fflush(stdout);
		}
		return;
	}
	clear_progress(p);
	switch (ev->type) {
	case UPGRADE_EVENT_RUN_START:
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
		break;
	case UPGRADE_EVENT_LOCK_WAIT:
		/* On stderr even with --quiet: a wait of minutes must never look like a hang. */
		fflush(stdout);
		fprintf(stderr, "%s: %s: waiting up to %.0f s for the lock held by %s\n", cli->progname,
		        ev->schema, (double)ev->count / 1000.0, ev->message);
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
		if (ev->statement > 0)
			fprintf(stderr, "%s: error: task %s failed in %s at statement %lu of %lu%s: %s\n",
			        cli->progname, upgrade_task_id(ev->task), ev->schema, ev->statement,
			        ev->statements, ev->dry_run ? " (dry run)" : "", ev->message);
		else
			fprintf(stderr, "%s: error: task %s failed in %s%s: %s\n", cli->progname,
			        upgrade_task_id(ev->task), ev->schema, ev->dry_run ? " (dry run)" : "",
			        ev->message);
		break;
	case UPGRADE_EVENT_RAW_DONE:
	case UPGRADE_EVENT_SCHEMA_DONE:
		if (ev->code != UPGRADE_OK) {
			/* Failures outside a task (lock, state table) have not been reported yet. */
			if (!p->task_failed && ev->message != NULL)
				cli_error(cli, "%s: %s", ev->schema, ev->message);
			break;
		}
		if (cli->quiet)
			break;
		if (ev->count > 0)
			printf("executed %ld upgrade tasks\n", ev->count);
		else
			printf("no pending upgrade tasks found\n");
		break;
	default:
		break;
	}
	fflush(stdout);
	check_stdout(p);
}

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
		return CLI_EXIT_OK;
	case OPT_KEEP_GOING:
		o->keep_going = 1;
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
	{"keep-going", no_argument, OPT_KEEP_GOING, NULL, "after a failed schema, go on with the others",
	 NULL},
	{"resume", no_argument, OPT_RESUME, NULL,
	 "continue a partly applied task with its first statement not committed", NULL},
	{"resume-from", required_argument, OPT_RESUME_FROM, "N",
	 "continue partly applied tasks with their statement N", NULL},
	{"jobs", required_argument, 'j', "N", "upgrade up to N schemas at once", NULL},
	CLI_RUNNER_LONGOPTS,
	{NULL, 0, 0, NULL, NULL, NULL}
};

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
	/* A closed stdout must not kill the run in the middle of a task (see check_stdout). */
	signal(SIGPIPE, SIG_IGN);
	ret = cli_session_open(cli, argc, argv, run_option, &o, &o.r, 0, &s);
	if (ret != CLI_EXIT_OK)
		goto done;
	r = s.runner;
	memset(&p, 0, sizeof p);
	p.cli = cli;
	p.dialect = upgrade_conn_dialect(s.conn);
	p.progress = isatty(STDOUT_FILENO);
	upgrade_runner_set_dry_run(r, o.dry_run);
	upgrade_runner_set_keep_going(r, o.keep_going);
	upgrade_runner_set_resume(r, o.resume);
	upgrade_runner_set_resume_from(r, o.resume_from);
	upgrade_runner_set_jobs(r, o.jobs);
	upgrade_runner_set_event_callback(r, print_event, &p);
	rc = upgrade_runner_run(r, s.conn);
	if (rc >= 0) {
		ret = CLI_EXIT_OK;
	} else if (upgrade_runner_schemas_failed(r) > 0 && upgrade_runner_schemas_ok(r) > 0) {
		ret = CLI_EXIT_PARTIAL;
	} else if (rc == UPGRADE_ELOCKED) {
		ret = CLI_EXIT_LOCK_TIMEOUT;
	} else if (p.task_failed) {
		ret = CLI_EXIT_TASK_FAILED;
	} else {
		/* Nothing was reported through an event (e.g. no schema matched): say it here. */
		if (upgrade_runner_schemas_failed(r) == 0)
			cli_error(cli, "%s", upgrade_runner_error(r));
		ret = cli_runner_exit(rc);
	}
	if (p.unverified && cli->format == CLI_FORMAT_TEXT && !cli->quiet)
		fprintf(stderr, "%s: dry run on %s: tasks were listed, not executed; the database "
		                "did not verify them\n",
		        cli->progname, upgrade_conn_dialect(s.conn));
done:
	cli_session_close(&s, &o.r);
	return ret;
}
