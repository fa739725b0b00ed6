/* SPDX-License-Identifier: MIT */
/*
 * cmd-graph.c - `upgrade graph`: the catalogs as a Graphviz DOT graph.
 *
 * Each module is a cluster holding its tasks in run order (raw tasks,
 * which run before any schema's, first); solid
 * edges go from a task to the task that requires it (the direction things
 * run), dashed edges from a module to the modules depending on it.  Every
 * module has a small heading node, which also anchors the module edges,
 * since DOT cannot draw an edge between clusters themselves.  With
 * --modules only the modules are drawn.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { OPT_MODULES = 512 };

const struct cli_opt cli_graph_options[] = {
	{"modules", no_argument, OPT_MODULES, NULL, "draw only the modules and their dependencies",
	 NULL},
	{NULL, 0, 0, NULL, NULL, NULL}
};

/* Writes s as a DOT double-quoted string. */
static void
dot_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if (*s == '\n') {
			fputs("\\n", stdout);
			continue;
		}
		putchar(*s);
	}
	putchar('"');
}

/* The heading node of a module: "module NAME" cannot clash with a task id,
 * which always has a colon. */
static void
module_node(const char *name)
{
	putchar('"');
	fputs("module ", stdout);
	for (; *name != '\0'; name++) {
		if (*name == '"' || *name == '\\')
			putchar('\\');
		putchar(*name);
	}
	putchar('"');
}

static int
graph_option(struct cli *cli, int c, const char *arg, void *state)
{
	(void)cli;
	(void)arg;
	if (c == OPT_MODULES)
		*(int *)state = 1;
	return CLI_EXIT_OK;
}

/*
 * Writes the plan as one Graphviz digraph on stdout: with modules_only the
 * modules and their depends edges, else every task, raw and install node
 * with its requires and ordering edges, so that `dot` draws the run order.
 */
static void
print_graph(const struct upgrade_catalog *cat, int modules_only)
{
	size_t nm = upgrade_catalog_module_count(cat), nt = upgrade_catalog_task_count(cat), i, j;

	printf("digraph upgrade {\n");
	printf("\tcompound=true;\n\trankdir=TB;\n\tnode [shape=box, fontsize=10];\n");
	for (i = 0; i < nm; i++) {
		const struct upgrade_module *m = upgrade_catalog_module_at(cat, i);

		if (modules_only) {
			printf("\t");
			module_node(upgrade_module_name(m));
			printf(" [label=");
			dot_string(upgrade_module_name(m));
			printf(", shape=folder];\n");
			continue;
		}
		printf("\tsubgraph \"cluster_%zu\" {\n\t\tlabel=", i);
		dot_string(upgrade_module_name(m));
		printf(";\n\t\t");
		module_node(upgrade_module_name(m));
		printf(" [label=");
		dot_string(upgrade_module_name(m));
		printf(", shape=folder];\n");
		/* The install block runs before the module's tasks, on a schema that never saw it. */
		if (upgrade_module_install(m) != NULL) {
			printf("\t\t");
			dot_string(upgrade_task_id(upgrade_module_install(m)));
			printf(" [label=\"install\", shape=component];\n\t\t");
			module_node(upgrade_module_name(m));
			printf(" -> ");
			dot_string(upgrade_task_id(upgrade_module_install(m)));
			printf(" [style=dashed];\n");
		}
		/* Tasks of this module, in run order: raw tasks first, as the runner does. */
		for (j = 0; j < 2 * nt; j++) {
			const struct upgrade_task *t = upgrade_catalog_task_at(cat, j % nt);
			unsigned flags = upgrade_task_flags(t);

			if (strcmp(upgrade_task_module(t), upgrade_module_name(m)) != 0 ||
			    ((flags & UPGRADE_TASK_RAW) != 0) != (j < nt))
				continue;
			printf("\t\t");
			dot_string(upgrade_task_id(t));
			printf(" [label=");
			dot_string(upgrade_task_name(t));
			if (flags & UPGRADE_TASK_RAW)
				printf(", style=filled, fillcolor=lightgrey");
			if (flags & UPGRADE_TASK_ALWAYS_RUN)
				printf(", peripheries=2");
			if (flags & UPGRADE_TASK_GUARDED)
				printf(", shape=hexagon");
			printf("];\n");
		}
		printf("\t}\n");
	}
	for (i = 0; i < nm; i++) {
		const struct upgrade_module *m = upgrade_catalog_module_at(cat, i);

		for (j = 0; j < upgrade_module_depends_count(m); j++) {
			const struct upgrade_module *d = upgrade_catalog_find_module(cat, upgrade_module_depends_at(m, j));
			size_t k;

			if (d == NULL)
				continue;
			printf("\t");
			module_node(upgrade_module_name(d));
			printf(" -> ");
			module_node(upgrade_module_name(m));
			if (modules_only) {
				printf(";\n");
				continue;
			}
			/* Clip the edge at the clusters' borders. */
			for (k = 0; k < nm; k++)
				if (upgrade_catalog_module_at(cat, k) == d)
					break;
			printf(" [style=dashed, ltail=\"cluster_%zu\", lhead=\"cluster_%zu\"];\n", k, i);
		}
	}
	if (!modules_only) {
		for (i = 0; i < nt; i++) {
			const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);

			if (upgrade_task_requires(t) == NULL)
				continue;
			printf("\t");
			dot_string(upgrade_task_requires(t));
			printf(" -> ");
			dot_string(upgrade_task_id(t));
			printf(";\n");
		}
	}
	printf("}\n");
}

static void
json_node(const char *kind, const char *id, const char *module)
{
	json_object *o = cli_json_object("graph_node");

	if (o == NULL)
		return;
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "id", json_object_new_string(id));
	if (module != NULL)
		json_object_object_add(o, "module", json_object_new_string(module));
	cli_json_print(o);
}

static void
json_edge(const char *kind, const char *from, const char *to)
{
	json_object *o = cli_json_object("graph_edge");

	if (o == NULL)
		return;
	json_object_object_add(o, "kind", json_object_new_string(kind));
	json_object_object_add(o, "from", json_object_new_string(from));
	json_object_object_add(o, "to", json_object_new_string(to));
	cli_json_print(o);
}

/* The graph as JSON Lines: the nodes (modules, then tasks in catalog order), then the edges. */
static void
print_graph_json(const struct upgrade_catalog *cat, int modules_only)
{
	size_t nm = upgrade_catalog_module_count(cat), nt = upgrade_catalog_task_count(cat), i, j;

	for (i = 0; i < nm; i++) {
		const struct upgrade_module *m = upgrade_catalog_module_at(cat, i);

		json_node("module", upgrade_module_name(m), NULL);
		if (!modules_only && upgrade_module_install(m) != NULL)
			json_node("install", upgrade_task_id(upgrade_module_install(m)),
			          upgrade_module_name(m));
	}
	for (i = 0; !modules_only && i < nt; i++) {
		const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);

		json_node("task", upgrade_task_id(t), upgrade_task_module(t));
	}
	for (i = 0; i < nm; i++) {
		const struct upgrade_module *m = upgrade_catalog_module_at(cat, i);

		for (j = 0; j < upgrade_module_depends_count(m); j++)
			if (upgrade_catalog_find_module(cat, upgrade_module_depends_at(m, j)) != NULL)
				json_edge("depends", upgrade_module_depends_at(m, j), upgrade_module_name(m));
		if (!modules_only && upgrade_module_install(m) != NULL)
			json_edge("install", upgrade_module_name(m),
			          upgrade_task_id(upgrade_module_install(m)));
	}
	for (i = 0; !modules_only && i < nt; i++) {
		const struct upgrade_task *t = upgrade_catalog_task_at(cat, i);

		if (upgrade_task_requires(t) != NULL)
			json_edge("requires", upgrade_task_requires(t), upgrade_task_id(t));
	}
}

int
cmd_graph(struct cli *cli, int argc, char **argv)
{
	struct upgrade_catalog *cat = NULL;
	int ret, first, modules_only = 0;

	ret = cli_parse_options(cli, argc, argv, graph_option, &modules_only, &first);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (first < argc)
		return cli_usage_error(cli, "graph takes no arguments ('%s'); use -T PATH", argv[first]);
	ret = cli_load_catalog(cli, NULL, 0, &cat);
	if (ret != CLI_EXIT_OK)
		return cat != NULL ? cli_catalog_failed(cli, cat) : ret;
	if (cli->format == CLI_FORMAT_JSON)
		print_graph_json(cat, modules_only);
	else
		print_graph(cat, modules_only);
	upgrade_catalog_free(cat);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(cli, "cannot write the graph");
		return CLI_EXIT_SOFTWARE;
	}
	return CLI_EXIT_OK;
}
