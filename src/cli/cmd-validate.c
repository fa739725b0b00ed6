/* SPDX-License-Identifier: MIT */
/*
 * cmd-validate.c - `upgrade validate [PATH...]`: check task catalogs
 * without a database.
 *
 * Meant for package builds and CI: it reads the catalogs like every other
 * command (plus the PATH operands), reports every problem at once as
 * "FILE:LINE: error: MESSAGE" on stderr, and exits with the catalog-error
 * status when there is any.  It also checks that every task has SQL for,
 * and uses nothing missing from, the dialect --dialect names, or else
 * every dialect the catalog names.  No catalog at all is an error too, unless
 * --allow-empty says that a package without catalogs is expected.
 */
#include "config.h"

#include <stdio.h>

#include "cli.h"

enum { OPT_ALLOW_EMPTY = 900 };

static int
validate_option(struct cli *cli, int c, const char *arg, void *state)
{
	(void)arg;
	(void)state;
	if (c != OPT_ALLOW_EMPTY)
		return CLI_EXIT_SOFTWARE;
	cli->allow_empty = 1;
	return CLI_EXIT_OK;
}

const struct cli_opt cli_validate_options[] = {
	{"allow-empty", no_argument, OPT_ALLOW_EMPTY, NULL, "no catalog at all is no error", NULL},
	{NULL, 0, 0, NULL, NULL, NULL}
};

int
cmd_validate(struct cli *cli, int argc, char **argv)
{
	struct upgrade_catalog *cat = NULL;
	int ret, first, rc;

	ret = cli_parse_options(cli, argc, argv, validate_option, NULL, &first);
	if (ret != CLI_EXIT_OK)
		return ret;
	ret = cli_load_catalog(cli, (const char *const *)argv + first, (size_t)(argc - first), &cat);
	if (ret != CLI_EXIT_OK)
		return cat != NULL ? cli_catalog_failed(cli, cat) : ret;
	/* Without --dialect: for every dialect the catalog names. */
	rc = upgrade_catalog_check_dialect(cat, cli->dialect);
	if (rc == UPGRADE_ENOTFOUND) {
		upgrade_catalog_free(cat);
		return cli_usage_error(cli, "--dialect: no such dialect '%s'", cli->dialect);
	}
	if (rc == UPGRADE_ENOMEM) {
		upgrade_catalog_free(cat);
		cli_error(cli, "out of memory");
		return CLI_EXIT_SOFTWARE;
	}
	if (rc != UPGRADE_OK)
		return cli_catalog_failed(cli, cat);
	if (cli->format == CLI_FORMAT_JSON) {
		json_object *o = cli_json_object("validate");

		if (o != NULL) {
			json_object_object_add(o, "modules",
			                       json_object_new_int64((int64_t)upgrade_catalog_module_count(cat)));
			json_object_object_add(o, "tasks",
			                       json_object_new_int64((int64_t)upgrade_catalog_task_count(cat)));
			json_object_object_add(o, "dialect", cli->dialect != NULL
			                                         ? json_object_new_string(cli->dialect)
			                                         : NULL);
			json_object_object_add(o, "valid", json_object_new_boolean(1));
		}
		cli_json_print(o);
	} else if (!cli->quiet)
		printf("%zu module%s, %zu task%s: valid%s%s\n", upgrade_catalog_module_count(cat),
		       upgrade_catalog_module_count(cat) == 1 ? "" : "s", upgrade_catalog_task_count(cat),
		       upgrade_catalog_task_count(cat) == 1 ? "" : "s", cli->dialect != NULL ? " for " : "",
		       cli->dialect != NULL ? cli->dialect : "");
	upgrade_catalog_free(cat);
	return CLI_EXIT_OK;
}
