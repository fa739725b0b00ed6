/* SPDX-License-Identifier: MIT */
/*
 * lock.c - one lock per schema, so that two upgrade processes on one or
 * several hosts never run the same task twice.
 *
 * The dialects provide a non-blocking try (PostgreSQL advisory locks,
 * MariaDB GET_LOCK, a file lock for SQLite); this file polls it with a
 * growing pause until the timeout.  Every lock is one the server or kernel
 * drops when its holder dies, so a killed run never leaves a stale lock,
 * except the lock table's row (lock-table.c), which is free to take over
 * one lease after its holder stopped renewing it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connection.h"

static void
lock_free(struct upg_lock *lock)
{
	if (lock == NULL)
		return;
	if (lock->state != NULL && lock->dialect->lock_state_free != NULL)
		lock->dialect->lock_state_free(lock);
	free(lock->state);
	free(lock->schema);
	free(lock->name);
	free(lock);
}

int
upg_lock_acquire(struct upgrade_conn *conn, const char *schema, long timeout_ms,
                 struct upg_lock **out)
{
	return upg_lock_acquire_notify(conn, schema, timeout_ms, NULL, NULL, out);
}

/* Who holds the lock, through the table or the dialect's hook; *who NULL when unknown. */
static void
lock_holder(struct upg_lock *lock, char **who)
{
	*who = NULL;
	if (lock->table_sql != NULL)
		upg_lock_table_holder(lock, lock->table_sql, who);
	else if (lock->dialect->lock_holder != NULL)
		lock->dialect->lock_holder(lock, who);
}

int
upg_lock_acquire_notify(struct upgrade_conn *conn, const char *schema, long timeout_ms,
                        upg_lock_wait_fn on_wait, void *ud, struct upg_lock **out)
{
	const struct upg_dialect *d = conn->dialect;
	struct upg_lock *lock;
	struct upg_buf name = UPG_BUF_INIT;
	long start = upg_now_ms(), pause = 25;
	int acquired = 0, ret, told = 0;

	*out = NULL;
	if (d->lock_try == NULL)
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "the %s dialect cannot lock a schema", d->name);
	lock = calloc(1, sizeof *lock);
	if (lock == NULL)
		return upg_error_oom(&conn->err);
	lock->conn = conn;
	lock->dialect = d;
	upg_buf_printf(&name, "upgrade:%s", schema);
	lock->name = upg_buf_detach(&name);
	lock->schema = upg_strdup(schema);
	if (d->lock_state_size > 0)
		lock->state = calloc(1, d->lock_state_size);
	if (lock->name == NULL || lock->schema == NULL ||
	    (d->lock_state_size > 0 && lock->state == NULL)) {
		lock_free(lock);
		return upg_error_oom(&conn->err);
	}
	if (d->lock_table != NULL && (ret = d->lock_table(lock, &lock->table_sql)) != UPGRADE_OK) {
		lock_free(lock);
		return ret;
	}
	for (;;) {
		ret = lock->table_sql != NULL ? upg_lock_table_try(lock, lock->table_sql, &acquired)
		                              : d->lock_try(lock, &acquired);
		if (ret != UPGRADE_OK) {
			lock_free(lock);
			return ret;
		}
		if (acquired)
			break;
		if (upg_now_ms() - start >= timeout_ms) {
			char *who = NULL;

			lock_holder(lock, &who);
			if (strcmp(schema, UPG_RAW_LOCK) == 0)
				upg_error_set(&conn->err, UPGRADE_ELOCKED,
				              "the raw tasks of this database are being run by another "
				              "upgrade (%s); gave up after %.1f s",
				              who != NULL ? who : "holder unknown",
				              (double)(upg_now_ms() - start) / 1000.0);
			else
				upg_error_set(&conn->err, UPGRADE_ELOCKED,
				              "schema %s is locked by another upgrade (%s); gave up after "
				              "%.1f s",
				              schema, who != NULL ? who : "holder unknown",
				              (double)(upg_now_ms() - start) / 1000.0);
			free(who);
			lock_free(lock);
			return UPGRADE_ELOCKED;
		}
		if (!told && on_wait != NULL) {
			/* A wait of up to the timeout must not look like a hang: say who holds it. */
			char *who = NULL;

			lock_holder(lock, &who);
			upg_error_clear(&conn->err);
			on_wait(ud, schema, who, timeout_ms);
			free(who);
			told = 1;
		}
		upg_sleep_ms(pause);
		/* Back off to one poll a second: cheap for the server, quick enough for people. */
		pause = pause * 2 > 1000 ? 1000 : pause * 2;
		if (timeout_ms - (upg_now_ms() - start) < pause && timeout_ms > upg_now_ms() - start)
			pause = timeout_ms - (upg_now_ms() - start);
	}
	lock->held = 1;
	*out = lock;
	return UPGRADE_OK;
}

int
upg_lock_release(struct upg_lock *lock)
{
	struct upg_error keep = UPG_ERROR_INIT;
	int ret = UPGRADE_OK;

	if (lock == NULL)
		return UPGRADE_OK;
	/* Often called after a failure: the unlock's statement must not replace its message. */
	upg_error_stash(&keep, &lock->conn->err);
	if (lock->held && upg_lock_table_held(lock))
		ret = upg_lock_table_release(lock);
	else if (lock->held && lock->dialect->lock_release != NULL)
		ret = lock->dialect->lock_release(lock);
	upg_error_restore(&lock->conn->err, &keep);
	lock_free(lock);
	return ret;
}
