/* SPDX-License-Identifier: MIT */
/*
 * message.c - what the command says went wrong: one line on standard
 * error, and the text noted (or an error object printed) for --format json.
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/*
 * What a run stopped by a signal says, made before the signal comes: a
 * handler may only write(2).  Without it the JSON output of a killed run
 * ended with no error object, which a reader takes for success.
 */
const int cli_stop_signals[CLI_NSTOP_SIGNALS] = {SIGHUP, SIGINT, SIGTERM};
static char stop_text[CLI_NSTOP_SIGNALS][256], stop_json[CLI_NSTOP_SIGNALS][320];
static int stop_json_on;

static void
say_stopped(int sig)
{
	size_t i;

	for (i = 0; i < CLI_NSTOP_SIGNALS; i++) {
		if (cli_stop_signals[i] != sig)
			continue;
		if (write(STDERR_FILENO, stop_text[i], strlen(stop_text[i])) < 0) {
			/* Nothing left to tell it to. */
		}
		if (stop_json_on && write(STDOUT_FILENO, stop_json[i], strlen(stop_json[i])) < 0) {
			/* Likewise. */
		}
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void
cli_say_when_stopped(const struct cli *cli)
{
	struct sigaction sa, old;
	size_t i;

	stop_json_on = cli->format == CLI_FORMAT_JSON;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = say_stopped;
	for (i = 0; i < CLI_NSTOP_SIGNALS; i++) {
		const char *name = sigabbrev_np(cli_stop_signals[i]);
		const char *why = "the server rolls back the transaction under way; 'upgrade status' "
		                  "shows where the run stopped";

		snprintf(stop_text[i], sizeof stop_text[i], "%s: error: stopped by signal %d (SIG%s): %s\n",
		         cli->progname, cli_stop_signals[i], name != NULL ? name : "?", why);
		snprintf(stop_json[i], sizeof stop_json[i],
		         "{\"type\":\"error\",\"code\":\"signal\",\"status\":%d,\"message\":\"stopped "
		         "by signal %d (SIG%s): %s\",\"sqlstate\":null}\n",
		         CLI_EXIT_SIGNAL + cli_stop_signals[i], cli_stop_signals[i], name != NULL ? name : "?",
		         why);
		/* One ignored (nohup) stays ignored. */
		if (sigaction(cli_stop_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
			sigaction(cli_stop_signals[i], &sa, NULL);
	}
}
