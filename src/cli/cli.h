/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the files of upgrade(1) share: the exit statuses, the global
 * options, and the command table entry.
 *
 * The command line is "upgrade [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]";
 * global options are also accepted after the command, so every command
 * parses with cli_parse_options(), which knows them.
 */
#ifndef UPGRADE_CLI_H
#define UPGRADE_CLI_H

#include <sys/types.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "upgrade.h"

/* Exit statuses; the table in upgrade(1) must match. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_PENDING = 1,      /* status --check: something is pending */
	CLI_EXIT_TASK_FAILED = 2,  /* a task failed; its schema stopped */
	CLI_EXIT_LOCK_TIMEOUT = 3, /* the schema lock was not granted in time */
	CLI_EXIT_CATALOG = 4,      /* a catalog is invalid */
	CLI_EXIT_CONNECT = 5,      /* cannot connect, the database refused a query, or the
	                              database file or a named schema does not exist */
	CLI_EXIT_PARTIAL = 6,      /* --keep-going: some schemas failed, others succeeded */
	CLI_EXIT_CHECKSUM = 7,     /* status --check --strict: a task changed after it ran */
	CLI_EXIT_READ_ONLY = 8,    /* a writing command on a standby or read-only server */
	CLI_EXIT_REPLICAS = 9,     /* run --wait-replicas: the replicas did not catch up in time */
	CLI_EXIT_USAGE = 64,       /* bad command line */
	CLI_EXIT_SOFTWARE = 70,    /* out of memory or an internal error */
	CLI_EXIT_SIGNAL = 128      /* + N: killed by signal N, as a shell reports it */
};

enum cli_format { CLI_FORMAT_TEXT, CLI_FORMAT_JSON };

struct cli {
	const char *progname;
	const char *command;

	/* Where to connect: at most one of these; else $UPGRADE_CONNECT. */
	const char *connect;
	const char *dsn;
	const char *database;
	const char *dialect;
	int login_timeout;
	/*
	 * Set by the commands that record (run without --dry-run, baseline):
	 * only they may create the --database file; for the others a missing
	 * file is an error, never a new empty database.
	 */
	int creates;
	/*
	 * The --database file this process made by connecting (device and
	 * inode): a command that fails removes it while it is still empty, so
	 * that a refused run leaves no database behind.
	 */
	int created_file;
	dev_t created_dev;
	ino_t created_ino;
	/* --cluster-lock (enum upgrade_cluster_lock) and --lock-lease seconds (0: default). */
	int cluster_lock;
	int lock_lease;
	/* --pool-mode (enum upgrade_pool_mode). */
	int pool_mode;

	/* Catalogs: -T paths (else $UPGRADE_TASKS_PATH, else the task directory). */
	const char **task_paths;
	size_t ntask_paths;
	/* -D NAME=VALUE placeholder definitions, as given. */
	const char **defines;
	size_t ndefines;
	/* -m module patterns (else $UPGRADE_MODULES); none selects every module. */
	const char **modules;
	size_t nmodules;
	/* --cache-dir, else $XDG_CACHE_HOME/upgrade or ~/.cache/upgrade; --no-cache. */
	const char *cache_dir;
	int no_cache;
	/* validate --allow-empty: no catalog at all is no error. */
	int allow_empty;
	/* run --targets FILE: the fleet to upgrade instead of one database. */
	const char *targets;

	enum cli_format format;
	int color;   /* resolved: 1 only when stdout is a terminal, unless forced */
	int verbose;
	int quiet;
};

/*
 * One option: the long name, getopt_long's has_arg, the value the parser
 * hands to the command (a letter is also accepted as -LETTER), the name of
 * its argument and one line of help.  The parser and the help are both
 * made from these tables, so that the help cannot miss an option.  group,
 * when set, heads the options from this one on in the help.
 */
struct cli_opt {
	const char *name;
	int has_arg;
	int val;
	const char *arg;
	const char *help;
	const char *group;
};

/*
 * One command: name, a synopsis line for --help, one line of summary, its
 * entry point and its options (NULL for none; a NULL name ends the table).
 * run gets argv with argv[0] = the command name and returns an exit status.
 */
struct cli_command {
	const char *name;
	const char *synopsis;
	const char *summary;
	int (*run)(struct cli *cli, int argc, char **argv);
	const struct cli_opt *options;
};

/*
 * Called for each command-specific option (long-only options use values
 * from 512 up): c is the option's value from the
 * command's option table, arg its argument or NULL.  Returns CLI_EXIT_OK or
 * an exit status (after printing why).
 */
typedef int (*cli_option_fn)(struct cli *cli, int c, const char *arg, void *state);

/*
 * Parses argv[1..] accepting the global options plus the options of the
 * command cli->command has in its table entry.  On success *first_arg is
 * the index of the first operand.  Prints a one-line error and returns
 * CLI_EXIT_USAGE on a bad option or a missing argument; returns -1 when
 * --help or --version was handled (the caller exits 0).
 */
int cli_parse_options(struct cli *cli, int argc, char **argv, cli_option_fn fn, void *state,
                      int *first_arg);

/*
 * Opens the connection chosen by the global options; prints the error and
 * returns CLI_EXIT_CONNECT (or CLI_EXIT_USAGE) on failure, leaving *out NULL.
 */
int cli_connect(struct cli *cli, struct upgrade_conn **out);

/* "upgrade: error: ..." on stderr. */
void cli_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The signals that stop a run or a fleet: SIGHUP, SIGINT, SIGTERM. */
#define CLI_NSTOP_SIGNALS 3
extern const int cli_stop_signals[CLI_NSTOP_SIGNALS];
/* A stop signal (HUP, INT, TERM) then says so, in JSON too, before it ends the process. */
void cli_say_when_stopped(const struct cli *cli);
/* A one-line usage error; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * An error at FILE:LINE of a file the command line named (a targets
 * file): on standard error, and with --format json as an error object with
 * that file and line.  Returns CLI_EXIT_USAGE.
 */
/*
 * A failed task as standard error says it, without the program's name:
 * "task M:T failed in S at statement N of M: message"; the JSON error
 * object repeats it.  malloc'ed; NULL when out of memory.
 */
char *cli_task_failure_text(const struct upgrade_event *ev);
int cli_usage_error_at(const struct cli *cli, const char *file, unsigned long line,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Loads and prepares the catalogs named by -T and by paths (else
 * $UPGRADE_TASKS_PATH, else the task directory) with the -D values.
 * Returns CLI_EXIT_OK with the prepared catalog in *out; CLI_EXIT_CATALOG
 * (or CLI_EXIT_SOFTWARE when memory ran out) with the unprepared catalog in
 * *out, to be handed to cli_catalog_failed(); or another status with *out
 * NULL after printing why.
 */
int cli_load_catalog(struct cli *cli, const char *const *paths, size_t npaths,
                     struct upgrade_catalog **out);
/*
 * Prints every diagnostic of cat as "FILE:LINE: error: [OBJECT: ]MESSAGE"
 * on stderr, frees cat and returns CLI_EXIT_CATALOG.
 */
int cli_catalog_failed(struct cli *cli, struct upgrade_catalog *cat);
/* Prints a catalog's diagnostics to stderr; returns how many. */
int cli_print_catalog_diags(const struct cli *cli, const struct upgrade_catalog *cat);

/*
 * JSON output (json.c): one object a line on stdout, each with a "type";
 * tasks/upgrade-output.schema.json describes them all.
 */
#define CLI_JSON_SCHEMA_VERSION "1"
/* A new object with "type": type; NULL when out of memory. */
json_object *cli_json_object(const char *type);
/* Prints o as one line on stdout and frees it; NULL prints nothing. */
void cli_json_print(json_object *o);
/*
 * Writes o as one line on stdout, keeping it: bytes that are not UTF-8
 * (a file name's, a driver's message) become U+FFFD.  0, or EOF.
 */
int cli_json_write(json_object *o);
/* Adds key: the current time in RFC 3339, UTC, in milliseconds. */
void cli_json_add_time(json_object *o, const char *key);
/* An SQLSTATE as JSON: null for "" or NULL (no database error). */
json_object *cli_json_sqlstate(const char *sqlstate);
/* The name of an exit status ("connect", "usage"...): the "code" of error objects. */
const char *cli_exit_name(int status);
/* Remembers an error's text and SQLSTATE (either NULL to keep) for the final error object. */
void cli_note_error(const char *message, const char *sqlstate);
/* Prints an error object now; file, object NULL and line 0 when they do not apply. */
void cli_json_error(int status, const char *message, const char *sqlstate, const char *file,
                    unsigned long line, const char *object);
/*
 * With --format json, a failure status that no error object has explained
 * yet gets one, from the last noted error; called once, before exiting.
 */
void cli_json_finish(const struct cli *cli, int status);

/* Appends to a growable array of borrowed strings; -1 when out of memory. */
int cli_push(const char ***list, size_t *n, const char *value);

/*
 * Called after a write to stdout failed: when stdout is a pipe or a socket,
 * its reader has gone (`upgrade run | head -1`), and stdout, with what is
 * still buffered, goes to /dev/null so that the command can go on to its
 * end and its own exit status; returns 1.  Returns 0 for anything else (a
 * full disk), which stays an error.
 */
int cli_mute_gone_stdout(void);

/* Milliseconds on a clock that never goes back, for elapsed times. */
long cli_now_ms(void);

/* Options of the commands that work on schemas (run, status, baseline, mark, unmark). */
enum {
	CLI_OPT_SCHEMA = 600,
	CLI_OPT_SCHEMAS,
	CLI_OPT_LOCK_TIMEOUT
};

/* The schema options alone, for commands that take no lock (log). */
#define CLI_SCHEMA_LONGOPTS                                                               \
	{"schema", required_argument, CLI_OPT_SCHEMA, "NAME",                             \
	 "work on this schema (repeatable)", NULL},                                       \
	{"schemas", required_argument, CLI_OPT_SCHEMAS, "PATTERN",                        \
	 "work on every schema matching this shell pattern (repeatable)", NULL}

#define CLI_RUNNER_LONGOPTS                                                               \
	CLI_SCHEMA_LONGOPTS,                                                              \
	{"lock-timeout", required_argument, CLI_OPT_LOCK_TIMEOUT, "S",                    \
	 "seconds to wait for a schema's lock (default 300)", NULL}

struct cli_runner_opts {
	const char **schemas;
	size_t nschemas;
	const char **patterns;
	size_t npatterns;
	long lock_timeout_ms;
	int lock_timeout_set;
};

/* Applies a runner option; -2 when c is not one. */
int cli_runner_option(struct cli *cli, int c, const char *arg, struct cli_runner_opts *o);
/* A runner on cat with the options of o; prints why and returns an exit status on failure. */
int cli_make_runner(struct cli *cli, struct upgrade_catalog *cat, const struct cli_runner_opts *o,
                    struct upgrade_runner **out);
/* What run, status, baseline, mark and unmark work with. */
struct cli_session {
	struct upgrade_catalog *cat;
	struct upgrade_conn *conn;
	struct upgrade_runner *runner;
	int first; /* index of the first operand in argv */
};

/*
 * The start those commands share: parses the options (the global ones plus
 * the command's own through fn), checks that there are exactly operands
 * operands (0, or 1 task id), loads the catalog, connects and builds the
 * runner.  Returns an exit status; close the session in any case.
 */
int cli_session_open(struct cli *cli, int argc, char **argv, cli_option_fn fn, void *state,
                     struct cli_runner_opts *ro, int operands, struct cli_session *s);
void cli_session_close(struct cli_session *s, struct cli_runner_opts *ro);

/*
 * run --targets (fleet.c): runs `argv` (the run command's words, argv[0]
 * "run") once per target of cli->targets, in child processes, without the
 * words in drop (--targets and its file), up to jobs targets at once; with
 * keep_going, a failed target stops no other.  Returns the exit status
 * that sums up the targets'.
 */
int cli_fleet_run(struct cli *cli, int argc, char **argv, char *const *drop, size_t ndrop, int jobs,
                  int keep_going);

/* The exit status for a runner's return code outside any task. */
int cli_runner_exit(int code);

/* The command table, NULL-name terminated. */
extern const struct cli_command cli_commands[];
/* The commands' option tables, NULL-name terminated. */
extern const struct cli_opt cli_graph_options[];
extern const struct cli_opt cli_run_options[];
extern const struct cli_opt cli_status_options[];
extern const struct cli_opt cli_sql_options[];
extern const struct cli_opt cli_repair_options[];
extern const struct cli_opt cli_log_options[];
extern const struct cli_opt cli_validate_options[];
extern const struct cli_opt cli_check_install_options[];
const struct cli_command *cli_find_command(const char *name);
/* The global options (main.c), for the parser and the help. */
extern const struct cli_opt cli_global_options[];
/* Whether option o has a short form: its value is a letter. */
int cli_opt_letter(const struct cli_opt *o);
/* The command list and the global options, on to (help.c). */
void cli_global_help(const struct cli *cli, FILE *to);
void cli_command_help(const struct cli *cli, const struct cli_command *cmd, FILE *to);

/* Commands. */
int cmd_info(struct cli *cli, int argc, char **argv);
int cmd_validate(struct cli *cli, int argc, char **argv); /* catalogs */
int cmd_check_install(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_graph(struct cli *cli, int argc, char **argv);
int cmd_run(struct cli *cli, int argc, char **argv); /* running upgrades */
int cmd_status(struct cli *cli, int argc, char **argv);
int cmd_sql(struct cli *cli, int argc, char **argv);
int cmd_baseline(struct cli *cli, int argc, char **argv);
int cmd_mark(struct cli *cli, int argc, char **argv);
int cmd_unmark(struct cli *cli, int argc, char **argv);
int cmd_log(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);

#endif /* UPGRADE_CLI_H */
