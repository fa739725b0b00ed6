/* SPDX-License-Identifier: MIT */
/*
 * lock-table.c - a schema lock that needs no server session: a row of the
 * table upgrade_locks, for the engines whose session locks do not reach
 * far enough (GET_LOCK is local to a Galera node; a PostgreSQL advisory
 * lock stays with a server connection that a transaction pooler hands to
 * other clients).  The protocol is here; the SQL is the dialect's
 * (struct upg_lock_table_sql).
 *
 * The row lives in the locked schema (the connection's current schema for
 * the raw phase), keyed by the lock's name, and is written by autocommit
 * statements, each a transaction of its own: of two holders inserting or
 * taking over the same row at once exactly one commits (Galera certifies
 * at commit and the loser gets 40001; PostgreSQL's second writer waits for
 * the first and then finds the row taken), and the loser has "not
 * acquired".  The row names its holder and carries a lease, expires_at,
 * which a thread of the holder renews every third of the lease on a
 * connection of its own.
 *
 * Staleness rule: a row whose expires_at (UTC) lies in the past by the
 * clock of the server that reads it is free to take over.  A holder that
 * died stops renewing, so its lock is free at most one lease after its
 * last renewal; clocks of the servers must agree to well within the lease.
 * A holder that cannot renew for two thirds of the lease (a stalled
 * network) may lose the lock while it still works.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"

#define LEASE_DEFAULT_MS 30000L

struct upg_table_lock {
	const struct upg_lock_table_sql *sql;
	struct upgrade_conn *renewer; /* a connection of the renewing thread */
	char *table;                  /* the quoted schema.upgrade_locks */
	char *name;                   /* the row's key, the lock's name */
	char token[40];               /* what identifies this holder's row */
	char lease_us[24];
	long lease_ms;
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	int stop;
};

/* The dialect's template with every "%s" replaced by the quoted table; NULL when out of memory. */
static char *
fill(const char *tmpl, const char *table)
{
	struct upg_buf b = UPG_BUF_INIT;
	const char *hole;

	while ((hole = strstr(tmpl, "%s")) != NULL) {
		upg_buf_append(&b, tmpl, (size_t)(hole - tmpl));
		upg_buf_puts(&b, table);
		tmpl = hole + 2;
	}
	upg_buf_puts(&b, tmpl);
	if (b.failed) {
		upg_buf_free(&b);
		return NULL;
	}
	return upg_buf_detach(&b);
}

/* Runs a template that changes rows; *rows may be NULL. */
static int
exec_filled(struct upgrade_conn *conn, const char *tmpl, const char *table, size_t n,
            const char *const *params, long *rows)
{
	char *sql = fill(tmpl, table);
	int ret;

	if (sql == NULL)
		return upg_error_oom(&conn->err);
	ret = upg_db_exec_params(conn, sql, n, params, rows);
	free(sql);
	return ret;
}

/* Runs a template that returns one value into *out (allocated, or NULL). */
static int
query_filled(struct upgrade_conn *conn, const char *tmpl, const char *table, size_t n,
             const char *const *params, char **out)
{
	char *sql = fill(tmpl, table);
	int ret;

	*out = NULL;
	if (sql == NULL)
		return upg_error_oom(&conn->err);
	ret = upg_db_query(conn, sql, n, params, upg_first_value, out);
	free(sql);
	return ret < 0 ? ret : UPGRADE_OK;
}

/*
 * The quoted lock table of the lock's schema in *out (allocated), created
 * when missing.  It is looked up first: on Galera CREATE TABLE is DDL,
 * replicated in total order through the whole cluster even when the table
 * exists, and on PostgreSQL two creators racing through IF NOT EXISTS may
 * still collide in the catalog (23505), so a failed creation counts when
 * the table is there afterwards.
 */
static int
lock_table(struct upg_lock *lock, const struct upg_lock_table_sql *sql, char **out)
{
	struct upgrade_conn *conn = lock->conn;
	char *schema = NULL, *q = NULL, *table = NULL;
	const char *params[1];
	int found = 0, ret;

	*out = NULL;
	if (strcmp(lock->schema, UPG_RAW_LOCK) == 0) {
		ret = upg_db_query_string(conn, sql->current_schema, &schema);
		if (ret != UPGRADE_OK)
			return ret;
		if (schema == NULL)
			return upg_error_set(&conn->err, UPGRADE_EINVAL,
			                     "the lock table needs a current schema (database): name one "
			                     "in the connection string");
	} else if ((schema = upg_strdup(lock->schema)) == NULL) {
		return upg_error_oom(&conn->err);
	}
	if ((ret = upgrade_conn_quote_ident(&q, conn, schema)) != UPGRADE_OK)
		goto done;
	{
		struct upg_buf b = UPG_BUF_INIT;
		char *t = NULL;

		if ((ret = upgrade_conn_quote_ident(&t, conn, UPG_LOCK_TABLE)) != UPGRADE_OK)
			goto done;
		upg_buf_printf(&b, "%s.%s", q, t);
		free(t);
		if (b.failed) {
			upg_buf_free(&b);
			ret = upg_error_oom(&conn->err);
			goto done;
		}
		table = upg_buf_detach(&b);
	}
	params[0] = schema;
	ret = upg_db_query(conn, sql->exists, 1, params, upg_row_seen, &found);
	if (ret < 0)
		goto done;
	ret = UPGRADE_OK;
	if (!found && (ret = exec_filled(conn, sql->create, table, 0, NULL, NULL)) != UPGRADE_OK) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &conn->err);
		found = 0;
		if (upg_db_query(conn, sql->exists, 1, params, upg_row_seen, &found) >= 0 && found) {
			upg_error_clear(&keep);
			ret = UPGRADE_OK;
		} else {
			upg_error_restore(&conn->err, &keep);
			goto done;
		}
	}
	*out = table;
	table = NULL;
done:
	free(table);
	free(schema);
	free(q);
	return ret;
}

/* A certification failure, deadlock or serialization failure means another holder won. */
static int
lost_race(struct upgrade_conn *conn, int ret)
{
	if (ret == UPGRADE_EDB && upg_conn_error_class(conn) == UPG_ERRC_CONFLICT) {
		upg_error_clear(&conn->err);
		return 1;
	}
	return 0;
}

static void
make_token(char *token, size_t size)
{
	unsigned char raw[16];
	FILE *f = fopen("/dev/urandom", "rb");
	size_t i, n = 0;

	if (f != NULL) {
		n = fread(raw, 1, sizeof raw, f);
		fclose(f);
	}
	if (n != sizeof raw) {
		/* Only needs to differ between holders: pid, time and address will do. */
		unsigned long long h = upg_hash62(upg_lock_owner()) ^ (unsigned long long)time(NULL) ^
		                       (unsigned long long)(size_t)&n;
		for (i = 0; i < sizeof raw; i++, h = h * 6364136223846793005ULL + 1)
			raw[i] = (unsigned char)(h >> 56);
	}
	for (i = 0; i < sizeof raw && 2 * i + 2 < size; i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
}

/* Pushes the lease forward; run by the renewing thread on its own connection. */
static void
renew(struct upg_table_lock *t)
{
	const char *params[3] = {t->lease_us, t->name, t->token};

	/* A failed renewal is tried again a third of the lease later, while the lease lasts. */
	exec_filled(t->renewer, t->sql->renew, t->table, 3, params, NULL);
}

static void *
renew_main(void *arg)
{
	struct upg_table_lock *t = arg;
	struct timespec until;
	long step = t->lease_ms / 3;

	pthread_mutex_lock(&t->mutex);
	while (!t->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += step / 1000;
		until.tv_nsec += (step % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!t->stop && pthread_cond_timedwait(&t->cond, &t->mutex, &until) == 0)
			;
		if (t->stop)
			break;
		pthread_mutex_unlock(&t->mutex);
		renew(t);
		pthread_mutex_lock(&t->mutex);
	}
	pthread_mutex_unlock(&t->mutex);
	return NULL;
}

static void
table_lock_free(struct upg_table_lock *t)
{
	if (t == NULL)
		return;
	upgrade_conn_free(t->renewer);
	free(t->table);
	free(t->name);
	free(t);
}

/* Starts renewing; on failure the caller deletes the row. */
static int
start_renewing(struct upg_lock *lock, struct upg_table_lock *t)
{
	pthread_condattr_t attr;
	int ret;

	if ((ret = upg_conn_clone(lock->conn, &t->renewer)) != UPGRADE_OK) {
		upg_error_set(&lock->conn->err, ret,
		              "the lock table's lease needs a second connection: %s",
		              upg_error_message(&t->renewer->err));
		return ret;
	}
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&t->mutex, NULL);
	if (pthread_create(&t->thread, NULL, renew_main, t) != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->mutex);
		return upg_error_set(&lock->conn->err, UPGRADE_ERROR,
		                     "cannot start the thread that renews the lock's lease");
	}
	return UPGRADE_OK;
}

/* Deletes this holder's row, on conn. */
static int
table_lock_delete(struct upgrade_conn *conn, struct upg_table_lock *t)
{
	const char *params[2] = {t->name, t->token};

	return exec_filled(conn, t->sql->remove, t->table, 2, params, NULL);
}

int
upg_lock_table_held(const struct upg_lock *lock)
{
	return lock->table != NULL;
}

int
upg_lock_table_release(struct upg_lock *lock)
{
	struct upg_table_lock *t = lock->table;
	int ret;

	if (t == NULL)
		return UPGRADE_OK;
	pthread_mutex_lock(&t->mutex);
	t->stop = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->mutex);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->mutex);
	/* The renewing connection is in autocommit whatever the work connection is in. */
	ret = table_lock_delete(t->renewer, t);
	if (ret != UPGRADE_OK)
		upg_error_copy(&lock->conn->err, &t->renewer->err);
	lock->table = NULL;
	table_lock_free(t);
	return ret;
}

int
upg_lock_table_holder(struct upg_lock *lock, const struct upg_lock_table_sql *sql, char **who)
{
	const char *params[1] = {lock->name};
	char *table = NULL;
	int ret;

	*who = NULL;
	if ((ret = lock_table(lock, sql, &table)) != UPGRADE_OK)
		return ret;
	ret = query_filled(lock->conn, sql->holder, table, 1, params, who);
	free(table);
	return ret;
}

int
upg_lock_table_try(struct upg_lock *lock, const struct upg_lock_table_sql *sql, int *acquired)
{
	struct upgrade_conn *conn = lock->conn;
	struct upg_table_lock *t;
	char holder[192], since[32], *got = NULL;
	const char *params[4];
	time_t now = time(NULL);
	struct tm tm;
	long rows = 0;
	int ret;

	*acquired = 0;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		return upg_error_oom(&conn->err);
	t->sql = sql;
	t->lease_ms = conn->lock_lease_ms > 0 ? conn->lock_lease_ms : LEASE_DEFAULT_MS;
	snprintf(t->lease_us, sizeof t->lease_us, "%ld", t->lease_ms * 1000);
	make_token(t->token, sizeof t->token);
	gmtime_r(&now, &tm);
	strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(holder, sizeof holder, "upgrade %s since %s", upg_lock_owner(), since);
	if ((t->name = upg_strdup(lock->name)) == NULL) {
		ret = upg_error_oom(&conn->err);
		goto done;
	}
	/*
	 * Galera aborts the probe for the table (deadlock, 40001) while another
	 * node creates it: lost this round, so the caller polls again.
	 */
	if ((ret = lock_table(lock, sql, &t->table)) != UPGRADE_OK) {
		if (lost_race(conn, ret))
			goto done_free;
		goto done;
	}

	params[0] = t->name;
	params[1] = holder;
	params[2] = t->token;
	params[3] = t->lease_us;
	ret = exec_filled(conn, sql->insert, t->table, 4, params, &rows);
	if (lost_race(conn, ret))
		goto done_free;
	if (ret != UPGRADE_OK)
		goto done;
	if (rows == 0) {
		/* Taken: free to take over only when its lease ran out (the staleness rule). */
		params[0] = holder;
		params[1] = t->token;
		params[2] = t->lease_us;
		params[3] = t->name;
		ret = exec_filled(conn, sql->take_over, t->table, 4, params, &rows);
		if (lost_race(conn, ret))
			goto done_free;
		if (ret != UPGRADE_OK)
			goto done;
	}
	if (rows == 0)
		goto done_free;
	/* Read back: only the token in the row after both commits says who won. */
	params[0] = t->name;
	if ((ret = query_filled(conn, sql->check, t->table, 1, params, &got)) != UPGRADE_OK)
		goto done;
	if (got == NULL || strcmp(got, t->token) != 0)
		goto done_free;
	if ((ret = start_renewing(lock, t)) != UPGRADE_OK) {
		struct upg_error keep = UPG_ERROR_INIT;

		upg_error_stash(&keep, &conn->err);
		table_lock_delete(conn, t);
		upg_error_restore(&conn->err, &keep);
		goto done;
	}
	lock->table = t;
	t = NULL;
	*acquired = 1;
	goto done;
done_free:
	ret = UPGRADE_OK;
done:
	free(got);
	table_lock_free(t);
	return ret;
}
