/* SPDX-License-Identifier: MIT */
/*
 * main.c - upgrade(1): global options, the command table and dispatch.
 *
 * Exit statuses are the contract with scripts, so every path ends in one of
 * enum cli_exit, and every error is one line naming what was wrong.
 */
#include "config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_DSN = 256,
	OPT_DIALECT,
	OPT_FORMAT,
	OPT_COLOR,
	OPT_LOGIN_TIMEOUT,
	OPT_CLUSTER_LOCK,
	OPT_LOCK_LEASE,
	OPT_POOL_MODE,
	OPT_CACHE_DIR,
	OPT_NO_CACHE
};

/* Copyright and licence for --version: the first lines of LICENSE. */
#define COPYRIGHT "Copyright (c) 2026 the upgrade developers"

const struct cli_opt cli_global_options[] = {
	{"connect", required_argument, 'c', "STRING", "ODBC connection string (DRIVER=...;...)",
	 "Connection (at most one; default $UPGRADE_CONNECT)"},
	{"dsn", required_argument, OPT_DSN, "NAME", "data source from odbc.ini", NULL},
	{"database", required_argument, 'd', "FILE", "SQLite database file", NULL},
	{"dialect", required_argument, OPT_DIALECT, "NAME",
	 "sqlite, postgresql, mysql, mssql or generic", NULL},
	{"login-timeout", required_argument, OPT_LOGIN_TIMEOUT, "S",
	 "seconds to wait for the server", NULL},
	{"cluster-lock", required_argument, OPT_CLUSTER_LOCK, "HOW",
	 "auto, off or table (MariaDB: table on Galera)", NULL},
	{"lock-lease", required_argument, OPT_LOCK_LEASE, "S",
	 "seconds a lock table's lock outlives its holder", NULL},
	{"pool-mode", required_argument, OPT_POOL_MODE, "MODE",
	 "session or transaction (through PgBouncer's transaction pooling)", NULL},
	{"tasks", required_argument, 'T', "PATH", "catalog file or directory (repeatable)",
	 "Catalogs"},
	{"define", required_argument, 'D', "NAME=VAL", "set a ${NAME} placeholder (repeatable)",
	 NULL},
	{"module", required_argument, 'm', "PATTERN",
	 "only these modules and what they need (repeatable; default $UPGRADE_MODULES)", NULL},
	{"cache-dir", required_argument, OPT_CACHE_DIR, "DIR",
	 "remember valid catalogs here (default ~/.cache/upgrade)", NULL},
	{"no-cache", no_argument, OPT_NO_CACHE, NULL, "validate every catalog file every time", NULL},
	{"format", required_argument, OPT_FORMAT, "FORMAT", "text or json", "Output"},
	{"color", required_argument, OPT_COLOR, "WHEN", "auto, always or never", NULL},
	{"quiet", no_argument, 'q', NULL, "print errors only", NULL},
	{"verbose", no_argument, 'v', NULL, "say more (repeatable)", NULL},
	{"help", no_argument, 'h', NULL, "show this help (COMMAND --help for a command)", NULL},
	{"version", no_argument, 'V', NULL, "show the version, copyright and licence", NULL},
	{NULL, 0, 0, NULL, NULL, NULL}
};

const struct cli_command cli_commands[] = {
	{"info", "info", "connect and describe the database, driver and dialect", cmd_info, NULL},
	{"validate", "validate [--allow-empty] [PATH...]", "check the task catalogs without a database",
	 cmd_validate, cli_validate_options},
	{"check-install", "check-install --from PATH...",
	 "check that the install blocks create what the tasks lead to", cmd_check_install,
	 cli_check_install_options},
	{"list", "list", "list the tasks in the order they run", cmd_list, NULL},
	{"graph", "graph [--modules]", "print modules and tasks as a Graphviz graph", cmd_graph,
	 cli_graph_options},
	{"run", "run [--dry-run] [--keep-going] [--resume | --resume-from N] [-j N] [--schema NAME]... [--create-schemas] [--schemas PATTERN]... [--lock-timeout S] [--targets FILE]",
	 "run the raw tasks, then every pending task in every schema", cmd_run, cli_run_options},
	{"sql", "sql [--schema NAME]... [--schemas PATTERN]...",
	 "print the SQL that run would send, for review; execute nothing", cmd_sql, cli_sql_options},
	{"status", "status [--check] [--strict] [--all] [--schema NAME]... [--schemas PATTERN]...",
	 "show pending, executed, changed and unknown tasks per schema", cmd_status,
	 cli_status_options},
	{"baseline", "baseline [--schema NAME]... [--schemas PATTERN]...",
	 "record every task of modules not yet seen as executed (adopt a database)", cmd_baseline,
	 cli_repair_options},
	{"mark", "mark TASK-ID [--schema NAME]...", "record one task as executed (repair)",
	 cmd_mark, cli_repair_options},
	{"unmark", "unmark TASK-ID [--schema NAME]...", "forget one task so it runs again (repair)",
	 cmd_unmark, cli_repair_options},
	{"log", "log [--schema NAME]... [--schemas PATTERN]...",
	 "show what was done to each schema: runs, baselines, marks, unmarks", cmd_log,
	 cli_log_options},
	{"help", "help [COMMAND]", "show this help, or the options of one command", cmd_help, NULL},
	{NULL, NULL, NULL, NULL, NULL}
};

/* getopt_long's tables, made from cli_opt tables. */
struct getopt_tables {
	struct option longs[96];
	char shorts[128];
	size_t nlongs, nshorts;
};

/*
 * Adds the options of t (NULL for none) that are not there yet; the tables
 * are sized for every option of every command, so a full one is a bug.
 */
static void
add_options(struct getopt_tables *g, const struct cli_opt *t)
{
	size_t i, j;

	for (i = 0; t != NULL && t[i].name != NULL; i++) {
		for (j = 0; j < g->nlongs; j++)
			if (strcmp(g->longs[j].name, t[i].name) == 0)
				break;
		if (j < g->nlongs)
			continue;
		assert(g->nlongs + 1 < sizeof g->longs / sizeof g->longs[0]);
		assert(g->nshorts + 3 < sizeof g->shorts);
		if (g->nlongs + 1 >= sizeof g->longs / sizeof g->longs[0] ||
		    g->nshorts + 3 >= sizeof g->shorts)
			break;
		g->longs[g->nlongs].name = t[i].name;
		g->longs[g->nlongs].has_arg = t[i].has_arg;
		g->longs[g->nlongs].flag = NULL;
		g->longs[g->nlongs].val = t[i].val;
		g->nlongs++;
		if (cli_opt_letter(&t[i])) {
			g->shorts[g->nshorts++] = (char)t[i].val;
			if (t[i].has_arg == required_argument)
				g->shorts[g->nshorts++] = ':';
		}
	}
	memset(&g->longs[g->nlongs], 0, sizeof g->longs[g->nlongs]);
	g->shorts[g->nshorts] = '\0';
}

/* Starts the tables with getopt's flags: prefix is "+:" or ":". */
static void
init_options(struct getopt_tables *g, const char *prefix)
{
	memset(g, 0, sizeof *g);
	g->nshorts = strlen(prefix);
	memcpy(g->shorts, prefix, g->nshorts);
	add_options(g, cli_global_options);
}

/*
 * The number of single-character edits (insert, delete, replace, swap two
 * neighbours) between a and b; names longer than 63 bytes count as far.
 */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t d[64][64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/*
 * Keeps name in *best when it is closer to word than the best so far and
 * close enough to be a typo: at most two edits, and at most one for every
 * two characters, so that short words do not match everything.
 */
static void
consider(const char *word, const char *name, const char **best, size_t *best_d)
{
	size_t d = edit_distance(word, name);

	if (d > 0 && d <= 2 && d <= strlen(word) / 2 && d < *best_d) {
		*best = name;
		*best_d = d;
	}
}

/* The command most like name, or NULL. */
static const char *
similar_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, i;

	for (i = 0; cli_commands[i].name != NULL; i++)
		consider(name, cli_commands[i].name, &best, &best_d);
	return best;
}

/* The long option of g most like text ("--name" as written), or NULL. */
static const char *
similar_option(const struct getopt_tables *g, const char *text)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, i;

	if (strncmp(text, "--", 2) != 0)
		return NULL;
	for (i = 0; i < g->nlongs; i++) {
		/* An abbreviation that getopt found ambiguous is a prefix: suggest the first. */
		if (strncmp(g->longs[i].name, text + 2, strlen(text + 2)) == 0)
			return g->longs[i].name;
		consider(text + 2, g->longs[i].name, &best, &best_d);
	}
	return best;
}

/* The usage error for a command name no entry has. */
static int
unknown_command(const struct cli *cli, const char *name)
{
	const char *like = similar_command(name);

	if (like != NULL)
		return cli_usage_error(cli, "unknown command '%s'; did you mean '%s'?", name, like);
	return cli_usage_error(cli, "unknown command '%s'", name);
}

const struct cli_command *
cli_find_command(const char *name)
{
	size_t i;

	for (i = 0; cli_commands[i].name != NULL; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

/* Parses a non-negative int, the whole string. */
static int
parse_int(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

long
cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cli_mute_gone_stdout(void)
{
	struct stat st;
	int fd;

	/* A failed write to a pipe is its reader gone; errno may be stale by now. */
	if (fstat(STDOUT_FILENO, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
		return 0;
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (dup2(fd, STDOUT_FILENO) >= 0)
			clearerr(stdout);
		close(fd);
	}
	return 1;
}

int
cli_push(const char ***list, size_t *n, const char *value)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof **list);

	if (grown == NULL)
		return -1;
	grown[(*n)++] = value;
	*list = grown;
	return 0;
}

/* Colour by default on a terminal, unless NO_COLOR is set and not empty (no-color.org). */
static int
auto_color(void)
{
	const char *no = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && (no == NULL || no[0] == '\0');
}

/* Applies one global option; returns CLI_EXIT_OK, an exit status, or -1 for --help/--version. */
static int
global_option(struct cli *cli, int c, const char *arg)
{
	switch (c) {
	case 'c':
		cli->connect = arg;
		return CLI_EXIT_OK;
	case OPT_DSN:
		cli->dsn = arg;
		return CLI_EXIT_OK;
	case 'd':
		cli->database = arg;
		return CLI_EXIT_OK;
	case OPT_DIALECT:
		cli->dialect = arg;
		return CLI_EXIT_OK;
	case OPT_LOGIN_TIMEOUT:
		if (parse_int(arg, &cli->login_timeout) < 0)
			return cli_usage_error(cli, "--login-timeout wants a number of seconds, not '%s'",
			                       arg);
		return CLI_EXIT_OK;
	case OPT_CLUSTER_LOCK:
		if (strcmp(arg, "auto") == 0)
			cli->cluster_lock = UPGRADE_CLUSTER_LOCK_AUTO;
		else if (strcmp(arg, "off") == 0)
			cli->cluster_lock = UPGRADE_CLUSTER_LOCK_OFF;
		else if (strcmp(arg, "table") == 0)
			cli->cluster_lock = UPGRADE_CLUSTER_LOCK_TABLE;
		else
			return cli_usage_error(cli, "--cluster-lock wants auto, off or table, not '%s'", arg);
		return CLI_EXIT_OK;
	case OPT_LOCK_LEASE:
		if (parse_int(arg, &cli->lock_lease) < 0 || cli->lock_lease < 1 || cli->lock_lease > 86400)
			return cli_usage_error(cli, "--lock-lease wants 1 to 86400 seconds, not '%s'", arg);
		return CLI_EXIT_OK;
	case OPT_POOL_MODE:
		if (strcmp(arg, "session") == 0)
			cli->pool_mode = UPGRADE_POOL_SESSION;
		else if (strcmp(arg, "transaction") == 0)
			cli->pool_mode = UPGRADE_POOL_TRANSACTION;
		else
			return cli_usage_error(cli, "--pool-mode wants session or transaction, not '%s'",
			                       arg);
		return CLI_EXIT_OK;
	case 'T':
		if (cli_push(&cli->task_paths, &cli->ntask_paths, arg) < 0)
			return CLI_EXIT_SOFTWARE;
		return CLI_EXIT_OK;
	case 'm':
		if (arg[0] == '\0')
			return cli_usage_error(cli, "--module wants a module name or pattern");
		if (cli_push(&cli->modules, &cli->nmodules, arg) < 0)
			return CLI_EXIT_SOFTWARE;
		return CLI_EXIT_OK;
	case 'D':
		if (strchr(arg, '=') == NULL || arg[0] == '=')
			return cli_usage_error(cli, "--define wants NAME=VALUE, not '%s'", arg);
		if (cli_push(&cli->defines, &cli->ndefines, arg) < 0)
			return CLI_EXIT_SOFTWARE;
		return CLI_EXIT_OK;
	case OPT_CACHE_DIR:
		if (arg[0] == '\0')
			return cli_usage_error(cli, "--cache-dir wants a directory");
		cli->cache_dir = arg;
		return CLI_EXIT_OK;
	case OPT_NO_CACHE: cli->no_cache = 1; return CLI_EXIT_OK;
	case OPT_FORMAT:
		if (strcmp(arg, "text") == 0)
			cli->format = CLI_FORMAT_TEXT;
		else if (strcmp(arg, "json") == 0)
			cli->format = CLI_FORMAT_JSON;
		else
			return cli_usage_error(cli, "--format wants text or json, not '%s'", arg);
		return CLI_EXIT_OK;
	case OPT_COLOR:
		if (strcmp(arg, "always") == 0)
			cli->color = 1;
		else if (strcmp(arg, "never") == 0)
			cli->color = 0;
		else if (strcmp(arg, "auto") == 0)
			cli->color = auto_color();
		else
			return cli_usage_error(cli, "--color wants auto, always or never, not '%s'", arg);
		return CLI_EXIT_OK;
	case 'q':
		cli->quiet = 1;
		cli->verbose = 0;
		return CLI_EXIT_OK;
	case 'v':
		cli->verbose++;
		cli->quiet = 0;
		return CLI_EXIT_OK;
	case 'V':
		if (cli->format == CLI_FORMAT_JSON) {
			json_object *o = cli_json_object("version");

			if (o != NULL) {
				json_object_object_add(o, "version", json_object_new_string(UPGRADE_VERSION));
				json_object_object_add(o, "library_version",
				                       json_object_new_string(upgrade_version()));
				json_object_object_add(o, "copyright", json_object_new_string(COPYRIGHT));
				json_object_object_add(o, "license", json_object_new_string("MIT"));
				json_object_object_add(o, "bugs", PACKAGE_BUGREPORT[0] != '\0'
				                                      ? json_object_new_string(PACKAGE_BUGREPORT)
				                                      : NULL);
			}
			cli_json_print(o);
			return -1;
		}
		printf("upgrade %s (libupgrade %s)\n%s\n"
		       "License: MIT (Expat), see the LICENSE file; there is NO WARRANTY.\n",
		       UPGRADE_VERSION, upgrade_version(), COPYRIGHT);
		/* configure's AC_INIT names it; README's Contact line says the same. */
		if (PACKAGE_BUGREPORT[0] != '\0')
			printf("Report bugs to: %s\n", PACKAGE_BUGREPORT);
		return -1;
	default:
		return CLI_EXIT_SOFTWARE;
	}
}

/* Command options use values from 512 up, or letters the global set lacks. */
static int
is_global_option(int c)
{
	size_t i;

	for (i = 0; cli_global_options[i].name != NULL; i++)
		if (cli_global_options[i].val == c)
			return 1;
	return 0;
}

/*
 * The option getopt just rejected, for error messages: a long option as
 * written (without "=value"), a short one from optopt.
 */
static const char *
bad_option_text(char **argv, int argc, char *buf, size_t size)
{
	const char *arg = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : NULL;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		size_t n = strcspn(arg, "=");
		snprintf(buf, size, "%.*s", (int)n, arg);
		return buf;
	}
	if (optopt != 0 && optopt < 128) {
		snprintf(buf, size, "-%c", optopt);
		return buf;
	}
	return arg != NULL ? arg : "?";
}

/* The usage error for the option getopt just rejected with c ('?' or ':'). */
static int
bad_option(const struct cli *cli, const struct getopt_tables *g, int c, int argc, char **argv)
{
	char text[64];
	const char *bad = bad_option_text(argv, argc, text, sizeof text);
	const char *like;

	if (c == ':')
		return cli_usage_error(cli, "option '%s' needs an argument", bad);
	like = similar_option(g, bad);
	if (like != NULL)
		return cli_usage_error(cli, "unknown option '%s'; did you mean '--%s'?", bad, like);
	return cli_usage_error(cli, "unknown option '%s'", bad);
}

int
cli_parse_options(struct cli *cli, int argc, char **argv, cli_option_fn fn, void *state,
                  int *first_arg)
{
	const struct cli_command *cmd =
	    cli->command != NULL ? cli_find_command(cli->command) : NULL;
	struct getopt_tables g;
	int c, ret, want_help = 0;

	/* A leading ':' makes getopt report a missing argument as ':'; options may follow operands. */
	init_options(&g, ":");
	if (cmd != NULL)
		add_options(&g, cmd->options);
	optind = 0; /* glibc: full re-initialisation for a second parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1) {
		switch (c) {
		case '?':
		case ':':
			return bad_option(cli, &g, c, argc, argv);
		case 'h':
			/* After the loop: a --format json may follow. */
			want_help = 1;
			continue;
		default:
			if (is_global_option(c)) {
				ret = global_option(cli, c, optarg);
			} else if (fn != NULL) {
				ret = fn(cli, c, optarg, state);
			} else {
				ret = CLI_EXIT_SOFTWARE;
			}
			if (ret != CLI_EXIT_OK)
				return ret;
		}
	}
	if (want_help) {
		if (cmd != NULL)
			cli_command_help(cli, cmd, stdout);
		else
			cli_global_help(cli, stdout);
		return -1;
	}
	*first_arg = optind;
	return CLI_EXIT_OK;
}

int
cmd_help(struct cli *cli, int argc, char **argv)
{
	const struct cli_command *cmd;
	int ret, first;

	ret = cli_parse_options(cli, argc, argv, NULL, NULL, &first);
	if (ret != CLI_EXIT_OK)
		return ret;
	if (first + 1 < argc)
		return cli_usage_error(cli, "help takes at most one command ('%s')",
		                       argv[first + 1]);
	if (first == argc) {
		cli_global_help(cli, stdout);
		return CLI_EXIT_OK;
	}
	cmd = cli_find_command(argv[first]);
	if (cmd == NULL)
		return unknown_command(cli, argv[first]);
	cli_command_help(cli, cmd, stdout);
	return CLI_EXIT_OK;
}

/*
 * Finds the command word: the first operand, after options of any command
 * and their arguments, so that "upgrade --lock-timeout 5 run" finds "run".
 * Returns its index, or argc when there is none; *bad tells whether an
 * option before it is unknown to every command or lacks its argument.
 */
static int
find_command(int argc, char **argv, int *bad)
{
	struct getopt_tables g;
	size_t i;
	int c;

	init_options(&g, "+:");
	for (i = 0; cli_commands[i].name != NULL; i++)
		add_options(&g, cli_commands[i].options);
	*bad = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, g.shorts, g.longs, NULL)) != -1)
		if (c == '?' || c == ':')
			*bad = 1;
	return optind;
}

int
cli_connect(struct cli *cli, struct upgrade_conn **out)
{
	struct upgrade_conn *conn = NULL;
	const char *env = getenv("UPGRADE_CONNECT");
	int chosen = (cli->connect != NULL) + (cli->dsn != NULL) + (cli->database != NULL);
	int rc;

	*out = NULL;
	if (chosen > 1)
		return cli_usage_error(cli, "use only one of --connect, --dsn and --database");
	if (chosen == 0 && (env == NULL || env[0] == '\0'))
		return cli_usage_error(cli, "no database: give --database FILE, --dsn NAME, "
		                            "--connect STRING or set UPGRADE_CONNECT");
	/* A session lock through transaction pooling is no lock at all. */
	if (cli->pool_mode == UPGRADE_POOL_TRANSACTION && cli->cluster_lock == UPGRADE_CLUSTER_LOCK_OFF)
		return cli_usage_error(cli, "--pool-mode transaction locks with the lock table; "
		                            "--cluster-lock off cannot go with it");
	if (upgrade_conn_new(&conn) != UPGRADE_OK) {
		cli_error(cli, "out of memory");
		return CLI_EXIT_SOFTWARE;
	}
	if (cli->dialect != NULL && upgrade_conn_set_dialect(conn, cli->dialect) != UPGRADE_OK) {
		rc = cli_usage_error(cli, "%s", upgrade_conn_error(conn));
		upgrade_conn_free(conn);
		return rc;
	}
	/* The SQLite driver creates a missing file: a typo must not become an empty database. */
	if (cli->database != NULL) {
		struct stat st;

		if (stat(cli->database, &st) != 0 && errno == ENOENT) {
			int fd;

			if (!cli->creates) {
				cli_error(cli, "%s: no such database file (only run and baseline create one)",
				          cli->database);
				upgrade_conn_free(conn);
				return CLI_EXIT_CONNECT;
			}
			/*
			 * Made here rather than by the driver, so that it is known to be
			 * this process's: not a file another process made meanwhile, nor
			 * the target of a dangling link (which the driver then makes).
			 */
			fd = open(cli->database, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd >= 0 && fstat(fd, &st) == 0) {
				cli->created_file = 1;
				cli->created_dev = st.st_dev;
				cli->created_ino = st.st_ino;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	upgrade_conn_set_login_timeout(conn, cli->login_timeout);
	upgrade_conn_set_cluster_lock(conn, cli->cluster_lock, cli->lock_lease);
	upgrade_conn_set_pool_mode(conn, cli->pool_mode);
	if (cli->connect != NULL)
		rc = upgrade_conn_connect(conn, cli->connect);
	else if (cli->dsn != NULL)
		rc = upgrade_conn_connect_dsn(conn, cli->dsn);
	else if (cli->database != NULL)
		rc = upgrade_conn_connect_sqlite(conn, cli->database);
	else
		rc = upgrade_conn_connect(conn, env);
	if (rc != UPGRADE_OK) {
		cli_error(cli, "%s", upgrade_conn_error(conn));
		cli_note_error(NULL, upgrade_conn_sqlstate(conn));
		upgrade_conn_free(conn);
		return rc == UPGRADE_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_CONNECT;
	}
	*out = conn;
	return CLI_EXIT_OK;
}

/*
 * --format json as soon as it is anywhere on the line, so that an error
 * found before the parser reaches it (an unknown option or command) is an
 * error object too; the parser sets the format again when it gets there.
 */
static enum cli_format
early_format(int argc, char **argv)
{
	enum cli_format f = CLI_FORMAT_TEXT;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--format=json") == 0 ||
		    (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		     strcmp(argv[i + 1], "json") == 0))
			f = CLI_FORMAT_JSON;
		else if (strcmp(argv[i], "--format=text") == 0 ||
		         (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
		          strcmp(argv[i + 1], "text") == 0))
			f = CLI_FORMAT_TEXT;
	}
	return f;
}

/*
 * A failed command leaves no database file it made and never wrote to:
 * "refused, nothing written" then also holds for the file system.  The
 * connection is closed by now.
 */
static void
remove_empty_created(const struct cli *cli)
{
	struct stat st;

	if (cli->created_file && lstat(cli->database, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size == 0 && st.st_dev == cli->created_dev && st.st_ino == cli->created_ino)
		(void)unlink(cli->database);
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const struct cli_command *cmd;
	char **args = NULL;
	int ret, at, bad, first, i, n;

	memset(&cli, 0, sizeof cli);
	cli.progname = "upgrade";
	cli.color = auto_color();
	cli.format = early_format(argc, argv);

	at = find_command(argc, argv, &bad);
	cmd = at < argc ? cli_find_command(argv[at]) : NULL;
	if (cmd == NULL) {
		/* Why: --help, --version or a bad option before it; else the word itself. */
		if (at >= argc || bad) {
			ret = cli_parse_options(&cli, at, argv, NULL, NULL, &first);
			if (ret != CLI_EXIT_OK) {
				if (ret == -1)
					ret = CLI_EXIT_OK;
				goto done;
			}
		}
		if (at >= argc)
			ret = cli_usage_error(&cli, "no command given");
		else
			ret = unknown_command(&cli, argv[at]);
		goto done;
	}
	/* The command parses every option, wherever it stands: give it argv with itself first. */
	args = calloc((size_t)argc + 1, sizeof *args);
	if (args == NULL) {
		cli_error(&cli, "out of memory");
		ret = CLI_EXIT_SOFTWARE;
		goto done;
	}
	n = 0;
	args[n++] = argv[at];
	for (i = 1; i < argc; i++)
		if (i != at)
			args[n++] = argv[i];
	cli.command = cmd->name;
	ret = cmd->run(&cli, n, args);
	if (ret == -1)
		ret = CLI_EXIT_OK;
done:
	if (ret != CLI_EXIT_OK)
		remove_empty_created(&cli);
	cli_json_finish(&cli, ret);
	free(args);
	free(cli.task_paths);
	free(cli.defines);
	free(cli.modules);
	if (fflush(stdout) != 0 && ret == CLI_EXIT_OK) {
		fprintf(stderr, "%s: error: cannot write the output\n", cli.progname);
		ret = CLI_EXIT_SOFTWARE;
	}
	return ret;
}
