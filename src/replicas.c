/* SPDX-License-Identifier: MIT */
/*
 * replicas.c - waiting until a server's replicas have replayed what this
 * process committed (upgrade_conn_wait_replicas), so that an orchestrator
 * can send readers to a replica right after a run.  What a position is and
 * who counts as a replica is the dialect's (replication_position,
 * replicas_at); this file only polls.
 */
#include "config.h"

#include <stdlib.h>

#include "connection.h"
#include "dialect.h"
#include "private.h"

static int
not_there(struct upgrade_conn *conn, int count, const char *position, long replayed,
          long connected, long hidden, long timeout_ms)
{
	const char *hint = conn->dialect->replicas_hidden_hint;

	if (hidden > 0)
		return upg_error_set(&conn->err, UPGRADE_ETIMEOUT,
		                     "%ld of %d replicas replayed up to %s within %.1f s; %ld of the %ld "
		                     "connected replicas hide their position from this role%s%s%s",
		                     replayed, count, position, (double)timeout_ms / 1000.0, hidden,
		                     connected, hint != NULL ? " (" : "", hint != NULL ? hint : "",
		                     hint != NULL ? ")" : "");
	return upg_error_set(&conn->err, UPGRADE_ETIMEOUT,
	                     "%ld of %d replicas replayed up to %s within %.1f s (%ld connected)",
	                     replayed, count, position, (double)timeout_ms / 1000.0, connected);
}

int
upgrade_conn_wait_replicas(struct upgrade_conn *conn, int count, long timeout_ms, long *waited_ms)
{
	const struct upg_dialect *d;
	long start = upg_now_ms(), replayed = 0, connected = 0, hidden = 0, pause = 10;
	char *position = NULL;
	int ret;

	if (waited_ms != NULL)
		*waited_ms = 0;
	if (!UPG_IS(conn, CONN))
		return UPGRADE_EINVAL;
	if ((ret = upg_db_require(conn)) != UPGRADE_OK)
		return ret;
	if (count < 0 || timeout_ms < 0)
		return upg_error_set(&conn->err, UPGRADE_EINVAL,
		                     "a replica count and a timeout cannot be negative");
	d = conn->dialect;
	if (d->replication_position == NULL || d->replicas_at == NULL)
		return upg_error_set(&conn->err, UPGRADE_EUNSUPPORTED,
		                     "the %s dialect cannot see the server's replicas", d->name);
	if (count == 0)
		return UPGRADE_OK;
	if ((ret = d->replication_position(conn, &position)) != UPGRADE_OK)
		return ret;
	if (position == NULL)
		return upg_error_set(&conn->err, UPGRADE_ERROR,
		                     "the server reports no replication position");
	for (;;) {
		long elapsed;

		ret = d->replicas_at(conn, position, &replayed, &connected, &hidden);
		elapsed = upg_now_ms() - start;
		if (waited_ms != NULL)
			*waited_ms = elapsed;
		if (ret != UPGRADE_OK || replayed >= count)
			break;
		if (elapsed >= timeout_ms) {
			ret = not_there(conn, count, position, replayed, connected, hidden, timeout_ms);
			break;
		}
		/* Replay usually lags by milliseconds: poll fast first, then back off. */
		if (pause > timeout_ms - elapsed)
			pause = timeout_ms - elapsed;
		upg_sleep_ms(pause);
		if (pause < 250)
			pause *= 2;
	}
	free(position);
	return ret;
}
