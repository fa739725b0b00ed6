/* SPDX-License-Identifier: MIT */
/*
 * runner-opts.c - what `run`, `status`, `baseline`, `mark` and `unmark`
 * share: the schema and locking options, building the runner, and turning
 * a runner's failure into an exit status.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_runner_option(struct cli *cli, int c, const char *arg, struct cli_runner_opts *o)
{
	char *end;
	long v;

	switch (c) {
	case CLI_OPT_SCHEMA:
		if (cli_push(&o->schemas, &o->nschemas, arg) < 0)
			return CLI_EXIT_SOFTWARE;
		return CLI_EXIT_OK;
	case CLI_OPT_SCHEMAS:
		if (cli_push(&o->patterns, &o->npatterns, arg) < 0)
			return CLI_EXIT_SOFTWARE;
		return CLI_EXIT_OK;
	case CLI_OPT_LOCK_TIMEOUT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 0 || v > LONG_MAX / 1000)
			return cli_usage_error(cli, "--lock-timeout wants seconds, not '%s'", arg);
		o->lock_timeout_ms = v * 1000;
		o->lock_timeout_set = 1;
		return CLI_EXIT_OK;
	default:
		return -2; /* not a runner option */
	}
}

int
cli_make_runner(struct cli *cli, struct upgrade_catalog *cat, const struct cli_runner_opts *o,
                struct upgrade_runner **out)
{
	struct upgrade_runner *r = NULL;
	size_t i;

	*out = NULL;
	if (upgrade_runner_new(&r, cat) != UPGRADE_OK) {
		cli_error(cli, "out of memory");
		return CLI_EXIT_SOFTWARE;
	}
	for (i = 0; i < o->nschemas; i++)
		if (upgrade_runner_add_schema(r, o->schemas[i]) != UPGRADE_OK)
			goto bad;
	for (i = 0; i < o->npatterns; i++)
		if (upgrade_runner_add_schema_pattern(r, o->patterns[i]) != UPGRADE_OK)
			goto bad;
	if (o->lock_timeout_set)
		upgrade_runner_set_lock_timeout(r, o->lock_timeout_ms);
	*out = r;
	return CLI_EXIT_OK;
bad:
	{
		int ret = cli_usage_error(cli, "%s", upgrade_runner_error(r));
		upgrade_runner_free(r);
		return ret;
	}
}

static void
cli_runner_opts_free(struct cli_runner_opts *o)
{
	free(o->schemas);
	free(o->patterns);
}

int
cli_runner_exit(int code)
{
	switch (code) {
	case UPGRADE_OK: return CLI_EXIT_OK;
	case UPGRADE_ELOCKED: return CLI_EXIT_LOCK_TIMEOUT;
	case UPGRADE_EREADONLY: return CLI_EXIT_READ_ONLY;
	case UPGRADE_ENOMEM: return CLI_EXIT_SOFTWARE;
	case UPGRADE_EINVAL: return CLI_EXIT_USAGE;
	default: return CLI_EXIT_CONNECT;
	}
}

/*
 * The commands that run tasks or record them: what the engine lacks (a
 * name too long for it or for its state tables, a task with nothing for
 * its dialect) stops them once the connection says which engine it is,
 * before anything is written, as validate --dialect would have said.
 */
static int
writes_catalog(const struct cli *cli)
{
	static const char *const commands[] = {"run", "sql", "baseline", "mark", NULL};
	size_t i;

	for (i = 0; cli->command != NULL && commands[i] != NULL; i++)
		if (strcmp(cli->command, commands[i]) == 0)
			return 1;
	return 0;
}

int
cli_session_open(struct cli *cli, int argc, char **argv, cli_option_fn fn, void *state,
                 struct cli_runner_opts *ro, int operands, struct cli_session *s)
{
	int ret;

	memset(s, 0, sizeof *s);
	ret = cli_parse_options(cli, argc, argv, fn, state, &s->first);
	if (ret != CLI_EXIT_OK)
		return ret;
	/* A wrong command line is reported before anything is loaded or connected. */
	if (operands == 0 && s->first < argc)
		return cli_usage_error(cli, "%s takes no arguments ('%s')", argv[0], argv[s->first]);
	if (operands == 1 && s->first + 1 != argc)
		return cli_usage_error(cli, "%s takes one task id (module:name)", argv[0]);
	ret = cli_load_catalog(cli, NULL, 0, &s->cat);
	if (ret == CLI_EXIT_CATALOG) {
		ret = cli_catalog_failed(cli, s->cat);
		s->cat = NULL;
		return ret;
	}
	if (ret != CLI_EXIT_OK)
		return ret;
	/* A fleet connects in its targets' runs; the catalog is checked once, here. */
	if (cli->targets != NULL)
		return CLI_EXIT_OK;
	if ((ret = cli_connect(cli, &s->conn)) != CLI_EXIT_OK)
		return ret;
	if (writes_catalog(cli)) {
		int rc = upgrade_catalog_check_dialect(s->cat, upgrade_conn_dialect(s->conn));

		if (rc == UPGRADE_ENOMEM) {
			cli_error(cli, "out of memory");
			return CLI_EXIT_SOFTWARE;
		}
		if (rc == UPGRADE_EPARSE) {
			ret = cli_catalog_failed(cli, s->cat);
			s->cat = NULL;
			return ret;
		}
	}
	return cli_make_runner(cli, s->cat, ro, &s->runner);
}

void
cli_session_close(struct cli_session *s, struct cli_runner_opts *ro)
{
	upgrade_runner_free(s->runner);
	upgrade_conn_free(s->conn);
	upgrade_catalog_free(s->cat);
	cli_runner_opts_free(ro);
	memset(s, 0, sizeof *s);
}
