/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - what every CUnit test binary shares: a main() that exits
 * non-zero on any failed assertion, and access to the test databases that
 * tests/testdb.sh starts.
 *
 * A test that needs a server and finds no connection string fails; it
 * never skips, so a missing server cannot turn the suite green.
 */
#ifndef UPG_TESTUTIL_H
#define UPG_TESTUTIL_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upgrade.h"

/*
 * UPGRADE_TEST_SERVERS=none: a run without database servers, as a package
 * build is.  Only then does a test skip what needs a server.
 */
static inline int
test_server_free(void)
{
	const char *v = getenv("UPGRADE_TEST_SERVERS");

	return v != NULL && strcmp(v, "none") == 0;
}

/*
 * The value of env var name, or NULL after failing the running test (or,
 * in a run without servers, after saying that it is skipped).
 */
static inline const char *
test_server_at(const char *name, const char *file, unsigned int line)
{
	const char *v = getenv(name);
	char msg[256];

	if (v != NULL && v[0] != '\0')
		return v;
	/* Asked for explicitly (a package build has no servers): skip, and say so. */
	if (test_server_free()) {
		fprintf(stderr, "\n%s:%u: skipped: %s; UPGRADE_TEST_SERVERS=none\n", file, line, name);
		return NULL;
	}
	fprintf(stderr, "\n%s:%u: %s is not set: start the test servers with tests/testdb.sh "
	                "(tests/check.sh does)\n", file, line, name);
	snprintf(msg, sizeof msg, "%s is not set", name);
	CU_assertImplementation(CU_FALSE, line, msg, file, "", CU_FALSE);
	return NULL;
}

#define TEST_SERVER(name) test_server_at((name), __FILE__, __LINE__)

/*
 * A connection to connstr, or NULL after failing the running test (also
 * when connstr is NULL because TEST_SERVER already failed it).
 */
static inline struct upgrade_conn *
test_connect_or_fail(const char *connstr)
{
	struct upgrade_conn *conn = NULL;

	if (connstr == NULL)
		return NULL;
	if (upgrade_conn_new(&conn) != UPGRADE_OK) {
		CU_FAIL("upgrade_conn_new");
		return NULL;
	}
	if (upgrade_conn_connect(conn, connstr) != UPGRADE_OK) {
		fprintf(stderr, "\n%s\n", upgrade_conn_error(conn));
		CU_FAIL("cannot connect");
		upgrade_conn_free(conn);
		return NULL;
	}
	return conn;
}

/* A fresh directory for SQLite files, removed by test_tmpdir_cleanup(). */
static char test_tmpdir_path[256];

static inline const char *
test_tmpdir(void)
{
	if (test_tmpdir_path[0] == '\0') {
		const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
		snprintf(test_tmpdir_path, sizeof test_tmpdir_path, "%s/upgrade-test.XXXXXX", base);
		if (mkdtemp(test_tmpdir_path) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
	}
	return test_tmpdir_path;
}

/*
 * Whether dir and every directory above it are owned by root or by us and
 * writable by neither group nor others: the only places upgrade loads a
 * native library from (upgrade_context(3)).
 */
static inline int
test_is_trusted(const char *dir)
{
	char path[4096], *slash;
	struct stat st;

	if (realpath(dir, path) == NULL)
		return 0;
	for (;;) {
		if (stat(path[0] != '\0' ? path : "/", &st) != 0)
			return 0;
		if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022) != 0)
			return 0;
		if (path[0] == '\0' || strcmp(path, "/") == 0)
			return 1;
		slash = strrchr(path, '/');
		*slash = '\0';
	}
}

/*
 * A fresh directory from which native libraries may be loaded: below the
 * build tree when it is trusted, else below $HOME (a build in /tmp, which
 * anyone may write).  Exits when neither is; removed by
 * test_tmpdir_cleanup().
 */
static char test_trusted_path[512];

static inline const char *
test_trusted_dir(void)
{
	char base[400];
	const char *bases[2];
	size_t i;

	if (test_trusted_path[0] != '\0')
		return test_trusted_path;
	snprintf(base, sizeof base, "%s/tests",
	         getenv("top_builddir") != NULL ? getenv("top_builddir") : ".");
	bases[0] = base;
	bases[1] = getenv("HOME");
	for (i = 0; i < 2; i++) {
		if (bases[i] == NULL || !test_is_trusted(bases[i]))
			continue;
		snprintf(test_trusted_path, sizeof test_trusted_path, "%s/upgrade-native.XXXXXX",
		         bases[i]);
		if (mkdtemp(test_trusted_path) != NULL && chmod(test_trusted_path, 0755) == 0)
			return test_trusted_path;
		test_trusted_path[0] = '\0';
	}
	fprintf(stderr, "no trusted directory for native libraries: neither %s nor $HOME\n", base);
	exit(2);
}

static inline void
test_tmpdir_cleanup(void)
{
	char cmd[600];

	if (test_trusted_path[0] != '\0') {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_trusted_path);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not remove %s\n", test_trusted_path);
	}
	if (test_tmpdir_path[0] == '\0')
		return;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir_path);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", test_tmpdir_path);
}

static inline int
test_run(void (*add_suites)(void))
{
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	add_suites();
	if (CU_get_error() != CUE_SUCCESS) {
		fprintf(stderr, "cannot register tests: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	test_tmpdir_cleanup();
	return failures == 0 ? 0 : 1;
}

#define TEST_SUITE(name) CU_pSuite suite = CU_add_suite(name, NULL, NULL)
#define TEST_ADD(fn) CU_add_test(suite, #fn, fn)

#endif /* UPG_TESTUTIL_H */
