/* SPDX-License-Identifier: MIT */
/*
 * cmd-sql.c - `upgrade sql`: the statements a run would send, for review.
 *
 * The runner walks the pending tasks of every selected schema without
 * executing them (upgrade_runner_set_sql_only) and hands over the text;
 * this prints it, one block per schema, or as JSON one "sql" object per
 * block.  Nothing is written to the database.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct sql_out {
	struct cli *cli;
	int failed;
};

static void
on_event(const struct upgrade_event *ev, void *ud)
{
	struct sql_out *o = ud;
	json_object *j;

	switch (ev->type) {
	case UPGRADE_EVENT_SCHEMA_START:
		if (o->cli->format == CLI_FORMAT_TEXT)
			printf("-- schema %s\n", ev->schema);
		return;
	case UPGRADE_EVENT_BASELINE:
		if (o->cli->format == CLI_FORMAT_TEXT && ev->task == NULL)
			printf("-- upgrade: module %s is new here: its %ld task%s would be recorded as "
			       "executed, none run\n",
			       ev->module, ev->count, ev->count == 1 ? "" : "s");
		return;
	case UPGRADE_EVENT_SQL:
		if (o->cli->format == CLI_FORMAT_TEXT) {
			fputs(ev->message, stdout);
			return;
		}
		if ((j = cli_json_object("sql")) == NULL)
			return;
		json_object_object_add(j, "schema", ev->schema != NULL
		                                        ? json_object_new_string(ev->schema) : NULL);
		json_object_object_add(j, "task", ev->task != NULL
		                                      ? json_object_new_string(upgrade_task_id(ev->task))
		                                      : NULL);
		json_object_object_add(j, "sql", json_object_new_string(ev->message));
		cli_json_print(j);
		return;
	case UPGRADE_EVENT_TASK_FAILED:
	case UPGRADE_EVENT_SCHEMA_DONE:
		if (ev->code != UPGRADE_OK && !o->failed) {
			char *text = ev->type == UPGRADE_EVENT_TASK_FAILED && ev->task != NULL &&
			                     ev->schema != NULL && ev->message != NULL
			                 ? cli_task_failure_text(ev)
			                 : NULL;

			o->failed = 1;
			if (text != NULL)
				cli_error(o->cli, "%s", text);
			else
				cli_error(o->cli, "%s%s%s", ev->schema != NULL ? ev->schema : "",
				          ev->schema != NULL ? ": " : "",
				          ev->message != NULL ? ev->message : "");
			cli_note_error(NULL, ev->sqlstate);
			free(text);
		}
		return;
	default:
		return;
	}
}

static int
sql_option(struct cli *cli, int c, const char *arg, void *state)
{
	int ret = cli_runner_option(cli, c, arg, state);

	return ret == -2 ? CLI_EXIT_SOFTWARE : ret;
}

const struct cli_opt cli_sql_options[] = {
	CLI_RUNNER_LONGOPTS,
	{NULL, 0, 0, NULL, NULL, NULL}
};

int
cmd_sql(struct cli *cli, int argc, char **argv)
{
	struct cli_runner_opts o;
	struct cli_session s;
	struct sql_out out = {.cli = cli};
	int ret, rc;

	memset(&o, 0, sizeof o);
	ret = cli_session_open(cli, argc, argv, sql_option, &o, &o, 0, &s);
	if (ret != CLI_EXIT_OK)
		goto done;
	upgrade_runner_set_sql_only(s.runner, 1);
	upgrade_runner_set_event_callback(s.runner, on_event, &out);
	rc = upgrade_runner_run(s.runner, s.conn);
	fflush(stdout);
	if (rc < 0) {
		if (!out.failed) {
			cli_error(cli, "%s", upgrade_runner_error(s.runner));
			cli_note_error(NULL, upgrade_runner_sqlstate(s.runner));
		}
		ret = cli_runner_exit(rc);
		goto done;
	}
	ret = CLI_EXIT_OK;
done:
	cli_session_close(&s, &o);
	return ret;
}
