/* SPDX-License-Identifier: MIT */
/*
 * runner-bench.c - how fast the runner applies and skips tasks, compared
 * with a plain ODBC program executing the same statements, and how much
 * memory it needs.
 *
 *   runner-bench gen DIR TASKS [insert|create]
 *       writes DIR/bench.xml: module bench.runner with the task t0000 and
 *       TASKS more tasks t0001..; task n is one statement,
 *       "INSERT INTO bench_rows (id) VALUES (n)" (insert, the default) or
 *       "CREATE TABLE bench_tn (id INTEGER)" (create);
 *   runner-bench sql FILE FIRST LAST [insert|create] [psql] [state]
 *       writes the statements of tasks FIRST..LAST, one a line; with psql,
 *       each as "BEGIN;", the statement with ";", "COMMIT;"; with state,
 *       each followed by the state writes the runner makes for it (as
 *       literals; one statement with psql, two without, and then an empty
 *       line ending the transaction, for odbc -t);
 *   runner-bench odbc [-i SQL] [-b BYTES] [-g BYTES] [-m MODE] [-t [-1|-2]] CONNECT FILE
 *       the plain ODBC program: SQLDriverConnect, autocommit off, then for
 *       each line of FILE SQLExecDirect and SQLEndTran(SQL_COMMIT) (with -t,
 *       the lines up to an empty one, then one commit; with -1, those
 *       lines and a COMMIT joined by ";" into one SQLExecDirect, each
 *       result checked with SQLMoreResults: one round trip a transaction
 *       where the driver sends a batch as one message; with -2, the first
 *       line alone, then the others and the COMMIT as one batch); -i runs
 *       SQL first (outside the timing); with -b or -g it also rewrites, in
 *       each transaction, one row of a table bench_state with a text of
 *       -b bytes in the first transaction, growing by -g bytes in each
 *       (the runner's state write, imitated), with a statement prepared
 *       once (-m reuse, the default), or on a new statement handle each
 *       time, prepared and executed (-m prepare, as src/db.c does) or
 *       bound and executed directly (-m direct); libupgrade is not
 *       involved;
 *   runner-bench run [-r N] [-j N] [-s SCHEMA]... [-p PATTERN]... [-b] CONNECT CATALOG
 *       loads and prepares CATALOG, connects N times (timed apart; the
 *       last connection is kept), then times upgrade_runner_run() (-b:
 *       upgrade_runner_baseline()) N times on it with jobs -j and the
 *       schemas -s and patterns -p, and prints the median connect time,
 *       the first, median and best run, the tasks executed in the first
 *       run, the tasks baselined, the peak RSS (getrusage) and the heap in
 *       use at the end (mallinfo2);
 *   runner-bench connstr DBFILE
 *       prints the connection string upgrade --database DBFILE uses;
 *   runner-bench time COMMAND [ARG...]
 *       runs COMMAND and prints its wall time, CPU time and peak RSS
 *       (wait4) on standard error.
 *
 * Results are printed as one line "WHAT: key=value ...", for the script.
 * CONNECT is an ODBC connection string, or sqlite:FILE for
 * upgrade_conn_connect_sqlite() (run only).  bench/runner-bench.sh drives
 * all of it; bench/README.md has the figures and how to reproduce them.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sql.h>
#include <sqlext.h>

#include "upgrade.h"

#include "benchutil.h"

#define MODULE "bench.runner"
#define STATE_UPDATE "UPDATE bench_state SET state = ? WHERE module = '" MODULE "'"

enum { MODE_REUSE, MODE_PREPARE, MODE_DIRECT };

static int
parse_long(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= 0 ? 0 : -1;
}

static void
statement(char *buf, size_t size, long n, int create)
{
	if (create)
		snprintf(buf, size, "CREATE TABLE bench_t%04ld (id INTEGER)", n);
	else
		snprintf(buf, size, "INSERT INTO bench_rows (id) VALUES (%ld)", n);
}

static int
kind_create(const char *kind)
{
	if (kind == NULL || strcmp(kind, "insert") == 0)
		return 0;
	if (strcmp(kind, "create") == 0)
		return 1;
	return -1;
}

/* ---- gen, sql -------------------------------------------------------------- */

static int
generate(const char *dir, long tasks, int create)
{
	char path[4096], sql[128];
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/bench.xml", dir);
	f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		return 1;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	           "<module xmlns=\"urn:upgrade:catalog:1\" name=\"" MODULE "\">\n"
	           "  <description>Runner benchmark: one small statement per task.</description>\n");
	for (n = 0; n <= tasks; n++) {
		statement(sql, sizeof sql, n, create);
		fprintf(f, "  <task name=\"t%04ld\"><sql>%s</sql></task>\n", n, sql);
	}
	fprintf(f, "</module>\n");
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/*
 * The state writes of task n as the runner makes them, with literals: the
 * module's row with executed_tasks t0000..tn, and the task's row; on
 * PostgreSQL (pg) in one statement, as the runner does there.
 */
static void
state_writes(FILE *f, long n, int pg)
{
	static const char task_insert[] =
	        "INSERT INTO \"upgrade_tasks\" (module, task, executed_at, duration_ms, checksum, how) "
	        "VALUES ('" MODULE "', 't%04ld', '2026-11-25 12:00:00.000000', '0', "
	        "'7dabc9ead792e598c1c9df3f2a29cc6e105fb5c3182f5f1706a46bff7f1661f6', 'run') "
	        "ON CONFLICT (module, task) DO UPDATE SET executed_at = excluded.executed_at, "
	        "duration_ms = excluded.duration_ms, checksum = excluded.checksum, how = excluded.how";
	long i;

	if (pg) {
		fputs("WITH task_rows AS (", f);
		fprintf(f, task_insert, n);
		fputs(") ", f);
	}
	fputs("UPDATE \"upgrades\" SET state = '{\"executed_tasks\":[", f);
	for (i = 0; i <= n; i++)
		fprintf(f, "%s\"t%04ld\"", i > 0 ? "," : "", i);
	fputs("]}', modified = '2026-11-25 12:00:00.000000' WHERE module = '" MODULE "'", f);
	if (pg) {
		fputs(";\n", f);
	} else {
		fputs("\n", f);
		fprintf(f, task_insert, n);
		fputs("\n", f);
	}
}

static int
write_sql(const char *path, long first, long last, int create, int psql, int state)
{
	FILE *f = fopen(path, "w");
	char sql[128];
	long n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	for (n = first; n <= last; n++) {
		statement(sql, sizeof sql, n, create);
		if (psql) {
			fprintf(f, "BEGIN;\n%s;\n", sql);
			if (state)
				state_writes(f, n, 1);
			fputs("COMMIT;\n", f);
		} else if (state) {
			fprintf(f, "%s\n", sql);
			state_writes(f, n, 0);
			fputs("\n", f);
		} else {
			fprintf(f, "%s\n", sql);
		}
	}
	if (fclose(f) != 0) {
		perror(path);
		return 1;
	}
	return 0;
}

/* ---- the plain ODBC program -------------------------------------------------- */

static void
odbc_fail(SQLSMALLINT type, SQLHANDLE h, const char *what)
{
	SQLCHAR state[8], msg[1024];
	SQLINTEGER native;
	SQLSMALLINT len, i;

	fprintf(stderr, "runner-bench: %s failed\n", what);
	for (i = 1; SQL_SUCCEEDED(SQLGetDiagRec(type, h, i, state, &native, msg, sizeof msg, &len)); i++)
		fprintf(stderr, "  [%s] %s\n", state, msg);
}

static int
odbc_exec(SQLHSTMT st, const char *sql)
{
	SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);

	if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
		odbc_fail(SQL_HANDLE_STMT, st, sql);
		return -1;
	}
	SQLFreeStmt(st, SQL_CLOSE);
	return 0;
}

/* Executes a batch of statements, every one of whose results must succeed. */
static int
odbc_exec_batch(SQLHSTMT st, const char *sql)
{
	SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
	int n = 1;

	while (SQL_SUCCEEDED(rc) || rc == SQL_NO_DATA) {
		rc = SQLMoreResults(st);
		if (rc == SQL_NO_DATA) {
			SQLFreeStmt(st, SQL_CLOSE);
			return 0;
		}
		n++;
	}
	fprintf(stderr, "runner-bench: statement %d of the batch failed\n", n);
	odbc_fail(SQL_HANDLE_STMT, st, sql);
	return -1;
}

static int
plain_odbc(const char *connect, const char *file, const char *init, long base, long grow,
           int mode, int grouped)
{
	SQLHENV env = SQL_NULL_HENV;
	SQLHDBC dbc = SQL_NULL_HDBC;
	SQLHSTMT st = SQL_NULL_HSTMT, up = SQL_NULL_HSTMT;
	char line[65536], *state = NULL, *batch = NULL;
	size_t batch_len = 0;
	SQLLEN state_len = 0;
	long count = 0;
	int first = 1;
	double t0, t_conn, t_loop;
	struct rusage ru;
	FILE *f;
	int ret = 1;

	f = fopen(file, "r");
	if (f == NULL) {
		perror(file);
		return 1;
	}
	t0 = now_ms();
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env)) ||
	    !SQL_SUCCEEDED(SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
	    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc))) {
		fprintf(stderr, "runner-bench: cannot allocate ODBC handles\n");
		goto done;
	}
	if (!SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)connect, SQL_NTS, NULL, 0, NULL,
	                                    SQL_DRIVER_NOPROMPT))) {
		odbc_fail(SQL_HANDLE_DBC, dbc, "SQLDriverConnect");
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
		dbc = SQL_NULL_HDBC;
		goto done;
	}
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st))) {
		odbc_fail(SQL_HANDLE_DBC, dbc, "SQLAllocHandle");
		goto done;
	}
	if (init != NULL && odbc_exec(st, init) != 0)
		goto done;
	if (base > 0 || grow > 0) {
		/* The runner's state write, imitated: one row, rewritten whole in every transaction. */
		if (odbc_exec(st, "CREATE TABLE IF NOT EXISTS bench_state (module VARCHAR(255) "
		                       "NOT NULL PRIMARY KEY, state TEXT NOT NULL)") != 0 ||
		    odbc_exec(st, "DELETE FROM bench_state") != 0 ||
		    odbc_exec(st, "INSERT INTO bench_state VALUES ('" MODULE "', '')") != 0)
			goto done;
		if (mode == MODE_REUSE && (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc, &up)) ||
		                           !SQL_SUCCEEDED(SQLPrepare(up, (SQLCHAR *)STATE_UPDATE, SQL_NTS)))) {
			odbc_fail(SQL_HANDLE_DBC, dbc, "preparing the state update");
			goto done;
		}
	}
	if (!SQL_SUCCEEDED(SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0))) {
		odbc_fail(SQL_HANDLE_DBC, dbc, "autocommit off");
		goto done;
	}
	t_conn = now_ms() - t0;
	t0 = now_ms();
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (grouped > 1) {
			/* One batch: the transaction's statements and its COMMIT in one string. */
			const char *add = line[0] != '\0' ? line : "COMMIT";
			size_t len = strlen(add);
			char *bigger;

			if (grouped == 3 && first && line[0] != '\0') {
				/* -2: the first statement alone, as the runner sends a task's. */
				first = 0;
				if (odbc_exec(st, line) != 0)
					goto done;
				continue;
			}
			bigger = realloc(batch, batch_len + len + 3);
			if (bigger == NULL)
				goto done;
			batch = bigger;
			/* A line break ends a "--" comment the statement may end with. */
			if (batch_len > 0) {
				memcpy(batch + batch_len, "\n;", 2);
				batch_len += 2;
			}
			memcpy(batch + batch_len, add, len + 1);
			batch_len += len;
			if (line[0] != '\0')
				continue;
			if (odbc_exec_batch(st, batch) != 0)
				goto done;
			batch_len = 0;
			first = 1;
			count++;
			continue;
		}
		if (grouped) {
			/* Statements up to an empty line form one transaction. */
			if (line[0] != '\0') {
				if (odbc_exec(st, line) != 0)
					goto done;
				continue;
			}
		} else if (line[0] == '\0') {
			continue;
		} else if (odbc_exec(st, line) != 0) {
			goto done;
		}
		if (base > 0 || grow > 0) {
			SQLLEN want = state_len == 0 ? base + grow : state_len + grow;
			char *bigger = realloc(state, (size_t)want + 1);
			SQLRETURN rc;

			if (bigger == NULL)
				goto done;
			state = bigger;
			memset(state + state_len, 'x', (size_t)(want - state_len));
			state_len = want;
			state[state_len] = '\0';
			/* reuse: prepared once; prepare: a new statement prepared each time (what
			 * src/db.c does); direct: a new statement, bound and SQLExecDirect'ed. */
			rc = SQL_SUCCESS;
			if (mode != MODE_REUSE)
				rc = SQLAllocHandle(SQL_HANDLE_STMT, dbc, &up);
			if (SQL_SUCCEEDED(rc) && mode == MODE_PREPARE)
				rc = SQLPrepare(up, (SQLCHAR *)STATE_UPDATE, SQL_NTS);
			if (SQL_SUCCEEDED(rc))
				rc = SQLBindParameter(up, 1, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_LONGVARCHAR,
				                      (SQLULEN)state_len, 0, state, state_len, &state_len);
			if (SQL_SUCCEEDED(rc))
				rc = mode == MODE_DIRECT ? SQLExecDirect(up, (SQLCHAR *)STATE_UPDATE, SQL_NTS)
				                         : SQLExecute(up);
			if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
				odbc_fail(SQL_HANDLE_STMT, up, "the state update");
				goto done;
			}
			if (mode == MODE_REUSE) {
				SQLFreeStmt(up, SQL_CLOSE);
			} else {
				SQLFreeHandle(SQL_HANDLE_STMT, up);
				up = SQL_NULL_HSTMT;
			}
		}
		if (!SQL_SUCCEEDED(SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_COMMIT))) {
			odbc_fail(SQL_HANDLE_DBC, dbc, "SQLEndTran");
			goto done;
		}
		count++;
	}
	t_loop = now_ms() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("odbc: statements=%ld connect_ms=%.2f loop_ms=%.2f per_statement_ms=%.3f rss_mib=%.1f\n",
	       count, t_conn, t_loop, count ? t_loop / (double)count : 0.0,
	       (double)ru.ru_maxrss / 1024.0);
	ret = 0;
done:
	fclose(f);
	free(state);
	free(batch);
	if (up != SQL_NULL_HSTMT)
		SQLFreeHandle(SQL_HANDLE_STMT, up);
	if (st != SQL_NULL_HSTMT)
		SQLFreeHandle(SQL_HANDLE_STMT, st);
	if (dbc != SQL_NULL_HDBC) {
		SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_ROLLBACK);
		SQLDisconnect(dbc);
		SQLFreeHandle(SQL_HANDLE_DBC, dbc);
	}
	if (env != SQL_NULL_HENV)
		SQLFreeHandle(SQL_HANDLE_ENV, env);
	return ret;
}

/* ---- the runner, through the library ------------------------------------------- */

struct counts {
	long done, failed, baselined;
	int show;
};

static void
on_event(const struct upgrade_event *ev, void *ud)
{
	struct counts *c = ud;

	if (ev->type == UPGRADE_EVENT_TASK_DONE)
		c->done++;
	else if (ev->type == UPGRADE_EVENT_BASELINE)
		c->baselined += ev->count;
	else if (ev->type == UPGRADE_EVENT_TASK_FAILED) {
		c->failed++;
		fprintf(stderr, "runner-bench: %s: %s failed: %s\n", ev->schema,
		        ev->task != NULL ? upgrade_task_id(ev->task) : "?", ev->message);
	}
}

static int
connect_to(struct upgrade_conn **out, const char *connect)
{
	struct upgrade_conn *conn = NULL;
	int ret;

	if (upgrade_conn_new(&conn) != UPGRADE_OK)
		return UPGRADE_ENOMEM;
	if (strncmp(connect, "sqlite:", 7) == 0)
		ret = upgrade_conn_connect_sqlite(conn, connect + 7);
	else
		ret = upgrade_conn_connect(conn, connect);
	if (ret != UPGRADE_OK) {
		fprintf(stderr, "runner-bench: %s\n", upgrade_conn_error(conn));
		upgrade_conn_free(conn);
		return ret;
	}
	*out = conn;
	return UPGRADE_OK;
}

struct run_opts {
	long repeat;
	int jobs;
	int baseline;
	const char **schemas, **patterns;
	size_t nschemas, npatterns;
};

static int
runner(const char *connect, const char *catalog, const struct run_opts *o)
{
	struct upgrade_catalog *cat = NULL;
	struct upgrade_runner *r = NULL;
	struct upgrade_conn *conn = NULL;
	struct counts c = {0, 0, 0, 0};
	double *conn_ms = calloc((size_t)o->repeat, sizeof *conn_ms);
	double *run_ms = calloc((size_t)o->repeat, sizeof *run_ms);
	double first = 0, t0, cmed, rmed, load_ms;
	struct mallinfo2 mi;
	struct rusage ru;
	long i, executed = 0;
	size_t k;
	int ret = 1, n;

	if (conn_ms == NULL || run_ms == NULL)
		goto done;
	t0 = now_ms();
	if (upgrade_catalog_new(&cat) != UPGRADE_OK || upgrade_catalog_load_path(cat, catalog) != UPGRADE_OK ||
	    upgrade_catalog_prepare(cat) != UPGRADE_OK) {
		fprintf(stderr, "runner-bench: %s: %s\n", catalog, upgrade_catalog_error(cat));
		for (k = 0; k < upgrade_catalog_diag_count(cat); k++) {
			const char *file, *object, *message;
			unsigned long line;
			upgrade_catalog_diag(&file, &line, &object, &message, cat, k);
			fprintf(stderr, "%s:%lu: error: %s: %s\n", file, line, object, message);
		}
		goto done;
	}
	load_ms = now_ms() - t0;
	/* Connecting, timed on its own: every repetition opens a fresh connection. */
	for (i = 0; i < o->repeat; i++) {
		t0 = now_ms();
		if (connect_to(&conn, connect) != UPGRADE_OK)
			goto done;
		conn_ms[i] = now_ms() - t0;
		if (i + 1 < o->repeat) {
			upgrade_conn_free(conn);
			conn = NULL;
		}
	}
	if (upgrade_runner_new(&r, cat) != UPGRADE_OK ||
	    upgrade_runner_set_event_callback(r, on_event, &c) != UPGRADE_OK ||
	    upgrade_runner_set_jobs(r, o->jobs) != UPGRADE_OK) {
		fprintf(stderr, "runner-bench: %s\n", upgrade_runner_error(r));
		goto done;
	}
	for (k = 0; k < o->nschemas; k++)
		upgrade_runner_add_schema(r, o->schemas[k]);
	for (k = 0; k < o->npatterns; k++)
		upgrade_runner_add_schema_pattern(r, o->patterns[k]);
	for (i = 0; i < o->repeat; i++) {
		t0 = now_ms();
		n = o->baseline ? upgrade_runner_baseline(r, conn) : upgrade_runner_run(r, conn);
		run_ms[i] = now_ms() - t0;
		if (n < 0) {
			fprintf(stderr, "runner-bench: %s\n", upgrade_runner_error(r));
			goto done;
		}
		if (i == 0) {
			first = run_ms[0];
			executed = o->baseline ? 0 : n;
		}
	}
	getrusage(RUSAGE_SELF, &ru);
	mi = mallinfo2();
	cmed = median(conn_ms, (size_t)o->repeat);
	rmed = median(run_ms, (size_t)o->repeat); /* sorts: run_ms[0] is the best */
	printf("%s: tasks=%zu load_ms=%.1f repeat=%ld jobs=%d schemas=%zu connect_ms=%.2f first_ms=%.2f "
	       "median_ms=%.2f best_ms=%.2f executed=%ld baselined=%ld rss_mib=%.1f heap_mib=%.1f\n",
	       o->baseline ? "baseline" : "run", upgrade_catalog_task_count(cat), load_ms, o->repeat,
	       o->jobs, upgrade_runner_schemas_ok(r) + upgrade_runner_schemas_failed(r), cmed, first,
	       rmed, run_ms[0], executed, c.baselined,
	       (double)ru.ru_maxrss / 1024.0, (double)mi.uordblks / 1048576.0);
	ret = c.failed > 0;
done:
	upgrade_runner_free(r);
	upgrade_conn_free(conn);
	upgrade_catalog_free(cat);
	free(conn_ms);
	free(run_ms);
	return ret;
}

/* ---- connstr, time ------------------------------------------------------------- */

static int
print_connstr(const char *dbfile)
{
	struct upgrade_conn *conn = NULL;
	char arg[4200];

	snprintf(arg, sizeof arg, "sqlite:%s", dbfile);
	if (connect_to(&conn, arg) != UPGRADE_OK)
		return 1;
	printf("%s\n", upgrade_conn_string(conn));
	upgrade_conn_free(conn);
	return 0;
}

static int
time_command(char **argv)
{
	struct rusage ru;
	double t0 = now_ms(), wall;
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	wall = now_ms() - t0;
	fprintf(stderr, "time: wall_ms=%.1f cpu_ms=%.1f rss_mib=%.1f exit=%d\n", wall,
	        (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	            (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
	        (double)ru.ru_maxrss / 1024.0,
	        WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: runner-bench gen DIR TASKS [insert|create]\n"
	                "       runner-bench sql FILE FIRST LAST [insert|create] [psql] [state]\n"
	                "       runner-bench odbc [-i SQL] [-b BYTES] [-g BYTES] [-m reuse|prepare|direct] [-t [-1|-2]] CONNECT FILE\n"
	                "       runner-bench run [-r N] [-j N] [-s SCHEMA]... [-p PATTERN]... [-b] CONNECT CATALOG\n"
	                "       runner-bench connstr DBFILE\n"
	                "       runner-bench time COMMAND [ARG...]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	long a, b;
	int create, opt;

	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "gen") == 0 && (argc == 4 || argc == 5) && parse_long(argv[3], &a) == 0 &&
	    (create = kind_create(argc == 5 ? argv[4] : NULL)) >= 0)
		return generate(argv[2], a, create);
	if (strcmp(argv[1], "sql") == 0 && argc >= 5 && parse_long(argv[3], &a) == 0 &&
	    parse_long(argv[4], &b) == 0) {
		int i, psql = 0, state = 0;

		create = 0;
		for (i = 5; i < argc; i++) {
			if (strcmp(argv[i], "psql") == 0)
				psql = 1;
			else if (strcmp(argv[i], "state") == 0)
				state = 1;
			else if ((create = kind_create(argv[i])) < 0)
				return usage();
		}
		return write_sql(argv[2], a, b, create, psql, state);
	}
	if (strcmp(argv[1], "connstr") == 0 && argc == 3)
		return print_connstr(argv[2]);
	if (strcmp(argv[1], "time") == 0 && argc >= 3)
		return time_command(argv + 2);
	if (strcmp(argv[1], "odbc") == 0) {
		const char *init = NULL;
		long base = 0, grow = 0;
		int mode = MODE_REUSE, grouped = 0;

		optind = 2;
		while ((opt = getopt(argc, argv, "i:b:g:m:t12")) != -1) {
			if (opt == 't') {
				grouped = grouped > 1 ? grouped : 1;
				continue;
			}
			if (opt == '1' || opt == '2') {
				grouped = opt == '1' ? 2 : 3;
				continue;
			}
			if (opt == 'i')
				init = optarg;
			else if (opt == 'm' && strcmp(optarg, "reuse") == 0)
				mode = MODE_REUSE;
			else if (opt == 'm' && strcmp(optarg, "prepare") == 0)
				mode = MODE_PREPARE;
			else if (opt == 'm' && strcmp(optarg, "direct") == 0)
				mode = MODE_DIRECT;
			else if (opt == 'b' && parse_long(optarg, &base) == 0)
				;
			else if (opt == 'g' && parse_long(optarg, &grow) == 0)
				;
			else
				return usage();
		}
		if (argc - optind != 2 || (grouped > 1 && (base > 0 || grow > 0)))
			return usage();
		return plain_odbc(argv[optind], argv[optind + 1], init, base, grow, mode, grouped);
	}
	if (strcmp(argv[1], "run") == 0) {
		struct run_opts o;
		const char *list[2][256];
		long v;

		memset(&o, 0, sizeof o);
		o.repeat = 1;
		o.jobs = 1;
		o.schemas = list[0];
		o.patterns = list[1];
		optind = 2;
		while ((opt = getopt(argc, argv, "r:j:s:p:b")) != -1) {
			if (opt == 'r' && parse_long(optarg, &v) == 0 && v > 0)
				o.repeat = v;
			else if (opt == 'j' && parse_long(optarg, &v) == 0 && v > 0 && v <= 64)
				o.jobs = (int)v;
			else if (opt == 's' && o.nschemas < 256)
				o.schemas[o.nschemas++] = optarg;
			else if (opt == 'p' && o.npatterns < 256)
				o.patterns[o.npatterns++] = optarg;
			else if (opt == 'b')
				o.baseline = 1;
			else
				return usage();
		}
		if (argc - optind != 2)
			return usage();
		return runner(argv[optind], argv[optind + 1], &o);
	}
	return usage();
}
