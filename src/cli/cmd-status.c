/* SPDX-License-Identifier: MIT */
/*
 * cmd-status.c - `upgrade status` (what is pending, executed, changed,
 * unknown or partly applied, per schema) and the repairs `baseline`,
 * `mark` and `unmark`.
 *
 * status writes nothing and takes no lock, so it can run beside an upgrade
 * and in deploy scripts: with --check its exit status says whether the next
 * run would change anything (pending or partly applied tasks, modules never
 * seen, always-run tasks whose guard holds).
 */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_CHECK = 800,
	OPT_STRICT,
	OPT_ALL
};

struct status_opts {
	struct cli_runner_opts r;
	int check, strict, all;
};

struct tally {
	struct cli *cli;
	const struct upgrade_catalog *cat;
	int all;
	const char *schema; /* the schema whose heading was printed last */
	long pending, executed, changed, unknown, partial, fresh;
	/* Over all schemas, for --check. */
	long all_pending, all_changed, all_fresh;
};

static const char *
state_name(enum upgrade_task_state s)
{
	switch (s) {
	case UPGRADE_STATE_PENDING: return "pending";
	case UPGRADE_STATE_EXECUTED: return "executed";
	case UPGRADE_STATE_CHANGED: return "changed";
	case UPGRADE_STATE_UNKNOWN: return "unknown";
	case UPGRADE_STATE_PARTIAL: return "partial";
	case UPGRADE_STATE_NEW_MODULE: return "new";
	}
	return "?";
}

static const char *
state_note(enum upgrade_task_state s)
{
	switch (s) {
	case UPGRADE_STATE_CHANGED: return "its body changed after it ran; it will not run again";
	case UPGRADE_STATE_UNKNOWN: return "recorded, but no catalog has it any more";
	case UPGRADE_STATE_NEW_MODULE: return "will be recorded as done: module not seen yet";
	default: return NULL;
	}
}

static void
print_summary(struct tally *t)
{
	if (t->schema != NULL && t->cli->format == CLI_FORMAT_JSON) {
		json_object *o = cli_json_object("status_summary");

		if (o == NULL)
			return;
		json_object_object_add(o, "schema", json_object_new_string(t->schema));
		json_object_object_add(o, "pending", json_object_new_int64(t->pending));
		json_object_object_add(o, "executed", json_object_new_int64(t->executed));
		json_object_object_add(o, "changed", json_object_new_int64(t->changed));
		json_object_object_add(o, "partial", json_object_new_int64(t->partial));
		json_object_object_add(o, "unknown", json_object_new_int64(t->unknown));
		json_object_object_add(o, "new_module", json_object_new_int64(t->fresh));
		cli_json_print(o);
		return;
	}
	if (t->schema == NULL || t->cli->quiet)
		return;
	printf("%ld pending, %ld executed, %ld changed, %ld partly applied, %ld unknown, "
	       "%ld in new modules\n",
	       t->pending, t->executed, t->changed, t->partial, t->unknown, t->fresh);
}

/* Ends the previous schema with its count line and heads the next one. */
static void
begin_schema(struct tally *t, const char *schema)
{
	if (t->schema != NULL && strcmp(t->schema, schema) == 0)
		return;
	print_summary(t);
	free((char *)t->schema);
	t->schema = strdup(schema);
	t->pending = t->executed = t->changed = t->unknown = t->partial = t->fresh = 0;
	if (t->cli->format == CLI_FORMAT_TEXT && !t->cli->quiet)
		printf("Status of %s\n", schema);
}

/* The runner announces every schema, also one without a task to list. */
static void
on_event(const struct upgrade_event *ev, void *ud)
{
	if (ev->type == UPGRADE_EVENT_SCHEMA_START && ev->schema != NULL)
		begin_schema(ud, ev->schema);
}

/*
 * Receives one task's state from the runner and counts it.  JSON gets a
 * status object for every task; text shows a line unless -q, or the task
 * is plainly executed and --all was not given.
 */
static void
on_status(const char *schema, const char *module, const char *name, const struct upgrade_task *task,
          enum upgrade_task_state state, const char *detail, void *ud)
{
	struct tally *t = ud;
	const char *note = detail != NULL ? detail : state_note(state);
	/* A new module's detail says its install block ran already: only the recording is left. */
	int installs = state == UPGRADE_STATE_NEW_MODULE && detail == NULL &&
	               upgrade_module_install(upgrade_catalog_find_module(t->cat, module)) != NULL;

	begin_schema(t, schema);
	if (state == UPGRADE_STATE_PENDING || state == UPGRADE_STATE_PARTIAL)
		t->all_pending++;
	if (state == UPGRADE_STATE_CHANGED || state == UPGRADE_STATE_UNKNOWN)
		t->all_changed++;
	/* A module never seen gets state written (and always-run tasks run) by the next run. */
	if (state == UPGRADE_STATE_NEW_MODULE)
		t->all_fresh++;
	switch (state) {
	case UPGRADE_STATE_PENDING: t->pending++; break;
	case UPGRADE_STATE_EXECUTED: t->executed++; break;
	case UPGRADE_STATE_CHANGED: t->changed++; break;
	case UPGRADE_STATE_UNKNOWN: t->unknown++; break;
	case UPGRADE_STATE_PARTIAL: t->partial++; break;
	case UPGRADE_STATE_NEW_MODULE: t->fresh++; break;
	}
	if (installs)
		note = "will install: its module's install block runs";
	if (t->cli->format == CLI_FORMAT_JSON) {
		json_object *o = cli_json_object("status");
		if (o == NULL)
			return;
		json_object_object_add(o, "schema", json_object_new_string(schema));
		json_object_object_add(o, "module", json_object_new_string(module));
		json_object_object_add(o, "task", json_object_new_string(name));
		json_object_object_add(o, "state", json_object_new_string(state_name(state)));
		if (task != NULL && upgrade_task_flags(task) & UPGRADE_TASK_ALWAYS_RUN)
			json_object_object_add(o, "always_run", json_object_new_boolean(1));
		if (task != NULL && upgrade_task_flags(task) & UPGRADE_TASK_INSTALL)
			json_object_object_add(o, "install", json_object_new_boolean(1));
		/* A new module's first run: its install block, or recording its tasks. */
		if (state == UPGRADE_STATE_NEW_MODULE)
			json_object_object_add(o, "will", json_object_new_string(installs ? "install" : "record"));
		if (note != NULL)
			json_object_object_add(o, "detail", json_object_new_string(note));
		cli_json_print(o);
		return;
	}
	if (t->cli->quiet || (state == UPGRADE_STATE_EXECUTED && !t->all))
		return;
	printf("  %-9s %s:%s%s%s%s\n", state_name(state), module, name, note != NULL ? "  (" : "",
	       note != NULL ? note : "", note != NULL ? ")" : "");
}

static int
status_option(struct cli *cli, int c, const char *arg, void *state)
{
	struct status_opts *o = state;
	int ret = cli_runner_option(cli, c, arg, &o->r);

	if (ret != -2)
		return ret;
	switch (c) {
	case OPT_CHECK: o->check = 1; return CLI_EXIT_OK;
	case OPT_STRICT: o->strict = 1; return CLI_EXIT_OK;
	case OPT_ALL: o->all = 1; return CLI_EXIT_OK;
	default: return CLI_EXIT_SOFTWARE;
	}
}

const struct cli_opt cli_status_options[] = {
	{"check", no_argument, OPT_CHECK, NULL, "exit with 1 when anything is pending", NULL},
	{"strict", no_argument, OPT_STRICT, NULL,
	 "with --check, exit with 7 when a task changed or is unknown", NULL},
	{"all", no_argument, OPT_ALL, NULL, "list the executed tasks too", NULL},
	CLI_RUNNER_LONGOPTS,
	{NULL, 0, 0, NULL, NULL, NULL}
};

int
cmd_status(struct cli *cli, int argc, char **argv)
{
	struct status_opts o;
	struct tally t;
	struct cli_session s;
	int ret, rc;

	memset(&o, 0, sizeof o);
	memset(&t, 0, sizeof t);
	ret = cli_session_open(cli, argc, argv, status_option, &o, &o.r, 0, &s);
	if (ret != CLI_EXIT_OK)
		goto done;
	t.cli = cli;
	t.cat = s.cat;
	t.all = o.all || cli->verbose;
	upgrade_runner_set_event_callback(s.runner, on_event, &t);
	rc = upgrade_runner_status(s.runner, s.conn, on_status, &t);
	print_summary(&t);
	if (rc != UPGRADE_OK) {
		cli_error(cli, "%s", upgrade_runner_error(s.runner));
		cli_note_error(NULL, upgrade_runner_sqlstate(s.runner));
		ret = cli_runner_exit(rc);
		goto done;
	}
	ret = CLI_EXIT_OK;
	if (o.check && (t.all_pending > 0 || t.all_fresh > 0))
		ret = CLI_EXIT_PENDING;
	else if (o.check && o.strict && t.all_changed > 0)
		ret = CLI_EXIT_CHECKSUM;
done:
	free((char *)t.schema);
	cli_session_close(&s, &o.r);
	return ret;
}

static int
repair_option(struct cli *cli, int c, const char *arg, void *state)
{
	int ret = cli_runner_option(cli, c, arg, state);

	return ret == -2 ? CLI_EXIT_SOFTWARE : ret;
}

const struct cli_opt cli_repair_options[] = {
	CLI_RUNNER_LONGOPTS,
	{NULL, 0, 0, NULL, NULL, NULL}
};

/*
 * baseline, mark and unmark: parses their options and task ids, connects,
 * and asks the runner for the repair named by what in every selected
 * schema; prints what was recorded.  Returns the command's exit status.
 */
static int
repair(struct cli *cli, int argc, char **argv, int what)
{
	struct cli_runner_opts o;
	struct cli_session s;
	int ret, rc;

	memset(&o, 0, sizeof o);
	/*
	 * Baseline records modules in a new database; mark refuses a module
	 * the schema never saw, and unmark has nothing to forget there.
	 */
	cli->creates = what == 0;
	ret = cli_session_open(cli, argc, argv, repair_option, &o, &o, what == 0 ? 0 : 1, &s);
	if (ret != CLI_EXIT_OK)
		goto done;
	if (what == 0)
		rc = upgrade_runner_baseline(s.runner, s.conn);
	else if (what == 1)
		rc = upgrade_runner_mark(s.runner, s.conn, argv[s.first]);
	else
		rc = upgrade_runner_unmark(s.runner, s.conn, argv[s.first]);
	if (rc != UPGRADE_OK) {
		cli_error(cli, "%s", upgrade_runner_error(s.runner));
		cli_note_error(NULL, upgrade_runner_sqlstate(s.runner));
		/* A task id that no catalog has is a wrong command line; a missing schema is not. */
		ret = rc == UPGRADE_ENOTFOUND && what == 1 &&
		              upgrade_catalog_find_task(s.cat, argv[s.first]) == NULL
		          ? CLI_EXIT_USAGE
		          : cli_runner_exit(rc);
		goto done;
	}
	if (cli->format == CLI_FORMAT_JSON) {
		json_object *res = cli_json_object("repair");

		if (res != NULL) {
			json_object_object_add(res, "action", json_object_new_string(
			                                         what == 0 ? "baseline" : what == 1 ? "mark" : "unmark"));
			if (what != 0)
				json_object_object_add(res, "task", json_object_new_string(argv[s.first]));
			cli_json_add_time(res, "time");
		}
		cli_json_print(res);
	} else if (!cli->quiet) {
		if (what == 0)
			printf("baseline recorded\n");
		else
			printf("%s %s\n", what == 1 ? "marked" : "unmarked", argv[s.first]);
	}
done:
	cli_session_close(&s, &o);
	return ret;
}

int
cmd_baseline(struct cli *cli, int argc, char **argv)
{
	return repair(cli, argc, argv, 0);
}

int
cmd_mark(struct cli *cli, int argc, char **argv)
{
	return repair(cli, argc, argv, 1);
}

int
cmd_unmark(struct cli *cli, int argc, char **argv)
{
	return repair(cli, argc, argv, 2);
}
