/*
 * main.c - upgrade(1): global options, the command table and dispatch.
 *
 * Exit statuses are the contract with scripts, so every path ends in one of
 * enum cli_exit, and every error is one line naming what was wrong.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_DSN = 256,
	OPT_DIALECT,
	OPT_FORMAT,
	OPT_COLOR,
	OPT_LOGIN_TIMEOUT,
	OPT_CLUSTER_LOCK,
	OPT_LOCK_LEASE
};

#define GLOBAL_SHORTOPTS "c:d:T:D:m:qvhV"

static const struct option global_longopts[] = {
	{"connect", required_argument, NULL, 'c'},
	{"dsn", required_argument, NULL, OPT_DSN},
	{"database", required_argument, NULL, 'd'},
	{"dialect", required_argument, NULL, OPT_DIALECT},
	{"login-timeout", required_argument, NULL, OPT_LOGIN_TIMEOUT},
	{"cluster-lock", required_argument, NULL, OPT_CLUSTER_LOCK},
	{"lock-lease", required_argument, NULL, OPT_LOCK_LEASE},
	{"tasks", required_argument, NULL, 'T'},
	{"define", required_argument, NULL, 'D'},
	{"module", required_argument, NULL, 'm'},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"color", required_argument, NULL, OPT_COLOR},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0}
};

const struct cli_command cli_commands[] = {
	{"info", "info", "connect and describe the database, driver and dialect", cmd_info},
	{"validate", "validate [--allow-empty] [PATH...]", "check the task catalogs without a database", cmd_validate},
	{"check-install", "check-install --from PATH...",
	 "check that the install blocks create what the tasks lead to", cmd_check_install},
	{"list", "list", "list the tasks in the order they run", cmd_list},
	{"graph", "graph [--modules]", "print modules and tasks as a Graphviz graph", cmd_graph},
	{"run", "run [--dry-run] [--keep-going] [--resume | --resume-from N] [-j N] [--schema NAME]... [--create-schemas] [--schemas PATTERN]... [--lock-timeout S]",
	 "run the raw tasks, then every pending task in every schema", cmd_run},
	{"status", "status [--check] [--strict] [--all] [--schema NAME]... [--schemas PATTERN]...",
	 "show pending, executed, changed and unknown tasks per schema", cmd_status},
	{"baseline", "baseline [--schema NAME]... [--schemas PATTERN]...",
	 "record every task of modules not yet seen as executed (adopt a database)", cmd_baseline},
	{"mark", "mark TASK-ID [--schema NAME]...", "record one task as executed (repair)", cmd_mark},
	{"unmark", "unmark TASK-ID [--schema NAME]...", "forget one task so it runs again (repair)",
	 cmd_unmark},
	{NULL, NULL, NULL, NULL}
};

static void
vmessage(const struct cli *cli, const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s: %s", cli->progname, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
cli_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cli, "error: ", fmt, ap);
	va_end(ap);
}

int
cli_usage_error(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fflush(stdout);
	fprintf(stderr, "%s: ", cli->progname);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see '%s --help')\n", cli->progname);
	va_end(ap);
	return CLI_EXIT_USAGE;
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

static void
global_help(const struct cli *cli, FILE *to)
{
	size_t i;

	fprintf(to,
	        "usage: %s [OPTIONS] COMMAND [ARGS]\n"
	        "\n"
	        "Upgrades database schemas through ODBC from XML task catalogs.\n"
	        "\n"
	        "Commands:\n",
	        cli->progname);
	for (i = 0; cli_commands[i].name != NULL; i++)
		fprintf(to, "  %-13s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fputs("\n"
	      "Connection (at most one; default $UPGRADE_CONNECT):\n"
	      "  -c, --connect STRING   ODBC connection string (DRIVER=...;...)\n"
	      "      --dsn NAME         data source from odbc.ini\n"
	      "  -d, --database FILE    SQLite database file\n"
	      "      --dialect NAME     sqlite, postgresql, mysql, mssql or generic\n"
	      "      --login-timeout S  seconds to wait for the server\n"
	      "      --cluster-lock HOW auto, off or table (MariaDB: table on Galera)\n"
	      "      --lock-lease S     seconds a lock table's lock outlives its holder\n"
	      "\n"
	      "Catalogs:\n"
	      "  -T, --tasks PATH       catalog file or directory (repeatable)\n"
	      "  -D, --define NAME=VAL  set a ${NAME} placeholder (repeatable)\n"
	      "  -m, --module PATTERN   only these modules and what they need (repeatable;\n"
	      "                         default $UPGRADE_MODULES)\n"
	      "\n"
	      "Output:\n"
	      "      --format FORMAT    text or json\n"
	      "      --color WHEN       auto, always or never\n"
	      "  -q, --quiet            print errors only\n"
	      "  -v, --verbose          say more\n"
	      "  -h, --help             show this help (COMMAND --help for a command)\n"
	      "  -V, --version          show the version\n"
	      "\n"
	      "See upgrade(1).\n",
	      to);
}

void
cli_command_help(const struct cli *cli, const struct cli_command *cmd, FILE *to)
{
	fprintf(to, "usage: %s [OPTIONS] %s\n\n%s.\n\nGlobal options: see '%s --help' and upgrade(1).\n",
	        cli->progname, cmd->synopsis, cmd->summary, cli->progname);
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
			cli->color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
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
		printf("upgrade %s (libupgrade %s)\n", UPGRADE_VERSION, upgrade_version());
		return -1;
	default:
		return CLI_EXIT_SOFTWARE;
	}
}

/* Command options use values from 512 up, or letters the global set lacks. */
static int
is_global_option(int c)
{
	if (c >= OPT_DSN && c <= OPT_LOGIN_TIMEOUT)
		return 1;
	return c > 0 && c < 128 && c != ':' && strchr(GLOBAL_SHORTOPTS, c) != NULL;
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

int
cli_parse_options(struct cli *cli, int argc, char **argv, const char *shortopts,
                  const struct option *longopts, cli_option_fn fn, void *state, int *first_arg)
{
	struct option merged[64];
	char shorts[128];
	size_t n = 0, i;
	int c, ret;

	/* A leading ':' makes getopt report a missing argument as ':'; options may follow operands. */
	snprintf(shorts, sizeof shorts, ":%s%s", GLOBAL_SHORTOPTS, shortopts != NULL ? shortopts : "");
	for (i = 0; longopts != NULL && longopts[i].name != NULL && n < 48; i++)
		merged[n++] = longopts[i];
	for (i = 0; global_longopts[i].name != NULL; i++)
		merged[n++] = global_longopts[i];
	memset(&merged[n], 0, sizeof merged[n]);

	optind = 0; /* glibc: full re-initialisation for a second parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, merged, NULL)) != -1) {
		char text[64];

		switch (c) {
		case '?':
			return cli_usage_error(cli, "unknown option '%s'",
			                       bad_option_text(argv, argc, text, sizeof text));
		case ':':
			return cli_usage_error(cli, "option '%s' needs an argument",
			                       bad_option_text(argv, argc, text, sizeof text));
		case 'h':
			if (cli->command != NULL)
				cli_command_help(cli, cli_find_command(cli->command), stdout);
			else
				global_help(cli, stdout);
			return -1;
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
	*first_arg = optind;
	return CLI_EXIT_OK;
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
	if (cli->database != NULL && !cli->creates) {
		struct stat st;

		if (stat(cli->database, &st) != 0 && errno == ENOENT) {
			cli_error(cli, "%s: no such database file (only run, baseline and mark create one)",
			          cli->database);
			upgrade_conn_free(conn);
			return CLI_EXIT_CONNECT;
		}
	}
	upgrade_conn_set_login_timeout(conn, cli->login_timeout);
	upgrade_conn_set_cluster_lock(conn, cli->cluster_lock, cli->lock_lease);
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
		upgrade_conn_free(conn);
		return rc == UPGRADE_ENOMEM ? CLI_EXIT_SOFTWARE : CLI_EXIT_CONNECT;
	}
	*out = conn;
	return CLI_EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	const struct cli_command *cmd;
	int ret, c;

	memset(&cli, 0, sizeof cli);
	cli.progname = "upgrade";
	cli.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;

	/* Global options up to the command name ('+': stop at the first operand). */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORTOPTS, global_longopts, NULL)) != -1) {
		char text[64];

		if (c == '?') {
			ret = cli_usage_error(&cli, "unknown option '%s'",
			                      bad_option_text(argv, argc, text, sizeof text));
			goto done;
		}
		if (c == ':') {
			ret = cli_usage_error(&cli, "option '%s' needs an argument",
			                      bad_option_text(argv, argc, text, sizeof text));
			goto done;
		}
		if (c == 'h') {
			global_help(&cli, stdout);
			ret = CLI_EXIT_OK;
			goto done;
		}
		ret = global_option(&cli, c, optarg);
		if (ret != CLI_EXIT_OK) {
			if (ret == -1)
				ret = CLI_EXIT_OK;
			goto done;
		}
	}
	if (optind >= argc) {
		ret = cli_usage_error(&cli, "no command given");
		goto done;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc) {
			cmd = cli_find_command(argv[optind + 1]);
			if (cmd == NULL) {
				ret = cli_usage_error(&cli, "unknown command '%s'", argv[optind + 1]);
				goto done;
			}
			cli_command_help(&cli, cmd, stdout);
		} else {
			global_help(&cli, stdout);
		}
		ret = CLI_EXIT_OK;
		goto done;
	}
	cmd = cli_find_command(argv[optind]);
	if (cmd == NULL) {
		ret = cli_usage_error(&cli, "unknown command '%s'", argv[optind]);
		goto done;
	}
	cli.command = cmd->name;
	ret = cmd->run(&cli, argc - optind, argv + optind);
	if (ret == -1)
		ret = CLI_EXIT_OK;
done:
	free(cli.task_paths);
	free(cli.defines);
	free(cli.modules);
	if (fflush(stdout) != 0 && ret == CLI_EXIT_OK) {
		fprintf(stderr, "%s: error: cannot write the output\n", cli.progname);
		ret = CLI_EXIT_SOFTWARE;
	}
	return ret;
}
