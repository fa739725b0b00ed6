/* SPDX-License-Identifier: MIT */
/*
 * message.c - what the command says went wrong: one line on standard
 * error, and the text noted (or an error object printed) for --format json.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static void
vmessage(const struct cli *cli, const char *kind, const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	/* For the error object of --format json, which stdout gets at the end. */
	cli_note_error(text != NULL ? text : "out of memory", NULL);
	fflush(stdout);
	fprintf(stderr, "%s: %s%s\n", cli->progname, kind, text != NULL ? text : "out of memory");
	free(text);
}

void
cli_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cli, "error: ", fmt, ap);
	va_end(ap);
}

/* The formatted text, or NULL when out of memory. */
static char *
vformat(const char *fmt, va_list ap)
{
	char *text = NULL;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	return text;
}

int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = vformat(fmt, ap);
	va_end(ap);
	cli_note_error(text != NULL ? text : "out of memory", NULL);
	fflush(stdout);
	fprintf(stderr, "%s: %s (see '%s --help')\n", cli->progname,
	        text != NULL ? text : "out of memory", cli->progname);
	free(text);
	return CLI_EXIT_USAGE;
}

int
cli_usage_error_at(const struct cli *cli, const char *file, unsigned long line, const char *fmt,
                   ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = vformat(fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "%s:%lu: error: %s\n", file, line, text != NULL ? text : "out of memory");
	if (cli->format == CLI_FORMAT_JSON)
		cli_json_error(CLI_EXIT_USAGE, text != NULL ? text : "out of memory", NULL, file, line,
		               NULL);
	free(text);
	return CLI_EXIT_USAGE;
}

/*
 * A failed task as standard error says it (without the program's name),
 * which the JSON error object repeats: malloc'ed, NULL without memory.
 */
char *
cli_task_failure_text(const struct upgrade_event *ev)
{
	char *text = NULL;
	int n;

	if (ev->statement > 0)
		n = asprintf(&text, "task %s failed in %s at statement %lu of %lu%s: %s",
		             upgrade_task_id(ev->task), ev->schema, ev->statement, ev->statements,
		             ev->dry_run ? " (dry run)" : "", ev->message);
	else
		n = asprintf(&text, "task %s failed in %s%s: %s", upgrade_task_id(ev->task), ev->schema,
		             ev->dry_run ? " (dry run)" : "", ev->message);
	return n < 0 ? NULL : text;
}
