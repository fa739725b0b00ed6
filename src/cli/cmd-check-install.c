/* SPDX-License-Identifier: MIT */
/*
 * cmd-check-install.c - `upgrade check-install --from PATH`: do the install
 * blocks of the catalogs create what their tasks lead to?
 *
 * Meant for package builds: in a temporary directory, one SQLite database
 * is installed from the previous release's catalogs (--from) and upgraded
 * to the current ones, another is installed from the current ones; their
 * schemas (tables, columns with type, nullability and key, indexes with
 * their columns, foreign keys, views), read from SQLite's own catalog,
 * must be the same.  Nothing outside the temporary directory is touched,
 * and it is removed afterwards.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum { OPT_FROM = 950 };

struct check_opts {
	const char **from;
	size_t nfrom;
};

/* The schema as sorted lines "kind|table|name|...", one string. */
struct dump {
	char *text;
	size_t len;
	int failed;
};

static const char dump_sql[] =
    "SELECT 'column|' || m.name || '|' || p.name || '|' || p.type || '|' || p.\"notnull\" || '|' || "
    "p.pk FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND "
    "m.name NOT LIKE 'upgrade%' AND m.name NOT LIKE 'sqlite%' "
    "UNION ALL SELECT 'index|' || m.tbl_name || '|' || il.name || '|' || il.\"unique\" || '|' || "
    "ii.name FROM sqlite_master m, pragma_index_list(m.name) il, pragma_index_info(il.name) ii "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'upgrade%' AND m.name NOT LIKE 'sqlite%' "
    "UNION ALL SELECT 'foreign key|' || m.name || '|' || f.\"from\" || '|' || f.\"table\" || '|' || "
    "COALESCE(f.\"to\", '') FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
    "WHERE m.type = 'table' AND m.name NOT LIKE 'upgrade%' "
    "UNION ALL SELECT 'view|' || name FROM sqlite_master WHERE type = 'view' ORDER BY 1";

static int
dump_row(const struct upgrade_row *row, void *ud)
{
	struct dump *d = ud;
	const char *v = row->ncols > 0 && row->values[0] != NULL ? row->values[0] : "";
	size_t n = strlen(v);
	char *grown = realloc(d->text, d->len + n + 2);

	if (grown == NULL) {
		d->failed = 1;
		return UPGRADE_ENOMEM;
	}
	d->text = grown;
	memcpy(d->text + d->len, v, n);
	d->len += n;
	d->text[d->len++] = '\n';
	d->text[d->len] = '\0';
	return 0;
}

static int
check_option(struct cli *cli, int c, const char *arg, void *state)
{
	struct check_opts *o = state;

	(void)cli;
	if (c != OPT_FROM)
		return CLI_EXIT_SOFTWARE;
	return cli_push(&o->from, &o->nfrom, arg) < 0 ? CLI_EXIT_SOFTWARE : CLI_EXIT_OK;
}

/*
 * Runs each catalog of cats (NULL-terminated) on the SQLite file path, in
 * order, then dumps its schema into *d.  Prints why and returns an exit
 * status on failure.
 */
static int
install_and_dump(struct cli *cli, const char *path, struct upgrade_catalog *const *cats,
                 const char *what, struct dump *d)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_context *ctx = NULL;
	int ret = CLI_EXIT_OK, rc;

	if (upgrade_conn_new(&conn) != UPGRADE_OK) {
		cli_error(cli, "out of memory");
		return CLI_EXIT_SOFTWARE;
	}
	if (upgrade_conn_connect_sqlite(conn, path) != UPGRADE_OK) {
		cli_error(cli, "%s: %s", path, upgrade_conn_error(conn));
		ret = CLI_EXIT_CONNECT;
		goto done;
	}
	for (; *cats != NULL; cats++) {
		struct upgrade_runner *r = NULL;

		if (upgrade_runner_new(&r, *cats) != UPGRADE_OK) {
			cli_error(cli, "out of memory");
			ret = CLI_EXIT_SOFTWARE;
			goto done;
		}
		rc = upgrade_runner_run(r, conn);
		if (rc < 0) {
			cli_error(cli, "%s: %s", what, upgrade_runner_error(r));
			ret = rc == UPGRADE_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_TASK_FAILED;
		}
		upgrade_runner_free(r);
		if (ret != CLI_EXIT_OK)
			goto done;
	}
	if (upgrade_context_new(&ctx, conn, NULL) != UPGRADE_OK) {
		cli_error(cli, "out of memory");
		ret = CLI_EXIT_SOFTWARE;
		goto done;
	}
	if (upgrade_context_query(ctx, dump_sql, 0, NULL, dump_row, d) != UPGRADE_OK) {
		cli_error(cli, "%s: reading the schema: %s", what,
		          d->failed ? "out of memory" : upgrade_context_error(ctx));
		ret = d->failed ? CLI_EXIT_SOFTWARE : CLI_EXIT_CONNECT;
	}
done:
	upgrade_context_free(ctx);
	upgrade_conn_free(conn);
	return ret;
}

/* Prints the lines of a that b lacks, each prefixed with mark. */
static void
print_missing(const char *a, const char *b, char mark)
{
	const char *line = a;

	while (*line != '\0') {
		size_t n = strcspn(line, "\n");
		const char *p = b;
		int found = 0;

		while (*p != '\0' && !found) {
			size_t m = strcspn(p, "\n");

			found = m == n && strncmp(p, line, n) == 0;
			p += m + (p[m] == '\n');
		}
		if (!found)
			fprintf(stderr, "    %c %.*s\n", mark, (int)n, line);
		line += n + (line[n] == '\n');
	}
}

const struct cli_opt cli_check_install_options[] = {
	{"from", required_argument, OPT_FROM, "PATH",
	 "the catalogs of the release before (repeatable)", NULL},
	{NULL, 0, 0, NULL, NULL, NULL}
};

int
cmd_check_install(struct cli *cli, int argc, char **argv)
{
	struct check_opts o = {NULL, 0};
	struct upgrade_catalog *cur = NULL, *old = NULL, *cats[3];
	struct dump up = {NULL, 0, 0}, fresh = {NULL, 0, 0};
	char dir[4096], upath[4200], fpath[4200];
	const char *tmp = getenv("TMPDIR");
	const char **tpaths;
	size_t ntpaths;
	int ret, first, made = 0;

	ret = cli_parse_options(cli, argc, argv, check_option, &o, &first);
	if (ret != CLI_EXIT_OK)
		goto done;
	if (first < argc) {
		ret = cli_usage_error(cli, "check-install takes no arguments ('%s')", argv[first]);
		goto done;
	}
	if (o.nfrom == 0) {
		ret = cli_usage_error(cli, "check-install needs --from PATH: the previous release's catalogs");
		goto done;
	}
	if ((ret = cli_load_catalog(cli, NULL, 0, &cur)) != CLI_EXIT_OK) {
		ret = cur != NULL ? cli_catalog_failed(cli, cur) : ret;
		cur = NULL;
		goto done;
	}
	/* The previous release: only the --from paths, with the same -D and -m. */
	tpaths = cli->task_paths;
	ntpaths = cli->ntask_paths;
	cli->ntask_paths = 0;
	ret = cli_load_catalog(cli, o.from, o.nfrom, &old);
	cli->task_paths = tpaths;
	cli->ntask_paths = ntpaths;
	if (ret != CLI_EXIT_OK) {
		ret = old != NULL ? cli_catalog_failed(cli, old) : ret;
		old = NULL;
		goto done;
	}
	snprintf(dir, sizeof dir, "%s/upgrade-check-install.XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		cli_error(cli, "%s: cannot make a temporary directory", dir);
		ret = CLI_EXIT_SOFTWARE;
		goto done;
	}
	made = 1;
	snprintf(upath, sizeof upath, "%s/upgraded.db", dir);
	snprintf(fpath, sizeof fpath, "%s/installed.db", dir);
	cats[0] = old;
	cats[1] = cur;
	cats[2] = NULL;
	ret = install_and_dump(cli, upath, cats, "installing the previous release and upgrading", &up);
	if (ret == CLI_EXIT_OK) {
		cats[0] = cur;
		cats[1] = NULL;
		ret = install_and_dump(cli, fpath, cats, "installing the current release", &fresh);
	}
	if (ret != CLI_EXIT_OK)
		goto done;
	/* No text: nothing was dumped, which two releases creating no table agree on. */
	if (strcmp(up.text != NULL ? up.text : "", fresh.text != NULL ? fresh.text : "") != 0) {
		cli_error(cli, "the install blocks do not create what the tasks lead to "
		               "(- upgraded from the previous release, + installed):");
		print_missing(up.text != NULL ? up.text : "", fresh.text != NULL ? fresh.text : "", '-');
		print_missing(fresh.text != NULL ? fresh.text : "", up.text != NULL ? up.text : "", '+');
		ret = CLI_EXIT_CATALOG;
		goto done;
	}
	if (cli->format == CLI_FORMAT_JSON) {
		json_object *res = cli_json_object("check_install");

		if (res != NULL)
			json_object_object_add(res, "match", json_object_new_boolean(1));
		cli_json_print(res);
	} else if (!cli->quiet)
		printf("install blocks match the tasks: upgraded and installed schemas are the same\n");
done:
	if (made) {
		unlink(upath);
		unlink(fpath);
		rmdir(dir);
	}
	free(up.text);
	free(fresh.text);
	upgrade_catalog_free(cur);
	upgrade_catalog_free(old);
	free(o.from);
	return ret;
}
