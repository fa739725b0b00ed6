/* SPDX-License-Identifier: MIT */
/*
 * cmd-list.c - `upgrade list`: the tasks in the order they run.
 *
 * Text: one task a line, "ID [flags]", so the order can be read and
 * diffed; with -v the file, line and checksum follow.  JSON (--format
 * json): one "module" object a line in module order, then one "task"
 * object a line in run order, every attribute spelt out, for tools.  Run order is the
 * runner's: the raw tasks first (once per database, before any schema),
 * then the tasks every schema runs, each group in plan order.  Install
 * blocks, which run in a schema that never saw their module (instead of
 * recording its tasks), come between, as "MODULE (install) [install]".
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* "[always-run, raw, ...]" or "" */
static void
print_flags(const struct upgrade_task *t)
{
	unsigned flags = upgrade_task_flags(t);
	const char *sep = " [";
	int any = 0;

	if (flags & UPGRADE_TASK_RAW) {
		printf("%sraw", sep);
		sep = ", ";
		any = 1;
	} else if (flags & UPGRADE_TASK_ALWAYS_RUN) {
		/* Raw implies always-run; saying both is noise. */
		printf("%salways-run", sep);
		sep = ", ";
		any = 1;
	}
	if (flags & UPGRADE_TASK_GUARDED) {
		printf("%sguarded", sep);
		sep = ", ";
		any = 1;
	}
	if (flags & UPGRADE_TASK_CODE) {
		printf("%sC", sep);
		sep = ", ";
		any = 1;
	}
	if (upgrade_task_requires(t) != NULL) {
		printf("%srequires %s", sep, upgrade_task_requires(t));
		any = 1;
	}
	if (any)
		putchar(']');
}

/*
 * The tasks in run order, a new array of upgrade_catalog_task_count()
 * borrowed pointers (NULL when out of memory; also for no task).
 */
static const struct upgrade_task **
run_order(const struct upgrade_catalog *cat)
{
	size_t n = upgrade_catalog_task_count(cat), i, k = 0;
	const struct upgrade_task **order = n > 0 ? calloc(n, sizeof *order) : NULL;
	int raw;

	if (order == NULL)
		return NULL;
	for (raw = 1; raw >= 0; raw--) {
		for (i = 0; i < n; i++) {
			const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);

			if (((upgrade_task_flags(t) & UPGRADE_TASK_RAW) != 0) == raw)
				order[k++] = t;
		}
	}
	return order;
}

/* The install blocks, in module order. */
static void
list_installs(const struct cli *cli, const struct upgrade_catalog *cat)
{
	size_t i;

	for (i = 0; i < upgrade_catalog_module_count(cat); i++) {
		const struct upgrade_task *t = upgrade_module_install(upgrade_catalog_module_at(cat, i));

		if (t == NULL)
			continue;
		printf("%s [install]", upgrade_task_id(t));
		if (cli->verbose) {
			const char *sum = upgrade_task_checksum(t);
			printf("  %s:%lu %s", upgrade_task_file(t), upgrade_task_line(t),
			       sum != NULL ? sum : "-");
		}
		putchar('\n');
	}
}

static int
list_text(const struct cli *cli, const struct upgrade_catalog *cat)
{
	size_t i, n = upgrade_catalog_task_count(cat);
	const struct upgrade_task **order = run_order(cat);

	if (order == NULL && n > 0)
		return CLI_EXIT_SOFTWARE;
	for (i = 0; i < n; i++) {
		const struct upgrade_task *t = order[i];

		if (!(upgrade_task_flags(t) & UPGRADE_TASK_RAW) &&
		    (i == 0 || (upgrade_task_flags(order[i - 1]) & UPGRADE_TASK_RAW)))
			list_installs(cli, cat);
		fputs(upgrade_task_id(t), stdout);
		print_flags(t);
		if (cli->verbose) {
			const char *sum = upgrade_task_checksum(t);

			printf("  %s:%lu %s", upgrade_task_file(t), upgrade_task_line(t),
			       sum != NULL ? sum : "-");
		}
		putchar('\n');
	}
	free(order);
	return ferror(stdout) ? CLI_EXIT_SOFTWARE : CLI_EXIT_OK;
}

/* A JSON string or null. */
static json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

/* One object a line: the modules in module order, then the tasks in run order. */
static int
list_json(const struct upgrade_catalog *cat)
{
	const struct upgrade_task **order = run_order(cat);
	size_t i, j;

	if (order == NULL && upgrade_catalog_task_count(cat) > 0)
		return CLI_EXIT_SOFTWARE;
	for (i = 0; i < upgrade_catalog_module_count(cat); i++) {
		const struct upgrade_module *m = upgrade_catalog_module_at(cat, i);
		json_object *o = cli_json_object("module"), *deps = json_object_new_array();

		if (o == NULL || deps == NULL) {
			json_object_put(o);
			json_object_put(deps);
			free(order);
			return CLI_EXIT_SOFTWARE;
		}
		json_object_object_add(o, "name", jstr(upgrade_module_name(m)));
		json_object_object_add(o, "description", jstr(upgrade_module_description(m)));
		json_object_object_add(o, "file", jstr(upgrade_module_file(m)));
		json_object_object_add(o, "line", json_object_new_int64((int64_t)upgrade_module_line(m)));
		for (j = 0; j < upgrade_module_depends_count(m); j++)
			json_object_array_add(deps, jstr(upgrade_module_depends_at(m, j)));
		json_object_object_add(o, "depends", deps);
		json_object_object_add(o, "tasks", json_object_new_int64((int64_t)upgrade_module_task_count(m)));
		json_object_object_add(o, "install", json_object_new_boolean(upgrade_module_install(m) != NULL));
		cli_json_print(o);
	}
	for (i = 0; i < upgrade_catalog_task_count(cat); i++) {
		const struct upgrade_task *t = order[i];
		unsigned flags = upgrade_task_flags(t);
		json_object *o = cli_json_object("task");

		if (o == NULL) {
			free(order);
			return CLI_EXIT_SOFTWARE;
		}
		json_object_object_add(o, "id", jstr(upgrade_task_id(t)));
		json_object_object_add(o, "module", jstr(upgrade_task_module(t)));
		json_object_object_add(o, "name", jstr(upgrade_task_name(t)));
		json_object_object_add(o, "description", jstr(upgrade_task_description(t)));
		json_object_object_add(o, "always_run", json_object_new_boolean(flags & UPGRADE_TASK_ALWAYS_RUN));
		json_object_object_add(o, "raw", json_object_new_boolean(flags & UPGRADE_TASK_RAW));
		json_object_object_add(o, "guarded", json_object_new_boolean(flags & UPGRADE_TASK_GUARDED));
		json_object_object_add(o, "c_function", json_object_new_boolean(flags & UPGRADE_TASK_CODE));
		json_object_object_add(o, "requires", jstr(upgrade_task_requires(t)));
		json_object_object_add(o, "file", jstr(upgrade_task_file(t)));
		json_object_object_add(o, "line", json_object_new_int64((int64_t)upgrade_task_line(t)));
		json_object_object_add(o, "checksum", jstr(upgrade_task_checksum(t)));
		cli_json_print(o);
	}
	free(order);
	return ferror(stdout) ? CLI_EXIT_SOFTWARE : CLI_EXIT_OK;
}

int
cmd_list(struct cli *cli, int argc, char **argv)
{
	struct upgrade_catalog *cat = NULL;
	int ret, first;

	ret = cli_parse_options(cli, argc, argv, NULL, NULL, &first);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (first < argc)
		return cli_usage_error(cli, "list takes no arguments ('%s'); use -T PATH", argv[first]);
	ret = cli_load_catalog(cli, NULL, 0, &cat);
	if (ret != CLI_EXIT_OK)
		return cat != NULL ? cli_catalog_failed(cli, cat) : ret;
	ret = cli->format == CLI_FORMAT_JSON ? list_json(cat) : list_text(cli, cat);
	upgrade_catalog_free(cat);
	if (ret != CLI_EXIT_OK)
		cli_error(cli, "cannot write the list");
	return ret;
}
