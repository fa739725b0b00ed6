/* SPDX-License-Identifier: MIT */
/*
 * help.c - upgrade(1)'s help: the command list and the global options, or
 * one command's synopsis and options, as text or as one JSON "help"
 * object, built from the tables the option parser uses, so that the help
 * and the parser cannot drift.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* A short option is the option's value when that is a letter. */
int
cli_opt_letter(const struct cli_opt *o)
{
	return o->val > 0 && o->val < 128 && strchr("abcdefghijklmnopqrstuvwxyz"
	                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	                                             o->val) != NULL;
}

/* Prints the options of t, one a line: "  -j, --jobs N   help". */
static void
print_options(FILE *to, const struct cli_opt *t, int groups)
{
	size_t i;

	for (i = 0; t[i].name != NULL; i++) {
		char left[64];

		if (groups && t[i].group != NULL)
			fprintf(to, "%s%s:\n", i > 0 ? "\n" : "", t[i].group);
		snprintf(left, sizeof left, "%c%c%c --%s%s%s", cli_opt_letter(&t[i]) ? '-' : ' ',
		         cli_opt_letter(&t[i]) ? t[i].val : ' ', cli_opt_letter(&t[i]) ? ',' : ' ',
		         t[i].name, t[i].arg != NULL ? " " : "", t[i].arg != NULL ? t[i].arg : "");
		/* At least two spaces: the completions tell "--name ARG" from the help by them. */
		fprintf(to, "  %-21s  %s\n", left, t[i].help);
	}
}

/* The options of t as JSON objects, for help in --format json. */
static json_object *
options_json(const struct cli_opt *t)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; t != NULL && t[i].name != NULL; i++) {
		json_object *o = json_object_new_object();
		char letter[2] = {(char)t[i].val, '\0'};

		json_object_object_add(o, "name", json_object_new_string(t[i].name));
		json_object_object_add(o, "short",
		                       cli_opt_letter(&t[i]) ? json_object_new_string(letter) : NULL);
		json_object_object_add(o, "argument",
		                       t[i].arg != NULL ? json_object_new_string(t[i].arg) : NULL);
		json_object_object_add(o, "description", json_object_new_string(t[i].help));
		if (t[i].group != NULL)
			json_object_object_add(o, "group", json_object_new_string(t[i].group));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * Help as one "help" object: cmd NULL gives the command list and the
 * global options, else one command's synopsis and options.  Built from
 * the parser's own tables, as the text is, so that neither can drift.
 */
static void
help_json(const struct cli *cli, const struct cli_command *cmd)
{
	json_object *o = cli_json_object("help");
	char usage[256];
	size_t i;

	snprintf(usage, sizeof usage, "%s [OPTIONS] %s", cli->progname,
	         cmd != NULL ? cmd->synopsis : "COMMAND [ARGS]");
	json_object_object_add(o, "command", cmd != NULL ? json_object_new_string(cmd->name) : NULL);
	json_object_object_add(o, "usage", json_object_new_string(usage));
	if (cmd != NULL) {
		json_object_object_add(o, "summary", json_object_new_string(cmd->summary));
		json_object_object_add(o, "options", options_json(cmd->options));
	} else {
		json_object *list = json_object_new_array();

		for (i = 0; cli_commands[i].name != NULL; i++) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "name", json_object_new_string(cli_commands[i].name));
			json_object_object_add(c, "synopsis",
			                       json_object_new_string(cli_commands[i].synopsis));
			json_object_object_add(c, "summary", json_object_new_string(cli_commands[i].summary));
			json_object_array_add(list, c);
		}
		json_object_object_add(o, "commands", list);
		json_object_object_add(o, "options", options_json(cli_global_options));
	}
	cli_json_print(o);
}

void
cli_global_help(const struct cli *cli, FILE *to)
{
	size_t i;

	if (cli->format == CLI_FORMAT_JSON && to == stdout) {
		help_json(cli, NULL);
		return;
	}

	fprintf(to,
	        "usage: %s [OPTIONS] COMMAND [ARGS]\n"
	        "\n"
	        "Upgrades database schemas through ODBC from XML task catalogs.\n"
	        "\n"
	        "Commands:\n",
	        cli->progname);
	for (i = 0; cli_commands[i].name != NULL; i++)
		fprintf(to, "  %-14s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fputc('\n', to);
	print_options(to, cli_global_options, 1);
	fprintf(to, "\nOptions may stand before or after the command.  See upgrade(1).\n");
}

void
cli_command_help(const struct cli *cli, const struct cli_command *cmd, FILE *to)
{
	if (cli->format == CLI_FORMAT_JSON && to == stdout) {
		help_json(cli, cmd);
		return;
	}
	fprintf(to, "usage: %s [OPTIONS] %s\n\n%c%s.\n", cli->progname, cmd->synopsis,
	        toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->options != NULL) {
		fputs("\nOptions:\n", to);
		print_options(to, cmd->options, 0);
	}
	fprintf(to, "\nGlobal options, before or after the command: see '%s --help' and "
	            "upgrade(1).\n",
	        cli->progname);
}
