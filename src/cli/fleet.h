/* SPDX-License-Identifier: MIT */
/*
 * fleet.h - what the files of `upgrade run --targets FILE` share: a target,
 * read from FILE by fleet-targets.c and run by fleet.c.
 */
#ifndef UPGRADE_CLI_FLEET_H
#define UPGRADE_CLI_FLEET_H

#include <sys/types.h>

#include "cli.h"

struct target {
	char *name;
	char **words; /* the options after the name, NULL-terminated */
	size_t nwords;
	unsigned long line;

	pid_t pid;
	int out, err;         /* the child's stdout and stderr, -1 when closed */
	char *obuf, *ebuf;    /* what was read and not yet passed on */
	size_t olen, elen;
	long started_ms;
	int status;           /* the child's exit status; -1 while not run */
	int signal;           /* the signal that killed the child, or 0 */
	long duration_ms;
};

/*
 * Reads the targets file (upgrade(1), TARGETS FILES; "-" is stdin) into a
 * new array of *nout targets, every one checked.  On failure prints why,
 * naming the file and line, and returns an exit status with *out NULL.
 */
int cli_fleet_read_targets(struct cli *cli, const char *file, struct target **out, size_t *nout);
/* Frees the n targets of t and what they hold. */
void cli_fleet_free_targets(struct target *t, size_t n);
/*
 * The words of t's options for its run's command line, borrowed from t,
 * put in args (room for t->nwords) and counted in the return value; but a
 * connection string, which may hold a password, is left out of them and
 * is *connect instead (NULL when t names its database otherwise).
 */
size_t cli_fleet_target_args(const struct target *t, char **args, const char **connect);

#endif
