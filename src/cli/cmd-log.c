/* SPDX-License-Identifier: MIT */
/*
 * cmd-log.c - `upgrade log`: what was done to each schema, newest first,
 * read from its state tables by upgrade_runner_history().
 *
 * Text: a heading per schema, then one line per entry: the time in RFC
 * 3339 in the local zone, the event, the task (or the module of a
 * baseline) and what else is known.  JSON (--format json): one object per
 * entry and line, the time in UTC as the library gives it.  Like status,
 * log writes nothing and takes no lock; it needs no catalog, since the
 * history is of what was recorded, whether or not a catalog still has it.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

const struct cli_opt cli_log_options[] = {CLI_SCHEMA_LONGOPTS, {NULL, 0, 0, NULL, NULL, NULL}};

/*
 * "2026-12-04T09:15:02.123456Z" in the local zone, to the second, with
 * its offset ("2026-12-04T10:15:02+01:00"); a time that does not parse is
 * printed as it is.
 */
static void
local_time(const char *utc, char *out, size_t size)
{
	struct tm tm;
	time_t t;
	long off;
	char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(utc, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || (t = timegm(&tm)) == (time_t)-1 || localtime_r(&t, &tm) == NULL) {
		snprintf(out, size, "%s", utc);
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, size, "%s", utc);
		return;
	}
	if (off == 0)
		snprintf(out + strlen(out), size - strlen(out), "Z");
	else
		snprintf(out + strlen(out), size - strlen(out), "%c%02ld:%02ld",
		         off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
}

static void
on_event(const struct upgrade_event *ev, void *ud)
{
	struct cli *cli = ud;

	if (ev->type == UPGRADE_EVENT_SCHEMA_START && cli->format == CLI_FORMAT_TEXT && !cli->quiet)
		printf("History of %s\n", ev->schema);
}

static void
print_json(const struct upgrade_history_entry *e)
{
	json_object *o = cli_json_object("log");

	if (o == NULL)
		return;
	json_object_object_add(o, "schema", json_object_new_string(e->schema));
	json_object_object_add(o, "at", json_object_new_string(e->at));
	json_object_object_add(o, "event", json_object_new_string(e->event));
	json_object_object_add(o, "module", json_object_new_string(e->module));
	if (e->task != NULL)
		json_object_object_add(o, "task", json_object_new_string(e->task));
	if (e->by != NULL)
		json_object_object_add(o, "by", json_object_new_string(e->by));
	if (e->duration_ms >= 0)
		json_object_object_add(o, "duration_ms", json_object_new_int64(e->duration_ms));
	if (strcmp(e->event, "resume-from") == 0)
		json_object_object_add(o, "statement",
		                       json_object_new_int64((int64_t)e->statement));
	if (strcmp(e->event, "baseline") == 0)
		json_object_object_add(o, "tasks", json_object_new_int64((int64_t)e->tasks));
	cli_json_print(o);
}

static void
on_entry(const struct upgrade_history_entry *e, void *ud)
{
	struct cli *cli = ud;
	char when[64];

	if (cli->format == CLI_FORMAT_JSON) {
		print_json(e);
		return;
	}
	if (cli->quiet)
		return;
	local_time(e->at, when, sizeof when);
	printf("  %s  %-11s %s%s%s", when, e->event, e->module, e->task != NULL ? ":" : "",
	       e->task != NULL ? e->task : "");
	if (strcmp(e->event, "baseline") == 0)
		printf("  (%lu task%s)", e->tasks, e->tasks == 1 ? "" : "s");
	else if (strcmp(e->event, "resume-from") == 0)
		printf("  (statement %lu)", e->statement);
	else if (e->duration_ms >= 0)
		printf("  (%ld ms)", e->duration_ms);
	if (e->by != NULL)
		printf("  by %s", e->by);
	putchar('\n');
}

static int
log_option(struct cli *cli, int c, const char *arg, void *state)
{
	int ret = cli_runner_option(cli, c, arg, state);

	return ret == -2 ? CLI_EXIT_SOFTWARE : ret;
}

int
cmd_log(struct cli *cli, int argc, char **argv)
{
	struct cli_runner_opts o;
	struct upgrade_catalog *cat = NULL;
	struct upgrade_conn *conn = NULL;
	struct upgrade_runner *r = NULL;
	int ret, rc, first;

	memset(&o, 0, sizeof o);
	ret = cli_parse_options(cli, argc, argv, log_option, &o, &first);
	if (ret != CLI_EXIT_OK)
		goto done;
	if (first < argc) {
		ret = cli_usage_error(cli, "log takes no arguments ('%s')", argv[first]);
		goto done;
	}
	/* The runner wants a prepared catalog; the history needs none, so it gets an empty one. */
	if (upgrade_catalog_new(&cat) != UPGRADE_OK || upgrade_catalog_prepare(cat) != UPGRADE_OK) {
		cli_error(cli, "out of memory");
		ret = CLI_EXIT_SOFTWARE;
		goto done;
	}
	if ((ret = cli_connect(cli, &conn)) != CLI_EXIT_OK)
		goto done;
	if ((ret = cli_make_runner(cli, cat, &o, &r)) != CLI_EXIT_OK)
		goto done;
	upgrade_runner_set_event_callback(r, on_event, cli);
	rc = upgrade_runner_history(r, conn, on_entry, cli);
	if (rc != UPGRADE_OK) {
		cli_error(cli, "%s", upgrade_runner_error(r));
		cli_note_error(NULL, upgrade_runner_sqlstate(r));
		ret = cli_runner_exit(rc);
	}
done:
	upgrade_runner_free(r);
	upgrade_conn_free(conn);
	upgrade_catalog_free(cat);
	free(o.schemas);
	free(o.patterns);
	return ret;
}
