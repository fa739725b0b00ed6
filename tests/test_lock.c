/* SPDX-License-Identifier: MIT */
/*
 * test_lock.c - schema locks on SQLite, PostgreSQL and MariaDB: a second
 * holder waits and times out with a message naming the holder; a lock is
 * free again after release and after its holder dies without releasing;
 * on SQLite, every name of the database file is the same lock.  The same
 * holds for PostgreSQL's lock table (transaction pooling), whose rows the
 * holders leave behind them only when they die.
 */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "../src/connection.h"
#include "testutil.h"

static char sqlite_path[300];
/* Applied to the server connections open_conn() opens. */
static enum upgrade_pool_mode pool_mode = UPGRADE_POOL_SESSION;
static int lock_lease;

static struct upgrade_conn *
open_conn(const char *connstr)
{
	struct upgrade_conn *conn = NULL;

	if (connstr != NULL) {
		conn = test_connect_or_fail(connstr);
		if (conn != NULL) {
			upgrade_conn_set_pool_mode(conn, pool_mode);
			upgrade_conn_set_cluster_lock(conn, UPGRADE_CLUSTER_LOCK_AUTO, lock_lease);
		}
		return conn;
	}
	if (upgrade_conn_new(&conn) != UPGRADE_OK)
		return NULL;
	if (upgrade_conn_connect_sqlite(conn, sqlite_path) != UPGRADE_OK) {
		fprintf(stderr, "\n%s\n", upgrade_conn_error(conn));
		upgrade_conn_free(conn);
		return NULL;
	}
	return conn;
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * connstr NULL means the SQLite file (one schema, so one lock per file);
 * holder_word must appear in the timeout message.
 */
static void
contend(const char *connstr, const char *schema, const char *holder_word)
{
	struct upgrade_conn *a = open_conn(connstr), *b = open_conn(connstr);
	struct upg_lock *la = NULL, *lb = NULL;
	double t0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(upg_lock_acquire(a, schema, 0, &la), UPGRADE_OK);
	CU_ASSERT_PTR_NOT_NULL(la);

	t0 = seconds();
	CU_ASSERT_EQUAL(upg_lock_acquire(b, schema, 400, &lb), UPGRADE_ELOCKED);
	CU_ASSERT_PTR_NULL(lb);
	CU_ASSERT_TRUE(seconds() - t0 >= 0.39);
	CU_ASSERT_TRUE(seconds() - t0 < 3.0);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(b), "is locked by another upgrade"));
	if (strstr(upgrade_conn_error(b), holder_word) == NULL)
		fprintf(stderr, "\nholder not named: %s\n", upgrade_conn_error(b));
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(b), holder_word));

	/* Another schema is not affected. */
	if (connstr != NULL) {
		CU_ASSERT_EQUAL(upg_lock_acquire(b, "upg_other_schema", 0, &lb), UPGRADE_OK);
		CU_ASSERT_EQUAL(upg_lock_release(lb), UPGRADE_OK);
		lb = NULL;
	}

	CU_ASSERT_EQUAL(upg_lock_release(la), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_lock_acquire(b, schema, 2000, &lb), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_lock_release(lb), UPGRADE_OK);
	upgrade_conn_free(a);
	upgrade_conn_free(b);
}

/* A child takes the lock and is killed; the parent must get the lock soon after. */
static void
holder_dies(const char *connstr, const char *schema)
{
	int pipefd[2], status;
	pid_t pid;
	char c;
	struct upgrade_conn *b;
	struct upg_lock *lb = NULL;

	CU_ASSERT_EQUAL_FATAL(pipe(pipefd), 0);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_TRUE_FATAL(pid >= 0);
	if (pid == 0) {
		struct upgrade_conn *a = open_conn(connstr);
		struct upg_lock *la = NULL;

		close(pipefd[0]);
		if (a == NULL || upg_lock_acquire(a, schema, 0, &la) != UPGRADE_OK)
			_exit(3);
		if (write(pipefd[1], "L", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(pipefd[1]);
	CU_ASSERT_EQUAL(read(pipefd[0], &c, 1), 1);
	close(pipefd[0]);
	b = open_conn(connstr);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(upg_lock_acquire(b, schema, 200, &lb), UPGRADE_ELOCKED);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT_TRUE(WIFSIGNALED(status));
	CU_ASSERT_EQUAL(upg_lock_acquire(b, schema, 10000, &lb), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_lock_release(lb), UPGRADE_OK);
	upgrade_conn_free(b);
}

static void
test_sqlite(void)
{
	contend(NULL, "main", "pid");
	holder_dies(NULL, "main");
}

/* Two names of one file (a hard link, a symlink) are one lock, in one process too. */
static void
test_sqlite_two_names(void)
{
	char link_path[320], sym_path[320];
	const char *names[2] = {link_path, sym_path};
	struct upgrade_conn *a, *b;
	struct upg_lock *la = NULL, *lb = NULL;
	size_t i;

	a = open_conn(NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	snprintf(link_path, sizeof link_path, "%s.link", sqlite_path);
	snprintf(sym_path, sizeof sym_path, "%s.sym", sqlite_path);
	unlink(link_path);
	unlink(sym_path);
	CU_ASSERT_EQUAL_FATAL(link(sqlite_path, link_path), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(sqlite_path, sym_path), 0);
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&b), UPGRADE_OK);
		CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(b, names[i]), UPGRADE_OK);
		CU_ASSERT_EQUAL_FATAL(upg_lock_acquire(a, "main", 0, &la), UPGRADE_OK);
		CU_ASSERT_EQUAL(upg_lock_acquire(b, "main", 100, &lb), UPGRADE_ELOCKED);
		CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(b), "pid"));
		CU_ASSERT_EQUAL(upg_lock_release(la), UPGRADE_OK);
		CU_ASSERT_EQUAL(upg_lock_acquire(b, "main", 0, &lb), UPGRADE_OK);
		CU_ASSERT_EQUAL(upg_lock_acquire(a, "main", 0, &la), UPGRADE_ELOCKED);
		CU_ASSERT_EQUAL(upg_lock_release(lb), UPGRADE_OK);
		upgrade_conn_free(b);
	}
	upgrade_conn_free(a);
	unlink(link_path);
	unlink(sym_path);
}

static void
test_postgresql(void)
{
	const char *c = TEST_SERVER("UPGRADE_TEST_PG");

	if (c == NULL)
		return;
	contend(c, "upg_lock \"schema\"", "upgrade ");
	holder_dies(c, "upg_lock_dies");
}

/* With transaction pooling the lock is a row of the schema's upgrade_locks, with a lease. */
static void
test_postgresql_table(void)
{
	const char *c = TEST_SERVER("UPGRADE_TEST_PG");
	struct upgrade_conn *conn;
	char *n = NULL;

	if (c == NULL)
		return;
	conn = open_conn(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conn);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "DROP SCHEMA IF EXISTS upg_lock_tbl CASCADE"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "DROP SCHEMA IF EXISTS upg_other_schema CASCADE"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE SCHEMA upg_lock_tbl"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "CREATE SCHEMA upg_other_schema"), UPGRADE_OK);
	pool_mode = UPGRADE_POOL_TRANSACTION;
	lock_lease = 2;
	contend(c, "upg_lock_tbl", "lease until");
	/* Released locks leave no row. */
	CU_ASSERT_EQUAL(upg_db_query_string(conn, "SELECT count(*) FROM upg_lock_tbl.upgrade_locks", &n),
	                UPGRADE_OK);
	CU_ASSERT_STRING_EQUAL(n != NULL ? n : "", "0");
	free(n);
	n = NULL;
	holder_dies(c, "upg_lock_tbl");
	pool_mode = UPGRADE_POOL_SESSION;
	lock_lease = 0;
	CU_ASSERT_EQUAL(upg_db_exec(conn, "DROP SCHEMA upg_lock_tbl CASCADE"), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_db_exec(conn, "DROP SCHEMA upg_other_schema CASCADE"), UPGRADE_OK);
	upgrade_conn_free(conn);
}

static void
test_mariadb(void)
{
	const char *c = TEST_SERVER("UPGRADE_TEST_MARIADB");
	char longname[100];

	if (c == NULL)
		return;
	contend(c, "upg_lock `schema`", "connection ");
	memset(longname, 'x', 80);
	longname[80] = '\0';
	/* Longer than GET_LOCK allows: hashed, still exclusive. */
	contend(c, longname, "connection ");
	holder_dies(c, "upg_lock_dies");
}

static void
test_generic_cannot_lock(void)
{
	struct upgrade_conn *conn;
	struct upg_lock *l = NULL;

	CU_ASSERT_EQUAL_FATAL(upgrade_conn_new(&conn), UPGRADE_OK);
	CU_ASSERT_EQUAL(upgrade_conn_set_dialect(conn, "generic"), UPGRADE_OK);
	CU_ASSERT_EQUAL_FATAL(upgrade_conn_connect_sqlite(conn, sqlite_path), UPGRADE_OK);
	CU_ASSERT_EQUAL(upg_lock_acquire(conn, "x", 0, &l), UPGRADE_EUNSUPPORTED);
	CU_ASSERT_PTR_NOT_NULL(strstr(upgrade_conn_error(conn), "generic dialect cannot lock"));
	upgrade_conn_free(conn);
}

static void
add_suites(void)
{
	TEST_SUITE("lock");
	snprintf(sqlite_path, sizeof sqlite_path, "%s/lock.db", test_tmpdir());
	TEST_ADD(test_sqlite);
	TEST_ADD(test_sqlite_two_names);
	TEST_ADD(test_postgresql);
	TEST_ADD(test_postgresql_table);
	TEST_ADD(test_mariadb);
	TEST_ADD(test_generic_cannot_lock);
}

int
main(void)
{
	return test_run(add_suites);
}
