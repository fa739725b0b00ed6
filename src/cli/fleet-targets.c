/* SPDX-License-Identifier: MIT */
/*
 * fleet-targets.c - the targets file of `upgrade run --targets FILE`: its
 * lines split into words as the shell does, each target's name and options
 * checked before any target runs, and a target's options handed to its run.
 *
 * Only the options of target_options may appear on a target's line, and
 * exactly one of them says where the target is; an error names the file
 * and line, and then no target is run (upgrade(1), TARGETS FILES).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"

/*
 * How a target option names where the target is.  A connection string may
 * hold a password: the child gets it in UPGRADE_CONNECT, which only its own
 * user can read (/proc/PID/environ), never on its command line, which
 * every user sees (ps).
 */
enum target_where { WHERE_NOT, WHERE_ARGUMENT, WHERE_ENVIRONMENT };

/* The options a target line may have: where to connect and what to upgrade. */
static const struct {
	const char *name; /* long name, or "-X" */
	int has_arg;
	enum target_where where;
} target_options[] = {
	{"connect", 1, WHERE_ENVIRONMENT}, {"-c", 1, WHERE_ENVIRONMENT},
	{"dsn", 1, WHERE_ARGUMENT}, {"database", 1, WHERE_ARGUMENT}, {"-d", 1, WHERE_ARGUMENT},
	{"dialect", 1, 0}, {"login-timeout", 1, 0}, {"cluster-lock", 1, 0}, {"lock-lease", 1, 0},
	{"pool-mode", 1, 0},
	{"schema", 1, 0}, {"schemas", 1, 0}, {"lock-timeout", 1, 0}, {"create-schemas", 0, 0},
	{"define", 1, 0}, {"-D", 1, 0}, {"module", 1, 0}, {"-m", 1, 0}, {"tasks", 1, 0},
	{"-T", 1, 0}, {"wait-replicas", 1, 0}, {"wait-timeout", 1, 0}, {NULL, 0, 0}
};

void
cli_fleet_free_targets(struct target *t, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(t[i].name);
		for (j = 0; j < t[i].nwords; j++)
			free(t[i].words[j]);
		free(t[i].words);
		free(t[i].obuf);
		free(t[i].ebuf);
	}
	free(t);
}

/*
 * Splits line into words as sh(1) does for the simple cases an
 * orchestrator writes: blanks separate, '...' is literal, "..." keeps
 * blanks and takes \" and \\, a backslash outside quotes takes the next
 * character, and # begins a comment where a word could begin.  Returns the
 * number of words, -1 for an unterminated quote, -2 when out of memory.
 */
static int
split_words(const char *line, char ***out)
{
	char **words = NULL, *w;
	size_t n = 0, len;
	const char *p = line;
	int failure = -2; /* out of memory, unless a quote is not closed */

	*out = NULL;
	w = malloc(strlen(line) + 1);
	if (w == NULL)
		return -2;
	for (;;) {
		char **grown;

		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		len = 0;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			if (*p == '\'') {
				const char *end = strchr(p + 1, '\'');

				if (end == NULL)
					goto unterminated;
				memcpy(w + len, p + 1, (size_t)(end - p - 1));
				len += (size_t)(end - p - 1);
				p = end + 1;
			} else if (*p == '"') {
				for (p++; *p != '"'; p++) {
					if (*p == '\0')
						goto unterminated;
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					w[len++] = *p;
				}
				p++;
			} else if (*p == '\\' && p[1] != '\0') {
				w[len++] = p[1];
				p += 2;
			} else {
				w[len++] = *p++;
			}
		}
		grown = realloc(words, (n + 2) * sizeof *words);
		if (grown == NULL)
			goto fail;
		words = grown;
		words[n] = malloc(len + 1);
		if (words[n] == NULL)
			goto fail;
		memcpy(words[n], w, len);
		words[n][len] = '\0';
		words[++n] = NULL;
	}
	free(w);
	*out = words;
	return (int)n;
unterminated:
	failure = -1;
	/* FALLTHROUGH */
fail:
	free(w);
	while (n > 0)
		free(words[--n]);
	free(words);
	return failure;
}

/* The entry of target_options for word ("--name", "--name=value" or "-X"), or -1. */
static int
find_target_option(const char *word, int *attached)
{
	size_t i, n;

	*attached = 0;
	for (i = 0; target_options[i].name != NULL; i++) {
		const char *name = target_options[i].name;

		if (name[0] == '-') {
			if (strncmp(word, name, 2) == 0 && (word[2] == '\0' || target_options[i].has_arg)) {
				*attached = word[2] != '\0';
				return (int)i;
			}
			continue;
		}
		n = strlen(name);
		if (strncmp(word, "--", 2) == 0 && strncmp(word + 2, name, n) == 0 &&
		    (word[2 + n] == '\0' || (word[2 + n] == '=' && target_options[i].has_arg))) {
			*attached = word[2 + n] == '=';
			return (int)i;
		}
	}
	return -1;
}

/* Checks one target's name and options; prints "FILE:LINE: error: ..." and returns -1 if bad. */
static int
check_target(const struct cli *cli, const char *file, const struct target *t,
             const struct target *all, size_t n)
{
	size_t i;
	int connections = 0;
	const char *p;

	for (p = t->name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			break;
	if (*p != '\0' || !isalnum((unsigned char)t->name[0])) {
		cli_usage_error_at(cli, file, t->line, "target name '%s': use letters, digits, '.', '_' and "
		             "'-', beginning with a letter or digit", t->name);
		return -1;
	}
	for (i = 0; i < n && &all[i] < t; i++)
		if (strcmp(all[i].name, t->name) == 0) {
			cli_usage_error_at(cli, file, t->line, "target %s: named already on line %lu", t->name,
			             all[i].line);
			return -1;
		}
	for (i = 0; i < t->nwords; i++) {
		int attached, k = find_target_option(t->words[i], &attached);

		if (k < 0) {
			cli_usage_error_at(cli, file, t->line, "target %s: '%s' is not an option a target may "
			             "have (see TARGETS FILES in upgrade(1))", t->name, t->words[i]);
			return -1;
		}
		if (target_options[k].has_arg && !attached && ++i >= t->nwords) {
			cli_usage_error_at(cli, file, t->line, "target %s: '%s' needs an argument", t->name,
			             t->words[i - 1]);
			return -1;
		}
		connections += target_options[k].where != WHERE_NOT;
	}
	if (connections != 1) {
		cli_usage_error_at(cli, file, t->line, "target %s: give exactly one of --connect, --dsn and "
		             "--database", t->name);
		return -1;
	}
	return 0;
}

int
cli_fleet_read_targets(struct cli *cli, const char *file, struct target **out, size_t *nout)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	struct target *t = NULL;
	size_t n = 0, i, cap = 0;
	char *line = NULL;
	size_t size = 0;
	unsigned long lineno = 0;
	int ret = CLI_EXIT_OK;

	*out = NULL;
	*nout = 0;
	if (f == NULL) {
		cli_error(cli, "%s: cannot read the targets: %s", file, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	while (getline(&line, &size, f) >= 0) {
		char **words;
		int nw;

		lineno++;
		nw = split_words(line, &words);
		if (nw == -2) {
			ret = CLI_EXIT_SOFTWARE;
			break;
		}
		if (nw == -1) {
			cli_usage_error_at(cli, file, lineno, "a quote is not closed");
			ret = CLI_EXIT_USAGE;
			break;
		}
		if (nw == 0) {
			free(words);
			continue;
		}
		if (n == cap) {
			struct target *grown = realloc(t, (cap = cap ? 2 * cap : 8) * sizeof *t);

			if (grown == NULL) {
				for (i = 0; i < (size_t)nw; i++)
					free(words[i]);
				free(words);
				ret = CLI_EXIT_SOFTWARE;
				break;
			}
			t = grown;
		}
		memset(&t[n], 0, sizeof t[n]);
		/* The name moves out of the words; what is left are the options. */
		t[n].name = words[0];
		memmove(words, words + 1, (size_t)nw * sizeof *words);
		t[n].words = words;
		t[n].nwords = (size_t)nw - 1;
		t[n].line = lineno;
		t[n].out = t[n].err = -1;
		t[n].status = -1;
		n++;
	}
	free(line);
	if (ret == CLI_EXIT_OK && ferror(f)) {
		cli_error(cli, "%s: cannot read the targets: %s", file, strerror(errno));
		ret = CLI_EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
	for (i = 0; ret == CLI_EXIT_OK && i < n; i++)
		if (check_target(cli, file, &t[i], t, n) < 0)
			ret = CLI_EXIT_USAGE;
	if (ret == CLI_EXIT_OK && n == 0) {
		cli_error(cli, "%s: no targets in the file", file);
		ret = CLI_EXIT_USAGE;
	}
	if (ret != CLI_EXIT_OK) {
		cli_fleet_free_targets(t, n);
		return ret;
	}
	*out = t;
	*nout = n;
	return CLI_EXIT_OK;
}

size_t
cli_fleet_target_args(const struct target *t, char **args, const char **connect)
{
	size_t n = 0, j;

	*connect = NULL;
	/* check_target() has seen every option and its argument. */
	for (j = 0; j < t->nwords; j++) {
		int attached, k = find_target_option(t->words[j], &attached);
		int separate = target_options[k].has_arg && !attached;

		if (target_options[k].where != WHERE_ENVIRONMENT) {
			args[n++] = t->words[j];
			if (separate)
				args[n++] = t->words[++j];
		} else if (separate) {
			*connect = t->words[++j];
		} else {
			/* --connect=STRING or -cSTRING */
			*connect = t->words[j][1] == '-' ? strchr(t->words[j], '=') + 1 : t->words[j] + 2;
		}
	}
	return n;
}
