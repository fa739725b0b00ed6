/* SPDX-License-Identifier: MIT */
/*
 * context-bench.c - add_column_with_defaults against the statements one
 * would write by hand, on a table of N rows.
 *
 *   context-bench ENGINE ROWS MODE
 *
 * ENGINE is sqlite (a file in $TMPDIR), pg or mariadb (the connection
 * strings of tests/testdb.sh: $UPGRADE_TEST_PG, $UPGRADE_TEST_MARIADB).
 * MODE is one of
 *   hand-const  ALTER TABLE ADD COLUMN; UPDATE t SET c = 'constant'
 *   ctx-const   upgrade_context_add_column_with_defaults, fill.value
 *   hand-expr   ALTER TABLE ADD COLUMN; UPDATE t SET c = qty * 2
 *   ctx-expr    upgrade_context_add_column_with_defaults, fill.sql
 *   ctx-fn      upgrade_context_add_column_with_defaults, fill.fn (per row)
 * and the -nn variants of the ctx modes make the column NOT NULL.
 *
 * The table (id primary key, qty, a 40-byte text) is made and filled on
 * the server side first; then the timed part runs in one transaction,
 * commit included.  Prints one line: engine, rows, mode, seconds, peak RSS
 * before and after the timed part (KiB, getrusage).  One process per
 * measurement, so that the peak RSS belongs to it alone.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../src/connection.h"
#include "upgrade.h"

#include "benchutil.h"

static long
max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int
exec(struct upgrade_conn *conn, const char *sql)
{
	if (upg_db_exec(conn, sql) != UPGRADE_OK) {
		fprintf(stderr, "%s\n  -> %s\n", sql, upgrade_conn_error(conn));
		return -1;
	}
	return 0;
}

/* The new value from qty, as the expression would compute it. */
static int
twice(const char **value, const struct upgrade_row *row, void *userdata)
{
	char *buf = userdata;

	snprintf(buf, 32, "%ld", row->values[0] != NULL ? strtol(row->values[0], NULL, 10) * 2 : 0);
	*value = buf;
	return 0;
}

static int
setup(struct upgrade_conn *conn, const char *engine, long rows)
{
	char sql[512];

	exec(conn, "DROP TABLE IF EXISTS bench");
	if (exec(conn, "CREATE TABLE bench (id INTEGER PRIMARY KEY, qty INTEGER, "
	               "pad VARCHAR(40))") != 0)
		return -1;
	/* Rows are made by the engine itself: the client's memory stays out of it. */
	if (strcmp(engine, "pg") == 0)
		snprintf(sql, sizeof sql,
		         "INSERT INTO bench SELECT i, i %% 1000, md5(i::text) FROM "
		         "generate_series(1, %ld) i",
		         rows);
	else if (strcmp(engine, "mariadb") == 0)
		snprintf(sql, sizeof sql,
		         "INSERT INTO bench SELECT seq, seq %% 1000, md5(seq) FROM seq_1_to_%ld",
		         rows);
	else
		snprintf(
		    sql, sizeof sql,
		    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %ld) "
		    "INSERT INTO bench SELECT i, i %% 1000, hex(randomblob(20)) FROM c",
		    rows);
	if (exec(conn, sql) != 0)
		return -1;
	if (strcmp(engine, "pg") == 0)
		return exec(conn, "VACUUM ANALYZE bench");
	return 0;
}

int
main(int argc, char **argv)
{
	struct upgrade_conn *conn = NULL;
	struct upgrade_context *ctx = NULL;
	const char *engine, *mode;
	struct upgrade_column col;
	struct upgrade_fill fill;
	char path[512], buf[32];
	long rows, rss0, rss1;
	double t0, t1;
	int ret = 1, nn;

	if (argc != 4) {
		fprintf(stderr, "usage: context-bench sqlite|pg|mariadb ROWS MODE\n");
		return 2;
	}
	engine = argv[1];
	rows = strtol(argv[2], NULL, 10);
	mode = argv[3];
	nn = strstr(mode, "-nn") != NULL;
	if (upgrade_conn_new(&conn) != UPGRADE_OK)
		return 1;
	if (strcmp(engine, "sqlite") == 0) {
		snprintf(path, sizeof path, "%s/context-bench-%ld.db",
		         getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp", (long)getpid());
		ret = upgrade_conn_connect_sqlite(conn, path);
	} else {
		const char *s =
		    getenv(strcmp(engine, "pg") == 0 ? "UPGRADE_TEST_PG" : "UPGRADE_TEST_MARIADB");

		ret = s != NULL ? upgrade_conn_connect(conn, s) : UPGRADE_EINVAL;
	}
	if (ret != UPGRADE_OK) {
		fprintf(stderr, "cannot connect: %s\n", upgrade_conn_error(conn));
		goto done;
	}
	ret = 1;
	if (setup(conn, engine, rows) != 0 || upgrade_context_new(&ctx, conn, NULL) != UPGRADE_OK)
		goto done;

	upgrade_column_init(&col, UPGRADE_COLUMN_VERSION);
	col.name = "c";
	col.type = strstr(mode, "const") != NULL ? "varchar(20)" : "bigint";
	col.not_null = nn;
	upgrade_fill_init(&fill, UPGRADE_FILL_VERSION);
	rss0 = max_rss_kib();
	t0 = now_ms() / 1e3;
	if (upg_db_begin(conn) != UPGRADE_OK)
		goto done;
	if (strcmp(mode, "hand-const") == 0) {
		if (exec(conn, "ALTER TABLE bench ADD COLUMN c VARCHAR(20)") != 0 ||
		    exec(conn, "UPDATE bench SET c = 'constant'") != 0)
			goto done;
	} else if (strcmp(mode, "hand-expr") == 0) {
		if (exec(conn, "ALTER TABLE bench ADD COLUMN c BIGINT") != 0 ||
		    exec(conn, "UPDATE bench SET c = qty * 2") != 0)
			goto done;
	} else {
		if (strncmp(mode, "ctx-const", 9) == 0) {
			fill.value = "constant";
		} else if (strncmp(mode, "ctx-expr", 8) == 0) {
			fill.sql = "qty * 2";
		} else if (strncmp(mode, "ctx-fn", 6) == 0) {
			static const char *const qty[] = {"qty", NULL};

			fill.fn = twice;
			fill.userdata = buf;
			fill.columns = qty;
		} else {
			fprintf(stderr, "unknown mode %s\n", mode);
			goto done;
		}
		if (upgrade_context_add_column_with_defaults(ctx, "bench", &col, &fill) !=
		    UPGRADE_OK) {
			fprintf(stderr, "%s\n", upgrade_context_error(ctx));
			goto done;
		}
	}
	if (upg_db_commit(conn) != UPGRADE_OK)
		goto done;
	t1 = now_ms() / 1e3;
	rss1 = max_rss_kib();
	/* A check that the work was done: no row left without a value. */
	{
		char *left = NULL;

		if (upg_db_query_string(conn, "SELECT COUNT(*) FROM bench WHERE c IS NULL",
		                        &left) != UPGRADE_OK ||
		    left == NULL || strcmp(left, "0") != 0) {
			fprintf(stderr, "rows left unfilled: %s\n", left != NULL ? left : "?");
			free(left);
			goto done;
		}
		free(left);
	}
	printf("%s %ld %s %.3f %ld %ld\n", engine, rows, mode, t1 - t0, rss0, rss1);
	exec(conn, "DROP TABLE bench");
	ret = 0;
done:
	upgrade_context_free(ctx);
	upgrade_conn_free(conn);
	if (strcmp(engine, "sqlite") == 0)
		unlink(path);
	return ret;
}
