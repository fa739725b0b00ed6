/* SPDX-License-Identifier: MIT */
/*
 * catalog-opts.c - loading the catalogs the command line names: -T paths,
 * else $UPGRADE_TASKS_PATH, else the compiled-in task directory; -D
 * placeholder values; -m module patterns (else $UPGRADE_MODULES); then one
 * prepare, whose every problem is printed as
 * "FILE:LINE: error: [OBJECT: ]MESSAGE" so editors can jump to it.  What
 * loading skipped is printed as "FILE: warning: MESSAGE".
 *
 * A set of catalogs that ends up empty, or a pattern that selects nothing,
 * is an error naming the paths searched: a deploy that found nothing to
 * check must not report "nothing pending".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The paths searched, for messages: "A, B, C". */
struct searched {
	char *text;
	size_t len;
	int failed;
};

static void
searched_add(struct searched *sp, const char *path)
{
	size_t n = strlen(path), extra = sp->len > 0 ? 2 : 0;
	char *grown;

	if (sp->failed)
		return;
	if ((grown = realloc(sp->text, sp->len + extra + n + 1)) == NULL) {
		sp->failed = 1;
		return;
	}
	sp->text = grown;
	if (extra)
		memcpy(sp->text + sp->len, ", ", 2);
	memcpy(sp->text + sp->len + extra, path, n + 1);
	sp->len += extra + n;
}

/* Where catalogs were looked for; nowhere only when $UPGRADE_TASKS_PATH had empty entries alone. */
static const char *
searched_text(const struct searched *sp)
{
	return sp->text != NULL ? sp->text : "UPGRADE_TASKS_PATH, whose entries are all empty";
}

static int
load_one(struct cli *cli, struct upgrade_catalog *cat, const char *path, struct searched *sp)
{
	int rc = upgrade_catalog_load_path(cat, path);

	searched_add(sp, path);
	/* Problems inside files are diagnostics, printed after prepare; only hard failures stop here. */
	if (rc == UPGRADE_ENOMEM) {
		cli_error(cli, "out of memory");
		return CLI_EXIT_SOFTWARE;
	}
	return CLI_EXIT_OK;
}

static int
load_env_path(struct cli *cli, struct upgrade_catalog *cat, const char *list, struct searched *sp)
{
	char *copy = strdup(list), *p, *colon;
	int ret = CLI_EXIT_OK;

	if (copy == NULL)
		return CLI_EXIT_SOFTWARE;
	for (p = copy; ret == CLI_EXIT_OK && p != NULL; p = colon) {
		colon = strchr(p, ':');
		if (colon != NULL)
			*colon++ = '\0';
		/* Empty entries ("a::b", a trailing ':') are ignored, as in $PATH-like lists. */
		if (*p != '\0')
			ret = load_one(cli, cat, p, sp);
	}
	free(copy);
	return ret;
}

/* $UPGRADE_MODULES: patterns separated by blanks or commas. */
static int
select_env_modules(struct upgrade_catalog *cat, const char *list)
{
	static const char sep[] = " \t\n,";
	const char *p = list;

	while (*(p += strspn(p, sep)) != '\0') {
		size_t n = strcspn(p, sep);
		char *one = strndup(p, n);
		int rc = one != NULL ? upgrade_catalog_select_modules(cat, one) : UPGRADE_ENOMEM;

		free(one);
		if (rc != UPGRADE_OK)
			return CLI_EXIT_SOFTWARE;
		p += n;
	}
	return CLI_EXIT_OK;
}

int
cli_print_catalog_diags(const struct cli *cli, const struct upgrade_catalog *cat)
{
	size_t i, n = upgrade_catalog_diag_count(cat);

	for (i = 0; i < n; i++) {
		const char *file = NULL, *object = NULL, *message = NULL;
		unsigned long line = 0;

		if (upgrade_catalog_diag(&file, &line, &object, &message, cat, i) != UPGRADE_OK)
			continue;
		if (cli->format == CLI_FORMAT_JSON)
			cli_json_error(CLI_EXIT_CATALOG, message, NULL, file, line, object);
		if (line > 0)
			fprintf(stderr, "%s:%lu: error: ", file, line);
		else
			fprintf(stderr, "%s: error: ", file);
		if (object != NULL && object[0] != '\0')
			fprintf(stderr, "%s: ", object);
		fprintf(stderr, "%s\n", message);
	}
	return (int)n;
}

int
cli_catalog_failed(struct cli *cli, struct upgrade_catalog *cat)
{
	int ret = CLI_EXIT_CATALOG;

	if (cat == NULL)
		return ret;
	if (cli_print_catalog_diags(cli, cat) == 0) {
		if (upgrade_catalog_error_code(cat) == UPGRADE_ENOMEM)
			ret = CLI_EXIT_SOFTWARE;
		cli_error(cli, "%s", upgrade_catalog_error(cat));
	}
	upgrade_catalog_free(cat);
	return ret;
}

/*
 * Where the catalog cache lives: --cache-dir, else $XDG_CACHE_HOME/upgrade,
 * else ~/.cache/upgrade; NULL for none (--no-cache, no home, or validate
 * and check-install, whose job is to check every file).  Malloc'ed.
 */
static char *
cache_dir(const struct cli *cli)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char *dir = NULL;

	if (cli->no_cache || (cli->command != NULL && (strcmp(cli->command, "validate") == 0 ||
	                                               strcmp(cli->command, "check-install") == 0)))
		return NULL;
	if (cli->cache_dir != NULL)
		return strdup(cli->cache_dir);
	/* The XDG specification: a relative path there is to be ignored. */
	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&dir, "%s/upgrade", xdg) < 0)
			dir = NULL;
	} else if (home != NULL && home[0] == '/') {
		if (asprintf(&dir, "%s/.cache/upgrade", home) < 0)
			dir = NULL;
	}
	return dir;
}

int
cli_load_catalog(struct cli *cli, const char *const *paths, size_t npaths,
                 struct upgrade_catalog **out)
{
	struct upgrade_catalog *cat = NULL;
	const char *env = getenv("UPGRADE_TASKS_PATH");
	const char *modules = getenv("UPGRADE_MODULES");
	struct searched sp = {NULL, 0, 0};
	size_t i;
	int ret = CLI_EXIT_OK, rc, cached;

	*out = NULL;
	if (upgrade_catalog_new(&cat) != UPGRADE_OK) {
		cli_error(cli, "out of memory");
		return CLI_EXIT_SOFTWARE;
	}
	{
		char *dir = cache_dir(cli);
		int rc_cache = upgrade_catalog_set_cache_dir(cat, dir);

		cached = dir != NULL;
		free(dir);
		if (rc_cache != UPGRADE_OK) {
			ret = CLI_EXIT_SOFTWARE;
			goto fail;
		}
	}
	for (i = 0; i < cli->ndefines; i++) {
		const char *eq = strchr(cli->defines[i], '=');
		char *name = strndup(cli->defines[i], (size_t)(eq - cli->defines[i]));

		if (name == NULL) {
			ret = CLI_EXIT_SOFTWARE;
			goto fail;
		}
		if (upgrade_catalog_set_param(cat, name, eq + 1) != UPGRADE_OK) {
			ret = cli_usage_error(cli, "--define %s: %s", cli->defines[i],
			                      upgrade_catalog_error(cat));
			free(name);
			goto fail;
		}
		free(name);
	}
	if (cli->ntask_paths > 0 || npaths > 0) {
		for (i = 0; ret == CLI_EXIT_OK && i < cli->ntask_paths; i++)
			ret = load_one(cli, cat, cli->task_paths[i], &sp);
		for (i = 0; ret == CLI_EXIT_OK && i < npaths; i++)
			ret = load_one(cli, cat, paths[i], &sp);
	} else if (env != NULL && env[0] != '\0') {
		ret = load_env_path(cli, cat, env, &sp);
	} else {
		ret = load_one(cli, cat, UPGRADE_TASKDIR, &sp);
	}
	if (ret != CLI_EXIT_OK)
		goto fail;
	/* What was skipped is said once, whatever happens next. */
	for (i = 0; i < upgrade_catalog_warning_count(cat); i++) {
		const char *file = NULL, *message = NULL;
		unsigned long line = 0;

		if (upgrade_catalog_warning(&file, &line, NULL, &message, cat, i) != UPGRADE_OK)
			continue;
		if (line > 0)
			fprintf(stderr, "%s:%lu: warning: %s\n", file, line, message);
		else
			fprintf(stderr, "%s: warning: %s\n", file, message);
	}
	if (cli->nmodules > 0) {
		for (i = 0; ret == CLI_EXIT_OK && i < cli->nmodules; i++)
			if (upgrade_catalog_select_modules(cat, cli->modules[i]) != UPGRADE_OK)
				ret = CLI_EXIT_SOFTWARE;
	} else if (modules != NULL) {
		ret = select_env_modules(cat, modules);
	}
	if (ret != CLI_EXIT_OK || sp.failed) {
		cli_error(cli, "out of memory");
		ret = CLI_EXIT_SOFTWARE;
		goto fail;
	}
	rc = upgrade_catalog_prepare(cat);
	if (rc == UPGRADE_ENOTFOUND) {
		/* Only the selection fails this way: say where the modules were looked for. */
		cli_error(cli, "%s in %s", upgrade_catalog_error(cat), searched_text(&sp));
		ret = CLI_EXIT_CATALOG;
		goto fail;
	}
	if (rc != UPGRADE_OK) {
		free(sp.text);
		*out = cat;
		return upgrade_catalog_error_code(cat) == UPGRADE_ENOMEM ? CLI_EXIT_SOFTWARE
		                                                         : CLI_EXIT_CATALOG;
	}
	if (upgrade_catalog_module_count(cat) == 0 && !cli->allow_empty) {
		cli_error(cli, "no task catalogs found in %s", searched_text(&sp));
		ret = CLI_EXIT_CATALOG;
		goto fail;
	}
	if (cli->verbose > 1 && !cli->quiet && cached)
		fprintf(stderr,
		        "%s: catalog cache: %zu files known valid, not validated again; "
		        "%zu of them taken as built, not parsed\n",
		        cli->progname, upgrade_catalog_cache_hits(cat), upgrade_catalog_cache_compiled(cat));
	free(sp.text);
	*out = cat;
	return CLI_EXIT_OK;
fail:
	free(sp.text);
	upgrade_catalog_free(cat);
	return ret;
}
